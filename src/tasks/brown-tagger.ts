/**
 * The course's named-entity example on the Brown corpus: a bidirectional LSTM reads a sentence and
 * labels every token y<t> = 1 when it is a proper noun (a Brown tag starting with "np": np, np-tl in
 * titles, np$ possessives, nps plurals …), else 0 — many-to-many with Tx = Ty.
 *
 * Input: one embedding per word that joins the word (when known) with its shape (see
 * word-features.ts), so names never seen in training — "Harry Potter", "Hermione Granger" — are
 * recognised from how they are written and where they stand, while capitalised common words
 * ("Yesterday" opening a sentence, "County" in a title) are known by what they are. Word dropout
 * (a known word shown as unknown now and then) trains the unknown-word embeddings on many more
 * tokens than the corpus's rare words alone.
 */
import type { BrownDocument } from '../data/brown.node.js';
import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import type { Checkpoint } from '../io/checkpoint.js';
import type { SequenceModelConfig } from '../model/sequence-model.js';
import { SequenceTask, type LabeledSequence, type TaskTrainingSettings } from './sequence-task.js';
import { WordFeatures, wordKey } from './word-features.js';
import { markSpans, splitWords, type WordSpan } from './word-spans.js';

/** Model and training settings of the tagger (all have defaults, {@link TAGGER_DEFAULTS}). */
export interface TaggerSettings extends TaskTrainingSettings {
  /** embedding size per word */
  embedding: number;
  /** LSTM units per direction */
  hidden: number;
  /** longer sentences are cut into pieces of at most this many tokens */
  max_len: number;
  /** words seen fewer times in training are unknown words (their suffix key stands in) */
  min_count: number;
  /** most known words */
  max_keys: number;
}

export const TAGGER_DEFAULTS: TaggerSettings = {
  embedding: 32,
  hidden: 64,
  max_len: 64,
  min_count: 2,
  max_keys: 12000,
  batch: 32,
  lr: 1e-2,
  clip: 5,
  seed: 1,
  word_dropout: 0.05,
  bucket_pool: 50,
};

/** Whether a Brown tag marks a proper noun: np, np-tl, np$, nps, np-hl, np+bez … */
export function isNameTag(tag: string): boolean {
  return tag.startsWith('np');
}

/** Token-level results on held-out sentences; the name class is the positive class. */
export interface NameMetrics {
  tokens: number;
  /** fraction of tokens labelled right */
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  /** name tokens found, non-names marked, names missed */
  tp: number;
  fp: number;
  fn: number;
}

/** The tagger's checkpoint metadata (besides the model and optimizer). */
interface TaggerPosition {
  kind: 'brown-tagger';
  settings: TaggerSettings;
  features: unknown;
  metrics?: NameMetrics;
}

/** Every sentence of the documents as (words, 0/1 labels), cut into pieces of ≤ maxLen tokens. */
export function nameSentences(docs: readonly BrownDocument[], maxLen: number): { words: string[]; labels: Int32Array }[] {
  const out: { words: string[]; labels: Int32Array }[] = [];
  for (const d of docs) {
    for (const s of d.sentences) {
      for (let k = 0; k < s.words.length; k += maxLen) {
        const tags = s.tags.slice(k, k + maxLen);
        out.push({ words: s.words.slice(k, k + maxLen), labels: Int32Array.from(tags, (t) => +isNameTag(t)) });
      }
    }
  }
  return out;
}

/** Token-level accuracy and name precision/recall/F1 of predictions against gold 0/1 labels. */
export function nameMetrics(gold: readonly ArrayLike<number>[], predicted: readonly ArrayLike<number>[]): NameMetrics {
  let tp = 0, fp = 0, fn = 0, right = 0, tokens = 0;
  gold.forEach((g, i) => {
    const p = predicted[i]!;
    for (let t = 0; t < g.length; t++) {
      tokens++;
      if (g[t] === p[t]) right++;
      if (p[t] && g[t]) tp++;
      else if (p[t]) fp++;
      else if (g[t]) fn++;
    }
  });
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return { tokens, accuracy: tokens ? right / tokens : 0, precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0, tp, fp, fn };
}

