// Dense, Embedding and OneHot: the float64 references against central finite differences, the GPU
// against the references (seeded random cases, odd sizes), the GPU against PyTorch fixtures
// (test/fixtures-layers, made by scripts/gen_layer_fixtures.py), determinism, validation before any
// GPU work, and memory released by dispose().
//
// Tolerances (max |got − want| / max |want| per tensor): GPU forward 2e-5, GPU gradients 1e-4;
// references vs finite differences 1e-7 (h = 1e-6, float64); references vs PyTorch 1e-6.
// Every GPU check runs inside validation and out-of-memory error scopes and fails on any error.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { AttentionDecoder, Dense, Embedding, OneHot, ParameterLayer, parameterSpecs, Recurrent, WebRnnError } from '../src/index.js';
import { parseSafetensors, toFloat32, toFloat64, type SafeTensor } from '../src/formats/safetensors.js';
import { Rng } from '../src/random.js';
import { refDenseBackward, refDenseForward } from './reference/dense.js';
import { refEmbeddingBackward, refEmbeddingForward, refOneHot } from './reference/embedding.js';
import { code, dot, engine, expectCloseLoggingWorst, f32, f64, numericGrad, scoped, TOL_FORWARD, TOL_GRAD, useEngine } from './helpers/gpu-test.js';

const TOL_FD = 1e-7;
const TOL_TORCH_REF = 1e-6;

useEngine();
const expectClose = expectCloseLoggingWorst('layers');

describe('float64 references vs finite differences', () => {
  test('dense: grad_input, weight, bias of Σ y·G', () => {
    const rng = new Rng(11);
    for (const [I, O, rows, bias] of [[3, 4, 5, true], [1, 1, 1, true], [6, 2, 3, false]] as const) {
      const x = rng.uniformArray(rows * I);
      const W = rng.uniformArray(O * I);
      const b = bias ? rng.uniformArray(O) : undefined;
      const G = rng.uniformArray(rows * O);
      const f = () => dot(refDenseForward(x, W, b, I, O), G);
      const g = refDenseBackward(x, W, G, I, O, bias);
      expectClose('dx', g.grad_input, numericGrad(x, f), TOL_FD);
      expectClose('dW', g.grads.weight, numericGrad(W, f), TOL_FD);
      if (b) expectClose('db', g.grads.bias!, numericGrad(b, f), TOL_FD);
      else expect(g.grads.bias).toBeUndefined();
    }
  });

  test('embedding: weight gradient of Σ y·G; the padding row gets none', () => {
    const rng = new Rng(12);
    const V = 7;
    const E = 3;
    const tokens = [1, 4, 4, 0, 6, 4, 2, 0];
    const W = rng.uniformArray(V * E);
    const G = rng.uniformArray(tokens.length * E);
    const f = () => dot(refEmbeddingForward(tokens, W, E), G);
    expectClose('dW', refEmbeddingBackward(tokens, G, V, E), numericGrad(W, f), TOL_FD);
    const pad = refEmbeddingBackward(tokens, G, V, E, 4);
    const isPad = (i: number) => Math.floor(i / E) === 4;
    const fd = numericGrad(W, f, 1e-6, isPad);
    expectClose('dW with padding_idx', pad, fd, TOL_FD);
    expect([...pad.subarray(4 * E, 5 * E)]).toEqual([0, 0, 0]);
  });

  test('one-hot reference', () => {
    expect([...refOneHot([2, 0], 3)]).toEqual([0, 0, 1, 1, 0, 0]);
  });
});

interface DenseCase {
  I: number;
  O: number;
  lead: number[];
  bias: boolean;
}

