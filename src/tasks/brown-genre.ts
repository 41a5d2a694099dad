/**
 * Sequence classification on the Brown corpus (the course's many-to-one architecture): a GRU (or an
 * LSTM) reads a short passage word by word and, from its last step, predicts the genre of the file the
 * passage comes from — 15 genres, a (press: reportage) … r (humor).
 *
 * The classifier overfits quickly: after one epoch the training loss keeps falling while held-out
 * accuracy stays put, since what tells 450 training files apart (their topics and characters) says
 * little about the genre of another file. Hence a small model, a vocabulary of words seen at least 5
 * times, and word dropout (a quarter of the training words shown as <UNK>).
 *
 * A passage is one or more consecutive sentences of a file, joined until it has at least
 * `passage_tokens` words (so a single long sentence is a passage of its own), cut at `max_len`.
 */
import { detokenize, type BrownDocument } from '../data/brown.node.js';
import { Vocab } from '../data/vocab.js';
import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import type { Checkpoint } from '../io/checkpoint.js';
import type { SequenceModelConfig } from '../model/sequence-model.js';
import { SequenceTask, type LabeledSequence, type TaskTrainingSettings } from './sequence-task.js';

/** The Brown corpus's genres: letter → name. */
export const GENRES: Readonly<Record<string, string>> = Object.freeze({
  a: 'press: reportage',
  b: 'press: editorial',
  c: 'press: reviews',
  d: 'religion',
  e: 'skills and hobbies',
  f: 'popular lore',
  g: 'belles lettres',
  h: 'miscellaneous',
  j: 'learned',
  k: 'general fiction',
  l: 'mystery',
  m: 'science fiction',
  n: 'adventure',
  p: 'romance',
  r: 'humor',
});

/** Genre letters in class-id order. */
export const GENRE_LETTERS: readonly string[] = Object.freeze(Object.keys(GENRES));

/** Model and training settings of the classifier (all have defaults, {@link GENRE_DEFAULTS}). */
export interface GenreSettings extends TaskTrainingSettings {
  /** the recurrent cell */
  cell: 'LSTM' | 'GRU';
  embedding: number;
  /** recurrent units */
  hidden: number;
  /** a passage joins sentences until it has at least this many words */
  passage_tokens: number;
  /** words per passage at most (the rest is cut) */
  max_len: number;
  /** words seen fewer times in training are <UNK> */
  min_count: number;
  /** vocabulary size at most, special tokens included */
  max_vocab: number;
}

export const GENRE_DEFAULTS: GenreSettings = {
  cell: 'GRU',
  embedding: 32,
  hidden: 64,
  passage_tokens: 40,
  max_len: 80,
  min_count: 5,
  max_vocab: 6000,
  batch: 32,
  lr: 1e-2,
  clip: 5,
  seed: 1,
  word_dropout: 0.25,
  bucket_pool: 50,
};

/** A passage: its text, its file and the file's genre letter. */
export interface GenrePassage {
  text: string;
  file: string;
  genre: string;
}

/** Held-out results: accuracy, and the majority-class baseline on the same passages. */
export interface GenreMetrics {
  passages: number;
  accuracy: number;
  /** the genre most frequent in training */
  majority: string;
  /** accuracy of always answering the majority genre */
  majority_accuracy: number;
  /** accuracy per genre letter (of the held-out passages of that genre) */
  per_genre: Record<string, { passages: number; accuracy: number }>;
  files: number;
  /** accuracy per file, from the mean of its passages' probabilities */
  file_accuracy: number;
  /** accuracy per file of always answering the majority genre */
  file_majority_accuracy: number;
}

interface GenrePosition {
  kind: 'brown-genre';
  settings: GenreSettings;
  vocab: unknown;
  majority: string;
  metrics?: GenreMetrics;
}

/**
 * The documents' passages, in order.
 * @example genrePassages(docs, 40)[0] // { text: 'The Fulton County Grand Jury said …', file: 'ca01', genre: 'a' }
 */
export function genrePassages(docs: readonly BrownDocument[], passageTokens: number): GenrePassage[] {
  const out: GenrePassage[] = [];
  for (const d of docs) {
    let words: string[] = [];
    for (const s of d.sentences) {
      words.push(...s.words);
      if (words.length >= passageTokens) {
        out.push({ text: detokenize(words), file: d.file, genre: d.genre });
        words = [];
      }
    }
    if (words.length >= passageTokens / 2) out.push({ text: detokenize(words), file: d.file, genre: d.genre });
  }
  return out;
}

function modelConfig(vocab: Vocab, s: GenreSettings): SequenceModelConfig {
  return {
    embedding: { num_embeddings: vocab.size, embedding_dim: s.embedding, padding_idx: vocab.pad_id },
    rnn: { mode: s.cell, input_size: s.embedding, hidden_size: s.hidden },
    linear: { in_features: s.hidden, out_features: GENRE_LETTERS.length },
    loss: 'cross_entropy',
    target: 'last_step',
  };
}

