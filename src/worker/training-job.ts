/**
 * What a training worker runs: a job builds a model from plain settings (anything structured clone
 * carries), and the run it returns takes optimizer steps, evaluates and samples on request. Used on
 * the worker side by {@link serveTraining}; the page side ({@link TrainingWorker}) sees only the
 * settings, the progress and the results.
 */
import type { Engine } from '../gpu/engine.js';
import type { SequenceModel } from '../model/sequence-model.js';

/** One optimizer step's report. */
export interface StepReport {
  /** the step's training loss (e.g. mean nats per token) */
  loss: number;
  /** how many items (characters, tokens, sequences) the step trained on, for throughput */
  items: number;
  /** the epoch the run is in after this step, where the run counts epochs */
  epoch?: number;
}

/** Generation settings for {@link TrainingRun.sample} (CharLm.sample's). */
export interface SampleRequest {
  /** tokens to generate */
  length: number;
  /** text to feed first (default: the job's choice, e.g. a newline) */
  prime?: string;
  /** sampling temperature (default 0.8) */
  temperature?: number;
  /** seed of the draws: the same seed and weights give the same text */
  seed?: number;
}

/**
 * A model being trained inside the worker. Only {@link model} and {@link step} are required; the
 * worker calls one method at a time (never a sample during a step).
 */
export interface TrainingRun {
  /** the model whose parameters `weights()` returns and `loadWeights()` replaces */
  readonly model: SequenceModel;
  /** Structured-cloneable facts about the run for the page (vocabulary, steps per epoch…); start() returns it. */
  readonly info?: Record<string, unknown>;
  /** One optimizer step. */
  step(): Promise<StepReport>;
  /** Held-out metrics by name (e.g. `{ bpc: 2.31 }`). */
  evaluate?(): Promise<Record<string, number>>;
  /** Generated text. */
  sample?(request: SampleRequest): Promise<string>;
  /** Frees the run's GPU memory (the model, the optimizer). */
  dispose(): void;
}

/**
 * How a worker builds a run from the settings the page sent to `start()`. Settings come from another
 * thread: check them (the worker reports a thrown WebRnnError to the page with its code).
 *
 * @example
 * // A tagger trained in a worker: any SequenceModel with any optimizer loop.
 * const taggerConfig = (hidden: number): SequenceModelConfig => ({
 *   embedding: { num_embeddings: 100, embedding_dim: 16 },
 *   rnn: { mode: 'GRU', input_size: 16, hidden_size: hidden, bidirectional: true },
 *   linear: { in_features: 2 * hidden, out_features: 12 },
 *   loss: 'cross_entropy',
 *   target: 'all_steps',
 * });
 * // B = 2 sentences of T = 3 words and their tags, (B, T); yours come from your data (e.g. batches())
 * const batch: SequenceBatch = { B: 2, T: 3, tokens: Int32Array.of(5, 9, 17, 4, 30, 2), targets: Int32Array.of(1, 3, 2, 0, 7, 1) };
 * const taggerJob: TrainingJob<{ hidden: number; lr: number }> = {
 *   create(engine, s) {
 *     const model = new SequenceModel(engine, taggerConfig(s.hidden), { seed: 1 });
 *     const opt = new Adam(engine, model.blocks(), { lr: s.lr });
 *     let step = 0;
 *     return {
 *       model,
 *       async step() {
 *         const loss = model.lossAndGrad(batch);
 *         await opt.stepChecked(++step);
 *         return { loss: (await loss.read())[0], items: batch.B * batch.T };
 *       },
 *       dispose() { opt.dispose(); model.dispose(); },
 *     };
 *   },
 * };
 * serveTraining(taggerJob); // in the worker module
 */
export interface TrainingJob<S> {
  create(engine: Engine, settings: S): TrainingRun | Promise<TrainingRun>;
}

/** How long a run trains and how often it evaluates. */
export interface RunOptions {
  /** stop by itself after this many steps of this start/resume (default: until stop()) */
  steps?: number;
  /** run's evaluate() after every this many steps (and after step 1); 0 or absent: never */
  evaluateEvery?: number;
}

/** Sent after every optimizer step. */
export interface TrainingProgress {
  /** optimizer steps of this model so far (over every start/resume) */
  step: number;
  epoch?: number;
  /** this step's training loss */
  loss: number;
  /** training seconds of this model so far (steps only, not evaluations or samples) */
  seconds: number;
  /** items per second over the last 20 steps */
  itemsPerSecond: number;
  /** present at the steps where the run evaluated */
  metrics?: Record<string, number>;
}

/** Where a run stands when it ends (stop(), its step count reached, or an error). */
export interface TrainingResult {
  reason: 'stopped' | 'steps' | 'error';
  step: number;
  epoch?: number;
  /** the last step's loss (NaN before any step) */
  loss: number;
  seconds: number;
  /** the latest evaluation (at the end of a run whose job evaluates, unless it ended with an error) */
  metrics?: Record<string, number>;
}
