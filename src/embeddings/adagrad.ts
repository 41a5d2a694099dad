import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { Program } from '../gpu/program.js';
import { Recorder } from '../gpu/recorder.js';
import type { ParameterBlock } from '../layers/parameter-store.js';

export interface AdagradOptions {
  lr?: number;
  lr_decay?: number;
  eps?: number;
  /** Starting value of every state_sum entry (default 0, as torch; GloVe's reference code uses 1). */
  initial_accumulator_value?: number;
}

const GROUP = 256;

/**
 * torch.optim.Adagrad (1.13, without weight decay) on the GPU: the optimizer of the GloVe paper, and
 * the natural one for embedding tables trained with sparse gradients — a row a batch does not touch
 * has gradient 0 and stays exactly as it is (Adam's moments would keep moving it). One dispatch per
 * block (shaders/adagrad_step.wgsl); the per-step learning rate clr = lr / (1 + (t − 1)·lr_decay) is
 * a uniform written before the submission. State: `state_sum` per block.
 *
 * @example
 * const opt = new Adagrad(engine, glove.blocks(), { lr: 0.05, initial_accumulator_value: 1 });
 * glove.lossAndGrad(batch);
 * opt.step();
 */
export class Adagrad {
  readonly options: Readonly<Required<AdagradOptions>>;
  private readonly rec: Recorder;
  private readonly program = new Program();
  private readonly scalars: GPUBuffer;
  private readonly sums: GPUBuffer[] = [];
  private t = 0;
  private disposed = false;

  constructor(
    private readonly engine: Engine,
    readonly blocks: readonly ParameterBlock[],
    options: AdagradOptions = {},
  ) {
    for (const k of Object.keys(options)) {
      if (!['lr', 'lr_decay', 'eps', 'initial_accumulator_value'].includes(k)) throw new WebRnnError('BAD_CONFIG', `Adagrad: unknown option "${k}"`);
    }
    const o = { lr: options.lr ?? 0.01, lr_decay: options.lr_decay ?? 0, eps: options.eps ?? 1e-10, initial_accumulator_value: options.initial_accumulator_value ?? 0 };
    for (const [k, v] of Object.entries(o)) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new WebRnnError('BAD_CONFIG', `Adagrad: ${k} must be a finite number ≥ 0, got ${JSON.stringify(v)}`);
    }
    this.options = Object.freeze(o);
    this.rec = new Recorder(engine, 'Adagrad');
    try {
      const k = engine.kernel('adagrad_step');
      this.scalars = this.rec.uniform(k.packUniform('S', { clr: o.lr }), 'step scalars');
      const cap = engine.device.limits.maxComputeWorkgroupsPerDimension;
      blocks.forEach((b, i) => {
        const sum = this.rec.buffer(b.parameterCount * 4, `state_sum[${i}]`);
        if (o.initial_accumulator_value !== 0) engine.device.queue.writeBuffer(sum, 0, new Float32Array(b.parameterCount).fill(o.initial_accumulator_value));
        this.sums.push(sum);
        const g = this.rec.bind(k, { n: b.parameterCount, eps: o.eps }, { S: this.scalars, grads: b.grads, params: b.params, sum }, `block ${i}`);
        this.program.dispatch(k, [g], [Math.min(Math.ceil(b.parameterCount / GROUP), cap), 1, 1]);
      });
    } catch (e) {
      this.rec.dispose();
      throw e;
    }
  }

  /** Steps taken so far. */
  get stepCount(): number {
    return this.t;
  }

  /** One update of every block from its gradient buffer (one submission, nothing read back). */
  step(): void {
    if (this.disposed) throw new WebRnnError('DISPOSED', 'this Adagrad optimizer was disposed');
    this.t++;
    const clr = this.options.lr / (1 + (this.t - 1) * this.options.lr_decay);
    this.engine.device.queue.writeBuffer(this.scalars, 0, this.engine.kernel('adagrad_step').packUniform('S', { clr }));
    this.engine.run(this.program);
  }

  /** The state_sum of each block, read back. */
  async state(): Promise<Float32Array[]> {
    return Promise.all(this.sums.map((s, i) => this.engine.readBuffer(s, 0, this.blocks[i].parameterCount)));
  }

  dispose(): void {
    if (this.disposed) return;
    this.rec.dispose();
    this.disposed = true;
  }
}
