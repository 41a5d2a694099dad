// BLEU against cases computed by hand from the course's definition (modified n-gram precision with
// clipping, brevity penalty, geometric mean of 1–4-gram precisions). Counts and precisions are
// compared exactly (as fractions); final scores to within two float64 roundings (1e-15 relative),
// since exp(Σ w log p) and the hand formula's p^(1/4) round differently in the last bit.
import { describe, expect, test } from 'vitest';
import { bleuTokens, brevityPenalty, closestReferenceLength, corpusBleu, modifiedPrecision, sentenceBleu } from '../src/eval/bleu.js';
import { code } from './helpers/gpu-test.js';

// The course's example: "Le chat est sur le tapis."
const ref1 = bleuTokens('The cat is on the mat.').filter((t) => t !== '.');
const ref2 = bleuTokens('There is a cat on the mat.').filter((t) => t !== '.');
const refs = [ref1, ref2];
const w = (s: string) => s.split(' ');
const close = (got: number, want: number) => expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-15 * Math.max(1, Math.abs(want)));

describe('modified n-gram precision (the course examples)', () => {
  test('"the the the the the the the": precision 7/7, modified precision 2/7', () => {
    expect(ref1).toEqual(['the', 'cat', 'is', 'on', 'the', 'mat']);
    const p = modifiedPrecision(w('the the the the the the the'), refs, 1);
    expect(p).toEqual({ matches: 2, total: 7 }); // "the" appears at most twice in a reference (ref1)
  });

  test('"the cat the cat on the mat": bigram precision 4/6, unigram 5/7', () => {
    const cand = w('the cat the cat on the mat');
    // bigrams: the cat ×2 (clip 1), cat the ×1 (0), cat on ×1 (1), on the ×1 (1), the mat ×1 (1)
    expect(modifiedPrecision(cand, refs, 2)).toEqual({ matches: 4, total: 6 });
    // unigrams: the ×3 (clip 2), cat ×2 (clip 1), on (1), mat (1)
    expect(modifiedPrecision(cand, refs, 1)).toEqual({ matches: 5, total: 7 });
    expect(sentenceBleu(cand, refs, { max_n: 2 }).precisions).toEqual([5 / 7, 4 / 6]);
  });

  test('clipping uses the maximum count in any single reference, not the sum over references', () => {
    // "a" twice in each reference: max is 2, the sum would be 4
    expect(modifiedPrecision(w('a a a a'), [w('a a b'), w('b a a')], 1)).toEqual({ matches: 2, total: 4 });
    expect(modifiedPrecision(w('a b'), [w('a b')], 3)).toEqual({ matches: 0, total: 0 });
  });

  test('ids work as tokens, and 1 and "1" are different tokens', () => {
    expect(modifiedPrecision([1, 2, 2], [[2, 1, 2]], 1)).toEqual({ matches: 3, total: 3 });
    expect(modifiedPrecision([1, 2], [['1', '2']], 1)).toEqual({ matches: 0, total: 2 });
  });
});

