/**
 * Options of webrnn's optimizers, named and defaulted as torch.optim (1.13) names them, plus gradient
 * clipping. Shared by the GPU optimizers (src/optim/) and their float64 references (test/reference/optim.ts).
 */
import { knownKeys } from '../checks.js';
import { WebRnnError } from '../errors.js';

/**
 * Gradient clipping applied inside the optimizer step, in torch's usual order: clip_grad_value_
 * first (each gradient clamped to ±clip_value), then clip_grad_norm_ (all gradients scaled by
 * min(1, clip_norm / (‖g‖ + 1e-6)), ‖g‖ the 2-norm over every block together). The gradient buffers
 * themselves are not modified.
 *
 * @example
 * const opt = new Adam(engine, lstm.blocks(), { lr: 1e-3, clip_norm: 5 });
 */
export interface ClipOptions {
  /** max_norm of torch.nn.utils.clip_grad_norm_ (norm_type 2); off when absent. */
  clip_norm?: number;
  /** clip_value of torch.nn.utils.clip_grad_value_; off when absent. */
  clip_value?: number;
}

/** torch.optim.SGD's options (lr has no default there either). */
export interface SGDOptions extends ClipOptions {
  lr: number;
  /** default 0 */
  momentum?: number;
  /** default 0 */
  dampening?: number;
  /** L2 penalty added to the gradient; default 0 */
  weight_decay?: number;
  /** default false; needs momentum > 0 and dampening = 0 */
  nesterov?: boolean;
}

/** torch.optim.Adam's and AdamW's options. */
export interface AdamOptions extends ClipOptions {
  /** default 1e-3 */
  lr?: number;
  /** default [0.9, 0.999] */
  betas?: readonly [number, number];
  /** default 1e-8 */
  eps?: number;
  /** Adam: L2 penalty added to the gradient, default 0. AdamW: decoupled decay p ← p·(1 − lr·wd), default 1e-2. */
  weight_decay?: number;
  /** default false */
  amsgrad?: boolean;
}

/** torch.optim.Adagrad's options. */
export interface AdagradOptions extends ClipOptions {
  /** default 1e-2 */
  lr?: number;
  /** the step's lr is lr / (1 + (t − 1)·lr_decay); default 0 */
  lr_decay?: number;
  /** default 1e-10 */
  eps?: number;
  /** Starting value of every sum entry (default 0, as torch; GloVe's reference code uses 1). */
  initial_accumulator_value?: number;
  /**
   * L2 penalty, default 0: the update uses g + weight_decay·p (after clipping, as torch, whose clipping
   * runs on the raw gradient before optimizer.step()), in the sum as well as in the step.
   */
  weight_decay?: number;
}

/** SGD options with every default filled in. */
export type ResolvedSGDOptions = Required<Omit<SGDOptions, keyof ClipOptions>> & ClipOptions;
/** Adagrad options with every default filled in. */
export type ResolvedAdagradOptions = Required<Omit<AdagradOptions, keyof ClipOptions>> & ClipOptions;
/** Adam/AdamW options with every default filled in. */
export type ResolvedAdamOptions = Required<Omit<AdamOptions, keyof ClipOptions | 'betas'>> & { betas: [number, number] } & ClipOptions;

const bad = (msg: string) => new WebRnnError('BAD_CONFIG', msg);
/** The kernels take hyper-parameters as float32: a larger value would become Infinity there. */
const F32_MAX = 3.4028234663852886e38;
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && Math.abs(x) <= F32_MAX;

/**
 * Checks a learning rate the way torch does (finite, ≥ 0); throws WebRnnError('BAD_CONFIG').
 *
 * @example
 * checkLr(1e-3); // 1e-3
 */
export function checkLr(lr: unknown): number {
  if (!isNum(lr) || lr < 0) throw bad(`lr must be a finite number ≥ 0, got ${String(lr)} (float32: at most ${F32_MAX.toExponential(3)})`);
  return lr;
}

/** Checks clip_norm / clip_value (each absent or finite and > 0); throws WebRnnError('BAD_CONFIG'). */
export function checkClip(o: ClipOptions): ClipOptions {
  const out: ClipOptions = {};
  if (o.clip_norm !== undefined) {
    if (!isNum(o.clip_norm) || o.clip_norm <= 0) throw bad(`clip_norm must be a finite number > 0, got ${String(o.clip_norm)}`);
    out.clip_norm = o.clip_norm;
  }
  if (o.clip_value !== undefined) {
    if (!isNum(o.clip_value) || o.clip_value <= 0) throw bad(`clip_value must be a finite number > 0, got ${String(o.clip_value)}`);
    out.clip_value = o.clip_value;
  }
  return out;
}

function nonNeg(name: string, v: unknown): number {
  if (!isNum(v) || v < 0) throw bad(`${name} must be a finite number ≥ 0, got ${String(v)}`);
  return v;
}

