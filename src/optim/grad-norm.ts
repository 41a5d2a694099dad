import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { Program } from '../gpu/program.js';
import { Recorder } from '../gpu/recorder.js';
import type { ParameterBlock } from '../layers/parameter-store.js';
import { knownKeys } from '../checks.js';
import { checkClip, type ClipOptions } from './options.js';
import { StepUniform } from './step-uniform.js';
import * as shaders from '../gpu/shader-sources.gen.js';

/** Steps whose norm stays readable after later steps were submitted (a ring on the GPU). */
export const NORM_RING = 64;

/** Elements one grad_sumsq workgroup sums when the grid is not capped (256 invocations × 8). */
const SUMSQ_CHUNK = 2048;
/** Default cap on grad_sumsq workgroups per block (the partials grad_norm folds in one workgroup). */
const SUMSQ_GROUPS = 1024;

/** The global gradient norm of one submitted computation, read back only when asked. */
export interface NormHandle {
  /** 1-based count of computations (optimizer steps) this handle belongs to. */
  readonly step: number;
  /**
   * The 2-norm over all blocks' gradients (after clip_value clamping, before norm clipping — what
   * torch's clip_grad_norm_ returns); NaN or ±Infinity when some gradient was not finite, in which
   * case the optimizer left weights and state untouched. Reads 8 bytes back from the GPU.
   */
  readNorm(): Promise<number>;
}

/**
 * The global 2-norm of the gradients of several parameter blocks, computed on the GPU by a
 * deterministic two-pass reduction (shaders/grad_sumsq.wgsl per block, then shaders/grad_norm.wgsl),
 * into a small GPU buffer `norm` that the optimizer kernels read: `[norm, clip_coef, ok, 0]` followed
 * by a ring of `(norm, ok)` for the last 64 computations. Optimizers build one inside;
 * use this class directly to log gradient norms without stepping.
 *
 * @example
 * const gn = new GradNorm(engine, [...lstm.blocks(), ...head.blocks()]);
 * lstm.forward(x);
 * lstm.backward({ grad_output: dy });
 * console.log(await gn.compute().readNorm());
 * gn.dispose();
 */
export class GradNorm {
  /** `[norm, clip_coef, ok (1/0), 0, (norm, ok) × NORM_RING]` as float32. */
  readonly norm: GPUBuffer;
  private readonly rec: Recorder;
  private readonly partials: GPUBuffer;
  private readonly ring: StepUniform;
  private readonly dispatches: { group: GPUBindGroup; groups: number }[] = [];
  private readonly finish: GPUBindGroup;
  private readonly program = new Program();
  private computed = 0;
  private disposed = false;

  /**
   * @param clip clip_value clamps each gradient before squaring; clip_norm sets the coefficient
   *   min(1, clip_norm / (norm + 1e-6)) that the optimizer kernels multiply gradients by.
   * @param blocks the parameter blocks whose gradients are measured (e.g. `layer.blocks()`; each once)
   * @param maxGroups cap on grad_sumsq workgroups per block, for tests (tiny caps exercise the
   *   grid-stride loop); leave it out.
   */
  constructor(
    /** the engine the blocks live on */
    readonly engine: Engine,
    /** the measured blocks, as given */
    readonly blocks: readonly ParameterBlock[],
    clip: ClipOptions = {},
    maxGroups = SUMSQ_GROUPS,
  ) {
    checkBlocks(blocks, 'GradNorm');
    knownKeys('GradNorm clip options', clip, ['clip_norm', 'clip_value']);
    clip = checkClip(clip);
    this.rec = new Recorder(engine, 'grad_norm');
    try {
      const ks = engine.kernel(shaders.grad_sumsq);
      const kn = engine.kernel(shaders.grad_norm);
      const cap = Math.max(1, Math.min(maxGroups, engine.limits.maxComputeWorkgroupsPerDimension));
      let parts = 0;
      const plan = blocks.map((b) => {
        const groups = Math.min(Math.ceil(b.parameterCount / SUMSQ_CHUNK), cap);
        const at = parts;
        parts += groups;
        return { b, groups, at };
      });
      this.partials = this.rec.buffer(parts * 8, 'partials');
      this.norm = this.rec.buffer((4 + 2 * NORM_RING) * 4, 'norm');
      this.ring = new StepUniform(this.rec, shaders.grad_norm, 'R');
      const cv = clip.clip_value;
      plan.forEach(({ b, groups, at }, i) => {
        if (groups === 0) return;
        const group = this.rec.bind(
          ks,
          { n: b.parameterCount, part_off: at, clip_value: cv ?? 0, has_clip_value: cv === undefined ? 0 : 1 },
          { grads: b.grads, partials: this.partials },
          `block ${i}`,
        );
        this.dispatches.push({ group, groups });
      });
      const mn = clip.clip_norm;
      this.finish = this.rec.bind(kn, { parts, max_norm: mn ?? 0, has_max_norm: mn === undefined ? 0 : 1 }, { R: this.ring.buffer, partials: this.partials, out: this.norm }, 'finish');
      this.record(this.program);
    } catch (e) {
      this.rec.dispose();
      throw e;
    }
  }

