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
import type { BrownDocument } from '../data/brown-text.js';
import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import type { Checkpoint } from '../model/checkpoint.js';
import { initOrDispose, type LabeledSequence, type TaskTrainingSettings } from './sequence-task.js';
import { tagMetrics, tokenTaggerConfig, TokenTagger, type TagMetrics, type TokenTaggerModel } from './token-tagger.js';
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
export type NameMetrics = TagMetrics;

/** Token-level accuracy and name precision/recall/F1 of predictions against gold 0/1 labels. */
export const nameMetrics = tagMetrics;

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

function taggerModel(features: WordFeatures, s: TaggerSettings): TokenTaggerModel {
  return { vocab_size: features.size, cell: 'LSTM', embedding: s.embedding, hidden: s.hidden };
}

/**
 * A trainable, checkpointable name tagger: a {@link TokenTagger} over Brown words.
 *
 * @example
 * const { train, heldOut } = splitBrown(readBrown());
 * const tagger = NameTagger.create(engine, train);
 * while (tagger.task.position.seconds < 120) await tagger.trainStep();
 * console.log(await tagger.evaluate(heldOut));            // { accuracy, precision, recall, f1, … }
 * console.log(await tagger.mark('Yesterday, Harry Potter met Hermione Granger.'));
 * // 'Yesterday, [Harry Potter] met [Hermione Granger].'
 */
export class NameTagger extends TokenTagger {
  private constructor(
    engine: Engine,
    readonly features: WordFeatures,
    readonly settings: TaggerSettings,
    trainDocs: readonly BrownDocument[],
  ) {
    super(engine, taggerModel(features, settings), taggerExamples(trainDocs, features, settings.max_len), settings);
  }

  /** A fresh tagger trained on the documents' sentences (the key table is built from them). */
  static create(engine: Engine, trainDocs: readonly BrownDocument[], settings: Partial<TaggerSettings> = {}): NameTagger {
    const s = checkSettings(settings);
    const counts = new Map<string, number>();
    for (const d of trainDocs) for (const sen of d.sentences) for (const w of sen.words) counts.set(wordKey(w), (counts.get(wordKey(w)) ?? 0) + 1);
    const features = WordFeatures.fromCounts(counts, { min_count: s.min_count, max_keys: s.max_keys });
    return new NameTagger(engine, features, s, trainDocs);
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
    if (JSON.stringify(tokenTaggerConfig(taggerModel(features, s))) !== JSON.stringify(c.config)) throw new WebRnnError('BAD_FILE', 'name-tagger checkpoint: the model does not match its settings');
    return initOrDispose(new NameTagger(engine, features, s, trainDocs), (t) => t.task.restore(c));
  }

  /** Name probability of every word of every sentence. */
  nameProbabilities(sentences: readonly (readonly string[])[]): Promise<Float32Array[]> {
    return this.probabilities(sentences.map((ws) => this.encode(ws)));
  }

  /** Token accuracy and name precision/recall/F1 on the documents' sentences. */
  evaluate(docs: readonly BrownDocument[]): Promise<NameMetrics> {
    return this.score(nameSentences(docs, this.settings.max_len).map((s) => ({ ids: this.encode(s.words), labels: s.labels })));
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

  private encode(words: readonly string[]): Int32Array {
    return Int32Array.from(words, (w) => this.features.encode(w));
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
