// Word embeddings: the float64 references of the skip-gram (negative sampling) and GloVe losses
// against central finite differences; the GPU against the references (repeated ids in a batch, odd
// sizes, entries past x_max); determinism; AdaGrad against its formula (untouched rows keep their
// bits); the CPU samplers and co-occurrence counts; word-vector queries (cosine, neighbours,
// analogies) and debiasing on constructed vectors whose answers are known; the GloVe / word2vec text
// formats; pretrained vectors in a frozen or fine-tuned Embedding; and skip-gram and GloVe runs that
// recover the word classes of a synthetic corpus.
//
// Tolerances (max |got − want| / max |want| per tensor): GPU loss 1e-5, GPU gradients 1e-4;
// references vs finite differences 1e-7 (h = 1e-6).
import { describe, expect, test } from 'vitest';
import { Adagrad } from '../src/optim/adagrad.js';
import { cooccurrence, gloveBatches, skipGramBatches, UnigramSampler, wordCorpus } from '../src/embeddings/corpus.js';
import { biasDirection, debias, equalize, neutralize } from '../src/embeddings/debias.js';
import { GloVe } from '../src/embeddings/glove.js';
import { pretrainedEmbedding, pretrainedWeights, trainableBlocks } from '../src/embeddings/pretrained.js';
import { SegmentLayout, SegmentScratch, NO_ID } from '../src/embeddings/segments.js';
import { SkipGram } from '../src/embeddings/skip-gram.js';
import { trainWordVectors } from '../src/embeddings/train.js';
import { cosineSimilarity, WordVectors } from '../src/embeddings/word-vectors.js';
import { SequenceModel } from '../src/model/sequence-model.js';
import { Rng } from '../src/random.js';
import { refGloveLoss, refSkipGramLoss } from './reference/word-vectors.js';
import { Adam } from '../src/optim/adam.js';
import { code, engine, expectCloseLoggingWorst, f64, numericGrad, scoped, useEngine } from './helpers/gpu-test.js';

const TOL_LOSS = 1e-5;
const TOL_GRAD = 1e-4;
const TOL_FD = 1e-7;

useEngine();
const expectClose = expectCloseLoggingWorst('embeddings');
const f32r = (rng: Rng, n: number, s = 1) => f64(Float32Array.from(rng.normalArray(n, 0, s)));
const ids = (rng: Rng, n: number, V: number) => Int32Array.from({ length: n }, () => rng.int(0, V - 1));

describe('float64 references vs finite differences', () => {
  test('skip-gram with negative sampling: d embedding, d theta (repeated ids)', () => {
    const rng = new Rng(1);
    const V = 6, E = 4, N = 7, K = 3;
    const e = f32r(rng, V * E), th = f32r(rng, V * E);
    const ctx = ids(rng, N, V), tgt = ids(rng, N * (K + 1), V);
    const r = refSkipGramLoss(e, th, E, ctx, tgt);
    const f = () => refSkipGramLoss(e, th, E, ctx, tgt).loss;
    expectClose('d embedding', r.grad_embedding, numericGrad(e, f), TOL_FD);
    expectClose('d theta', r.grad_theta, numericGrad(th, f), TOL_FD);
  });

  test('GloVe: d theta, d embedding, d b, d b′ (entries above and below x_max)', () => {
    const rng = new Rng(2);
    const V = 5, E = 3, N = 9;
    const p = { theta: f32r(rng, V * E), embedding: f32r(rng, V * E), b: f32r(rng, V), b_prime: f32r(rng, V) };
    const rows = ids(rng, N, V), cols = ids(rng, N, V);
    const X = Float64Array.from({ length: N }, (_, n) => (n % 3 === 0 ? 150 : 0.5 + 20 * rng.next()));
    const f = () => refGloveLoss(p, E, rows, cols, X, 100, 0.75).loss;
    const g = refGloveLoss(p, E, rows, cols, X, 100, 0.75).grads;
    for (const k of ['theta', 'embedding', 'b', 'b_prime'] as const) expectClose(`d ${k}`, g[k], numericGrad(p[k], f), TOL_FD);
  });
});