  /** @internal records the reduction (grad_sumsq per block, then grad_norm) into `prog`. */
  record(prog: Program): void {
    const ks = this.engine.kernel(shaders.grad_sumsq);
    for (const d of this.dispatches) prog.dispatch(ks, [d.group], [d.groups, 1, 1]);
    prog.dispatch(this.engine.kernel(shaders.grad_norm), [this.finish], [1, 1, 1]);
  }

  /** @internal takes the next ring slot (written before the submission that records this computation). */
  next(): number {
    this.check();
    const serial = ++this.computed;
    this.ring.write({ slot: serial % NORM_RING });
    return serial;
  }

  /** Computes the norm of the current gradients now (one submission) and returns its handle. */
  compute(): NormHandle {
    this.check();
    checkBlocksLive(this.engine, this.blocks, 'GradNorm');
    const serial = this.next();
    this.engine.run(this.program);
    return this.handle(serial, serial);
  }

  /** @internal a handle reading ring entry `serial`, reported as step `step`. */
  handle(serial: number, step: number): NormHandle {
    return { step, readNorm: () => this.read(serial) };
  }

  private async read(serial: number): Promise<number> {
    this.check();
    if (this.computed - serial >= NORM_RING) {
      throw new WebRnnError('BAD_STATE', `the gradient norm of step ${serial} is no longer held: only the last ${NORM_RING} steps' norms are kept; read it sooner`);
    }
    const [norm, ok] = await this.engine.readBuffer(this.norm, (4 + 2 * (serial % NORM_RING)) * 4, 2);
    return ok === 1 || !Number.isFinite(norm) ? norm : NaN;
  }

  private check(): void {
    if (this.disposed) throw new WebRnnError('DISPOSED', 'this gradient norm (or its optimizer) was disposed');
  }

  /** Frees the GPU buffers (norm, partial sums, uniforms). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.rec.dispose();
  }
}

/** Checks a list of parameter blocks before anything is built on it; throws WebRnnError('BAD_CONFIG'). */
export function checkBlocks(blocks: readonly ParameterBlock[], kind: string): void {
  if (!Array.isArray(blocks) || blocks.length === 0) throw new WebRnnError('BAD_CONFIG', `${kind} needs a non-empty list of parameter blocks`);
  const seen = new Set<GPUBuffer>();
  blocks.forEach((b, i) => {
    if (!b || !Number.isInteger(b.parameterCount) || b.parameterCount < 0) throw new WebRnnError('BAD_CONFIG', `block ${i} is not a ParameterBlock`);
    const need = b.parameterCount * 4;
    if (b.params.size < need || b.grads.size < need) throw new WebRnnError('BAD_CONFIG', `block ${i}: params/grads buffers hold fewer than ${b.parameterCount} floats`);
    for (const buf of [b.params, b.grads]) {
      if (seen.has(buf)) throw new WebRnnError('BAD_CONFIG', `block ${i} shares a buffer with another block (or its params are its grads); each block needs its own`);
      seen.add(buf);
    }
  });
}

/** A block whose layer was disposed has no buffers left to read: a typed error, not a GPU one. */
export function checkBlocksLive(engine: Engine, blocks: readonly ParameterBlock[], kind: string): void {
  blocks.forEach((b, i) => {
    if (!engine.isLive(b.params) || !engine.isLive(b.grads)) {
      throw new WebRnnError('DISPOSED', `${kind}: parameter block ${i} (${b.specs.map((s) => s.name).join(', ')}) was disposed with its layer`);
    }
  });
}
