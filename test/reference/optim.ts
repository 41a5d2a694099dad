/**
 * Float64 CPU reference of webrnn's optimizers (src/optim/): the torch.optim (1.13, single-tensor
 * path) update rules of SGD, Adam, AdamW and Adagrad, gradient clipping by value and by global norm, and the
 * NaN/Inf skip — the same options and the same step semantics as the GPU classes, on Float64Arrays
 * (one per parameter block), so tests compare like with like.
 */
import {
  resolveAdagradOptions,
  resolveAdamOptions,
  resolveSGDOptions,
  type AdagradOptions,
  type AdamOptions,
  type ClipOptions,
  type ResolvedAdagradOptions,
  type ResolvedAdamOptions,
  type ResolvedSGDOptions,
  type SGDOptions,
} from '../../src/optim/options.js';
import { adamScalars } from '../../src/optim/bias-correction.js';

/**
 * The global 2-norm of several gradient arrays after clamping each value to ±clip_value (when given),
 * and whether every raw value was finite.
 *
 * @example
 * refGradNorm([Float64Array.of(3), Float64Array.of(4)]); // { norm: 5, finite: true }
 */
export function refGradNorm(grads: readonly ArrayLike<number>[], clip_value?: number): { norm: number; finite: boolean } {
  let s = 0;
  let finite = true;
  for (const g of grads) {
    for (let i = 0; i < g.length; i++) {
      let x = g[i];
      if (!Number.isFinite(x)) finite = false;
      if (clip_value !== undefined) x = Math.min(Math.max(x, -clip_value), clip_value);
      s += x * x;
    }
  }
  const norm = Math.sqrt(s);
  return { norm, finite: finite && Number.isFinite(norm) };
}

/**
 * The gradients an optimizer step uses: clip_grad_value_ then clip_grad_norm_ (coefficient
 * min(1, clip_norm / (norm + 1e-6))), as new arrays; `norm` is the pre-clipping global norm.
 *
 * @example
 * const { grads, norm } = refClipGrads([Float64Array.of(30, 40)], { clip_norm: 5 }); // grads ≈ [[3, 4]], norm 50
 */
export function refClipGrads(grads: readonly ArrayLike<number>[], clip: ClipOptions): { grads: Float64Array[]; norm: number; finite: boolean } {
  const { norm, finite } = refGradNorm(grads, clip.clip_value);
  const coef = clip.clip_norm !== undefined ? Math.min(1, clip.clip_norm / (norm + 1e-6)) : 1;
  const cv = clip.clip_value;
  const out = grads.map((g) => {
    const o = new Float64Array(g.length);
    for (let i = 0; i < g.length; i++) o[i] = (cv !== undefined ? Math.min(Math.max(g[i], -cv), cv) : g[i]) * coef;
    return o;
  });
  return { grads: out, norm: finite ? norm : NaN, finite };
}

/** The float64 twin of a GPU optimizer: `step(grads)` updates `params` in place. */
export abstract class RefOptimizer {
  lr: number;
  stepCount = 0;
  protected abstract readonly clip: ClipOptions;

  constructor(
    readonly params: Float64Array[],
    lr: number,
  ) {
    this.lr = lr;
  }

  /**
   * One step with these gradients (one array per block). Returns the global norm (NaN when some
   * gradient is not finite — then nothing changes but stepCount, as on the GPU).
   */
  step(grads: readonly ArrayLike<number>[]): number {
    if (grads.length !== this.params.length) throw new Error(`${grads.length} gradient arrays for ${this.params.length} blocks`);
    this.stepCount++;
    const c = refClipGrads(grads, this.clip);
    if (!c.finite) return NaN;
    this.params.forEach((p, b) => this.update(b, p, c.grads[b]));
    return c.norm;
  }

  protected abstract update(block: number, p: Float64Array, g: Float64Array): void;
}

/**
 * torch.optim.SGD in float64.
 *
 * @example
 * const ref = new RefSGD([Float64Array.of(1, 2)], { lr: 0.1, momentum: 0.9 });
 * ref.step([Float64Array.of(0.5, -0.5)]);
 */
export class RefSGD extends RefOptimizer {
  readonly options: ResolvedSGDOptions;
  readonly momentum_buffer: Float64Array[];
  protected readonly clip: ClipOptions;