describe('Dense on the GPU vs the float64 reference', () => {
  const cases: DenseCase[] = [
    { I: 1, O: 1, lead: [1], bias: true },
    { I: 3, O: 67, lead: [5], bias: true },
    { I: 67, O: 3, lead: [7, 9], bias: false },
    { I: 13, O: 9, lead: [3, 5, 2], bias: true },
    { I: 64, O: 65, lead: [4, 33], bias: true },
    { I: 33, O: 1, lead: [131], bias: false },
    { I: 5, O: 4, lead: [0, 3], bias: true },
  ];
  for (const c of cases) {
    test(`in ${c.I}, out ${c.O}, input [${[...c.lead, c.I]}], bias ${c.bias}; backward twice with accumulate`, async () => {
      const rng = new Rng(c.I * 1000 + c.O);
      const rows = c.lead.reduce((a, b) => a * b, 1);
      const dense = new Dense(engine, { in_features: c.I, out_features: c.O, bias: c.bias }, { seed: 3 });
      await scoped(async () => {
        const sd = await dense.stateDict();
        const W = f64(sd.weight);
        const b = c.bias ? f64(sd.bias) : undefined;
        const x = rng.uniformArray(rows * c.I);
        const g1 = rng.uniformArray(rows * c.O);
        const g2 = rng.uniformArray(rows * c.O);
        const xt = engine.tensor(f32(x), [...c.lead, c.I]);
        const y = dense.forward(xt);
        expect(y.shape).toEqual([...c.lead, c.O]);
        expectClose('y', await y.read(), refDenseForward(x, W, b, c.I, c.O), TOL_FORWARD, 'dense forward');
        const r1 = refDenseBackward(x, W, g1, c.I, c.O, c.bias);
        const r2 = refDenseBackward(x, W, g2, c.I, c.O, c.bias);
        const gt1 = engine.tensor(f32(g1), [...c.lead, c.O]);
        const gt2 = engine.tensor(f32(g2), [...c.lead, c.O]);
        const b1 = dense.backward(gt1);
        expect(b1.grad_input.shape).toEqual([...c.lead, c.I]);
        expectClose('dx', await b1.grad_input.read(), r1.grad_input, TOL_GRAD, 'dense grads');
        expectClose('dW', await b1.grads.weight.read(), r1.grads.weight, TOL_GRAD, 'dense grads');
        if (c.bias) expectClose('db', await b1.grads.bias!.read(), r1.grads.bias!, TOL_GRAD, 'dense grads');
        else expect(b1.grads.bias).toBeUndefined();
        const b2 = dense.backward(gt2, { accumulate: true });
        expectClose('dx (second)', await b2.grad_input.read(), r2.grad_input, TOL_GRAD, 'dense grads');
        const sum = (a: Float64Array, z: Float64Array) => a.map((v, i) => v + z[i]);
        expectClose('dW accumulated', await b2.grads.weight.read(), sum(r1.grads.weight, r2.grads.weight), TOL_GRAD, 'dense grads');
        if (c.bias) expectClose('db accumulated', await b2.grads.bias!.read(), sum(r1.grads.bias!, r2.grads.bias!), TOL_GRAD, 'dense grads');
        // overwrite again
        const b3 = dense.backward(gt2);
        expectClose('dW overwritten', await b3.grads.weight.read(), r2.grads.weight, TOL_GRAD, 'dense grads');
        for (const t of [xt, gt1, gt2]) t.dispose();
      });
      dense.dispose();
    });
  }

  test('initialisation is seeded and PyTorch-shaped: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias', async () => {
    const a = await new Dense(engine, { in_features: 16, out_features: 8 }, { seed: 5 }).stateDict();
    const b = await new Dense(engine, { in_features: 16, out_features: 8 }, { seed: 5 }).stateDict();
    const c = await new Dense(engine, { in_features: 16, out_features: 8 }, { seed: 6 }).stateDict();
    expect(Object.keys(a)).toEqual(['weight', 'bias']);
    expect(a.weight).toEqual(b.weight);
    expect(a.weight).not.toEqual(c.weight);
    for (const v of Object.values(a)) for (const x of v) expect(Math.abs(x)).toBeLessThanOrEqual(0.25);
    expect(Math.max(...a.weight.map(Math.abs))).toBeGreaterThan(0.2); // spread over the whole range
  });

  test('a view input (another layer’s output) and a new row count re-plan correctly', async () => {
    const d1 = new Dense(engine, { in_features: 4, out_features: 6 }, { seed: 1 });
    const d2 = new Dense(engine, { in_features: 6, out_features: 2 }, { seed: 2 });
    await scoped(async () => {
      const rng = new Rng(4);
      for (const rows of [3, 10, 3]) {
        const x = rng.uniformArray(rows * 4);
        const h = d1.forward(engine.tensor(f32(x), [rows, 4]));
        const y = d2.forward(h);
        const s1 = await d1.stateDict();
        const s2 = await d2.stateDict();
        const want = refDenseForward(refDenseForward(x, f64(s1.weight), f64(s1.bias), 4, 6), f64(s2.weight), f64(s2.bias), 6, 2);
        expectClose(`y rows=${rows}`, await y.read(), want, TOL_FORWARD, 'dense forward');
      }
    });
    d1.dispose();
    d2.dispose();
  });
});

