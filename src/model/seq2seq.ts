import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import type { Tensor } from '../gpu/tensor.js';
import { checkRowLengths } from '../layers/attention-config.js';
import { AttentionDecoder } from '../layers/attention-decoder.js';
import { intOption, knownKeys } from '../checks.js';
import { Dense } from '../layers/dense.js';
import { Embedding } from '../layers/embedding.js';
import type { ParameterBlock } from '../layers/parameter-store.js';
import { Recurrent } from '../layers/recurrent.js';
import { CrossEntropyLoss } from '../losses/cross-entropy.js';

/**
 * Sizes of a {@link Seq2Seq} model. Source and target have their own vocabularies; the target
 * vocabulary holds the `bos` and `eos` ids.
 */
export interface Seq2SeqConfig {
  /** Vx: source vocabulary size. */
  source_vocab: number;
  /** Vy: target vocabulary size, including `bos` and `eos`. */
  target_vocab: number;
  /** Width of both token embeddings. */
  embedding_dim: number;
  /** Hidden size of each direction of the bidirectional LSTM encoder (annotations are 2× this). */
  encoder_hidden: number;
  /** Hidden size of the decoder LSTM. */
  decoder_hidden: number;
  /** Hidden width N of the additive attention. */
  attention_size: number;
  /** Target id fed to the decoder at step 0 (<BOS>). */
  bos: number;
  /** Target id that ends a sequence (<EOS>); greedy decoding stops a row there. */
  eos: number;
}

/**
 * One batch, batch-first. Entries past a row's length may hold anything (they are replaced before
 * upload); targets should end with <EOS> so the model learns where to stop.
 */
export interface Seq2SeqBatch {
  B: number;
  /** Source steps (the longest source). */
  Tx: number;
  /** (B, Tx) source ids. */
  source: Int32Array;
  /** (B) valid source steps, each 1..Tx. */
  source_lengths: ArrayLike<number>;
  /** Target steps (the longest target, <EOS> included). */
  Ty: number;
  /** (B, Ty) target ids y<0> … y<len−1>. */
  target: Int32Array;
  /** (B) valid target steps, each 1..Ty. */
  target_lengths: ArrayLike<number>;
}

/** The source half of a batch, for {@link Seq2Seq.greedyDecode}. */
export type Seq2SeqSource = Pick<Seq2SeqBatch, 'B' | 'Tx' | 'source' | 'source_lengths'>;

interface SourceIds {
  B: number;
  Tx: number;
  lengths: Uint32Array;
  ids: Int32Array; // (Tx, B)
}

interface TargetIds {
  Ty: number;
  lengths: Uint32Array;
  inputs: Int32Array; // (Ty, B) decoder inputs
  targets: Int32Array; // (Ty, B) loss targets
}

const KEYS = ['source_vocab', 'target_vocab', 'embedding_dim', 'encoder_hidden', 'decoder_hidden', 'attention_size', 'bos', 'eos'];

/**
 * The course's encoder–decoder with attention (Tx ≠ Ty), trained with teacher forcing:
 *
 *   source_embedding → encoder (bidirectional LSTM; annotations a<t'> (Tx, B, 2·encoder_hidden)) →
 *   decoder (AttentionDecoder over a, input target_embedding(y<t−1>), y<−1> = <BOS>) →
 *   out (Dense on s<t>) → softmax cross-entropy over the valid target steps (mean over tokens).
 *
 * Parameter names are PyTorch's for a module with children `source_embedding`, `encoder`,
 * `target_embedding`, `decoder` and `out` (e.g. `encoder.weight_hh_l0_reverse`,
 * `decoder.attention.v.weight`, `decoder.cell.weight_ih`, `out.bias`). The decoder starts from a zero
 * state. {@link lossAndGrad} runs forward, loss and backward without reading anything back; an
 * optimizer then updates {@link blocks}.
 *
 * @example
 * const model = new Seq2Seq(engine, { source_vocab: 10, target_vocab: 12, embedding_dim: 16, encoder_hidden: 32,
 *   decoder_hidden: 64, attention_size: 32, bos: 11, eos: 10 }, { seed: 1 });
 * const opt = new Adam(engine, model.blocks(), { lr: 5e-3 });
 * // B = 2 pairs, (B, Tx) sources and (B, Ty) targets ending in <EOS> = 10, padded with 0
 * const batch = { B: 2, Tx: 3, source: Int32Array.of(3, 4, 5, 6, 7, 0), source_lengths: [3, 2], Ty: 4, target: Int32Array.of(5, 4, 3, 10, 7, 6, 10, 0), target_lengths: [4, 3] };
 * for (let i = 1; i <= 1000; i++) {
 *   model.lossAndGrad(batch);          // { B, Tx, source, source_lengths, Ty, target, target_lengths }
 *   await opt.stepChecked(i);
 * }
 * const outputs = await model.greedyDecode(batch, { max_steps: 12 }); // number[][] without <EOS>
 */
