/**
 * A token tagger (many-to-many, Tx = Ty): embedding → bidirectional GRU or LSTM → linear, two classes
 * per token — 1 for the tokens sought (a name, say), 0 for the rest — trained on labelled sequences
 * with {@link SequenceTask}. Tokens are whatever the caller's ids stand for: the Brown name tagger
 * tags words (brown-tagger.ts), the browser demo's name tagger tags characters.
 */
import type { Engine } from '../gpu/engine.js';
import type { SequenceModelConfig } from '../model/sequence-model.js';
import { SequenceTask, type LabeledSequence, type TaskTrainingSettings } from './sequence-task.js';

/** The tagger's model. */
export interface TokenTaggerModel {
  /** token ids are 0 … vocab_size − 1 */
  vocab_size: number;
  cell: 'GRU' | 'LSTM';
  /** embedding size per token */
  embedding: number;
  /** recurrent units per direction */
  hidden: number;
}

/** Token-level results of a tagger on labelled sequences; class 1 is the positive class. */
export interface TagMetrics {
  tokens: number;
  /** fraction of tokens labelled right */
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  /** positive tokens found, negative tokens marked, positive tokens missed */
  tp: number;
  fp: number;
  fn: number;
}

/** The SequenceModel config of a token tagger. */
export function tokenTaggerConfig(m: TokenTaggerModel): SequenceModelConfig {
  return {
    embedding: { num_embeddings: m.vocab_size, embedding_dim: m.embedding },
    rnn: { mode: m.cell, input_size: m.embedding, hidden_size: m.hidden, bidirectional: true },
    linear: { in_features: 2 * m.hidden, out_features: 2 },
    loss: 'cross_entropy',
    target: 'all_steps',
  };
}

/**
 * Token accuracy and the positive class's precision, recall and F1 of predictions against gold 0/1
 * labels, sequence by sequence.
 *
 * @example tagMetrics([[1, 1, 0, 0]], [[1, 0, 1, 0]]) // { tokens: 4, accuracy: 0.5, precision: 0.5, recall: 0.5, f1: 0.5, tp: 1, fp: 1, fn: 1 }
 */
export function tagMetrics(gold: readonly ArrayLike<number>[], predicted: readonly ArrayLike<number>[]): TagMetrics {
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
 * A trainable token tagger over any token ids.
 *
 * @example
 * // token ids and a 0/1 label per token
 * const examples = [{ ids: Int32Array.of(5, 9, 2), labels: Int32Array.of(0, 1, 0) }, { ids: Int32Array.of(9, 9), labels: Int32Array.of(1, 1) }];
 * const heldOut = [{ ids: Int32Array.of(2, 9), labels: Int32Array.of(0, 1) }];
 * const tagger = new TokenTagger(engine, { vocab_size: 100, cell: 'GRU', embedding: 16, hidden: 32 }, examples,
 *   { batch: 32, lr: 0.02, clip: 5, seed: 7, word_dropout: 0, bucket_pool: 50 });
 * for (let i = 0; i < 100; i++) await tagger.trainStep();
 * console.log((await tagger.score(heldOut)).f1, await tagger.probabilities([Int32Array.of(5, 9)]));
 */
export class TokenTagger {
  readonly task: SequenceTask;

  constructor(engine: Engine, readonly model: TokenTaggerModel, examples: readonly LabeledSequence[], training: TaskTrainingSettings) {
    this.task = new SequenceTask(engine, tokenTaggerConfig(model), examples, training);
  }

  /** One optimizer step; returns the batch's mean loss (nats per token). */
  trainStep(): Promise<number> {
    return this.task.trainStep();
  }

  /** P(class 1) of every token of every sequence. */
  async probabilities(sequences: readonly Int32Array[]): Promise<Float32Array[]> {
    const logits = await this.task.predict(sequences);
    return logits.map((y) => {
      const p = new Float32Array(y.length / 2);
      for (let t = 0; t < p.length; t++) p[t] = 1 / (1 + Math.exp(y[2 * t]! - y[2 * t + 1]!));
      return p;
    });
  }

  /** Token accuracy and the positive class's precision/recall/F1 on labelled sequences (class 1 where P > 0.5). */
  async score(examples: readonly { ids: Int32Array; labels: ArrayLike<number> }[]): Promise<TagMetrics> {
    const probs = await this.probabilities(examples.map((e) => e.ids));
    return tagMetrics(examples.map((e) => e.labels), probs.map((p) => Array.from(p, (x) => +(x > 0.5))));
  }

  /** Frees the model once the GPU work already asked of it is done. */
  close(): Promise<void> {
    return this.task.close();
  }

  dispose(): void {
    this.task.dispose();
  }
}
