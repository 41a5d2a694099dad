/**
 * BLEU (Papineni et al., 2002), as the course defines it for judging machine translations against one
 * or more human references:
 *
 *   count_clip(g) = min(count of n-gram g in the candidate, max over references of its count there)
 *   p_n           = Σ_g count_clip(g) / Σ_g count(g)                 (modified n-gram precision)
 *   BP            = 1 if c > r, else exp(1 − r / c)                   (brevity penalty)
 *   BLEU          = BP · exp(Σ_n w_n log p_n),   w_n = 1/N for n = 1..N (N = 4 by default)
 *
 * At corpus level the clipped counts, candidate n-gram counts, c (candidate lengths) and r (effective
 * reference lengths) are summed over all sentences first, then combined — not an average of sentence
 * scores. r of a sentence is the length of the reference closest to the candidate's length (the
 * shorter one on a tie), as in Papineni's "best match length" and NLTK. Tokens are compared as given
 * (strings or ids): lowercase and split before calling, e.g. with {@link bleuTokens}.
 *
 * @example
 * const refs = [bleuTokens('The cat is on the mat.'), bleuTokens('There is a cat on the mat.')];
 * sentenceBleu(bleuTokens('the cat the cat on the mat'), refs, { max_n: 2 }).precisions; // [5/7, 4/6]
 */
import { intOption, knownKeys } from '../checks.js';
import { WebRnnError } from '../errors.js';
import { tokenize } from '../data/tokenizer.js';

/** A token: a word, or a vocabulary id. */
export type BleuToken = string | number;

/**
 * 'none' (default): a zero precision makes BLEU 0, as the definition says. 'add-one': p_n for n ≥ 2
 * becomes (matches + 1) / (total + 1) (Lin & Och 2004, "BLEU+1"), so a short sentence without any
 * matching 4-gram still gets a graded score.
 */
export type BleuSmoothing = 'none' | 'add-one';

export interface BleuOptions {
  /** Largest n-gram order N (default 4). */
  max_n?: number;
  /** Weights w_1..w_N of log p_n (default 1/N each). */
  weights?: readonly number[];
  smoothing?: BleuSmoothing;
}

/** A BLEU score with everything it was computed from. */
export interface BleuResult {
  /** BP · exp(Σ w_n log p_n), in [0, 1]. */
  bleu: number;
  /** p_1..p_N as used in the score (after smoothing); 0 where the candidate has no n-grams of that order. */
  precisions: number[];
  /** Σ count_clip per order (before smoothing). */
  matches: number[];
  /** Σ candidate n-gram counts per order (before smoothing). */
  totals: number[];
  brevity_penalty: number;
  /** c: total candidate length. */
  candidate_length: number;
  /** r: total effective reference length. */
  reference_length: number;
}

