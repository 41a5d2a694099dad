// End-to-end training on the GPU: Embedding → LSTM → Dense → CrossEntropyLoss (sequence mask) → Adam
// (clip_norm) on a tiny character language model — the next character of a repeated phrase, a padded
// batch of rows with different lengths, padding_idx on the padding token. Checked against the float64
// reference of the same composed model trained by the float64 Adam (test/reference/optim.ts):
// - step 1: the loss (TOL_FORWARD) and every parameter gradient (TOL_GRAD);
// - every step: the loss within TOL_TRAJECTORY (relative) of the reference run's loss at that step;
// - at the end: every loss finite, the last below LOSS_FRACTION of the first, the padding row still 0.
import { parameterSpecs, type RecurrentConfig } from '../../src/layers/recurrent-config.js';
import type { Engine } from '../../src/gpu/engine.js';
import { Dense } from '../../src/layers/dense.js';
import { Embedding } from '../../src/layers/embedding.js';
import { Recurrent } from '../../src/layers/recurrent.js';
import { CrossEntropyLoss } from '../../src/losses/cross-entropy.js';
import { sequenceMask } from '../../src/losses/mask.js';
import { Rng } from '../../src/random.js';
import { refDenseBackward, refDenseForward } from '../reference/dense.js';
import { refEmbeddingBackward, refEmbeddingForward } from '../reference/embedding.js';
import { refCrossEntropy } from '../reference/losses.js';
import { RefAdam } from '../reference/optim.js';
import { randomParams } from '../reference/random.js';
import { refRecurrentBackward, refRecurrentForward } from '../reference/recurrent.js';
import { Adam } from '../../src/optim/adam.js';
import type { AdamOptions } from '../../src/optim/options.js';
import { f32, rounded, runCase, type CaseResult } from './check.js';

/** The loss after the last step must be below this fraction of the first step's loss. */
export const LOSS_FRACTION = 0.1;
/**
 * How far (relative) the GPU's loss may drift from the float64 training run's at any step. Float32
 * rounding compounds over the steps: on lavapipe the drift stays near 1e-5 after 30 steps.
 */
export const TOL_TRAJECTORY = 1e-3;

export interface TrainCase {
  kind: 'train';
  name: string;
  text: string;
  T: number;
  /** one batch row each: where in the text the row starts, and its length (≤ T) */
  rows: { start: number; length: number }[];
  E: number;
  H: number;
  steps: number;
  adam: AdamOptions;
  seed: number;
}

export function trainCases(): TrainCase[] {
  const c: Omit<TrainCase, 'kind' | 'name'> = {
    text: 'hello world ',
    T: 12,
    rows: [{ start: 0, length: 12 }, { start: 3, length: 9 }, { start: 7, length: 12 }, { start: 10, length: 5 }],
    E: 8,
    H: 16,
    steps: 30,
    adam: { lr: 0.05, clip_norm: 5 },
    seed: 900,
  };
  return [{
    kind: 'train', ...c,
    name: `train: Embedding → LSTM → Dense → cross-entropy (sequence mask) → Adam, ${c.steps} steps on "${c.text}", vs float64 training; loss below ${LOSS_FRACTION}× its start`,
  }];
}

const PAD = 0;
const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * The model's parameters as the optimizer sees them: three flat blocks (embedding weight; LSTM in
 * state_dict order; dense weight then bias) — the layout of each layer's ParameterStore.
 */
class Model {
  constructor(
    readonly blocks: Float64Array[],
    private readonly lstmCfg: RecurrentConfig,
    private readonly V: number,
    private readonly E: number,
    private readonly H: number,
  ) {}

  get embedding(): Float64Array {
    return this.blocks[0];
  }

  lstm(): Record<string, Float64Array> {
    const out: Record<string, Float64Array> = {};
    let o = 0;
    for (const s of parameterSpecs(this.lstmCfg)) {
      out[s.name] = this.blocks[1].subarray(o, o + numel(s.shape));
      o += numel(s.shape);
    }
    return out;
  }

  get denseWeight(): Float64Array {
    return this.blocks[2].subarray(0, this.V * this.H);
  }

  get denseBias(): Float64Array {
    return this.blocks[2].subarray(this.V * this.H);
  }

  /** Loss and gradients (one array per block) of one batch, in float64. */
  lossAndGrads(tokens: Int32Array, targets: Int32Array, T: number, B: number, lengths: number[], mask: Uint8Array) {
    const { V, E, H } = this;
    const P = this.lstm();
    const rin = { input: refEmbeddingForward(tokens, this.embedding, E), T, B, lengths };
    const rf = refRecurrentForward(this.lstmCfg, P, rin);
    const logits = refDenseForward(rf.output, this.denseWeight, this.denseBias, H, V);
    const rl = refCrossEntropy(logits, targets, V, { mask });
    const rd = refDenseBackward(rf.output, this.denseWeight, rl.grad_input, H, V, true);
    const rr = refRecurrentBackward(this.lstmCfg, P, rin, rf, { grad_output: rd.grad_input });
    const gEmb = refEmbeddingBackward(tokens, rr.grad_input, V, E, PAD);
    const gLstm = new Float64Array(this.blocks[1].length);
    let o = 0;
    for (const s of parameterSpecs(this.lstmCfg)) {
      gLstm.set(rr.grads[s.name], o);
      o += numel(s.shape);
    }
    const gDense = new Float64Array(this.blocks[2].length);
    gDense.set(rd.grads.weight);
    gDense.set(rd.grads.bias!, V * H);
    return { loss: rl.loss, grads: [gEmb, gLstm, gDense], lstm: rr.grads, dense: rd.grads };
  }
}

