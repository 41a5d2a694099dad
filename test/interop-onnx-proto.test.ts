// The ONNX protobuf layer: src/interop/onnx/proto.gen.ts (generated from onnx.proto by
// scripts/gen-onnx-proto.mjs) on @bufbuild/protobuf, used by onnx-graph (decode) and onnx-write (encode).
//  - encodeOnnx → parseOnnx gives back the same graph: every element type, shape kind and attribute kind;
//  - every committed fixture decodes to the inputs and outputs (names, types, shapes) onnxruntime reports;
//  - int64 fields: exact up to 2^53 - 1, a dimension beyond it is BAD_FILE, INT64_MAX as a value keeps its
//    nearest double; the typed data fields (not raw_data) decode too;
//  - truncated and mutated bytes are decoded or refused with WebRnnError('BAD_FILE'), never another error;
//    unknown fields are skipped;
//  - `import 'webrnn'` reaches no protobuf module, nor does a bundle that takes only loadTorchModel from
//    webrnn/interop (with "sideEffects": false), while one that reads ONNX does;
//  - the committed generated file is what the generator writes (protoc from `npm run setup`).
import { create, toBinary } from '@bufbuild/protobuf';
import { build, type Metafile, type Plugin } from 'esbuild';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, test } from 'vitest';
import { WebRnnError } from '../src/errors.js';
import { parseOnnx, type OnnxGraph } from '../src/interop/onnx/graph.js';
import { AttributeProto_AttributeType as A, ModelProtoSchema } from '../src/interop/onnx/proto.gen.js';
import { makeValue, type OnnxType } from '../src/interop/onnx/value.js';
import { encodeOnnx, floatAttr, floatsAttr, type ModelInput } from '../src/interop/onnx/write.js';
import { Rng } from '../src/random.js';

const ROOT = join(import.meta.dirname, '..');
const FIXTURES = join(ROOT, 'test', 'fixtures-onnx');
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

const VALUES: Record<OnnxType, number[]> = {
  float32: [0.5, -1.25, 3e-8, 65504, -0, 1 / 3].map(Math.fround),
  float64: [1 / 3, -1e300, 5e-324, 0, 2.5, -7],
  int64: [MAX_SAFE, -MAX_SAFE, 0, -1, 2 ** 40, 7],
  uint64: [MAX_SAFE, 0, 1, 2 ** 32, 2 ** 52, 9],
  int32: [2 ** 31 - 1, -(2 ** 31), 0, -5, 6, 7],
  uint32: [2 ** 32 - 1, 0, 1, 2, 3, 4],
  int16: [32767, -32768, 0, 1, -1, 2],
  uint16: [65535, 0, 1, 2, 3, 4],
  int8: [127, -128, 0, 1, -1, 5],
  uint8: [255, 0, 1, 2, 3, 4],
  bool: [1, 0, 0, 1, 1, 0],
};

function sampleModel(): ModelInput {
  const initializers = Object.fromEntries(Object.entries(VALUES).map(([type, v]) => [`c_${type}`, makeValue(type as OnnxType, [2, 3], v)]));
  initializers.scalar = makeValue('float32', [], [2.5]);
  initializers.empty = makeValue('int64', [0, 4]);
  return {
    opset: 13,
    producer: 'round-trip',
    inputs: [
      { name: 'x', type: 'float32', shape: ['T', 'B', 3] },
      { name: 'tokens', type: 'int64', shape: [2, 5] },
      { name: 'mask', type: 'bool' },
    ],
    outputs: [{ name: 'y', type: 'float32', shape: ['T', 'B', 4] }, { name: 'z', type: 'float64', shape: [] }],
    initializers,
    nodes: [
      { op: 'LSTM', name: 'rnn', inputs: ['x', 'c_float32', 'c_float32', '', 'tokens'], outputs: ['y', ''], attrs: { hidden_size: 4, direction: 'bidirectional', clip: floatAttr(3), activation_alpha: floatsAttr([1, 0.5]), activations: ['Sigmoid', 'Tanh'], big: MAX_SAFE, negative: -MAX_SAFE } },
      { op: 'Transpose', inputs: ['y'], outputs: ['yt'], attrs: { perm: [0, 2, 1, 3], scale: 0.25, weights: [0.5, -2.75], ends: [2 ** 63, -(2 ** 64)] } },
      { op: 'Constant', inputs: [], outputs: ['z'], attrs: { value: makeValue('float64', [1], [1 / 3]) } },
    ],
  };
}

