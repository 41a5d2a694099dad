// Untrusted model files from other frameworks: a seeded fuzzer mutates ONNX models (a CPU-operator
// graph and an exported embedding → LSTM → linear model) and tfjs model.json + weight files — byte
// flips and stores, truncations, protobuf length/varint edits, structured edits of the decoded
// protobuf (dims, attribute values, names, data types, raw data) and of model.json (JSON value swaps:
// null, numbers, strings, arrays, objects, huge, negative, fractional). Every case must end in a typed
// WebRnnError or a correct load — never another exception, a hang or a large allocation. Loading only,
// plus a CPU run of the CPU graph with a small element cap (maxElements 2¹⁶), so no GPU is needed.
// WEBRNN_FUZZ_N=100000 (npm run fuzz) runs that many cases per kind.
import { fromBinary, fromJson, toBinary, toJson, type JsonValue } from '@bufbuild/protobuf';
import { describe, expect, test } from 'vitest';
import { WebRnnError, type Engine } from '../../src/index.js';
import { portableToOnnx } from '../../src/interop/onnx/export.js';
import { ModelProtoSchema } from '../../src/interop/onnx/proto.gen.js';
import { OnnxModel } from '../../src/interop/onnx/model.js';
import { makeValue, type OnnxValue } from '../../src/interop/onnx/value.js';
import { encodeOnnx } from '../../src/interop/onnx/write.js';
import { portableToTfjs } from '../../src/interop/tfjs/export.js';
import { readTfjsModelFiles, tfjsModelJson } from '../../src/interop/tfjs/files.js';
import { TfjsModel } from '../../src/interop/tfjs/model.js';
import type { PortableModel } from '../../src/interop/torch/portable.js';
import { Rng } from '../../src/random.js';
import { randomParams } from '../reference/random.js';
import { LONG_RUN_CASES, MB, mutateJson, pick, run, type Outcome } from './fuzz-kit.js';

const BUDGET_MS = LONG_RUN_CASES ? Infinity : 24_000; // the whole file; each kind gets its share
const NO_GPU = undefined as unknown as Engine; // the CPU graph never touches the engine

// ---------------------------------------------------------------------------------------------
// seeds

/** A model with embedding, a 2-layer bidirectional LSTM and a linear head, as webrnn exports it. */
function portable(): PortableModel {
  const rnn = { mode: 'LSTM' as const, input_size: 3, hidden_size: 4, num_layers: 2, bidirectional: true };
  const weights: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(randomParams(rnn, new Rng(3)))) weights[`rnn.${k}`] = Float32Array.from(v);
  weights['embedding.weight'] = Float32Array.from({ length: 5 * 3 }, (_, i) => i / 15);
  weights['linear.weight'] = Float32Array.from({ length: 2 * 8 }, (_, i) => i / 16 - 0.5);
  weights['linear.bias'] = Float32Array.of(0.1, -0.1);
  return { rnn, embedding: { num_embeddings: 5, embedding_dim: 3 }, linear: { in_features: 8, out_features: 2, bias: true }, target: 'all_steps', weights };
}

const i64 = (v: number[], shape = [v.length]): OnnxValue => makeValue('int64', shape, v);
const f32 = (v: number[], shape = [v.length]): OnnxValue => makeValue('float32', shape, v);

/** A graph of the CPU executor's shape and data-movement operators around a small MatMul. */
function cpuGraph(): Uint8Array {
  return encodeOnnx({
    inputs: [{ name: 'x', type: 'float32', shape: [2, 3] }, { name: 'ids', type: 'int64', shape: [2] }],
    outputs: [{ name: 'y', type: 'float32' }, { name: 'r', type: 'int64' }, { name: 'c', type: 'float32' }],
    initializers: { w: f32([0.5, -1, 2, 0.25, 1, -0.5], [3, 2]), table: f32([1, 2, 3, 4, 5, 6], [3, 2]), reps: i64([2, 1]), shape: i64([3, 4]), lim: i64([7], []), zero: i64([0], []), one: i64([1], []), sizes: i64([1, 3]), tshape: i64([-1]) },
    nodes: [
      { op: 'MatMul', inputs: ['x', 'w'], outputs: ['m'] },
      { op: 'Gather', inputs: ['table', 'ids'], outputs: ['g'] },
      { op: 'Add', inputs: ['m', 'g'], outputs: ['a'] },
      { op: 'Tile', inputs: ['a', 'reps'], outputs: ['t'] },
      { op: 'Softmax', inputs: ['t'], outputs: ['s'], attrs: { axis: -1 } },
      { op: 'Transpose', inputs: ['s'], outputs: ['tr'], attrs: { perm: [1, 0] } },
      { op: 'Reshape', inputs: ['tr', 'tshape'], outputs: ['y'] },
      { op: 'Range', inputs: ['zero', 'lim', 'one'], outputs: ['r'] },
      { op: 'ConstantOfShape', inputs: ['shape'], outputs: ['k'], attrs: { value: f32([0.5], [1]) } },
      { op: 'Split', inputs: ['k', 'sizes'], outputs: ['k0', 'k1'], attrs: { axis: 1 } },
      { op: 'Expand', inputs: ['k0', 'shape'], outputs: ['e'] },
      { op: 'Concat', inputs: ['e', 'k1'], outputs: ['c'], attrs: { axis: 1 } },
    ],
  });
}