describe('brevity penalty and BLEU', () => {
  test('a candidate equal to a reference scores exactly 1', () => {
    const r = sentenceBleu(ref1, refs);
    expect(r.bleu).toBe(1);
    expect(r.precisions).toEqual([1, 1, 1, 1]);
    expect(r.brevity_penalty).toBe(1);
  });

  test('the effective reference length is the closest one, the shorter on a tie', () => {
    expect(closestReferenceLength(2, refs)).toBe(6);
    expect(closestReferenceLength(8, refs)).toBe(7);
    expect(closestReferenceLength(6, [w('a b c d e'), w('a b c d e f g')])).toBe(5);
    expect(brevityPenalty(7, 6)).toBe(1);
    expect(brevityPenalty(6, 6)).toBe(1);
    expect(brevityPenalty(3, 6)).toBe(Math.exp(-1));
    expect(brevityPenalty(0, 6)).toBe(0);
  });

  test('"the cat": BP = exp(1 − 6/2); BLEU-2 = e^-2 · √(1 · 1); BLEU-4 = 0 (no trigrams)', () => {
    const r2 = sentenceBleu(w('the cat'), refs, { max_n: 2 });
    expect(r2.matches).toEqual([2, 1]);
    expect(r2.totals).toEqual([2, 1]);
    expect(r2.brevity_penalty).toBe(Math.exp(-2));
    close(r2.bleu, Math.exp(-2));
    expect(r2.reference_length).toBe(6);
    expect(sentenceBleu(w('the cat'), refs).bleu).toBe(0);
  });

  test('"the cat sat on the mat" vs "the cat is on the mat": 5/6, 3/5, 1/4, 0/3 → 0; add-one smoothing', () => {
    const cand = w('the cat sat on the mat');
    const r = sentenceBleu(cand, [ref1]);
    expect(r.matches).toEqual([5, 3, 1, 0]);
    expect(r.totals).toEqual([6, 5, 4, 3]);
    expect(r.bleu).toBe(0);
    const s = sentenceBleu(cand, [ref1], { smoothing: 'add-one' });
    expect(s.precisions).toEqual([5 / 6, 4 / 6, 2 / 5, 1 / 4]);
    close(s.bleu, Math.pow((5 / 6) * (4 / 6) * (2 / 5) * (1 / 4), 1 / 4));
    // BLEU-3 without smoothing: (5/6 · 3/5 · 1/4)^(1/3)
    close(sentenceBleu(cand, [ref1], { max_n: 3 }).bleu, Math.cbrt((5 / 6) * (3 / 5) * (1 / 4)));
  });

  test('custom weights: BLEU-1 of the clipped "the the …" example is 2/7', () => {
    close(sentenceBleu(w('the the the the the the the'), refs, { weights: [1] }).bleu, 2 / 7);
    close(sentenceBleu(w('the the the the the the the'), refs, { weights: [1, 0, 0, 0] }).bleu, 2 / 7);
  });

  test('corpus BLEU sums counts and lengths over sentences before combining (not a mean of sentence scores)', () => {
    // sentence 1: "the cat the cat on the mat" vs refs: p1 5/7, p2 4/6, c 7, r 7
    // sentence 2: "the cat" vs [the cat is on the mat]:   p1 2/2, p2 1/1, c 2, r 6
    const r = corpusBleu([w('the cat the cat on the mat'), w('the cat')], [refs, [ref1]], { max_n: 2 });
    expect(r.matches).toEqual([7, 5]);
    expect(r.totals).toEqual([9, 7]);
    expect(r.candidate_length).toBe(9);
    expect(r.reference_length).toBe(13);
    expect(r.brevity_penalty).toBe(Math.exp(1 - 13 / 9));
    close(r.bleu, Math.exp(1 - 13 / 9) * Math.sqrt((7 / 9) * (5 / 7)));
    const mean = (sentenceBleu(w('the cat the cat on the mat'), refs, { max_n: 2 }).bleu + sentenceBleu(w('the cat'), [ref1], { max_n: 2 }).bleu) / 2;
    expect(Math.abs(r.bleu - mean)).toBeGreaterThan(0.01);
  });

  test('bad arguments are WebRnnErrors', () => {
    expect(code(() => corpusBleu([w('a')], []))).toBe('BAD_SHAPE');
    expect(code(() => corpusBleu([w('a')], [[]]))).toBe('BAD_VALUE');
    expect(code(() => sentenceBleu(w('a'), refs, { max_n: 0 }))).toBe('BAD_VALUE');
    expect(code(() => sentenceBleu(w('a'), refs, { weights: [1, -1] }))).toBe('BAD_VALUE');
    expect(code(() => sentenceBleu(w('a'), refs, { smoothing: 'x' as 'none' }))).toBe('BAD_VALUE');
    expect(code(() => modifiedPrecision(w('a'), refs, 0))).toBe('BAD_VALUE');
  });
});
