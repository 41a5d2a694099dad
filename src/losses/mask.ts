/** Masks that exclude padded time steps (or any elements) from a loss. */
import { WebRnnError } from '../errors.js';

/** A 0/1 mask on the CPU: one entry per row or per element; true/1 counts, false/0 is excluded. */
export type LossMask = Uint8Array | Int32Array | Float32Array | readonly (number | boolean)[];

/**
 * The (T·B) row mask of a padded batch from its lengths: 1 where step t < lengths[b], else 0 — the
 * course's L = Σ_t L<t> over valid steps only. Rows are ordered like the loss input's leading axes:
 * time-major (T, B) row t·B + b (default), or batch-first (B, T) row b·T + t.
 *
 * @example
 * sequenceMask([3, 1], 3);                         // (T=3, B=2): [1, 1, 1, 0, 1, 0]
 * sequenceMask([3, 1], 3, { batch_first: true });  // (B=2, T=3): [1, 1, 1, 1, 0, 0]
 * const ce = new CrossEntropyLoss(engine);
 * const logits = engine.tensor(new Float32Array(3 * 2 * 5), [3, 2, 5]); // (T=3, B=2, V=5)
 * ce.forward(logits, Int32Array.of(1, 2, 3, 0, 4, 0), { mask: sequenceMask([3, 1], 3) });
 */
export function sequenceMask(lengths: ArrayLike<number>, T: number, opts: { batch_first?: boolean } = {}): Uint8Array {
  if (!Number.isInteger(T) || T < 0) throw new WebRnnError('BAD_LENGTHS', `sequenceMask: T must be a non-negative integer, got ${T}`);
  const B = lengths.length;
  const m = new Uint8Array(T * B);
  for (let b = 0; b < B; b++) {
    const L = lengths[b];
    if (typeof L !== 'number' || !Number.isInteger(L) || L < 0 || L > T) {
      throw new WebRnnError('BAD_LENGTHS', `sequenceMask: lengths[${b}] must be an integer in 0..T = 0..${T}, got ${L}`);
    }
    for (let t = 0; t < L; t++) m[opts.batch_first ? b * T + t : t * B + b] = 1;
  }
  return m;
}

/**
 * Checks a mask (length `rows` or `elements`, values 0/1/true/false) and returns it as float 0/1 with
 * its kind: 'row' when its length is `rows`, 'element' when it is `elements`.
 *
 * @example checkMask('MSELoss', [1, 0], 2, 6) // { kind: 'row', values: Float32Array [1, 0] }
 */
export function checkMask(what: string, mask: LossMask, rows: number, elements: number): { kind: 'row' | 'element'; values: Float32Array<ArrayBuffer> } {
  if (!(mask instanceof Uint8Array || mask instanceof Int32Array || mask instanceof Float32Array || Array.isArray(mask))) {
    throw new WebRnnError('BAD_VALUE', `${what}: mask must be a Uint8Array, Int32Array, Float32Array or array of 0/1/booleans`);
  }
  let kind: 'row' | 'element';
  if (mask.length === rows) kind = 'row';
  else if (mask.length === elements) kind = 'element';
  else throw new WebRnnError('BAD_SHAPE', `${what}: mask has ${mask.length} entries; expected one per row (${rows}) or per element (${elements})`);
  const values = new Float32Array(mask.length);
  for (let i = 0; i < mask.length; i++) {
    const v = mask[i];
    if (v === true || v === 1) values[i] = 1;
    else if (v !== false && v !== 0) throw new WebRnnError('BAD_VALUE', `${what}: mask[${i}] is ${v}; a mask holds 0/1 or true/false`);
  }
  return { kind, values };
}
