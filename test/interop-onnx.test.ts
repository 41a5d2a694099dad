// ONNX import against onnxruntime-node (the CPU build, run on the same file):
//  - models exported by torch.onnx.export (test/fixtures-onnx, scripts/gen_onnx_fixtures.py): LSTM,
//    GRU, RNN tanh/relu, 1–3 layers, bidirectional, batch_first, initial states, embeddings, linear
//    heads, softmax/log_softmax/argmax, opsets 9–17;
//  - hand-built recurrent graphs for what exporters never emit: reverse direction, peepholes, clip,
//    input_forget, linear_before_reset = 0, layout = 1, sequence_lens (including 0), every activation
//    with α/β, different activations per direction, omitted outputs;
//  - every plain operator of the CPU executor, in its attribute and input forms;
//  - errors that name unsupported operators and attributes.
// Outputs must equal onnxruntime's within 1e-5 of max |onnxruntime output| (integer outputs exactly).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEngine, type Engine } from '../src/index.js';
import { OnnxModel } from '../src/interop/onnx/model.js';
import { makeValue, type OnnxType, type OnnxValue } from '../src/interop/onnx/value.js';
import { encodeOnnx, floatAttr, floatsAttr, type AttrInput, type IoInput, type NodeInput } from '../src/interop/onnx/write.js';
import { Rng } from '../src/random.js';
import { compareWithOrt, fromOrt, toOrt } from './helpers/onnx-vs-ort.js';

const ROOT = join(import.meta.dirname, 'fixtures-onnx');
const TOL = 1e-5;

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => engine?.dispose());

const compare = (bytes: Uint8Array, feeds: Record<string, OnnxValue>, label: string): Promise<number> => compareWithOrt(engine, bytes, feeds, label, TOL);

const rng = new Rng(20240601);
const floats = (shape: number[], lo = -1, hi = 1, r = rng) => makeValue('float32', shape, r.uniformArray(shape.reduce((a, b) => a * b, 1), lo, hi));
const ints = (type: OnnxType, values: number[], shape = [values.length]) => makeValue(type, shape, values);

const worst: [string, number][] = [];
afterAll(() => {
  if (!worst.length) return;
  worst.sort((a, b) => b[1] - a[1]);
  console.log(`ONNX vs onnxruntime: ${worst.length} graphs, worst ${worst[0][1].toExponential(2)} (${worst[0][0]})`);
});

// ------------------------------------------------------------------------------------------------
describe('models exported by torch.onnx.export', () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'manifest.json'), 'utf8')) as Record<string, { inputs: Record<string, { shape: number[]; dtype: string; high?: number }> }>;
  for (const [name, m] of Object.entries(manifest)) {
    test(name, async () => {
      const feeds: Record<string, OnnxValue> = {};
      for (const [k, spec] of Object.entries(m.inputs)) {
        feeds[k] = spec.dtype === 'int64'
          ? ints('int64', Array.from({ length: spec.shape.reduce((a, b) => a * b, 1) }, () => rng.int(0, spec.high! - 1)), spec.shape)
          : floats(spec.shape, -2, 2);
      }
      worst.push([name, await compare(readFileSync(join(ROOT, `${name}.onnx`)), feeds, name)]);
    });
  }
});

// ------------------------------------------------------------------------------------------------
interface RecurrentGraph {
  op: 'LSTM' | 'GRU' | 'RNN';
  I: number;
  H: number;
  T: number;
  B: number;
  direction?: 'forward' | 'reverse' | 'bidirectional';
  attrs?: Record<string, AttrInput>;
  bias?: boolean;
  lengths?: number[];
  h0?: boolean;
  c0?: boolean;
  peephole?: boolean;
  layout?: 0 | 1;
  /** which outputs to name (others '' / absent); default all */
  outputs?: ('Y' | 'Y_h' | 'Y_c')[];
  /** omit hidden_size (onnxruntime requires it; the spec does not) */
  noHiddenSize?: boolean;
  /** declare X with symbolic T and B */
  dynamic?: boolean;
  opset?: number;
}

