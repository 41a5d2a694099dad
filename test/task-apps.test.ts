// The applications of webrnn/tasks that the demo and the examples use. The token tagger (what the Brown
// name tagger and the demo's character tagger are built on), on a synthetic task whose labels come from
// a rule that needs both directions: a token is marked when the token before it is 10 or the token after
// it is 11. Trained briefly from a fixed seed, it must find the rule on held-out sequences (the rule is
// the reference); its probabilities must be the softmax of the model's own logits; calls made without
// awaiting each other must not interleave. The genre classifier with groups of genres and a given, frozen
// embedding (what examples/genre-classifier.ts runs), on small hand-made documents.
import { describe, expect, test } from 'vitest';
import { Rng } from '../src/random.js';
import type { BrownDocument } from '../src/data/brown-text.js';
import { GenreClassifier } from '../src/tasks/brown-genre.js';
import { tagMetrics, TokenTagger } from '../src/tasks/token-tagger.js';
import { code, engine, useEngine } from './helpers/gpu-test.js';

useEngine();

/** Sequences of 4–12 tokens from 1 … 11, labelled by the rule. */
function ruleExamples(rng: Rng, n: number) {
  return Array.from({ length: n }, () => {
    const ids = Int32Array.from({ length: rng.int(4, 12) }, () => rng.int(1, 11));
    const labels = ids.map((_, t) => +(ids[t - 1] === 10 || ids[t + 1] === 11));
    return { ids, labels };
  });
}

const MODEL = { vocab_size: 12, cell: 'GRU', embedding: 8, hidden: 16 } as const;
const TRAINING = { batch: 32, lr: 0.02, clip: 5, seed: 3, word_dropout: 0, bucket_pool: 8 };

describe('TokenTagger (WebGPU)', () => {
  test('tagMetrics counts the positive class (hand-checked)', () => {
    // tokens: 1/1 tp, 1/0 fn, 0/1 fp, 0/0, then 1/1 tp → precision 2/3, recall 2/3, accuracy 3/5
    const m = tagMetrics([[1, 1, 0, 0], [1]], [[1, 0, 1, 0], [1]]);
    expect(m).toMatchObject({ tokens: 5, tp: 2, fp: 1, fn: 1 });
    expect(m.accuracy).toBeCloseTo(3 / 5, 12);
    expect(m.f1).toBeCloseTo(2 / 3, 12);
  });

  test('learns a rule that needs left and right context: held-out F1 > 0.9 after 200 steps', async () => {
    const rng = new Rng(1);
    const tagger = new TokenTagger(engine, MODEL, ruleExamples(rng, 2000), TRAINING);
    try {
      const heldOut = ruleExamples(rng, 300);
      const before = await tagger.score(heldOut);
      const losses: number[] = [];
      for (let i = 0; i < 200; i++) losses.push(await tagger.trainStep());
      const after = await tagger.score(heldOut);
      console.log(`token tagger: held-out F1 ${before.f1.toFixed(3)} → ${after.f1.toFixed(3)}, loss ${losses[0]!.toFixed(3)} → ${losses[199]!.toFixed(3)}`);
      expect(after.f1, JSON.stringify(after)).toBeGreaterThan(0.9);
      expect(tagger.task.position.step).toBe(200);

      // P(class 1) is the 2-class softmax of the model's logits (float64 here; tolerance for float32)
      const seqs = heldOut.slice(0, 20).map((e) => e.ids);
      const [probs, logits] = [await tagger.probabilities(seqs), await tagger.task.predict(seqs)];
      probs.forEach((p, i) => {
        const y = logits[i]!;
        expect(p.length).toBe(seqs[i]!.length);
        p.forEach((v, t) => expect(Math.abs(v - Math.exp(y[2 * t + 1]!) / (Math.exp(y[2 * t]!) + Math.exp(y[2 * t + 1]!)))).toBeLessThan(1e-6));
      });
    } finally {
      tagger.dispose();
    }
  }, 120_000);

  test('a prediction asked for during a step waits for its update; close() waits for the work asked for', async () => {
    const rng = new Rng(2);
    const tagger = new TokenTagger(engine, MODEL, ruleExamples(rng, 64), TRAINING);
    const seqs = ruleExamples(rng, 8).map((e) => e.ids);
    const step = tagger.trainStep();
    const during = tagger.probabilities(seqs); // not awaited in between: must see the updated weights
    await step;
    const after = await tagger.probabilities(seqs);
    expect((await during).map((p) => Array.from(p))).toEqual(after.map((p) => Array.from(p)));
    const last = tagger.trainStep();
    await tagger.close();
    await expect(last).resolves.toBeGreaterThan(0);
    await expect(tagger.trainStep()).rejects.toMatchObject({ code: 'DISPOSED' });
  }, 60_000);
});

