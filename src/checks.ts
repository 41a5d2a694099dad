/**
 * Value checks shared by every folder of webrnn: each throws a {@link WebRnnError} naming the argument,
 * what was expected and what was given, before any GPU work. Nothing here touches WebGPU, so the engine,
 * the data pipeline and the importers use these as the layers do (the tensor checks, which need
 * `Tensor`, live next to it in gpu/tensor-checks.ts).
 *
 * Two phrasings are in use and kept, so that no message changed when the families of checks merged
 * (see {@link Voice}).
 */
import { WebRnnError } from './errors.js';

/** The error codes an argument check throws. */
export type CheckCode = 'BAD_CONFIG' | 'BAD_VALUE';

/**
 * How a check words its failure. `'config'` (layer and model configs, call options of layers, losses
 * and decoders) renders the value as JSON and says "a positive integer", "unknown key", "expected an
 * object"; `'option'` (the data pipeline and the embeddings' corpus) renders it with {@link describe}
 * and says "an integer ≥ 1", "unknown option", "options must be an object" (refusing arrays too).
 */
export type Voice = 'config' | 'option';

/**
 * Error code and phrasing of one check. `voice` defaults to `'config'`; `code` to BAD_VALUE in the
 * `'option'` voice and to the check's own default (BAD_CONFIG, or BAD_VALUE for call options) in the
 * `'config'` voice.
 */
export interface CheckStyle {
  code?: CheckCode;
  voice?: Voice;
}

function codeOf(style: CheckStyle, configDefault: CheckCode): CheckCode {
  return style.code ?? (style.voice === 'option' ? 'BAD_VALUE' : configDefault);
}

/** `what: name`, or `name` alone when `what` is '' (a field whose caller words the context itself). */
function field(what: string, name: string): string {
  return what === '' ? name : `${what}: ${name}`;
}

function show(v: unknown, voice: Voice | undefined): string {
  return voice === 'option' ? describe(v) : String(JSON.stringify(v));
}

/**
 * A short, safe rendering of a value for an error message (JSON.stringify fails on BigInt and
 * cycles). `'kind'` names a composite value's kind and size (`an array of 3`, `Int32Array(3)`,
 * `object`); `'contents'` (the engine's messages) lists a short array's items and names an object's
 * class (`[2, -1]`, `a Float64Array`).
 * @example describe([1, 2]) // 'an array of 2'
 * @example describe([1, 2], 'contents') // '[1, 2]'
 */
