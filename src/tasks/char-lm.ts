import type { RecurrentMode } from '../layers/recurrent-config.js';
import { bpttLayout, bpttWindowSteps, windowFromColumns, type BpttLayout, type BpttWindow } from '../data/batching.js';
import { Vocab } from '../data/vocab.js';
import { Generator } from '../decode/generate.js';
import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { parseCheckpoint, restoreCheckpoint, checkpointBytes } from '../model/checkpoint.js';
import { RecurrentState, SequenceModel, sequenceModelSpecs, type SequenceModelConfig } from '../model/sequence-model.js';
import { Adam } from '../optim/adam.js';
import { resolveAdamOptions } from '../optim/options.js';

/** Settings of a character-level language model and its training (all have defaults). */
export interface CharLmSettings {
  cell: RecurrentMode;
  hidden: number;
  layers: number;
  embedding: number;
  dropout: number;
  /** parallel streams per batch (B) */
  batch: number;
  /** steps per window (T): truncated backpropagation through time */
  bptt: number;
  lr: number;
  clip: number;
  seed: number;
}

export const CHAR_LM_DEFAULTS: CharLmSettings = {
  cell: 'LSTM',
  hidden: 128,
  layers: 1,
  embedding: 32,
  dropout: 0,
  batch: 32,
  bptt: 32,
  lr: 4e-3,
  clip: 5,
  seed: 1,
};

/** Where a training run stands; saved in checkpoints. */
export interface CharLmPosition {
  step: number;
  epoch: number;
  /** the next window of the epoch */
  window: number;
  /** training seconds so far (over all resumed runs) */
  seconds: number;
  /** the settings the run was started with */
  settings: CharLmSettings;
  vocab: unknown;
}

/**
 * A character-level language model (the course's "language model and sequence generation"):
 * Embedding → LSTM/GRU/RNN → Dense over the vocabulary, trained with truncated BPTT — B parallel
 * streams of the text, read T characters at a time, the hidden state carried from window to window —
 * with Adam and gradient clipping, evaluated in bits per character, sampled with temperature.
 * Host-agnostic: the CLI (`webrnn train`, `npm start`) and the browser demo both drive it.
 *
 * @example
 * const vocab = Vocab.fromText(text, { level: 'char' });
 * const lm = new CharLm(engine, vocab, vocab.encode(text), { hidden: 128 });
 * for (let i = 0; i < 100; i++) await lm.trainStep();
 * console.log(await lm.evaluate(vocab.encode('held-out text')), await lm.sample({ length: 200 }));
 */
export class CharLm {
  readonly settings: CharLmSettings;
  readonly model: SequenceModel;
  readonly optimizer: Adam;
  readonly layout: BpttLayout;
  position: CharLmPosition;
  private readonly state: RecurrentState;
  private generator: Generator | undefined;
  private disposed = false;

  constructor(
    private readonly engine: Engine,
    readonly vocab: Vocab,
    private readonly train: Int32Array,
    settings: Partial<CharLmSettings> = {},
  ) {
    const s = (this.settings = { ...CHAR_LM_DEFAULTS, ...settings });
    for (const k of Object.keys(settings)) if (!(k in CHAR_LM_DEFAULTS)) throw new WebRnnError('BAD_CONFIG', `unknown language-model setting "${k}" (known: ${Object.keys(CHAR_LM_DEFAULTS).join(', ')})`);
    this.layout = bpttLayout(train.length, { batch_size: s.batch, bptt: s.bptt, drop_last: true, batch_first: true });
    this.model = new SequenceModel(engine, charLmConfig(vocab.size, s), { seed: s.seed });
    this.optimizer = new Adam(engine, this.model.blocks(), { lr: s.lr, clip_norm: s.clip });
    this.state = this.model.createState(s.batch);
    this.position = { step: 0, epoch: 0, window: 0, seconds: 0, settings: s, vocab: vocab.toJSON() };
  }

  /** Windows per epoch. */
  get windowsPerEpoch(): number {
    return this.layout.windows;
  }

  /**
   * One optimizer step on the next window (state carried from the previous window; reset at each
   * epoch start). Returns the window's mean loss in nats per character (one small readback, which also
   * checks the gradient is finite: a NaN stops with an error naming the step, weights left intact).
   */
  async trainStep(): Promise<number> {
    this.check();
    const p = this.position;
    if (p.window === 0) this.state.reset();
    const w = this.window(this.train, this.layout, p.window);
    this.model.train();
    const loss = this.model.lossAndGrad({ B: w.B, T: w.T, tokens: w.inputs, targets: w.targets }, { state: this.state });
    await this.optimizer.stepChecked(p.step + 1);
    const value = (await loss.read())[0];
    p.step++;
    if (++p.window >= this.layout.windows) {
      p.window = 0;
      p.epoch++;
    }
    return value;
  }