/** Documents of genre a (about markets) and k (about a dragon): 12 sentences of 6 words each. */
function docsOf(genre: string, words: string[], n: number, rng: Rng): BrownDocument[] {
  return Array.from({ length: n }, (_, d) => ({
    file: `c${genre}${String(d + 1).padStart(2, '0')}`,
    genre,
    sentences: Array.from({ length: 12 }, () => {
      const ws = Array.from({ length: 6 }, () => words[rng.int(0, words.length - 1)]!);
      return { words: ws, tags: ws.map(() => 'nn') };
    }),
  }));
}

describe('GenreClassifier with groups of genres and a frozen given embedding (WebGPU)', () => {
  const rng = new Rng(5);
  const docs = [
    ...docsOf('a', ['market', 'shares', 'bank', 'prices', 'rose', 'the'], 4, rng),
    ...docsOf('k', ['dragon', 'castle', 'sword', 'knight', 'slept', 'the'], 4, rng),
    ...docsOf('d', ['prayer', 'church', 'the'], 2, rng), // left out of the groups
  ];
  const groups = { a: 'news', k: 'fiction' };
  const settings = { groups, embedding: 4, hidden: 8, passage_tokens: 6, max_len: 12, min_count: 1, batch: 4, lr: 0.05, word_dropout: 0 };

  test('classes are the groups; a frozen embedding keeps the weights it was given, an unfrozen one learns', async () => {
    for (const freeze of [true, false]) {
      let given = new Float32Array(0);
      const clf = GenreClassifier.create(engine, docs, { ...settings, freeze_embedding: freeze }, (vocab) => {
        given = Float32Array.from({ length: vocab.size * 4 }, (_, i) => (i % 7) / 7 - 0.5);
        return given;
      });
      try {
        expect(clf.classes).toEqual(['news', 'fiction']);
        expect(clf.task.examples).toBe(8 * 12); // one passage per sentence; genre d is left out
        for (let i = 0; i < 5; i++) await clf.trainStep();
        const weight = (await clf.task.model.embedding!.stateDict()).weight!;
        const changed = weight.reduce((n, w, i) => n + +(w !== given[i]), 0);
        if (freeze) expect(changed).toBe(0);
        else expect(changed).toBeGreaterThan(0);
        const m = await clf.evaluate(docs);
        expect(m.confusion.flat().reduce((a, b) => a + b, 0)).toBe(m.passages);
        expect(m.passages).toBe(96);
        expect((await clf.classify('the dragon slept')).map((c) => c.genre).sort()).toEqual(['fiction', 'news']);
      } finally {
        clf.dispose();
      }
    }
  }, 60_000);

  test('groups that are not genre letters → class names are refused before any GPU work', () => {
    expect(code(() => GenreClassifier.create(engine, docs, { groups: { z: 'x', a: 'y' } }))).toBe('BAD_CONFIG');
    expect(code(() => GenreClassifier.create(engine, docs, { groups: { a: 'news', b: 'news' } }))).toBe('BAD_CONFIG'); // one class
    expect(code(() => GenreClassifier.create(engine, docs, { freeze_embedding: 'yes' as unknown as boolean }))).toBe('BAD_CONFIG');
  });
});
