// Sentiment-style many-to-one classification with pretrained word embeddings, on the Brown corpus:
// which kind of writing does a 30-word passage come from — news (press genres a–c), learned and
// government prose (h, j) or fiction (k–r)? An embedding initialised from pretrained word vectors
// (frozen by default: left out of the optimizer) → GRU → Dense on the last step → softmax.
//
// The vectors come from a GloVe/word2vec text file (--vectors FILE, e.g. written by
// `node examples/run.mjs word-vectors --out brown.txt`) or, without one, from a short skip-gram run on
// the training documents. Documents are split 80/20 into training and held-out sets, so no passage
// of a held-out document is trained on (the vectors neither).
//
//   node examples/run.mjs genre-classifier
//   node examples/run.mjs genre-classifier --vectors brown.txt --fine-tune
//   node examples/run.mjs genre-classifier --quick
import { readFileSync } from 'node:fs';
import { Adam, type Engine, pretrainedWeights, Rng, SequenceModel, tokenize, trainableBlocks, trainWordVectors, Vocab, wordCorpus, WordVectors } from 'webrnn';
import { readBrown } from 'webrnn/node';
import { argmaxRows, exampleMain, num, trainingOptions, trainingValues, trainLoop } from './_shared.js';

export const GROUPS: Record<string, string> = { a: 'news', b: 'news', c: 'news', h: 'learned', j: 'learned', k: 'fiction', l: 'fiction', m: 'fiction', n: 'fiction', p: 'fiction', r: 'fiction' };
const CLASSES = ['news', 'learned', 'fiction'];
const T = 30;

export interface GenreOptions {
  steps: number;
  batch: number;
  hidden: number;
  lr: number;
  seed: number;
  /** text of pretrained vectors (GloVe or word2vec format); absent: train skip-gram first */
  vectors?: string;
  /** skip-gram steps when no vectors are given */
  pretrain_steps: number;
  embedding_dim: number;
  fine_tune: boolean;
  /** use every n-th Brown document */
  every_nth_document: number;
  progress: boolean;
}

export interface GenreResult {
  accuracy: number;
  majority: number;
  test_passages: number;
  coverage: number;
  losses: number[];
  confusion: number[][];
}

interface Passage {
  tokens: string[];
  label: number;
}

/** 30-word passages (lowercased word tokens) of the documents of the three groups. */
function passages(docs: ReturnType<typeof readBrown>): Passage[] {
  const out: Passage[] = [];
  for (const d of docs) {
    const g = GROUPS[d.genre];
    if (!g) continue;
    const words = d.sentences.flatMap((s) => tokenize(s.words.join(' '), 'word', true).filter((w) => /[\p{L}\p{N}]/u.test(w)));
    for (let i = 0; i + T <= words.length; i += T) out.push({ tokens: words.slice(i, i + T), label: CLASSES.indexOf(g) });
  }
  return out;
}

