/**
 * Builds ONNX model files with the @bufbuild/protobuf code generated from onnx.proto
 * (src/interop/onnx/proto.gen.ts): what `webrnn convert` writes, and what tests
 * use to hand-build graphs with attributes exporters never emit. Tensors are stored as raw
 * little-endian data, as onnx's own helpers do.
 */
import { create, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { WebRnnError } from '../../errors.js';
import { AttributeProto_AttributeType as A, ModelProtoSchema, type AttributeProtoSchema, type GraphProtoSchema, type TensorProtoSchema, type ValueInfoProtoSchema } from './proto.gen.js';
import type { OnnxType, OnnxValue } from './value.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** A number as an int64 field: truncated toward zero, saturated at the int64 range, NaN as 0. */
const int64 = (x: number): bigint => (Number.isNaN(x) ? 0n : x <= -(2 ** 63) ? INT64_MIN : x >= 2 ** 63 ? INT64_MAX : BigInt(Math.trunc(x)));

const UINT64_MAX = 2n ** 64n - 1n;
/** A number as a uint64 field: truncated, saturated at [0, UINT64_MAX], NaN as 0. */
const uint64 = (x: number): bigint => (Number.isNaN(x) || x <= 0 ? 0n : x >= 2 ** 64 ? UINT64_MAX : BigInt(Math.trunc(x)));

const DTYPE_OF: Record<OnnxType, number> = { float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, bool: 9, float64: 11, uint32: 12, uint64: 13 };

/** An attribute value: number (int when integral and `ints` not forced — use {@link floatAttr}), string, lists, tensor. */
export type AttrInput = number | string | number[] | string[] | OnnxValue | { float: number } | { floats: number[] } | { graph: GraphInput };

export interface NodeInput {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attrs?: Record<string, AttrInput>;
}

export interface IoInput {
  name: string;
  type: OnnxType;
  /** numbers are fixed dimensions, strings symbolic ones; absent: unknown rank */
  shape?: (number | string)[];
}

/** A graph: the main one, or a subgraph attribute (`{ graph: … }`, e.g. If's branches, which have no inputs). */
export interface GraphInput {
  inputs?: IoInput[];
  outputs: IoInput[];
  initializers?: Record<string, OnnxValue>;
  nodes: NodeInput[];
}

export interface ModelInput extends GraphInput {
  opset?: number;
  producer?: string;
  inputs: IoInput[];
}

/** Forces a float attribute (a plain integral number would be written as an int). */
export const floatAttr = (v: number): { float: number } => ({ float: v });
/** Forces a list of floats. */
export const floatsAttr = (v: number[]): { floats: number[] } => ({ floats: v });

/** An OnnxValue as a TensorProto (raw little-endian data). */
export function tensorProto(name: string, v: OnnxValue): MessageInitShape<typeof TensorProtoSchema> {
  const n = v.data.length;
  const width: Record<OnnxType, number> = { float32: 4, float64: 8, int64: 8, uint64: 8, int32: 4, uint32: 4, int16: 2, uint16: 2, int8: 1, uint8: 1, bool: 1 };
  const raw = new Uint8Array(n * width[v.type]);
  const dv = new DataView(raw.buffer);
  for (let i = 0; i < n; i++) {
    const x = v.data[i];
    switch (v.type) {
      case 'float32': dv.setFloat32(4 * i, x, true); break;
      case 'float64': dv.setFloat64(8 * i, x, true); break;
      // saturated, as attributes are: a decoded INT64_MAX (2^63 as a double) stays INT64_MAX, not INT64_MIN
      case 'int64': dv.setBigInt64(8 * i, int64(x), true); break;
      case 'uint64': dv.setBigUint64(8 * i, uint64(x), true); break;
      case 'int32': dv.setInt32(4 * i, x, true); break;
      case 'uint32': dv.setUint32(4 * i, x, true); break;
      case 'int16': dv.setInt16(2 * i, x, true); break;
      case 'uint16': dv.setUint16(2 * i, x, true); break;
      case 'int8': dv.setInt8(i, x); break;
      case 'uint8': case 'bool': dv.setUint8(i, x); break;
    }
  }
  return { name, dataType: DTYPE_OF[v.type], dims: v.shape.map(int64), rawData: raw };
}

function attrProto(name: string, v: AttrInput): MessageInitShape<typeof AttributeProtoSchema> {
  const enc = (s: string) => new TextEncoder().encode(s);
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: A.INT, i: int64(v) } : { name, type: A.FLOAT, f: v };
  if (typeof v === 'string') return { name, type: A.STRING, s: enc(v) };
  if (Array.isArray(v)) {
    if (v.length && typeof v[0] === 'string') return { name, type: A.STRINGS, strings: (v as string[]).map(enc) };
    const nums = v as number[];
    return nums.every(Number.isInteger) ? { name, type: A.INTS, ints: nums.map(int64) } : { name, type: A.FLOATS, floats: nums };
  }
  if ('float' in v) return { name, type: A.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: A.FLOATS, floats: v.floats };
  if ('graph' in v) return { name, type: A.GRAPH, g: graphProto(name, v.graph) };
  return { name, type: A.TENSOR, t: tensorProto(name, v) };
}

function ioProto(io: IoInput): MessageInitShape<typeof ValueInfoProtoSchema> {
  const dim = (d: number | string) => ({ value: typeof d === 'number' ? { case: 'dimValue' as const, value: int64(d) } : { case: 'dimParam' as const, value: d } });
  return {
    name: io.name,
    type: { value: { case: 'tensorType', value: { elemType: DTYPE_OF[io.type], ...(io.shape ? { shape: { dim: io.shape.map(dim) } } : {}) } } },
  };
}

/**
 * Encodes a model (IR version 8, default-domain opset `opset`, 17 unless given).
 *
 * @example
 * const bytes = encodeOnnx({
 *   inputs: [{ name: 'x', type: 'float32', shape: ['T', 'B', 3] }], outputs: [{ name: 'y', type: 'float32', shape: ['T', 1, 'B', 4] }],
 *   initializers: {
 *     W: { type: 'float32', shape: [1, 12, 3], data: new Float32Array(36) },   // (D, 3H, I)
 *     R: { type: 'float32', shape: [1, 12, 4], data: new Float32Array(48) },   // (D, 3H, H)
 *   },
 *   nodes: [{ op: 'GRU', inputs: ['x', 'W', 'R'], outputs: ['y'], attrs: { hidden_size: 4 } }],
 * });
 */
export function encodeOnnx(m: ModelInput): Uint8Array {
  const model = create(ModelProtoSchema, {
    irVersion: 8n,
    producerName: m.producer ?? 'webrnn',
    opsetImport: [{ domain: '', version: int64(m.opset ?? 17) }],
    graph: graphProto('webrnn', m),
  });
  return toBinary(ModelProtoSchema, model);
}

function graphProto(name: string, g: GraphInput): MessageInitShape<typeof GraphProtoSchema> {
  const used = new Set<string>();
  const nodes = g.nodes.map((n, i) => {
    const nodeName = n.name ?? `${n.op}_${i}`;
    if (used.has(nodeName)) throw new WebRnnError('BAD_VALUE', `duplicate node name ${nodeName}`);
    used.add(nodeName);
    return { name: nodeName, opType: n.op, input: n.inputs, output: n.outputs, attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attrProto(k, v)) };
  });
  return {
    name,
    node: nodes,
    input: (g.inputs ?? []).map(ioProto),
    output: g.outputs.map(ioProto),
    initializer: Object.entries(g.initializers ?? {}).map(([k, v]) => tensorProto(k, v)),
  };
}