test('encodeOnnx → parseOnnx gives back the graph: element types, shapes, every attribute kind', async () => {
  const m = sampleModel();
  const g = await parseOnnx(encodeOnnx(m), 'sample');
  expect(g.opset).toBe(13);
  expect(g.irVersion).toBe(8);
  expect(g.producer).toBe('round-trip');
  expect(g.inputs).toEqual([
    { name: 'x', type: 'float32', typeName: 'FLOAT', shape: ['T', 'B', 3] },
    { name: 'tokens', type: 'int64', typeName: 'INT64', shape: [2, 5] },
    { name: 'mask', type: 'bool', typeName: 'BOOL', shape: undefined },
  ]);
  expect(g.outputs).toEqual([
    { name: 'y', type: 'float32', typeName: 'FLOAT', shape: ['T', 'B', 4] },
    { name: 'z', type: 'float64', typeName: 'DOUBLE', shape: [] },
  ]);
  expect([...g.initializers.keys()]).toEqual(Object.keys(m.initializers!));
  for (const [name, want] of Object.entries(m.initializers!)) {
    const got = g.initializers.get(name)!;
    expect({ name, type: got.type, shape: got.shape, array: got.data.constructor.name }).toEqual({ name, type: want.type, shape: want.shape, array: want.data.constructor.name });
    expect(Array.from(got.data), name).toEqual(Array.from(want.data));
  }
  expect(g.nodes.map((n) => [n.name, n.opType, n.domain, n.inputs, n.outputs])).toEqual([
    ['rnn', 'LSTM', '', ['x', 'c_float32', 'c_float32', '', 'tokens'], ['y', '']],
    ['Transpose_1', 'Transpose', '', ['y'], ['yt']],
    ['Constant_2', 'Constant', '', [], ['z']],
  ]);
  expect(Object.fromEntries(g.nodes[0].attrs)).toEqual({
    hidden_size: { kind: 'int', value: 4 },
    direction: { kind: 'string', value: 'bidirectional' },
    clip: { kind: 'float', value: 3 },
    activation_alpha: { kind: 'floats', value: [1, 0.5] },
    activations: { kind: 'strings', value: ['Sigmoid', 'Tanh'] },
    big: { kind: 'int', value: MAX_SAFE },
    negative: { kind: 'int', value: -MAX_SAFE },
  });
  expect(Object.fromEntries(g.nodes[1].attrs)).toEqual({
    perm: { kind: 'ints', value: [0, 2, 1, 3] },
    scale: { kind: 'float', value: 0.25 },
    weights: { kind: 'floats', value: [0.5, -2.75] },
    // written saturated to INT64_MAX / INT64_MIN (as protobufjs's Long did), read back as their nearest doubles
    ends: { kind: 'ints', value: [2 ** 63, -(2 ** 63)] },
  });
  const value = g.nodes[2].attrs.get('value');
  expect(value?.kind).toBe('tensor');
  expect(value?.kind === 'tensor' && { type: value.value.type, shape: value.value.shape, data: Array.from(value.value.data) }).toEqual({ type: 'float64', shape: [1], data: [1 / 3] });
});

describe('the committed fixtures', () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.onnx')).sort();
  test('there are fixtures to decode', () => expect(files.length).toBeGreaterThan(10));
  test.each(files)('%s: inputs and outputs are what onnxruntime reports', async (file) => {
    const bytes = readFileSync(join(FIXTURES, file));
    const g = await parseOnnx(bytes, file);
    const session = await ort.InferenceSession.create(bytes);
    try {
      const io = (l: OnnxGraph['inputs']) => l.map((v) => ({ name: v.name, type: v.type, shape: v.shape ?? [] }));
      const meta = (l: readonly ort.InferenceSession.ValueMetadata[]) => l.map((v) => ({ name: v.name, type: v.isTensor ? v.type : 'not a tensor', shape: v.isTensor ? [...v.shape] : [] }));
      expect(io(g.inputs)).toEqual(meta(session.inputMetadata));
      expect(io(g.outputs)).toEqual(meta(session.outputMetadata));
      expect(g.nodes.length).toBeGreaterThan(0);
      expect(g.initializers.size).toBeGreaterThan(0);
    } finally {
      await session.release();
    }
  });
});

