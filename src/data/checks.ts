/**
 * Argument checks of the data pipeline (vocabularies, batching, metrics). Kept apart from
 * src/layers/checks.ts, which imports the GPU tensor: everything under src/data runs without WebGPU
 * (Node, Deno, browsers, workers). Each check throws a {@link WebRnnError} naming the argument, what
 * was expected and what was given.
 */
import { WebRnnError } from '../errors.js';

/** A short, safe rendering of a value for an error message. @example describe([1, 2]) // '[1,2]' */
export function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as ArrayLike<unknown>).length ?? v.byteLength})`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return typeof v;
}

/**
 * An options object (or undefined, read as {}) whose keys must all be known.
 * @example const o = options('padBatch', opts, ['pad_id', 'lm']);
 */
export function options<T extends object>(what: string, obj: T | undefined, known: readonly string[]): Partial<T> {
  if (obj === undefined) return {};
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new WebRnnError('BAD_VALUE', `${what}: options must be an object, got ${describe(obj)}`);
  }
  for (const k of Object.keys(obj)) {
    if (!known.includes(k)) throw new WebRnnError('BAD_VALUE', `${what}: unknown option "${k}" (known: ${known.join(', ')})`);
  }
  return obj;
}

/**
 * An integer option in [min, max] with a default for undefined.
 * @example intOption('planBatches', 'batch_size', 32, undefined, 1) // 32
 */
export function intOption(what: string, name: string, v: unknown, dflt: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in [${min}, ${max}]`;
    throw new WebRnnError('BAD_VALUE', `${what}: ${name} must be an integer ${range}, got ${describe(v)}`);
  }
  return v;
}

/** A boolean option with a default. @example boolOption('Vocab', 'lowercase', undefined, false) // false */
export function boolOption(what: string, name: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new WebRnnError('BAD_VALUE', `${what}: ${name} must be true or false, got ${describe(v)}`);
  return v;
}

/** Largest token id an Int32Array holds. */
export const MAX_ID = 0x7fffffff;

/**
 * A sequence of token ids (Int32Array, Uint32Array or array of integers), each in [0, 2³¹), as an
 * Int32Array (the input itself when it already is one).
 * @example tokenIds('padBatch', 'sequences[0]', [4, 2]) // Int32Array [4, 2]
 */
export function tokenIds(what: string, name: string, seq: unknown): Int32Array {
  if (seq instanceof Int32Array) {
    for (let i = 0; i < seq.length; i++) {
      if (seq[i]! < 0) throw new WebRnnError('BAD_VALUE', `${what}: ${name}[${i}] is ${seq[i]}; token ids are ≥ 0`);
    }
    return seq;
  }
  if (!(seq instanceof Uint32Array || Array.isArray(seq))) {
    throw new WebRnnError('BAD_VALUE', `${what}: ${name} must be an Int32Array, Uint32Array or array of token ids, got ${describe(seq)}`);
  }
  const out = new Int32Array(seq.length);
  for (let i = 0; i < seq.length; i++) {
    const v: unknown = seq[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_ID) {
      throw new WebRnnError('BAD_VALUE', `${what}: ${name}[${i}] is ${describe(v)}; token ids are integers in [0, 2^31)`);
    }
    out[i] = v;
  }
  return out;
}
