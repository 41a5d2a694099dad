/**
 * safetensors reader and writer (https://github.com/huggingface/safetensors), written for
 * untrusted input.
 *
 * Layout: an 8-byte little-endian u64 N, N bytes of UTF-8 JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}}`,
 * then the data buffer; offsets are relative to its start, tensors are little-endian, row-major,
 * and must tile the buffer exactly (no gaps, no overlaps, nothing after the last one).
 */
import { shapeSize } from '../checks.js';
import { WebRnnError } from '../errors.js';

/** Element types of the safetensors format (the sub-byte F4/F6 types are not supported). */
export type Dtype =
  | 'F64' | 'F32' | 'F16' | 'BF16' | 'F8_E4M3' | 'F8_E5M2'
  | 'I64' | 'I32' | 'I16' | 'I8'
  | 'U64' | 'U32' | 'U16' | 'U8'
  | 'BOOL';

/**
 * The typed array holding each dtype. Types JavaScript lacks keep their raw bits: F16 and BF16 in
 * Uint16Array, F8_* in Uint8Array; decode them with {@link toFloat32}.
 */
export interface DtypeArrays {
  F64: Float64Array;
  F32: Float32Array;
  F16: Uint16Array;
  BF16: Uint16Array;
  F8_E4M3: Uint8Array;
  F8_E5M2: Uint8Array;
  I64: BigInt64Array;
  I32: Int32Array;
  I16: Int16Array;
  I8: Int8Array;
  U64: BigUint64Array;
  U32: Uint32Array;
  U16: Uint16Array;
  U8: Uint8Array;
  BOOL: Uint8Array;
}

/** One tensor; narrowing on `dtype` narrows `data`. An empty `shape` is a scalar (one element). */
export type SafeTensor = { [D in Dtype]: { dtype: D; shape: number[]; data: DtypeArrays[D] } }[Dtype];

/** A parsed file: tensors in data-buffer order, plus the free-form string metadata. */
export interface SafetensorsFile {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

export interface ParseOptions {
  /**
   * Always copy tensor data (default false). Without it, tensors whose bytes are aligned for their
   * element type are views sharing memory with the input; unaligned ones are copied.
   */
  copy?: boolean;
  /** Names the input in error messages, e.g. a file path. */
  source?: string;
}

type TypedArrayCtor = {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): DtypeArrays[Dtype];
  new (length: number): DtypeArrays[Dtype];
  readonly BYTES_PER_ELEMENT: number;
};

const ARRAY_OF: { [D in Dtype]: TypedArrayCtor } = {
  F64: Float64Array,
  F32: Float32Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  F8_E4M3: Uint8Array,
  F8_E5M2: Uint8Array,
  I64: BigInt64Array,
  I32: Int32Array,
  I16: Int16Array,
  I8: Int8Array,
  U64: BigUint64Array,
  U32: Uint32Array,
  U16: Uint16Array,
  U8: Uint8Array,
  BOOL: Uint8Array,
} as unknown as { [D in Dtype]: TypedArrayCtor };

/** Bytes per element of a dtype. */
export function dtypeSize(dtype: Dtype): number {
  return ARRAY_OF[dtype].BYTES_PER_ELEMENT;
}

function isDtype(s: unknown): s is Dtype {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(ARRAY_OF, s);
}

/** The reference implementation's MAX_HEADER_SIZE. */
export const MAX_HEADER_BYTES = 100_000_000;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const INFO_KEYS = new Set(['dtype', 'shape', 'data_offsets']);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function byteSwap(bytes: Uint8Array, itemsize: number): void {
  if (itemsize === 1) return;
  for (let i = 0; i < bytes.length; i += itemsize) bytes.subarray(i, i + itemsize).reverse();
}

function isNonNegSafeInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function badFile(source: string | undefined): (msg: string) => never {
  const where = source ? `${source}: ` : '';
  return (msg: string): never => {
    throw new WebRnnError('BAD_FILE', `${where}not a valid safetensors file: ${msg}`);
  };
}

/**
 * 8 + the header length N, from a file's first 8 bytes, checked against the file's size `fileBytes`
 * and the reference MAX_HEADER_SIZE: how many bytes to read before {@link checkSafetensorsHeader}.
 * A file reader calls it before reading the rest, so a bad header fails without reading the body.
 */
