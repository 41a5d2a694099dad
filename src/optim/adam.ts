import type { Engine } from '../gpu/engine.js';
import type { ParameterBlock } from '../layers/parameter-store.js';
import { adamScalars } from './bias-correction.js';
import { Optimizer, type UpdateKernel } from './optimizer.js';
import { resolveAdamOptions, type AdamOptions, type ResolvedAdamOptions } from './options.js';
import * as shaders from '../gpu/shader-sources.gen.js';

type Grid = { reduce?: number; update?: number };

function adamKernel(o: ResolvedAdamOptions, decoupled: boolean): UpdateKernel {
  return {
    kernel: shaders.adam_step,
    params: {
      beta1: o.betas[0],
      one_minus_beta1: 1 - o.betas[0],
      beta2: o.betas[1],
      one_minus_beta2: 1 - o.betas[1],
      eps: o.eps,
      weight_decay: o.weight_decay,
      decoupled: decoupled ? 1 : 0,
      amsgrad: o.amsgrad ? 1 : 0,
      clip_value: o.clip_value ?? 0,
      has_clip_value: o.clip_value === undefined ? 0 : 1,
    },
    slots: [
      { name: 'exp_avg', binding: 'm', used: true },
      { name: 'exp_avg_sq', binding: 'v', used: true },
      { name: 'max_exp_avg_sq', binding: 'vmax', used: o.amsgrad },
    ],
  };
}

/**
 * torch.optim.Adam (1.13, single-tensor path) on the GPU: bias-corrected moments, L2 weight decay
 * added to the gradient, optional AMSGrad, and gradient clipping (clip_value, then clip_norm over all
 * blocks) folded into the update kernel (shaders/adam_step.wgsl). Per-step scalars are computed in
 * float64 (adamScalars in bias-correction.ts). State: `exp_avg`, `exp_avg_sq` (and `max_exp_avg_sq`) per block.
 *
 * @example
 * const opt = new Adam(engine, [...lstm.blocks(), ...head.blocks()], { lr: 2e-3, clip_norm: 5 });
 * const { output } = lstm.forward(x);                 // x (T, B, I) -> output (T, B, H)
 * const y = head.forward(output);                     // (T, B, classes)
 * const { grad_input } = head.backward(engine.tensor(new Float32Array(y.size).fill(1), y.shape));
 * lstm.backward({ grad_output: grad_input });
 * await opt.stepChecked(1);
 */
export class Adam extends Optimizer {
  readonly options: Readonly<ResolvedAdamOptions>;
  private readonly decoupled: boolean;

  constructor(engine: Engine, blocks: readonly ParameterBlock[], options: AdamOptions = {}, grid?: Grid) {
    const o = resolveAdamOptions(options, false);
    const { lr, ...rest } = o;
    super(engine, blocks, 'Adam', lr, o, { ...rest, betas: [...o.betas] }, adamKernel(o, false), grid);
    this.options = o;
    this.decoupled = false;
  }

  protected override stepScalars(t: number, lr: number): Record<string, number> {
    return adamScalars(t, lr, this.options.betas, this.options.weight_decay, this.decoupled);
  }
}

/**
 * torch.optim.AdamW (1.13, single-tensor path) on the GPU: Adam with decoupled weight decay,
 * p ← p·(1 − lr·weight_decay) before the moment update; weight_decay defaults to 1e-2.
 *
 * @example
 * const opt = new AdamW(engine, lstm.blocks(), { lr: 1e-3, weight_decay: 0.05, amsgrad: true });
 * opt.step();
 */
export class AdamW extends Optimizer {
  readonly options: Readonly<ResolvedAdamOptions>;

  constructor(engine: Engine, blocks: readonly ParameterBlock[], options: AdamOptions = {}, grid?: Grid) {
    const o = resolveAdamOptions(options, true);
    const { lr, ...rest } = o;
    super(engine, blocks, 'AdamW', lr, o, { ...rest, betas: [...o.betas] }, adamKernel(o, true), grid);
    this.options = o;
  }

  protected override stepScalars(t: number, lr: number): Record<string, number> {
    return adamScalars(t, lr, this.options.betas, this.options.weight_decay, true);
  }
}
