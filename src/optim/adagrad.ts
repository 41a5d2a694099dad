import type { Engine } from '../gpu/engine.js';
import type { ParameterBlock } from '../layers/parameter-store.js';
import { Optimizer } from './optimizer.js';
import { resolveAdagradOptions, type AdagradOptions, type ResolvedAdagradOptions } from './options.js';
import * as shaders from '../gpu/shader-sources.gen.js';

/**
 * torch.optim.Adagrad (1.13, single-tensor path) on the GPU: the optimizer of
 * the GloVe paper, and the natural one for embedding tables trained with sparse gradients — a row a
 * batch does not touch has gradient 0 and stays exactly as it is, sum included (Adam's moments would
 * keep moving it; with weight_decay every entry of p ≠ 0 moves, as in torch). Gradient clipping (clip_value, then clip_norm over all blocks) is folded into the
 * update kernel (shaders/adagrad_step.wgsl); the step's learning rate clr = lr / (1 + (t − 1)·lr_decay)
 * is computed in float64 on the host. State: `sum` per block (torch's name), starting at
 * initial_accumulator_value.
 *
 * @example
 * const glove = new GloVe(engine, { vocab_size: 1000, embedding_dim: 50 });
 * const opt = new Adagrad(engine, glove.blocks(), { lr: 0.05, initial_accumulator_value: 1, clip_norm: 5 });
 * const batch = { rows: Uint32Array.of(1, 2), cols: Uint32Array.of(3, 4), counts: Float32Array.of(2, 7) };
 * glove.lossAndGrad(batch);
 * await opt.stepChecked(1);
 */
export class Adagrad extends Optimizer {
  readonly options: Readonly<ResolvedAdagradOptions>;

  constructor(engine: Engine, blocks: readonly ParameterBlock[], options: AdagradOptions = {}, grid?: { reduce?: number; update?: number }) {
    const o = resolveAdagradOptions(options);
    const { lr, weight_decay, ...rest } = o;
    // The saved state names weight_decay only when it is set, so states and checkpoints written before
    // Adagrad had it (all without) still load, and one with decay never loads into one without.
    super(engine, blocks, 'Adagrad', lr, o, weight_decay ? { ...rest, weight_decay } : rest, {
      kernel: shaders.adagrad_step,
      params: { eps: o.eps, weight_decay: o.weight_decay, clip_value: o.clip_value ?? 0, has_clip_value: o.clip_value === undefined ? 0 : 1 },
      slots: [{ name: 'sum', binding: 'sum', used: true, init: o.initial_accumulator_value }],
    }, grid);
    this.options = o;
  }

  protected override stepScalars(t: number, lr: number): Record<string, number> {
    return { clr: lr / (1 + (t - 1) * this.options.lr_decay) };
  }
}