/** Counts of each n-gram of one order in a sequence; keys are the tokens joined with a separator. */
function ngramCounts(tokens: readonly BleuToken[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    // JSON keeps 1 and '1' (and tokens holding the separator) apart.
    const key = JSON.stringify(tokens.slice(i, i + n));
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/**
 * The course's modified n-gram precision of one candidate as a fraction: matches = Σ over the
 * candidate's distinct n-grams of min(count in candidate, max count in any single reference), total =
 * the candidate's number of n-grams.
 *
 * @example
 * modifiedPrecision('the the the the the the the'.split(' '), [['the', 'cat', 'is', 'on', 'the', 'mat']], 1)
 * // { matches: 2, total: 7 }
 */
export function modifiedPrecision(candidate: readonly BleuToken[], references: readonly (readonly BleuToken[])[], n: number): { matches: number; total: number } {
  intOption('modifiedPrecision', 'n', n, { code: 'BAD_VALUE' });
  const cand = ngramCounts(candidate, n);
  const maxRef = new Map<string, number>();
  for (const ref of references) {
    for (const [g, k] of ngramCounts(ref, n)) if (cand.has(g)) maxRef.set(g, Math.max(maxRef.get(g) ?? 0, k));
  }
  let matches = 0;
  for (const [g, k] of cand) matches += Math.min(k, maxRef.get(g) ?? 0);
  return { matches, total: Math.max(0, candidate.length - n + 1) };
}

/**
 * The length of the reference closest to `candidateLength` (the shorter one on a tie).
 * @example closestReferenceLength(6, [[1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 6, 7]]) // 5
 */
export function closestReferenceLength(candidateLength: number, references: readonly (readonly BleuToken[])[]): number {
  let best = references[0].length;
  for (const r of references) {
    const d = Math.abs(r.length - candidateLength);
    const db = Math.abs(best - candidateLength);
    if (d < db || (d === db && r.length < best)) best = r.length;
  }
  return best;
}

/**
 * BP = 1 if c > r, else exp(1 − r/c); 0 for an empty candidate.
 * @example brevityPenalty(2, 6) // Math.exp(-2)
 */
export function brevityPenalty(c: number, r: number): number {
  if (c > r) return 1;
  if (c === 0) return 0;
  return Math.exp(1 - r / c);
}

/**
 * Corpus BLEU of candidates[i] against references[i] (one or more references per candidate).
 *
 * @example
 * const [hyp1, hyp2] = ['the cat sat on the mat', 'a dog barks'].map((s) => s.split(' '));
 * const [ref1a, ref1b, ref2a] = ['the cat sat on a mat', 'a cat was on the mat', 'the dog barks'].map((s) => s.split(' '));
 * corpusBleu([hyp1, hyp2], [[ref1a, ref1b], [ref2a]]).bleu;
 */
export function corpusBleu(candidates: readonly (readonly BleuToken[])[], references: readonly (readonly (readonly BleuToken[])[])[], opts: BleuOptions = {}): BleuResult {
  const { N, weights, smoothing } = checkOptions(opts);
  if (!Array.isArray(candidates) || !Array.isArray(references)) throw new WebRnnError('BAD_VALUE', 'corpusBleu: candidates and references must be arrays');
  if (candidates.length !== references.length) {
    throw new WebRnnError('BAD_SHAPE', `corpusBleu: ${candidates.length} candidates but ${references.length} reference sets (one set per candidate)`);
  }
  const matches = new Array<number>(N).fill(0);
  const totals = new Array<number>(N).fill(0);
  let c = 0;
  let r = 0;
  candidates.forEach((cand, i) => {
    const refs = references[i];
    if (!Array.isArray(cand)) throw new WebRnnError('BAD_VALUE', `corpusBleu: candidate ${i} must be an array of tokens`);
    if (!Array.isArray(refs) || refs.length === 0 || refs.some((x) => !Array.isArray(x))) {
      throw new WebRnnError('BAD_VALUE', `corpusBleu: references[${i}] must be a non-empty array of token arrays`);
    }
    for (let n = 1; n <= N; n++) {
      const p = modifiedPrecision(cand, refs, n);
      matches[n - 1] += p.matches;
      totals[n - 1] += p.total;
    }
    c += cand.length;
    r += closestReferenceLength(cand.length, refs);
  });
  const precisions = matches.map((m, k) => {
    if (smoothing === 'add-one' && k > 0) return (m + 1) / (totals[k] + 1);
    return totals[k] > 0 ? m / totals[k] : 0;
  });
  const bp = brevityPenalty(c, r);
  let logSum = 0;
  for (let k = 0; k < N; k++) logSum += weights[k] === 0 ? 0 : weights[k] * Math.log(precisions[k]);
  const bleu = bp === 0 || logSum === -Infinity ? 0 : bp * Math.exp(logSum);
  return { bleu, precisions, matches, totals, brevity_penalty: bp, candidate_length: c, reference_length: r };
}

/**
 * BLEU of one candidate against its references (corpus BLEU of a one-sentence corpus).
 *
 * @example
 * sentenceBleu('the cat is on the mat'.split(' '), [['the', 'cat', 'is', 'on', 'the', 'mat']]).bleu // 1
 */
export function sentenceBleu(candidate: readonly BleuToken[], references: readonly (readonly BleuToken[])[], opts: BleuOptions = {}): BleuResult {
  return corpusBleu([candidate], [references], opts);
}

/**
 * Lowercased word tokens of a text for BLEU: runs of letters/digits, and each punctuation mark on its
 * own (the word tokenizer of src/data/tokenizer.ts).
 *
 * @example bleuTokens('The cat is on the mat.') // ['the', 'cat', 'is', 'on', 'the', 'mat', '.']
 */
export function bleuTokens(text: string): string[] {
  return tokenize(text, 'word', true);
}

function checkOptions(opts: BleuOptions): { N: number; weights: number[]; smoothing: BleuSmoothing } {
  if (opts === null || typeof opts !== 'object') throw new WebRnnError('BAD_VALUE', 'BLEU options must be an object');
  knownKeys('BLEU options', opts, ['max_n', 'weights', 'smoothing'], { code: 'BAD_VALUE' });
  const N = opts.max_n ?? opts.weights?.length ?? 4;
  if (!Number.isInteger(N) || N < 1) throw new WebRnnError('BAD_VALUE', `BLEU: max_n must be a positive integer, got ${JSON.stringify(opts.max_n)}`);
  const weights = opts.weights ? [...opts.weights] : new Array<number>(N).fill(1 / N);
  if (weights.length !== N || weights.some((w) => typeof w !== 'number' || !Number.isFinite(w) || w < 0)) {
    throw new WebRnnError('BAD_VALUE', `BLEU: weights must be ${N} finite non-negative numbers, got ${JSON.stringify(opts.weights)}`);
  }
  const smoothing = opts.smoothing ?? 'none';
  if (smoothing !== 'none' && smoothing !== 'add-one') throw new WebRnnError('BAD_VALUE', `BLEU: smoothing must be 'none' or 'add-one', got ${JSON.stringify(smoothing)}`);
  return { N, weights, smoothing };
}