describe('GPU vs float64 reference', () => {
  test('skip-gram loss and gradients (many repeats in a batch; larger tables), deterministic', async () => {
    const rng = new Rng(3);
    for (const [V, E, N, K] of [[7, 5, 50, 3], [300, 64, 1000, 5], [1, 1, 1, 0]] as const) {
      const sg = new SkipGram(engine, { vocab_size: V, embedding_dim: E, negatives: K });
      const e = f32r(rng, V * E, 0.5), th = f32r(rng, V * E, 0.5);
      sg.loadStateDict({ embedding: e, theta: th });
      const ctx = ids(rng, N, V), tgt = ids(rng, N * (K + 1), V);
      const ref = refSkipGramLoss(e, th, E, ctx, tgt);
      await scoped(async () => {
        const loss = await sg.lossAndGrad({ context: ctx, targets: tgt }).read();
        const g = await sg.store.read('grads');
        expectClose(`V${V} loss`, loss, [ref.loss], TOL_LOSS, 'loss');
        expectClose(`V${V} d embedding`, g.embedding, ref.grad_embedding, TOL_GRAD, 'grad');
        expectClose(`V${V} d theta`, g.theta, ref.grad_theta, TOL_GRAD, 'grad');
        // the same bits again (gradients are overwritten, not accumulated)
        expect(await sg.lossAndGrad({ context: ctx, targets: tgt }).read()).toEqual(loss);
        expect(await sg.store.read('grads')).toEqual(g);
      });
      sg.dispose();
    }
  });

  test('GloVe loss and gradients, deterministic', async () => {
    const rng = new Rng(4);
    for (const [V, E, N] of [[6, 3, 40], [500, 50, 3000]] as const) {
      const glove = new GloVe(engine, { vocab_size: V, embedding_dim: E, x_max: 10, alpha: 0.75 });
      const p = { theta: f32r(rng, V * E, 0.3), embedding: f32r(rng, V * E, 0.3), b: f32r(rng, V, 0.3), b_prime: f32r(rng, V, 0.3) };
      glove.loadStateDict(p);
      const rows = ids(rng, N, V), cols = ids(rng, N, V);
      const X = Float32Array.from({ length: N }, () => 0.25 + 20 * rng.next());
      const ref = refGloveLoss(p, E, rows, cols, X, 10, 0.75);
      await scoped(async () => {
        const loss = await glove.lossAndGrad({ rows, cols, counts: X }).read();
        const g = await glove.store.read('grads');
        expectClose(`V${V} loss`, loss, [ref.loss], TOL_LOSS, 'loss');
        for (const k of ['theta', 'embedding', 'b', 'b_prime'] as const) expectClose(`V${V} d ${k}`, g[k], ref.grads[k], TOL_GRAD, 'grad');
        expect(await glove.lossAndGrad({ rows, cols, counts: X }).read()).toEqual(loss);
      });
      glove.dispose();
    }
  });

  test('AdaGrad matches torch.optim.Adagrad’s formula; rows with zero gradient keep their bits', async () => {
    const rng = new Rng(5);
    const V = 9, E = 4, N = 6, K = 2;
    const sg = new SkipGram(engine, { vocab_size: V, embedding_dim: E, negatives: K }, { seed: 3 });
    sg.loadStateDict({ embedding: f32r(rng, V * E, 0.5), theta: f32r(rng, V * E, 0.5) });
    const opt = new Adagrad(engine, sg.blocks(), { lr: 0.1, lr_decay: 0.01 });
    // ids 7 and 8 never appear
    const ctx = Int32Array.from({ length: N }, () => rng.int(0, 6)), tgt = Int32Array.from({ length: N * (K + 1) }, () => rng.int(0, 6));
    const sd = await sg.store.read('params');
    const p = f64([...sd.embedding, ...sd.theta]);
    const before = p.slice();
    const sum = new Float64Array(p.length);
    await scoped(async () => {
      for (let t = 1; t <= 3; t++) {
        sg.lossAndGrad({ context: ctx, targets: tgt });
        const gr = await sg.store.read('grads');
        const g = [...gr.embedding, ...gr.theta];
        opt.step();
        const clr = 0.1 / (1 + (t - 1) * 0.01);
        for (let i = 0; i < p.length; i++) {
          sum[i] += g[i] * g[i];
          p[i] -= (clr * g[i]) / (Math.sqrt(sum[i]) + 1e-10);
        }
        const now = await sg.store.read('params');
        expectClose(`step ${t}`, [...now.embedding, ...now.theta], p, 1e-5, 'weights');
      }
    });
    const now = await sg.store.read('params');
    for (const id of [7, 8]) {
      expect(Array.from(now.embedding.subarray(id * E, (id + 1) * E))).toEqual(Array.from(before.subarray(id * E, (id + 1) * E)).map(Math.fround));
      expect(Array.from(now.theta.subarray(id * E, (id + 1) * E))).toEqual(Array.from(before.subarray(V * E + id * E, V * E + (id + 1) * E)).map(Math.fround));
    }
    expect(opt.stepCount).toBe(3);
    opt.dispose();
    sg.dispose();
  });

  test('bad batches and configs throw WebRnnError before any GPU work', () => {
    const sg = new SkipGram(engine, { vocab_size: 5, embedding_dim: 2, negatives: 1 });
    expect(code(() => sg.lossAndGrad({ context: [1, 2], targets: [1, 2, 3] }))).toBe('BAD_SHAPE');
    expect(code(() => sg.lossAndGrad({ context: [5], targets: [1, 2] }))).toBe('BAD_VALUE');
    expect(code(() => sg.lossAndGrad({ context: [], targets: [] }))).toBe('BAD_SHAPE');
    expect(code(() => new SkipGram(engine, { vocab_size: 5, embedding_dim: 0, negatives: 1 }))).toBe('BAD_CONFIG');
    expect(code(() => new SkipGram(engine, { vocab_size: 5, embedding_dim: 2, negatives: -1 }))).toBe('BAD_CONFIG');
    const glove = new GloVe(engine, { vocab_size: 5, embedding_dim: 2 });
    expect(code(() => glove.lossAndGrad({ rows: [1], cols: [2], counts: [0] }))).toBe('BAD_VALUE');
    expect(code(() => glove.lossAndGrad({ rows: [1], cols: [2, 3], counts: [1] }))).toBe('BAD_SHAPE');
    expect(code(() => new GloVe(engine, { vocab_size: 5, embedding_dim: 2, x_max: 0 }))).toBe('BAD_CONFIG');
    expect(code(() => new Adagrad(engine, glove.blocks(), { lr: -1 }))).toBe('BAD_CONFIG');
    sg.dispose();
    glove.dispose();
    expect(code(() => sg.lossAndGrad({ context: [1], targets: [1, 2] }))).toBe('DISPOSED');
  });
});