/**
 * Fills SGD defaults and checks values as torch.optim.SGD does; throws WebRnnError('BAD_CONFIG').
 *
 * @example
 * resolveSGDOptions({ lr: 0.1, momentum: 0.9 }); // { lr: 0.1, momentum: 0.9, dampening: 0, weight_decay: 0, nesterov: false }
 */
export function resolveSGDOptions(o: SGDOptions): ResolvedSGDOptions {
  if (o === null || typeof o !== 'object') throw bad('SGD needs an options object with lr');
  const r: ResolvedSGDOptions = {
    lr: checkLr(o.lr),
    momentum: nonNeg('momentum', o.momentum ?? 0),
    dampening: nonNeg('dampening', o.dampening ?? 0),
    weight_decay: nonNeg('weight_decay', o.weight_decay ?? 0),
    nesterov: o.nesterov ?? false,
    ...checkClip(o),
  };
  if (typeof r.nesterov !== 'boolean') throw bad(`nesterov must be a boolean, got ${String(r.nesterov)}`);
  if (r.nesterov && (r.momentum <= 0 || r.dampening !== 0)) throw bad('Nesterov momentum requires a momentum > 0 and dampening = 0');
  return r;
}

/**
 * Fills Adam (or, with `decoupled`, AdamW: weight_decay 1e-2) defaults and checks values as torch
 * does; throws WebRnnError('BAD_CONFIG').
 *
 * @example
 * resolveAdamOptions({}, true); // { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.01, amsgrad: false }
 */
export function resolveAdamOptions(o: AdamOptions = {}, decoupled: boolean): ResolvedAdamOptions {
  if (o === null || typeof o !== 'object') throw bad('Adam options must be an object');
  const betas = o.betas ?? [0.9, 0.999];
  if (!Array.isArray(betas) || betas.length !== 2) throw bad(`betas must be [beta1, beta2], got ${JSON.stringify(betas)}`);
  betas.forEach((b, i) => {
    if (!isNum(b) || b < 0 || b >= 1) throw bad(`betas[${i}] must be in [0, 1), got ${String(b)}`);
  });
  const r: ResolvedAdamOptions = {
    lr: checkLr(o.lr ?? 1e-3),
    betas: [betas[0], betas[1]],
    eps: nonNeg('eps', o.eps ?? 1e-8),
    weight_decay: nonNeg('weight_decay', o.weight_decay ?? (decoupled ? 1e-2 : 0)),
    amsgrad: o.amsgrad ?? false,
    ...checkClip(o),
  };
  if (typeof r.amsgrad !== 'boolean') throw bad(`amsgrad must be a boolean, got ${String(r.amsgrad)}`);
  // The kernel's per-step scalars must stay finite float32: the first step's lr / (1 − β1) is the
  // largest step_size (1 − β1ᵗ only grows), and AdamW's decay 1 − lr·weight_decay.
  const f32Max = F32_MAX;
  const stepSize = r.lr / (1 - r.betas[0]);
  if (!(Math.abs(stepSize) <= f32Max)) throw bad(`lr ${r.lr} is too large: Adam's step size lr / (1 − β1) = ${stepSize} exceeds float32 (${f32Max.toExponential(3)})`);
  const decay = r.lr * r.weight_decay;
  if (!(decay <= f32Max)) throw bad(`lr ${r.lr} × weight_decay ${r.weight_decay} = ${decay} exceeds float32 (${f32Max.toExponential(3)})`);
  return r;
}

const ADAGRAD_KEYS = ['lr', 'lr_decay', 'eps', 'initial_accumulator_value', 'weight_decay', 'clip_norm', 'clip_value'];

/**
 * Fills Adagrad defaults and checks values as torch.optim.Adagrad does (every value finite and ≥ 0; an
 * unknown option, e.g. torch's `maximize`, which this Adagrad does not implement, is refused); throws
 * WebRnnError('BAD_CONFIG').
 *
 * @example
 * resolveAdagradOptions({ lr: 0.05 }); // { lr: 0.05, lr_decay: 0, eps: 1e-10, initial_accumulator_value: 0, weight_decay: 0 }
 */
export function resolveAdagradOptions(o: AdagradOptions = {}): ResolvedAdagradOptions {
  if (o === null || typeof o !== 'object') throw bad('Adagrad options must be an object');
  knownKeys('Adagrad', o, ADAGRAD_KEYS, { code: 'BAD_CONFIG', voice: 'option' });
  return {
    lr: checkLr(o.lr ?? 1e-2),
    lr_decay: nonNeg('lr_decay', o.lr_decay ?? 0),
    eps: nonNeg('eps', o.eps ?? 1e-10),
    initial_accumulator_value: nonNeg('initial_accumulator_value', o.initial_accumulator_value ?? 0),
    weight_decay: nonNeg('weight_decay', o.weight_decay ?? 0),
    ...checkClip(o),
  };
}