export function describe(v: unknown, style: 'kind' | 'contents' = 'kind'): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (style === 'contents') {
    if (v === null || typeof v !== 'object') return String(v);
    if (Array.isArray(v)) return v.length > 8 ? `an array of ${v.length}` : `[${v.map((x) => (typeof x === 'object' && x !== null ? '…' : String(x))).join(', ')}]`;
    return `a ${v.constructor?.name ?? 'object'}`;
  }
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as ArrayLike<unknown>).length ?? v.byteLength})`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return typeof v;
}

/** Bounds, default and phrasing of {@link intOption}. */
export interface IntRange extends CheckStyle {
  /** Smallest allowed value; default 1. */
  min?: number;
  /** Largest allowed value; default Number.MAX_SAFE_INTEGER (no bound). */
  max?: number;
  /** The value of an absent (undefined) field; without it, undefined is refused. */
  default?: number;
}

/**
 * An integer field in [min, max] (default: a positive integer), with a default for undefined when
 * `range.default` is given. Throws BAD_CONFIG (`'config'` voice) or BAD_VALUE (`'option'` voice); the
 * message starts `what: name`, or `name` when `what` is ''.
 * @example intOption('Dense', 'in_features', 4) // 4
 * @example intOption('planBatches', 'bucket_pool', undefined, { default: 100, voice: 'option' }) // 100
 */
export function intOption(what: string, name: string, v: unknown, range: IntRange = {}): number {
  const { min = 1, max = Number.MAX_SAFE_INTEGER } = range;
  if (v === undefined && range.default !== undefined) return range.default;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const bounded = max !== Number.MAX_SAFE_INTEGER;
    const expected = range.voice !== 'option' && min === 1 && !bounded ? 'a positive integer' : `an integer ${bounded ? `in [${min}, ${max}]` : `≥ ${min}`}`;
    throw new WebRnnError(codeOf(range, 'BAD_CONFIG'), `${field(what, name)} must be ${expected}, got ${show(v, range.voice)}`);
  }
  return v;
}

/**
 * A boolean field with a default for undefined; BAD_CONFIG (`'config'` voice) or BAD_VALUE otherwise.
 * @example flag('Dense', 'bias', undefined, true) // true
 */
export function flag(what: string, name: string, v: unknown, dflt: boolean, style: CheckStyle = {}): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new WebRnnError(codeOf(style, 'BAD_CONFIG'), `${field(what, name)} must be true or false, got ${show(v, style.voice)}`);
  return v;
}

/**
 * An object whose keys must all be in `known` (a config: BAD_CONFIG unless `style.code` says otherwise).
 * @example knownKeys('Dense', { bias: true }, ['bias'])
 */
export function knownKeys(what: string, obj: unknown, known: readonly string[], style: CheckStyle = {}): void {
  const code = codeOf(style, 'BAD_CONFIG');
  if (style.voice === 'option') {
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new WebRnnError(code, `${what}: options must be an object, got ${describe(obj)}`);
  } else if (obj === null || typeof obj !== 'object') {
    throw new WebRnnError(code, `${what}: expected an object, got ${JSON.stringify(obj)}`);
  }
  const word = style.voice === 'option' ? 'option' : 'key';
  for (const k of Object.keys(obj)) {
    if (!known.includes(k)) throw new WebRnnError(code, `${what}: unknown ${word} "${k}" (known: ${known.join(', ')})`);
  }
}

/**
 * An options argument: undefined (read as {}, all defaults) or an object with only known keys; a call's
 * options, so BAD_VALUE unless `style.code` says otherwise.
 * @example const o = optionsOf('forward options', opts, ['lengths']);
 */
export function optionsOf<T extends object>(what: string, opts: T | undefined, known: readonly string[], style: CheckStyle = {}): Partial<T> {
  if (opts === undefined) return {};
  knownKeys(what, opts, known, { ...style, code: codeOf(style, 'BAD_VALUE') });
  return opts;
}

/**
 * An initialisation seed: an integer in [0, 2³² − `reserve`) (`reserve` leaves room for seed + k
 * handed to sub-layers). Absent → 0.
 * @example seedOf('Dense options', undefined) // 0
 */
export function seedOf(what: string, v: unknown, reserve = 1): number {
  if (v === undefined) return 0;
  const max = 2 ** 32 - reserve;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= max) {
    throw new WebRnnError('BAD_CONFIG', `${what}: seed must be an integer in [0, ${max}), got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Number of elements of a shape (1 for the scalar shape []); assumes a checked shape. @example shapeSize([2, 3]) // 6 */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * A shape: a list of non-negative safe integers, else BAD_SHAPE. `name` names the argument in the
 * message; without it, the engine's wording ("a shape is a list of …").
 * @example checkShape([2, 3], 'Embedding: shape')
 */
export function checkShape(shape: unknown, name?: string): asserts shape is readonly number[] {
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)) {
    throw new WebRnnError(
      'BAD_SHAPE',
      name === undefined ? `a shape is a list of non-negative integers, got ${describe(shape, 'contents')}` : `${name} must be a list of non-negative integers, got ${JSON.stringify(shape)}`,
    );
  }
}

/** The index of flat position i in a row-major shape, for error messages. @example multiIndex(5, [2, 3]) // "[1, 2]" */
export function multiIndex(i: number, shape: readonly number[]): string {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(shape[d] > 0 ? i % shape[d] : 0);
    i = shape[d] > 0 ? Math.floor(i / shape[d]) : 0;
  }
  return `[${idx.join(', ')}]`;
}

/** Largest token id an Int32Array holds. */
export const MAX_ID = 0x7fffffff;

/**
 * A sequence of token ids on the CPU (Int32Array, Uint32Array or array of integers), each in [0, 2³¹),
 * as an Int32Array (the input itself when it already is one); BAD_VALUE otherwise.
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
