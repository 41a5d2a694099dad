/** What every loss returns and the options they share. */
import { WebRnnError } from '../errors.js';
import type { Tensor } from '../gpu/tensor.js';

/**
 * How per-element (or per-row) losses become one number, as PyTorch's `reduction`: 'mean' divides by
 * the number of counted elements (not masked, not ignore_index), 'sum' adds them.
 */
export type Reduction = 'mean' | 'sum';

/**
 * A loss value and its gradient from one fused pass. Both are views of the loss object's workspace,
 * valid until its next forward; read() or clone() what you keep.
 */
export interface LossResult {
  /** The reduced loss, shape [] (one element), as PyTorch's 0-d loss tensor. */
  loss: Tensor;
  /** dloss/dinput, the input's shape, already scaled for the reduction (mean: 1/count). */
  grad_input: Tensor;
}

/** @example reductionOf('CrossEntropyLoss', undefined) // 'mean' */
export function reductionOf(what: string, r: unknown): Reduction {
  if (r === undefined) return 'mean';
  if (r !== 'mean' && r !== 'sum') throw new WebRnnError('BAD_VALUE', `${what}: reduction must be 'mean' or 'sum', got ${JSON.stringify(r)}`);
  return r;
}

/**
 * The factor each counted element's loss and gradient get: 1 for 'sum', 1/count for 'mean'. A mean
 * over nothing (every row masked or ignored) is defined as 0 with zero gradients — PyTorch returns NaN
 * for the loss there, which would poison a running average for one empty batch.
 *
 * @example reductionScale('mean', 4) // 0.25
 */
export function reductionScale(r: Reduction, count: number): number {
  if (r === 'sum') return 1;
  return count > 0 ? 1 / count : 0;
}