/**
 * The rule a tagger has to beat: a word is a name when it is capitalised (an upper-case letter then a
 * lower-case one) and does not open its sentence.
 */
export function capitalisationBaseline(docs: readonly BrownDocument[]): NameMetrics {
  const gold: Int32Array[] = [];
  const predicted: Int32Array[] = [];
  for (const d of docs) {
    for (const s of d.sentences) {
      gold.push(Int32Array.from(s.tags, (t) => +isNameTag(t)));
      predicted.push(Int32Array.from(s.words, (w, i) => +(i > 0 && /^\p{Lu}\p{Ll}/u.test(w))));
    }
  }
  return nameMetrics(gold, predicted);
}

function taggerExamples(docs: readonly BrownDocument[], features: WordFeatures, maxLen: number): LabeledSequence[] {
  return nameSentences(docs, maxLen).map(({ words, labels }) => ({
    ids: Int32Array.from(words, (w) => features.encode(w)),
    unknownIds: Int32Array.from(words, (w) => features.encodeUnknown(w)),
    labels,
  }));
}

function modelConfig(features: WordFeatures, s: TaggerSettings): SequenceModelConfig {
  return {
    embedding: { num_embeddings: features.size, embedding_dim: s.embedding },
    rnn: { mode: 'LSTM', input_size: s.embedding, hidden_size: s.hidden, bidirectional: true },
    linear: { in_features: 2 * s.hidden, out_features: 2 },
    loss: 'cross_entropy',
    target: 'all_steps',
  };
}

/**
 * A trainable, checkpointable name tagger.
 *
 * @example
 * const { train, heldOut } = splitBrown(readBrown());
 * const tagger = NameTagger.create(engine, train);
 * while (tagger.task.position.seconds < 120) await tagger.trainStep();
 * console.log(await tagger.evaluate(heldOut));            // { accuracy, precision, recall, f1, … }
 * console.log(await tagger.mark('Yesterday, Harry Potter met Hermione Granger.'));
 * // 'Yesterday, [Harry Potter] met [Hermione Granger].'
 */
export class NameTagger {
  private constructor(
    readonly task: SequenceTask,
    readonly features: WordFeatures,
    readonly settings: TaggerSettings,
  ) {}

  /** A fresh tagger trained on the documents' sentences (the key table is built from them). */
  static create(engine: Engine, trainDocs: readonly BrownDocument[], settings: Partial<TaggerSettings> = {}): NameTagger {
    const s = checkSettings(settings);
    const counts = new Map<string, number>();
    for (const d of trainDocs) for (const sen of d.sentences) for (const w of sen.words) counts.set(wordKey(w), (counts.get(wordKey(w)) ?? 0) + 1);
    const features = WordFeatures.fromCounts(counts, { min_count: s.min_count, max_keys: s.max_keys });
    return new NameTagger(new SequenceTask(engine, modelConfig(features, s), taggerExamples(trainDocs, features, s.max_len), s), features, s);
  }

  /**
   * A tagger from its checkpoint, for tagging (and, with `trainDocs`, for training on: the training
   * sentences are needed only then).
   */
  static fromCheckpoint(engine: Engine, c: Checkpoint, trainDocs: readonly BrownDocument[] = []): NameTagger {
    const pos = c.position as unknown as TaggerPosition;
    if (pos.kind !== 'brown-tagger') throw new WebRnnError('BAD_FILE', `not a name-tagger checkpoint (kind ${JSON.stringify(pos.kind)})`);
    const s = checkSettings(pos.settings as Partial<TaggerSettings>);
    const features = WordFeatures.fromJSON(pos.features);
    const config = modelConfig(features, s);
    if (JSON.stringify(config) !== JSON.stringify(c.config)) throw new WebRnnError('BAD_FILE', 'name-tagger checkpoint: the model does not match its settings');
    const t = new NameTagger(new SequenceTask(engine, config, taggerExamples(trainDocs, features, s.max_len), s), features, s);
    try {
      t.task.restore(c);
    } catch (e) {
      t.dispose();
      throw e;
    }
    return t;
  }

