import { WebRnnError } from '../errors.js';
import type { Kernel } from './kernel.js';
import { STEP_STRIDE } from './kernel.js';

/** One recorded GPU command of a layer's forward or backward. */
export type Op =
  | { kind: 'dispatch'; kernel: string; pipeline: GPUComputePipeline; groups: GPUBindGroup[]; workgroups: [number, number, number]; stepSlot?: number }
  | { kind: 'copy'; src: GPUBuffer; srcOffset: number; dst: GPUBuffer; dstOffset: number; size: number }
  | { kind: 'clear'; buffer: GPUBuffer; offset: number; size: number };

/**
 * A recorded command list, built once per (layer, shape) and encoded again for every call without
 * rebuilding pipelines, bind groups or parameter buffers. Consecutive dispatches share one compute
 * pass; copies and clears go between passes. Per-step dispatches pick their slot of the step uniform
 * with a dynamic offset, so nothing is written to the queue between the dispatches of a submission.
 */
export class Program {
  readonly ops: Op[] = [];

  /** Records a dispatch; `constants` pick the pipeline of the kernel's `override` constants. */
  dispatch(kernel: Kernel, groups: GPUBindGroup[], workgroups: [number, number, number], stepSlot?: number, constants?: Record<string, number>): void {
    if (workgroups.some((n) => n === 0)) return;
    const max = kernel.maxWorkgroups;
    if (workgroups.some((n) => n > max)) {
      throw new WebRnnError('DEVICE_LIMIT', `${kernel.name} needs a grid of [${workgroups.join(', ')}] workgroups; this adapter allows ${max} per dimension (maxComputeWorkgroupsPerDimension): use a smaller batch or shorter sequences`);
    }
    this.ops.push({ kind: 'dispatch', kernel: kernel.name, pipeline: kernel.pipeline(constants), groups, workgroups, stepSlot });
  }

  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, size: number): void {
    if (size > 0) this.ops.push({ kind: 'copy', src, srcOffset, dst, dstOffset, size });
  }

  clear(buffer: GPUBuffer, offset: number, size: number): void {
    if (size > 0) this.ops.push({ kind: 'clear', buffer, offset, size });
  }

  /** Records every op of `other` after this program's (a snapshot: later changes to `other` are not seen). */
  append(other: Program): void {
    this.ops.push(...other.ops);
  }

  /** Number of compute dispatches one encoding issues. */
  get dispatchCount(): number {
    return this.ops.filter((o) => o.kind === 'dispatch').length;
  }

  encode(encoder: GPUCommandEncoder): void {
    let pass: GPUComputePassEncoder | undefined;
    for (const op of this.ops) {
      if (op.kind === 'dispatch') {
        pass ??= encoder.beginComputePass();
        pass.setPipeline(op.pipeline);
        op.groups.forEach((g, i) => {
          if (i === 1 && op.stepSlot !== undefined) pass!.setBindGroup(1, g, [op.stepSlot * STEP_STRIDE]);
          else pass!.setBindGroup(i, g);
        });
        pass.dispatchWorkgroups(...op.workgroups);
        continue;
      }
      if (pass) {
        pass.end();
        pass = undefined;
      }
      if (op.kind === 'copy') encoder.copyBufferToBuffer(op.src, op.srcOffset, op.dst, op.dstOffset, op.size);
      else encoder.clearBuffer(op.buffer, op.offset, op.size);
    }
    pass?.end();
  }
}