describe('Embedding on the GPU vs the float64 reference', () => {
  interface EmbCase {
    V: number;
    E: number;
    shape: number[];
    padding_idx?: number;
    /** fraction of positions holding the same id (0) */
    repeat?: number;
  }
  const cases: EmbCase[] = [
    { V: 1, E: 1, shape: [1] },
    { V: 3, E: 67, shape: [4, 5], padding_idx: 1 },
    { V: 67, E: 3, shape: [13, 7] },
    { V: 300, E: 65, shape: [9, 11], padding_idx: -1 },
    { V: 5, E: 17, shape: [700], repeat: 0.9 },
    { V: 1000, E: 4, shape: [3, 2] },
    { V: 10, E: 5, shape: [0, 4] },
  ];
  for (const c of cases) {
    test(`V ${c.V}, E ${c.E}, tokens [${c.shape}]${c.padding_idx !== undefined ? `, padding_idx ${c.padding_idx}` : ''}${c.repeat ? ', one id repeated' : ''}`, async () => {
      const rng = new Rng(c.V * 31 + c.E);
      const N = c.shape.reduce((a, b) => a * b, 1);
      const emb = new Embedding(engine, { num_embeddings: c.V, embedding_dim: c.E, padding_idx: c.padding_idx }, { seed: 9 });
      const pad = emb.padding_idx;
      const tokens = Array.from({ length: N }, () => (c.repeat && rng.next() < c.repeat ? 0 : rng.int(0, c.V - 1)));
      if (pad !== undefined && N > 2) tokens[1] = tokens[2] = pad;
      await scoped(async () => {
        const W = f64((await emb.stateDict()).weight);
        if (pad !== undefined) expect([...W.subarray(pad * c.E, (pad + 1) * c.E)].every((v) => v === 0)).toBe(true);
        const y = emb.forward(Int32Array.from(tokens), c.shape);
        expect(y.shape).toEqual([...c.shape, c.E]);
        expectClose('y', await y.read(), refEmbeddingForward(tokens, W, c.E), TOL_FORWARD, 'embedding forward');
        const g1 = rng.uniformArray(N * c.E);
        const g2 = rng.uniformArray(N * c.E);
        const gt1 = engine.tensor(f32(g1), [...c.shape, c.E]);
        const gt2 = engine.tensor(f32(g2), [...c.shape, c.E]);
        const r1 = refEmbeddingBackward(tokens, g1, c.V, c.E, pad);
        const r2 = refEmbeddingBackward(tokens, g2, c.V, c.E, pad);
        expectClose('dW', await emb.backward(gt1).grads.weight.read(), r1, TOL_GRAD, 'embedding grads');
        expectClose('dW accumulated', await emb.backward(gt2, { accumulate: true }).grads.weight.read(), r1.map((v, i) => v + r2[i]), TOL_GRAD, 'embedding grads');
        expectClose('dW overwritten', await emb.backward(gt2).grads.weight.read(), r2, TOL_GRAD, 'embedding grads');
        gt1.dispose();
        gt2.dispose();
      });
      emb.dispose();
    });
  }

  test('new tokens of the same count regroup; ids absent from the batch get exactly 0', async () => {
    const emb = new Embedding(engine, { num_embeddings: 8, embedding_dim: 3 }, { seed: 1 });
    await scoped(async () => {
      const g = engine.tensor(new Float32Array(4 * 3).fill(1), [4, 3]);
      emb.forward([1, 1, 2, 7], [4]);
      emb.backward(g);
      emb.forward([3, 3, 3, 0], [4]);
      const w = await emb.backward(g).grads.weight.read();
      expect([...w]).toEqual([1, 1, 1, 0, 0, 0, 0, 0, 0, 3, 3, 3, ...new Array(12).fill(0)]);
      g.dispose();
    });
    emb.dispose();
  });

  test('initialisation: N(0, 1), seeded; padding row 0', async () => {
    const a = (await new Embedding(engine, { num_embeddings: 200, embedding_dim: 50, padding_idx: 3 }, { seed: 2 }).stateDict()).weight;
    const b = (await new Embedding(engine, { num_embeddings: 200, embedding_dim: 50, padding_idx: 3 }, { seed: 2 }).stateDict()).weight;
    expect(a).toEqual(b);
    expect([...a.subarray(150, 200)].every((v) => v === 0)).toBe(true);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const varc = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(varc - 1)).toBeLessThan(0.05);
  });
});

