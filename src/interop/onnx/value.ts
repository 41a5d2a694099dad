/**
 * Host-side values of the ONNX executor: a tensor with an ONNX element type, a shape and its data.
 * float32 data is a Float32Array; every other type (float64, the integers, bool) is held in a
 * Float64Array, which is exact for every value a shape computation or an index can have (|x| < 2⁵³;
 * INT64_MAX/MIN, used by Slice as "to the end", become ±9.2e18, which clamps the same).
 */
import { WebRnnError } from '../../errors.js';
import type { SafeTensor } from '../../formats/safetensors.js';

/** The element types the executor handles (ONNX TensorProto.DataType names in lower case). */
export type OnnxType = 'float32' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'bool';

export interface OnnxValue {
  type: OnnxType;
  shape: number[];
  data: Float32Array | Float64Array;
}

/** TensorProto.DataType → type; undefined for the ones not handled (strings, float16, complex …). */
export const ONNX_DTYPE: Record<number, OnnxType> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 9: 'bool', 11: 'float64', 12: 'uint32', 13: 'uint64',
};

export const ONNX_DTYPE_NAME: Record<number, string> = {
  0: 'UNDEFINED', 1: 'FLOAT', 2: 'UINT8', 3: 'INT8', 4: 'UINT16', 5: 'INT16', 6: 'INT32', 7: 'INT64', 8: 'STRING', 9: 'BOOL',
  10: 'FLOAT16', 11: 'DOUBLE', 12: 'UINT32', 13: 'UINT64', 14: 'COMPLEX64', 15: 'COMPLEX128', 16: 'BFLOAT16',
};

export const isFloat = (t: OnnxType) => t === 'float32' || t === 'float64';

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * The most elements one tensor of the CPU executor may have unless the caller raises it
 * (`OnnxModel.load(bytes, source, { maxElements })`, `model.run(engine, feeds, { maxElements })`):
 * 2²⁷, i.e. 512 MiB of float32 or 1 GiB of the float64 that holds
 * every other type. A graph whose shape arithmetic asks for more fails before anything is allocated.
 */
export const DEFAULT_MAX_ELEMENTS = 2 ** 27;
/** The highest cap a caller may set: element indices of the executor are 32-bit. */
export const MAX_ELEMENTS_LIMIT = 2 ** 31 - 1;

/**
 * The cap in force: a model's (see {@link withElementCap}) while one of its CPU operators runs; outside
 * them (exporters, recurrent outputs sized by the GPU layers) only the executor's 32-bit index limit.
 */
let elementCap = MAX_ELEMENTS_LIMIT;

/**
 * Runs the synchronous `fn` with every tensor it makes held to `cap` elements (a CPU operator of a
 * model loaded with another cap). Synchronous only, so two models running at once never see each
 * other's cap.
 */
export function withElementCap<T>(cap: number, fn: () => T): T {
  const before = elementCap;
  elementCap = cap;
  try {
    return fn();
  } finally {
    elementCap = before;
  }
}

