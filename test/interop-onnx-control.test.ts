// The ONNX executor's operators for convolutional front ends and control flow (what the silero VAD
// models need), each against onnxruntime-node on the same file:
//  - Pad: seeded random ranks, pads (negative = crop), modes constant/reflect/edge/wrap, in the opset
//    forms attribute (opset 2–10), input + constant_value (11), axes input (18), wrap (19);
//  - Conv: seeded random 1-D and 2-D cases over strides, dilations, pads, auto_pad NOTSET/SAME_UPPER/
//    SAME_LOWER/VALID, group, bias present or not, kernel_shape given or not (float32 Conv runs on the
//    GPU kernel conv2d_fwd, which test/gpu/conv-cases.ts checks against the float64 reference in every
//    host); its weights uploaded again when they change;
//  - If: both branches, outer-scope reads, branch initializers, nested Ifs, an LSTM inside a branch
//    (on the GPU), a condition of shape [1];
//  - feeds: a [1]-shaped tensor where a scalar is declared (onnxruntime accepts it), not the reverse;
//  - load checks over every subgraph (unsupported operator named by its path) and the size bounds
//    checked before allocating (typed errors).
// Float outputs must equal onnxruntime's within 1e-5 of max |onnxruntime output|.
import { afterAll, describe, expect, test } from 'vitest';
import { ConvNodeRunner } from '../src/interop/onnx/conv-gpu.js';
import type { OnnxNode } from '../src/interop/onnx/graph.js';
import { OnnxModel } from '../src/interop/onnx/model.js';
import { makeValue, type OnnxType, type OnnxValue } from '../src/interop/onnx/value.js';
import { encodeOnnx, floatAttr, type AttrInput, type GraphInput, type NodeInput } from '../src/interop/onnx/write.js';
import { Rng } from '../src/random.js';
import { asyncCode, engine, scoped, useEngine } from './helpers/gpu-test.js';
import { compareWithOrt } from './helpers/onnx-vs-ort.js';

useEngine();

const TOL = 1e-5;
const worst = new Map<string, number>();
const note = (op: string, err: number) => worst.set(op, Math.max(worst.get(op) ?? 0, err));
afterAll(() => {
  if (worst.size) console.log(`vs onnxruntime, worst error / max |output|: ${[...worst].map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')}`);
});

const floats = (r: Rng, shape: number[], lo = -1, hi = 1) => makeValue('float32', shape, r.uniformArray(shape.reduce((a, b) => a * b, 1), lo, hi));
const i64 = (v: number[]) => makeValue('int64', [v.length], v);

/** One node over fed inputs `x…` and constant inputs, as a model. */
function oneNode(opset: number, op: string, feeds: Record<string, OnnxValue>, consts: Record<string, OnnxValue>, order: string[], attrs: Record<string, AttrInput>, outType: OnnxType = 'float32'): Uint8Array {
  return encodeOnnx({
    opset,
    inputs: Object.entries(feeds).map(([name, v]) => ({ name, type: v.type, shape: v.shape })),
    outputs: [{ name: 'y', type: outType }],
    initializers: consts,
    nodes: [{ op, inputs: order, outputs: ['y'], attrs }],
  });
}