/** A one-node graph with random weights (initializers) and graph inputs X, sequence_lens, initial_h, initial_c. */
function recurrentGraph(g: RecurrentGraph, r = rng): { bytes: Uint8Array; feeds: Record<string, OnnxValue> } {
  const floats = (shape: number[], lo: number, hi: number) => makeValue('float32', shape, r.uniformArray(shape.reduce((a, b) => a * b, 1), lo, hi));
  const G = g.op === 'LSTM' ? 4 : g.op === 'GRU' ? 3 : 1;
  const D = g.direction === 'bidirectional' ? 2 : 1;
  const s = 1 / Math.sqrt(g.H);
  const init: Record<string, OnnxValue> = {
    W: floats([D, G * g.H, g.I], -s * 2, s * 2),
    R: floats([D, G * g.H, g.H], -s * 2, s * 2),
  };
  if (g.bias !== false) init.B = floats([D, 2 * G * g.H], -0.5, 0.5);
  if (g.peephole) init.P = floats([D, 3 * g.H], -0.8, 0.8);
  const layout = g.layout ?? 0;
  const feeds: Record<string, OnnxValue> = { X: floats(layout ? [g.B, g.T, g.I] : [g.T, g.B, g.I], -2, 2) };
  const inputs: IoInput[] = [{ name: 'X', type: 'float32', shape: g.dynamic ? (layout ? ['B', 'T', g.I] : ['T', 'B', g.I]) : feeds.X.shape }];
  if (g.lengths) {
    feeds.sequence_lens = ints('int32', g.lengths);
    inputs.push({ name: 'sequence_lens', type: 'int32', shape: [g.B] });
  }
  const st = layout ? [g.B, D, g.H] : [D, g.B, g.H];
  for (const k of ['h0', 'c0'] as const) {
    if (!g[k]) continue;
    feeds[k] = floats(st, -1, 1);
    inputs.push({ name: k, type: 'float32', shape: st });
  }
  const names = g.outputs ?? (g.op === 'LSTM' ? ['Y', 'Y_h', 'Y_c'] : ['Y', 'Y_h']);
  const all = g.op === 'LSTM' ? ['Y', 'Y_h', 'Y_c'] : ['Y', 'Y_h'];
  const nodeOutputs = all.map((o) => (names.includes(o as 'Y') ? o : ''));
  while (nodeOutputs[nodeOutputs.length - 1] === '') nodeOutputs.pop();
  const nodeInputs = ['X', 'W', 'R', init.B ? 'B' : '', g.lengths ? 'sequence_lens' : '', g.h0 ? 'h0' : '', g.c0 ? 'c0' : '', g.peephole ? 'P' : ''];
  while (nodeInputs[nodeInputs.length - 1] === '') nodeInputs.pop();
  const attrs: Record<string, AttrInput> = { ...(g.noHiddenSize ? {} : { hidden_size: g.H }), ...(g.direction ? { direction: g.direction } : {}), ...(layout ? { layout: 1 } : {}), ...g.attrs };
  const node: NodeInput = { op: g.op, inputs: nodeInputs, outputs: nodeOutputs, attrs };
  const bytes = encodeOnnx({ opset: g.opset ?? 14, inputs, outputs: names.map((n) => ({ name: n, type: 'float32' as const })), initializers: init, nodes: [node] });
  return { bytes, feeds };
}

/** The same graph with layout 0, for onnxruntime (whose CPU kernels reject layout = 1): inputs and outputs transposed. */
async function compareLayout1(g: RecurrentGraph, label: string): Promise<number> {
  const seed = rng.int(1, 1 << 30);
  const one = recurrentGraph({ ...g, layout: 1 }, new Rng(seed));
  const zero = recurrentGraph({ ...g, layout: 0 }, new Rng(seed)); // same weights (drawn first)
  const D = g.direction === 'bidirectional' ? 2 : 1;
  const { B, T, I, H } = g;
  // Same weights (same random stream), layout-0 inputs as the transposes of the layout-1 ones.
  const feeds0: Record<string, OnnxValue> = { ...zero.feeds };
  const x1 = one.feeds.X;
  feeds0.X = makeValue('float32', [T, B, I], Array.from({ length: T * B * I }, (_, i) => {
    const t = Math.floor(i / (B * I)), b = Math.floor(i / I) % B, k = i % I;
    return x1.data[(b * T + t) * I + k];
  }));
  for (const k of ['h0', 'c0']) {
    if (!one.feeds[k]) continue;
    const s1 = one.feeds[k];
    feeds0[k] = makeValue('float32', [D, B, H], Array.from({ length: D * B * H }, (_, i) => {
      const d = Math.floor(i / (B * H)), b = Math.floor(i / H) % B, j = i % H;
      return s1.data[(b * D + d) * H + j];
    }));
  }
  if (one.feeds.sequence_lens) feeds0.sequence_lens = one.feeds.sequence_lens;
  const session = await ort.InferenceSession.create(zero.bytes);
  const want = await session.run(Object.fromEntries(Object.entries(feeds0).map(([k, v]) => [k, toOrt(v)])));
  await session.release();
  const model = await OnnxModel.load(one.bytes, label);
  let err = 0;
  try {
    const got = await model.run(engine, one.feeds);
    for (const [name, t] of Object.entries(want)) {
      const w = fromOrt(t);
      const g1 = got[name];
      // layout 1: Y (B, T, D, H), Y_h/Y_c (B, D, H)
      const back = name === 'Y'
        ? Array.from({ length: T * D * B * H }, (_, i) => {
          const t0 = Math.floor(i / (D * B * H)), d = Math.floor(i / (B * H)) % D, b = Math.floor(i / H) % B, j = i % H;
          return g1.data[((b * T + t0) * D + d) * H + j];
        })
        : Array.from({ length: D * B * H }, (_, i) => {
          const d = Math.floor(i / (B * H)), b = Math.floor(i / H) % B, j = i % H;
          return g1.data[(b * D + d) * H + j];
        });
      expect(g1.shape).toEqual(name === 'Y' ? [B, T, D, H] : [B, D, H]);
      let scale = 0, diff = 0;
      for (let i = 0; i < w.data.length; i++) {
        scale = Math.max(scale, Math.abs(w.data[i]));
        diff = Math.max(diff, Math.abs(back[i] - w.data[i]));
      }
      err = Math.max(err, diff / (scale || 1));
    }
  } finally {
    model.dispose();
  }
  expect(err).toBeLessThanOrEqual(TOL);
  return err;
}