export class Seq2Seq {
  readonly config: Readonly<Seq2SeqConfig>;
  readonly sourceEmbedding: Embedding;
  readonly encoder: Recurrent;
  readonly targetEmbedding: Embedding;
  readonly decoder: AttentionDecoder;
  readonly out: Dense;
  private readonly loss: CrossEntropyLoss;
  private disposed = false;

  constructor(engine: Engine, config: Seq2SeqConfig, opts: { seed?: number } = {}) {
    this.config = checkConfig(config);
    const c = this.config;
    const seed = opts.seed ?? 0;
    const made: { dispose(): void }[] = [];
    try {
      made.push((this.sourceEmbedding = new Embedding(engine, { num_embeddings: c.source_vocab, embedding_dim: c.embedding_dim }, { seed })));
      made.push((this.encoder = new Recurrent(engine, { mode: 'LSTM', input_size: c.embedding_dim, hidden_size: c.encoder_hidden, bidirectional: true }, { seed: seed + 1 })));
      made.push((this.targetEmbedding = new Embedding(engine, { num_embeddings: c.target_vocab, embedding_dim: c.embedding_dim }, { seed: seed + 2 })));
      made.push((this.decoder = new AttentionDecoder(engine, {
        input_size: c.embedding_dim, annotation_size: 2 * c.encoder_hidden, hidden_size: c.decoder_hidden, attention_size: c.attention_size,
      }, { seed: seed + 3 })));
      made.push((this.out = new Dense(engine, { in_features: c.decoder_hidden, out_features: c.target_vocab }, { seed: seed + 4 })));
      made.push((this.loss = new CrossEntropyLoss(engine)));
    } catch (e) {
      for (const m of made) m.dispose();
      throw e;
    }
  }

  /** The parameter blocks an optimizer updates, in state_dict order. */
  blocks(): ParameterBlock[] {
    return this.parts().map(([, l]) => l.store);
  }

  /** Parameter names with their module prefix, in state_dict order. */
  parameterNames(): string[] {
    return this.parts().flatMap(([prefix, layer]) => layer.store.specs.map((s) => `${prefix}.${s.name}`));
  }

  /** The whole model's parameters by prefixed name, read back to the CPU. */
  async stateDict(): Promise<Record<string, Float32Array>> {
    this.check();
    const out: Record<string, Float32Array> = {};
    for (const [prefix, layer] of this.parts()) for (const [k, v] of Object.entries(await layer.stateDict())) out[`${prefix}.${k}`] = v;
    return out;
  }

  /** Loads every parameter by prefixed name (exact sizes, no unknown names). */
  loadStateDict(sd: Record<string, Float32Array | Float64Array | readonly number[]>): void {
    this.check();
    const known = new Set(this.parameterNames());
    const unknown = Object.keys(sd).filter((k) => !known.has(k));
    if (unknown.length) throw new WebRnnError('BAD_SHAPE', `unknown parameter name(s) ${unknown.join(', ')}; this model has ${[...known].join(', ')}`);
    for (const [prefix, layer] of this.parts()) {
      const part: Record<string, Float32Array | Float64Array | readonly number[]> = {};
      for (const s of layer.store.specs) {
        const name = `${prefix}.${s.name}`;
        if (!Object.hasOwn(sd, name)) throw new WebRnnError('BAD_SHAPE', `missing parameter ${name} (shape [${s.shape.join(', ')}])`);
        part[s.name] = sd[name];
      }
      layer.loadStateDict(part);
    }
  }