// ------------------------------------------------------------------------------------------------
describe('Pad vs onnxruntime', () => {
  const r = new Rng(1801);
  const modes = ['constant', 'reflect', 'edge', 'wrap'] as const;
  for (let k = 0; k < 24; k++) {
    const mode = modes[k % 4];
    const form = mode === 'wrap' ? 'axes19' : (['attribute', 'input', 'axes18'] as const)[Math.floor(k / 4) % 3];
    const rank = r.int(1, 4);
    const shape = Array.from({ length: rank }, () => r.int(2, 4));
    const axes = form === 'axes18' || form === 'axes19' ? [...Array(rank).keys()].filter(() => r.next() < 0.6) : [...Array(rank).keys()];
    if (!axes.length) axes.push(rank - 1);
    // reflect mirrors at most dim - 1 values; constant also crops (negative pads)
    // (onnxruntime 1.30's wrap reads uninitialised memory for pads past the axis length: not compared)
    const padFor = (ax: number) => (mode === 'reflect' ? r.int(0, shape[ax] - 1) : mode === 'wrap' ? r.int(0, shape[ax]) : mode === 'constant' ? r.int(-1, 3) : r.int(0, 3));
    const pads = [...axes.map(padFor), ...axes.map(padFor)];
    const value = mode === 'constant' ? Math.round(r.uniform(-3, 3) * 4) / 4 : 0;
    test(`${mode}, ${form}, [${shape}] pads [${pads}]${axes.length < rank ? ` axes [${axes}]` : ''}`, async () => {
      const x = floats(r, shape);
      let bytes: Uint8Array;
      if (form === 'attribute') {
        bytes = oneNode(10, 'Pad', { x }, {}, ['x'], { mode, pads, value: floatAttr(value) });
      } else {
        const consts: Record<string, OnnxValue> = { p: i64(pads), v: makeValue('float32', [], [value]) };
        const order = ['x', 'p', mode === 'constant' ? 'v' : ''];
        if (form !== 'input') {
          consts.a = i64(axes.map((a) => (r.next() < 0.5 ? a - rank : a)));
          order.push('a');
        }
        bytes = oneNode(form === 'axes19' ? 19 : form === 'axes18' ? 18 : 11, 'Pad', { x }, consts, order, { mode });
      }
      note('Pad', await compareWithOrt(engine, bytes, { x }, 'Pad', TOL));
    });
  }

  test('the padded size is checked against maxElements before allocating', async () => {
    const x = makeValue('float32', [4, 4], new Float32Array(16));
    const bytes = oneNode(11, 'Pad', { x }, { p: i64([1000, 1000, 1000, 1000]) }, ['x', 'p'], {});
    const m = await OnnxModel.load(bytes, 'pad', { maxElements: 1 << 20 });
    await expect(m.run(engine, { x })).rejects.toThrow(/"Pad_0" \(Pad\): .*\[2004, 2004\] has 4\.016e\+6 elements, more than the ONNX executor's cap of 1048576/);
    expect(await asyncCode(() => m.run(engine, { x }))).toBe('DEVICE_LIMIT');
    const crop = await OnnxModel.load(oneNode(11, 'Pad', { x }, { p: i64([0, -5, 0, 0]) }, ['x', 'p'], {}));
    await expect(crop.run(engine, { x })).rejects.toThrow(/crop \[4, 4\] below zero/);
    const odd = await OnnxModel.load(oneNode(11, 'Pad', { x }, { p: i64([1, 1, 1]) }, ['x', 'p'], {}));
    expect(await asyncCode(() => odd.run(engine, { x }))).toBe('BAD_VALUE');
  });
});

// ------------------------------------------------------------------------------------------------
describe('Conv vs onnxruntime', () => {
  const r = new Rng(2207);
  const autoPads = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'] as const;
  for (let k = 0; k < 32; k++) {
    const sd = 1 + (k % 2);
    const autoPad = autoPads[Math.floor(k / 2) % 4];
    const group = r.int(1, 3);
    const [N, C, M] = [r.int(1, 2), group * r.int(1, 3), group * r.int(1, 3)];
    const kernel = Array.from({ length: sd }, () => r.int(1, 4));
    const strides = Array.from({ length: sd }, () => r.int(1, 3));
    // onnxruntime refuses dilations with SAME_UPPER/SAME_LOWER: those cases use 1
    const dil = Array.from({ length: sd }, () => (autoPad.startsWith('SAME') ? 1 : r.int(1, 2)));
    const pads = autoPad === 'NOTSET' ? Array.from({ length: 2 * sd }, () => r.int(0, 2)) : undefined;
    const spatial = kernel.map((kk, i) => dil[i] * (kk - 1) + 1 + r.int(0, 7));
    const bias = r.next() < 0.6;
    const attrs: Record<string, AttrInput> = { auto_pad: autoPad, group, strides, dilations: dil };
    if (pads) attrs.pads = pads;
    if (r.next() < 0.5) attrs.kernel_shape = kernel;
    if (autoPad === 'NOTSET' && r.next() < 0.3) delete attrs.auto_pad;
    test(`${sd}-D ${autoPad} X [${N}, ${C}, ${spatial}] W [${M}, ${C / group}, ${kernel}] group ${group} strides [${strides}] dilations [${dil}]${pads ? ` pads [${pads}]` : ''}${bias ? ' bias' : ''}`, async () => {
      const x = floats(r, [N, C, ...spatial]);
      const consts: Record<string, OnnxValue> = { w: floats(r, [M, C / group, ...kernel]) };
      if (bias) consts.b = floats(r, [M]);
      const bytes = oneNode(r.next() < 0.5 ? 11 : 17, 'Conv', { x }, consts, bias ? ['x', 'w', 'b'] : ['x', 'w'], attrs);
      note('Conv', await compareWithOrt(engine, bytes, { x }, 'Conv', TOL));
    });
  }

  // A 1-D Conv that is a true GEMM for onnxruntime's CPU kernels (one group, more than one output
  // channel and position) sums each output from 0 as fused multiply-adds in the order c, k and adds the
  // bias last; the WGSL kernel rounds the same way, so the outputs are equal bit for bit (with the bias
  // added first, as before, 20–90% of silero's Conv outputs differed by an ulp or more). Depthwise,
  // matrix-vector and 2-D shapes go through onnxruntime kernels that sum in other orders: TOL above.
  test('a 1-D GEMM-shaped Conv with bias equals onnxruntime\'s bit for bit', async () => {
    const g = new Rng(2208);
    for (const [C, M, k, stride, pad] of [[16, 32, 3, 1, 1], [129, 128, 3, 1, 1], [128, 64, 3, 2, 1], [1, 258, 256, 128, 0], [64, 64, 5, 1, 2], [32, 48, 3, 3, 0]] as const) {
      const spatial = [stride * 6 + k];
      const x = floats(g, [1, C, ...spatial]);
      const consts = { w: floats(g, [M, C, k], -0.5, 0.5), b: floats(g, [M]) };
      const bytes = oneNode(17, 'Conv', { x }, consts, ['x', 'w', 'b'], { strides: [stride], pads: [pad, pad] });
      expect(await compareWithOrt(engine, bytes, { x }, `Conv C ${C} M ${M} kernel ${k}`, 0), `C ${C}, M ${M}, kernel ${k}`).toBe(0);
    }
  });

  test('bad shapes and work past the cap are typed errors before allocating', async () => {
    const x = makeValue('float32', [1, 4, 10], new Float32Array(40));
    const run = async (w: OnnxValue, attrs: Record<string, AttrInput>, maxElements?: number) => {
      const m = await OnnxModel.load(oneNode(17, 'Conv', { x }, { w }, ['x', 'w'], attrs), 'conv', maxElements ? { maxElements } : undefined);
      return m.run(engine, { x });
    };
    await expect(run(makeValue('float32', [2, 3, 3], new Float32Array(18)), {})).rejects.toThrow(/do not fit/);
    await expect(run(makeValue('float32', [2, 4, 12], new Float32Array(96)), {})).rejects.toThrow(/kernel span \[12\] exceeds the padded input \[10\]/);
    await expect(run(makeValue('float32', [2, 4, 3], new Float32Array(24)), { strides: [0] })).rejects.toThrow(/strides \[0\] must be 1 positive integers/);
    await expect(run(makeValue('float32', [2, 4, 3], new Float32Array(24)), { auto_pad: 'SAME' })).rejects.toThrow(/auto_pad "SAME"/);
    // 64 output channels × 8 = 512 elements > cap 256 (checked before the output is allocated)
    expect(await asyncCode(() => run(makeValue('float32', [64, 4, 3], new Float32Array(768)), {}, 256))).toBe('DEVICE_LIMIT');
    // output [1, 1, 21] fits a cap of 21 elements, but 21 × 64 × 20 multiply-adds exceed 1024 × 21
    const wide = makeValue('float32', [1, 64, 40], new Float32Array(64 * 40));
    const deep = await OnnxModel.load(oneNode(17, 'Conv', { x: wide }, { w: makeValue('float32', [1, 64, 20], new Float32Array(64 * 20)) }, ['x', 'w'], {}), 'conv', { maxElements: 21 });
    await expect(deep.run(engine, { x: wide })).rejects.toThrow(/needs 2\.688e\+4 multiply-adds, more than the ONNX executor allows/);
    expect((await deep.run(engine, { x: wide }, { maxElements: 32 })).y.shape).toEqual([1, 1, 21]);
  });
});

// ------------------------------------------------------------------------------------------------
describe('conv2d_fwd (WGSL) through the executor', () => {
  // the kernel against the float64 reference, in every host: the conv: cases of test/gpu/conv-cases.ts
  test('new weights are uploaded on the same recorded program; a bias makes a new one', async () => {
    const node: OnnxNode = { opType: 'Conv', domain: '', name: 'conv', inputs: [], outputs: [], attrs: new Map() };
    const x = makeValue('float32', [1, 1, 3], [1, 2, 3]);
    const runner = new ConvNodeRunner(node);
    const one = await scoped(() => runner.run(engine, [x, makeValue('float32', [1, 1, 2], [1, 1])], 1 << 27));
    const two = await scoped(() => runner.run(engine, [x, makeValue('float32', [1, 1, 2], [1, -1])], 1 << 27));
    const biased = await scoped(() => runner.run(engine, [x, makeValue('float32', [1, 1, 2], [1, -1]), makeValue('float32', [1], [10])], 1 << 27));
    runner.dispose();
    expect(Array.from(one[0].data)).toEqual([3, 5]);
    expect(Array.from(two[0].data)).toEqual([-1, -1]);
    expect(Array.from(biased[0].data)).toEqual([9, 9]);
  });

  // Conv → Relu → Conv → Relu (each Relu the only reader: fused, the tensors stay on the GPU, one read
  // back for the output), and a Conv whose output is read by a Relu and by a graph output (not fused)
  test('a Relu fused into its Conv, values kept on the GPU between Convs, agree with onnxruntime', async () => {
    const r = new Rng(1802);
    const x = floats(r, [2, 3, 9]);
    const inits = { w1: floats(r, [4, 3, 3]), b1: floats(r, [4]), w2: floats(r, [5, 4, 2]) };
    const chain = encodeOnnx({
      opset: 17,
      inputs: [{ name: 'x', type: 'float32', shape: [2, 3, 9] }],
      outputs: [{ name: 'y', type: 'float32' }],
      initializers: inits,
      nodes: [
        { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { pads: [1, 1] } },
        { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
        { op: 'Conv', inputs: ['r1', 'w2'], outputs: ['c2'], attrs: { strides: [2] } },
        { op: 'Relu', inputs: ['c2'], outputs: ['y'] },
      ],
    });
    const shared = encodeOnnx({
      opset: 17,
      inputs: [{ name: 'x', type: 'float32', shape: [2, 3, 9] }],
      outputs: [{ name: 'y', type: 'float32' }, { name: 'c1', type: 'float32' }],
      initializers: inits,
      nodes: [
        { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'] },
        { op: 'Relu', inputs: ['c1'], outputs: ['y'] },
      ],
    });
    const reads = { n: 0 };
    const read = engine.readBuffer.bind(engine);
    engine.readBuffer = (...a) => (reads.n++, read(...a));
    try {
      note('Conv', await compareWithOrt(engine, chain, { x }, 'Conv+Relu chain', TOL));
      expect(reads.n, 'read backs of the fused chain: the output only').toBe(1);
      reads.n = 0;
      note('Conv', await compareWithOrt(engine, shared, { x }, 'Conv read by Relu and an output', TOL));
      expect(reads.n, 'the Conv output is read back once for the Relu and the output').toBe(1);
    } finally {
      engine.readBuffer = read;
    }
  });
});

// ------------------------------------------------------------------------------------------------
describe('If vs onnxruntime', () => {
  const r = new Rng(3301);
  const branch = (nodes: NodeInput[], out: string, initializers?: Record<string, OnnxValue>): { graph: GraphInput } => ({ graph: { outputs: [{ name: out, type: 'float32' }], nodes, initializers } });

  test('both branches, reading outer-scope values and their own initializers; condition scalar or [1]', async () => {
    const x = floats(r, [3, 4]);
    const k = floats(r, [4]);
    for (const condShape of [[], [1]]) {
      const bytes = encodeOnnx({
        opset: 17,
        inputs: [{ name: 'x', type: 'float32', shape: [3, 4] }, { name: 'c', type: 'bool', shape: condShape }],
        outputs: [{ name: 'y', type: 'float32' }, { name: 'z', type: 'float32' }],
        initializers: { k },
        nodes: [
          { op: 'Relu', inputs: ['x'], outputs: ['rx'] },
          {
            op: 'If', inputs: ['c'], outputs: ['y', 'z'], attrs: {
              then_branch: { graph: { outputs: [{ name: 't', type: 'float32' }, { name: 'rx2', type: 'float32' }], nodes: [{ op: 'Mul', inputs: ['rx', 'k'], outputs: ['t'] }, { op: 'Identity', inputs: ['rx'], outputs: ['rx2'] }] } },
              else_branch: { graph: { outputs: [{ name: 'e', type: 'float32' }, { name: 'e2', type: 'float32' }], initializers: { two: makeValue('float32', [], [2]) }, nodes: [{ op: 'Sub', inputs: ['x', 'two'], outputs: ['e'] }, { op: 'Neg', inputs: ['e'], outputs: ['e2'] }] } },
            },
          },
        ],
      });
      for (const c of [1, 0]) note('If', await compareWithOrt(engine, bytes, { x, c: makeValue('bool', condShape, [c]) }, `If cond ${c} shape [${condShape}]`, TOL));
    }
  });

  test('nested Ifs, the inner one reading values of both enclosing graphs', async () => {
    const x = floats(r, [2, 5]);
    const inner = (tag: string) => ({
      op: 'If', inputs: ['c2'], outputs: [`o_${tag}`], name: `inner_${tag}`, attrs: {
        then_branch: branch([{ op: 'Add', inputs: [`m_${tag}`, 'x'], outputs: [`a_${tag}`] }], `a_${tag}`),
        else_branch: branch([{ op: 'Mul', inputs: [`m_${tag}`, 'x'], outputs: [`b_${tag}`] }], `b_${tag}`),
      },
    });
    const bytes = encodeOnnx({
      opset: 17,
      inputs: [{ name: 'x', type: 'float32', shape: [2, 5] }, { name: 'c1', type: 'bool', shape: [] }, { name: 'c2', type: 'bool', shape: [] }],
      outputs: [{ name: 'y', type: 'float32' }],
      nodes: [{
        op: 'If', inputs: ['c1'], outputs: ['y'], name: 'outer', attrs: {
          then_branch: branch([{ op: 'Sigmoid', inputs: ['x'], outputs: ['m_t'] }, inner('t')], 'o_t'),
          else_branch: branch([{ op: 'Tanh', inputs: ['x'], outputs: ['m_e'] }, inner('e')], 'o_e'),
        },
      }],
    });
    for (const [c1, c2] of [[1, 1], [1, 0], [0, 1], [0, 0]]) {
      note('If', await compareWithOrt(engine, bytes, { x, c1: makeValue('bool', [], [c1]), c2: makeValue('bool', [], [c2]) }, `nested If ${c1}${c2}`, TOL));
    }
  });

  test('an LSTM inside a branch runs (GPU) with outer-scope weights; the other branch is never run', async () => {
    const [T, B, I, H] = [3, 2, 4, 5];
    const W = floats(r, [1, 4 * H, I], -0.5, 0.5);
    const R = floats(r, [1, 4 * H, H], -0.5, 0.5);
    const model = (elseBranch: NodeInput) => encodeOnnx({
      opset: 17,
      inputs: [{ name: 'x', type: 'float32', shape: [T, B, I] }, { name: 'sr', type: 'int64', shape: [] }],
      outputs: [{ name: 'y', type: 'float32' }],
      initializers: { W, R, k16: makeValue('int64', [], [16000]) },
      nodes: [
        { op: 'Equal', inputs: ['sr', 'k16'], outputs: ['is16'] },
        {
          op: 'If', inputs: ['is16'], outputs: ['y'], attrs: {
            then_branch: branch([{ op: 'LSTM', inputs: ['x', 'W', 'R'], outputs: ['', 'yh'], attrs: { hidden_size: H } }], 'yh'),
            else_branch: branch([elseBranch], 'e'),
          },
        },
      ],
    });
    const x = floats(r, [T, B, I]);
    const good = model({ op: 'Identity', inputs: ['x'], outputs: ['e'] });
    for (const sr of [16000, 8000]) note('If', await compareWithOrt(engine, good, { x, sr: makeValue('int64', [1], [sr]) }, `If with LSTM, sr ${sr}`, TOL));
    // an else branch that fails when run ([T, B, I] × [T, B, I]): only the chosen branch runs
    const m = await OnnxModel.load(model({ op: 'MatMul', inputs: ['x', 'x'], outputs: ['e'] }));
    expect((await m.run(engine, { x, sr: makeValue('int64', [], [16000]) })).y.shape).toEqual([1, B, H]);
    await expect(m.run(engine, { x, sr: makeValue('int64', [], [8000]) })).rejects.toThrow(/ONNX node "If_1\/else_branch\/MatMul_0" \(MatMul\): inner dimensions differ/);
    m.dispose();
  });

  test('a condition of more than one element is a typed error', async () => {
    const bytes = encodeOnnx({
      inputs: [{ name: 'c', type: 'bool', shape: [2] }], outputs: [{ name: 'y', type: 'bool' }],
      nodes: [{ op: 'If', inputs: ['c'], outputs: ['y'], attrs: { then_branch: { graph: { outputs: [{ name: 'c', type: 'bool' }], nodes: [] } }, else_branch: { graph: { outputs: [{ name: 'c', type: 'bool' }], nodes: [] } } } }],
    });
    const m = await OnnxModel.load(bytes);
    await expect(m.run(engine, { c: makeValue('bool', [2], [1, 0]) })).rejects.toThrow(/"If_0" \(If\): the condition must hold one element, got shape \[2\]/);
    expect(await asyncCode(() => m.run(engine, { c: makeValue('bool', [2], [1, 0]) }))).toBe('BAD_VALUE');
  });
});

// ------------------------------------------------------------------------------------------------
describe('subgraphs are checked at load', () => {
  const model = (thenNodes: NodeInput[], thenOut = 'a', elseOutputs = 1) => encodeOnnx({
    inputs: [{ name: 'x', type: 'float32', shape: [2] }, { name: 'c', type: 'bool', shape: [] }],
    outputs: [{ name: 'y', type: 'float32' }],
    nodes: [{
      op: 'If', inputs: ['c'], outputs: ['y'], name: 'gate', attrs: {
        then_branch: { graph: { outputs: [{ name: thenOut, type: 'float32' }], nodes: thenNodes } },
        else_branch: { graph: { outputs: Array.from({ length: elseOutputs }, () => ({ name: 'x', type: 'float32' as const })), nodes: [] } },
      },
    }],
  });

  test('an unsupported operator in a nested branch is named by its path, before anything runs', async () => {
    const bytes = model([
      { op: 'Relu', inputs: ['x'], outputs: ['r'] },
      {
        op: 'If', inputs: ['c'], outputs: ['a'], name: 'inner', attrs: {
          then_branch: { graph: { outputs: [{ name: 'q', type: 'float32' }], nodes: [{ op: 'ConvTranspose', inputs: ['r'], outputs: ['q'], name: 'up' }] } },
          else_branch: { graph: { outputs: [{ name: 'r', type: 'float32' }], nodes: [] } },
        },
      },
    ]);
    await expect(OnnxModel.load(bytes)).rejects.toThrow(/unsupported ONNX operator: ConvTranspose \("gate\/then_branch\/inner\/then_branch\/up"\)/);
  });

  test('subgraphs nest at most 16 deep; deeper files are BAD_FILE (so are those past 100 nested protobuf messages)', async () => {
    const nested = (depth: number, deepest: number): NodeInput => ({
      op: 'If', inputs: ['c'], outputs: [`y${depth}`], name: `if${depth}`, attrs: {
        then_branch: { graph: { outputs: [{ name: `y${depth + 1}`, type: 'bool' }], nodes: depth < deepest ? [nested(depth + 1, deepest)] : [{ op: 'Not', inputs: ['c'], outputs: [`y${depth + 1}`] }] } },
        else_branch: { graph: { outputs: [{ name: 'c', type: 'bool' }], nodes: [] } },
      },
    });
    const model = (deepest: number) => encodeOnnx({ inputs: [{ name: 'c', type: 'bool', shape: [] }], outputs: [{ name: 'y0', type: 'bool' }], nodes: [nested(0, deepest)] });
    const m = await OnnxModel.load(model(15));
    expect(Array.from((await m.run(engine, { c: makeValue('bool', [], [1]) })).y0.data)).toEqual([0]);
    await expect(OnnxModel.load(model(16))).rejects.toThrow(/subgraph if0\/then_branch\/if1\/.*\/if16\/then_branch nests more than 16 graphs deep/);
    await expect(OnnxModel.load(model(40))).rejects.toThrow(/not an ONNX model .*maximum recursion depth/);
    expect(await asyncCode(() => OnnxModel.load(model(16)))).toBe('BAD_FILE');
  });

  test('recurrent attributes, branch outputs and If attributes inside branches', async () => {
    await expect(OnnxModel.load(model([{ op: 'LSTM', inputs: ['x', 'x', 'x'], outputs: ['a'], attrs: { direction: 'up' } }]))).rejects.toThrow(/"gate\/then_branch\/LSTM_0" \(LSTM\): direction must be forward/);
    await expect(OnnxModel.load(model([{ op: 'Relu', inputs: ['x'], outputs: ['a'] }], 'nowhere'))).rejects.toThrow(/a subgraph of ONNX node "gate": graph output "nowhere" is produced by no node/);
    await expect(OnnxModel.load(model([{ op: 'Relu', inputs: ['x'], outputs: ['a'] }], 'a', 2))).rejects.toThrow(/"gate" \(If\): else_branch has 2 outputs, the node 1/);
    const noElse = encodeOnnx({
      inputs: [{ name: 'c', type: 'bool', shape: [] }], outputs: [{ name: 'y', type: 'bool' }],
      nodes: [{ op: 'If', inputs: ['c'], outputs: ['y'], attrs: { then_branch: { graph: { outputs: [{ name: 'c', type: 'bool' }], nodes: [] } } } }],
    });
    await expect(OnnxModel.load(noElse)).rejects.toThrow(/\(If\): attribute else_branch must be a graph/);
    expect(await asyncCode(() => OnnxModel.load(noElse))).toBe('BAD_FILE');
  });
});

// ------------------------------------------------------------------------------------------------
describe('feeds of declared scalars', () => {
  const identity = (shape: number[]) => encodeOnnx({ inputs: [{ name: 'x', type: 'int64', shape }], outputs: [{ name: 'y', type: 'int64' }], nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }] });

  test('a one-element tensor where a scalar is declared runs as onnxruntime runs it', async () => {
    for (const shape of [[], [1], [1, 1]]) await compareWithOrt(engine, identity([]), { x: makeValue('int64', shape, [16000]) }, `scalar fed [${shape}]`);
  });

  test('more than one element for a scalar, or a scalar for a declared [1], is BAD_SHAPE', async () => {
    const m = await OnnxModel.load(identity([]));
    await expect(m.run(engine, { x: makeValue('int64', [2], [1, 2]) })).rejects.toThrow(/"x" has shape \[2\], the graph declares a scalar \(one element\)/);
    const one = await OnnxModel.load(identity([1]));
    expect(await asyncCode(() => one.run(engine, { x: makeValue('int64', [], [1]) }))).toBe('BAD_SHAPE');
  });
});