describe('OneHot on the GPU', () => {
  for (const [V, shape] of [[1, [3]], [3, [2, 5]], [300, [7, 3]], [67, [0]]] as const) {
    test(`V ${V}, tokens [${shape}]`, async () => {
      const rng = new Rng(V);
      const N = shape.reduce((a, b) => a * b, 1);
      const tokens = Array.from({ length: N }, () => rng.int(0, V - 1));
      const oh = new OneHot(engine, { num_classes: V });
      await scoped(async () => {
        const y = oh.forward(tokens, shape);
        expect(y.shape).toEqual([...shape, V]);
        expect([...(await y.read())]).toEqual([...refOneHot(tokens, V)]);
      });
      oh.dispose();
    });
  }
});

const FIXTURES = fileURLToPath(new URL('./fixtures-layers', import.meta.url));
function loadFixture(file: string): { cfg: Record<string, unknown>; t: Map<string, SafeTensor> } {
  const f = parseSafetensors(new Uint8Array(readFileSync(join(FIXTURES, file))), { source: file });
  return { cfg: JSON.parse(f.metadata.case) as Record<string, unknown>, t: f.tensors };
}

describe('GPU and float64 reference vs PyTorch fixtures (nn.Linear, nn.Embedding)', () => {
  const files = readdirSync(FIXTURES).filter((f) => /^(linear|embedding)_.*\.safetensors$/.test(f)).sort();
  test('has fixtures', () => expect(files.length).toBeGreaterThanOrEqual(7));
  for (const file of files) {
    test(file, async () => {
      const { cfg, t } = loadFixture(file);
      const get = (k: string) => t.get(k)!;
      const exp64 = (k: string) => toFloat64(get(`expected.${k}`));
      if (cfg.kind === 'linear') {
        const I = cfg.in_features as number;
        const O = cfg.out_features as number;
        const bias = cfg.bias as boolean;
        const x = get('input');
        const gy = get('grad_output');
        const sd: Record<string, Float32Array> = { weight: toFloat32(get('weight')) };
        if (bias) sd.bias = toFloat32(get('bias'));
        // reference vs PyTorch
        const ref = refDenseForward(toFloat64(x), f64(sd.weight), bias ? f64(sd.bias) : undefined, I, O);
        const refG = refDenseBackward(toFloat64(x), f64(sd.weight), toFloat64(gy), I, O, bias);
        expectClose('ref output', ref, exp64('output'), TOL_TORCH_REF);
        expectClose('ref grad.input', refG.grad_input, exp64('grad.input'), TOL_TORCH_REF);
        expectClose('ref grad.weight', refG.grads.weight, exp64('grad.weight'), TOL_TORCH_REF);
        if (bias) expectClose('ref grad.bias', refG.grads.bias!, exp64('grad.bias'), TOL_TORCH_REF);
        const dense = new Dense(engine, { in_features: I, out_features: O, bias });
        await scoped(async () => {
          dense.loadStateDict(sd);
          const y = dense.forward(engine.tensor(toFloat32(x), x.shape));
          expect(y.shape).toEqual(get('expected.output').shape);
          expectClose('output', await y.read(), exp64('output'), TOL_FORWARD, 'torch forward');
          const g = dense.backward(engine.tensor(toFloat32(gy), gy.shape));
          expectClose('grad.input', await g.grad_input.read(), exp64('grad.input'), TOL_GRAD, 'torch grads');
          expectClose('grad.weight', await g.grads.weight.read(), exp64('grad.weight'), TOL_GRAD, 'torch grads');
          if (bias) expectClose('grad.bias', await g.grads.bias!.read(), exp64('grad.bias'), TOL_GRAD, 'torch grads');
        });
        dense.dispose();
      } else {
        const V = cfg.num_embeddings as number;
        const E = cfg.embedding_dim as number;
        const tok = get('tokens');
        const tokens = Array.from(tok.data as BigInt64Array, Number);
        const gy = get('grad_output');
        const w = toFloat32(get('weight'));
        const emb = new Embedding(engine, { num_embeddings: V, embedding_dim: E, padding_idx: cfg.padding_idx as number | undefined });
        const pad = emb.padding_idx;
        expectClose('ref output', refEmbeddingForward(tokens, f64(w), E), exp64('output'), TOL_TORCH_REF);
        expectClose('ref grad.weight', refEmbeddingBackward(tokens, toFloat64(gy), V, E, pad), exp64('grad.weight'), TOL_TORCH_REF);
        await scoped(async () => {
          emb.loadStateDict({ weight: w });
          const y = emb.forward(tokens, tok.shape);
          expectClose('output', await y.read(), exp64('output'), TOL_FORWARD, 'torch forward');
          const g = emb.backward(engine.tensor(toFloat32(gy), gy.shape));
          expectClose('grad.weight', await g.grads.weight.read(), exp64('grad.weight'), TOL_GRAD, 'torch grads');
        });
        emb.dispose();
      }
    });
  }
});

