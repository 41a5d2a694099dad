// Word vectors from the Brown corpus on the GPU: skip-gram with negative sampling (or GloVe), a
// progress bar while training, then nearest neighbours and analogies, and optionally the vectors in
// GloVe text format for other programs (e.g. the genre-classifier example).
//
//   node examples/run.mjs word-vectors                     # skip-gram, 3 epochs over all of Brown
//   node examples/run.mjs word-vectors --method glove --epochs 15
//   node examples/run.mjs word-vectors --quick             # seconds: a tenth of the corpus, 100 steps
import { writeFileSync } from 'node:fs';
import { type Engine, type Neighbour, trainWordVectors, wordCorpus, type WordCorpus, type WordVectors } from 'webrnn';
import { readBrown } from 'webrnn/node';
import { exampleMain, num, Progress } from './_shared.js';

export interface WordVectorsExampleOptions {
  method: 'skip-gram' | 'glove';
  dim: number;
  epochs: number;
  window?: number;
  min_count: number;
  /** Use every n-th Brown document (1 = all). */
  every_nth_document: number;
  max_steps?: number;
  lr?: number;
  optimizer?: 'adagrad' | 'adam' | 'sgd';
  seed: number;
  progress: boolean;
  query: string[];
  out?: string;
}

export interface WordVectorsExampleResult {
  vectors: WordVectors;
  corpus: WordCorpus;
  neighbours: Record<string, Neighbour[]>;
  analogies: { question: [string, string, string]; answer: string }[];
  steps: number;
  seconds: number;
  losses: number[];
}

const QUERIES = ['man', 'city', 'money', 'king', 'week', 'church', 'good', 'three'];
const ANALOGIES: [string, string, string][] = [
  ['man', 'woman', 'king'],
  ['he', 'she', 'his'],
  ['monday', 'tuesday', 'january'],
  ['big', 'bigger', 'small'],
];

/** Brown's sentences as plain text, one string per sentence. */
export function brownSentences(everyNth = 1): string[] {
  return readBrown()
    .filter((_, i) => i % everyNth === 0)
    .flatMap((d) => d.sentences.map((s) => s.words.join(' ')));
}

export async function run(engine: Engine, o: WordVectorsExampleOptions, log: (s: string) => void = console.log): Promise<WordVectorsExampleResult> {
  const corpus = wordCorpus(brownSentences(o.every_nth_document), { min_count: o.min_count });
  const tokens = corpus.sentences.reduce((a, s) => a + s.length, 0);
  log(`${o.method} on ${engine.adapterName}: ${corpus.sentences.length} sentences, ${tokens} words, vocabulary ${corpus.vocab.size} (min count ${o.min_count}), E = ${o.dim}, ${o.epochs} epoch(s)`);
  const bar = new Progress(1000, 'step {step} | epoch {epoch} | loss {loss}', o.progress);
  const t0 = performance.now();
  const r = await trainWordVectors(engine, corpus, {
    method: o.method,
    embedding_dim: o.dim,
    epochs: o.epochs,
    seed: o.seed,
    report_every: 25,
    ...(o.window !== undefined ? { window: o.window } : {}),
    ...(o.max_steps !== undefined ? { max_steps: o.max_steps } : {}),
    ...(o.lr !== undefined ? { lr: o.lr } : {}),
    ...(o.optimizer !== undefined ? { optimizer: o.optimizer } : {}),
    onProgress: (p) => bar.update(Math.round(1000 * p.progress), { step: p.step, epoch: p.epoch + 1, loss: p.loss.toFixed(4) }),
  });
  bar.stop();
  const seconds = (performance.now() - t0) / 1000;
  log(`${r.steps} steps in ${seconds.toFixed(1)} s; loss ${r.losses.length ? `${r.losses[0].toFixed(4)} → ${r.losses[r.losses.length - 1].toFixed(4)}` : '-'}`);
  const neighbours: Record<string, Neighbour[]> = {};
  for (const q of o.query) {
    if (!r.vectors.has(q)) continue;
    neighbours[q] = r.vectors.nearest(q, 8);
    log(`  ${q.padEnd(8)} → ${neighbours[q].map((n) => `${n.word} (${n.similarity.toFixed(2)})`).join(', ')}`);
  }
  const analogies: WordVectorsExampleResult['analogies'] = [];
  for (const [a, b, c] of ANALOGIES) {
    if (![a, b, c].every((w) => r.vectors.has(w))) continue;
    const answer = r.vectors.analogyCandidates(a, b, c, 3).map((n) => n.word);
    analogies.push({ question: [a, b, c], answer: answer[0] });
    log(`  ${a} : ${b} :: ${c} : ${answer.join(' / ')}`);
  }
  if (o.out) {
    writeFileSync(o.out, r.vectors.toText('glove'));
    log(`wrote ${r.vectors.size} vectors to ${o.out} (GloVe text format)`);
  }
  return { vectors: r.vectors, corpus, neighbours, analogies, steps: r.steps, seconds, losses: r.losses };
}

export function main(args: string[]): Promise<void> {
  return exampleMain('word-vectors', 'Trains word vectors on the Brown corpus on the GPU and prints nearest neighbours and analogies.', {
    method: { type: 'string', default: 'skip-gram', help: 'skip-gram or glove' },
    dim: { type: 'string', default: '64', help: 'vector size E' },
    epochs: { type: 'string', default: '3', help: 'passes over the corpus' },
    window: { type: 'string', help: 'context window (default 5 for skip-gram, 10 for GloVe)' },
    'min-count': { type: 'string', default: '5', help: 'keep words seen at least this often' },
    'max-steps': { type: 'string', help: 'stop after this many steps' },
    lr: { type: 'string', help: 'learning rate' },
    optimizer: { type: 'string', default: 'adagrad', help: 'adagrad, adam or sgd' },
    seed: { type: 'string', default: '1', help: 'seed of the initialisation and sampling' },
    query: { type: 'string', default: QUERIES.join(','), help: 'comma-separated words to show neighbours of' },
    out: { type: 'string', help: 'write the vectors to this file (GloVe text format)' },
    quick: { type: 'boolean', help: 'a tenth of the corpus and 100 steps (a smoke test)' },
  }, args, (engine, v) => {
    const method = v.method === 'glove' ? 'glove' : v.method === 'skip-gram' ? 'skip-gram' : undefined;
    if (!method) throw new Error(`--method must be skip-gram or glove, got ${String(v.method)}`);
    return run(engine, {
      method,
      dim: num(v.dim, 'dim'),
      epochs: num(v.epochs, 'epochs'),
      ...(v.window !== undefined ? { window: num(v.window, 'window') } : {}),
      min_count: num(v['min-count'], 'min-count'),
      every_nth_document: v.quick ? 10 : 1,
      ...(v['max-steps'] !== undefined || v.quick ? { max_steps: v.quick ? 100 : num(v['max-steps'], 'max-steps') } : {}),
      ...(v.lr !== undefined ? { lr: num(v.lr, 'lr') } : {}),
      optimizer: v.optimizer as 'adagrad',
      seed: num(v.seed, 'seed'),
      progress: true,
      query: String(v.query).split(',').filter(Boolean),
      ...(typeof v.out === 'string' ? { out: v.out } : {}),
    });
  });
}
