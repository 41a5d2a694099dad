/**
 * A character-level bidirectional GRU that marks people's names in text, trained in the page on the
 * generated text of tagger-data.ts: the library's TokenTagger (embedding → BiGRU → linear, 2 classes per
 * token) over characters. The right context matters ("Anna said" vs "Paris did"), hence both directions.
 */
import { Vocab, type Engine } from 'webrnn';
import { TokenTagger, type LabeledSequence } from 'webrnn/tasks';
import { makeStream, PRINTABLE_ASCII, type LabelledText } from './tagger-data.ts';

/** Characters per row, in training and when tagging typed text (longer sentences are cut in rows). */
const T = 64;
/** Rows per training step. */
const B = 32;
/** Generated sentences to train on, and held-out rows to measure on. */
export const TRAIN_SENTENCES = 3000;
export const HELD_OUT_ROWS = 128;
/** Characters of typed text that are tagged. */
export const MAX_TYPED = 512;

/** A character span [start, end) of the text that the tagger calls a name. */
export interface Span {
  start: number;
  end: number;
}

export class NameTagger {
  readonly vocab: Vocab;
  private readonly tagger: TokenTagger;
  private readonly heldOut: LabeledSequence[];

  constructor(engine: Engine) {
    const train = makeStream(TRAIN_SENTENCES, 1);
    const held = makeStream(HELD_OUT_ROWS * 2, 2);
    this.vocab = Vocab.fromText([PRINTABLE_ASCII, train.text], { level: 'char' });
    this.heldOut = this.rows(held, Array.from({ length: HELD_OUT_ROWS }, (_, r) => r * T));
    this.tagger = new TokenTagger(
      engine,
      { vocab_size: this.vocab.size, cell: 'GRU', embedding: 16, hidden: 32 },
      this.rows(train, windowStarts(train.text)),
      { batch: B, lr: 0.02, clip: 5, seed: 7, word_dropout: 0, bucket_pool: 50 },
    );
  }

  /** Optimizer steps taken. */
  get step(): number {
    return this.tagger.task.position.step;
  }

  /** One optimizer step on B windows of the training text; returns the mean loss (nats per character). */
  trainStep(): Promise<number> {
    return this.tagger.trainStep();
  }

  /** F1 of name characters on the held-out rows (precision and recall over characters). */
  async evaluate(): Promise<number> {
    return (await this.tagger.score(this.heldOut)).f1;
  }

  /** Name spans in `text` (at most MAX_TYPED characters are tagged). */
  async tag(text: string): Promise<Span[]> {
    const rows = splitRows(text.slice(0, MAX_TYPED));
    if (rows.length === 0) return [];
    const probs = await this.tagger.probabilities(rows.map((r) => this.ids(r.text)));
    const spans: Span[] = [];
    rows.forEach((row, r) => {
      // A word is a name when most of its characters are tagged as one (no half-highlighted words);
      // name words with only a space between them make one span ("Maria Garcia").
      const p = probs[r]!;
      for (const m of row.text.matchAll(/[\p{L}\p{M}'’-]+/gu)) {
        let votes = 0;
        for (let t = m.index; t < m.index + m[0].length; t++) votes += +(p[t]! > 0.5);
        if (votes * 2 < m[0].length) continue;
        const start = row.offset + m.index, end = start + m[0].length;
        const prev = spans[spans.length - 1];
        if (prev && start - prev.end === 1 && text[prev.end] === ' ') prev.end = end;
        else spans.push({ start, end });
      }
    });
    return spans;
  }

  /** Frees the model once the GPU work already asked of it is done. */
  close(): Promise<void> {
    return this.tagger.close();
  }

  /**
   * One id per UTF-16 unit (not per code point), so labels and highlights line up with the string;
   * anything outside the vocabulary, an emoji's halves included, is <UNK>.
   */
  private ids(text: string): Int32Array {
    const ids = new Int32Array(text.length);
    for (let t = 0; t < text.length; t++) ids[t] = this.vocab.id(text[t]!);
    return ids;
  }

  /** The rows of T characters (fewer at the text's end) at `starts`, with their labels: views of one encoding of the text. */
  private rows(src: LabelledText, starts: readonly number[]): LabeledSequence[] {
    const ids = this.ids(src.text);
    const labels = Int32Array.from(src.labels);
    return starts.map((s) => ({ ids: ids.subarray(s, s + T), labels: labels.subarray(s, s + T) }));
  }
}

/**
 * Where training rows start: at every word that has T characters after it (most rows), and two
 * characters into every fourth of those words (as a typed sentence cut into rows may be).
 */
function windowStarts(text: string): number[] {
  const starts: number[] = [];
  let words = 0;
  for (let s = 0; s + T <= text.length; s++) {
    if (s > 0 && text[s - 1] !== ' ') continue;
    starts.push(s);
    if (++words % 4 === 0 && s + 2 + T <= text.length) starts.push(s + 2);
  }
  return starts;
}

/**
 * Typed text cut into rows of at most T characters, at the last space before T (a word is never split
 * unless it is longer than T); leading spaces of a row are left out.
 */
export function splitRows(text: string): { text: string; offset: number }[] {
  const rows: { text: string; offset: number }[] = [];
  let at = 0;
  while (at < text.length) {
    while (at < text.length && /\s/.test(text[at]!)) at++;
    if (at >= text.length) break;
    let end = Math.min(text.length, at + T);
    if (end < text.length && !/\s/.test(text[end]!)) {
      const space = text.lastIndexOf(' ', end - 1);
      if (space > at) end = space;
    }
    rows.push({ text: text.slice(at, end), offset: at });
    at = end;
  }
  return rows;
}
