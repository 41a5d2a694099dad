// AttentionDecoder (Bahdanau attention + LSTM cell, teacher forcing): the float64 reference against
// central finite differences, the GPU against the reference (seeded random cases with odd sizes,
// Tx ≠ Ty, variable source and target lengths, B not a multiple of 4), attention weights that sum to
// 1 over valid positions and are exactly 0 on padded ones, step-by-step decoding equal to the
// teacher-forced forward, determinism, validation before any GPU work, and dispose().
//
// Tolerances (max |got − want| / max |want| per tensor): GPU forward 2e-5, GPU gradients 1e-4;
// reference vs finite differences 1e-7 (h = 1e-6, float64).
// Every GPU check runs inside validation and out-of-memory error scopes and fails on any error.
import { describe, expect, test } from 'vitest';
import { attentionDecoderSpecs, type AttentionDecoderConfig } from '../src/layers/attention-config.js';
import { AttentionDecoder } from '../src/layers/attention-decoder.js';
import { Rng } from '../src/random.js';
import { refAttentionDecoderBackward, refAttentionDecoderForward, type RefAttentionInputs } from './reference/attention.js';
import { code, dot, engine, expectCloseLoggingWorst, f32, numericGrad, scoped, TOL_FORWARD, TOL_GRAD, useEngine } from './helpers/gpu-test.js';

const TOL_FD = 1e-7;

useEngine();
const expectClose = expectCloseLoggingWorst('attention');

/** Random parameters, U(−scale, scale): larger than PyTorch's bounds so attention is far from uniform. */
function randomParams(config: AttentionDecoderConfig, rng: Rng, scale = 0.6): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  for (const s of attentionDecoderSpecs(config)) out[s.name] = rng.uniformArray(s.shape.reduce((a, b) => a * b, 1), -scale, scale);
  return out;
}

interface Case {
  name: string;
  config: AttentionDecoderConfig;
  Tx: number;
  Ty: number;
  B: number;
  source_lengths?: number[];
  lengths?: number[];
}

function randomInputs(c: Case, rng: Rng): RefAttentionInputs {
  const { Tx, Ty, B } = c;
  return {
    Tx, Ty, B,
    input: rng.uniformArray(Ty * B * c.config.input_size),
    annotations: rng.uniformArray(Tx * B * c.config.annotation_size),
    ...(c.source_lengths ? { source_lengths: c.source_lengths } : {}),
    ...(c.lengths ? { lengths: c.lengths } : {}),
  };
}

/** The reference's own output conventions: zero upstream gradient where the output is padding. */
function randomUpstream(c: Case, rng: Rng): Float64Array {
  const H = c.config.hidden_size;
  const g = rng.uniformArray(c.Ty * c.B * H);
  for (let t = 0; t < c.Ty; t++) for (let b = 0; b < c.B; b++) if (t >= (c.lengths?.[b] ?? c.Ty)) g.fill(0, (t * c.B + b) * H, (t * c.B + b + 1) * H);
  return g;
}

const cfg = (E: number, A: number, H: number, N: number): AttentionDecoderConfig => ({ input_size: E, annotation_size: A, hidden_size: H, attention_size: N });

const CASES: Case[] = [
  { name: 'Tx 7 > Ty 5, B 5, odd sizes, both lengths vary', config: cfg(3, 6, 9, 7), Tx: 7, Ty: 5, B: 5, source_lengths: [7, 3, 1, 5, 6], lengths: [5, 2, 4, 1, 5] },
  { name: 'Tx 4 < Ty 9, B 3, full lengths', config: cfg(5, 10, 13, 5), Tx: 4, Ty: 9, B: 3 },
  { name: 'Tx 1, Ty 1, B 1', config: cfg(2, 4, 3, 2), Tx: 1, Ty: 1, B: 1 },
  { name: 'Tx 11, Ty 8, B 13, H 70 (two hidden workgroups), N 67 (> 64 invocations)', config: cfg(7, 18, 70, 67), Tx: 11, Ty: 8, B: 13,
    source_lengths: [11, 2, 9, 1, 11, 5, 7, 3, 10, 8, 4, 6, 11], lengths: [8, 1, 3, 8, 5, 2, 7, 8, 6, 4, 8, 1, 2] },
  { name: 'Tx 70 (> 64 invocations over t′), A 70 (over features), Ty 3, B 2', config: cfg(4, 70, 8, 5), Tx: 70, Ty: 3, B: 2, source_lengths: [70, 66], lengths: [3, 2] },
];

