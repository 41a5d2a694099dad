import type { Engine } from '../gpu/engine.js';
import type { ParameterBlock } from '../layers/parameter-store.js';
import { Optimizer } from './optimizer.js';
import { resolveSGDOptions, type ResolvedSGDOptions, type SGDOptions } from './options.js';
import * as shaders from '../gpu/shader-sources.gen.js';

/**
 * torch.optim.SGD (1.13, single-tensor path) on the GPU: momentum, dampening, Nesterov and L2 weight
 * decay, with optional gradient clipping (clip_value, then clip_norm over all blocks) folded into the
 * update kernel (shaders/sgd_step.wgsl). The momentum buffer starts as the first step's update
 * direction, as torch's does. State: `momentum_buffer` per block when momentum ≠ 0.
 *
 * @example
 * const opt = new SGD(engine, lstm.blocks(), { lr: 0.1, momentum: 0.9, nesterov: true, clip_norm: 1 });
 * for (let i = 0; i < 100; i++) {
 *   lstm.forward(x);                                   // x (T, B, I)
 *   lstm.backward({ grad_output: dy });                // dy (T, B, H)
 *   opt.step();
 * }
 * opt.dispose();
 */
export class SGD extends Optimizer {
  readonly options: Readonly<ResolvedSGDOptions>;

  constructor(engine: Engine, blocks: readonly ParameterBlock[], options: SGDOptions, grid?: { reduce?: number; update?: number }) {
    const o = resolveSGDOptions(options);
    const { lr, ...rest } = o;
    super(engine, blocks, 'SGD', lr, o, rest, {
      kernel: shaders.sgd_step,
      params: {
        weight_decay: o.weight_decay,
        momentum: o.momentum,
        one_minus_dampening: 1 - o.dampening,
        has_momentum: o.momentum !== 0 ? 1 : 0,
        nesterov: o.nesterov ? 1 : 0,
        clip_value: o.clip_value ?? 0,
        has_clip_value: o.clip_value === undefined ? 0 : 1,
      },
      slots: [{ name: 'momentum_buffer', binding: 'buf', used: o.momentum !== 0 }],
    }, grid);
    this.options = o;
  }

  protected override stepScalars(t: number, lr: number): Record<string, number> {
    return { lr, first: t === 1 ? 1 : 0 };
  }
}