  constructor(params: Float64Array[], options: SGDOptions) {
    const o = resolveSGDOptions(options);
    super(params, o.lr);
    this.options = o;
    this.clip = o;
    this.momentum_buffer = params.map((p) => new Float64Array(p.length));
  }

  protected update(b: number, p: Float64Array, g: Float64Array): void {
    const { weight_decay: wd, momentum: mu, dampening, nesterov } = this.options;
    const buf = this.momentum_buffer[b];
    for (let i = 0; i < p.length; i++) {
      let d = g[i];
      if (wd !== 0) d += wd * p[i];
      if (mu !== 0) {
        buf[i] = this.stepCount === 1 ? d : mu * buf[i] + (1 - dampening) * d;
        d = nesterov ? d + mu * buf[i] : buf[i];
      }
      p[i] -= this.lr * d;
    }
  }
}

/**
 * torch.optim.Adam in float64 (AdamW with `decoupled`).
 *
 * @example
 * const ref = new RefAdam([Float64Array.of(1, 2)], { lr: 1e-2, amsgrad: true });
 * ref.step([Float64Array.of(0.5, -0.5)]);
 */
export class RefAdam extends RefOptimizer {
  readonly options: ResolvedAdamOptions;
  readonly exp_avg: Float64Array[];
  readonly exp_avg_sq: Float64Array[];
  readonly max_exp_avg_sq: Float64Array[];
  protected readonly clip: ClipOptions;

  constructor(
    params: Float64Array[],
    options: AdamOptions = {},
    readonly decoupled = false,
  ) {
    const o = resolveAdamOptions(options, decoupled);
    super(params, o.lr);
    this.options = o;
    this.clip = o;
    const z = () => params.map((p) => new Float64Array(p.length));
    this.exp_avg = z();
    this.exp_avg_sq = z();
    this.max_exp_avg_sq = z();
  }

  protected update(b: number, p: Float64Array, g: Float64Array): void {
    const { betas: [b1, b2], eps, weight_decay: wd, amsgrad } = this.options;
    const s = adamScalars(this.stepCount, this.lr, this.options.betas, wd, this.decoupled);
    const m = this.exp_avg[b];
    const v = this.exp_avg_sq[b];
    const vmax = this.max_exp_avg_sq[b];
    for (let i = 0; i < p.length; i++) {
      let gi = g[i];
      if (this.decoupled) p[i] *= s.decay;
      else if (wd !== 0) gi += wd * p[i];
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      let vh = v[i];
      if (amsgrad) vh = vmax[i] = Math.max(vmax[i], v[i]);
      p[i] -= (s.step_size * m[i]) / (Math.sqrt(vh) / s.bias_correction2_sqrt + eps);
    }
  }
}

/**
 * torch.optim.AdamW in float64.
 *
 * @example
 * const ref = new RefAdamW([Float64Array.of(1, 2)], { lr: 1e-2 }); // weight_decay 1e-2
 */
export class RefAdamW extends RefAdam {
  constructor(params: Float64Array[], options: AdamOptions = {}) {
    super(params, options, true);
  }
}

/**
 * torch.optim.Adagrad in float64 (the dense path: every entry updated, a zero gradient included;
 * weight_decay adds wd·p to the clipped gradient, as torch does inside step()).
 *
 * @example
 * const ref = new RefAdagrad([Float64Array.of(1, 2)], { lr: 0.1, lr_decay: 0.01, initial_accumulator_value: 0.1 });
 * ref.step([Float64Array.of(0.5, 0)]); // the second entry (gradient 0) keeps its value and its sum
 */
export class RefAdagrad extends RefOptimizer {
  readonly options: ResolvedAdagradOptions;
  readonly sum: Float64Array[];
  protected readonly clip: ClipOptions;

  constructor(params: Float64Array[], options: AdagradOptions = {}) {
    const o = resolveAdagradOptions(options);
    super(params, o.lr);
    this.options = o;
    this.clip = o;
    this.sum = params.map((p) => new Float64Array(p.length).fill(o.initial_accumulator_value));
  }

  protected update(b: number, p: Float64Array, g: Float64Array): void {
    const clr = this.lr / (1 + (this.stepCount - 1) * this.options.lr_decay);
    const sum = this.sum[b];
    const wd = this.options.weight_decay;
    for (let i = 0; i < p.length; i++) {
      const d = g[i] + wd * p[i];
      sum[i] += d * d;
      p[i] -= (clr * d) / (Math.sqrt(sum[i]) + this.options.eps);
    }
  }
}
