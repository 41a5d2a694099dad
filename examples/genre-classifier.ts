// Sentiment-style many-to-one classification with pretrained word embeddings, on the Brown corpus:
// which kind of writing does a 30-word passage come from — news (press genres a–c), learned and
// government prose (h, j) or fiction (k–r)? An embedding initialised from pretrained word vectors
// (frozen by default: left out of the optimizer) → GRU → Dense on the last step → softmax: the library's
// GenreClassifier (webrnn/tasks; `webrnn classify` trains it on the 15 genres) with three groups of genres.
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
import { type Engine, pretrainedWeights, trainWordVectors, wordCorpus, WordVectors } from 'webrnn';
import { readBrown } from 'webrnn/node';
import { GenreClassifier } from 'webrnn/tasks';
import { exampleMain, num, trainingOptions, trainingValues, trainLoop } from './_shared.js';

export const GROUPS: Record<string, string> = { a: 'news', b: 'news', c: 'news', h: 'learned', j: 'learned', k: 'fiction', l: 'fiction', m: 'fiction', n: 'fiction', p: 'fiction', r: 'fiction' };
/** Words per passage: sentences are joined until a passage has this many, and cut there. */
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
  /** accuracy of always answering the most frequent class of training */
  majority: number;
  test_passages: number;
  coverage: number;
  losses: number[];
  /** rows: true class, columns: predicted (news, learned, fiction) */
  confusion: number[][];
}

export async function run(engine: Engine, o: GenreOptions, log: (s: string) => void = console.log): Promise<GenreResult> {
  const docs = readBrown().filter((_, i) => i % o.every_nth_document === 0);
  const trainDocs = docs.filter((_, i) => i % 5 !== 0);
  const testDocs = docs.filter((_, i) => i % 5 === 0);

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
  let coverage = 0;
  const clf = GenreClassifier.create(engine, trainDocs, {
    groups: GROUPS,
    cell: 'GRU',
    embedding: vectors.dim,
    hidden: o.hidden,
    passage_tokens: T,
    max_len: T,
    min_count: 2,
    max_vocab: 1_000_000,
    batch: o.batch,
    lr: o.lr,
    seed: o.seed,
    word_dropout: 0,
    freeze_embedding: !o.fine_tune,
  }, (vocab) => {
    const pre = pretrainedWeights(vectors, vocab.tokens, { padding_idx: vocab.pad_id, seed: o.seed });
    coverage = pre.found / (vocab.size - vocab.num_special);
    return pre.weight;
  });
  try {
    log(`${clf.task.examples} training passages; vocabulary ${clf.vocab.size}, ${(100 * coverage).toFixed(1)}% with a pretrained vector; embedding ${o.fine_tune ? 'fine-tuned' : 'frozen'}`);
    const losses = await trainLoop(o, log, () => clf.trainStep());
    const m = await clf.evaluate(testDocs);
    const result: GenreResult = { accuracy: m.accuracy, majority: m.majority_accuracy, test_passages: m.passages, coverage, losses, confusion: m.confusion };
    log(`held-out accuracy ${(100 * result.accuracy).toFixed(1)}% on ${m.passages} passages (majority class ${(100 * result.majority).toFixed(1)}%)`);
    log(`confusion (rows: true ${clf.classes.join('/')}): ${m.confusion.map((r) => r.join(' ')).join(' | ')}`);
    return result;
  } finally {
    clf.dispose();
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
