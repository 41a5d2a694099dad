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
import { detokenize, type BrownDocument } from '../data/brown-text.js';
import { Vocab } from '../data/vocab.js';
import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import type { Checkpoint } from '../model/checkpoint.js';
import type { SequenceModelConfig } from '../model/sequence-model.js';
import { initOrDispose, SequenceTask, type LabeledSequence, type TaskTrainingSettings } from './sequence-task.js';

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
  /**
   * classes other than the 15 genres: genre letter → class name (e.g. `{ a: 'news', b: 'news', k: 'fiction' }`);
   * passages of genres left out are skipped. null: one class per genre.
   */
  groups: Readonly<Record<string, string>> | null;
  /** keep the embedding as created (e.g. from pretrained vectors, see {@link GenreClassifier.create}): left out of the optimizer */
  freeze_embedding: boolean;
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
  groups: null,
  freeze_embedding: false,
};

/** The classes of these settings, in class-id order: genre letters, or group names in genre order. */
export function genreClasses(s: Pick<GenreSettings, 'groups'>): readonly string[] {
  return s.groups ? [...new Set(GENRE_LETTERS.map((g) => s.groups![g]).filter((c): c is string => c !== undefined))] : GENRE_LETTERS;
}

/** The class of a genre letter under these settings (undefined: a genre left out of the groups). */
function classOf(s: Pick<GenreSettings, 'groups'>, genre: string): string | undefined {
  return s.groups ? s.groups[genre] : genre;
}

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
  /** the class (genre, or group) most frequent in training */
  majority: string;
  /** accuracy of always answering the majority class */
  majority_accuracy: number;
  /** accuracy per class (of the held-out passages of that class) */
  per_genre: Record<string, { passages: number; accuracy: number }>;
  /** held-out passages of class i (rows, in {@link GenreClassifier.classes} order) classified as class j (columns) */
  confusion: number[][];
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
 * @example genrePassages(readBrown(), 40)[0] // { text: 'The Fulton County Grand Jury said …', file: 'ca01', genre: 'a' }
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

/** The documents' passages of the settings' classes. */
function passagesOf(docs: readonly BrownDocument[], s: GenreSettings): GenrePassage[] {
  return genrePassages(docs, s.passage_tokens).filter((p) => classOf(s, p.genre) !== undefined);
}