  /**
   * Forward, loss and backward of one batch: afterwards every block's gradient buffer holds dLoss/dθ
   * (the loss is the mean cross-entropy over valid target tokens). Returns the loss (a 1-element
   * view, valid until the next call); nothing is read back.
   */
  lossAndGrad(batch: Seq2SeqBatch): Tensor {
    this.check();
    const src = this.sourceIds(batch);
    const tgt = this.targetIds(batch);
    const logits = this.teacherForced(src, tgt);
    const r = this.loss.forward(logits, tgt.targets);
    const dS = this.out.backward(r.grad_input).grad_input;
    const g = this.decoder.backward(dS);
    this.targetEmbedding.backward(g.grad_input);
    const ge = this.encoder.backward({ grad_output: g.grad_annotations });
    this.sourceEmbedding.backward(ge.grad_input);
    return r.loss;
  }

  /**
   * Teacher-forced logits (Ty, B, target_vocab), time-major: entry (t, b) is the prediction of
   * y<t> given y<0..t−1>. A view, valid until the next call.
   */
  predict(batch: Seq2SeqBatch): Tensor {
    this.check();
    return this.teacherForced(this.sourceIds(batch), this.targetIds(batch));
  }

  /**
   * Greedy decoding on the GPU: from <BOS>, each step's argmax is fed back as the next input (one
   * small readback of the logits per step). A row stops at <EOS> (not included in its output) or
   * after max_steps tokens.
   */
  async greedyDecode(source: Seq2SeqSource, opts: { max_steps: number }): Promise<number[][]> {
    this.check();
    knownKeys('greedyDecode options', opts, ['max_steps'], { code: 'BAD_VALUE' });
    const src = this.sourceIds(source);
    const { B } = source;
    const V = this.config.target_vocab;
    const run = this.decoder.startDecoding(this.encode(src), { source_lengths: src.lengths, max_steps: opts.max_steps });
    const outputs: number[][] = Array.from({ length: B }, () => []);
    const done = new Uint8Array(B);
    let tokens = new Int32Array(B).fill(this.config.bos);
    for (let t = 0; t < opts.max_steps; t++) {
      const x = this.targetEmbedding.forward(tokens, [B]);
      const logits = await this.out.forward(run.step(x).output).read(); // (B, V)
      const next = new Int32Array(B);
      for (let b = 0; b < B; b++) {
        let best = 0;
        for (let v = 1; v < V; v++) if (logits[b * V + v] > logits[b * V + best]) best = v;
        next[b] = best;
        if (done[b]) continue;
        if (best === this.config.eos) done[b] = 1;
        else outputs[b].push(best);
      }
      if (done.every((d) => d === 1)) break;
      tokens = next;
    }
    return outputs;
  }

  /** Frees every layer. */
  dispose(): void {
    if (this.disposed) return;
    for (const x of [this.sourceEmbedding, this.encoder, this.targetEmbedding, this.decoder, this.out, this.loss]) x.dispose();
    this.disposed = true;
  }

  /** Checks the source half of a batch; time-major ids (Tx, B) with padded entries 0. No GPU work. */
  private sourceIds(src: Seq2SeqSource): SourceIds {
    const { B, Tx } = src;
    if (!Number.isInteger(B) || B < 1 || !Number.isInteger(Tx) || Tx < 1) throw new WebRnnError('BAD_SHAPE', `batch: B and Tx must be positive integers, got B=${B}, Tx=${Tx}`);
    if (!(src.source instanceof Int32Array) || src.source.length !== B * Tx) throw new WebRnnError('BAD_SHAPE', `batch: source must be an Int32Array of B·Tx = ${B * Tx} ids (B, Tx)`);
    const lengths = checkRowLengths(src.source_lengths, Tx, B, 'batch: source_lengths');
    const ids = new Int32Array(Tx * B);
    for (let b = 0; b < B; b++) for (let t = 0; t < lengths[b]; t++) ids[t * B + b] = checkId(src.source[b * Tx + t], this.config.source_vocab, `source[${b}, ${t}]`);
    return { B, Tx, lengths, ids };
  }

