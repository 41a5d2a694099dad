/**
 * Supervised training of a {@link SequenceModel} on labelled sequences — one class per step
 * (many-to-many, `all_steps`) or one per sequence (many-to-one, `last_step`) — with length-bucketed
 * batches in a seeded order per epoch, Adam with gradient clipping, a resumable position, and batched
 * prediction. The token tagger (the Brown name tagger, the demo's), and the genre classifier are built on it.
 */
import { planBatches, shuffleInPlace } from '../data/batching.js';
import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { checkpointBytes, restoreCheckpoint, type Checkpoint } from '../model/checkpoint.js';
import { SequenceModel, type SequenceModelConfig } from '../model/sequence-model.js';
import { Rng } from '../random.js';
import { Adam } from '../optim/adam.js';

/** One training or evaluation example. */
export interface LabeledSequence {
  /** (L) token ids, L ≥ 1 */
  ids: Int32Array;
  /** (L) the id each token would have if it were an unknown word: used by word dropout */
  unknownIds?: Int32Array;
  /** (L) a class per step for `all_steps`, or (1) the sequence's class for `last_step` */
  labels: Int32Array;
}

/** How a {@link SequenceTask} trains. */
export interface TaskTrainingSettings {
  /** sequences per batch (B) */
  batch: number;
  /** Adam's learning rate */
  lr: number;
  /** global gradient-norm clipping */
  clip: number;
  seed: number;
  /** probability that a training token is replaced by its unknown-word id (needs unknownIds); 0 = off */
  word_dropout: number;
  /** batches per bucketing pool: rows of a batch have similar lengths, so little padding */
  bucket_pool: number;
  /** leave the embedding out of the optimizer (it keeps the weights it was given, e.g. pretrained vectors) */
  freeze_embedding?: boolean;
}

/** Where a run stands; saved in checkpoints so a stopped run resumes where it was. */
export interface TaskPosition {
  /** optimizer steps taken */
  step: number;
  /** completed epochs */
  epoch: number;
  /** the next batch of the epoch */
  batch: number;
  /** training seconds so far, over all resumed runs */
  seconds: number;
}

/**
 * @example
 * // many-to-one: a class per sequence
 * const examples = [{ ids: Int32Array.of(3, 1, 4), labels: Int32Array.of(1) }, { ids: Int32Array.of(2, 7), labels: Int32Array.of(0) }];
 * const config: SequenceModelConfig = {
 *   embedding: { num_embeddings: 10, embedding_dim: 8 }, rnn: { mode: 'GRU', input_size: 8, hidden_size: 16 },
 *   linear: { in_features: 16, out_features: 2 }, loss: 'cross_entropy', target: 'last_step',
 * };
 * const task = new SequenceTask(engine, config, examples, { batch: 32, lr: 3e-3, clip: 5, seed: 1, word_dropout: 0, bucket_pool: 50 });
 * for (let i = 0; i < 100; i++) await task.trainStep();
 * const logits = await task.predict([Int32Array.of(3, 1)]); // per sequence: (L, O) for all_steps, (O) for last_step
 */