describe('determinism', () => {
  test('embedding gradients are bit-identical across runs (one id at 4000 positions)', async () => {
    const rng = new Rng(77);
    const N = 5000;
    const tokens = Int32Array.from({ length: N }, () => (rng.next() < 0.8 ? 3 : rng.int(0, 49)));
    const emb = new Embedding(engine, { num_embeddings: 50, embedding_dim: 37 }, { seed: 1 });
    const g = engine.tensor(Float32Array.from(rng.uniformArray(N * 37, -1, 1)), [N, 37]);
    const run = async () => {
      emb.forward(tokens, [N]);
      return emb.backward(g).grads.weight.read();
    };
    await scoped(async () => {
      const a = await run();
      const b = await run();
      expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
      expectClose('dW', a, refEmbeddingBackward(tokens, f64(await g.read()), 50, 37), TOL_GRAD, 'embedding grads');
    });
    g.dispose();
    emb.dispose();
  });

  test('dense gradients are bit-identical across runs', async () => {
    const rng = new Rng(78);
    const dense = new Dense(engine, { in_features: 37, out_features: 29 }, { seed: 1 });
    const x = engine.tensor(Float32Array.from(rng.uniformArray(101 * 37)), [101, 37]);
    const g = engine.tensor(Float32Array.from(rng.uniformArray(101 * 29)), [101, 29]);
    const run = async () => {
      dense.forward(x);
      const r = dense.backward(g);
      return [await r.grad_input.read(), await r.grads.weight.read(), await r.grads.bias!.read()];
    };
    await scoped(async () => {
      const a = await run();
      const b = await run();
      a.forEach((v, i) => expect(Buffer.from(v.buffer).equals(Buffer.from(b[i].buffer))).toBe(true));
    });
    x.dispose();
    g.dispose();
    dense.dispose();
  });
});