  /**
   * Bits per character on held-out text: the mean over every predicted character (state carried
   * across windows, as in training). `maxWindows` evaluates a prefix (cheaper, for progress reports).
   */
  async evaluate(ids: Int32Array, maxWindows = Infinity): Promise<number> {
    this.check();
    const s = this.settings;
    const B = Math.max(1, Math.min(s.batch, Math.floor(ids.length / (s.bptt + 1))));
    const layout = bpttLayout(ids.length, { batch_size: B, bptt: s.bptt, batch_first: true });
    const st = this.model.createState(B);
    this.model.eval();
    try {
      let nats = 0;
      let count = 0;
      const n = Math.min(layout.windows, maxWindows);
      for (let k = 0; k < n; k++) {
        const w = this.window(ids, layout, k);
        const loss = (await this.model.loss({ B: w.B, T: w.T, tokens: w.inputs, targets: w.targets }, { state: st }).read())[0];
        nats += loss * w.T * w.B;
        count += w.T * w.B;
      }
      return nats / count / Math.LN2;
    } finally {
      st.dispose();
      this.model.train();
    }
  }

  /**
   * Generates `length` characters after `prime` (default: a newline) with temperature sampling.
   */
  async sample(opts: { length: number; prime?: string; temperature?: number; seed?: number }): Promise<string> {
    this.check();
    this.model.eval();
    this.generator ??= new Generator(this.engine, { embedding: this.model.embedding, recurrent: this.model.rnn, head: this.model.linear });
    this.generator.reset();
    const prime = this.vocab.encode(opts.prime ?? '\n');
    if (prime.length === 0) throw new WebRnnError('BAD_VALUE', 'sample: prime must contain at least one character');
    const ids = await this.generator.generate({ prime, steps: opts.length, temperature: opts.temperature ?? 0.8, seed: opts.seed ?? this.position.step });
    this.model.train();
    return this.vocab.decode(ids, { skip_special: true });
  }

  /** A checkpoint of the model, optimizer and position (bytes; write them atomically). */
  async checkpoint(): Promise<Uint8Array> {
    this.check();
    return checkpointBytes(this.model, this.optimizer, this.position as unknown as Record<string, unknown>);
  }

  /**
   * Restores a checkpoint made by {@link checkpoint} with the same settings and vocabulary; the run
   * then continues exactly where it stopped.
   */
  restore(bytes: Uint8Array, source = 'checkpoint'): void {
    this.check();
    const c = parseCheckpoint(bytes, source);
    const pos = c.position as unknown as CharLmPosition;
    if (JSON.stringify(pos.settings) !== JSON.stringify(this.settings)) {
      throw new WebRnnError('BAD_STATE', `${source} was made with other settings (${JSON.stringify(pos.settings)}); start a fresh run or use those settings`);
    }
    if (JSON.stringify(pos.vocab) !== JSON.stringify(this.vocab.toJSON())) throw new WebRnnError('BAD_STATE', `${source} was made with another vocabulary (other training text)`);
    restoreCheckpoint(c, this.model, this.optimizer);
    this.position = { ...pos };
    // The carried state is not in the checkpoint: restart the epoch's streams from zeros at this window.
    this.state.reset();
  }

  dispose(): void {
    if (this.disposed) return;
    this.generator?.dispose();
    this.state.dispose();
    this.optimizer.dispose();
    this.model.dispose();
    this.disposed = true;
  }

  private window(ids: Int32Array, layout: BpttLayout, k: number): BpttWindow {
    const steps = bpttWindowSteps(layout, k);
    const cols: Int32Array[] = [];
    const L = layout.stream_length;
    for (let b = 0; b < layout.batch_size; b++) cols.push(ids.subarray(b * L + k * layout.bptt, b * L + k * layout.bptt + steps + 1));
    return windowFromColumns(cols, k, k * layout.bptt, true);
  }

  private check(): void {
    if (this.disposed) throw new WebRnnError('DISPOSED', 'this language model was disposed');
  }
}

/** The SequenceModel config of a character language model over V symbols. */
export function charLmConfig(V: number, s: CharLmSettings): SequenceModelConfig {
  return {
    embedding: { num_embeddings: V, embedding_dim: s.embedding },
    rnn: { mode: s.cell, input_size: s.embedding, hidden_size: s.hidden, num_layers: s.layers, ...(s.layers > 1 && s.dropout > 0 ? { dropout: s.dropout } : {}) },
    linear: { in_features: s.hidden, out_features: V },
    loss: 'cross_entropy',
    target: 'all_steps',
  };
}

/**
 * Throws what building the model and its optimizer would throw for settings that no device can run
 * (BAD_CONFIG: layers beyond MAX_LAYERS, a parameter count beyond 32-bit offsets, an lr whose Adam step
 * overflows float32) — from the settings alone, before an engine, a run folder or any layer exists.
 */
export function checkCharLmSettings(V: number, s: CharLmSettings): void {
  sequenceModelSpecs(charLmConfig(V, s));
  resolveAdamOptions({ lr: s.lr, clip_norm: s.clip }, false);
}