const A = (name: string) => name;
const RECURRENT_CASES: [string, RecurrentGraph][] = [
  ['LSTM forward', { op: 'LSTM', I: 3, H: 5, T: 6, B: 2 }],
  ['LSTM reverse, sequence_lens, initial states', { op: 'LSTM', I: 3, H: 5, T: 6, B: 4, direction: 'reverse', lengths: [6, 2, 4, 1], h0: true, c0: true }],
  ['LSTM bidirectional, peepholes, sequence_lens', { op: 'LSTM', I: 4, H: 6, T: 5, B: 3, direction: 'bidirectional', peephole: true, lengths: [3, 5, 1], h0: true, c0: true }],
  ['LSTM reverse, peepholes, no bias', { op: 'LSTM', I: 2, H: 4, T: 4, B: 2, direction: 'reverse', peephole: true, bias: false }],
  ['LSTM clip 0.4, bidirectional', { op: 'LSTM', I: 3, H: 5, T: 6, B: 2, direction: 'bidirectional', attrs: { clip: floatAttr(0.4) } }],
  ['LSTM input_forget, peepholes', { op: 'LSTM', I: 3, H: 4, T: 5, B: 3, attrs: { input_forget: 1 }, peephole: true, lengths: [5, 3, 2] }],
  ['LSTM input_forget, clip, reverse', { op: 'LSTM', I: 3, H: 4, T: 5, B: 2, direction: 'reverse', attrs: { input_forget: 1, clip: floatAttr(0.7) } }],
  ['LSTM activations HardSigmoid/Elu/Softsign (α, β given)', { op: 'LSTM', I: 3, H: 5, T: 5, B: 2, attrs: { activations: ['HardSigmoid', 'Elu', 'Softsign'], activation_alpha: floatsAttr([0.3, 0.8]), activation_beta: floatsAttr([0.45]) } }],
  ['LSTM activations differ per direction, defaults for α/β', { op: 'LSTM', I: 3, H: 4, T: 5, B: 3, direction: 'bidirectional', lengths: [5, 2, 4], attrs: { activations: ['sigmoid', 'leakyrelu', 'tanh', 'HardSigmoid', 'Tanh', 'ScaledTanh'], activation_alpha: floatsAttr([0.2, 0.25, 1.4]), activation_beta: floatsAttr([0.5, 0.6]) } }],
  ['LSTM Y_h only', { op: 'LSTM', I: 3, H: 4, T: 4, B: 2, outputs: ['Y_h'], lengths: [4, 2] }],
  ['LSTM Y_c only, sequence_lens with 0', { op: 'LSTM', I: 3, H: 4, T: 4, B: 3, outputs: ['Y_c'], lengths: [4, 0, 2] }],
  ['GRU linear_before_reset 0 (default)', { op: 'GRU', I: 3, H: 5, T: 6, B: 2 }],
  ['GRU linear_before_reset 1, bidirectional, initial_h', { op: 'GRU', I: 3, H: 5, T: 6, B: 3, direction: 'bidirectional', h0: true, attrs: { linear_before_reset: 1 } }],
  ['GRU reverse, sequence_lens with 0', { op: 'GRU', I: 4, H: 4, T: 5, B: 4, direction: 'reverse', lengths: [5, 0, 3, 1] }],
  ['GRU clip 0.3, linear_before_reset 1', { op: 'GRU', I: 3, H: 4, T: 5, B: 2, attrs: { clip: floatAttr(0.3), linear_before_reset: 1 } }],
  ['GRU activations Softsign/ThresholdedRelu, reverse', { op: 'GRU', I: 3, H: 5, T: 5, B: 2, direction: 'reverse', attrs: { activations: ['Softsign', 'ThresholdedRelu'], activation_alpha: floatsAttr([-0.2]) } }],
  ['GRU activations per direction, linear_before_reset 0', { op: 'GRU', I: 3, H: 4, T: 5, B: 2, direction: 'bidirectional', lengths: [5, 3], attrs: { activations: ['HardSigmoid', 'Affine', 'Sigmoid', 'Softplus'], activation_alpha: floatsAttr([0.25, 0.7]), activation_beta: floatsAttr([0.5, 0.1]) } }],
  ['RNN forward default (Tanh)', { op: 'RNN', I: 3, H: 5, T: 6, B: 2 }],
  ['RNN Relu, reverse, initial_h', { op: 'RNN', I: 3, H: 5, T: 6, B: 3, direction: 'reverse', h0: true, attrs: { activations: ['Relu'] } }],
  ['RNN bidirectional Tanh/Relu with sequence_lens', { op: 'RNN', I: 3, H: 5, T: 6, B: 3, direction: 'bidirectional', lengths: [6, 1, 3], attrs: { activations: ['Tanh', 'Relu'] } }],
  ['RNN clip 0.5', { op: 'RNN', I: 3, H: 5, T: 5, B: 2, attrs: { clip: floatAttr(0.5) } }],
  ...(
    [['Sigmoid'], ['Affine', 0.7, -0.1], ['LeakyRelu', 0.1], ['LeakyRelu'], ['ThresholdedRelu', 0.2], ['ScaledTanh', 1.5, 0.6], ['HardSigmoid', 0.3, 0.4], ['HardSigmoid'], ['Elu', 0.9], ['Elu'], ['Softsign'], ['Softplus']] as [string, number?, number?][]
  ).map(([name, alpha, beta]): [string, RecurrentGraph] => [
    `RNN ${A(name)}${alpha !== undefined ? ` α ${alpha}` : ''}${beta !== undefined ? ` β ${beta}` : ''}`,
    { op: 'RNN', I: 3, H: 4, T: 5, B: 2, direction: 'bidirectional', attrs: { activations: [name, name], ...(alpha !== undefined ? { activation_alpha: floatsAttr([alpha, alpha]) } : {}), ...(beta !== undefined ? { activation_beta: floatsAttr([beta, beta]) } : {}) } },
  ]),
];

