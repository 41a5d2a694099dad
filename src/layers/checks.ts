/**
 * Argument checks shared by the dense, embedding, one-hot and loss layers: each throws a
 * {@link WebRnnError} naming the argument, what was expected and what was given, before any GPU work.
 */
import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { Tensor, type TensorDType, type TokenDType } from '../gpu/tensor.js';

/** Number of elements of a shape (1 for the scalar shape []). @example shapeSize([2, 3]) // 6 */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A config field that must be a positive integer. @example positiveInt('Dense', 'in_features', 4) // 4 */
export function positiveInt(what: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new WebRnnError('BAD_CONFIG', `${what}: ${name} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** A boolean field with a default. @example flag('Dense', 'bias', undefined, true) // true */
export function flag(what: string, name: string, v: unknown, dflt: boolean, code: 'BAD_CONFIG' | 'BAD_VALUE' = 'BAD_CONFIG'): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new WebRnnError(code, `${what}: ${name} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

/** An options object whose keys must all be known. @example knownKeys('Dense', { bias: true }, ['bias']) */
export function knownKeys(what: string, obj: unknown, known: readonly string[], code: 'BAD_CONFIG' | 'BAD_VALUE' = 'BAD_CONFIG'): void {
  if (obj === null || typeof obj !== 'object') throw new WebRnnError(code, `${what}: expected an object, got ${JSON.stringify(obj)}`);
  for (const k of Object.keys(obj)) {
    if (!known.includes(k)) throw new WebRnnError(code, `${what}: unknown key "${k}" (known: ${known.join(', ')})`);
  }
}

/**
 * A live (not disposed) float32 Tensor — of `engine` when given: a tensor of another engine lives on
 * another device and cannot be read by this one's kernels. Token ids (an int32 / uint32 tensor) are
 * refused with BAD_VALUE: layers, losses' logits and optimizers compute on floats.
 * @example liveTensor(x, 'input', engine)
 */
export function liveTensor(t: unknown, name: string, engine?: Engine): asserts t is Tensor {
  liveTensorOf(t, name, engine, ['float32'], '', ' (token ids are looked up by an Embedding first: Embedding.forwardIds)');
}

/**
 * A live Tensor of token ids (dtype uint32 or int32), of `engine` when given; a float32 tensor is
 * refused with BAD_VALUE before any GPU work.
 * @example tokenTensor(ids, 'Embedding forwardIds: ids', engine)
 */
export function tokenTensor(t: unknown, name: string, engine?: Engine): asserts t is Tensor<TokenDType> {
  liveTensorOf(t, name, engine, ['uint32', 'int32'], ' of token ids', ' (make ids with engine.tensor(Uint32Array.of(…), shape), or pass a sampler\'s output)');
}

function liveTensorOf(t: unknown, name: string, engine: Engine | undefined, dtypes: readonly TensorDType[], what: string, hint: string): void {
  if (!(t instanceof Tensor)) throw new WebRnnError('BAD_SHAPE', `${name} must be a Tensor (engine.tensor(data, shape))`);
  if (t.isDisposed) throw new WebRnnError('DISPOSED', `${name} was disposed (or is a view of a layer's workspace that was re-planned or disposed)`);
  if (engine && t.engine !== engine) throw new WebRnnError('BAD_VALUE', `${name} belongs to another engine (another GPU device); make it with this layer's engine`);
  const dtype = (t as Tensor<TensorDType>).dtype;
  if (!dtypes.includes(dtype)) {
    throw new WebRnnError('BAD_VALUE', `${name} must be a ${dtypes.join(' or ')} tensor${what}, got ${dtype === 'int32' ? 'an' : 'a'} ${dtype} tensor${hint}`);
  }
}

/** A live Tensor of exactly `shape` (of `engine` when given). @example expectShape(g, 'grad_y', [4, 3], engine) */
export function expectShape(t: unknown, name: string, shape: readonly number[], engine?: Engine): asserts t is Tensor {
  liveTensor(t, name, engine);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new WebRnnError('BAD_SHAPE', `${name} must have shape [${shape.join(', ')}], got [${t.shape.join(', ')}]`);
  }
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

/** An options argument: undefined (all defaults) or an object with only known keys. @example optionsOf('forward options', opts, ['lengths']) */
export function optionsOf<T extends object>(what: string, opts: T | undefined, known: readonly string[], code: 'BAD_CONFIG' | 'BAD_VALUE' = 'BAD_VALUE'): T {
  if (opts === undefined) return {} as T;
  knownKeys(what, opts, known, code);
  return opts;
}

/** A shape: a list of non-negative integers. @example checkShape([2, 3], 'shape') */
export function checkShape(shape: unknown, name: string): asserts shape is readonly number[] {
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0)) {
    throw new WebRnnError('BAD_SHAPE', `${name} must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
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
