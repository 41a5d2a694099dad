import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { Program } from '../gpu/program.js';
import { Tensor } from '../gpu/tensor.js';
import { attentionDecoderSpecs, attentionInitBound, checkRowLengths, resolveAttentionConfig, type AttentionDecoderConfig } from './attention-config.js';
import { AttentionPlan, attentionOffsets, type AttentionOffsets } from './attention-plan.js';
import { intOption, knownKeys } from '../checks.js';
import { expectShape, liveTensor } from '../gpu/tensor-checks.js';
import { ParameterLayer } from './layer.js';

export type { AttentionDecoderConfig } from './attention-config.js';

export interface AttentionDecoderOptions {
  /** Seed of the PyTorch-style initialisation (nn.Linear / nn.LSTMCell bounds; default 0). */
  seed?: number;
}

/** Optional inputs of {@link AttentionDecoder.forward}. */
export interface AttentionForwardOptions {
  /** Valid annotations per batch row, each in 1..Tx (the encoder's lengths); absent = all Tx. */
  source_lengths?: ArrayLike<number>;
  /** Valid decoder steps per batch row, each in 1..Ty (the target lengths); absent = all Ty. */
  lengths?: ArrayLike<number>;
}

export interface AttentionForwardResult {
  /** (Ty, B, H) decoder states s<t>; 0 at t ≥ lengths[b]. */
  output: Tensor;
  /** (Ty, B, Tx) attention weights α<t, t'>: each valid row sums to 1, 0 at t' ≥ source_lengths[b]. */
  attention: Tensor;
  /** (Ty, B, A) context vectors c<t>. */
  context: Tensor;
}

export interface AttentionBackwardResult {
  /** dL/d(input) (Ty, B, E). */
  grad_input: Tensor;
  /** dL/d(annotations) (Tx, B, A): the encoder's grad_output. */
  grad_annotations: Tensor;
  /** dL/d(parameter) by state_dict name (views of the gradient buffer). */
  grads: Record<string, Tensor>;
}

/** One step of {@link AttentionDecoding}. */
export interface AttentionStepResult {
  /** (B, H) s<t>. */
  output: Tensor;
  /** (B, Tx) α<t, ·>. */
  attention: Tensor;
}

const F32 = 4;
/** Plans kept per decoder (training shape, decoding shape, …); the least recently used goes first. */
const MAX_PLANS = 4;

/**
 * The decoder of the course's attention model: an LSTM cell run step by step over the target
 * sequence with teacher forcing, each step attending over the encoder's annotations a<t'> with
 * Bahdanau (additive) attention:
 *
 *   e<t,t'> = vᵀ tanh(W_s s<t−1> + U_a a<t'> + b_a),  α<t,·> = softmax over t' < source_lengths[b],
 *   c<t> = Σ_t' α<t,t'> a<t'>,  s<t>, m<t> = LSTMCell([x<t>; c<t>], s<t−1>, m<t−1>)
 *
 * where x<t> is the embedded previous token y<t−1> (the caller embeds; `<BOS>` at t = 0). The
 * initial state is zero — the context of step 0 carries everything the decoder needs from the
 * encoder. The output is s<t> (the course's ŷ<t> = softmax(Dense(s<t>))), so a Dense head and a
 * loss go on top. Steps t ≥ lengths[b] keep the state and output 0, like pack_padded_sequence.
 *
 * Parameters (one {@link ParameterStore}, PyTorch-style names, see attentionDecoderSpecs):
 * attention.query.weight = W_s (N, H), attention.key.weight = U_a (N, A), attention.key.bias = b_a,
 * attention.v.weight = v (1, N), cell.weight_ih (4H, E + A), cell.weight_hh, cell.bias_ih, cell.bias_hh.
 *
 * On the GPU: U_a a + b_a and the token part of the input gates are one matmul each for all steps;
 * each step is 4 dispatches (q matmul, attention kernel, context part of the gates, fused LSTM step)
 * forward and 4 backward, recorded once per (Tx, Ty, B) and replayed without readback; weight
 * gradients are GEMMs over all steps after the reverse sweep; everything is deterministic.
 * Results are views of the layer's workspace, valid until its next call.
 *
 * @example
 * const encoder = new Recurrent(engine, { mode: 'GRU', input_size: 8, hidden_size: 16, bidirectional: true });
 * const source = engine.tensor(new Float32Array(7 * 2 * 8), [7, 2, 8]);             // (Tx=7, B=2, 8)
 * const annotations = encoder.forward(source, { lengths: [7, 4] }).output;           // (7, 2, 32)
 * const dec = new AttentionDecoder(engine, { input_size: 8, annotation_size: 32, hidden_size: 24, attention_size: 16 }, { seed: 1 });
 * const x = engine.tensor(new Float32Array(5 * 2 * 8), [5, 2, 8]);                  // (Ty=5, B=2, 8)
 * const { output, attention } = dec.forward(x, annotations, { source_lengths: [7, 4], lengths: [5, 3] });
 * // output (5, 2, 24), attention (5, 2, 7)
 * const { grad_annotations, grad_input } = dec.backward(engine.tensor(new Float32Array(5 * 2 * 24).fill(1), [5, 2, 24]));
 * encoder.backward({ grad_output: grad_annotations });
 */