  /**
   * Checks the target half of a batch. Decoder inputs (Ty, B): <BOS>, y<0>, …, y<Ty−2> (padded
   * entries <BOS>); loss targets (Ty, B): y<t>, −100 (ignored) past each row's length. No GPU work.
   */
  private targetIds(batch: Seq2SeqBatch): TargetIds {
    const { B, Ty } = batch;
    if (!Number.isInteger(Ty) || Ty < 1) throw new WebRnnError('BAD_SHAPE', `batch: Ty must be a positive integer, got ${Ty}`);
    if (!(batch.target instanceof Int32Array) || batch.target.length !== B * Ty) throw new WebRnnError('BAD_SHAPE', `batch: target must be an Int32Array of B·Ty = ${B * Ty} ids (B, Ty)`);
    const lengths = checkRowLengths(batch.target_lengths, Ty, B, 'batch: target_lengths');
    const inputs = new Int32Array(Ty * B).fill(this.config.bos);
    const targets = new Int32Array(Ty * B).fill(-100);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < lengths[b]; t++) {
        const y = checkId(batch.target[b * Ty + t], this.config.target_vocab, `target[${b}, ${t}]`);
        targets[t * B + b] = y;
        if (t + 1 < Ty) inputs[(t + 1) * B + b] = y;
      }
    }
    return { Ty, lengths, inputs, targets };
  }

  /** Source embedding and encoder: the annotations (Tx, B, 2·encoder_hidden). */
  private encode(src: SourceIds): Tensor {
    const x = this.sourceEmbedding.forward(src.ids, [src.Tx, src.B]);
    return this.encoder.forward(x, { lengths: src.lengths }).output;
  }

  /** Encoder, decoder on the embedded decoder inputs, head: the logits (Ty, B, target_vocab). */
  private teacherForced(src: SourceIds, tgt: TargetIds): Tensor {
    const annotations = this.encode(src);
    const x = this.targetEmbedding.forward(tgt.inputs, [tgt.Ty, src.B]);
    const s = this.decoder.forward(x, annotations, { source_lengths: src.lengths, lengths: tgt.lengths }).output;
    return this.out.forward(s);
  }

  private parts(): [string, Embedding | Recurrent | AttentionDecoder | Dense][] {
    return [
      ['source_embedding', this.sourceEmbedding],
      ['encoder', this.encoder],
      ['target_embedding', this.targetEmbedding],
      ['decoder', this.decoder],
      ['out', this.out],
    ];
  }

  private check(): void {
    if (this.disposed) throw new WebRnnError('DISPOSED', 'this Seq2Seq model was disposed');
  }
}

function checkConfig(c: Seq2SeqConfig): Readonly<Seq2SeqConfig> {
  knownKeys('Seq2Seq', c, KEYS);
  const out = {} as Record<string, number>;
  for (const k of KEYS.slice(0, 6)) out[k] = intOption('Seq2Seq', k, (c as unknown as Record<string, unknown>)[k]);
  for (const k of ['bos', 'eos'] as const) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= out.target_vocab) {
      throw new WebRnnError('BAD_CONFIG', `Seq2Seq: ${k} must be a target id in [0, ${out.target_vocab}), got ${JSON.stringify(v)}`);
    }
    out[k] = v;
  }
  return Object.freeze(out as unknown as Seq2SeqConfig);
}

function checkId(v: number, V: number, where: string): number {
  if (!Number.isInteger(v) || v < 0 || v >= V) throw new WebRnnError('BAD_VALUE', `batch: ${where} is ${v}, outside [0, ${V})`);
  return v;
}