export async function run(engine: Engine, o: GenreOptions, log: (s: string) => void = console.log): Promise<GenreResult> {
  const docs = readBrown().filter((_, i) => i % o.every_nth_document === 0);
  const trainDocs = docs.filter((_, i) => i % 5 !== 0);
  const testDocs = docs.filter((_, i) => i % 5 === 0);
  const train = passages(trainDocs), test = passages(testDocs);
  const vocab = Vocab.fromText(train.map((p) => p.tokens.join(' ')), { level: 'word', lowercase: true, min_count: 2 });

  let vectors: WordVectors;
  if (o.vectors !== undefined) {
    vectors = WordVectors.parse(o.vectors);
    log(`pretrained vectors: ${vectors.size} words × ${vectors.dim} (from the given file)`);
  } else {
    // skip-gram on the training documents only (all genres), then through the text format, as a file would come
    const corpus = wordCorpus(trainDocs.flatMap((d) => d.sentences.map((s) => s.words.join(' '))), { min_count: 3 });
    const t0 = performance.now();
    const r = await trainWordVectors(engine, corpus, { embedding_dim: o.embedding_dim, epochs: 10, max_steps: o.pretrain_steps, seed: o.seed });
    vectors = WordVectors.parse(r.vectors.toText('word2vec'));
    log(`pretrained vectors: skip-gram on the training documents, ${r.steps} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${vectors.size} words × ${vectors.dim}`);
  }
  const pre = pretrainedWeights(vectors, vocab.tokens, { padding_idx: vocab.pad_id, seed: o.seed });
  const coverage = pre.found / (vocab.size - vocab.num_special);
  log(`${train.length} training passages, ${test.length} held out; vocabulary ${vocab.size}, ${(100 * coverage).toFixed(1)}% with a pretrained vector; embedding ${o.fine_tune ? 'fine-tuned' : 'frozen'}`);

  const model = new SequenceModel(engine, {
    embedding: { num_embeddings: vocab.size, embedding_dim: vectors.dim, padding_idx: vocab.pad_id },
    rnn: { mode: 'GRU', input_size: vectors.dim, hidden_size: o.hidden },
    linear: { in_features: o.hidden, out_features: CLASSES.length },
    loss: 'cross_entropy',
    target: 'last_step',
  }, { seed: o.seed });
  model.embedding!.loadStateDict({ weight: pre.weight });
  const blocks = o.fine_tune ? model.blocks() : trainableBlocks(model.blocks(), [model.embedding!]);
  const opt = new Adam(engine, blocks, { lr: o.lr, clip_norm: 5 });
  const rng = new Rng(o.seed);
  const encode = (ps: Passage[]) => {
    const tokens = new Int32Array(ps.length * T);
    ps.forEach((p, b) => tokens.set(vocab.encode(p.tokens.join(' ')).subarray(0, T), b * T));
    return { B: ps.length, T, tokens, targets: Int32Array.from(ps, (p) => p.label) };
  };
  try {
    let order: number[] = [];
    const losses = await trainLoop(o, log, async (step) => {
      if (order.length < o.batch) order = rng.permutation(train.length);
      const loss = model.lossAndGrad(encode(order.splice(0, o.batch).map((i) => train[i])));
      await opt.stepChecked(step);
      return loss;
    });

    model.eval();
    const confusion = CLASSES.map(() => CLASSES.map(() => 0));
    for (let i = 0; i < test.length; i += 64) {
      const chunk = test.slice(i, i + 64);
      const pred = argmaxRows(await model.predict(encode(chunk)).read(), CLASSES.length);
      chunk.forEach((p, b) => confusion[p.label][pred[b]]++);
    }
    const right = confusion.reduce((a, row, i) => a + row[i], 0);
    const counts = confusion.map((row) => row.reduce((a, b) => a + b, 0));
    const result: GenreResult = {
      accuracy: right / test.length,
      majority: Math.max(...counts) / test.length,
      test_passages: test.length,
      coverage,
      losses,
      confusion,
    };
    log(`held-out accuracy ${(100 * result.accuracy).toFixed(1)}% (majority class ${(100 * result.majority).toFixed(1)}%)`);
    log(`confusion (rows: true ${CLASSES.join('/')}): ${confusion.map((r) => r.join(' ')).join(' | ')}`);
    return result;
  } finally {
    opt.dispose();
    model.dispose();
  }
}

export function main(args: string[]): Promise<void> {
  return exampleMain('genre-classifier', 'Classifies 30-word Brown passages as news, learned or fiction with a GRU over pretrained word vectors.', {
    ...trainingOptions({ steps: '600', batch: '32', rows: 'passages', hidden: '64', cell: 'GRU', lr: '0.003', quick: 'a fifth of the corpus, few steps (a smoke test)' }),
    vectors: { type: 'string', help: 'pretrained vectors, GloVe or word2vec text format (default: train skip-gram first)' },
    'fine-tune': { type: 'boolean', help: 'update the embedding too (default: frozen)' },
    dim: { type: 'string', default: '64', help: 'size of the skip-gram vectors trained when no --vectors' },
    'pretrain-steps': { type: 'string', default: '1500', help: 'skip-gram steps when no --vectors' },
  }, args, (engine, v) => run(engine, {
    ...trainingValues(v),
    ...(typeof v.vectors === 'string' ? { vectors: readFileSync(v.vectors, 'utf8') } : {}),
    pretrain_steps: v.quick ? 20 : num(v['pretrain-steps'], 'pretrain-steps'),
    embedding_dim: num(v.dim, 'dim'),
    fine_tune: v['fine-tune'] === true,
    every_nth_document: v.quick ? 5 : 1,
  }));
}