export class AttentionDecoder extends ParameterLayer {
  readonly config: Readonly<AttentionDecoderConfig>;
  private readonly offsets: AttentionOffsets;
  private readonly plans = new Map<string, AttentionPlan>();
  private last: { plan: AttentionPlan } | undefined;

  constructor(engine: Engine, config: AttentionDecoderConfig, opts: AttentionDecoderOptions = {}) {
    knownKeys('AttentionDecoder options', opts, ['seed']);
    const resolved = resolveAttentionConfig(config);
    super(engine, attentionDecoderSpecs(resolved), 'AttentionDecoder');
    this.config = resolved;
    this.offsets = attentionOffsets(this.store);
    this.store.initUniform(opts.seed ?? 0, (s) => attentionInitBound(resolved, s.name));
  }

  /**
   * Teacher-forced decoding of a whole target sequence. Validates every shape before any GPU work.
   * @param input (Ty, B, E) the embedded previous tokens (<BOS>, y<0>, …, y<Ty−2>)
   * @param annotations (Tx, B, A) the encoder's output
   */
  forward(input: Tensor, annotations: Tensor, opts: AttentionForwardOptions = {}): AttentionForwardResult {
    this.check();
    knownKeys('AttentionDecoder forward options', opts, ['source_lengths', 'lengths'], { code: 'BAD_VALUE' });
    const { input_size: E, annotation_size: A, hidden_size: H } = this.config;
    liveTensor(input, 'AttentionDecoder input', this.engine);
    liveTensor(annotations, 'AttentionDecoder annotations', this.engine);
    if (input.shape.length !== 3 || input.shape[2] !== E || input.shape[0] < 1 || input.shape[1] < 1) {
      throw new WebRnnError('BAD_SHAPE', `AttentionDecoder input must be (Ty, B, input_size = ${E}), got shape [${input.shape.join(', ')}]`);
    }
    const [Ty, B] = input.shape;
    const Tx = this.checkAnnotations(annotations, B);
    const lx = checkRowLengths(opts.source_lengths, Tx, B, 'source_lengths');
    const ly = checkRowLengths(opts.lengths, Ty, B, 'lengths');
    const plan = this.planFor(Tx, Ty, B);
    this.engine.writeBuffer(plan.ws.sourceLengths, 0, lx);
    this.engine.writeBuffer(plan.ws.lengths, 0, ly);
    // Per-call copies of the caller's tensors into the plan's buffers; the recorded program stays fixed.
    const pre = new Program();
    pre.copy(input.buffer, input.byteOffset, plan.ws.x, 0, input.size * F32);
    pre.copy(annotations.buffer, annotations.byteOffset, plan.ws.ann, 0, annotations.size * F32);
    this.engine.run(pre, plan.forward);
    this.last = { plan };
    return {
      output: new Tensor(this.engine, plan.ws.y, [Ty, B, H], 0, false),
      attention: new Tensor(this.engine, plan.ws.alpha, [Ty, B, Tx], 0, false),
      context: new Tensor(this.engine, plan.ws.ctx, [Ty, B, A], 0, false),
    };
  }