/** Feeds for a loaded model: each input's declared shape (unknown dims 2) filled with small values. */
function feedsFor(model: OnnxModel): Record<string, OnnxValue> | undefined {
  const feeds: Record<string, OnnxValue> = {};
  for (const i of model.inputs) {
    if (!i.type || !i.shape) return undefined;
    const shape = i.shape.map((d) => (typeof d === 'number' ? d : 2));
    if (shape.reduce((a, b) => a * b, 1) > 4096) return undefined;
    const n = shape.reduce((a, b) => a * b, 1);
    feeds[i.name] = makeValue(i.type, shape, Array.from({ length: n }, (_, k) => k % 2));
  }
  return feeds;
}

// ---------------------------------------------------------------------------------------------
// mutations

const ONNX_NAMES = ['', 'x', 'y', 'w', 'm', '__proto__', 'constructor', 'LSTM', 'Tile', 'Loop', 'ai.onnx', 'com.microsoft', 'dims', 'rawData', 'x'.repeat(1000)];
const ONNX_STRINGS = ['', 'x', 'forward', 'reverse', 'bidirectional', 'Tanh', 'Sigmoid', 'Relu', 'Foo', 'LSTM', 'Gemm', 'MatMul', 'ConstantOfShape', 'Identity'];
const DIMS = [0, 1, -1, -2, 3, 2 ** 31, 2 ** 32, 2 ** 40, 1e9, 3e9];

/** Edits the decoded protobuf (as a plain object) and encodes it again. */
function mutateOnnxStructure(rng: Rng, seed: Uint8Array): Uint8Array {
  const obj = bytesAsArrays(toJson(ModelProtoSchema, fromBinary(ModelProtoSchema, seed))) as Record<string, unknown>;
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  const objects = (v: unknown) => (Array.isArray(v) ? v.filter(isObj) : []);
  for (let k = rng.int(1, 3); k > 0; k--) {
    const r = rng.next();
    const graph = isObj(obj.graph) ? obj.graph : {};
    const inits = objects(graph.initializer);
    const nodes = objects(graph.node);
    if (r < 0.25 && inits.length) {
      // dims of an initializer (the raw data keeps its length)
      const t = pick(rng, inits);
      const dims = (Array.isArray(t.dims) ? t.dims : []) as unknown[];
      if (dims.length && rng.next() < 0.7) dims[rng.int(0, dims.length - 1)] = pick(rng, DIMS);
      else dims.push(pick(rng, DIMS));
      t.dims = dims;
    } else if (r < 0.4 && inits.length) {
      // the data of an initializer: another type, a shorter or longer raw_data, typed fields
      const t = pick(rng, inits);
      const q = rng.next();
      if (q < 0.3) t.dataType = rng.int(0, 17);
      else if (q < 0.6 && Array.isArray(t.rawData)) t.rawData = (t.rawData as number[]).slice(0, rng.int(0, (t.rawData as number[]).length + 3));
      else if (q < 0.8) t.int64Data = Array.from({ length: rng.int(0, 6) }, () => pick(rng, DIMS));
      else t.rawData = Array.from({ length: rng.int(0, 24) }, () => rng.int(0, 255));
    } else if (r < 0.55 && nodes.length) {
      // an attribute value (ints, floats, tensors) or type
      const n = pick(rng, nodes);
      const attrs = objects(n.attribute);
      if (attrs.length) {
        const a = pick(rng, attrs);
        const q = rng.next();
        if (q < 0.3) a.type = rng.int(0, 14);
        else if (q < 0.6) a.ints = Array.from({ length: rng.int(0, 4) }, () => pick(rng, DIMS));
        else if (q < 0.8) a.i = pick(rng, DIMS);
        else a.f = pick(rng, [NaN, Infinity, -1, 0, 1e30]);
      } else {
        n.attribute = [{ name: pick(rng, ['axis', 'perm', 'value', 'hidden_size', 'direction']), type: rng.int(1, 8), i: pick(rng, DIMS) }];
      }
    } else {
      // names and structure: JSON-style edits anywhere in the model
      mutateJson(rng, pick(rng, [graph, ...nodes, ...inits, obj]), 0, ONNX_NAMES, ONNX_STRINGS);
    }
  }
  try {
    return toBinary(ModelProtoSchema, fromJson(ModelProtoSchema, arraysAsBytes(obj) as JsonValue));
  } catch {
    return seed.subarray(0, rng.int(0, seed.length)); // an edit protobuf cannot represent: truncate instead
  }
}

