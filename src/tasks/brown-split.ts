/**
 * Train / held-out split of the Brown corpus by document, so no sentence of a held-out file (nor its
 * topic, its characters' names) is seen in training.
 */
import type { BrownDocument } from '../data/brown-text.js';

/** Every `every`-th file (the 10th, 20th, … in file order) is held out: 50 of 500 for every = 10. */
export const HELD_OUT_EVERY = 10;

/**
 * Splits documents into training and held-out files. `subset` keeps only every subset-th document
 * first (1 = all), for quick runs and tests; the held-out files are chosen among those kept.
 *
 * @example
 * const { train, heldOut } = splitBrown(readBrown()); // 450 and 50 files
 */
export function splitBrown(docs: readonly BrownDocument[], opts: { every?: number; subset?: number } = {}): { train: BrownDocument[]; heldOut: BrownDocument[] } {
  const every = opts.every ?? HELD_OUT_EVERY;
  const subset = opts.subset ?? 1;
  const kept = docs.filter((_, i) => i % subset === 0);
  return { train: kept.filter((_, i) => i % every !== every - 1), heldOut: kept.filter((_, i) => i % every === every - 1) };
}
