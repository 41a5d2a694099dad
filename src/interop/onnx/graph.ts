/**
 * An ONNX model file decoded with the @bufbuild/protobuf code generated from onnx.proto
 * (src/interop/onnx/proto.gen.ts, `npm run gen:onnx-proto`) into the
 * plain graph the executor walks: inputs, outputs, initializers as {@link OnnxValue}s, nodes with
 * their attributes. Nothing is parsed by hand; this module only turns protobuf messages into values
 * and rejects what the executor cannot hold (external data, float16/string tensors), naming it.
 */
import type { AttributeProto, GraphProto, ModelProto, TensorProto, ValueInfoProto } from './proto.gen.js';
import { WebRnnError } from '../../errors.js';
import { checkedSize, ONNX_DTYPE, ONNX_DTYPE_NAME, type OnnxType, type OnnxValue } from './value.js';

/** The ONNX protobuf decoder (src/interop/onnx/proto-decode.ts). */
export type OnnxMessages = typeof import('./proto-decode.js');

let messages: OnnxMessages | undefined;

/**
 * The ONNX protobuf code (@bufbuild/protobuf and the generated messages), imported on first use:
 * importing webrnn never loads it, and a bundle that never reads ONNX does not need it.
 */
export async function onnxMessages(): Promise<OnnxMessages> {
  if (!messages) {
    try {
      messages = await import('./proto-decode.js');
    } catch (e) {
      throw new WebRnnError('BAD_STATE', `reading ONNX needs the npm package @bufbuild/protobuf (${(e as Error).message})`);
    }
  }
  return messages;
}

/** One attribute value, by ONNX's AttributeType. */
export type OnnxAttr =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: OnnxValue }
  | { kind: 'floats'; value: number[] }
  | { kind: 'ints'; value: number[] }
  | { kind: 'strings'; value: string[] }
  | { kind: 'graph'; value: OnnxSubgraph }
  | { kind: 'graphs'; value: OnnxSubgraph[] }
  | { kind: 'unsupported'; value: string };

export interface OnnxNode {
  opType: string;
  domain: string;
  /**
   * the node's name, or `opType#index` when unnamed (for messages); inside a subgraph, its path from the
   * main graph: `outer node/attribute/name` (`If_3/then_branch/Conv#0`)
   */
  name: string;
  /** input names; '' marks an omitted optional input */
  inputs: string[];
  outputs: string[];
  attrs: Map<string, OnnxAttr>;
}

/** A graph input or output: name, element type and shape (symbolic or unknown dimensions as null). */
export interface OnnxIo {
  name: string;
  type: OnnxType | undefined;
  /** ONNX's name of the element type (FLOAT, INT64, …) */
  typeName: string;
  shape: (number | string | null)[] | undefined;
}

/**
 * A graph's values and nodes: the main graph, or a subgraph held by a node's GRAPH/GRAPHS attribute
 * (If's branches), whose nodes may also read every value visible where the outer node runs.
 */
export interface OnnxSubgraph {
  /** graph inputs that are not initializers: what a caller feeds (an If branch has none) */
  inputs: OnnxIo[];
  outputs: OnnxIo[];
  initializers: Map<string, OnnxValue>;
  nodes: OnnxNode[];
}

export interface OnnxGraph extends OnnxSubgraph {
  /** opset version of the default domain */
  opset: number;
  irVersion: number;
  producer: string;
}

// int64 fields decode as bigint. Values become the nearest double, as the executor holds them (INT64_MAX,
// Slice's "to the end", stays a huge number); a dimension must be an exact size, so one beyond 2⁵³ is refused.
const num = (v: number | bigint | null | undefined): number => (v === null || v === undefined ? 0 : Number(v));
function dimension(d: bigint, what: string): number {
  if (d < 0n || d > BigInt(Number.MAX_SAFE_INTEGER)) throw new WebRnnError('BAD_FILE', `${what}: dimension ${d} is not a tensor size (0 to 2^53 - 1)`);
  return Number(d);
}
const text = (b: Uint8Array | null | undefined): string => (b ? new TextDecoder().decode(b) : '');

/** The TensorProto fields a value is decoded from (absent ones read as empty). */
export type TensorFields = Partial<Pick<TensorProto, 'dims' | 'dataType' | 'dataLocation' | 'rawData' | 'floatData' | 'doubleData' | 'int32Data' | 'int64Data' | 'uint64Data'>>;

