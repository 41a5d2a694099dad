// Decoding on the GPU (src/decode) against the float64 references (test/reference/decode.ts): greedy choice,
// the sampled distribution under temperature / top-k / top-p, exact prediction of every draw from the
// counter-based hash, embedding of GPU-resident ids, generation (a hand-built model whose greedy output
// is known, a random LSTM against the reference, streaming in pieces), stateful chunked inference, and
// beam search (a hand-built model where greedy is not optimal, and random models against the reference).
//
// Bounds: sampled frequencies over n = 20000 rows — chi-square below its 1 − 1e-6 quantile (Wilson–
// Hilferty) and every |freq − p| ≤ 5·√(p(1−p)/n) + 1e-4; filtered tokens drawn exactly 0 times;
// draws predicted from (seed, draw, row) on the CPU: ≤ 0.1 % differ (only where u·total falls within
// float32 rounding of a boundary). Chunked forward vs one forward: 2e-5 (max |got − want| / max |want|).
// Beam scores vs the float64 reference: 1e-4 absolute. Greedy and beam token sequences: exact.
// Every GPU check runs inside validation and out-of-memory error scopes and fails on any error.
import { afterAll, describe, expect, test } from 'vitest';
import { Adam, Dense, Embedding, SequenceModel, Recurrent, type RecurrentConfig, type SequenceModelConfig } from '../src/index.js';
import { BeamSearch, beamSearch } from '../src/decode/beam.js';
import { type DecoderModel } from '../src/decode/decoder-step.js';
import { Generator } from '../src/decode/generate.js';
import { Sampler } from '../src/decode/sampling.js';
import { Tensor } from '../src/gpu/tensor.js';
import { StatefulRecurrent } from '../src/decode/stateful.js';
import {
  refBeamSearch,
  refDecoderStep,
  refDraw,
  refFilterLogits,
  refGreedy,
  refGreedyGenerate,
  refLogSoftmax,
  refSampleUniform,
  refSamplingProbs,
  type RefDecoderWeights,
  type RefStepFn,
} from './reference/decode.js';
import { Rng } from '../src/random.js';
import { asyncCode, code, engine, expectClose, scoped, useEngine } from './helpers/gpu-test.js';

const TOL_CHUNKED = 2e-5;
const TOL_BEAM_SCORE = 1e-4;
const MAX_MISPREDICTED = 0.001;

useEngine();

const measured: Record<string, string> = {};
afterAll(() => console.log('decode measurements:', JSON.stringify(measured, null, 1)));

/** Upper 1 − 1e-6 quantile of chi-square with df degrees of freedom (Wilson–Hilferty, z = 4.753). */
function chi2Bound(df: number): number {
  const z = 4.753;
  const a = 2 / (9 * df);
  return df * (1 - a + z * Math.sqrt(a)) ** 3;
}

/** Logits (R, V) with every row equal to `row`, so R draws sample one distribution. */
function repeatRows(row: ArrayLike<number>, R: number): Float32Array {
  const V = row.length;
  const out = new Float32Array(R * V);
  for (let r = 0; r < R; r++) out.set(row, r * V);
  return out;
}

describe('float64 references', () => {
  test('log-softmax is normalised and shift-invariant; greedy takes the lowest id on ties', () => {
    const lp = refLogSoftmax([1, 2, 3, 1000, 1001, 1002], 3);
    expect(Math.exp(lp[0]) + Math.exp(lp[1]) + Math.exp(lp[2])).toBeCloseTo(1, 14);
    for (let i = 0; i < 3; i++) expect(lp[3 + i]).toBeCloseTo(lp[i], 12);
    expect(refGreedy([0, 5, 5, 1, 2, 2, 2, 2], 4)).toEqual([1, 0]);
    expect(refGreedy([NaN, -1], 2)).toEqual([1]);
  });

  test('top-k keeps ties at the cut; top-p keeps the smallest set reaching p (with its ties)', () => {
    expect([...refFilterLogits([3, 2, 2, 1], { top_k: 2 })]).toEqual([3, 2, 2, -Infinity]);
    // probabilities 0.5, 0.3, 0.2: p = 0.5 keeps one token, p = 0.51 two, p = 0.81 three (0.8 itself is a
    // rounding boundary: 0.5 + 0.3 of the exp-log round trip may land either side).
    const z = [Math.log(0.5), Math.log(0.3), Math.log(0.2)];
    const kept = (p: number) => [...refFilterLogits(z, { top_p: p })].filter((v) => v > -Infinity).length;
    expect([kept(0.5), kept(0.51), kept(0.79), kept(0.81), kept(1)]).toEqual([1, 2, 2, 3, 3]);
    expect(kept(1e-9)).toBe(1);
    const p = refSamplingProbs([0, Math.log(3), -1], { temperature: 2, top_k: 2 });
    expect(p[2]).toBe(0);
    expect(p[1] / p[0]).toBeCloseTo(Math.sqrt(3), 12);
    expect(refDraw([0.2, 0.5, 0.3], 0.65)).toBe(1);
    expect(refDraw([0.2, 0, 0.8], 0.999999999999)).toBe(2);
  });

  test('beam search over a hand-made Markov chain finds the best sequence greedy misses', () => {
    const { step, greedy, best } = markovChain();
    const hyps = refBeamSearch(step, null, { beam_width: 2, prime: [SOS], max_length: 5, eos: EOS });
    expect(hyps[0].tokens).toEqual(best);
    expect(hyps[0].log_prob).toBeCloseTo(Math.log(0.4 * 0.9), 12);
    expect(hyps[0].score).toBeCloseTo(Math.log(0.36) / 2 ** 0.7, 12);
    expect(refGreedyGenerate(step, null, [SOS], 2)).toEqual(greedy);
  });
});