export class SequenceTask {
  readonly model: SequenceModel;
  readonly optimizer: Adam;
  position: TaskPosition = { step: 0, epoch: 0, batch: 0, seconds: 0 };
  private plan: Int32Array[] | undefined;
  private planEpoch = -1;
  private disposed = false;
  /** the GPU work asked for so far (see exclusive()) */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    engine: Engine,
    readonly config: SequenceModelConfig,
    private readonly train: readonly LabeledSequence[],
    readonly settings: TaskTrainingSettings,
  ) {
    for (const [i, e] of train.entries()) checkExample(e, config, i);
    this.model = new SequenceModel(engine, config, { seed: settings.seed });
    try {
      const frozen = settings.freeze_embedding ? this.model.embedding?.store : undefined;
      this.optimizer = new Adam(engine, this.model.blocks().filter((b) => b !== frozen), { lr: settings.lr, clip_norm: settings.clip });
    } catch (e) {
      this.model.dispose();
      throw e;
    }
  }

  /** Number of training examples. */
  get examples(): number {
    return this.train.length;
  }

  /** Batches per epoch (0 without training examples). */
  get batchesPerEpoch(): number {
    return Math.ceil(this.train.length / this.settings.batch);
  }

  /** Parameters of the model. */
  get parameterCount(): number {
    return this.model.blocks().reduce((n, b) => n + b.parameterCount, 0);
  }

  /**
   * One optimizer step on the next batch of the epoch; returns its mean loss (one small readback,
   * which also stops on a non-finite gradient with the weights of the previous step).
   */
  trainStep(): Promise<number> {
    return this.exclusive(() => this.step());
  }

  private async step(): Promise<number> {
    this.check();
    if (this.train.length === 0) throw new WebRnnError('BAD_STATE', 'this task has no training examples (it was made for prediction only)');
    const p = this.position;
    const s = this.settings;
    const rows = this.epochPlan()[p.batch]!;
    const rng = s.word_dropout > 0 ? new Rng((s.seed * 1_000_003 + p.step) >>> 0) : undefined;
    const batch = this.batchOf(Array.from(rows, (i) => this.train[i]!), rng);
    this.model.train();
    const loss = this.model.lossAndGrad(batch);
    await this.optimizer.stepChecked(p.step + 1);
    const value = (await loss.read())[0]!;
    p.step++;
    if (++p.batch >= this.epochPlan().length) {
      p.batch = 0;
      p.epoch++;
    }
    return value;
  }

  /**
   * The model's logits for each sequence, in order: (L, O) row-major per sequence for `all_steps`,
   * (O) for `last_step`. Sequences are batched by length; nothing is trained.
   */
  predict(sequences: readonly Int32Array[], batchSize = 128): Promise<Float32Array[]> {
    return this.exclusive(() => this.logits(sequences, batchSize));
  }

  private async logits(sequences: readonly Int32Array[], batchSize: number): Promise<Float32Array[]> {
    this.check();
    const O = this.config.linear.out_features;
    const out: Float32Array[] = new Array(sequences.length);
    const order = sequences.map((_, i) => i).sort((a, b) => sequences[a]!.length - sequences[b]!.length);
    this.model.eval();
    try {
      for (let k = 0; k < order.length; k += batchSize) {
        const rows = order.slice(k, k + batchSize);
        const seqs = rows.map((i) => sequences[i]!);
        const B = rows.length;
        const T = Math.max(...seqs.map((q) => q.length));
        if (seqs.some((q) => q.length === 0)) throw new WebRnnError('BAD_SHAPE', 'predict: every sequence needs at least one token');
        const tokens = new Int32Array(B * T);
        seqs.forEach((q, b) => tokens.set(q, b * T));
        const logits = await this.model.predict({ B, T, tokens, lengths: seqs.map((q) => q.length) }).read();
        rows.forEach((i, b) => {
          const L = seqs[b]!.length;
          if (this.config.target === 'last_step') out[i] = logits.slice(b * O, (b + 1) * O);
          else {
            const y = new Float32Array(L * O);
            for (let t = 0; t < L; t++) y.set(logits.subarray((t * B + b) * O, (t * B + b + 1) * O), t * O);
            out[i] = y;
          }
        });
      }
    } finally {
      this.model.train();
    }
    return out;
  }

  /** A checkpoint of the model, the optimizer and the position, plus the caller's `extra` JSON. */
  checkpoint(extra: Record<string, unknown>): Promise<Uint8Array> {
    return this.exclusive(async () => {
      this.check();
      return checkpointBytes(this.model, this.optimizer, { ...extra, task: { position: this.position, settings: this.settings } });
    });
  }

  /** Continues from a checkpoint written by {@link checkpoint} with the same config and settings. */
  restore(c: Checkpoint): void {
    this.check();
    const t = c.position.task as { position?: TaskPosition } | undefined;
    const p = t?.position;
    const count = (x: unknown) => Number.isInteger(x) && (x as number) >= 0;
    if (!p || !count(p.step) || !count(p.epoch) || !count(p.batch) || typeof p.seconds !== 'number' || !(p.seconds >= 0)) {
      throw new WebRnnError('BAD_FILE', 'checkpoint: no valid training position');
    }
    restoreCheckpoint(c, this.model, this.optimizer);
    this.position = { step: p.step, epoch: p.epoch, batch: p.batch >= this.batchesPerEpoch ? 0 : p.batch, seconds: p.seconds };
  }

  /** Frees the model and optimizer once the GPU work already asked for is done. */
  async close(): Promise<void> {
    await this.queue;
    this.dispose();
  }

  /** Frees the model and optimizer now (see {@link SequenceTask.close} while work may be in flight). */
  dispose(): void {
    if (this.disposed) return;
    this.optimizer.dispose();
    this.model.dispose();
    this.disposed = true;
  }

  /**
   * The epoch's batches: the examples in a seeded random order, cut into pools of bucket_pool
   * batches; each pool sorted by length and cut into batches, taken shortest first. Batches of one
   * length follow each other, so the recurrent layer's recorded plan (one per T) is rebuilt only when
   * T changes — a fully shuffled batch order rebuilds it at almost every step.
   */
  private epochPlan(): Int32Array[] {
    const e = this.position.epoch;
    if (this.planEpoch !== e || !this.plan) {
      const s = this.settings;
      const order = shuffleInPlace(Array.from(this.train.keys()), new Rng((s.seed * 7919 + e) >>> 0));
      const plan = planBatches(order.map((i) => this.train[i]!.ids.length), { batch_size: s.batch, bucket: true, bucket_pool: s.bucket_pool });
      this.plan = plan.map((rows) => Int32Array.from(rows, (r) => order[r]!));
      this.planEpoch = e;
    }
    return this.plan;
  }

  private batchOf(seqs: readonly LabeledSequence[], rng: Rng | undefined) {
    const B = seqs.length;
    const T = Math.max(...seqs.map((q) => q.ids.length));
    const tokens = new Int32Array(B * T);
    const lastStep = this.config.target === 'last_step';
    const targets = new Int32Array(lastStep ? B : B * T);
    seqs.forEach((q, b) => {
      tokens.set(q.ids, b * T);
      if (rng && q.unknownIds) {
        for (let t = 0; t < q.ids.length; t++) if (rng.next() < this.settings.word_dropout) tokens[b * T + t] = q.unknownIds[t]!;
      }
      if (lastStep) targets[b] = q.labels[0]!;
      else targets.set(q.labels, b * T);
    });
    return { B, T, tokens, targets, lengths: seqs.map((q) => q.ids.length) };
  }

  private check(): void {
    if (this.disposed) throw new WebRnnError('DISPOSED', 'this task was disposed');
  }

  /**
   * Runs `work` after the GPU work asked for before it: calls made without awaiting each other (a page
   * tagging typed text while it trains) never interleave, so a prediction never lands between a
   * step's forward and its update.
   */
  private exclusive<R>(work: () => Promise<R>): Promise<R> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function checkExample(e: LabeledSequence, config: SequenceModelConfig, i: number): void {
  const L = e.ids.length;
  const want = config.target === 'last_step' ? 1 : L;
  if (L === 0) throw new WebRnnError('BAD_SHAPE', `example ${i} has no tokens`);
  if (e.labels.length !== want) throw new WebRnnError('BAD_SHAPE', `example ${i}: ${e.labels.length} labels, expected ${want}`);
  if (e.unknownIds && e.unknownIds.length !== L) throw new WebRnnError('BAD_SHAPE', `example ${i}: ${e.unknownIds.length} unknown-word ids for ${L} tokens`);
}

/**
 * `made` after `init(made)`; when init throws (a checkpoint that does not fit, weights of the wrong
 * size), `made` is disposed first, so a failed restore leaves no GPU memory behind.
 */
export function initOrDispose<T extends { dispose(): void }>(made: T, init: (t: T) => void): T {
  try {
    init(made);
  } catch (e) {
    made.dispose();
    throw e;
  }
  return made;
}