/** A ModelProto with one initializer and one input, built field by field (what encodeOnnx never writes). */
function rawModel(tensor: Record<string, unknown>, inputDims: bigint[] = [3n], attrs: Record<string, unknown>[] = []): Uint8Array {
  return toBinary(ModelProtoSchema, create(ModelProtoSchema, {
    irVersion: 8n,
    opsetImport: [{ domain: '', version: 17n }],
    graph: {
      node: [{ opType: 'Identity', input: ['x'], output: ['y'], attribute: attrs }],
      input: [{ name: 'x', type: { value: { case: 'tensorType', value: { elemType: 1, shape: { dim: inputDims.map((d) => ({ value: { case: 'dimValue' as const, value: d } })) } } } } }],
      output: [{ name: 'y', type: { value: { case: 'tensorType', value: { elemType: 1 } } } }],
      initializer: [{ name: 'c', ...tensor }],
    },
  }));
}

async function badFile(bytes: Uint8Array): Promise<string> {
  const e = await parseOnnx(bytes).then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(WebRnnError);
  expect((e as WebRnnError).code).toBe('BAD_FILE');
  return (e as WebRnnError).message;
}

describe('int64 fields', () => {
  test('the typed data fields decode (int64_data, uint64_data, int32_data, float_data, double_data)', async () => {
    const cases: [number, Record<string, unknown>, OnnxType, number[]][] = [
      [7, { int64Data: [BigInt(MAX_SAFE), -BigInt(MAX_SAFE), 3n] }, 'int64', [MAX_SAFE, -MAX_SAFE, 3]],
      [13, { uint64Data: [BigInt(MAX_SAFE), 0n, 2n ** 40n] }, 'uint64', [MAX_SAFE, 0, 2 ** 40]],
      [12, { uint64Data: [2n ** 32n - 1n, 0n, 5n] }, 'uint32', [2 ** 32 - 1, 0, 5]],
      [6, { int32Data: [-(2 ** 31), 2 ** 31 - 1, 0] }, 'int32', [-(2 ** 31), 2 ** 31 - 1, 0]],
      [3, { int32Data: [-128, 127, 0] }, 'int8', [-128, 127, 0]],
      [1, { floatData: [0.5, -1.5, 2] }, 'float32', [0.5, -1.5, 2]],
      [11, { doubleData: [1 / 3, -1e300, 0] }, 'float64', [1 / 3, -1e300, 0]],
    ];
    for (const [dataType, fields, type, want] of cases) {
      const c = (await parseOnnx(rawModel({ dataType, dims: [3n], ...fields }))).initializers.get('c')!;
      expect({ type: c.type, shape: c.shape, data: Array.from(c.data) }, type).toEqual({ type, shape: [3], data: want });
    }
  });

  test('INT64_MAX and INT64_MIN as values (Slice\'s "to the end") become their nearest doubles, in data and attributes', async () => {
    const max = 2n ** 63n - 1n;
    const min = -(2n ** 63n);
    const g = await parseOnnx(rawModel({ dataType: 7, dims: [2n], int64Data: [max, min] }, [3n], [{ name: 'ends', type: A.INTS, ints: [max, min] }, { name: 'end', type: A.INT, i: max }]));
    expect(Array.from(g.initializers.get('c')!.data)).toEqual([2 ** 63, -(2 ** 63)]);
    expect(g.nodes[0].attrs.get('ends')).toEqual({ kind: 'ints', value: [2 ** 63, -(2 ** 63)] });
    expect(g.nodes[0].attrs.get('end')).toEqual({ kind: 'int', value: 2 ** 63 });
  });

  test('written back, those doubles saturate to INT64_MAX / INT64_MIN in tensors as in attributes (2^63 does not wrap to INT64_MIN)', async () => {
    const bytes = encodeOnnx({
      inputs: [{ name: 'x', type: 'float32', shape: [1] }], outputs: [{ name: 'x', type: 'float32', shape: [1] }],
      initializers: { c: makeValue('int64', [4], [2 ** 63, -(2 ** 63), 2 ** 64, -5]), u: makeValue('uint64', [3], [2 ** 64, -1, 7]) },
      nodes: [],
    });
    const g = await parseOnnx(bytes);
    expect(Array.from(g.initializers.get('c')!.data)).toEqual([2 ** 63, -(2 ** 63), 2 ** 63, -5]);
    expect(Array.from(g.initializers.get('u')!.data)).toEqual([2 ** 64, 0, 7]);
  });

  test('a dimension beyond 2^53 - 1 or below 0 is BAD_FILE, naming it; 2^53 - 1 itself is a size', async () => {
    expect(await badFile(rawModel({ dataType: 1, dims: [2n ** 53n] }))).toMatch(/initializer "c": dimension 9007199254740992 is not a tensor size/);
    expect(await badFile(rawModel({ dataType: 1, dims: [2n, -1n] }))).toMatch(/initializer "c": dimension -1 is not a tensor size/);
    expect(await badFile(rawModel({ dataType: 1, dims: [0n] }, [3n, 2n ** 60n + 1n]))).toMatch(/graph value "x": dimension 1152921504606846977 is not a tensor size/);
    const g = await parseOnnx(rawModel({ dataType: 1, dims: [0n] }, [BigInt(MAX_SAFE), 0n]));
    expect(g.inputs[0].shape).toEqual([MAX_SAFE, null]);
  });
});

