// Dense, Embedding and OneHot on the GPU vs their float64 references (test/reference/dense.ts,
// test/reference/embedding.ts): forward, backward, gradient accumulation, odd sizes past the GEMM tiles,
// inputs that are views at an offset, padding_idx and repeated ids. Tolerances in check.ts.
import type { Engine } from '../../src/gpu/engine.js';
import { Tensor } from '../../src/gpu/tensor.js';
import { Dense } from '../../src/layers/dense.js';
import { Embedding } from '../../src/layers/embedding.js';
import { OneHot } from '../../src/layers/one-hot.js';
import { Rng } from '../../src/random.js';
import { refDenseBackward, refDenseForward } from '../reference/dense.js';
import { refEmbeddingBackward, refEmbeddingForward, refOneHot } from '../reference/embedding.js';
import { f32, rounded, runCase, type CaseResult } from './check.js';

export interface DenseCase {
  kind: 'dense';
  name: string;
  I: number;
  O: number;
  /** leading axes of the input, e.g. (T, B) */
  lead: number[];
  bias: boolean;
  /** pass the input as a view this many floats into a larger buffer */
  viewOffset?: number;
  seed: number;
}

export interface EmbeddingCase {
  kind: 'embedding';
  name: string;
  V: number;
  E: number;
  shape: number[];
  padding_idx?: number;
  /** fraction of positions holding id 0 */
  repeat?: number;
  seed: number;
}

export interface OneHotCase {
  kind: 'one-hot';
  name: string;
  V: number;
  shape: number[];
  seed: number;
}

export type LayerCase = DenseCase | EmbeddingCase | OneHotCase;

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Every layer case, in a fixed order. */
export function layerCases(): LayerCase[] {
  const dense: Omit<DenseCase, 'kind' | 'name' | 'seed'>[] = [
    { I: 1, O: 1, lead: [1], bias: true },
    { I: 3, O: 67, lead: [5], bias: true },
    { I: 67, O: 3, lead: [7, 9], bias: false },
    { I: 13, O: 9, lead: [3, 5, 2], bias: true, viewOffset: 7 },
    { I: 64, O: 65, lead: [4, 33], bias: true },
    { I: 33, O: 1, lead: [131], bias: false, viewOffset: 1 },
  ];
  const emb: Omit<EmbeddingCase, 'kind' | 'name' | 'seed'>[] = [
    { V: 1, E: 1, shape: [1] },
    { V: 3, E: 67, shape: [4, 5], padding_idx: 1 },
    { V: 67, E: 3, shape: [13, 7] },
    { V: 300, E: 65, shape: [9, 11], padding_idx: -1 },
    { V: 5, E: 17, shape: [700], repeat: 0.9 },
  ];
  const oneHot: Omit<OneHotCase, 'kind' | 'name' | 'seed'>[] = [
    { V: 1, shape: [3] },
    { V: 3, shape: [2, 5] },
    { V: 300, shape: [7, 3] },
  ];
  let seed = 100;
  return [
    ...dense.map((c): DenseCase => ({
      kind: 'dense', ...c, seed: seed++,
      name: `dense: in ${c.I}, out ${c.O}, input [${[...c.lead, c.I]}], bias ${c.bias}${c.viewOffset ? `, input a view at +${c.viewOffset}` : ''}; backward, accumulate`,
    })),
    ...emb.map((c): EmbeddingCase => ({
      kind: 'embedding', ...c, seed: seed++,
      name: `embedding: V ${c.V}, E ${c.E}, tokens [${c.shape}]${c.padding_idx !== undefined ? `, padding_idx ${c.padding_idx}` : ''}${c.repeat ? ', one id repeated' : ''}; backward, accumulate, regroup`,
    })),
    ...oneHot.map((c): OneHotCase => ({ kind: 'one-hot', ...c, seed: seed++, name: `one-hot: V ${c.V}, tokens [${c.shape}]` })),
  ];
}

export function runLayerCase(engine: Engine, c: LayerCase): Promise<CaseResult> {
  if (c.kind === 'dense') return runDense(engine, c);
  if (c.kind === 'embedding') return runEmbedding(engine, c);
  return runOneHot(engine, c);
}