describe('hand-built recurrent graphs', () => {
  for (const [name, g] of RECURRENT_CASES) {
    test(name, async () => {
      const { bytes, feeds } = recurrentGraph(g);
      worst.push([name, await compare(bytes, feeds, name)]);
    });
  }

  const layout1: [string, RecurrentGraph][] = [
    ['LSTM layout 1, bidirectional, states, lengths', { op: 'LSTM', I: 3, H: 4, T: 5, B: 3, direction: 'bidirectional', h0: true, c0: true, lengths: [5, 2, 4] }],
    ['GRU layout 1, reverse', { op: 'GRU', I: 3, H: 4, T: 5, B: 2, direction: 'reverse', h0: true }],
    ['RNN layout 1', { op: 'RNN', I: 3, H: 4, T: 5, B: 2 }],
  ];
  for (const [name, g] of layout1) {
    test(`${name} (onnxruntime runs the same graph in layout 0: its CPU kernels reject layout 1)`, async () => {
      worst.push([name, await compareLayout1(g, name)]);
    });
  }

  test('onnxruntime-node indeed rejects layout 1 (else compare directly)', async () => {
    const { bytes, feeds } = recurrentGraph({ op: 'GRU', I: 2, H: 3, T: 2, B: 2, layout: 1 });
    let direct = true;
    try {
      const s = await ort.InferenceSession.create(bytes);
      await s.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toOrt(v)])));
    } catch {
      direct = false;
    }
    if (direct) worst.push(['GRU layout 1 direct', await compare(bytes, feeds, 'GRU layout 1 direct')]);
  });

  test('running twice reuses the layers and gives the same numbers; other shapes rebuild', async () => {
    const { bytes, feeds } = recurrentGraph({ op: 'LSTM', I: 3, H: 4, T: 4, B: 2, direction: 'bidirectional', dynamic: true });
    const m = await OnnxModel.load(bytes);
    try {
      const a = await m.run(engine, feeds);
      const b = await m.run(engine, feeds);
      expect(Array.from(b.Y.data)).toEqual(Array.from(a.Y.data));
      const c = await m.run(engine, { X: floats([7, 3, 3]) });
      expect(c.Y.shape).toEqual([7, 2, 3, 4]);
    } finally {
      m.dispose();
    }
  });

  test('hidden_size may be omitted (the spec makes it optional; onnxruntime requires it): same numbers', async () => {
    const seed = rng.int(1, 1 << 30);
    const g: RecurrentGraph = { op: 'LSTM', I: 2, H: 4, T: 4, B: 2, direction: 'reverse', peephole: true, bias: false };
    const withIt = recurrentGraph(g, new Rng(seed));
    const without = recurrentGraph({ ...g, noHiddenSize: true }, new Rng(seed));
    const a = await OnnxModel.load(withIt.bytes);
    const b = await OnnxModel.load(without.bytes);
    try {
      const ya = await a.run(engine, withIt.feeds);
      const yb = await b.run(engine, without.feeds);
      expect(Array.from(yb.Y.data)).toEqual(Array.from(ya.Y.data));
    } finally {
      a.dispose();
      b.dispose();
    }
  });
});

// ------------------------------------------------------------------------------------------------
interface OpCase {
  name: string;
  op: string;
  opset?: number;
  inputs: Record<string, OnnxValue>;
  /** constant inputs (initializers), e.g. shapes and axes */
  consts?: Record<string, OnnxValue>;
  /** node input names in order ('' for omitted) */
  order: string[];
  outputs: [string, OnnxType][];
  attrs?: Record<string, AttrInput>;
}