/** Checks a caller's `maxElements` option: an integer in 1..{@link MAX_ELEMENTS_LIMIT}. */
export function maxElementsOption(v: unknown, what: string): number {
  if (v === undefined) return DEFAULT_MAX_ELEMENTS;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_ELEMENTS_LIMIT) {
    throw new WebRnnError('BAD_CONFIG', `${what}: maxElements must be an integer in 1..${MAX_ELEMENTS_LIMIT}, got ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * The element count of a tensor `shape` before anything of that size is allocated: every dimension a
 * non-negative integer (else `badCode`, BAD_VALUE for computed shapes, BAD_FILE for stored ones), the
 * product at most `cap` (else DEVICE_LIMIT for the executor's cap, `badCode` for a bound the file sets).
 * The product stops growing once past the cap, so it never overflows.
 * @example checkedSize([2, 3], 'Tile output') // 6
 */
export function checkedSize(shape: readonly unknown[], what: string, cap = elementCap, badCode: 'BAD_VALUE' | 'BAD_FILE' = 'BAD_VALUE', capCode: 'DEVICE_LIMIT' | 'BAD_FILE' = 'DEVICE_LIMIT', capWhat = ''): number {
  const text = () => `[${shape.map((d) => (typeof d === 'number' ? String(d) : JSON.stringify(d))).join(', ')}]`;
  if (!Array.isArray(shape)) throw new WebRnnError(badCode, `${what}: a shape must be a list of dimensions, got ${JSON.stringify(shape)}`);
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) throw new WebRnnError(badCode, `${what}: shape ${text()} has dimension ${String(d)}; dimensions must be non-negative integers`);
  }
  if (shape.includes(0)) return 0;
  let n = 1;
  for (const d of shape as number[]) {
    n *= d;
    if (n > cap) {
      const total = (shape as number[]).reduce((p, q) => p * q, 1);
      throw new WebRnnError(capCode, `${what}: shape ${text()} has ${total.toPrecision(4).replace(/\.?0+(e|$)/, '$1')} elements, more than ${capWhat || `the ONNX executor's cap of ${cap} elements per tensor (raise it with the maxElements option of OnnxModel.load or run, up to ${MAX_ELEMENTS_LIMIT})`}`);
    }
  }
  return n;
}

/**
 * Multiply-adds one operator (MatMul, Gemm) may spend: 1024 per element of the cap (2³⁷ by default,
 * minutes of CPU time), so a graph that multiplies two capped tensors cannot hang the executor.
 */
export function checkWork(work: number, what: string): void {
  const max = elementCap * 1024;
  if (work > max) throw new WebRnnError('DEVICE_LIMIT', `${what} needs ${work.toExponential(3)} multiply-adds, more than the ONNX executor allows (1024 × maxElements = ${max}; raise maxElements)`);
}

/** A value of `type` and `shape`, zero-filled or holding `data` (converted: float32 rounds, integers truncate, bool is 0/1). */
export function makeValue(type: OnnxType, shape: number[], data?: ArrayLike<number>): OnnxValue {
  const n = checkedSize(shape, `a ${type} tensor`);
  const out = type === 'float32' ? new Float32Array(n) : new Float64Array(n);
  if (data) {
    if (data.length !== n) throw new WebRnnError('BAD_SHAPE', `a ${type} tensor of shape [${shape.join(', ')}] needs ${n} values, got ${data.length}`);
    if (type === 'float32' || type === 'float64') out.set(data);
    else if (type === 'bool') for (let i = 0; i < n; i++) out[i] = data[i] ? 1 : 0;
    else for (let i = 0; i < n; i++) out[i] = Math.trunc(data[i]) + 0; // + 0: no integer −0
  }
  return { type, shape: [...shape], data: out };
}

const SAFETENSORS_TYPE: Record<string, OnnxType> = {
  F32: 'float32', F64: 'float64', I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8', U8: 'uint8', U16: 'uint16', U32: 'uint32', U64: 'uint64', BOOL: 'bool',
};

/** A safetensors tensor as an executor value (F16/BF16 widen to float32). */
export function valueFromSafeTensor(t: SafeTensor, what: string): OnnxValue {
  if (t.dtype === 'F16' || t.dtype === 'BF16') {
    throw new WebRnnError('BAD_FILE', `${what}: dtype ${t.dtype} is not an ONNX input type this executor handles (use F32)`);
  }
  const type = SAFETENSORS_TYPE[t.dtype];
  if (!type) throw new WebRnnError('BAD_FILE', `${what}: dtype ${t.dtype} is not supported`);
  const src = t.data as ArrayLike<number | bigint>;
  const data = type === 'float32' ? Float32Array.from(t.data as Float32Array) : Float64Array.from({ length: src.length }, (_, i) => Number(src[i]));
  return { type, shape: [...t.shape], data };
}

/** An executor value as a safetensors tensor of the matching dtype. */
export function valueToSafeTensor(v: OnnxValue): SafeTensor {
  const shape = [...v.shape];
  const d = v.data;
  switch (v.type) {
    case 'float32': return { dtype: 'F32', shape, data: Float32Array.from(d) };
    case 'float64': return { dtype: 'F64', shape, data: Float64Array.from(d) };
    case 'int64': return { dtype: 'I64', shape, data: BigInt64Array.from(d, (x) => BigInt(Math.trunc(x))) };
    case 'uint64': return { dtype: 'U64', shape, data: BigUint64Array.from(d, (x) => BigInt(Math.trunc(x))) };
    case 'int32': return { dtype: 'I32', shape, data: Int32Array.from(d) };
    case 'int16': return { dtype: 'I16', shape, data: Int16Array.from(d) };
    case 'int8': return { dtype: 'I8', shape, data: Int8Array.from(d) };
    case 'uint32': return { dtype: 'U32', shape, data: Uint32Array.from(d) };
    case 'uint16': return { dtype: 'U16', shape, data: Uint16Array.from(d) };
    case 'uint8': return { dtype: 'U8', shape, data: Uint8Array.from(d) };
    case 'bool': return { dtype: 'BOOL', shape, data: Uint8Array.from(d, (x) => (x ? 1 : 0)) };
  }
}