describe('malformed bytes', () => {
  const small = encodeOnnx({
    inputs: [{ name: 'x', type: 'float32', shape: ['T', 2] }],
    outputs: [{ name: 'y', type: 'float32', shape: ['T', 2] }],
    initializers: { w: makeValue('float32', [2, 2], [1, 2, 3, 4]), shape: makeValue('int64', [2], [-1, 2]) },
    nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['h'] }, { op: 'Reshape', inputs: ['h', 'shape'], outputs: ['y'], attrs: { allowzero: 0 } }],
  });

  /** Decodes, or expects WebRnnError('BAD_FILE'); any other error fails with what was decoded. */
  async function decodedOrBadFile(bytes: Uint8Array, what: string): Promise<'ok' | 'bad'> {
    try {
      await parseOnnx(bytes, what);
      return 'ok';
    } catch (e) {
      expect(e instanceof WebRnnError ? e.code : `${(e as Error).name}: ${(e as Error).message}`, what).toBe('BAD_FILE');
      return 'bad';
    }
  }

  test('every truncation of a model is BAD_FILE or a smaller valid message', async () => {
    let bad = 0;
    for (let n = 0; n < small.length; n++) if ((await decodedOrBadFile(small.subarray(0, n), `first ${n} of ${small.length} bytes`)) === 'bad') bad++;
    expect(bad).toBeGreaterThan(small.length / 2);
    expect(await badFile(small.subarray(0, small.length - 1))).toMatch(/^model: not an ONNX model \(/);
  });

  test('random byte mutations (seeded) of a small model and of every fixture: decoded or BAD_FILE', async () => {
    const rng = new Rng(20261206);
    const sources = [small, ...readdirSync(FIXTURES).filter((f) => f.endsWith('.onnx')).sort().map((f) => new Uint8Array(readFileSync(join(FIXTURES, f))))];
    const counts = { ok: 0, bad: 0 };
    for (const [s, src] of sources.entries()) {
      for (let k = 0; k < (s === 0 ? 1500 : 80); k++) {
        const b = src.slice();
        const edits = rng.int(1, 4);
        // Mutations land in the first 512 bytes of a fixture, where the graph's structure is, or anywhere in the small model.
        for (let e = 0; e < edits; e++) b[rng.int(0, Math.min(b.length, s === 0 ? b.length : 512) - 1)] = rng.int(0, 255);
        counts[await decodedOrBadFile(b, `source ${s}, mutation ${k}`)]++;
      }
    }
    expect(counts.bad).toBeGreaterThan(100);
    expect(counts.ok).toBeGreaterThan(100);
  });

  test('bytes that are no protobuf at all are BAD_FILE', async () => {
    expect(await badFile(new Uint8Array([0x0f, 1]))).toMatch(/not an ONNX model \(.*wire type 7/);
    expect(await badFile(new Uint8Array(0))).toMatch(/not an ONNX model \(no graph\)/);
    expect(await badFile(new TextEncoder().encode('{"format": "layers-model"}'))).toMatch(/not an ONNX model/);
  });

  test('unknown fields (a newer onnx.proto) are skipped', async () => {
    const want = await parseOnnx(small);
    // field 100 varint 1, field 101 length-delimited "abc", field 102 fixed32: none is in ModelProto
    const extra = new Uint8Array([...small, 0xa0, 0x06, 0x01, 0xaa, 0x06, 0x03, 0x61, 0x62, 0x63, 0xb5, 0x06, 1, 2, 3, 4]);
    expect(await parseOnnx(extra)).toEqual(want);
  });
});