export function safetensorsHeaderBytes(first8: Uint8Array, fileBytes: number, source?: string): number {
  const bad = badFile(source);
  if (first8.length < 8 || fileBytes < 8) bad(`${Math.min(first8.length, fileBytes)} bytes, shorter than the 8-byte header length`);
  const n64 = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) bad(`header length ${n64} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const n = Number(n64);
  if (n > fileBytes - 8) bad(`header length ${n} exceeds the ${fileBytes - 8} bytes after the length field`);
  if (n < 2) bad(`header length ${n} is too short for a JSON object`);
  return 8 + n;
}

/**
 * Checks a header — `head` holds the file's first {@link safetensorsHeaderBytes} bytes — against a
 * file of `fileBytes` bytes: valid JSON, known dtypes, shapes matching their offsets, tensors tiling
 * exactly the data that follows. Throws WebRnnError('BAD_FILE') as parseSafetensors would.
 */
export function checkSafetensorsHeader(head: Uint8Array, fileBytes: number, source?: string): void {
  const n = safetensorsHeaderBytes(head, fileBytes, source) - 8;
  if (head.length < 8 + n) throw new WebRnnError('BAD_VALUE', `checkSafetensorsHeader needs the first ${8 + n} bytes, got ${head.length}`);
  parseHeader(head.subarray(8, 8 + n), fileBytes - 8 - n, source);
}

interface HeaderEntry { name: string; dtype: Dtype; shape: number[]; begin: number; end: number }

/** The header's JSON (`head`, N bytes) checked against a data buffer of `dataLength` bytes; entries sorted by offset. */
function parseHeader(head: Uint8Array, dataLength: number, source: string | undefined): { found: HeaderEntry[]; metadata: Record<string, string> } {
  const bad = badFile(source);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(head);
  } catch {
    return bad('header is not valid UTF-8');
  }
  if (!text.startsWith('{')) bad('header does not start with "{"');
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return bad(`header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) bad('header is not a JSON object');
  const entries = Object.entries(header as Record<string, unknown>);

  const metadata: Record<string, string> = Object.create(null) as Record<string, string>;
  const found: HeaderEntry[] = [];
  for (const [name, info] of entries) {
    if (FORBIDDEN_KEYS.has(name)) bad(`forbidden tensor name "${name}"`);
    if (name === '__metadata__') {
      if (info === null || typeof info !== 'object' || Array.isArray(info)) bad('"__metadata__" is not an object');
      for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
        if (FORBIDDEN_KEYS.has(k)) bad(`forbidden metadata key "${k}"`);
        if (typeof v !== 'string') bad(`metadata "${k}" is not a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    const t = `tensor ${JSON.stringify(name)}`;
    if (info === null || typeof info !== 'object' || Array.isArray(info)) bad(`${t}: entry is not an object`);
    const rec = info as Record<string, unknown>;
    for (const k of Object.keys(rec)) if (!INFO_KEYS.has(k)) bad(`${t}: unknown field "${k}"`);
    const { dtype, shape, data_offsets: offsets } = rec;
    if (!isDtype(dtype)) bad(`${t}: unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape)) bad(`${t}: shape is not an array`);
    const dims = shape as unknown[];
    for (const d of dims) if (!isNonNegSafeInt(d)) bad(`${t}: shape ${JSON.stringify(shape)} has an entry that is not a non-negative integer`);
    if (!Array.isArray(offsets) || offsets.length !== 2) bad(`${t}: data_offsets is not a [begin, end] pair`);
    const [begin, end] = offsets as unknown[];
    if (!isNonNegSafeInt(begin) || !isNonNegSafeInt(end)) bad(`${t}: data_offsets ${JSON.stringify(offsets)} are not non-negative integers`);
    if ((end as number) < (begin as number)) bad(`${t}: data_offsets end ${end} < begin ${begin}`);
    // BigInt: the product of safe integers can exceed 2^53 and would otherwise round into a match.
    let bytesNeeded = BigInt(dtypeSize(dtype as Dtype));
    for (const d of dims) bytesNeeded *= BigInt(d as number);
    const span = (end as number) - (begin as number);
    if (bytesNeeded !== BigInt(span)) {
      bad(`${t}: shape ${JSON.stringify(shape)} of ${dtype} needs ${bytesNeeded} bytes but data_offsets [${begin}, ${end}] span ${span}`);
    }
    found.push({ name, dtype: dtype as Dtype, shape: dims as number[], begin: begin as number, end: end as number });
  }

  // Stable sort keeps zero-size tensors that share an offset in header order.
  found.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of found) {
    const t = `tensor ${JSON.stringify(e.name)}`;
    if (e.begin < cursor) bad(`${t}: data_offsets [${e.begin}, ${e.end}] overlap the previous tensor (which ends at ${cursor})`);
    if (e.begin > cursor) bad(`${t}: data_offsets [${e.begin}, ${e.end}] leave a gap after byte ${cursor}`);
    if (e.end > dataLength) bad(`${t}: data_offsets [${e.begin}, ${e.end}] run past the ${dataLength}-byte data buffer`);
    cursor = e.end;
  }
  if (cursor !== dataLength) bad(`the tensors cover ${cursor} bytes of data but the file has ${dataLength}`);
  return { found, metadata };
}