export function runTrainCase(engine: Engine, c: TrainCase): Promise<CaseResult> {
  return runCase(engine, c.name, async (t) => {
    const { T, E, H } = c;
    const B = c.rows.length;
    const chars = [...new Set(c.text)];
    const V = chars.length + 1; // id 0 is padding
    const id = (ch: string) => chars.indexOf(ch) + 1;
    const lengths = c.rows.map((r) => r.length);
    const tokens = new Int32Array(T * B).fill(PAD); // (T, B), time-major
    const targets = new Int32Array(T * B).fill(PAD);
    c.rows.forEach((r, b) => {
      for (let s = 0; s < r.length; s++) {
        tokens[s * B + b] = id(c.text[(r.start + s) % c.text.length]);
        targets[s * B + b] = id(c.text[(r.start + s + 1) % c.text.length]);
      }
    });
    const mask = sequenceMask(lengths, T);

    // Parameters drawn here (rounded to float32) so the reference starts from exactly the GPU's values.
    const rng = new Rng(c.seed);
    const lstmCfg: RecurrentConfig = { mode: 'LSTM', input_size: E, hidden_size: H };
    const Wemb = rounded(rng.normalArray(V * E));
    Wemb.fill(0, PAD * E, (PAD + 1) * E);
    const lstmP = randomParams(lstmCfg, rng);
    const lstmFlat = rounded(parameterSpecs(lstmCfg).flatMap((s) => [...lstmP[s.name]]));
    const kd = 1 / Math.sqrt(H);
    const denseFlat = rounded(rng.uniformArray(V * H + V, -kd, kd));
    const ref = new Model([Wemb, lstmFlat, denseFlat], lstmCfg, V, E, H);

    const emb = t.own(new Embedding(engine, { num_embeddings: V, embedding_dim: E, padding_idx: PAD }));
    emb.loadStateDict({ weight: ref.embedding });
    const lstm = t.own(new Recurrent(engine, lstmCfg));
    lstm.loadStateDict(ref.lstm());
    const dense = t.own(new Dense(engine, { in_features: H, out_features: V }));
    dense.loadStateDict({ weight: ref.denseWeight, bias: ref.denseBias });
    const ce = t.own(new CrossEntropyLoss(engine));
    const opt = t.own(new Adam(engine, [emb.store, lstm.store, dense.store], c.adam));
    // the reference model trains copies of the same blocks (loadStateDict copied them to the GPU above)
    const refModel = new Model(ref.blocks.map((b) => Float64Array.from(b)), lstmCfg, V, E, H);
    const refOpt = new RefAdam(refModel.blocks, c.adam);

    const losses: number[] = [];
    let drift = 0;
    for (let step = 1; step <= c.steps; step++) {
      const xe = emb.forward(tokens, [T, B]);
      const { output } = lstm.forward(xe, { lengths });
      const y = dense.forward(output);
      const { loss, grad_input } = ce.forward(y, targets, { mask });
      const gd = dense.backward(grad_input);
      const gl = lstm.backward({ grad_output: gd.grad_input });
      const ge = emb.backward(gl.grad_input);
      const value = (await loss.read())[0];
      losses.push(value);
      const r = refModel.lossAndGrads(tokens, targets, T, B, lengths, mask);
      if (step === 1) {
        t.check('step 1 loss', [value], [r.loss], 'forward');
        t.check('step 1 grad embedding.weight', await ge.grads.weight.read(), r.grads[0], 'grad');
        for (const s of parameterSpecs(lstmCfg)) t.check(`step 1 grad lstm.${s.name}`, await gl.grads[s.name].read(), r.lstm[s.name], 'grad');
        t.check('step 1 grad dense.weight', await gd.grads.weight.read(), r.dense.weight, 'grad');
        t.check('step 1 grad dense.bias', await gd.grads.bias!.read(), r.dense.bias!, 'grad');
      }
      const d = Math.abs(value - r.loss) / Math.abs(r.loss);
      drift = Math.max(drift, d);
      t.expect(d <= TOL_TRAJECTORY, `step ${step}: loss ${value}, float64 training ${r.loss} (rel ${d.toExponential(2)} > ${TOL_TRAJECTORY})`);
      if (!Number.isFinite(value) || !(d <= TOL_TRAJECTORY)) break;
      opt.step();
      refOpt.step(r.grads);
    }
    const first = losses[0];
    const last = losses[losses.length - 1];
    t.expect(losses.every(Number.isFinite), `loss not finite: ${losses.join(', ')}`);
    t.expect(losses.length === c.steps, `stopped after ${losses.length} of ${c.steps} steps`);
    t.expect(last < LOSS_FRACTION * first, `loss ${first.toFixed(4)} → ${last.toFixed(4)}, not below ${LOSS_FRACTION}× its start`);
    // no gradient reaches the padding row, and Adam without weight decay leaves it at exactly 0
    const w = (await emb.stateDict()).weight;
    t.expect(w.subarray(PAD * E, (PAD + 1) * E).every((v) => v === 0), 'the padding row of the embedding changed');
    t.note(`loss ${first.toFixed(4)} → ${last.toFixed(4)} (${(last / first).toFixed(4)}×) in ${losses.length} steps, drift from float64 training ≤ ${drift.toExponential(2)}`);
  });
}