describe('what a bundle holds', () => {
  const PROTOBUF = /@bufbuild[/\\]protobuf|onnx-proto\.gen/;
  /** Marks webrnn's own files side-effect free, as "sideEffects": false in package.json would. */
  const sideEffectFree: Plugin = {
    name: 'webrnn-side-effect-free',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, async (args) => {
        if (args.pluginData === 'resolving') return undefined;
        const r = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'resolving' });
        if (r.errors.length) return { errors: r.errors };
        return { path: r.path, namespace: r.namespace, external: r.external, sideEffects: r.path.startsWith(join(ROOT, 'src')) ? false : r.sideEffects };
      });
    },
  };
  async function bundle(contents: string, plugins: Plugin[] = []): Promise<{ parsed: string[]; kept: string[] }> {
    const r = await build({
      stdin: { contents, resolveDir: join(ROOT, 'test'), loader: 'ts', sourcefile: 'entry.ts' },
      bundle: true, write: false, metafile: true, minify: true, format: 'esm', platform: 'browser', target: 'es2022',
      external: ['webgpu', 'node:*'], loader: { '.wgsl': 'text' }, logLevel: 'silent', plugins,
    });
    const meta: Metafile = r.metafile;
    const out = Object.values(meta.outputs)[0];
    return { parsed: Object.keys(meta.inputs), kept: Object.entries(out.inputs).filter(([, v]) => v.bytesInOutput > 0).map(([k]) => k) };
  }

  test("import 'webrnn' (src/index.ts) reaches no protobuf module", async () => {
    const { parsed } = await bundle("export * from '../src/index.js';");
    expect(parsed.length).toBeGreaterThan(20);
    expect(parsed.filter((p) => PROTOBUF.test(p))).toEqual([]);
  });

  test('loadTorchModel alone from webrnn/interop keeps no protobuf code; parseOnnx and encodeOnnx do', async () => {
    const torch = await bundle("export { loadTorchModel } from '../src/interop/index.js';", [sideEffectFree]);
    expect(torch.kept.some((p) => p.includes('torch'))).toBe(true);
    expect(torch.kept.filter((p) => PROTOBUF.test(p))).toEqual([]);
    for (const name of ['parseOnnx', 'encodeOnnx']) {
      const onnx = await bundle(`export { ${name} } from '../src/interop/index.js';`, [sideEffectFree]);
      expect(onnx.kept.filter((p) => PROTOBUF.test(p)).length, name).toBeGreaterThan(1);
    }
  });
});

test('the committed src/interop/onnx/proto.gen.ts is what npm run gen:onnx-proto writes', () => {
  // protoc comes from Debian's protobuf-compiler, which `npm run setup` installs for the tests.
  expect(spawnSync('protoc', ['--version']).status, 'protoc is missing: run `npm run setup`').toBe(0);
  const out = execFileSync(process.execPath, [join(ROOT, 'scripts', 'gen-onnx-proto.mjs'), '--check'], { encoding: 'utf8' });
  expect(out).toMatch(/is up to date/);
});
