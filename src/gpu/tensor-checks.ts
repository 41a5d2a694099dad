/**
 * Tensor arguments checked before any GPU work: each throws a {@link WebRnnError} naming the argument,
 * what was expected and what was given. They sit next to `Tensor` because they need it (and the
 * engine a tensor belongs to); the GPU-free value checks are in src/checks.ts.
 */
import { WebRnnError } from '../errors.js';
import type { Engine } from './engine.js';
import { Tensor, type TensorDType, type TokenDType } from './tensor.js';

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