  /**
   * BPTT through the decoder and its attention for the most recent forward, given dL/d(output)
   * (Ty, B, H) (entries at padded steps have no effect). Parameter gradients are overwritten.
   */
  backward(grad_output: Tensor): AttentionBackwardResult {
    this.check();
    const last = this.last;
    if (!last) throw new WebRnnError('BAD_STATE', 'AttentionDecoder backward needs a forward first');
    const { plan } = last;
    const { Tx, Ty, B } = plan;
    const { input_size: E, annotation_size: A, hidden_size: H } = this.config;
    expectShape(grad_output, 'AttentionDecoder grad_output', [Ty, B, H], this.engine);
    const bw = plan.ensureBackward();
    const pre = new Program();
    pre.copy(grad_output.buffer, grad_output.byteOffset, bw.dy, 0, grad_output.size * F32);
    this.engine.run(pre, plan.backward!);
    return {
      grad_input: new Tensor(this.engine, bw.dx, [Ty, B, E], 0, false),
      grad_annotations: new Tensor(this.engine, bw.dann, [Tx, B, A], 0, false),
      grads: this.store.views('grads'),
    };
  }

  /**
   * Starts step-by-step decoding (greedy or sampled: the caller picks each next token) over
   * `annotations`: the keys U_a a + b_a are computed now, then each {@link AttentionDecoding.step}
   * runs one decoder step on the GPU. Invalidates a pending backward.
   *
   * @example
   * // dec and annotations (Tx = 7, B = 2, 32) as in the class example; a vocabulary of 100 tokens, <BOS> = 1
   * const emb = new Embedding(engine, { num_embeddings: 100, embedding_dim: 8 });
   * const out = new Dense(engine, { in_features: 24, out_features: 100 });
   * const sampler = new Sampler(engine);
   * const run = dec.startDecoding(annotations, { source_lengths: [7, 4], max_steps: 20 });
   * let x = emb.forward(Int32Array.of(1, 1), [2]);                      // <BOS> for both rows: (B, E)
   * for (let t = 0; t < 20; t++) {
   *   const logits = out.forward(run.step(x).output);                  // (B, 100)
   *   x = emb.forwardIds(sampler.sample(logits, { seed: 1, draw: t })); // (B) ids -> (B, E)
   * }
   */
  startDecoding(annotations: Tensor, opts: { source_lengths?: ArrayLike<number>; max_steps: number }): AttentionDecoding {
    this.check();
    knownKeys('AttentionDecoder decoding options', opts, ['source_lengths', 'max_steps'], { code: 'BAD_VALUE' });
    liveTensor(annotations, 'AttentionDecoder annotations', this.engine);
    const steps = intOption('', 'max_steps', opts.max_steps, { code: 'BAD_VALUE' });
    if (annotations.shape.length !== 3) throw new WebRnnError('BAD_SHAPE', `AttentionDecoder annotations must be (Tx, B, annotation_size = ${this.config.annotation_size}), got shape [${annotations.shape.join(', ')}]`);
    const B = annotations.shape[1];
    const Tx = this.checkAnnotations(annotations, B);
    const lx = checkRowLengths(opts.source_lengths, Tx, B, 'source_lengths');
    const plan = this.planFor(Tx, steps, B);
    this.last = undefined;
    this.engine.writeBuffer(plan.ws.sourceLengths, 0, lx);
    this.engine.writeBuffer(plan.ws.lengths, 0, new Uint32Array(B).fill(steps));
    const progs = plan.decoding();
    const pre = new Program();
    pre.copy(annotations.buffer, annotations.byteOffset, plan.ws.ann, 0, annotations.size * F32);
    this.engine.run(pre, progs.start);
    return new AttentionDecoding(this.engine, plan, progs.steps, this.config, () => this.check());
  }

