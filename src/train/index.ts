/**
 * Training on the GPU: optimizers (torch.optim SGD, Adam, AdamW), gradient clipping by value and by
 * global norm, the global gradient norm, and learning-rate schedules.
 *
 * @example
 * import { Adam, LinearWarmup, CosineAnnealingLR, applySchedule } from './train/index.js';
 * const opt = new Adam(engine, [lstm.parameters], { lr: 1e-3, clip_norm: 5 });
 * const sched = new LinearWarmup(new CosineAnnealingLR(1e-3, { T_max: 5000 }), { warmup_steps: 200, start_factor: 0.01 });
 * applySchedule(opt, sched);
 * await opt.stepChecked();
 */
export { SGD } from './sgd.js';
export { Adam, AdamW } from './adam.js';
export { Optimizer, type OptimizerState, type OptimizerStep } from './optimizer.js';
export { GradNorm, NORM_RING, type NormHandle } from './grad-norm.js';
export { adamScalars } from './bias-correction.js';
export { applySchedule, CosineAnnealingLR, LinearWarmup, StepLR, type LrSchedule } from './schedule.js';
export type { AdamOptions, ClipOptions, ResolvedAdamOptions, ResolvedSGDOptions, SGDOptions } from './options.js';