// The hand-built decoder: tokens SOS, A, B, C, EOS; next-token probabilities depend only on the
// current token. Greedy takes A (0.5) then EOS (0.3): 0.15. Beam search finds B (0.4), EOS (0.9): 0.36.
const [SOS, A, B, C, EOS] = [0, 1, 2, 3, 4];
const CHAIN: number[][] = [
  // P(next | current): columns SOS, A, B, C, EOS
  [0, 0.5, 0.4, 0.1, 0], // SOS
  [0, 0.25, 0.25, 0.2, 0.3], // A
  [0, 0.1 / 3, 0.1 / 3, 0.1 / 3, 0.9], // B
  [0, 0.2, 0.2, 0.1, 0.5], // C
  [0.2, 0.2, 0.2, 0.2, 0.2], // EOS
];
const logOr = (p: number) => (p > 0 ? Math.log(p) : -30);

function markovChain(): { step: RefStepFn<null>; greedy: number[]; best: number[] } {
  const step: RefStepFn<null> = (_s, token) => ({ logits: Float64Array.from(CHAIN[token], logOr), state: null });
  return { step, greedy: [A, EOS], best: [B, EOS] };
}

/**
 * The Markov chain as a one-hot → RNN_TANH → Dense model: W_ih = 12·I makes h = tanh(12)·onehot ≈ onehot
 * (W_hh = 0), and the head's column `cur` holds log P(· | cur) (scaled by 1/tanh(12)).
 */
function chainModel(): { model: DecoderModel; weights: RefDecoderWeights; dispose: () => void } {
  const V = 5;
  const config: RecurrentConfig = { mode: 'RNN_TANH', input_size: V, hidden_size: V };
  const params = {
    weight_ih_l0: new Float64Array(V * V).map((_, i) => (i % (V + 1) === 0 ? 12 : 0)),
    weight_hh_l0: new Float64Array(V * V),
    bias_ih_l0: new Float64Array(V),
    bias_hh_l0: new Float64Array(V),
  };
  const head_weight = new Float64Array(V * V);
  for (let cur = 0; cur < V; cur++) for (let next = 0; next < V; next++) head_weight[next * V + cur] = logOr(CHAIN[cur][next]) / Math.tanh(12);
  const head_bias = new Float64Array(V);
  const recurrent = new Recurrent(engine, config);
  recurrent.loadStateDict(params);
  const head = new Dense(engine, { in_features: V, out_features: V });
  head.loadStateDict({ weight: head_weight, bias: head_bias });
  return {
    model: { recurrent, head },
    weights: { config, params, head_weight, head_bias },
    dispose: () => {
      recurrent.dispose();
      head.dispose();
    },
  };
}

/** A random embedding → recurrent → dense model and its float64 copy (weights read back from the GPU). */
async function randomModel(config: RecurrentConfig, Vin: number, V: number, seed: number, withEmbedding = true) {
  const recurrent = new Recurrent(engine, config, { seed });
  const head = new Dense(engine, { in_features: config.hidden_size, out_features: V }, { seed: seed + 1 });
  const embedding = withEmbedding ? new Embedding(engine, { num_embeddings: Vin, embedding_dim: config.input_size }, { seed: seed + 2 }) : undefined;
  const f64 = (sd: Record<string, Float32Array>) => Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, Float64Array.from(v)]));
  const hd = f64(await head.stateDict());
  const weights: RefDecoderWeights = {
    config,
    params: f64(await recurrent.stateDict()),
    ...(embedding ? { embedding: Float64Array.from((await embedding.stateDict()).weight) } : {}),
    head_weight: hd.weight,
    head_bias: hd.bias,
  };
  const model: DecoderModel = { recurrent, head, ...(embedding ? { embedding } : {}) };
  return {
    model,
    weights,
    dispose: () => {
      recurrent.dispose();
      head.dispose();
      embedding?.dispose();
    },
  };
}