const f = floats;
const i64 = (v: number[], shape?: number[]) => ints('int64', v, shape);
const OP_CASES: OpCase[] = [
  { name: 'Transpose perm', op: 'Transpose', inputs: { x: f([2, 3, 4]) }, order: ['x'], outputs: [['y', 'float32']], attrs: { perm: [1, 2, 0] } },
  { name: 'Transpose default (reverse)', op: 'Transpose', inputs: { x: f([2, 3, 4]) }, order: ['x'], outputs: [['y', 'float32']] },
  { name: 'Reshape 0 and -1', op: 'Reshape', inputs: { x: f([2, 3, 4]) }, consts: { s: i64([0, -1]) }, order: ['x', 's'], outputs: [['y', 'float32']] },
  { name: 'Reshape allowzero', op: 'Reshape', opset: 14, inputs: { x: f([2, 3, 4]) }, consts: { s: i64([4, 6]) }, order: ['x', 's'], outputs: [['y', 'float32']], attrs: { allowzero: 1 } },
  { name: 'Flatten axis 2', op: 'Flatten', inputs: { x: f([2, 3, 4, 5]) }, order: ['x'], outputs: [['y', 'float32']], attrs: { axis: 2 } },
  { name: 'Squeeze opset 11 (axes attribute)', op: 'Squeeze', opset: 11, inputs: { x: f([1, 3, 1, 2]) }, order: ['x'], outputs: [['y', 'float32']], attrs: { axes: [0, -2] } },
  { name: 'Squeeze opset 13 (axes input)', op: 'Squeeze', opset: 13, inputs: { x: f([1, 3, 1, 2]) }, consts: { a: i64([2]) }, order: ['x', 'a'], outputs: [['y', 'float32']] },
  { name: 'Squeeze all ones', op: 'Squeeze', opset: 13, inputs: { x: f([1, 3, 1, 2]) }, order: ['x'], outputs: [['y', 'float32']] },
  { name: 'Unsqueeze opset 11', op: 'Unsqueeze', opset: 11, inputs: { x: f([3, 2]) }, order: ['x'], outputs: [['y', 'float32']], attrs: { axes: [0, 3] } },
  { name: 'Unsqueeze opset 13', op: 'Unsqueeze', opset: 13, inputs: { x: f([3, 2]) }, consts: { a: i64([-1, 1]) }, order: ['x', 'a'], outputs: [['y', 'float32']] },
  { name: 'Concat axis -1', op: 'Concat', inputs: { a: f([2, 3, 1]), b: f([2, 3, 4]) }, order: ['a', 'b'], outputs: [['y', 'float32']], attrs: { axis: -1 } },
  { name: 'Concat int64 axis 0', op: 'Concat', inputs: { a: i64([1, 2]), b: i64([3]) }, order: ['a', 'b'], outputs: [['y', 'int64']], attrs: { axis: 0 } },
  { name: 'Split opset 11 (split attribute)', op: 'Split', opset: 11, inputs: { x: f([2, 6]) }, order: ['x'], outputs: [['y0', 'float32'], ['y1', 'float32']], attrs: { axis: 1, split: [2, 4] } },
  { name: 'Split opset 13 (split input)', op: 'Split', opset: 13, inputs: { x: f([5, 2]) }, consts: { s: i64([1, 3, 1]) }, order: ['x', 's'], outputs: [['y0', 'float32'], ['y1', 'float32'], ['y2', 'float32']] },
  { name: 'Split even', op: 'Split', opset: 13, inputs: { x: f([6, 2]) }, order: ['x'], outputs: [['y0', 'float32'], ['y1', 'float32'], ['y2', 'float32']] },
  { name: 'Slice opset 9 (attributes)', op: 'Slice', opset: 9, inputs: { x: f([4, 5]) }, order: ['x'], outputs: [['y', 'float32']], attrs: { starts: [1, -3], ends: [3, 1000], axes: [0, 1] } },
  { name: 'Slice opset 13, negative step, INT64_MAX', op: 'Slice', opset: 13, inputs: { x: f([4, 5, 3]) }, consts: { s: i64([-1, 0]), e: i64([-1e19, 9.2e18]), a: i64([0, 2]), st: i64([-2, 2]) }, order: ['x', 's', 'e', 'a', 'st'], outputs: [['y', 'float32']] },
  { name: 'Slice opset 13 last step', op: 'Slice', opset: 13, inputs: { x: f([3, 6, 2]) }, consts: { s: i64([-1]), e: i64([9.2e18]), a: i64([1]) }, order: ['x', 's', 'e', 'a'], outputs: [['y', 'float32']] },
  { name: 'Gather axis 0 (embedding)', op: 'Gather', inputs: { w: f([7, 3]), ids: i64([6, 0, -1, 2, 2, 5], [2, 3]) }, order: ['w', 'ids'], outputs: [['y', 'float32']] },
  { name: 'Gather axis 1, scalar index', op: 'Gather', inputs: { x: f([2, 5, 3]) }, consts: { i: i64([-2], []) }, order: ['x', 'i'], outputs: [['y', 'float32']], attrs: { axis: 1 } },
  { name: 'Expand', op: 'Expand', inputs: { x: f([3, 1]) }, consts: { s: i64([2, 1, 4]) }, order: ['x', 's'], outputs: [['y', 'float32']] },
  { name: 'Tile', op: 'Tile', inputs: { x: f([2, 3]) }, consts: { r: i64([2, 2]) }, order: ['x', 'r'], outputs: [['y', 'float32']] },
  { name: 'Shape', op: 'Shape', inputs: { x: f([2, 3, 4]) }, order: ['x'], outputs: [['y', 'int64']] },
  { name: 'Shape start/end (opset 15)', op: 'Shape', opset: 15, inputs: { x: f([2, 3, 4]) }, order: ['x'], outputs: [['y', 'int64']], attrs: { start: 1, end: -1 } },
  { name: 'Size', op: 'Size', inputs: { x: f([2, 3, 4]) }, order: ['x'], outputs: [['y', 'int64']] },
  { name: 'Constant tensor', op: 'Constant', inputs: {}, order: [], outputs: [['y', 'float32']], attrs: { value: f([2, 2]) } },
  { name: 'Constant value_floats', op: 'Constant', inputs: {}, order: [], outputs: [['y', 'float32']], attrs: { value_floats: floatsAttr([1.5, -2]) } },
  { name: 'Constant value_ints', op: 'Constant', inputs: {}, order: [], outputs: [['y', 'int64']], attrs: { value_ints: [3, 4] } },
  { name: 'ConstantOfShape default', op: 'ConstantOfShape', inputs: {}, consts: { s: i64([2, 3]) }, order: ['s'], outputs: [['y', 'float32']] },
  { name: 'ConstantOfShape int64 value', op: 'ConstantOfShape', inputs: {}, consts: { s: i64([3]) }, order: ['s'], outputs: [['y', 'int64']], attrs: { value: i64([7], [1]) } },
  { name: 'Cast float → int64 (truncates)', op: 'Cast', inputs: { x: makeValue('float32', [4], [1.7, -1.7, 2.5, -0.2]) }, order: ['x'], outputs: [['y', 'int64']], attrs: { to: 7 } },
  { name: 'Cast int64 → float', op: 'Cast', inputs: { x: i64([1, -3, 5]) }, order: ['x'], outputs: [['y', 'float32']], attrs: { to: 1 } },
  { name: 'Range', op: 'Range', inputs: {}, consts: { a: i64([2], []), b: i64([11], []), c: i64([3], []) }, order: ['a', 'b', 'c'], outputs: [['y', 'int64']] },
  { name: 'Where', op: 'Where', inputs: { c: makeValue('bool', [2, 1], [1, 0]), a: f([2, 3]), b: f([3]) }, order: ['c', 'a', 'b'], outputs: [['y', 'float32']] },
  { name: 'MatMul 2-D', op: 'MatMul', inputs: { a: f([3, 4]), b: f([4, 5]) }, order: ['a', 'b'], outputs: [['y', 'float32']] },
  { name: 'MatMul batched broadcast', op: 'MatMul', inputs: { a: f([2, 1, 3, 4]), b: f([3, 4, 2]) }, order: ['a', 'b'], outputs: [['y', 'float32']] },
  { name: 'MatMul 1-D × 2-D and 3-D × 1-D', op: 'MatMul', inputs: { a: f([4]), b: f([2, 4, 3]) }, order: ['a', 'b'], outputs: [['y', 'float32']] },
  { name: 'MatMul 3-D × 1-D', op: 'MatMul', inputs: { a: f([2, 3, 4]), b: f([4]) }, order: ['a', 'b'], outputs: [['y', 'float32']] },
  { name: 'Gemm transB, C row', op: 'Gemm', inputs: { a: f([3, 4]), b: f([5, 4]), c: f([5]) }, order: ['a', 'b', 'c'], outputs: [['y', 'float32']], attrs: { transB: 1 } },
  { name: 'Gemm transA, α, β, C scalar-ish', op: 'Gemm', inputs: { a: f([4, 3]), b: f([4, 2]), c: f([3, 1]) }, order: ['a', 'b', 'c'], outputs: [['y', 'float32']], attrs: { transA: 1, alpha: floatAttr(0.5), beta: floatAttr(2) } },
  { name: 'Gemm without C', op: 'Gemm', opset: 13, inputs: { a: f([2, 3]), b: f([3, 2]) }, order: ['a', 'b'], outputs: [['y', 'float32']] },
  { name: 'Add broadcast', op: 'Add', inputs: { a: f([2, 3, 4]), b: f([4]) }, order: ['a', 'b'], outputs: [['y', 'float32']] },
  { name: 'Sub broadcast', op: 'Sub', inputs: { a: f([2, 1, 4]), b: f([3, 1]) }, order: ['a', 'b'], outputs: [['y', 'float32']] },
  { name: 'Mul', op: 'Mul', inputs: { a: f([2, 3]), b: f([2, 3]) }, order: ['a', 'b'], outputs: [['y', 'float32']] },
  { name: 'Div float', op: 'Div', inputs: { a: f([2, 3]), b: f([2, 3], 0.5, 2) }, order: ['a', 'b'], outputs: [['y', 'float32']] },
  { name: 'Div int64 (truncates)', op: 'Div', inputs: { a: i64([7, -7, 9]), b: i64([2, 2, -4]) }, order: ['a', 'b'], outputs: [['y', 'int64']] },
  { name: 'Pow', op: 'Pow', inputs: { a: f([2, 3], 0.1, 2), b: f([3]) }, order: ['a', 'b'], outputs: [['y', 'float32']] },
  { name: 'Max variadic', op: 'Max', inputs: { a: f([2, 3]), b: f([3]), c: f([2, 1]) }, order: ['a', 'b', 'c'], outputs: [['y', 'float32']] },
  { name: 'Min', op: 'Min', inputs: { a: f([2, 3]), b: f([3]) }, order: ['a', 'b'], outputs: [['y', 'float32']] },
  { name: 'Sum', op: 'Sum', inputs: { a: f([2, 3]), b: f([3]) }, order: ['a', 'b'], outputs: [['y', 'float32']] },
  { name: 'Equal int64', op: 'Equal', inputs: { a: i64([1, 2, 3]), b: i64([1, 0, 3]) }, order: ['a', 'b'], outputs: [['y', 'bool']] },
  { name: 'Less', op: 'Less', inputs: { a: f([2, 3]), b: f([3]) }, order: ['a', 'b'], outputs: [['y', 'bool']] },
  { name: 'LessOrEqual', op: 'LessOrEqual', opset: 16, inputs: { a: i64([1, 2, 3]), b: i64([2, 2, 2]) }, order: ['a', 'b'], outputs: [['y', 'bool']] },
  { name: 'GreaterOrEqual', op: 'GreaterOrEqual', opset: 16, inputs: { a: i64([1, 2, 3]), b: i64([2, 2, 2]) }, order: ['a', 'b'], outputs: [['y', 'bool']] },
  { name: 'Greater', op: 'Greater', inputs: { a: f([2, 3]), b: f([3]) }, order: ['a', 'b'], outputs: [['y', 'bool']] },
  { name: 'Not', op: 'Not', inputs: { a: makeValue('bool', [3], [1, 0, 1]) }, order: ['a'], outputs: [['y', 'bool']] },
  { name: 'And', op: 'And', inputs: { a: makeValue('bool', [3], [1, 0, 1]), b: makeValue('bool', [3], [1, 1, 0]) }, order: ['a', 'b'], outputs: [['y', 'bool']] },
  { name: 'Or', op: 'Or', inputs: { a: makeValue('bool', [3], [1, 0, 0]), b: makeValue('bool', [3], [0, 0, 1]) }, order: ['a', 'b'], outputs: [['y', 'bool']] },
  ...(['Neg', 'Abs', 'Exp', 'Tanh', 'Sigmoid', 'Relu', 'Softsign', 'Softplus', 'Identity'] as const).map((op): OpCase => ({ name: op, op, inputs: { x: f([3, 4], -3, 3) }, order: ['x'], outputs: [['y', 'float32']] })),
  ...(['Log', 'Sqrt', 'Reciprocal'] as const).map((op): OpCase => ({ name: op, op, inputs: { x: f([3, 4], 0.1, 3) }, order: ['x'], outputs: [['y', 'float32']] })),
  { name: 'LeakyRelu α', op: 'LeakyRelu', inputs: { x: f([3, 4], -3, 3) }, order: ['x'], outputs: [['y', 'float32']], attrs: { alpha: floatAttr(0.2) } },
  { name: 'Elu', op: 'Elu', inputs: { x: f([3, 4], -3, 3) }, order: ['x'], outputs: [['y', 'float32']] },
  { name: 'HardSigmoid', op: 'HardSigmoid', inputs: { x: f([3, 4], -4, 4) }, order: ['x'], outputs: [['y', 'float32']], attrs: { alpha: floatAttr(0.3) } },
  { name: 'Clip opset 11 (inputs)', op: 'Clip', opset: 11, inputs: { x: f([3, 4], -3, 3) }, consts: { lo: makeValue('float32', [], [-0.5]), hi: makeValue('float32', [], [1]) }, order: ['x', 'lo', 'hi'], outputs: [['y', 'float32']] },
  { name: 'Clip opset 11 max only', op: 'Clip', opset: 11, inputs: { x: f([3, 4], -3, 3) }, consts: { hi: makeValue('float32', [], [1]) }, order: ['x', '', 'hi'], outputs: [['y', 'float32']] },
  { name: 'Clip opset 6 (attributes)', op: 'Clip', opset: 6, inputs: { x: f([3, 4], -3, 3) }, order: ['x'], outputs: [['y', 'float32']], attrs: { min: floatAttr(-1), max: floatAttr(0.5) } },
  { name: 'Softmax opset 11 axis 1 (flattened)', op: 'Softmax', opset: 11, inputs: { x: f([2, 3, 4], -3, 3) }, order: ['x'], outputs: [['y', 'float32']], attrs: { axis: 1 } },
  { name: 'Softmax opset 13 default axis', op: 'Softmax', opset: 13, inputs: { x: f([2, 3, 4], -3, 3) }, order: ['x'], outputs: [['y', 'float32']] },
  { name: 'Softmax opset 13 axis 1', op: 'Softmax', opset: 13, inputs: { x: f([2, 3, 4], -3, 3) }, order: ['x'], outputs: [['y', 'float32']], attrs: { axis: 1 } },
  { name: 'LogSoftmax opset 11 default', op: 'LogSoftmax', opset: 11, inputs: { x: f([2, 3, 4], -3, 3) }, order: ['x'], outputs: [['y', 'float32']] },
  { name: 'LogSoftmax opset 13 axis -1', op: 'LogSoftmax', opset: 13, inputs: { x: f([2, 3, 4], -3, 3) }, order: ['x'], outputs: [['y', 'float32']], attrs: { axis: -1 } },
  { name: 'ReduceSum opset 11 (axes attribute)', op: 'ReduceSum', opset: 11, inputs: { x: f([2, 3, 4]) }, order: ['x'], outputs: [['y', 'float32']], attrs: { axes: [1], keepdims: 0 } },
  { name: 'ReduceSum opset 13 (axes input)', op: 'ReduceSum', opset: 13, inputs: { x: f([2, 3, 4]) }, consts: { a: i64([0, -1]) }, order: ['x', 'a'], outputs: [['y', 'float32']] },
  { name: 'ReduceMean all', op: 'ReduceMean', opset: 13, inputs: { x: f([2, 3, 4]) }, order: ['x'], outputs: [['y', 'float32']] },
  { name: 'ReduceMax axis', op: 'ReduceMax', opset: 13, inputs: { x: f([2, 3, 4]) }, order: ['x'], outputs: [['y', 'float32']], attrs: { axes: [2], keepdims: 0 } },
  { name: 'ReduceMin opset 18 (axes input)', op: 'ReduceMin', opset: 18, inputs: { x: f([2, 3, 4]) }, consts: { a: i64([1]) }, order: ['x', 'a'], outputs: [['y', 'float32']] },
  { name: 'ReduceProd', op: 'ReduceProd', opset: 13, inputs: { x: f([2, 3], 0.5, 1.5) }, order: ['x'], outputs: [['y', 'float32']], attrs: { axes: [0] } },
  { name: 'ArgMax keepdims 0', op: 'ArgMax', inputs: { x: f([2, 3, 4]) }, order: ['x'], outputs: [['y', 'int64']], attrs: { axis: -1, keepdims: 0 } },
  { name: 'ArgMax select_last_index', op: 'ArgMax', opset: 13, inputs: { x: makeValue('float32', [2, 3], [1, 3, 3, 2, 2, 0]) }, order: ['x'], outputs: [['y', 'int64']], attrs: { axis: 1, select_last_index: 1 } },
  { name: 'Dropout (inference)', op: 'Dropout', opset: 13, inputs: { x: f([3, 4]) }, order: ['x'], outputs: [['y', 'float32']] },
  // Pad and Conv: seeded sweeps over modes, opset forms and attributes in interop-onnx-control.test.ts
  { name: 'Pad reflect (pads input)', op: 'Pad', opset: 13, inputs: { x: f([3, 4]) }, consts: { p: i64([1, 2, 2, 0]) }, order: ['x', 'p'], outputs: [['y', 'float32']], attrs: { mode: 'reflect' } },
  { name: 'Conv 1-D stride 2, pads', op: 'Conv', opset: 11, inputs: { x: f([1, 2, 9]) }, consts: { w: f([3, 2, 3]), b: f([3]) }, order: ['x', 'w', 'b'], outputs: [['y', 'float32']], attrs: { strides: [2], pads: [1, 1] } },
];