/** Decodes an ONNX TensorProto (typed fields or raw little-endian bytes) into a value. */
export function decodeTensor(t: TensorFields, what: string): OnnxValue {
  const dt = t.dataType ?? 0;
  const type = ONNX_DTYPE[dt];
  if (!type) throw new WebRnnError('BAD_FILE', `${what}: tensor element type ${ONNX_DTYPE_NAME[dt] ?? dt} is not supported (FLOAT, DOUBLE and the integer/bool types are)`);
  if (t.dataLocation === 1) throw new WebRnnError('BAD_FILE', `${what}: tensor data is stored in an external file, which is not supported (save the model with all tensors inside)`);
  const shape = (t.dims ?? []).map((d) => dimension(d, what));
  const n = storedTensorSize(shape, t, what);
  const out = type === 'float32' ? new Float32Array(n) : new Float64Array(n);
  const raw = t.rawData;
  if (raw && raw.length > 0) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const width: Record<OnnxType, number> = { float32: 4, float64: 8, int64: 8, uint64: 8, int32: 4, uint32: 4, int16: 2, uint16: 2, int8: 1, uint8: 1, bool: 1 };
    if (raw.length !== n * width[type]) throw new WebRnnError('BAD_FILE', `${what}: raw_data has ${raw.length} bytes, shape [${shape.join(', ')}] of ${ONNX_DTYPE_NAME[dt]} needs ${n * width[type]}`);
    for (let i = 0; i < n; i++) {
      switch (type) {
        case 'float32': out[i] = view.getFloat32(4 * i, true); break;
        case 'float64': out[i] = view.getFloat64(8 * i, true); break;
        case 'int64': out[i] = Number(view.getBigInt64(8 * i, true)); break;
        case 'uint64': out[i] = Number(view.getBigUint64(8 * i, true)); break;
        case 'int32': out[i] = view.getInt32(4 * i, true); break;
        case 'uint32': out[i] = view.getUint32(4 * i, true); break;
        case 'int16': out[i] = view.getInt16(2 * i, true); break;
        case 'uint16': out[i] = view.getUint16(2 * i, true); break;
        case 'int8': out[i] = view.getInt8(i); break;
        case 'uint8': out[i] = view.getUint8(i); break;
        case 'bool': out[i] = view.getUint8(i) ? 1 : 0; break;
      }
    }
    return { type, shape, data: out };
  }
  const field: ArrayLike<number | bigint> =
    type === 'float32' ? (t.floatData ?? [])
      : type === 'float64' ? (t.doubleData ?? [])
        : type === 'int64' ? (t.int64Data ?? [])
          : type === 'uint32' || type === 'uint64' ? (t.uint64Data ?? [])
            : (t.int32Data ?? []);
  if (field.length !== n) throw new WebRnnError('BAD_FILE', `${what}: holds ${field.length} values, shape [${shape.join(', ')}] needs ${n}`);
  for (let i = 0; i < n; i++) out[i] = num(field[i]);
  return { type, shape, data: out };
}

/**
 * A stored tensor's element count, checked before its array is allocated: dimensions non-negative
 * integers, and no more elements than the tensor stores values (every element takes at least one
 * byte of raw_data or one entry of a typed field), so a tensor never costs more memory than the file.
 */
function storedTensorSize(shape: readonly number[], t: TensorFields, what: string): number {
  const stored = Math.max(t.rawData?.length ?? 0, ...[t.floatData, t.doubleData, t.int64Data, t.uint64Data, t.int32Data].map((f) => f?.length ?? 0));
  return checkedSize(shape, what, stored, 'BAD_FILE', 'BAD_FILE', `the ${stored} values the file stores for it`);
}

function decodeAttr(a: AttributeProto, what: string, source: string, path: string, depth: number): OnnxAttr {
  switch (a.type) {
    case 1: return { kind: 'float', value: a.f ?? 0 };
    case 2: return { kind: 'int', value: num(a.i) };
    case 3: return { kind: 'string', value: text(a.s) };
    case 4: return { kind: 'tensor', value: decodeTensor(a.t ?? {}, `${what} attribute ${a.name}`) };
    case 6: return { kind: 'floats', value: [...(a.floats ?? [])] };
    case 7: return { kind: 'ints', value: (a.ints ?? []).map(num) };
    case 8: return { kind: 'strings', value: (a.strings ?? []).map(text) };
    case 5: return { kind: 'graph', value: decodeGraph(a.g ?? {}, source, `${path}/${a.name}`, depth + 1) };
    case 10: return { kind: 'graphs', value: (a.graphs ?? []).map((g, k) => decodeGraph(g, source, `${path}/${a.name}[${k}]`, depth + 1)) };
    default: return { kind: 'unsupported', value: `attribute type ${a.type}` };
  }
}