describe('sampling on the GPU', () => {
  test('greedy equals the reference argmax for V = 10000, with ties and −∞', async () => {
    await scoped(async () => {
      const rng = new Rng(21);
      const R = 64;
      const V = 10000;
      const data = new Float32Array(R * V).map(() => rng.normal() * 3);
      data.fill(50, 5 * V + 100, 5 * V + 110); // row 5: a 10-way tie for the max → lowest id 100
      data.fill(90, 6 * V + 9000, 6 * V + 9002);
      data[6 * V + 9999] = 90;
      data.fill(-Infinity, 7 * V, 8 * V); // row 7: all −∞ → id 0
      data[7 * V + 4321] = -1e30; // … except one finite value
      const logits = engine.tensor(data, [R, V]);
      const s = new Sampler(engine);
      const ids = await s.sample(logits, { greedy: true }).read();
      expect([...ids]).toEqual(refGreedy(data, V));
      expect([ids[5], ids[6], ids[7]]).toEqual([100, 9000, 4321]);
      s.dispose();
      logits.dispose();
    });
  });

  const rng = new Rng(22);
  const V = 10;
  const row = Float32Array.from({ length: V }, () => rng.normal() * 1.5);
  const R = 20000;
  const cases: Record<string, { temperature?: number; top_k?: number; top_p?: number }> = {
    'softmax (temperature 1)': {},
    'temperature 0.5': { temperature: 0.5 },
    'temperature 2': { temperature: 2 },
    'top-k 3': { top_k: 3 },
    'top-p 0.8': { top_p: 0.8 },
    'top-p 0.3 (nucleus of one or two)': { top_p: 0.3 },
    'temperature 0.7, top-k 6, top-p 0.9': { temperature: 0.7, top_k: 6, top_p: 0.9 },
  };
  for (const [name, opts] of Object.entries(cases)) {
    test(`${name}: ${R} draws in one dispatch match the filtered softmax; filtered tokens never drawn; every draw predicted`, async () => {
      await scoped(async () => {
        const logits = engine.tensor(repeatRows(row, R), [R, V]);
        const s = new Sampler(engine);
        const seed = 1234;
        const t0 = performance.now();
        const ids = await s.sample(logits, { ...opts, seed }).read();
        measured[`sample ${R}×${V} ${name}`] = `${(performance.now() - t0).toFixed(1)} ms`;
        const p = refSamplingProbs(row, opts);
        const count = new Array<number>(V).fill(0);
        let mispredicted = 0;
        for (let r = 0; r < R; r++) {
          count[ids[r]]++;
          if (refDraw(p, refSampleUniform(seed, 0, r)) !== ids[r]) mispredicted++;
        }
        let chi2 = 0;
        let df = -1;
        for (let i = 0; i < V; i++) {
          if (p[i] === 0) {
            expect(count[i], `token ${i} is filtered out but was drawn`).toBe(0);
            continue;
          }
          df++;
          chi2 += (count[i] - R * p[i]) ** 2 / (R * p[i]);
          const bound = 5 * Math.sqrt((p[i] * (1 - p[i])) / R) + 1e-4;
          expect(Math.abs(count[i] / R - p[i]), `token ${i}: freq ${count[i] / R} vs p ${p[i]}`).toBeLessThanOrEqual(bound);
        }
        if (df > 0) expect(chi2, `chi-square ${chi2} with ${df} df`).toBeLessThanOrEqual(chi2Bound(df));
        expect(mispredicted / R).toBeLessThanOrEqual(MAX_MISPREDICTED);
        s.dispose();
        logits.dispose();
      });
    });
  }

  test('V = 10000: top-k never emits outside the top k, top-p never outside the nucleus, draws predicted', async () => {
    await scoped(async () => {
      const rng = new Rng(23);
      const R = 48;
      const V = 10000;
      const data = new Float32Array(R * V).map(() => rng.normal() * 4);
      const logits = engine.tensor(data, [R, V]);
      const s = new Sampler(engine);
      for (const opts of [{ top_k: 5 }, { top_p: 0.5 }, { top_k: 50, top_p: 0.7, temperature: 1.3 }, {}]) {
        let mispredicted = 0;
        for (let draw = 0; draw < 4; draw++) {
          const t0 = performance.now();
          const ids = await s.sample(logits, { ...opts, seed: 99, draw }).read();
          if (draw === 0) measured[`sample ${R}×${V} ${JSON.stringify(opts)}`] = `${(performance.now() - t0).toFixed(1)} ms`;
          for (let r = 0; r < R; r++) {
            const p = refSamplingProbs(data.subarray(r * V, (r + 1) * V), opts);
            expect(p[ids[r]], `row ${r} drew ${ids[r]}, outside the kept set of ${JSON.stringify(opts)}`).toBeGreaterThan(0);
            if (refDraw(p, refSampleUniform(99, draw, r)) !== ids[r]) mispredicted++;
          }
        }
        expect(mispredicted, JSON.stringify(opts)).toBeLessThanOrEqual(1);
      }
      s.dispose();
      logits.dispose();
    });
  });

  test('seeds: the same (seed, draw) gives the same ids, another seed or draw other ids; every workgroup size agrees', async () => {
    await scoped(async () => {
      const rng = new Rng(24);
      const R = 500;
      const V = 50;
      const logits = engine.tensor(new Float32Array(R * V).map(() => rng.normal()), [R, V]);
      const opts = { temperature: 0.9, top_k: 20, top_p: 0.95 };
      const s = new Sampler(engine);
      const a = await s.sample(logits, { ...opts, seed: 7 }).read();
      const b = await s.sample(logits, { ...opts, seed: 7 }).read();
      const c = await s.sample(logits, { ...opts, seed: 8 }).read();
      const d = await s.sample(logits, { ...opts, seed: 7, draw: 1 }).read();
      expect([...b]).toEqual([...a]);
      const differ = (x: Uint32Array) => x.filter((v, i) => v !== a[i]).length;
      expect(differ(c)).toBeGreaterThan(R / 4);
      expect(differ(d)).toBeGreaterThan(R / 4);
      for (const wg of [1, 64, 256]) {
        const w = new Sampler(engine, { workgroupSize: wg });
        const e = await w.sample(logits, { ...opts, seed: 7 }).read();
        expect(differ(e), `workgroupSize ${wg}`).toBeLessThanOrEqual(1); // only float rounding of the sums differs
        w.dispose();
      }
      s.dispose();
      logits.dispose();
    });
  });

  test('bad options are rejected before any GPU work', () => {
    const s = new Sampler(engine);
    const logits = engine.tensor(new Float32Array(6), [2, 3]);
    for (const bad of [{ temperature: 0 }, { temperature: -1 }, { top_k: -1 }, { top_k: 1.5 }, { top_p: 0 }, { top_p: 1.5 }, { seed: -1 }, { seed: 2 ** 32 }, { greedy: 1 }, { draw: -1 }, { topK: 3 }]) {
      expect(code(() => s.sample(logits, bad as never)), JSON.stringify(bad)).toBe('BAD_VALUE');
    }
    expect(code(() => new Sampler(engine, { workgroupSize: 3 }))).toBe('BAD_CONFIG');
    s.dispose();
    expect(code(() => s.sample(logits))).toBe('DISPOSED');
    logits.dispose();
  });
});