/** In protobuf's JSON form bytes are base64 text: raw_data becomes a list of byte values to edit, and back. */
function bytesAsArrays(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(bytesAsArrays);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === 'rawData' && typeof x === 'string' ? Array.from(Buffer.from(x, 'base64')) : bytesAsArrays(x)]));
}
function arraysAsBytes(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(arraysAsBytes);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === 'rawData' && Array.isArray(x) ? Buffer.from(x as number[]).toString('base64') : arraysAsBytes(x)]));
}

/** One mutated copy of an ONNX file: raw byte edits or structured ones. */
function mutateOnnx(rng: Rng, seed: Uint8Array): Uint8Array {
  const b = seed.slice();
  switch (rng.int(0, 7)) {
    case 0: // bit flips
      for (let k = rng.int(1, 8); k > 0; k--) b[rng.int(0, b.length - 1)] ^= 1 << rng.int(0, 7);
      return b;
    case 1: // byte stores: varint continuation bits, field tags, lengths
      for (let k = rng.int(1, 4); k > 0; k--) b[rng.int(0, b.length - 1)] = pick(rng, [0, 0xff, 0x7f, 0x80, 0x08, 0x0a, 0x12, 0x3a, 0x42]);
      return b;
    case 2: // truncation
      return b.subarray(0, rng.int(0, b.length - 1));
    case 3: {
      // a length or varint made huge: 5 bytes of 0xff… inserted
      const at = rng.int(0, b.length - 1);
      return Uint8Array.from([...b.subarray(0, at), ...Array.from({ length: rng.int(1, 9) }, () => 0xff), 0x01, ...b.subarray(at)]);
    }
    default:
      return mutateOnnxStructure(rng, seed);
  }
}

const TFJS_NAMES = ['', 'paths', 'weights', 'shape', 'dtype', 'name', 'config', 'layers', 'class_name', 'units', 'batch_input_shape', '__proto__', 'constructor', 'inbound_nodes', 'x'.repeat(1000)];
const TFJS_STRINGS = ['', 'float32', 'int32', 'LSTM', 'GRU', 'Dense', 'Bidirectional', 'Sequential', 'Model', 'tanh', 'relu', 'selu', 'weights.bin', '../x', '/etc/passwd', 'concat'];

/** model.json text and weight bytes, mutated. */
function mutateTfjs(rng: Rng, json: string, bin: Uint8Array): { json: string; bin: Uint8Array } {
  const r = rng.int(0, 9);
  if (r === 0) return { json: json.slice(0, rng.int(0, json.length)), bin };
  if (r === 1) {
    const a = [...json];
    for (let k = rng.int(1, 4); k > 0; k--) a[rng.int(0, a.length - 1)] = pick(rng, ['"', '{', ']', '\\', '0', '9', ',', '-', '.', 'e', 'null']);
    return { json: a.join(''), bin };
  }
  if (r === 2) return { json, bin: bin.subarray(0, rng.int(0, bin.length)) };
  const o = JSON.parse(json) as { weightsManifest?: { weights?: { shape?: unknown[] }[] }[] };
  for (let k = rng.int(1, 3); k > 0; k--) {
    const specs = o.weightsManifest?.[0]?.weights;
    if (rng.next() < 0.35 && Array.isArray(specs) && specs.length) {
      // a dims edit: one dimension of one weight
      const w = pick(rng, specs);
      if (w && Array.isArray(w.shape) && w.shape.length) w.shape[rng.int(0, w.shape.length - 1)] = pick(rng, [...DIMS, 2.5, '3', null, -0]);
    } else {
      mutateJson(rng, o, 0, TFJS_NAMES, TFJS_STRINGS);
    }
  }
  return { json: JSON.stringify(o), bin };
}