function decodeIo(v: ValueInfoProto, source: string): OnnxIo {
  const tt = v.type?.value.case === 'tensorType' ? v.type.value.value : undefined;
  const dt = tt?.elemType ?? 0;
  const what = `${source}: graph value "${v.name}"`;
  return {
    name: v.name ?? '',
    type: ONNX_DTYPE[dt],
    typeName: ONNX_DTYPE_NAME[dt] ?? String(dt),
    shape: tt?.shape ? (tt.shape.dim ?? []).map((d) => (d.value.case === 'dimValue' && d.value.value > 0n ? dimension(d.value.value, what) : (d.value.case === 'dimParam' && d.value.value) || null)) : undefined,
  };
}

/**
 * Decodes the bytes of a .onnx file. Throws WebRnnError('BAD_FILE') when they are not an ONNX model
 * or hold what the executor cannot represent.
 *
 * @example
 * const g = await parseOnnx(readFileSync('model.onnx'));
 * console.log(g.inputs.map((i) => i.name), g.nodes.map((n) => n.opType));
 */
export async function parseOnnx(bytes: Uint8Array, source = 'model'): Promise<OnnxGraph> {
  const { decodeModelProto } = await onnxMessages();
  let m: ModelProto;
  try {
    m = decodeModelProto(bytes);
  } catch (e) {
    throw new WebRnnError('BAD_FILE', `${source}: not an ONNX model (${(e as Error).message})`);
  }
  const g = m.graph;
  if (!g) throw new WebRnnError('BAD_FILE', `${source}: not an ONNX model (no graph)`);
  const opsets = m.opsetImport ?? [];
  const main = opsets.find((o) => !o.domain || o.domain === 'ai.onnx');
  const opset = main ? num(main.version) : 0;
  if (!opset) throw new WebRnnError('BAD_FILE', `${source}: no opset for the default ONNX domain`);
  return { opset, irVersion: num(m.irVersion), producer: `${m.producerName ?? ''} ${m.producerVersion ?? ''}`.trim(), ...decodeGraph(g, source, '', 0) };
}

/**
 * Subgraphs nest this deep at most (If inside If …; silero VAD nests 3). The protobuf reader already
 * stops at 100 nested messages (about 32 graphs, three messages per level); this bound is webrnn's own.
 */
const MAX_GRAPH_DEPTH = 16;

/**
 * A graph's inputs, outputs, initializers and nodes; `path` prefixes the names of a subgraph's nodes
 * (empty for the main graph), so every message names a node by its place in the model.
 */
function decodeGraph(g: Partial<GraphProto>, source: string, path: string, depth: number): OnnxSubgraph {
  if (depth > MAX_GRAPH_DEPTH) throw new WebRnnError('BAD_FILE', `${source}: subgraph ${path} nests more than ${MAX_GRAPH_DEPTH} graphs deep`);
  const where = path ? ` of subgraph ${path}` : '';
  const initializers = new Map<string, OnnxValue>();
  for (const t of g.initializer ?? []) initializers.set(t.name ?? '', decodeTensor(t, `${source}: initializer "${t.name}"${where}`));
  if ((g.sparseInitializer ?? []).length) throw new WebRnnError('BAD_FILE', `${source}: sparse initializers${where} are not supported`);
  const nodes = (g.node ?? []).map((n, i): OnnxNode => {
    const name = `${path ? `${path}/` : ''}${n.name || `${n.opType}#${i}`}`;
    const attrs = new Map<string, OnnxAttr>();
    for (const a of n.attribute ?? []) attrs.set(a.name ?? '', decodeAttr(a, `${source}: node "${name}"`, source, name, depth));
    return { opType: n.opType ?? '', domain: n.domain ?? '', name, inputs: [...(n.input ?? [])], outputs: [...(n.output ?? [])], attrs };
  });
  return {
    inputs: (g.input ?? []).filter((v) => !initializers.has(v.name ?? '')).map((v) => decodeIo(v, source)),
    outputs: (g.output ?? []).map((v) => decodeIo(v, source)),
    initializers,
    nodes,
  };
}

/** The values (of the executor: OnnxValue; of a one-pass run: their views) one graph has written, over the values of the graphs that enclose it (outer scope). */
export class Scope<T> {
  private readonly local: Map<string, T>;
  constructor(
    private readonly parent: Scope<T> | undefined,
    initial: ReadonlyMap<string, T>,
  ) {
    this.local = new Map(initial);
  }
  get(name: string): T | undefined {
    return this.local.get(name) ?? this.parent?.get(name);
  }
  set(name: string, v: T): void {
    this.local.set(name, v);
  }
  /** Node `n`'s inputs (undefined where omitted); one nothing has provided is a BAD_FILE error naming it. */
  inputsOf(n: OnnxNode): (T | undefined)[] {
    return n.inputs.map((name) => {
      if (name === '') return undefined;
      const v = this.get(name);
      if (!v) throw new WebRnnError('BAD_FILE', `ONNX node "${n.name}" (${n.opType}) reads "${name}", which no earlier node, input or initializer provides`);
      return v;
    });
  }
}