/** y = x·Wᵀ + b, then backward twice (overwrite, accumulate) and once more (overwrite again). */
function runDense(engine: Engine, c: DenseCase): Promise<CaseResult> {
  return runCase(engine, c.name, async (t) => {
    const { I, O, lead } = c;
    const rng = new Rng(c.seed);
    const rows = size(lead);
    const k = 1 / Math.sqrt(I);
    const W = rounded(rng.uniformArray(O * I, -k, k));
    const b = c.bias ? rounded(rng.uniformArray(O, -k, k)) : undefined;
    const x = rounded(rng.uniformArray(rows * I));
    const g1 = rounded(rng.uniformArray(rows * O));
    const g2 = rounded(rng.uniformArray(rows * O));
    const dense = t.own(new Dense(engine, { in_features: I, out_features: O, bias: c.bias }, { seed: c.seed }));
    dense.loadStateDict(b ? { weight: W, bias: b } : { weight: W });
    let xt: Tensor;
    if (c.viewOffset) {
      const off = c.viewOffset;
      const host = new Float32Array(off + rows * I + 3).fill(Number.NaN);
      host.set(f32(x), off);
      const whole = t.own(engine.tensor(host, [host.length]));
      xt = new Tensor(engine, whole.buffer, [...lead, I], off * 4, false);
    } else xt = t.own(engine.tensor(f32(x), [...lead, I]));
    const y = dense.forward(xt);
    t.expect(y.shape.join() === [...lead, O].join(), `y shape [${y.shape}]`);
    t.check('y', await y.read(), refDenseForward(x, W, b, I, O), 'forward');
    const r1 = refDenseBackward(x, W, g1, I, O, c.bias);
    const r2 = refDenseBackward(x, W, g2, I, O, c.bias);
    const gt1 = t.own(engine.tensor(f32(g1), [...lead, O]));
    const gt2 = t.own(engine.tensor(f32(g2), [...lead, O]));
    const b1 = dense.backward(gt1);
    t.check('dx', await b1.grad_input.read(), r1.grad_input, 'grad');
    t.check('dW', await b1.grads.weight.read(), r1.grads.weight, 'grad');
    if (c.bias) t.check('db', await b1.grads.bias!.read(), r1.grads.bias!, 'grad');
    else t.expect(b1.grads.bias === undefined, 'no bias gradient without bias');
    const b2 = dense.backward(gt2, { accumulate: true });
    const sum = (a: Float64Array, z: Float64Array) => a.map((v, i) => v + z[i]);
    t.check('dx (second call)', await b2.grad_input.read(), r2.grad_input, 'grad');
    t.check('dW accumulated', await b2.grads.weight.read(), sum(r1.grads.weight, r2.grads.weight), 'grad');
    if (c.bias) t.check('db accumulated', await b2.grads.bias!.read(), sum(r1.grads.bias!, r2.grads.bias!), 'grad');
    const b3 = dense.backward(gt2);
    t.check('dW overwritten', await b3.grads.weight.read(), r2.grads.weight, 'grad');
    if (c.bias) t.check('db overwritten', await b3.grads.bias!.read(), r2.grads.bias!, 'grad');
  });
}

/**
 * Lookup and the deterministic CSR weight gradient: backward (overwrite), backward with accumulate,
 * then a forward with other ids of the same count (the grouping must be rebuilt) and its backward.
 */
function runEmbedding(engine: Engine, c: EmbeddingCase): Promise<CaseResult> {
  return runCase(engine, c.name, async (t) => {
    const { V, E, shape } = c;
    const rng = new Rng(c.seed);
    const N = size(shape);
    const emb = t.own(new Embedding(engine, { num_embeddings: V, embedding_dim: E, padding_idx: c.padding_idx }, { seed: c.seed }));
    const pad = emb.padding_idx;
    const W = rounded(rng.normalArray(V * E));
    if (pad !== undefined) W.fill(0, pad * E, (pad + 1) * E);
    emb.loadStateDict({ weight: W });
    const draw = () => {
      const ids = Array.from({ length: N }, () => (c.repeat && rng.next() < c.repeat ? 0 : rng.int(0, V - 1)));
      if (pad !== undefined && N > 3) ids[1] = ids[3] = pad;
      return ids;
    };
    const tokens = draw();
    const y = emb.forward(Int32Array.from(tokens), shape);
    t.expect(y.shape.join() === [...shape, E].join(), `y shape [${y.shape}]`);
    t.check('y', await y.read(), refEmbeddingForward(tokens, W, E), 'forward');
    const g1 = rounded(rng.uniformArray(N * E));
    const g2 = rounded(rng.uniformArray(N * E));
    const gt1 = t.own(engine.tensor(f32(g1), [...shape, E]));
    const gt2 = t.own(engine.tensor(f32(g2), [...shape, E]));
    const r1 = refEmbeddingBackward(tokens, g1, V, E, pad);
    const r2 = refEmbeddingBackward(tokens, g2, V, E, pad);
    t.check('dW', await emb.backward(gt1).grads.weight.read(), r1, 'grad');
    t.check('dW accumulated', await emb.backward(gt2, { accumulate: true }).grads.weight.read(), r1.map((v, i) => v + r2[i]), 'grad');
    const other = draw();
    const y2 = emb.forward(Uint32Array.from(other), shape);
    t.check('y (new ids)', await y2.read(), refEmbeddingForward(other, W, E), 'forward');
    t.check('dW (new ids, regrouped)', await emb.backward(gt1).grads.weight.read(), refEmbeddingBackward(other, g1, V, E, pad), 'grad');
  });
}

function runOneHot(engine: Engine, c: OneHotCase): Promise<CaseResult> {
  return runCase(engine, c.name, async (t) => {
    const rng = new Rng(c.seed);
    const oh = t.own(new OneHot(engine, { num_classes: c.V }));
    for (let call = 0; call < 2; call++) {
      const tokens = Array.from({ length: size(c.shape) }, () => rng.int(0, c.V - 1));
      const y = oh.forward(tokens, c.shape);
      t.expect(y.shape.join() === [...c.shape, c.V].join(), `y shape [${y.shape}]`);
      t.check(`one-hot (call ${call + 1})`, await y.read(), refOneHot(tokens, c.V), 'forward');
    }
  });
}