describe('CPU pieces', () => {
  test('segments: entries grouped by id in first-seen order, positions in order, unused slots empty', () => {
    const keys = [3, 1, 3, 0, 1, 3];
    const rows = [10, 11, 12, 13, 14, 15];
    const layout = new SegmentLayout(2, 5, 6);
    const index = new Uint32Array(2 + layout.length);
    const U = layout.fill(index, keys, rows, new SegmentScratch(4, 6));
    expect(U).toBe(3);
    expect(Array.from(index.subarray(layout.idsOff, layout.idsOff + 5))).toEqual([3, 1, 0, NO_ID, NO_ID]);
    expect(Array.from(index.subarray(layout.offsOff, layout.offsOff + 6))).toEqual([0, 3, 5, 6, 6, 6]);
    expect(Array.from(index.subarray(layout.entOff, layout.entOff + 6))).toEqual([0, 2, 5, 1, 4, 3]);
    expect(Array.from(index.subarray(layout.rowsOff, layout.rowsOff + 6))).toEqual([10, 12, 15, 11, 14, 13]);
  });

  test('unigram^0.75 sampler: frequencies match, seeded', () => {
    const counts = [0, 1000, 100, 10, 1];
    const s = new UnigramSampler(counts);
    const p = counts.map((c) => c ** 0.75);
    const z = p.reduce((a, b) => a + b, 0);
    s.probabilities.forEach((q, i) => expect(q).toBeCloseTo(p[i] / z, 12));
    const rng = new Rng(6);
    const hist = new Array(5).fill(0);
    const n = 200_000;
    for (let k = 0; k < n; k++) hist[s.sample(rng)]++;
    hist.forEach((h, i) => expect(Math.abs(h / n - p[i] / z)).toBeLessThan(0.005));
    expect(hist[0]).toBe(0);
    const a = new Rng(9), b = new Rng(9);
    expect(Array.from({ length: 50 }, () => s.sample(a))).toEqual(Array.from({ length: 50 }, () => s.sample(b)));
  });

  test('skip-gram pairs: targets within the window of their context, negatives from the sampler, seeded', () => {
    const sentences = [Int32Array.of(1, 2, 3, 4, 5, 6), Int32Array.of(7, 8, 9)];
    const counts = Float64Array.from({ length: 10 }, (_, i) => (i === 0 ? 0 : 1));
    const where = new Map<number, [number, number]>();
    sentences.forEach((s, si) => s.forEach((id, i) => where.set(id, [si, i])));
    const opts = { window: 2, negatives: 3, batch_size: 7, epochs: 2, subsample: 0, seed: 4 };
    const batches = [...skipGramBatches({ sentences, counts }, new UnigramSampler(counts), opts)];
    let pairs = 0;
    for (const b of batches) {
      for (let i = 0; i < b.context.length; i++) {
        const [sc, pc] = where.get(b.context[i])!;
        const [st, pt] = where.get(b.targets[i * 4])!;
        expect(sc).toBe(st);
        expect(Math.abs(pc - pt)).toBeGreaterThanOrEqual(1);
        expect(Math.abs(pc - pt)).toBeLessThanOrEqual(2);
        for (let k = 1; k <= 3; k++) expect(b.targets[i * 4 + k]).toBeGreaterThan(0);
        pairs++;
      }
    }
    // with window 2, each epoch yields between the window-1 count (2·(6−1) + 2·(3−1)) and the full window-2 count
    expect(pairs).toBeGreaterThanOrEqual(2 * 14);
    expect(pairs).toBeLessThanOrEqual(2 * 26);
    expect(batches[batches.length - 1].progress).toBe(1);
    const again = [...skipGramBatches({ sentences, counts }, new UnigramSampler(counts), opts)];
    expect(again.map((b) => Array.from(b.targets))).toEqual(batches.map((b) => Array.from(b.targets)));
  });

  test('co-occurrence counts with 1/d weighting (hand-computed), and GloVe batches cover every entry', () => {
    // "a b a" with window 2: (a,b) at d=1 twice, (a,a) at d=2 once
    const X = cooccurrence([Int32Array.of(0, 1, 0)], 2, { window: 2 });
    expect(Array.from(X.rows)).toEqual([0, 0, 1]);
    expect(Array.from(X.cols)).toEqual([0, 1, 0]);
    expect(Array.from(X.counts)).toEqual([1, 2, 2]); // X_aa = 1/2 + 1/2, X_ab = X_ba = 1 + 1
    const plain = cooccurrence([Int32Array.of(0, 1, 0)], 2, { window: 1, weighting: 'none' });
    expect(Array.from(plain.counts)).toEqual([2, 2]);
    const seen: string[] = [];
    for (const b of gloveBatches(X, { batch_size: 2, seed: 1 })) for (let n = 0; n < b.rows.length; n++) seen.push(`${b.rows[n]},${b.cols[n]},${b.counts[n]}`);
    expect(seen.sort()).toEqual(['0,0,1', '0,1,2', '1,0,2']);
  });

  test('corpus builders check their inputs when called (BAD_VALUE naming the argument), before any batch', () => {
    const counts = Float64Array.of(0, 2, 1, 1);
    const sentences = [Int32Array.of(1, 2, 1, 3)];
    const sampler = new UnigramSampler(counts);
    const sg = (...a: Parameters<typeof skipGramBatches>) => () => skipGramBatches(...a); // no next(): the call itself throws
    expect(code(() => new UnigramSampler([]))).toBe('BAD_VALUE');
    expect(code(() => new UnigramSampler(null as never))).toBe('BAD_VALUE');
    expect(code(() => new UnigramSampler([1, 2], -1))).toBe('BAD_VALUE');
    expect(code(() => new UnigramSampler([1, NaN]))).toBe('BAD_VALUE');
    expect(code(() => sampler.sample(Math.random as never))).toBe('BAD_VALUE');
    expect(code(sg({ sentences: [Int32Array.of(1, 4)], counts }, sampler))).toBe('BAD_VALUE');
    expect(() => skipGramBatches({ sentences: [Int32Array.of(1, 4)], counts }, sampler)).toThrow(/corpus\.sentences\[0\]\[1\] is 4, not an id in \[0, 4\)/);
    expect(code(sg({ sentences: 'a b' as never, counts }, sampler))).toBe('BAD_VALUE');
    expect(code(sg({ sentences, counts: Float64Array.of(1, -1, 1, 1) }, sampler))).toBe('BAD_VALUE');
    expect(code(sg({ sentences, counts }, new UnigramSampler([1, 1])))).toBe('BAD_VALUE');
    expect(code(sg({ sentences, counts }, {} as never))).toBe('BAD_VALUE');
    expect(code(sg({ sentences, counts }, sampler, { window: 0 }))).toBe('BAD_VALUE');
    expect(code(sg({ sentences, counts }, sampler, { negatives: 1.5 }))).toBe('BAD_VALUE');
    expect(code(sg({ sentences, counts }, sampler, { subsample: NaN }))).toBe('BAD_VALUE');
    expect(code(sg({ sentences, counts }, sampler, { seed: -1 }))).toBe('BAD_VALUE');
    expect(code(sg({ sentences, counts }, sampler, { windw: 3 } as never))).toBe('BAD_VALUE');
    expect(code(() => cooccurrence(sentences, 3))).toBe('BAD_VALUE'); // id 3 ≥ V
    expect(code(() => cooccurrence(sentences, 0))).toBe('BAD_VALUE');
    expect(code(() => cooccurrence([[0, 1.5]], 4))).toBe('BAD_VALUE');
    expect(code(() => cooccurrence(sentences, 4, { weighting: 'linear' as never }))).toBe('BAD_VALUE');
    expect(code(() => cooccurrence(sentences, 4, { window: 0 }))).toBe('BAD_VALUE');
    const X = cooccurrence(sentences, 4, { window: 2 });
    expect(code(() => gloveBatches(X, { epochs: 0 }))).toBe('BAD_VALUE');
    expect(code(() => gloveBatches(X, { batch_size: 2.5 }))).toBe('BAD_VALUE');
    expect(code(() => gloveBatches(X, { batch: 2 } as never))).toBe('BAD_VALUE');
    expect(code(() => gloveBatches({ ...X, cols: X.cols.subarray(1) }))).toBe('BAD_VALUE');
    expect(code(() => gloveBatches({ ...X, counts: X.counts.map((c, i) => (i === 0 ? 0 : c)) }))).toBe('BAD_VALUE');
    expect(code(() => gloveBatches({ rows: [0], cols: [1], counts: [1] } as never))).toBe('BAD_VALUE');
    // number[] sentences are accepted as well as Int32Array
    expect(cooccurrence([[1, 2, 1, 3]], 4, { window: 2 })).toEqual(X);
  });

  test('wordCorpus: lowercased words seen min_count times; punctuation and rare words dropped', () => {
    const c = wordCorpus(['The cat sat .', 'the cat ran !', 'A dog sat'], { min_count: 2 });
    expect(c.vocab.tokens.slice(c.vocab.num_special)).toEqual(['cat', 'sat', 'the']); // ties in code-point order
    expect(c.sentences.map((s) => c.vocab.decode(s))).toEqual(['the cat sat', 'the cat', 'sat']);
    expect(c.counts[c.vocab.id('cat')]).toBe(2);
  });
});