describe('Embedding.forwardIds', () => {
  test('equals forward() for the same ids (uint32 and int32 tensors, views), reads sampler output directly, clamps ids ≥ V and negative int32 ids to V − 1', async () => {
    await scoped(async () => {
      const V = 13;
      const E = 5;
      const emb = new Embedding(engine, { num_embeddings: V, embedding_dim: E }, { seed: 3 });
      const ids = [4, 0, 12, 7, 7, 1];
      const want = await emb.forward(ids, [3, 2]).read();
      const u = engine.tensor(Uint32Array.of(9, 9, ...ids), [8]); // the ids from element 2: a view at byte 8
      const y = emb.forwardIds(engine.tensor(Uint32Array.from(ids), [3, 2]));
      expect(y.shape).toEqual([3, 2, E]);
      expect([...(await y.read())]).toEqual([...want]);
      const i32 = engine.tensor(Int32Array.from(ids), [3, 2]);
      expect(i32.dtype).toBe('int32');
      expect([...(await emb.forwardIds(i32).read())]).toEqual([...want]);
      const tail = new Tensor(engine, u.buffer, [3, 2], 8, false, 'uint32');
      expect([...(await emb.forwardIds(tail).read())]).toEqual([...want]);
      // Out of range: 13, 2^32 − 1 → row 12; an int32 −1 is the same bits as 2^32 − 1.
      const w = (await emb.stateDict()).weight;
      const row = (r: number) => [...w.subarray(r * E, (r + 1) * E)];
      const got = await emb.forwardIds(engine.tensor(Uint32Array.of(13, 0xffffffff, 2), [3])).read();
      expect([...got]).toEqual([...row(12), ...row(12), ...row(2)]);
      const neg = await emb.forwardIds(engine.tensor(Int32Array.of(-1, 2), [2])).read();
      expect([...neg]).toEqual([...row(12), ...row(2)]);
      // Straight from a sampler's ids (a uint32 tensor (B)), and as a (1, B) view.
      const logits = engine.tensor(Float32Array.from({ length: 4 * V }, (_, i) => (i % V === (i * 7) % 5 ? 5 : 0)), [4, V]);
      const s = new Sampler(engine);
      const sampled = s.sample(logits, { greedy: true });
      expect(sampled.dtype).toBe('uint32');
      expect(sampled.shape).toEqual([4]);
      const fromIds = emb.forwardIds(sampled.view([1, 4]));
      expect(fromIds.shape).toEqual([1, 4, E]);
      const ref = await emb.forward(Array.from(await sampled.read()), [4]).read();
      expect([...(await emb.forwardIds(sampled).read())]).toEqual([...ref]);
      // A float tensor is not ids: refused before any GPU work.
      expect(code(() => emb.forwardIds(logits as never))).toBe('BAD_VALUE');
      emb.forwardIds(sampled);
      expect(code(() => emb.backward(engine.empty([3, E])))).toBe('BAD_STATE');
      s.dispose();
      expect(code(() => emb.forwardIds(sampled))).toBe('DISPOSED'); // the sampler's workspace is gone
      logits.dispose();
      u.dispose();
      emb.dispose();
    });
  });
});

