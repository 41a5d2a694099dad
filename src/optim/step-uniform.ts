import type { Kernel, KernelSource } from '../gpu/kernel.js';
import type { Recorder } from '../gpu/recorder.js';

/**
 * A small uniform a kernel reads besides its Params — values that change every optimizer
 * step (lr, bias corrections, a ring slot). Its layout is read from the kernel's WGSL (Kernel.packUniform),
 * and it is written with queue.writeBuffer before the step's submission, never between the dispatches
 * of one.
 */
export class StepUniform {
  readonly buffer: GPUBuffer;
  private readonly kernel: Kernel;
  private readonly bytes: ArrayBuffer;

  constructor(
    private readonly rec: Recorder,
    kernel: KernelSource,
    private readonly variable: string,
  ) {
    this.kernel = rec.engine.kernel(kernel);
    this.bytes = new ArrayBuffer(this.kernel.uniformLayout(variable).size);
    this.buffer = rec.uniform(this.bytes, `${kernel.name}:${variable}`);
  }

  /** Packs every member (all must be given, no others) and queues the write. */
  write(values: Record<string, number>): void {
    this.kernel.packUniform(this.variable, values, this.bytes);
    this.rec.engine.writeBuffer(this.buffer, 0, this.bytes);
  }
}