describe('word-vector queries on constructed vectors', () => {
  // e_woman − e_man = e_queen − e_king = (0, 2, 0): the answer is known
  const words = ['man', 'woman', 'king', 'queen', 'apple', 'car', 'royal'];
  const vecs = [
    [1, 0, 0, 0], [1, 2, 0, 0], [1, 0, 3, 0.2], [1, 2, 3, 0.2],
    [0, 0, 0, 4], [-1, 0, 0.5, -2], [0.2, 0.1, 3, 0.3],
  ];
  const wv = new WordVectors(words, Float32Array.from(vecs.flat()), 4);

  test('cosine similarity and nearest neighbours', () => {
    expect(cosineSimilarity([1, 0], [1, 1])).toBeCloseTo(Math.SQRT1_2, 15);
    expect(cosineSimilarity([1, 2, 3], [-2, -4, -6])).toBeCloseTo(-1, 15);
    expect(cosineSimilarity([0, 0], [1, 1])).toBe(0);
    expect(wv.similarity('king', 'king')).toBeCloseTo(1, 6);
    const nn = wv.nearest('king', 3);
    expect(nn.map((n) => n.word)).toEqual(['royal', 'queen', 'man']);
    expect(nn[0].similarity).toBeCloseTo(cosineSimilarity(vecs[2], vecs[6]), 6);
    expect(wv.nearest('king', 2, { exclude: ['royal'] }).map((n) => n.word)).toEqual(['queen', 'man']);
  });

  test('analogy: man is to woman as king is to queen (the three inputs excluded)', () => {
    expect(wv.analogy('man', 'woman', 'king')).toBe('queen');
    expect(wv.analogy('king', 'queen', 'man')).toBe('woman');
    const c = wv.analogyCandidates('man', 'woman', 'king', 2);
    expect(c[0].similarity).toBeCloseTo(1, 6); // e_woman − e_man + e_king = e_queen exactly
    expect(code(() => wv.analogy('man', 'woman', 'prince'))).toBe('BAD_VALUE');
  });

  test('GloVe and word2vec text formats round-trip exactly; malformed files are BAD_FILE', () => {
    const rng = new Rng(7);
    const w = new WordVectors(['a', 'b', 'ç'], Float32Array.from(rng.normalArray(6)), 2);
    for (const format of ['glove', 'word2vec'] as const) {
      const back = WordVectors.parse(w.toText(format));
      expect(back.words).toEqual(w.words);
      expect(back.data).toEqual(w.data);
    }
    expect(w.toText('word2vec').split('\n')[0]).toBe('3 2');
    expect(WordVectors.parse('x 1 2\ny 3 4\n', { format: 'glove' }).vector('y')).toEqual(Float32Array.of(3, 4));
    expect(WordVectors.parse('new york 1 2\nx 3 4\n').words).toEqual(['new york', 'x']);
    expect(code(() => WordVectors.parse('x 1 2\ny 3\n'))).toBe('BAD_FILE');
    expect(code(() => WordVectors.parse('2 2\nx 1 2\n'))).toBe('BAD_FILE');
    expect(code(() => WordVectors.parse('x 1 zz\n', { format: 'word2vec' }))).toBe('BAD_FILE');
    expect(code(() => WordVectors.parse(''))).toBe('BAD_FILE');
  });
});