  /** Dispatches of one forward and one backward at the last shape used (undefined before a forward). */
  dispatchCounts(): { forward: number; backward: number | undefined } | undefined {
    const plan = this.last?.plan;
    if (!plan) return undefined;
    return { forward: plan.forward.dispatchCount, backward: plan.backward?.dispatchCount };
  }

  protected override releaseWorkspace(): void {
    for (const p of this.plans.values()) p.dispose();
    this.plans.clear();
  }

  private checkAnnotations(annotations: Tensor, B: number): number {
    const A = this.config.annotation_size;
    const s = annotations.shape;
    if (s.length !== 3 || s[1] !== B || s[2] !== A || s[0] < 1) {
      throw new WebRnnError('BAD_SHAPE', `AttentionDecoder annotations must be (Tx, B = ${B}, annotation_size = ${A}), got shape [${s.join(', ')}]`);
    }
    return s[0];
  }

  private planFor(Tx: number, Ty: number, B: number): AttentionPlan {
    const key = `${Tx},${Ty},${B}`;
    let plan = this.plans.get(key);
    if (plan) {
      this.plans.delete(key);
    } else {
      if (this.plans.size >= MAX_PLANS) {
        const [oldKey, old] = this.plans.entries().next().value!;
        if (this.last?.plan === old) this.last = undefined;
        old.dispose();
        this.plans.delete(oldKey);
      }
      plan = new AttentionPlan(this.engine, this.config, this.offsets, this.store.params, this.store.grads, Tx, Ty, B);
    }
    this.plans.set(key, plan); // most recently used last
    return plan;
  }
}

/**
 * Step-by-step decoding started by {@link AttentionDecoder.startDecoding}: each step is one
 * submission of 5 dispatches (token-input projection, q, attention, context gates, LSTM step) on
 * recorded programs. Results are views valid until the decoder's next call.
 */
export class AttentionDecoding {
  private t = 0;

  /** @internal */
  constructor(
    private readonly engine: Engine,
    private readonly plan: AttentionPlan,
    private readonly steps: Program[],
    private readonly config: Readonly<AttentionDecoderConfig>,
    private readonly check: () => void,
  ) {}

  /** Steps taken so far. */
  get stepsTaken(): number {
    return this.t;
  }

  /**
   * Runs the next decoder step with input x<t> (B, E) — the embedded previous token.
   * @returns views of s<t> (B, H) and α<t> (B, Tx)
   */
  step(x: Tensor): AttentionStepResult {
    this.check();
    const { B, Tx, Ty } = this.plan;
    const { input_size: E, hidden_size: H } = this.config;
    if (this.t >= Ty) throw new WebRnnError('BAD_STATE', `decoding was started with max_steps = ${Ty}; all of them were taken`);
    liveTensor(x, 'decoding input', this.engine);
    const shape = x.shape.length === 3 ? [1, B, E] : [B, E];
    expectShape(x, 'decoding input', shape, this.engine);
    const t = this.t++;
    const pre = new Program();
    pre.copy(x.buffer, x.byteOffset, this.plan.ws.x, t * B * E * F32, B * E * F32);
    this.engine.run(pre, this.steps[t]);
    return {
      output: new Tensor(this.engine, this.plan.ws.y, [B, H], t * B * H * F32, false),
      attention: new Tensor(this.engine, this.plan.ws.alpha, [B, Tx], t * B * Tx * F32, false),
    };
  }
}