describe('validation before any GPU work', () => {
  test('bad configs throw BAD_CONFIG', () => {
    expect(code(() => new Dense(engine, { in_features: 0, out_features: 2 }))).toBe('BAD_CONFIG');
    expect(code(() => new Dense(engine, { in_features: 2, out_features: 2.5 }))).toBe('BAD_CONFIG');
    expect(code(() => new Dense(engine, { in_features: 2, out_features: 2, bias: 1 as never }))).toBe('BAD_CONFIG');
    expect(code(() => new Dense(engine, { in_features: 2, out_features: 2, bais: true } as never))).toBe('BAD_CONFIG');
    expect(code(() => new Embedding(engine, { num_embeddings: 4, embedding_dim: 0 }))).toBe('BAD_CONFIG');
    expect(code(() => new Embedding(engine, { num_embeddings: 4, embedding_dim: 2, padding_idx: 4 }))).toBe('BAD_CONFIG');
    expect(code(() => new Embedding(engine, { num_embeddings: 4, embedding_dim: 2, padding_idx: -5 }))).toBe('BAD_CONFIG');
    expect(code(() => new OneHot(engine, { num_classes: -1 }))).toBe('BAD_CONFIG');
  });

  test('bad ids and shapes: the right code, a message naming the position, and nothing allocated', async () => {
    const emb = new Embedding(engine, { num_embeddings: 10, embedding_dim: 4 });
    const oh = new OneHot(engine, { num_classes: 10 });
    const dense = new Dense(engine, { in_features: 3, out_features: 2 });
    const g4 = engine.empty([1, 4]);
    const g2 = engine.empty([1, 2]);
    const bad = engine.empty([4, 4]);
    const before = engine.memory();
    expect(code(() => emb.forward([1, 2, 10, 3], [2, 2]))).toBe('BAD_VALUE');
    expect(() => emb.forward([1, 2, 10, -1], [2, 2])).toThrow(/position \[1, 0\] \(index 2\) is 10, outside \[0, 10\)/);
    expect(() => emb.forward([1, -1], [2])).toThrow(/position \[1\] \(index 1\) is -1/);
    expect(code(() => emb.forward([1, 2.5], [2]))).toBe('BAD_VALUE');
    expect(code(() => emb.forward([1, 2, 3], [2, 2]))).toBe('BAD_SHAPE');
    expect(code(() => emb.forward([1, 2], [2, -1] as never))).toBe('BAD_SHAPE');
    expect(code(() => emb.forward('abc' as never, [3]))).toBe('BAD_VALUE');
    expect(code(() => oh.forward([0, 11], [2]))).toBe('BAD_VALUE');
    expect(code(() => emb.backward(g4))).toBe('BAD_STATE');
    expect(code(() => dense.backward(g2))).toBe('BAD_STATE');
    expect(code(() => dense.forward(bad))).toBe('BAD_SHAPE');
    expect(code(() => dense.forward({ shape: [2, 3] } as never))).toBe('BAD_SHAPE');
    expect(engine.memory()).toEqual(before); // no workspace was planned for any rejected call
    bad.dispose();
    expect(code(() => dense.forward(bad))).toBe('DISPOSED');

    const x = engine.tensor(new Float32Array(12), [4, 3]);
    dense.forward(x);
    expect(code(() => dense.backward(engine.empty([4, 3])))).toBe('BAD_SHAPE');
    expect(code(() => dense.backward(engine.empty([2, 2, 2])))).toBe('BAD_SHAPE');
    expect(code(() => dense.backward(engine.empty([4, 2]), { accumulate: 'yes' as never }))).toBe('BAD_VALUE');
    emb.forward([1, 2], [2]);
    expect(code(() => emb.backward(engine.empty([2, 3])))).toBe('BAD_SHAPE');
    expect(code(() => dense.loadStateDict({ weight: new Float32Array(5), bias: new Float32Array(2) }))).toBe('BAD_SHAPE');
    expect(code(() => dense.loadStateDict({ weight: new Float32Array(6) }))).toBe('BAD_SHAPE');
    for (const l of [emb, oh, dense]) l.dispose();
    expect(code(() => dense.forward(x))).toBe('DISPOSED');
    expect(code(() => emb.forward([1], [1]))).toBe('DISPOSED');
    expect(code(() => oh.forward([1], [1]))).toBe('DISPOSED');
    x.dispose();
  });
});

