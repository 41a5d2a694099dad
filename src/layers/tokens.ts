/**
 * Token ids on the CPU: the checks every token-consuming layer runs before any GPU work, and the
 * grouping of positions by id that makes the embedding gradient deterministic without atomics.
 */
import { WebRnnError } from '../errors.js';
import { checkShape, multiIndex, shapeSize } from '../checks.js';

/** Token ids as the CPU holds them: one integer per position, row-major over the given shape. */
export type TokenIds = Int32Array | Uint32Array | readonly number[];

/**
 * Checks that `tokens` has one id per element of `shape` and every id is an integer in [0, V);
 * throws BAD_SHAPE or BAD_VALUE (naming the first bad position and its value). Returns the ids as u32.
 *
 * @example
 * checkTokens([3, 1, 4, 1], [2, 2], 10, 'Embedding'); // Uint32Array [3, 1, 4, 1]
 */
export function checkTokens(tokens: TokenIds, shape: readonly number[], V: number, what: string): Uint32Array<ArrayBuffer> {
  if (!(tokens instanceof Int32Array || tokens instanceof Uint32Array || Array.isArray(tokens))) {
    throw new WebRnnError('BAD_VALUE', `${what}: tokens must be an Int32Array, Uint32Array or array of integers`);
  }
  checkShape(shape, `${what}: shape`);
  const n = shapeSize(shape);
  if (tokens.length !== n) {
    throw new WebRnnError('BAD_SHAPE', `${what}: ${tokens.length} token ids given, shape [${shape.join(', ')}] needs ${n}`);
  }
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const v = tokens[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= V) {
      throw new WebRnnError('BAD_VALUE', `${what}: token id at position ${multiIndex(i, shape)} (index ${i}) is ${v}, outside [0, ${V})`);
    }
    out[i] = v;
  }
  return out;
}

/** Positions grouped by token id, CSR style. */
export interface TokenGroups {
  /** The distinct ids present, ascending (U). */
  ids: Uint32Array;
  /** (U + 1): positions of ids[u] are positions[offsets[u] .. offsets[u+1]). */
  offsets: Uint32Array;
  /** Every position whose id is not skipped, grouped by id, increasing within a group. */
  positions: Uint32Array;
}

/**
 * Groups positions by token id (sorted distinct ids, offsets, positions in increasing order),
 * leaving out positions holding `skip` (an embedding's padding_idx). O(N log N), independent of V.
 *
 * @example
 * groupByToken(Uint32Array.of(5, 2, 5, 0), 0);
 * // ids [2, 5], offsets [0, 1, 3], positions [1, 0, 2]
 */
export function groupByToken(tokens: Uint32Array, skip = -1): TokenGroups {
  const N = tokens.length;
  // One sortable key per position, id·N + position: exact in float64 while V·N < 2^53 (far past any
  // buffer a device allows), and a typed-array sort needs no comparator.
  const keys = new Float64Array(N);
  let m = 0;
  for (let p = 0; p < N; p++) if (tokens[p] !== skip) keys[m++] = tokens[p] * N + p;
  const sorted = keys.subarray(0, m).sort();
  const positions = new Uint32Array(m);
  const ids: number[] = [];
  const offsets: number[] = [];
  for (let k = 0; k < m; k++) {
    const key = sorted[k];
    const id = Math.floor(key / N);
    positions[k] = key - id * N;
    if (ids.length === 0 || ids[ids.length - 1] !== id) {
      ids.push(id);
      offsets.push(k);
    }
  }
  offsets.push(m);
  return { ids: Uint32Array.from(ids), offsets: Uint32Array.from(offsets), positions };
}
