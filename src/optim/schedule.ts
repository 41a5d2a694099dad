/**
 * Learning-rate schedules: pure functions of the number of optimizer steps taken, applied by setting
 * `opt.lr` before each step. Each follows a torch.optim.lr_scheduler (1.13) closed form
 * (`_get_closed_form_lr`), with `step` = torch's `last_epoch` = scheduler.step() calls so far = optimizer
 * steps taken. torch's default (chainable) forms compute the same values recursively, so they agree up
 * to float64 rounding — except CosineAnnealingLR chained after another scheduler with eta_min ≠ 0,
 * where torch's recursion is not multiplicative.
 */
import { WebRnnError } from '../errors.js';

/** A learning rate as a function of the optimizer steps taken so far. */
export interface LrSchedule {
  /** The lr of the step after `step` completed steps (step = 0: the first step). */
  lrAt(step: number): number;
}

const bad = (msg: string) => new WebRnnError('BAD_CONFIG', msg);
const posInt = (name: string, v: unknown) => {
  if (!Number.isInteger(v) || (v as number) < 1) throw bad(`${name} must be an integer ≥ 1, got ${String(v)}`);
  return v as number;
};
const finite = (name: string, v: unknown, min = -Infinity) => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw bad(`${name} must be a finite number${min > -Infinity ? ` ≥ ${min}` : ''}, got ${String(v)}`);
  return v;
};
const checkStep = (step: number) => {
  if (!Number.isInteger(step) || step < 0) throw new WebRnnError('BAD_VALUE', `a schedule's step must be an integer ≥ 0, got ${step}`);
};

/**
 * torch.optim.lr_scheduler.StepLR: lr = base_lr · gamma^⌊step / step_size⌋.
 *
 * @example
 * const s = new StepLR(0.1, { step_size: 30, gamma: 0.1 });
 * s.lrAt(29); // 0.1
 * s.lrAt(30); // 0.01 (up to rounding)
 */
export class StepLR implements LrSchedule {
  readonly step_size: number;
  readonly gamma: number;

  constructor(
    readonly base_lr: number,
    opts: { step_size: number; gamma?: number },
  ) {
    finite('base_lr', base_lr, 0);
    this.step_size = posInt('step_size', opts?.step_size);
    this.gamma = finite('gamma', opts.gamma ?? 0.1, 0);
  }

  lrAt(step: number): number {
    checkStep(step);
    return this.base_lr * this.gamma ** Math.floor(step / this.step_size);
  }
}

/**
 * torch.optim.lr_scheduler.CosineAnnealingLR (closed form, without restarts):
 * lr = eta_min + (base_lr − eta_min)·(1 + cos(π·step / T_max)) / 2. Like torch's closed form it is
 * periodic past T_max (it rises again); stop training at T_max or hold the lr yourself.
 *
 * @example
 * const s = new CosineAnnealingLR(1e-3, { T_max: 1000, eta_min: 1e-5 });
 * opt.lr = s.lrAt(opt.stepCount);
 */
export class CosineAnnealingLR implements LrSchedule {
  readonly T_max: number;
  readonly eta_min: number;

  constructor(
    readonly base_lr: number,
    opts: { T_max: number; eta_min?: number },
  ) {
    finite('base_lr', base_lr, 0);
    this.T_max = posInt('T_max', opts?.T_max);
    this.eta_min = finite('eta_min', opts.eta_min ?? 0, 0);
  }

  lrAt(step: number): number {
    checkStep(step);
    return this.eta_min + ((this.base_lr - this.eta_min) * (1 + Math.cos((Math.PI * step) / this.T_max))) / 2;
  }
}

/**
 * Linear warm-up in front of another schedule (or a constant lr), by torch.optim.lr_scheduler.LinearLR's
 * closed form with end_factor 1: factor(step) = start_factor + (1 − start_factor)·min(step, W)/W.
 *
 * - mode 'chained' (default) — torch's ChainedScheduler([LinearLR(…, total_iters=W), after]):
 *   lr = after.lrAt(step) · factor(step).
 * - mode 'sequential' — torch's SequentialLR([LinearLR(…, total_iters=W), after], milestones=[W]):
 *   lr = after.lrAt(0) · factor(step) for step < W, then after.lrAt(step − W).
 *
 * start_factor defaults to torch's 1/3; it must be in (0, 1].
 *
 * @example
 * const s = new LinearWarmup(new CosineAnnealingLR(1e-3, { T_max: 10_000 }), { warmup_steps: 500, start_factor: 0.01 });
 * for (let i = 0; i < 10_000; i++) {
 *   opt.lr = s.lrAt(opt.stepCount);
 *   lstm.forward(x);
 *   lstm.backward({ grad_output: dy });
 *   opt.step();
 * }
 */
export class LinearWarmup implements LrSchedule {
  readonly after: LrSchedule;
  readonly warmup_steps: number;
  readonly start_factor: number;
  readonly mode: 'chained' | 'sequential';

  constructor(after: LrSchedule | number, opts: { warmup_steps: number; start_factor?: number; mode?: 'chained' | 'sequential' }) {
    if (typeof after === 'number') {
      const lr = finite('lr', after, 0);
      this.after = { lrAt: () => lr };
    } else if (after && typeof after.lrAt === 'function') this.after = after;
    else throw bad('LinearWarmup needs a schedule or a learning rate to warm up to');
    this.warmup_steps = posInt('warmup_steps', opts?.warmup_steps);
    const f = opts.start_factor ?? 1 / 3;
    if (typeof f !== 'number' || !(f > 0 && f <= 1)) throw bad(`start_factor must be in (0, 1], got ${String(f)}`);
    this.start_factor = f;
    this.mode = opts.mode ?? 'chained';
    if (this.mode !== 'chained' && this.mode !== 'sequential') throw bad(`mode must be 'chained' or 'sequential', got ${String(this.mode)}`);
  }

  /** LinearLR's factor after `step` steps (1 from warmup_steps on). */
  factor(step: number): number {
    const W = this.warmup_steps;
    return this.start_factor + ((1 - this.start_factor) * Math.min(W, step)) / W;
  }

  lrAt(step: number): number {
    checkStep(step);
    if (this.mode === 'chained') return this.after.lrAt(step) * this.factor(step);
    return step < this.warmup_steps ? this.after.lrAt(0) * this.factor(step) : this.after.lrAt(step - this.warmup_steps);
  }
}

/**
 * Sets `opt.lr` for its next step from a schedule and returns it.
 *
 * @example
 * const sched = new StepLR(0.1, { step_size: 100, gamma: 0.5 });
 * applySchedule(opt, sched);
 * opt.step();
 */
export function applySchedule(opt: { lr: number; readonly stepCount: number }, schedule: LrSchedule): number {
  const lr = schedule.lrAt(opt.stepCount);
  opt.lr = lr;
  return lr;
}