describe('debiasing (the course’s steps) on constructed vectors', () => {
  test('bias direction: mean of pair differences, or their first principal component', () => {
    const wv = new WordVectors(['woman', 'man', 'girl', 'boy'], Float32Array.of(1, 1, 0, -1, 1, 0, 1, 0, 1, 0, 0, 1), 3);
    expect(Array.from(biasDirection(wv, [['woman', 'man'], ['girl', 'boy']]))).toEqual([1.5, 0, 0]);
    const g = biasDirection(wv, [['woman', 'man'], ['girl', 'boy']], 'pca');
    expect(g[0]).toBeCloseTo(1, 12);
    expect(Math.abs(g[1]) + Math.abs(g[2])).toBeLessThan(1e-12);
  });

  test('neutralize removes exactly the component along g', () => {
    const g = [2, 0, 0];
    expect(Array.from(neutralize([0.6, 0.8, 0.1], g))).toEqual([0, 0.8, 0.1]);
    const rng = new Rng(8);
    const g2 = rng.normalArray(10), e = rng.normalArray(10);
    const n = neutralize(e, g2);
    expect(Math.abs(cosineSimilarity(n, g2))).toBeLessThan(1e-14);
    expect(code(() => neutralize([1, 2], [0, 0]))).toBe('BAD_VALUE');
  });

  test('equalize: the hand-computed 2-D case, and the properties in 8-D', () => {
    // g = x; e1 = (0.6, 0.8), e2 = (−0.8, 0.6): μ⊥ = (0, 0.7), √(1 − 0.49) · (±0.7, 0) / √0.5 + μ⊥
    const [a, b] = equalize([0.6, 0.8], [-0.8, 0.6], [1, 0]);
    const x = (Math.sqrt(0.51) * 0.7) / Math.sqrt(0.5);
    expect(a[0]).toBeCloseTo(x, 14);
    expect(a[1]).toBeCloseTo(0.7, 14);
    expect(b[0]).toBeCloseTo(-x, 14);
    expect(b[1]).toBeCloseTo(0.7, 14);
    // random unit vectors: after equalizing, they differ only along g, by opposite amounts, and a
    // neutralized word is equally similar to both
    const rng = new Rng(9);
    const unit = (v: Float64Array) => v.map((t) => t / Math.hypot(...v));
    const g = unit(rng.normalArray(8));
    const [e1, e2] = equalize(unit(rng.normalArray(8)), unit(rng.normalArray(8)), g);
    const dot = (u: ArrayLike<number>, v: ArrayLike<number>) => Array.from(u).reduce((s, t, i) => s + t * v[i], 0);
    expect(dot(e1, g) + dot(e2, g)).toBeCloseTo(0, 12);
    const d = e1.map((t, i) => t - e2[i]);
    expect(Math.abs(Math.abs(cosineSimilarity(d, g)) - 1)).toBeLessThan(1e-12);
    const w = neutralize(unit(rng.normalArray(8)), g);
    expect(cosineSimilarity(w, e1)).toBeCloseTo(cosineSimilarity(w, e2), 12);
  });

  test('debias(): neutral words orthogonal to g, pairs equidistant from them', () => {
    const rng = new Rng(10);
    const words = ['he', 'she', 'actor', 'actress', 'nurse', 'doctor'];
    const wv = new WordVectors(words, Float32Array.from(rng.normalArray(words.length * 6)), 6);
    const g = biasDirection(wv, [['she', 'he']]);
    const fair = debias(wv, g, { neutral: ['nurse', 'doctor'], pairs: [['actress', 'actor']] });
    for (const w of ['nurse', 'doctor']) expect(Math.abs(cosineSimilarity(fair.vector(w), g))).toBeLessThan(1e-6);
    for (const w of ['nurse', 'doctor']) expect(fair.similarity(w, 'actor')).toBeCloseTo(fair.similarity(w, 'actress'), 6);
    expect(Math.hypot(...fair.vector('he'))).toBeCloseTo(1, 6); // normalised
  });
});