/**
 * Parses a safetensors file. Every inconsistency throws WebRnnError('BAD_FILE') naming the tensor
 * and what is wrong; nothing in the header can pollute prototypes or cause an out-of-range read.
 *
 * @example
 * const { tensors } = parseSafetensors(new Uint8Array(await (await fetch('weights.safetensors')).arrayBuffer()));
 * const w = toFloat32(tensors.get('weight_ih_l0')!);
 */
export function parseSafetensors(bytes: Uint8Array, options: ParseOptions = {}): SafetensorsFile {
  const where = options.source ? `${options.source}: ` : '';
  if (!(bytes instanceof Uint8Array)) throw new WebRnnError('BAD_VALUE', `${where}parseSafetensors needs the file's bytes as a Uint8Array (or Buffer)`);
  const n = safetensorsHeaderBytes(bytes, bytes.length, options.source) - 8;
  const { found, metadata } = parseHeader(bytes.subarray(8, 8 + n), bytes.length - 8 - n, options.source);
  const dataStart = 8 + n;
  const tensors = new Map<string, SafeTensor>();
  for (const e of found) {
    const Ctor = ARRAY_OF[e.dtype];
    const size = Ctor.BYTES_PER_ELEMENT;
    const count = (e.end - e.begin) / size;
    const at = bytes.byteOffset + dataStart + e.begin;
    let data: DtypeArrays[Dtype];
    if (!options.copy && LITTLE_ENDIAN && at % size === 0) {
      data = new Ctor(bytes.buffer, at, count);
    } else {
      data = new Ctor(count);
      const dst = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      dst.set(bytes.subarray(dataStart + e.begin, dataStart + e.end));
      if (!LITTLE_ENDIAN) byteSwap(dst, size);
    }
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data } as SafeTensor);
  }
  return { tensors, metadata: { ...metadata } };
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Serializes tensors to safetensors bytes. The output depends only on the contents: tensors are laid
 * out by element size (largest first, so every tensor is aligned when the file is read from an aligned
 * buffer), then by name; the header lists `__metadata__` first and is padded with spaces to a multiple
 * of 8 bytes, as the reference implementation does. Throws WebRnnError('BAD_SHAPE') when a shape does
 * not match its data length, ('BAD_VALUE') for a bad name, dtype or array type.
 *
 * @example
 * const bytes = serializeSafetensors({ h_n: { dtype: 'F32', shape: [1, 2, 3], data: new Float32Array(6) } });
 */
export function serializeSafetensors(
  tensors: Record<string, SafeTensor> | ReadonlyMap<string, SafeTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const list: [string, SafeTensor][] = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  for (const [name, t] of list) {
    const what = `tensor ${JSON.stringify(name)}`;
    if (name === '__metadata__' || FORBIDDEN_KEYS.has(name)) throw new WebRnnError('BAD_VALUE', `${what}: reserved name`);
    if (!isDtype(t.dtype)) throw new WebRnnError('BAD_VALUE', `${what}: unknown dtype ${JSON.stringify(t.dtype)}`);
    const Ctor = ARRAY_OF[t.dtype];
    if (!(t.data instanceof Ctor)) {
      throw new WebRnnError('BAD_VALUE', `${what}: dtype ${t.dtype} needs a ${Ctor.name}, got ${t.data?.constructor?.name ?? typeof t.data}`);
    }
    if (!Array.isArray(t.shape) || !t.shape.every(isNonNegSafeInt)) {
      throw new WebRnnError('BAD_SHAPE', `${what}: shape ${JSON.stringify(t.shape)} is not a list of non-negative integers`);
    }
    if (shapeSize(t.shape) !== t.data.length) {
      throw new WebRnnError('BAD_SHAPE', `${what}: shape ${JSON.stringify(t.shape)} has ${shapeSize(t.shape)} elements but the data has ${t.data.length}`);
    }
  }
  list.sort(([an, a], [bn, b]) => dtypeSize(b.dtype) - dtypeSize(a.dtype) || compareNames(an, bn));

  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    const meta: Record<string, string> = {};
    for (const k of Object.keys(metadata).sort(compareNames)) {
      if (FORBIDDEN_KEYS.has(k)) throw new WebRnnError('BAD_VALUE', `metadata key "${k}" is reserved`);
      if (typeof metadata[k] !== 'string') throw new WebRnnError('BAD_VALUE', `metadata "${k}" must be a string`);
      meta[k] = metadata[k];
    }
    header.__metadata__ = meta;
  }
  let offset = 0;
  for (const [name, t] of list) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const n = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + n + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + n);
  let at = 8 + n;
  for (const [, t] of list) {
    const dst = out.subarray(at, at + t.data.byteLength);
    dst.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    if (!LITTLE_ENDIAN) byteSwap(dst, dtypeSize(t.dtype));
    at += t.data.byteLength;
  }
  return out;
}