describe('generation', () => {
  test('the hand-built chain model, one-hot input: greedy output is the known sequence [A, EOS, …]', async () => {
    await scoped(async () => {
      const m = chainModel();
      const gen = new Generator(engine, m.model);
      const ids = await gen.generate({ prime: [SOS], steps: 4, greedy: true });
      // SOS → A → EOS → (EOS row: uniform → lowest id) SOS → A
      expect([...ids]).toEqual([A, EOS, SOS, A]);
      expect([...ids]).toEqual(refGreedyGenerate(refDecoderStep(m.weights).step, refDecoderStep(m.weights).zero, [SOS], 4));
      gen.dispose();
      m.dispose();
    });
  });

  test('a cyclic model reproduces 0, 1, 2, … for 600 steps × 3 rows (crossing the 256-step command buffers)', async () => {
    await scoped(async () => {
      const V = 7;
      // GRU gates r, z, n: z closed (bias −20) makes h = n = tanh(4·x) ≈ onehot(id) for the identity
      // embedding; the head maps the unit of id t to logit 4 for t + 1 mod V.
      const config: RecurrentConfig = { mode: 'GRU', input_size: V, hidden_size: V };
      const recurrent = new Recurrent(engine, config, { seed: 1 });
      const G = 3 * V;
      const w_ih = new Float64Array(G * V);
      const w_hh = new Float64Array(G * V);
      const b_ih = new Float64Array(G);
      const b_hh = new Float64Array(G);
      for (let j = 0; j < V; j++) {
        b_ih[V + j] = -20;
        w_ih[(2 * V + j) * V + j] = 4;
      }
      recurrent.loadStateDict({ weight_ih_l0: w_ih, weight_hh_l0: w_hh, bias_ih_l0: b_ih, bias_hh_l0: b_hh });
      const E = new Float64Array(V * V).map((_, i) => (i % (V + 1) === 0 ? 1 : 0));
      const embedding = new Embedding(engine, { num_embeddings: V, embedding_dim: V });
      embedding.loadStateDict({ weight: E });
      const head = new Dense(engine, { in_features: V, out_features: V });
      const hw = new Float64Array(V * V);
      for (let cur = 0; cur < V; cur++) hw[((cur + 1) % V) * V + cur] = 4;
      head.loadStateDict({ weight: hw, bias: new Float64Array(V) });
      const model = { embedding, recurrent, head };
      const ref = refDecoderStep({ config, params: { weight_ih_l0: w_ih, weight_hh_l0: w_hh, bias_ih_l0: b_ih, bias_hh_l0: b_hh }, embedding: E, head_weight: hw, head_bias: new Float64Array(V) });
      const want1 = refGreedyGenerate(ref.step, ref.zero, [0], 14);
      expect(want1).toEqual(Array.from({ length: 14 }, (_, i) => (i + 1) % V));

      const Bn = 3;
      const gen = new Generator(engine, model, { batch: Bn });
      const N = 600;
      const t0 = performance.now();
      const ids = await gen.generate({ prime: [0, 3, 5], steps: N, greedy: true });
      const ms = performance.now() - t0;
      measured[`generate GRU H=${V} V=${V} B=${Bn}: ${N} steps, one read`] = `${ms.toFixed(0)} ms (${((N * 1000) / ms).toFixed(0)} steps/s, ${gen.dispatchesPerStep} dispatches/step)`;
      for (let t = 0; t < N; t++) for (let b = 0; b < Bn; b++) expect(ids[t * Bn + b], `step ${t} row ${b}`).toBe(([0, 3, 5][b] + t + 1) % V);
      gen.dispose();
      embedding.dispose();
      recurrent.dispose();
      head.dispose();
    });
  });

  test('random 2-layer LSTM with embedding: greedy generation equals the float64 reference; prime and one-hot variants too', async () => {
    await scoped(async () => {
      for (const withEmbedding of [true, false]) {
        const config: RecurrentConfig = { mode: 'LSTM', input_size: withEmbedding ? 6 : 20, hidden_size: 12, num_layers: 2 };
        const m = await randomModel(config, 20, 20, 31, withEmbedding);
        const ref = refDecoderStep(m.weights);
        const gen = new Generator(engine, m.model);
        const prime = [3, 9, 1];
        const ids = await gen.generate({ prime, steps: 30, greedy: true });
        expect([...ids], `embedding ${withEmbedding}`).toEqual(refGreedyGenerate(ref.step, ref.zero, prime, 30));
        gen.dispose();
        m.dispose();
      }
    });
  });

  test('streaming: one call of 40 equals calls of 1 + 14 + 25 (state, pending token and draw counter carried), with sampling', async () => {
    await scoped(async () => {
      const config: RecurrentConfig = { mode: 'GRU', input_size: 8, hidden_size: 16 };
      const m = await randomModel(config, 30, 30, 41);
      const opts = { temperature: 1.2, top_k: 12, top_p: 0.95, seed: 77 };
      const gen = new Generator(engine, m.model, { batch: 2 });
      const whole = await gen.generate({ prime: [1, 2, 5, 6], steps: 40, ...opts });
      gen.reset();
      const parts = [
        ...(await gen.generate({ prime: [1, 2, 5, 6], steps: 1, ...opts })),
        ...(await gen.generate({ steps: 14, ...opts })),
        ...(await gen.generate({ steps: 25, ...opts })),
      ];
      expect(parts).toEqual([...whole]);
      // Not all one token: the draws really vary.
      expect(new Set(whole).size).toBeGreaterThan(5);
      // A state set by reset(h0) is used: continuing from the state after the first call equals the rest.
      gen.reset();
      await gen.generate({ prime: [1, 2, 5, 6], steps: 0, ...opts });
      const h = gen.state.h.clone();
      const rest1 = await gen.generate({ prime: [5, 6], steps: 10, greedy: true });
      gen.reset({ h0: h });
      const rest2 = await gen.generate({ prime: [5, 6], steps: 10, greedy: true });
      expect([...rest2]).toEqual([...rest1]);
      h.dispose();
      expect(await asyncCode(async () => (gen.reset(), gen.generate({ steps: 3 })))).toBe('BAD_STATE');
      expect(code(() => gen.run({ prime: [1, 2, 3], steps: 2 }))).toBe('BAD_SHAPE');
      expect(code(() => gen.run({ prime: [1, 30], steps: 2 }))).toBe('BAD_VALUE');
      expect(code(() => gen.run({ prime: [1, 2], steps: -1 }))).toBe('BAD_VALUE');
      gen.dispose();
      m.dispose();
    });
  });

  test('a realistic size (2-layer LSTM H = 128, V = 1000, B = 16): 200 sampled steps, ids in range (timing logged)', async () => {
    await scoped(async () => {
      const config: RecurrentConfig = { mode: 'LSTM', input_size: 64, hidden_size: 128, num_layers: 2 };
      const m = await randomModel(config, 1000, 1000, 71);
      const gen = new Generator(engine, m.model, { batch: 16 });
      const prime = Array.from({ length: 16 }, (_, b) => b);
      await gen.generate({ prime, steps: 2, seed: 1 }); // pipelines compiled
      const N = 200;
      const t0 = performance.now();
      const ids = await gen.generate({ prime, steps: N, temperature: 0.9, top_k: 40, top_p: 0.95, seed: 1 });
      const ms = performance.now() - t0;
      measured[`generate LSTM 2×128 V=1000 B=16 top-k 40 top-p 0.95: ${N} steps, one read`] = `${ms.toFixed(0)} ms (${((N * 1000) / ms).toFixed(0)} steps/s, ${((N * 16 * 1000) / ms).toFixed(0)} tokens/s, ${gen.dispatchesPerStep} dispatches/step)`;
      expect(ids.length).toBe(N * 16);
      expect(ids.every((v) => v < 1000)).toBe(true);
      expect(new Set(ids).size).toBeGreaterThan(100);
      gen.dispose();
      m.dispose();
    });
  });

  test('model checks: bidirectional, mismatched sizes, disposed layers', async () => {
    const rec = new Recurrent(engine, { mode: 'GRU', input_size: 4, hidden_size: 8, bidirectional: true });
    const head = new Dense(engine, { in_features: 8, out_features: 4 });
    expect(code(() => new Generator(engine, { recurrent: rec, head }))).toBe('BAD_CONFIG');
    const uni = new Recurrent(engine, { mode: 'GRU', input_size: 4, hidden_size: 8 });
    const wide = new Dense(engine, { in_features: 8, out_features: 9 });
    expect(code(() => new Generator(engine, { recurrent: uni, head: wide }))).toBe('BAD_CONFIG');
    const emb = new Embedding(engine, { num_embeddings: 4, embedding_dim: 5 });
    expect(code(() => new Generator(engine, { recurrent: uni, head, embedding: emb }))).toBe('BAD_CONFIG');
    const projected = new Recurrent(engine, { mode: 'LSTM', input_size: 4, hidden_size: 8, proj_size: 3 });
    const narrow = new Dense(engine, { in_features: 3, out_features: 4 });
    expect(() => new Generator(engine, { recurrent: projected, head: narrow })).toThrow(/decoding does not run a projected LSTM \(proj_size 3\)/);
    projected.dispose();
    narrow.dispose();
    const before = engine.memory();
    const gen = new Generator(engine, { recurrent: uni, head });
    gen.dispose();
    expect(engine.memory()).toEqual(before);
    const gen2 = new Generator(engine, { recurrent: uni, head });
    head.dispose();
    expect(code(() => gen2.run({ prime: [0], steps: 1 }))).toBe('DISPOSED');
    gen2.dispose();
    for (const x of [rec, wide, emb, uni] as { dispose(): void }[]) x.dispose();
  });
});

