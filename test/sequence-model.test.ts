// SequenceModel plumbing: carried state equals one long forward; validation of batches and configs.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEngine, WebRnnError, type Engine } from '../src/index.js';
import { SequenceModel, sequenceModelSpecs } from '../src/model/sequence-model.js';
import { Rng } from '../src/random.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => engine?.dispose());

describe('SequenceModel', () => {
  test('a state carried over T/3-step windows gives the logits of one T-step forward (within 2e-5)', async () => {
    // proj_size 2: the carried h is 2 wide, c 5 wide, and the head reads 2 features
    for (const [mode, proj] of [['LSTM', 0], ['GRU', 0], ['LSTM', 2]] as const) {
      const model = new SequenceModel(engine, {
        embedding: { num_embeddings: 7, embedding_dim: 3 },
        rnn: { mode, input_size: 3, hidden_size: 5, num_layers: 2, ...(proj ? { proj_size: proj } : {}) },
        linear: { in_features: proj || 5, out_features: 7 },
        loss: 'cross_entropy',
        target: 'all_steps',
      }, { seed: 4 });
      const rng = new Rng(8);
      const B = 3, T = 12, W = 4;
      const tokens = new Int32Array(B * T).map(() => rng.int(0, 6)); // (B, T)
      const whole = await model.predict({ B, T, tokens }).read(); // (T, B, V)
      const st = model.createState(B);
      const parts: Float32Array[] = [];
      for (let w = 0; w < T / W; w++) {
        const win = new Int32Array(B * W);
        for (let b = 0; b < B; b++) for (let t = 0; t < W; t++) win[b * W + t] = tokens[b * T + w * W + t];
        parts.push(await model.predict({ B, T: W, tokens: win }, { state: st }).read());
      }
      const chunked = new Float32Array(whole.length);
      parts.forEach((p, w) => chunked.set(p, w * p.length)); // time-major windows stack along T
      const scale = Math.max(...whole.map(Math.abs));
      whole.forEach((v, i) => expect(Math.abs(chunked[i] - v)).toBeLessThanOrEqual(2e-5 * scale));
      // reset() starts over from zeros
      st.reset();
      const again = await model.predict({ B, T: W, tokens: tokens.filter((_, i) => i % T < W) }, { state: st }).read();
      again.forEach((v, i) => expect(Math.abs(v - whole[i])).toBeLessThanOrEqual(2e-5 * scale));
      expect(() => model.predict({ B: 2, T: W, tokens: new Int32Array(2 * W) }, { state: st })).toThrow(/state was made for B = 3/);
      st.dispose();
      model.dispose();
    }
  });

  test('seeded runs are reproducible: the same seed gives bit-identical weights after training (dropout on)', async () => {
    const { Adam } = await import('../src/optim/adam.js');
    const run = async (seed: number) => {
      const m = new SequenceModel(engine, {
        embedding: { num_embeddings: 9, embedding_dim: 4 },
        rnn: { mode: 'GRU', input_size: 4, hidden_size: 6, num_layers: 2, dropout: 0.3 },
        linear: { in_features: 6, out_features: 9 },
        loss: 'cross_entropy',
        target: 'all_steps',
      }, { seed });
      const opt = new Adam(engine, m.blocks(), { lr: 0.01 });
      const rng = new Rng(1);
      for (let i = 1; i <= 6; i++) {
        m.lossAndGrad({ B: 3, T: 5, tokens: new Int32Array(15).map(() => rng.int(0, 8)), targets: new Int32Array(15).map(() => rng.int(0, 8)), lengths: [5, 2, 4] });
        await opt.stepChecked(i);
      }
      const w = await m.stateDict();
      opt.dispose();
      m.dispose();
      return w;
    };
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    for (const k of Object.keys(a)) expect(Buffer.from(a[k].buffer).equals(Buffer.from(b[k].buffer)), k).toBe(true);
    expect(Buffer.from(a['rnn.weight_hh_l1'].buffer).equals(Buffer.from(c['rnn.weight_hh_l1'].buffer))).toBe(false);
  });

  test('configs and batches are checked before any GPU work', () => {
    const base = { embedding: null, rnn: { mode: 'GRU' as const, input_size: 2, hidden_size: 4, bidirectional: true }, linear: { in_features: 8, out_features: 3 }, loss: 'mse' as const, target: 'last_step' as const };
    expect(sequenceModelSpecs(base).map((s) => s.name)).toEqual([
      'rnn.weight_ih_l0', 'rnn.weight_hh_l0', 'rnn.bias_ih_l0', 'rnn.bias_hh_l0',
      'rnn.weight_ih_l0_reverse', 'rnn.weight_hh_l0_reverse', 'rnn.bias_ih_l0_reverse', 'rnn.bias_hh_l0_reverse',
      'linear.weight', 'linear.bias',
    ]);
    expect(() => sequenceModelSpecs({ ...base, linear: { in_features: 4, out_features: 3 } })).toThrow(/D·H = 8, got 4/);
    expect(() => sequenceModelSpecs({ ...base, target: 'middle' as never })).toThrow(WebRnnError);
    const m = new SequenceModel(engine, base);
    expect(() => m.lossAndGrad({ B: 2, T: 3, input: new Float32Array(12), targets: new Float32Array(5) })).toThrow(/targets must be a Float32Array of 6 values \(B, O\)/);
    expect(() => m.lossAndGrad({ B: 2, T: 3, tokens: new Int32Array(6), targets: new Float32Array(6) })).toThrow(/input must be/);
    expect(() => m.lossAndGrad({ B: 2, T: 3, input: new Float32Array(12), targets: new Float32Array(6), lengths: [3, 4] })).toThrow(/lengths\[1\] = 4/);
    m.dispose();
  });
});
