// Dropout between stacked recurrent layers: the GPU mask must be exactly the documented hash
// (re-implemented on the CPU in test/gpu/dropout-mask.ts, shared with the cross-host cases in
// test/gpu/dropout-cases.ts), applied to layer outputs in the forward and to their gradients in the
// backward; the composed result is checked against the float64 reference run layer by layer.
// Tolerances as in test/gpu/cases.ts: 2e-5 (forward), 1e-4 (gradients) relative to max |ref|.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEngine, Recurrent, type Engine, type RecurrentConfig } from '../src/index.js';
import { refRecurrentBackward, refRecurrentForward } from './reference/recurrent.js';
import { randomParams, Rng } from './reference/random.js';
import { dropoutMask as mask } from './gpu/dropout-mask.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => engine?.dispose());

const rel = (got: Float32Array, want: Float64Array) => {
  let e = 0;
  let s = 0;
  want.forEach((v, i) => {
    e = Math.max(e, Math.abs(got[i] - v));
    s = Math.max(s, Math.abs(v));
  });
  return e / (s || 1);
};

describe('dropout between layers', () => {
  test('2-layer bidirectional LSTM with dropout matches the reference composed with the same mask', async () => {
    const p = 0.3;
    const seed = 7;
    const T = 6, B = 3, I = 4, H = 5, D = 2;
    const cfg: RecurrentConfig = { mode: 'LSTM', input_size: I, hidden_size: H, num_layers: 2, bidirectional: true, dropout: p };
    const rng = new Rng(11);
    const params = randomParams(cfg, rng);
    const x = rng.uniformArray(T * B * I, -1, 1);
    const gOut = rng.uniformArray(T * B * D * H, -1, 1);
    const lengths = [6, 2, 4];

    // reference: layer 0, mask, layer 1 — each a one-layer stack with its parameters renamed to l0
    const one = (l: number, inSize: number) => {
      const c: RecurrentConfig = { mode: 'LSTM', input_size: inSize, hidden_size: H, bidirectional: true };
      const ps: Record<string, Float64Array> = {};
      for (const [k, v] of Object.entries(params)) if (k.includes(`_l${l}`)) ps[k.replace(`_l${l}`, '_l0')] = v;
      return { c, ps };
    };
    const l0 = one(0, I);
    const l1 = one(1, D * H);
    const in0 = { input: x, T, B, lengths };
    const f0 = refRecurrentForward(l0.c, l0.ps, in0);
    const m = mask(T * B * D * H, p, seed, 1, 0);
    const y0 = f0.output.map((v, i) => v * m[i]);
    const in1 = { input: y0, T, B, lengths };
    const f1 = refRecurrentForward(l1.c, l1.ps, in1);
    const g1 = refRecurrentBackward(l1.c, l1.ps, in1, f1, { grad_output: gOut });
    const g0 = refRecurrentBackward(l0.c, l0.ps, in0, f0, { grad_output: g1.grad_input.map((v, i) => v * m[i]) });

    const rnn = new Recurrent(engine, cfg, { seed });
    const sd: Record<string, Float32Array> = {};
    for (const [k, v] of Object.entries(params)) sd[k] = Float32Array.from(v);
    rnn.loadStateDict(sd);
    engine.device.pushErrorScope('validation');
    const out = rnn.forward(engine.tensor(Float32Array.from(x), [T, B, I]), { lengths });
    expect(rel(await out.output.read(), f1.output)).toBeLessThanOrEqual(2e-5);
    const g = rnn.backward({ grad_output: engine.tensor(Float32Array.from(gOut), [T, B, D * H]) });
    expect(rel(await g.grad_input.read(), g0.grad_input)).toBeLessThanOrEqual(1e-4);
    expect(rel(await g.grads.weight_hh_l0.read(), g0.grads.weight_hh_l0)).toBeLessThanOrEqual(1e-4);
    expect(rel(await g.grads.weight_ih_l1_reverse.read(), g1.grads.weight_ih_l0_reverse)).toBeLessThanOrEqual(1e-4);
    expect(await engine.device.popErrorScope()).toBeNull();
    // the mask really drops about p of the units
    const zeros = m.filter((v) => v === 0).length / m.length;
    expect(Math.abs(zeros - p)).toBeLessThan(0.15);

    // a second forward draws a new mask; eval() turns dropout off (= the reference without dropout)
    const x32 = engine.tensor(Float32Array.from(x), [T, B, I]);
    const a = await rnn.forward(x32, { lengths }).output.read();
    expect(rel(a, f1.output)).toBeGreaterThan(1e-3);
    rnn.eval();
    const e = await rnn.forward(x32, { lengths }).output.read();
    const plain = refRecurrentForward({ ...cfg, dropout: 0 }, params, in0);
    expect(rel(e, plain.output)).toBeLessThanOrEqual(2e-5);
    rnn.dispose();
  });

  test('dropout must be in [0, 1)', () => {
    expect(() => new Recurrent(engine, { mode: 'GRU', input_size: 2, hidden_size: 2, dropout: 1 })).toThrow(/dropout must be a number in \[0, 1\)/);
  });
});