describe('pretrained vectors in an Embedding', () => {
  const wv = new WordVectors(['the', 'cat', 'dog'], Float32Array.of(1, 2, 3, 4, 5, 6), 2);

  test('weights per token: found, lowercase fallback, OOV rows, padding row zero', () => {
    const r = pretrainedWeights(wv, ['<PAD>', 'Cat', 'dog', 'zebra'], { padding_idx: 0, oov: 'zero' });
    expect(Array.from(r.weight)).toEqual([0, 0, 3, 4, 5, 6, 0, 0]);
    expect(r.found).toBe(2);
    expect(r.missing).toEqual(['zebra']);
    const rnd = pretrainedWeights(wv, ['zebra'], { seed: 1 });
    expect(rnd.weight.some((v) => v !== 0)).toBe(true);
    expect(code(() => pretrainedWeights(wv, ['a'], { oov: 'x' as 'zero' }))).toBe('BAD_VALUE');
  });

  test('frozen: left out of the optimizer, so training changes everything else but not it; fine-tuned: it changes', async () => {
    for (const freeze of [true, false]) {
      const tokens = ['<PAD>', 'the', 'cat', 'dog'];
      const model = new SequenceModel(engine, {
        embedding: { num_embeddings: 4, embedding_dim: 2, padding_idx: 0 },
        rnn: { mode: 'GRU', input_size: 2, hidden_size: 3 },
        linear: { in_features: 3, out_features: 2 },
        loss: 'cross_entropy', target: 'last_step',
      }, { seed: 1 });
      const pre = pretrainedWeights(wv, tokens, { padding_idx: 0 });
      model.embedding!.loadStateDict({ weight: pre.weight });
      const blocks = freeze ? trainableBlocks(model.blocks(), [model.embedding!]) : model.blocks();
      expect(blocks.length).toBe(freeze ? 2 : 3);
      const opt = new Adam(engine, blocks, { lr: 0.1 });
      const before = await model.stateDict();
      await scoped(async () => {
        for (let i = 1; i <= 3; i++) {
          model.lossAndGrad({ B: 2, T: 3, tokens: Int32Array.of(1, 2, 3, 3, 2, 0), lengths: [3, 2], targets: Int32Array.of(0, 1) });
          await opt.stepChecked(i);
        }
      });
      const after = await model.stateDict();
      expect(after['embedding.weight']).toEqual(freeze ? before['embedding.weight'] : after['embedding.weight']);
      if (!freeze) expect(after['embedding.weight']).not.toEqual(before['embedding.weight']);
      expect(after['rnn.weight_hh_l0']).not.toEqual(before['rnn.weight_hh_l0']);
      opt.dispose();
      model.dispose();
    }
  });

  test('pretrainedEmbedding looks up the pretrained rows on the GPU', async () => {
    const pre = pretrainedEmbedding(engine, wv, ['<PAD>', 'dog', 'the'], { padding_idx: 0 });
    expect(pre.frozen).toBe(true);
    expect(trainableBlocks([pre.embedding.store], [pre])).toEqual([]);
    await scoped(async () => {
      expect(Array.from(await pre.embedding.forward([2, 1, 0], [3]).read())).toEqual([1, 2, 5, 6, 0, 0]);
    });
    pre.embedding.dispose();
  });
});