describe('CPU operators vs onnxruntime', () => {
  for (const c of OP_CASES) {
    test(c.name, async () => {
      const consts = c.consts ?? {};
      const bytes = encodeOnnx({
        opset: c.opset ?? 14,
        inputs: Object.entries(c.inputs).map(([k, v]) => ({ name: k, type: v.type, shape: v.shape })),
        outputs: c.outputs.map(([name, type]) => ({ name, type })),
        initializers: consts,
        nodes: [{ op: c.op, inputs: c.order, outputs: c.outputs.map(([n]) => n), attrs: c.attrs }],
      });
      worst.push([`op ${c.name}`, await compare(bytes, c.inputs, c.name)]);
    });
  }

  test('every CPU operator has a case', async () => {
    const { CPU_OPS } = await import('../src/interop/onnx/ops.js');
    const covered = new Set(OP_CASES.map((c) => c.op));
    expect(Object.keys(CPU_OPS).filter((op) => !covered.has(op))).toEqual([]);
  });
});

// ------------------------------------------------------------------------------------------------
describe('errors name what is not supported', () => {
  const g = (nodes: NodeInput[], opset = 14) => encodeOnnx({ opset, inputs: [{ name: 'x', type: 'float32', shape: [2, 3] }], outputs: [{ name: 'y', type: 'float32' }], nodes });

  test('operators outside the supported set, with node names', async () => {
    const bytes = g([
      { op: 'ConvTranspose', inputs: ['x'], outputs: ['a'], name: 'deconv1' },
      { op: 'Resize', inputs: ['a'], outputs: ['b'] },
      { op: 'ConvTranspose', inputs: ['b'], outputs: ['y'], name: 'deconv2' },
    ]);
    await expect(OnnxModel.load(bytes)).rejects.toThrow(/unsupported ONNX operators: ConvTranspose \("deconv1", "deconv2"\); Resize \("Resize_1"\)\. Supported: .*LSTM/);
  });

  test('a graph of supported operators loads; its inputs are listed', async () => {
    const bytes = encodeOnnx({ inputs: [{ name: 'x', type: 'float32', shape: [1] }], outputs: [{ name: 'y', type: 'float32' }], nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }] });
    const m = await OnnxModel.load(bytes);
    expect(m.inputs.map((i) => i.name)).toEqual(['x']);
  });

  test('unsupported recurrent attributes and values name themselves', async () => {
    const base = (attrs: Record<string, AttrInput>) => recurrentGraph({ op: 'LSTM', I: 2, H: 3, T: 2, B: 1, attrs }).bytes;
    await expect(OnnxModel.load(base({ activations: ['Swish', 'Tanh', 'Tanh'] }))).rejects.toThrow(/unsupported activation "Swish"/);
    await expect(OnnxModel.load(base({ activations: ['Sigmoid'] }))).rejects.toThrow(/activations must list 3 functions/);
    await expect(OnnxModel.load(base({ direction: 'sideways' }))).rejects.toThrow(/direction must be forward, reverse or bidirectional, got "sideways"/);
    await expect(OnnxModel.load(base({ layout: 2 }))).rejects.toThrow(/layout must be 0 or 1/);
    await expect(OnnxModel.load(base({ proj_size: 2 }))).rejects.toThrow(/unsupported attribute "proj_size"/);
    await expect(OnnxModel.load(recurrentGraph({ op: 'RNN', I: 2, H: 3, T: 2, B: 1, attrs: { input_forget: 1 } }).bytes)).rejects.toThrow(/unsupported attribute "input_forget"/);
  });

  test('bad feeds and bad files', async () => {
    const { bytes, feeds } = recurrentGraph({ op: 'GRU', I: 2, H: 3, T: 2, B: 2, lengths: [2, 1] });
    const m = await OnnxModel.load(bytes);
    await expect(m.run(engine, { X: feeds.X })).rejects.toThrow(/missing graph input "sequence_lens" \(INT32 \[2\]\)/);
    await expect(m.run(engine, { ...feeds, Z: feeds.X })).rejects.toThrow(/"Z" is not an input of the graph/);
    await expect(m.run(engine, { ...feeds, sequence_lens: ints('int64', [2, 1]) })).rejects.toThrow(/"sequence_lens" must be int32, got int64/);
    await expect(m.run(engine, { ...feeds, X: floats([2, 2, 5]) })).rejects.toThrow(/"X" has shape \[2, 2, 5\], the graph declares \[2, 2, 2\]/);
    await expect(m.run(engine, { ...feeds, sequence_lens: ints('int32', [3, 1]) })).rejects.toThrow(/sequence_lens\[0\] = 3, must be in \[0, 2\]/);
    m.dispose();
    await expect(OnnxModel.load(new Uint8Array([1, 2, 3, 4, 5]))).rejects.toThrow(/not an ONNX model/);
    const noProducer = g([{ op: 'Relu', inputs: ['x'], outputs: ['z'] }]);
    await expect(OnnxModel.load(noProducer)).rejects.toThrow(/graph output "y" is produced by no node/);
  });
});