/**
 * A trainable, checkpointable genre classifier.
 *
 * @example
 * const { train, heldOut } = splitBrown(readBrown());
 * const clf = GenreClassifier.create(engine, train);
 * while (clf.task.position.seconds < 120) await clf.trainStep();
 * console.log(await clf.evaluate(heldOut));   // { accuracy, majority_accuracy, … }
 * console.log(await clf.classify('The Lord is my shepherd; I shall not want.'));
 * // [{ genre: 'd', name: 'religion', probability: 0.71 }, …]
 */
export class GenreClassifier {
  private constructor(
    readonly task: SequenceTask,
    readonly vocab: Vocab,
    readonly settings: GenreSettings,
    /** the genre most frequent among the training passages */
    readonly majority: string,
  ) {}

  /** A fresh classifier for the documents' passages (the vocabulary is built from them). */
  static create(engine: Engine, trainDocs: readonly BrownDocument[], settings: Partial<GenreSettings> = {}): GenreClassifier {
    const s = checkSettings(settings);
    const passages = genrePassages(trainDocs, s.passage_tokens);
    if (passages.length === 0) throw new WebRnnError('BAD_VALUE', 'no training passages');
    const vocab = Vocab.fromText(
      passages.map((p) => p.text),
      { level: 'word', lowercase: true, min_count: s.min_count, max_size: s.max_vocab },
    );
    const counts = new Map<string, number>();
    for (const p of passages) counts.set(p.genre, (counts.get(p.genre) ?? 0) + 1);
    const majority = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0];
    return new GenreClassifier(new SequenceTask(engine, modelConfig(vocab, s), examples(passages, vocab, s.max_len), s), vocab, s, majority);
  }

  /** A classifier from its checkpoint; with `trainDocs` it can go on training. */
  static fromCheckpoint(engine: Engine, c: Checkpoint, trainDocs: readonly BrownDocument[] = []): GenreClassifier {
    const pos = c.position as unknown as GenrePosition;
    if (pos.kind !== 'brown-genre') throw new WebRnnError('BAD_FILE', `not a genre-classifier checkpoint (kind ${JSON.stringify(pos.kind)})`);
    const s = checkSettings(pos.settings as Partial<GenreSettings>);
    const vocab = Vocab.fromJSON(pos.vocab);
    const config = modelConfig(vocab, s);
    if (JSON.stringify(config) !== JSON.stringify(c.config)) throw new WebRnnError('BAD_FILE', 'genre-classifier checkpoint: the model does not match its settings');
    if (!GENRE_LETTERS.includes(pos.majority)) throw new WebRnnError('BAD_FILE', `genre-classifier checkpoint: bad majority genre ${JSON.stringify(pos.majority)}`);
    const train = examples(genrePassages(trainDocs, s.passage_tokens), vocab, s.max_len);
    const clf = new GenreClassifier(new SequenceTask(engine, config, train, s), vocab, s, pos.majority);
    try {
      clf.task.restore(c);
    } catch (e) {
      clf.dispose();
      throw e;
    }
    return clf;
  }

  /** One optimizer step; returns the batch's mean loss. */
  trainStep(): Promise<number> {
    return this.task.trainStep();
  }

  /** Genre probabilities (in {@link GENRE_LETTERS} order) of each text; a text longer than max_len words is read in pieces whose probabilities are averaged. */
  async probabilities(texts: readonly string[]): Promise<Float64Array[]> {
    const pieces: Int32Array[] = [];
    const owner: number[] = [];
    texts.forEach((t, i) => {
      const ids = this.vocab.encode(t);
      if (ids.length === 0) throw new WebRnnError('BAD_VALUE', `text ${i} has no words`);
      for (let k = 0; k < ids.length; k += this.settings.max_len) {
        pieces.push(ids.subarray(k, k + this.settings.max_len));
        owner.push(i);
      }
    });
    const logits = await this.task.predict(pieces);
    const G = GENRE_LETTERS.length;
    const out = texts.map(() => new Float64Array(G));
    const n = new Array<number>(texts.length).fill(0);
    logits.forEach((y, k) => {
      const m = Math.max(...y);
      let z = 0;
      for (let g = 0; g < G; g++) z += Math.exp(y[g]! - m);
      for (let g = 0; g < G; g++) out[owner[k]!]![g]! += Math.exp(y[g]! - m) / z;
      n[owner[k]!]!++;
    });
    out.forEach((p, i) => p.forEach((v, g) => (p[g] = v / n[i]!)));
    return out;
  }

  /** The genres of a text, most probable first. */
  async classify(text: string): Promise<{ genre: string; name: string; probability: number }[]> {
    const [p] = await this.probabilities([text]);
    return GENRE_LETTERS.map((g, i) => ({ genre: g, name: GENRES[g]!, probability: p![i]! })).sort((a, b) => b.probability - a.probability);
  }

  /** Accuracy on the documents' passages, with the majority-class baseline. */
  async evaluate(docs: readonly BrownDocument[]): Promise<GenreMetrics> {
    const passages = genrePassages(docs, this.settings.passage_tokens).filter((p) => this.vocab.encode(p.text).length > 0);
    const probs = await this.probabilities(passages.map((p) => p.text));
    let right = 0, majorityRight = 0;
    const per: Record<string, { passages: number; accuracy: number }> = {};
    const files = new Map<string, { genre: string; sum: Float64Array }>();
    passages.forEach((p, i) => {
      const pr = probs[i]!;
      const f = files.get(p.file) ?? { genre: p.genre, sum: new Float64Array(pr.length) };
      pr.forEach((v, g) => (f.sum[g]! += v));
      files.set(p.file, f);
      const ok = GENRE_LETTERS[argmax(pr)] === p.genre;
      right += +ok;
      majorityRight += +(p.genre === this.majority);
      const e = (per[p.genre] ??= { passages: 0, accuracy: 0 });
      e.passages++;
      e.accuracy += +ok;
    });
    for (const e of Object.values(per)) e.accuracy /= e.passages;
    const n = passages.length;
    const F = files.size;
    const fileRight = [...files.values()].filter((f) => GENRE_LETTERS[argmax(f.sum)] === f.genre).length;
    const fileMajority = [...files.values()].filter((f) => f.genre === this.majority).length;
    return {
      passages: n,
      accuracy: n ? right / n : 0,
      majority: this.majority,
      majority_accuracy: n ? majorityRight / n : 0,
      per_genre: per,
      files: F,
      file_accuracy: F ? fileRight / F : 0,
      file_majority_accuracy: F ? fileMajority / F : 0,
    };
  }

  /** A checkpoint: model, optimizer, position, settings, vocabulary and (optionally) the last metrics. */
  checkpoint(metrics?: GenreMetrics): Promise<Uint8Array> {
    const pos: GenrePosition = { kind: 'brown-genre', settings: this.settings, vocab: this.vocab.toJSON(), majority: this.majority, ...(metrics ? { metrics } : {}) };
    return this.task.checkpoint(pos as unknown as Record<string, unknown>);
  }

  dispose(): void {
    this.task.dispose();
  }
}