function f16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** E4M3 "FN": bias 7, no infinities, S.1111.111 is NaN. */
function f8e4m3ToNumber(b: number): number {
  const sign = b & 0x80 ? -1 : 1;
  const e = (b >> 3) & 0xf;
  const m = b & 0x7;
  if (e === 15 && m === 7) return NaN;
  if (e === 0) return sign * m * 2 ** -9;
  return sign * (1 + m / 8) * 2 ** (e - 7);
}

/** E5M2: IEEE-like, bias 15, with infinities and NaNs. */
function f8e5m2ToNumber(b: number): number {
  return f16ToNumber(b << 8);
}

function decodeFloats<A extends Float32Array | Float64Array>(t: SafeTensor, out: A, what: string): A {
  switch (t.dtype) {
    case 'F32':
    case 'F64':
      out.set(t.data);
      return out;
    case 'F16':
      for (let i = 0; i < t.data.length; i++) out[i] = f16ToNumber(t.data[i]);
      return out;
    case 'BF16': {
      const bits = new Uint32Array(t.data.length);
      for (let i = 0; i < t.data.length; i++) bits[i] = t.data[i] << 16;
      out.set(new Float32Array(bits.buffer));
      return out;
    }
    case 'F8_E4M3':
      for (let i = 0; i < t.data.length; i++) out[i] = f8e4m3ToNumber(t.data[i]);
      return out;
    case 'F8_E5M2':
      for (let i = 0; i < t.data.length; i++) out[i] = f8e5m2ToNumber(t.data[i]);
      return out;
    default:
      throw new WebRnnError('BAD_VALUE', `${what} must be a floating-point tensor, got dtype ${t.dtype}`);
  }
}

/**
 * The values of a floating-point tensor as float32 (F64 rounds to nearest; F16, BF16 and F8 are
 * exact). F32 data is returned as is (it may share memory with the file). Integer dtypes throw
 * WebRnnError('BAD_VALUE'); `what` names the tensor in that message.
 */
export function toFloat32(t: SafeTensor, what = 'tensor'): Float32Array {
  if (t.dtype === 'F32') return t.data;
  return decodeFloats(t, new Float32Array(t.data.length), what);
}

/** The values of a floating-point tensor as float64 (exact for every float dtype). */
export function toFloat64(t: SafeTensor, what = 'tensor'): Float64Array {
  if (t.dtype === 'F64') return t.data;
  return decodeFloats(t, new Float64Array(t.data.length), what);
}

/**
 * The values of an integer or BOOL tensor as Int32Array. I32 data is returned as is; wider types are
 * range-checked and throw WebRnnError('BAD_VALUE') naming `what`, the index and the value; float
 * dtypes throw too.
 */
export function toInt32(t: SafeTensor, what = 'tensor'): Int32Array {
  switch (t.dtype) {
    case 'I32':
      return t.data;
    case 'I16':
    case 'I8':
    case 'U16':
    case 'U8':
    case 'BOOL':
      return Int32Array.from(t.data);
    case 'U32':
    case 'I64':
    case 'U64': {
      const out = new Int32Array(t.data.length);
      for (let i = 0; i < t.data.length; i++) {
        const v = t.data[i];
        if (v < -2147483648 || v > 2147483647) {
          throw new WebRnnError('BAD_VALUE', `${what}[${i}] = ${v} does not fit in a 32-bit signed integer`);
        }
        out[i] = Number(v);
      }
      return out;
    }
    default:
      throw new WebRnnError('BAD_VALUE', `${what} must be an integer tensor, got dtype ${t.dtype}`);
  }
}