function modelConfig(vocab: Vocab, s: GenreSettings): SequenceModelConfig {
  return {
    embedding: { num_embeddings: vocab.size, embedding_dim: s.embedding, padding_idx: vocab.pad_id },
    rnn: { mode: s.cell, input_size: s.embedding, hidden_size: s.hidden },
    linear: { in_features: s.hidden, out_features: genreClasses(s).length },
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
 *
 * // three classes, over frozen pretrained word vectors (wv, e.g. WordVectors.parse of a GloVe file)
 * const groups = { a: 'news', b: 'news', c: 'news', j: 'learned', k: 'fiction', l: 'fiction' };
 * const clf3 = GenreClassifier.create(engine, train, { groups, embedding: wv.dim, freeze_embedding: true },
 *   (vocab) => pretrainedWeights(wv, vocab.tokens, { padding_idx: vocab.pad_id }).weight);
 */
export class GenreClassifier {
  /** the class names in class-id order: genre letters, or the names of the settings' groups */
  readonly classes: readonly string[];

  private constructor(
    readonly task: SequenceTask,
    readonly vocab: Vocab,
    readonly settings: GenreSettings,
    /** the class most frequent among the training passages */
    readonly majority: string,
  ) {
    this.classes = genreClasses(settings);
  }

  /**
   * A fresh classifier for the documents' passages (the vocabulary is built from them). `embedding`
   * gives the embedding's first weights, (vocabulary size × settings.embedding) row-major, from the
   * vocabulary built — pretrained vectors, say (`pretrainedWeights` of webrnn).
   */
  static create(engine: Engine, trainDocs: readonly BrownDocument[], settings: Partial<GenreSettings> = {}, embedding?: (vocab: Vocab) => Float32Array): GenreClassifier {
    const s = checkSettings(settings);
    const passages = passagesOf(trainDocs, s);
    if (passages.length === 0) throw new WebRnnError('BAD_VALUE', 'no training passages');
    const vocab = Vocab.fromText(
      passages.map((p) => p.text),
      { level: 'word', lowercase: true, min_count: s.min_count, max_size: s.max_vocab },
    );
    const counts = new Map<string, number>();
    for (const p of passages) counts.set(classOf(s, p.genre)!, (counts.get(classOf(s, p.genre)!) ?? 0) + 1);
    const majority = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0];
    const clf = new GenreClassifier(new SequenceTask(engine, modelConfig(vocab, s), examples(passages, vocab, s), s), vocab, s, majority);
    return initOrDispose(clf, (m) => embedding && m.task.model.embedding!.loadStateDict({ weight: embedding(vocab) }));
  }

  /** A classifier from its checkpoint; with `trainDocs` it can go on training. */
  static fromCheckpoint(engine: Engine, c: Checkpoint, trainDocs: readonly BrownDocument[] = []): GenreClassifier {
    const pos = c.position as unknown as GenrePosition;
    if (pos.kind !== 'brown-genre') throw new WebRnnError('BAD_FILE', `not a genre-classifier checkpoint (kind ${JSON.stringify(pos.kind)})`);
    const s = checkSettings(pos.settings as Partial<GenreSettings>);
    const vocab = Vocab.fromJSON(pos.vocab);
    const config = modelConfig(vocab, s);
    if (JSON.stringify(config) !== JSON.stringify(c.config)) throw new WebRnnError('BAD_FILE', 'genre-classifier checkpoint: the model does not match its settings');
    if (!genreClasses(s).includes(pos.majority)) throw new WebRnnError('BAD_FILE', `genre-classifier checkpoint: bad majority class ${JSON.stringify(pos.majority)}`);
    const train = examples(passagesOf(trainDocs, s), vocab, s);
    return initOrDispose(new GenreClassifier(new SequenceTask(engine, config, train, s), vocab, s, pos.majority), (m) => m.task.restore(c));
  }

  /** One optimizer step; returns the batch's mean loss. */
  trainStep(): Promise<number> {
    return this.task.trainStep();
  }

  /** Class probabilities (in {@link GenreClassifier.classes} order) of each text; a text longer than max_len words is read in pieces whose probabilities are averaged. */
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
    const G = this.classes.length;
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

  /** The classes (genres, or groups) of a text, most probable first. */
  async classify(text: string): Promise<{ genre: string; name: string; probability: number }[]> {
    const [p] = await this.probabilities([text]);
    return this.classes.map((g, i) => ({ genre: g, name: GENRES[g] ?? g, probability: p![i]! })).sort((a, b) => b.probability - a.probability);
  }

  /** Accuracy on the documents' passages, with the majority-class baseline. */
  async evaluate(docs: readonly BrownDocument[]): Promise<GenreMetrics> {
    const passages = passagesOf(docs, this.settings).filter((p) => this.vocab.encode(p.text).length > 0);
    const probs = await this.probabilities(passages.map((p) => p.text));
    let right = 0, majorityRight = 0;
    const per: Record<string, { passages: number; accuracy: number }> = {};
    const confusion = this.classes.map(() => this.classes.map(() => 0));
    const files = new Map<string, { genre: string; sum: Float64Array }>();
    passages.forEach((p, i) => {
      const pr = probs[i]!;
      const truth = classOf(this.settings, p.genre)!;
      const f = files.get(p.file) ?? { genre: truth, sum: new Float64Array(pr.length) };
      pr.forEach((v, g) => (f.sum[g]! += v));
      files.set(p.file, f);
      const guess = argmax(pr);
      confusion[this.classes.indexOf(truth)]![guess]!++;
      const ok = this.classes[guess] === truth;
      right += +ok;
      majorityRight += +(truth === this.majority);
      const e = (per[truth] ??= { passages: 0, accuracy: 0 });
      e.passages++;
      e.accuracy += +ok;
    });
    for (const e of Object.values(per)) e.accuracy /= e.passages;
    const n = passages.length;
    const F = files.size;
    const fileRight = [...files.values()].filter((f) => this.classes[argmax(f.sum)] === f.genre).length;
    const fileMajority = [...files.values()].filter((f) => f.genre === this.majority).length;
    return {
      passages: n,
      accuracy: n ? right / n : 0,
      majority: this.majority,
      majority_accuracy: n ? majorityRight / n : 0,
      per_genre: per,
      confusion,
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

function examples(passages: readonly GenrePassage[], vocab: Vocab, s: GenreSettings): LabeledSequence[] {
  const classes = genreClasses(s);
  const out: LabeledSequence[] = [];
  for (const p of passages) {
    const ids = vocab.encode(p.text);
    const L = Math.min(ids.length, s.max_len);
    // word dropout shows a word as <UNK>
    if (L > 0) out.push({ ids: ids.slice(0, L), unknownIds: new Int32Array(L).fill(vocab.unk_id), labels: Int32Array.of(classes.indexOf(classOf(s, p.genre)!)) });
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
  if (typeof s.freeze_embedding !== 'boolean') throw new WebRnnError('BAD_CONFIG', `classifier setting freeze_embedding must be true or false, got ${JSON.stringify(s.freeze_embedding)}`);
  if (s.groups !== null) {
    const g = s.groups as unknown;
    const entries = g !== null && typeof g === 'object' && !Array.isArray(g) ? Object.entries(g) : [];
    if (entries.length === 0 || entries.some(([k, v]) => !GENRE_LETTERS.includes(k) || typeof v !== 'string' || v === '')) {
      throw new WebRnnError('BAD_CONFIG', `classifier setting groups must map genre letters (${GENRE_LETTERS.join(' ')}) to class names, got ${JSON.stringify(g)}`);
    }
    if (genreClasses(s).length < 2) throw new WebRnnError('BAD_CONFIG', 'classifier setting groups must name at least two classes');
  }
  return s;
}