function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
}

function examples(passages: readonly GenrePassage[], vocab: Vocab, maxLen: number): LabeledSequence[] {
  const out: LabeledSequence[] = [];
  for (const p of passages) {
    const ids = vocab.encode(p.text);
    const L = Math.min(ids.length, maxLen);
    // word dropout shows a word as <UNK>
    if (L > 0) out.push({ ids: ids.slice(0, L), unknownIds: new Int32Array(L).fill(vocab.unk_id), labels: Int32Array.of(GENRE_LETTERS.indexOf(p.genre)) });
  }
  return out;
}

function checkSettings(given: Partial<GenreSettings>): GenreSettings {
  if (given === null || typeof given !== 'object') throw new WebRnnError('BAD_CONFIG', 'classifier settings must be an object');
  for (const k of Object.keys(given)) if (!(k in GENRE_DEFAULTS)) throw new WebRnnError('BAD_CONFIG', `unknown classifier setting "${k}" (known: ${Object.keys(GENRE_DEFAULTS).join(', ')})`);
  const s = { ...GENRE_DEFAULTS, ...given };
  for (const k of ['embedding', 'hidden', 'passage_tokens', 'max_len', 'min_count', 'max_vocab', 'batch', 'bucket_pool'] as const) {
    if (!Number.isInteger(s[k]) || s[k] < 1) throw new WebRnnError('BAD_CONFIG', `classifier setting ${k} must be a positive integer, got ${JSON.stringify(s[k])}`);
  }
  if (s.cell !== 'LSTM' && s.cell !== 'GRU') throw new WebRnnError('BAD_CONFIG', `classifier setting cell must be "LSTM" or "GRU", got ${JSON.stringify(s.cell)}`);
  if (s.max_vocab < 4) throw new WebRnnError('BAD_CONFIG', 'classifier setting max_vocab must be at least 4');
  if (!Number.isInteger(s.seed) || s.seed < 0) throw new WebRnnError('BAD_CONFIG', `classifier setting seed must be an integer ≥ 0, got ${JSON.stringify(s.seed)}`);
  if (!(s.lr > 0) || !(s.clip > 0)) throw new WebRnnError('BAD_CONFIG', 'classifier settings lr and clip must be positive numbers');
  if (!(s.word_dropout >= 0 && s.word_dropout < 1)) throw new WebRnnError('BAD_CONFIG', `classifier setting word_dropout must be in [0, 1), got ${JSON.stringify(s.word_dropout)}`);
  return s;
}