describe('training recovers the word classes of a synthetic corpus', () => {
  // "the <animal> <animal verb>", "some <food> <food verb>", "<person> <person verb> <adverb>": words of
  // a class share their contexts (and never co-occur with each other), so their vectors should cluster
  const classes: Record<string, string[]> = {
    animal: ['cat', 'dog', 'horse', 'cow', 'sheep', 'goat'],
    food: ['apple', 'bread', 'cheese', 'rice', 'soup'],
    person: ['alice', 'bob', 'carol', 'dave', 'erin'],
    animal_verb: ['runs', 'sleeps', 'barks'],
    food_verb: ['tastes', 'cooks', 'spoils'],
    person_verb: ['talks', 'writes', 'sings'],
    adverb: ['quickly', 'slowly', 'loudly', 'quietly'],
  };
  const contextWords = [...classes.animal_verb, ...classes.food_verb, ...classes.person_verb, ...classes.adverb, 'the', 'some'];
  function sentences(n: number, seed: number): string[] {
    const rng = new Rng(seed);
    const pick = (c: string) => classes[c][rng.int(0, classes[c].length - 1)];
    return Array.from({ length: n }, () => [`the ${pick('animal')} ${pick('animal_verb')}`, `some ${pick('food')} ${pick('food_verb')}`, `${pick('person')} ${pick('person_verb')} ${pick('adverb')}`][rng.int(0, 2)]);
  }
  /** Fraction of the 3 nearest nouns of each noun (animal, food, person) that are of its own class. */
  function classPurity(wv: WordVectors): number {
    let right = 0, total = 0;
    for (const c of ['animal', 'food', 'person']) {
      for (const w of classes[c]) {
        for (const n of wv.nearest(w, 3, { exclude: contextWords })) {
          total++;
          if (classes[c].includes(n.word)) right++;
        }
      }
    }
    return right / total;
  }

  for (const method of ['skip-gram', 'glove'] as const) {
    test(`${method}: a word's nearest neighbours are of its own class`, async () => {
      const corpus = wordCorpus(sentences(3000, 11), { min_count: 1 });
      const progress: number[] = [];
      const r = await scoped(() => trainWordVectors(engine, corpus, {
        method, embedding_dim: 16, epochs: method === 'glove' ? 60 : 3, batch_size: method === 'glove' ? 256 : 1024, window: 3, seed: 2, report_every: 10,
        ...(method === 'skip-gram' ? { subsample: 0 } : {}),
        onProgress: (p) => void progress.push(p.progress),
      }));
      const purity = classPurity(r.vectors);
      console.log(`${method}: ${r.steps} steps, loss ${r.losses[0].toFixed(4)} → ${r.losses[r.losses.length - 1].toFixed(4)}, class purity of 3 nearest neighbours ${(100 * purity).toFixed(1)}%`);
      expect(r.losses[r.losses.length - 1]).toBeLessThan(r.losses[0]);
      expect(purity).toBeGreaterThan(0.9);
      expect(progress.every((p, i) => p >= (progress[i - 1] ?? 0) && p <= 1)).toBe(true);
      expect(r.vectors.has('the')).toBe(true);
      expect(r.vectors.has('<PAD>')).toBe(false);
    });
  }
});
