import { WebRnnError } from '../errors.js';
import type { Kernel } from './kernel.js';
import { STEP_STRIDE } from './kernel.js';
import type { ChoiceCell } from './tuner.js';

/** What one dispatch binds and launches. */
export interface Dispatch {
  pipeline: GPUComputePipeline;
  groups: GPUBindGroup[];
  workgroups: [number, number, number];
}

/** One recorded GPU command of a layer's forward or backward. */
export type Op =
  | ({ kind: 'dispatch'; kernel: string; stepSlot?: number; choice?: { cell: ChoiceCell; variants: Record<string, Dispatch & { kernel: string }> } } & Dispatch)
  | { kind: 'copy'; src: GPUBuffer; srcOffset: number; dst: GPUBuffer; dstOffset: number; size: number }
  | { kind: 'clear'; buffer: GPUBuffer; offset: number; size: number };

/**
 * The most compute dispatches one submission holds. Mesa's lavapipe (Dawn's Vulkan backend records a
 * whole submission into one VkCommandBuffer) crashes the process — a SIGSEGV in a memset on its queue
 * thread — once a command buffer holds more than 2¹⁶ dispatches that bind a bind group with a dynamic
 * offset, as per-step sweeps do; splitting into passes or WebGPU command buffers of one submit does not
 * help, separate queue.submit calls do. Engine.run submits every this many dispatches (the order of
 * the work is unchanged; no CPU round trip).
 */
export const MAX_DISPATCHES_PER_SUBMIT = 16_384;

/**
 * Where programs are encoded: the current encoder, how many dispatches it holds, and (when given) how
 * to submit it and start the next one once it holds {@link MAX_DISPATCHES_PER_SUBMIT}.
 */
export interface EncodeTarget {
  encoder: GPUCommandEncoder;
  dispatches: number;
  next?: () => GPUCommandEncoder;
}

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

  /**
   * Records a dispatch with variants: which one runs is read from `cell` each time the program is
   * encoded (the tuner sets it once its measurement ends), so nothing is recorded again.
   */
  dispatchVariant(cell: ChoiceCell, variants: Record<string, { kernel: Kernel; groups: GPUBindGroup[]; workgroups: [number, number, number] }>): void {
    const recorded: Record<string, Op & { kind: 'dispatch' }> = {};
    for (const [name, v] of Object.entries(variants)) {
      const before = this.ops.length;
      this.dispatch(v.kernel, v.groups, v.workgroups);
      if (this.ops.length === before) return; // an empty grid: nothing to run in any variant
      recorded[name] = this.ops.pop() as Op & { kind: 'dispatch' };
    }
    const shown = recorded[cell.value] ?? Object.values(recorded)[0];
    this.ops.push({ ...shown, choice: { cell, variants: recorded } });
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

  /** The kernels the next encoding dispatches, in order (variants as their cells stand now). */
  get kernelNames(): string[] {
    return this.ops.flatMap((o) => (o.kind === 'dispatch' ? [(o.choice?.variants[o.choice.cell.value] ?? o).kernel] : []));
  }

  /** Number of compute dispatches one encoding issues. */
  get dispatchCount(): number {
    return this.ops.filter((o) => o.kind === 'dispatch').length;
  }

  encode(target: GPUCommandEncoder | EncodeTarget): void {
    const t: EncodeTarget = 'encoder' in target ? target : { encoder: target, dispatches: 0 };
    let pass: GPUComputePassEncoder | undefined;
    for (const op of this.ops) {
      if (op.kind === 'dispatch') {
        const d: Dispatch = op.choice?.variants[op.choice.cell.value] ?? op;
        if (t.next && t.dispatches >= MAX_DISPATCHES_PER_SUBMIT) {
          pass?.end();
          pass = undefined;
          t.encoder = t.next();
          t.dispatches = 0;
        }
        t.dispatches++;
        pass ??= t.encoder.beginComputePass();
        pass.setPipeline(d.pipeline);
        d.groups.forEach((g, i) => {
          if (i === 1 && op.stepSlot !== undefined) pass!.setBindGroup(1, g, [op.stepSlot * STEP_STRIDE]);
          else pass!.setBindGroup(i, g);
        });
        pass.dispatchWorkgroups(...d.workgroups);
        continue;
      }
      if (pass) {
        pass.end();
        pass = undefined;
      }
      if (op.kind === 'copy') t.encoder.copyBufferToBuffer(op.src, op.srcOffset, op.dst, op.dstOffset, op.size);
      else t.encoder.clearBuffer(op.buffer, op.offset, op.size);
    }
    pass?.end();
  }
}