describe('stateful chunked inference', () => {
  // proj_size 4: the carried h is 4 wide, c 9 wide
  for (const [mode, proj] of [['LSTM', 0], ['GRU', 0], ['RNN_TANH', 0], ['LSTM', 4]] as const) {
    test(`${mode}${proj ? ` proj_size ${proj}` : ''}, 2 layers: chunks of 3, 1, 4, 2 steps equal one forward over 10 (within ${TOL_CHUNKED})`, async () => {
      await scoped(async () => {
        const T = 10;
        const Bn = 3;
        const I = 5;
        const config: RecurrentConfig = { mode, input_size: I, hidden_size: 9, num_layers: 2, ...(proj ? { proj_size: proj } : {}) };
        const layer: Recurrent = new Recurrent(engine, config, { seed: 5 });
        const rng = new Rng(6);
        const x = Float32Array.from({ length: T * Bn * I }, () => rng.normal());
        const full = layer.forward(engine.tensor(x, [T, Bn, I]));
        const wantOut = await full.output.read();
        const wantH = await full.h_n.read();
        const wantC = full.c_n ? await full.c_n.read() : undefined;
        const stream = new StatefulRecurrent(engine, layer, Bn);
        const got: number[] = [];
        let t0 = 0;
        for (const len of [3, 1, 4, 2]) {
          const chunk = engine.tensor(x.subarray(t0 * Bn * I, (t0 + len) * Bn * I), [len, Bn, I]);
          got.push(...(await stream.forward(chunk).output.read()));
          chunk.dispose();
          t0 += len;
        }
        expectClose('output', got, wantOut, TOL_CHUNKED);
        expectClose('h_n', await stream.state.h.read(), wantH, TOL_CHUNKED);
        if (wantC) expectClose('c_n', await stream.state.c!.read(), wantC, TOL_CHUNKED);
        // reset() starts over: the first chunk again gives the first outputs again.
        stream.reset();
        const again = await stream.forward(engine.tensor(x.subarray(0, 3 * Bn * I), [3, Bn, I])).output.read();
        expectClose('after reset', again, wantOut.subarray(0, 3 * Bn * (proj || 9)), TOL_CHUNKED);
        expect(code(() => stream.forward(engine.tensor(new Float32Array(2 * I), [1, 2, I])))).toBe('BAD_SHAPE');
        stream.dispose();
        layer.dispose();
      });
    });
  }
});

