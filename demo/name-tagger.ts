/**
 * A character-level bidirectional GRU that marks people's names in text, trained in the page on the
 * generated text of tagger-data.ts: embedding → BiGRU → linear (2 classes per character).
 * The right context matters ("Anna said" vs "Paris did"), hence both directions.
 */
import { Adam, SequenceModel, Vocab, type Engine } from 'webrnn';
import { makeStream, PRINTABLE_ASCII, seeded, type LabelledText } from './tagger-data.ts';

/** Characters per row, in training and when tagging typed text (longer sentences are cut in rows). */
const T = 64;
/** Rows per training step. */
const B = 32;
/** Generated sentences to train on, and held-out rows to measure on. */
export const TRAIN_SENTENCES = 3000;
export const HELD_OUT_ROWS = 128;
/** Rows per tagging forward (more rows take more calls). */
const B_TAG = 8;
/** Characters of typed text that are tagged. */
export const MAX_TYPED = 512;

/** A character span [start, end) of the text that the tagger calls a name. */
export interface Span {
  start: number;
  end: number;
}

export class NameTagger {
  readonly vocab: Vocab;
  readonly model: SequenceModel;
  private readonly optimizer: Adam;
  private readonly train: LabelledText;
  private readonly heldOut: LabelledText[];
  private readonly rand = seeded(11);
  step = 0;
  /** Serialises GPU work on this model: a tagging call never lands between a forward and its update. */
  private lock: Promise<unknown> = Promise.resolve();

  constructor(engine: Engine) {
    this.train = makeStream(TRAIN_SENTENCES, 1);
    const held = makeStream(HELD_OUT_ROWS * 2, 2);
    this.heldOut = Array.from({ length: HELD_OUT_ROWS }, (_, r) => rowAt(held, r * T));
    this.vocab = Vocab.fromText([PRINTABLE_ASCII, this.train.text], { level: 'char' });
    this.model = new SequenceModel(engine, {
      embedding: { num_embeddings: this.vocab.size, embedding_dim: 16 },
      rnn: { mode: 'GRU', input_size: 16, hidden_size: 32, bidirectional: true },
      linear: { in_features: 64, out_features: 2 },
      loss: 'cross_entropy',
      target: 'all_steps',
    }, { seed: 7 });
    this.optimizer = new Adam(engine, this.model.blocks(), { lr: 0.02, clip_norm: 5 });
  }

  /** One optimizer step on B random windows of the training text; returns the mean loss (nats per character). */
  trainStep(): Promise<number> {
    return this.exclusive(async () => {
      const rows = Array.from({ length: B }, () => this.randomRow());
      const batch = this.batchOf(rows.map((s) => s.text), rows.map((s) => s.labels), B);
      const loss = this.model.lossAndGrad(batch);
      await this.optimizer.stepChecked(this.step + 1);
      this.step++;
      return (await loss.read())[0]!;
    });
  }

  /** F1 of name characters on the held-out rows (precision and recall over characters). */
  async evaluate(): Promise<number> {
    let tp = 0, fp = 0, fn = 0;
    for (let i = 0; i < this.heldOut.length; i += B) {
      const rows = this.heldOut.slice(i, i + B);
      const pred = await this.predictRows(rows.map((s) => s.text), B);
      rows.forEach((s, r) => {
        for (let t = 0; t < s.text.length; t++) {
          const p = pred[r]![t]!, y = s.labels[t]!;
          if (p && y) tp++;
          else if (p) fp++;
          else if (y) fn++;
        }
      });
    }
    return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  }

  /** Name spans in `text` (at most MAX_TYPED characters are tagged). */
  async tag(text: string): Promise<Span[]> {
    const rows = splitRows(text.slice(0, MAX_TYPED));
    if (rows.length === 0) return [];
    const pred = await this.predictRows(rows.map((r) => r.text), B_TAG);
    const spans: Span[] = [];
    rows.forEach((row, r) => {
      // A word is a name when most of its characters are tagged as one (no half-highlighted words);
      // name words with only a space between them make one span ("Maria Garcia").
      const p = pred[r]!;
      for (const m of row.text.matchAll(/[\p{L}\p{M}'’-]+/gu)) {
        let votes = 0;
        for (let t = m.index; t < m.index + m[0].length; t++) votes += p[t]!;
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
  async close(): Promise<void> {
    await this.lock;
    this.optimizer.dispose();
    this.model.dispose();
  }

  /** Per-row predicted labels (1 = name) of texts of ≤ T characters each, `rowsPerCall` rows per forward. */
  private predictRows(texts: string[], rowsPerCall: number): Promise<Uint8Array[]> {
    return this.exclusive(async () => {
      const out: Uint8Array[] = [];
      for (let first = 0; first < texts.length; first += rowsPerCall) {
        const group = texts.slice(first, first + rowsPerCall);
        const logits = await this.model.predict(this.batchOf(group, undefined, rowsPerCall)).read(); // (T, rows, 2)
        group.forEach((text, r) => {
          const labels = new Uint8Array(text.length);
          for (let t = 0; t < text.length; t++) {
            const i = (t * rowsPerCall + r) * 2;
            labels[t] = logits[i + 1]! > logits[i]! ? 1 : 0;
          }
          out.push(labels);
        });
      }
      return out;
    });
  }

  /** A padded (rows, T) batch; rows past `texts.length` are one <PAD> each. */
  private batchOf(texts: string[], labels: Uint8Array[] | undefined, rows: number) {
    const tokens = new Int32Array(rows * T);
    const targets = new Int32Array(rows * T);
    const lengths = new Array<number>(rows).fill(1);
    texts.forEach((text, r) => {
      // One id per UTF-16 unit (not per code point), so labels and highlights line up with the string;
      // anything outside the vocabulary, an emoji's halves included, is <UNK>.
      const n = Math.min(T, text.length);
      for (let t = 0; t < n; t++) tokens[r * T + t] = this.vocab.id(text[t]!);
      if (labels) targets.set(labels[r]!.subarray(0, n), r * T);
      lengths[r] = Math.max(1, n);
    });
    return { B: rows, T, tokens, targets, lengths };
  }

  /** A window of the training text: mostly starting at a word, sometimes mid-word (as a cut row would). */
  private randomRow(): LabelledText {
    const text = this.train.text;
    let start = Math.floor(this.rand() * (text.length - T));
    if (this.rand() < 0.8) {
      const space = text.indexOf(' ', start);
      if (space >= 0 && space + 1 + T <= text.length) start = space + 1;
    }
    return rowAt(this.train, start);
  }

  private exclusive<R>(work: () => Promise<R>): Promise<R> {
    const run = this.lock.then(work, work);
    this.lock = run.catch(() => undefined);
    return run;
  }
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

/** Characters [start, start + T) of a labelled text, with their labels. */
function rowAt(src: LabelledText, start: number): LabelledText {
  return { text: src.text.slice(start, start + T), labels: src.labels.subarray(start, start + T) };
}