describe('float64 reference vs finite differences', () => {
  test('every parameter, the inputs and the annotations, with variable lengths', () => {
    const rng = new Rng(31);
    const c: Case = { name: 'fd', config: cfg(2, 4, 3, 3), Tx: 4, Ty: 3, B: 3, source_lengths: [4, 2, 1], lengths: [3, 1, 2] };
    const params = randomParams(c.config, rng, 1);
    const inputs = randomInputs(c, rng);
    const G = randomUpstream(c, rng);
    // L = Σ output·G (G is 0 at padded steps).
    const f = () => dot(refAttentionDecoderForward(c.config, params, inputs).output, G);
    const fwd = refAttentionDecoderForward(c.config, params, inputs);
    const g = refAttentionDecoderBackward(c.config, params, inputs, fwd, G);
    for (const s of attentionDecoderSpecs(c.config)) expectClose(s.name, g.grads[s.name], numericGrad(params[s.name], f), TOL_FD, 'fd');
    expectClose('grad_input', g.grad_input, numericGrad(inputs.input, f), TOL_FD, 'fd');
    expectClose('grad_annotations', g.grad_annotations, numericGrad(inputs.annotations, f), TOL_FD, 'fd');
    // Padded annotations and the inputs of padded steps get exactly nothing.
    const A = c.config.annotation_size;
    for (let j = 2; j < 4; j++) expect([...g.grad_annotations.subarray((j * 3 + 1) * A, (j * 3 + 2) * A)].every((v) => v === 0)).toBe(true);
    expect([...g.grad_input.subarray((1 * 3 + 1) * 2, (1 * 3 + 2) * 2)].every((v) => v === 0)).toBe(true);
  });

  test('attention is a softmax over valid positions and the context its weighted sum', () => {
    const rng = new Rng(32);
    const c = CASES[0];
    const inputs = randomInputs(c, rng);
    const fwd = refAttentionDecoderForward(c.config, randomParams(c.config, rng), inputs);
    const A = c.config.annotation_size;
    for (let t = 0; t < c.Ty; t++) {
      for (let b = 0; b < c.B; b++) {
        const row = fwd.attention.subarray((t * c.B + b) * c.Tx, (t * c.B + b + 1) * c.Tx);
        const len = c.source_lengths![b];
        expect(Math.abs(row.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-12);
        expect(row.subarray(len).every((v) => v === 0)).toBe(true);
        for (let f = 0; f < A; f++) {
          let want = 0;
          for (let j = 0; j < c.Tx; j++) want += row[j] * inputs.annotations[(j * c.B + b) * A + f];
          expect(fwd.context[(t * c.B + b) * A + f]).toBeCloseTo(want, 12);
        }
      }
    }
  });
});

/** Uploads a case, runs forward and backward on the GPU, and compares everything with the reference. */
async function checkCase(c: Case, seed: number): Promise<void> {
  const rng = new Rng(seed);
  const params = randomParams(c.config, rng);
  const inputs = randomInputs(c, rng);
  const G = rng.uniformArray(c.Ty * c.B * c.config.hidden_size); // padded steps' entries must be ignored
  const fwd = refAttentionDecoderForward(c.config, params, inputs);
  const want = refAttentionDecoderBackward(c.config, params, inputs, fwd, G);
  const { E, A, H } = { E: c.config.input_size, A: c.config.annotation_size, H: c.config.hidden_size };
  await scoped(async () => {
    const dec = new AttentionDecoder(engine, c.config);
    const sd: Record<string, Float64Array> = {};
    for (const [k, v] of Object.entries(params)) sd[k] = v;
    dec.loadStateDict(sd);
    const x = engine.tensor(f32(inputs.input), [c.Ty, c.B, E]);
    const a = engine.tensor(f32(inputs.annotations), [c.Tx, c.B, A]);
    const gy = engine.tensor(f32(G), [c.Ty, c.B, H]);
    const out = dec.forward(x, a, { ...(c.source_lengths ? { source_lengths: c.source_lengths } : {}), ...(c.lengths ? { lengths: c.lengths } : {}) });
    expectClose(`${c.name}: output`, await out.output.read(), fwd.output, TOL_FORWARD, 'forward');
    const alpha = await out.attention.read();
    expectClose(`${c.name}: attention`, alpha, fwd.attention, TOL_FORWARD, 'forward');
    expectClose(`${c.name}: context`, await out.context.read(), fwd.context, TOL_FORWARD, 'forward');
    for (let r = 0; r < c.Ty * c.B; r++) {
      const len = c.source_lengths?.[r % c.B] ?? c.Tx;
      const row = alpha.subarray(r * c.Tx, (r + 1) * c.Tx);
      let sum = 0;
      for (let j = 0; j < len; j++) sum += row[j];
      expect(Math.abs(sum - 1), `${c.name}: Σ α at row ${r}`).toBeLessThan(1e-5);
      expect(row.subarray(len).every((v) => v === 0), `${c.name}: α on padded positions at row ${r}`).toBe(true);
    }
    const g = dec.backward(gy);
    expectClose(`${c.name}: grad_input`, await g.grad_input.read(), want.grad_input, TOL_GRAD, 'grad');
    expectClose(`${c.name}: grad_annotations`, await g.grad_annotations.read(), want.grad_annotations, TOL_GRAD, 'grad');
    for (const s of attentionDecoderSpecs(c.config)) expectClose(`${c.name}: d ${s.name}`, await g.grads[s.name].read(), want.grads[s.name], TOL_GRAD, 'grad');
    const counts = dec.dispatchCounts()!;
    // Per step 4 forward and 4 backward dispatches (3 at the first step, whose query is W_s·0).
    expect(counts.forward).toBe(2 + 4 * c.Ty - 1);
    expect(counts.backward).toBe(4 * c.Ty - 1 + 12);
    for (const t of [x, a, gy]) t.dispose();
    dec.dispose();
  });
}

describe('GPU vs float64 reference', () => {
  CASES.forEach((c, i) => {
    test(c.name, async () => {
      await checkCase(c, 100 + i);
    });
  });

  test('results are bit-identical across runs, and a second shape does not disturb the first', async () => {
    const c = CASES[0];
    const rng = new Rng(7);
    const inputs = randomInputs(c, rng);
    await scoped(async () => {
      const dec = new AttentionDecoder(engine, c.config, { seed: 3 });
      const x = engine.tensor(f32(inputs.input), [c.Ty, c.B, c.config.input_size]);
      const a = engine.tensor(f32(inputs.annotations), [c.Tx, c.B, c.config.annotation_size]);
      const gy = engine.tensor(f32(rng.uniformArray(c.Ty * c.B * c.config.hidden_size)), [c.Ty, c.B, c.config.hidden_size]);
      const run = async () => {
        dec.forward(x, a, { source_lengths: c.source_lengths, lengths: c.lengths });
        const g = dec.backward(gy);
        return [await g.grad_annotations.read(), await engine.readBuffer(dec.store.grads, 0, dec.parameterCount)];
      };
      const [a1, p1] = await run();
      // Another shape in between (its own plan), then the first again.
      const x2 = engine.tensor(new Float32Array(2 * c.B * c.config.input_size), [2, c.B, c.config.input_size]);
      dec.forward(x2, a);
      dec.backward(engine.tensor(new Float32Array(2 * c.B * c.config.hidden_size), [2, c.B, c.config.hidden_size]));
      const [a2, p2] = await run();
      expect(Buffer.from(a2.buffer).equals(Buffer.from(a1.buffer))).toBe(true);
      expect(Buffer.from(p2.buffer).equals(Buffer.from(p1.buffer))).toBe(true);
      dec.dispose();
    });
  });
});

describe('step-by-step decoding', () => {
  test('feeding the same inputs one step at a time gives the teacher-forced outputs', async () => {
    const c = CASES[3];
    const rng = new Rng(9);
    const inputs = randomInputs(c, rng);
    const { input_size: E, annotation_size: A, hidden_size: H } = c.config;
    await scoped(async () => {
      const dec = new AttentionDecoder(engine, c.config, { seed: 5 });
      const a = engine.tensor(f32(inputs.annotations), [c.Tx, c.B, A]);
      const x = engine.tensor(f32(inputs.input), [c.Ty, c.B, E]);
      const full = dec.forward(x, a, { source_lengths: c.source_lengths });
      const wantY = await full.output.read();
      const wantA = await full.attention.read();
      const run = dec.startDecoding(a, { source_lengths: c.source_lengths, max_steps: c.Ty });
      for (let t = 0; t < c.Ty; t++) {
        const xt = engine.tensor(f32(inputs.input.subarray(t * c.B * E, (t + 1) * c.B * E)), [c.B, E]);
        const r = run.step(xt);
        expectClose(`step ${t} output`, await r.output.read(), wantY.subarray(t * c.B * H, (t + 1) * c.B * H), 1e-6);
        expectClose(`step ${t} attention`, await r.attention.read(), wantA.subarray(t * c.B * c.Tx, (t + 1) * c.B * c.Tx), 1e-6);
        xt.dispose();
      }
      expect(run.stepsTaken).toBe(c.Ty);
      expect(code(() => run.step(engine.tensor(new Float32Array(c.B * E), [c.B, E])))).toBe('BAD_STATE');
      dec.dispose();
    });
  });
});

describe('validation and lifetime', () => {
  test('bad configs, shapes and lengths are reported before any GPU work', async () => {
    expect(code(() => new AttentionDecoder(engine, { ...cfg(2, 4, 3, 2), hidden_size: 0 }))).toBe('BAD_CONFIG');
    expect(code(() => new AttentionDecoder(engine, { ...cfg(2, 4, 3, 2), heads: 2 } as unknown as AttentionDecoderConfig))).toBe('BAD_CONFIG');
    const dec = new AttentionDecoder(engine, cfg(2, 4, 3, 2));
    const x = engine.tensor(new Float32Array(3 * 2 * 2), [3, 2, 2]);
    const a = engine.tensor(new Float32Array(5 * 2 * 4), [5, 2, 4]);
    expect(code(() => dec.backward(engine.tensor(new Float32Array(18), [3, 2, 3])))).toBe('BAD_STATE');
    expect(code(() => dec.forward(engine.tensor(new Float32Array(12), [3, 2, 2]), engine.tensor(new Float32Array(30), [5, 2, 3])))).toBe('BAD_SHAPE');
    expect(code(() => dec.forward(x, engine.tensor(new Float32Array(20), [5, 1, 4])))).toBe('BAD_SHAPE');
    expect(code(() => dec.forward(engine.tensor(new Float32Array(12), [3, 2, 2]).view([6, 2]), a))).toBe('BAD_SHAPE');
    expect(code(() => dec.forward(x, a, { source_lengths: [5, 6] }))).toBe('BAD_LENGTHS');
    expect(code(() => dec.forward(x, a, { lengths: [0, 3] }))).toBe('BAD_LENGTHS');
    expect(code(() => dec.forward(x, a, { lengths: [3] }))).toBe('BAD_LENGTHS');
    expect(code(() => dec.startDecoding(a, { max_steps: 0 }))).toBe('BAD_VALUE');
    dec.forward(x, a);
    expect(code(() => dec.backward(engine.tensor(new Float32Array(12), [3, 2, 2])))).toBe('BAD_SHAPE');
    dec.dispose();
    expect(code(() => dec.forward(x, a))).toBe('DISPOSED');
  });

  test('dispose frees every buffer the decoder made', async () => {
    const before = engine.memory().buffers;
    const dec = new AttentionDecoder(engine, cfg(3, 6, 5, 4));
    const x = engine.tensor(new Float32Array(4 * 3 * 3), [4, 3, 3]);
    const a = engine.tensor(new Float32Array(6 * 3 * 6), [6, 3, 6]);
    dec.forward(x, a);
    dec.backward(engine.tensor(new Float32Array(4 * 3 * 5), [4, 3, 5]));
    dec.startDecoding(a, { max_steps: 2 }).step(engine.tensor(new Float32Array(9), [3, 3]));
    dec.dispose();
    // What remains are the test's own tensors (x, a, and the two made inline).
    expect(engine.memory().buffers).toBe(before + 4);
  });
});