describe('memory', () => {
  test('a workspace beyond maxStorageBufferBindingSize is a DEVICE_LIMIT error that frees what it built', async () => {
    const lim = engine.device.limits.maxStorageBufferBindingSize;
    // (Dense splits such a workload over row chunks instead of failing: test/reliability/limits.test.ts.)
    const dense = new Dense(engine, { in_features: 1, out_features: 256 });
    const emb = new Embedding(engine, { num_embeddings: 3, embedding_dim: 256 });
    const rows = Math.ceil(lim / (256 * 4)) + 1; // y (rows, 256) alone passes the limit
    const x = engine.tensor(new Float32Array(rows), [rows, 1]);
    const before = engine.memory();
    expect(() => emb.forward(new Int32Array(rows), [rows])).toThrow(/maxStorageBufferBindingSize/);
    expect(engine.memory()).toEqual(before);
    // still usable at a size that fits
    await scoped(async () => {
      expect((await dense.forward(engine.tensor([2], [1, 1])).read()).length).toBe(256);
      expect((await emb.forward([1], [1]).read()).length).toBe(256);
    });
    x.dispose();
    dense.dispose();
    emb.dispose();
  });

  test('dispose returns engine.memory() to its previous value', async () => {
    const before = engine.memory();
    for (let i = 0; i < 2; i++) {
      const dense = new Dense(engine, { in_features: 5, out_features: 7 });
      const emb = new Embedding(engine, { num_embeddings: 9, embedding_dim: 5, padding_idx: 0 });
      const oh = new OneHot(engine, { num_classes: 9 });
      const h = emb.forward([1, 2, 0, 8, 8, 3], [3, 2]);
      const y = dense.forward(h);
      const g = dense.backward(y, { accumulate: true });
      emb.backward(g.grad_input);
      dense.forward(emb.forward([1, 2, 3], [3])); // both re-plan
      oh.forward([1, 2], [2]).clone().dispose();
      oh.forward([4], [1]);
      for (const l of [dense, emb, oh]) l.dispose();
    }
    expect(engine.memory()).toEqual(before);
  });
});

describe('one layer contract', () => {
  test('Recurrent, Dense, Embedding and AttentionDecoder are ParameterLayers; Recurrent keeps its typed ParamSpecs; dispose ends every call', async () => {
    await scoped(async () => {
      const config = { mode: 'LSTM' as const, input_size: 3, hidden_size: 4, num_layers: 2, bidirectional: true };
      const lstm = new Recurrent(engine, config, { seed: 2 });
      const layers = [lstm, new Dense(engine, { in_features: 3, out_features: 2 }), new Embedding(engine, { num_embeddings: 5, embedding_dim: 3 }), new AttentionDecoder(engine, { input_size: 3, annotation_size: 6, hidden_size: 4, attention_size: 5 })];
      for (const layer of layers) expect(layer).toBeInstanceOf(ParameterLayer);
      // the specs carry layer, direction and kind, as parameterSpecs (the config's own table) lists them
      expect(lstm.specs).toEqual(parameterSpecs(config));
      expect(lstm.specs.find((s) => s.name === 'weight_hh_l1_reverse')).toMatchObject({ layer: 1, direction: 1, kind: 'weight_hh', shape: [16, 4] });
      const sd = await lstm.stateDict();
      expect(Object.keys(sd)).toEqual(lstm.specs.map((s) => s.name));
      expect(lstm.parameterCount).toBe(lstm.specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0));
      const x = engine.tensor(new Float32Array(2 * 1 * 3).fill(0.5), [2, 1, 3]);
      lstm.forward(x);
      for (const layer of layers) layer.dispose();
      lstm.dispose(); // idempotent
      for (const call of [() => lstm.forward(x), () => lstm.blocks(), () => lstm.parameters(), () => lstm.loadStateDict(sd)]) {
        let err: unknown;
        try {
          call();
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(WebRnnError);
        expect((err as WebRnnError).code).toBe('DISPOSED');
      }
      await expect(lstm.stateDict()).rejects.toMatchObject({ code: 'DISPOSED' });
      x.dispose();
    });
  });
});