describe('beam search', () => {
  test('the hand-built chain: beam width 2 finds [B, EOS] (0.36) where greedy gives [A, EOS] (0.15)', async () => {
    await scoped(async () => {
      const m = chainModel();
      const gen = new Generator(engine, m.model);
      expect([...(await gen.generate({ prime: [SOS], steps: 2, greedy: true }))]).toEqual([A, EOS]);
      gen.dispose();
      const hyps = await beamSearch(engine, m.model, { beam_width: 2, prime: [SOS], max_length: 6, eos: EOS });
      expect(hyps.map((h) => h.tokens)).toEqual([[B, EOS], [A, EOS]]);
      expect(hyps[0].log_prob).toBeCloseTo(Math.log(0.36), 4);
      expect(hyps[0].score).toBeCloseTo(Math.log(0.36) / 2 ** 0.7, 4);
      expect(hyps.every((h) => h.finished)).toBe(true);
      // Beam width 1 is greedy.
      const one = await beamSearch(engine, m.model, { beam_width: 1, prime: [SOS], max_length: 6, eos: EOS });
      expect(one[0].tokens).toEqual([A, EOS]);
      // The float64 reference on the same weights agrees.
      const ref = refDecoderStep(m.weights);
      const want = refBeamSearch(ref.step, ref.zero, { beam_width: 2, prime: [SOS], max_length: 6, eos: EOS });
      expect(hyps.map((h) => h.tokens)).toEqual(want.map((h) => h.tokens));
      hyps.forEach((h, i) => expect(Math.abs(h.score - want[i].score)).toBeLessThanOrEqual(TOL_BEAM_SCORE));
      m.dispose();
    });
  });

  test('random models agree with the float64 reference beam search (tokens exact, scores within 1e-4)', async () => {
    await scoped(async () => {
      const cases: { config: RecurrentConfig; V: number; K: number; eos?: number; alpha?: number; maxLen: number; seed: number; prime: number[] }[] = [
        { config: { mode: 'LSTM', input_size: 6, hidden_size: 10, num_layers: 2 }, V: 12, K: 3, eos: 1, maxLen: 8, seed: 51, prime: [0] },
        { config: { mode: 'GRU', input_size: 5, hidden_size: 8, batch_first: true }, V: 9, K: 4, eos: 2, alpha: 1, maxLen: 10, seed: 52, prime: [0, 4, 3] },
        { config: { mode: 'RNN_TANH', input_size: 4, hidden_size: 7 }, V: 6, K: 5, maxLen: 5, seed: 53, prime: [1] },
        { config: { mode: 'LSTM', input_size: 8, hidden_size: 16 }, V: 300, K: 4, eos: 0, alpha: 0.7, maxLen: 12, seed: 54, prime: [5] },
        { config: { mode: 'GRU', input_size: 8, hidden_size: 16, num_layers: 2, dropout: 0.5 }, V: 10000, K: 3, eos: 7, maxLen: 6, seed: 55, prime: [9999, 3] },
      ];
      for (const c of cases) {
        const m = await randomModel(c.config, c.V, c.V, c.seed);
        // Sharpen the head so hypotheses finish at varied lengths.
        const hd = await m.model.head.stateDict();
        m.model.head.loadStateDict({ weight: hd.weight.map((v) => v * 6), bias: hd.bias });
        m.weights.head_weight = m.weights.head_weight.map((v) => Math.fround(v * 6));
        const ref = refDecoderStep(m.weights);
        const opts = { beam_width: c.K, prime: c.prime, max_length: c.maxLen, ...(c.eos !== undefined ? { eos: c.eos } : {}), ...(c.alpha !== undefined ? { alpha: c.alpha } : {}) };
        const t0 = performance.now();
        const got = await beamSearch(engine, m.model, opts);
        measured[`beam ${c.config.mode} V=${c.V} K=${c.K} max_length=${c.maxLen}`] = `${(performance.now() - t0).toFixed(0)} ms, hypothesis lengths ${got.map((h) => h.tokens.length + (h.finished ? '' : '*')).join(' ')}`;
        const want = refBeamSearch(ref.step, ref.zero, opts);
        const label = JSON.stringify({ ...c.config, V: c.V, K: c.K });
        expect(got.map((h) => h.tokens), label).toEqual(want.map((h) => h.tokens));
        expect(got.map((h) => h.finished), label).toEqual(want.map((h) => h.finished));
        got.forEach((h, i) => {
          expect(Math.abs(h.score - want[i].score), `${label} hyp ${i}`).toBeLessThanOrEqual(TOL_BEAM_SCORE);
          expect(Math.abs(h.log_prob - want[i].log_prob), `${label} hyp ${i}`).toBeLessThanOrEqual(TOL_BEAM_SCORE * Math.max(1, h.tokens.length));
        });
        m.dispose();
      }
    });
  });

  test('an initial state is broadcast to the beams; bad options are rejected', async () => {
    await scoped(async () => {
      const config: RecurrentConfig = { mode: 'LSTM', input_size: 4, hidden_size: 6 };
      const m = await randomModel(config, 10, 10, 61);
      const rng = new Rng(62);
      const h0 = Float64Array.from({ length: 6 }, () => rng.normal());
      const c0 = Float64Array.from({ length: 6 }, () => rng.normal());
      const bs = new BeamSearch(engine, m.model, { beam_width: 3 });
      const got = await bs.search({ prime: [2], max_length: 6, eos: 9, h0: engine.tensor(Float32Array.from(h0), [1, 1, 6]), c0: engine.tensor(Float32Array.from(c0), [1, 1, 6]) });
      const ref = refDecoderStep(m.weights);
      const want = refBeamSearch(ref.step, { h: Float64Array.from(Float32Array.from(h0)), c: Float64Array.from(Float32Array.from(c0)) }, { beam_width: 3, prime: [2], max_length: 6, eos: 9 });
      expect(got.map((h) => h.tokens)).toEqual(want.map((h) => h.tokens));
      await expect(asyncCode(() => bs.search({ prime: [], max_length: 3 }))).resolves.toBe('BAD_SHAPE');
      await expect(asyncCode(() => bs.search({ prime: [1], max_length: 0 }))).resolves.toBe('BAD_VALUE');
      await expect(asyncCode(() => bs.search({ prime: [1], max_length: 3, eos: 10 }))).resolves.toBe('BAD_VALUE');
      await expect(asyncCode(() => bs.search({ prime: [1], max_length: 3, h0: engine.empty([1, 2, 6]) }))).resolves.toBe('BAD_SHAPE');
      expect(code(() => new BeamSearch(engine, m.model, { beam_width: 0 }))).toBe('BAD_CONFIG');
      bs.dispose();
      await expect(asyncCode(() => bs.search({ prime: [1], max_length: 3 }))).resolves.toBe('DISPOSED');
      m.dispose();
    });
  });
});