  /** One optimizer step; returns the batch's mean loss. */
  trainStep(): Promise<number> {
    return this.task.trainStep();
  }

  /** Name probability of every word of every sentence. */
  async nameProbabilities(sentences: readonly (readonly string[])[]): Promise<Float32Array[]> {
    const logits = await this.task.predict(sentences.map((ws) => Int32Array.from(ws, (w) => this.features.encode(w))));
    return logits.map((y) => {
      const p = new Float32Array(y.length / 2);
      for (let t = 0; t < p.length; t++) p[t] = 1 / (1 + Math.exp(y[2 * t]! - y[2 * t + 1]!));
      return p;
    });
  }

  /** Token accuracy and name precision/recall/F1 on the documents' sentences. */
  async evaluate(docs: readonly BrownDocument[]): Promise<NameMetrics> {
    const sens = nameSentences(docs, this.settings.max_len);
    const probs = await this.nameProbabilities(sens.map((s) => s.words));
    return nameMetrics(sens.map((s) => s.labels), probs.map((p) => Array.from(p, (x) => +(x > 0.5))));
  }

  /** The text's tokens (Brown-style), each with whether it is a name. */
  async tag(text: string): Promise<{ spans: WordSpan[]; names: boolean[]; probabilities: Float32Array }> {
    const spans = splitWords(text, (w) => this.features.knows(w));
    if (spans.length === 0) return { spans, names: [], probabilities: new Float32Array(0) };
    const probabilities = new Float32Array(spans.length);
    // sentences longer than max_len are tagged in pieces, as in training
    for (let k = 0; k < spans.length; k += this.settings.max_len) {
      const [p] = await this.nameProbabilities([spans.slice(k, k + this.settings.max_len).map((s) => s.word)]);
      probabilities.set(p!, k);
    }
    return { spans, names: Array.from(probabilities, (p) => p > 0.5), probabilities };
  }

  /** The text with its names in square brackets: 'Yesterday, [Harry Potter] met [Hermione Granger].' */
  async mark(text: string): Promise<string> {
    const { spans, names } = await this.tag(text);
    return markSpans(text, spans, names);
  }

  /** A checkpoint: model, optimizer, position, settings, key table and (optionally) the last metrics. */
  checkpoint(metrics?: NameMetrics): Promise<Uint8Array> {
    const pos: TaggerPosition = { kind: 'brown-tagger', settings: this.settings, features: this.features.toJSON(), ...(metrics ? { metrics } : {}) };
    return this.task.checkpoint(pos as unknown as Record<string, unknown>);
  }

  dispose(): void {
    this.task.dispose();
  }
}

function checkSettings(given: Partial<TaggerSettings>): TaggerSettings {
  if (given === null || typeof given !== 'object') throw new WebRnnError('BAD_CONFIG', 'tagger settings must be an object');
  for (const k of Object.keys(given)) if (!(k in TAGGER_DEFAULTS)) throw new WebRnnError('BAD_CONFIG', `unknown tagger setting "${k}" (known: ${Object.keys(TAGGER_DEFAULTS).join(', ')})`);
  const s = { ...TAGGER_DEFAULTS, ...given };
  for (const k of ['embedding', 'hidden', 'max_len', 'min_count', 'max_keys', 'batch', 'bucket_pool'] as const) {
    if (!Number.isInteger(s[k]) || s[k] < 1) throw new WebRnnError('BAD_CONFIG', `tagger setting ${k} must be a positive integer, got ${JSON.stringify(s[k])}`);
  }
  if (!Number.isInteger(s.seed) || s.seed < 0) throw new WebRnnError('BAD_CONFIG', `tagger setting seed must be an integer ≥ 0, got ${JSON.stringify(s.seed)}`);
  if (!(s.lr > 0) || !(s.clip > 0)) throw new WebRnnError('BAD_CONFIG', 'tagger settings lr and clip must be positive numbers');
  if (!(s.word_dropout >= 0 && s.word_dropout < 1)) throw new WebRnnError('BAD_CONFIG', `tagger setting word_dropout must be in [0, 1), got ${JSON.stringify(s.word_dropout)}`);
  return s;
}