// ---------------------------------------------------------------------------------------------
// what must hold for every case

async function checkOnnx(bytes: Uint8Array, runIt: boolean): Promise<void> {
  const model = await OnnxModel.load(bytes, 'fuzz.onnx', { maxElements: 2 ** 16 });
  if (!runIt) return;
  const feeds = feedsFor(model);
  if (feeds && !model.graph.nodes.some((n) => ['LSTM', 'GRU', 'RNN'].includes(n.opType))) await model.run(NO_GPU, feeds);
}

async function checkTfjs(json: string, bin: Uint8Array): Promise<void> {
  const files = new Map([['m/model.json', new TextEncoder().encode(json)], ['m/weights.bin', bin]]);
  const read = async (p: string) => {
    const f = files.get(p);
    if (!f) throw new WebRnnError('BAD_FILE', `no file ${p}`);
    return f;
  };
  TfjsModel.fromArtifacts(await readTfjsModelFiles('m/model.json', read), 'm/model.json');
}

function report(name: string, r: Outcome & { ran: number }): void {
  console.log(`fuzz ${name}: ${r.ran} cases, ${r.ok} loaded, typed errors ${JSON.stringify(Object.fromEntries(r.typed))}, slowest ${r.slowest.toFixed(1)} ms`);
}

describe('fuzzing the model importers', () => {
  test('mutated ONNX and tfjs files: typed errors or correct loads, bounded time and memory', async () => {
    const rss0 = process.memoryUsage().rss;
    const start = performance.now();
    const share = (k: number) => start + (BUDGET_MS * k) / 3;
    // plain copies: protobufjs hands out Node Buffers, whose slice() is a view, not a copy
    const cpu = new Uint8Array(cpuGraph());
    const lstm = new Uint8Array(portableToOnnx(portable()));
    const art = portableToTfjs(portable());
    const json = tfjsModelJson(art);
    const bin = art.weightData instanceof Uint8Array ? art.weightData : new Uint8Array(art.weightData);
    await checkOnnx(cpu, true); // the seeds themselves load (and the CPU graph runs)
    await checkOnnx(lstm, false);
    await checkTfjs(json, bin);

    const results = {
      'ONNX (CPU graph, load + run)': await run('onnx cpu', LONG_RUN_CASES ?? 6000, share(1), (r) => mutateOnnx(r, cpu), (b) => checkOnnx(b as Uint8Array, true), 11),
      'ONNX (LSTM model, load)': await run('onnx lstm', LONG_RUN_CASES ?? 6000, share(2), (r) => mutateOnnx(r, lstm), (b) => checkOnnx(b as Uint8Array, false), 12),
      tfjs: await run('tfjs', LONG_RUN_CASES ?? 6000, share(3), (r) => {
        const m = mutateTfjs(r, json, bin);
        return JSON.stringify({ json: m.json, bin: Array.from(m.bin) });
      }, (s) => {
        const m = JSON.parse(s as string) as { json: string; bin: number[] };
        return checkTfjs(m.json, Uint8Array.from(m.bin));
      }, 13),
    };
    const elapsed = performance.now() - start;
    const rssGrowth = (process.memoryUsage().rss - rss0) / MB;
    for (const [k, r] of Object.entries(results)) report(k, r);
    console.log(`fuzz importers: ${(elapsed / 1000).toFixed(1)} s, RSS ${rssGrowth >= 0 ? '+' : ''}${rssGrowth.toFixed(0)} MiB`);
    for (const r of Object.values(results)) {
      expect(r.ran).toBeGreaterThanOrEqual(300);
      expect(r.ok, 'some mutations still load').toBeGreaterThan(0);
    }
    expect(rssGrowth).toBeLessThan(512);
  }, LONG_RUN_CASES ? 86_400_000 : 60_000);
});