describe('a SequenceModel as the decoder model', () => {
  /** A SequenceModel's weights as the float64 reference's decoder (state_dict prefixes dropped). */
  async function refWeights(model: SequenceModel): Promise<RefDecoderWeights> {
    const sd = await model.stateDict();
    const pick = (prefix: string) => Object.fromEntries(Object.entries(sd).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), Float64Array.from(v)]));
    const lin = pick('linear.');
    return { config: model.config.rnn, params: pick('rnn.'), ...(model.embedding ? { embedding: Float64Array.from(sd['embedding.weight']) } : {}), head_weight: lin.weight, head_bias: lin.bias };
  }

  const cases: { name: string; config: SequenceModelConfig; train: boolean }[] = [
    {
      name: 'trained LSTM language model (embedding, 2 layers)',
      config: { embedding: { num_embeddings: 24, embedding_dim: 8 }, rnn: { mode: 'LSTM', input_size: 8, hidden_size: 16, num_layers: 2 }, linear: { in_features: 16, out_features: 24 }, loss: 'cross_entropy', target: 'all_steps' },
      train: true,
    },
    {
      name: 'seeded GRU without embedding (one-hot input, many-to-one head)',
      config: { embedding: null, rnn: { mode: 'GRU', input_size: 7, hidden_size: 12 }, linear: { in_features: 12, out_features: 7 }, loss: 'cross_entropy', target: 'last_step' },
      train: false,
    },
  ];
  for (const c of cases) {
    test(`${c.name}: Generator, BeamSearch and beamSearch give the hand-built object's ids and the float64 reference's`, async () => {
      await scoped(async () => {
        const model = new SequenceModel(engine, c.config, { seed: 31 });
        const V = c.config.linear.out_features;
        if (c.train) {
          // a few Adam steps on a seeded batch, so the weights are not the initial ones
          const rng = new Rng(32);
          const [Bt, Tt] = [3, 6];
          const tokens = Int32Array.from({ length: Bt * Tt }, () => rng.int(0, V - 1));
          const targets = Int32Array.from({ length: Bt * Tt }, () => rng.int(0, V - 1));
          const opt = new Adam(engine, model.blocks(), { lr: 0.05 });
          for (let i = 1; i <= 5; i++) {
            model.lossAndGrad({ B: Bt, T: Tt, tokens, targets });
            opt.step();
          }
          opt.dispose();
        }
        const parts = { ...(model.embedding ? { embedding: model.embedding } : {}), recurrent: model.rnn, head: model.linear };
        const ref = refDecoderStep(await refWeights(model));
        const prime = [0, 3];

        const sampled = { prime: [0, 0, 3, 3], steps: 20, temperature: 0.9, top_k: 5, seed: 33 };
        const genModel = new Generator(engine, model, { batch: 2 });
        const genParts = new Generator(engine, parts, { batch: 2 });
        const a = await genModel.generate(sampled);
        expect([...a]).toEqual([...(await genParts.generate(sampled))]);
        // greedy: exactly the float64 reference's choices
        genModel.reset();
        const greedy = await genModel.generate({ prime: [0, 0, 3, 3], steps: 12, greedy: true });
        expect([...greedy].filter((_, i) => i % 2 === 0)).toEqual(refGreedyGenerate(ref.step, ref.zero, prime, 12));
        genModel.dispose();
        genParts.dispose();

        const opts = { beam_width: 3, prime, max_length: 8, eos: 1 };
        const fromModel = await beamSearch(engine, model, opts);
        const bs = new BeamSearch(engine, model, { beam_width: 3 });
        const fromClass = await bs.search({ prime, max_length: 8, eos: 1 });
        bs.dispose();
        const fromParts = await beamSearch(engine, parts, opts);
        expect(fromModel).toEqual(fromParts);
        expect(fromClass).toEqual(fromParts);
        const want = refBeamSearch(ref.step, ref.zero, opts);
        expect(fromModel.map((h) => h.tokens)).toEqual(want.map((h) => h.tokens));
        fromModel.forEach((h, i) => expect(Math.abs(h.score - want[i].score), `hyp ${i}`).toBeLessThanOrEqual(TOL_BEAM_SCORE));

        model.dispose();
        expect(code(() => new Generator(engine, model))).toBe('DISPOSED');
        expect(await asyncCode(() => beamSearch(engine, model, opts))).toBe('DISPOSED');
      });
    });
  }

  test('a bidirectional SequenceModel is refused with BAD_CONFIG before any GPU work', () => {
    const model = new SequenceModel(engine, {
      embedding: { num_embeddings: 10, embedding_dim: 4 }, rnn: { mode: 'GRU', input_size: 4, hidden_size: 5, bidirectional: true },
      linear: { in_features: 10, out_features: 10 }, loss: 'cross_entropy', target: 'all_steps',
    }, { seed: 1 });
    expect(code(() => new Generator(engine, model))).toBe('BAD_CONFIG');
    model.dispose();
  });
});
