import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { STEP_STRIDE } from '../gpu/kernel.js';
import { Program } from '../gpu/program.js';
import { Tensor } from '../gpu/tensor.js';
import { knownKeys } from '../checks.js';
import { checkTokens, type TokenIds } from '../layers/tokens.js';
import type { SequenceModel } from '../model/sequence-model.js';
import { DecoderStep, type DecoderModel, type InputBinding } from './decoder-step.js';
import { resolveSampling, SampleBinding, SAMPLING_KEYS, stepSlots, type SamplingOptions } from './sampling.js';

export interface GeneratorOptions {
  /** Rows generated side by side, each with its own state and draws (default 1). */
  batch?: number;
  /** Invocations per row of the sampling kernel (a power of two ≤ 256; default by adapter). */
  workgroupSize?: number;
}

export interface GenerateOptions extends SamplingOptions {
  /** Tokens to generate per row (N ≥ 0). */
  steps: number;
  /**
   * Input tokens (P, B) row-major, P ≥ 1 — e.g. [SOS] per row, or a prompt. Absent: continue the stream
   * from the last token of the previous call (the pending one; see {@link Generator}).
   */
  prime?: TokenIds;
}

/** Step slots per command buffer: the step uniform holds this many (t, draw) pairs (64 KiB). */
const CHUNK = 256;
const U32 = 4;

/**
 * Autoregressive generation on the GPU with a carried (streaming) state: every step embeds the previous
 * token (from a GPU buffer), runs the recurrent stack for T = 1, applies the head and samples the next
 * token into a GPU buffer (N, B) — the whole generation is encoded as command buffers of up to 256
 * steps each, submitted back to back with no CPU round trip; the ids are read once at the end.
 *
 * State rule (streaming): the state holds every token fed so far except the latest one, which is
 * pending — the next generate() without `prime` feeds it first. `prime` tokens are fed in order and
 * the last of them becomes the pending input of the first sampled step (the pending token of a
 * previous call is then dropped: include it in `prime` to keep it). reset() zeroes (or sets) the state.
 * The RNG counter of row r's draw is the number of tokens this generator has sampled since the last
 * reset(), so one long call and several short ones with the same seed give the same ids.
 *
 * @example
 * const gen = new Generator(engine, { embedding: emb, recurrent: lstm, head }, { batch: 2 });
 * const ids = await gen.generate({ prime: [BOS_ID, BOS_ID], steps: 100, temperature: 0.8, top_k: 40, seed: 1 });
 * // ids: Uint32Array (100, 2); continue the same streams:
 * const more = await gen.generate({ steps: 50, temperature: 0.8, top_k: 40, seed: 1 });
 * gen.reset();
 * gen.dispose();
 *
 * @example
 * // a trained SequenceModel (embedding → LSTM → linear over the vocabulary) generates as it is
 * const lm = new Generator(engine, model);
 * const text = vocab.decode(await lm.generate({ prime: [BOS_ID], steps: 40, temperature: 0.7, seed: 3 }));
 * lm.dispose();
 */
export class Generator {
  readonly batch: number;
  /** Output vocabulary size V. */
  readonly vocab: number;
  private readonly step: DecoderStep;
  private readonly steps: GPUBuffer;
  private readonly pending: GPUBuffer;
  private tokens: GPUBuffer;
  private capacity: number;
  private input: InputBinding;
  private readonly sampler: SampleBinding;
  private hasPending = false;
  private draws = 0;
  private disposed = false;

  constructor(
    private readonly engine: Engine,
    /** the pieces, or a {@link SequenceModel} as it is */
    model: DecoderModel | SequenceModel,
    opts: GeneratorOptions = {},
  ) {
    knownKeys('Generator options', opts, ['batch', 'workgroupSize']);
    const B = opts.batch ?? 1;
    if (!Number.isInteger(B) || B < 1) throw new WebRnnError('BAD_CONFIG', `Generator: batch must be a positive integer, got ${JSON.stringify(opts.batch)}`);
    this.batch = B;
    this.step = new DecoderStep(engine, model, B, 'Generator');
    try {
      this.vocab = this.step.dims.V;
      const rec = this.step.rec;
      this.steps = rec.uniform(stepSlots(new Array(CHUNK).fill({ t: 0, draw: 0 })), 'steps');
      this.pending = rec.buffer(B * U32, 'pending');
      this.capacity = 2;
      this.tokens = engine.createBuffer(this.capacity * B * U32, 'Generator:tokens');
      this.input = this.step.bindInput(this.tokens, this.steps);
      // Step t samples into tokens row t + 1.
      this.sampler = new SampleBinding(engine, rec, B, this.vocab, this.step.logits, this.tokens, B, this.steps, opts.workgroupSize);
      this.step.setState(undefined, undefined, 'Generator');
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  /** Zeroes the state (or sets it to h0 / c0 (L, B, H)), forgets the pending token, restarts the draws. */
  reset(state: { h0?: Tensor; c0?: Tensor } = {}): void {
    this.check();
    knownKeys('Generator reset', state, ['h0', 'c0'], { code: 'BAD_VALUE' });
    this.step.setState(state.h0, state.c0, 'Generator reset');
    this.hasPending = false;
    this.draws = 0;
  }

  /** The carried state: views of h (L, B, H) and, for LSTM, c — valid until the next call. */
  get state(): { h: Tensor; c?: Tensor } {
    this.check();
    const { L, H } = this.step.dims;
    const shape = [L, this.batch, H];
    const h = new Tensor(this.engine, this.step.h, shape, 0, false);
    return this.step.c ? { h, c: new Tensor(this.engine, this.step.c, shape, 0, false) } : { h };
  }

  /**
   * Generates `steps` tokens per row and reads them back once.
   * @returns ids (steps, B) row-major
   */
  async generate(opts: GenerateOptions): Promise<Uint32Array> {
    return this.run(opts).read();
  }

  /**
   * Encodes and submits a generation without reading anything back.
   * @returns a view (steps, B) of the generated ids on the GPU (a uint32 Tensor), valid until the next
   *   call (or dispose())
   */
  run(opts: GenerateOptions): Tensor<'uint32'> {
    this.check();
    knownKeys('generate options', opts, ['steps', 'prime', ...SAMPLING_KEYS], { code: 'BAD_VALUE' });
    const B = this.batch;
    const N = opts.steps;
    if (!Number.isInteger(N) || N < 0) throw new WebRnnError('BAD_VALUE', `generate: steps must be a non-negative integer, got ${JSON.stringify(N)}`);
    const sampling = resolveSampling(opts, 'generate');
    let prime: Uint32Array<ArrayBuffer> | undefined;
    if (opts.prime !== undefined) {
      const n = (opts.prime as ArrayLike<number>).length;
      if (typeof n !== 'number' || n === 0 || n % B !== 0) {
        throw new WebRnnError('BAD_SHAPE', `generate: prime must hold (P, B = ${B}) ids row-major with P ≥ 1, got ${n} ids`);
      }
      prime = checkTokens(opts.prime, [n / B, B], this.step.dims.Vin, 'generate prime');
    } else if (!this.hasPending) {
      throw new WebRnnError('BAD_STATE', 'generate: no prime given and nothing to continue from (first call, or after reset()): pass prime, e.g. a start token per row');
    }
    this.step.checkAlive();
    const P = prime ? prime.length / B : 1;
    const rows = P + N;
    this.ensureCapacity(rows);
    const first = new Program();
    if (prime) this.engine.writeBuffer(this.tokens, 0, prime);
    else first.copy(this.pending, 0, this.tokens, 0, B * U32);
    this.sampler.setOptions(sampling);

    // Step s feeds tokens row s; steps from P − 1 on also sample row s + 1 (draw counter draws + s − P + 1).
    const S = rows - 1;
    const drawBase = this.draws - (P - 1);
    for (let c0 = 0; c0 < Math.max(S, 1); c0 += CHUNK) {
      const n = Math.min(CHUNK, S - c0);
      const prog = c0 === 0 ? first : new Program();
      const slots = [];
      for (let i = 0; i < n; i++) {
        const s = c0 + i;
        slots.push({ t: s, draw: (drawBase + s) >>> 0 });
        prog.append(this.step.stateIn);
        this.input.record(prog, i);
        if (s >= P - 1) {
          prog.append(this.step.forward);
          this.sampler.record(prog, i);
        } else prog.append(this.step.plan.forward); // prime: no logits needed
        prog.append(this.step.stateOut);
      }
      if (c0 + CHUNK >= S) prog.copy(this.tokens, (rows - 1) * B * U32, this.pending, 0, B * U32);
      if (n > 0) this.engine.writeBuffer(this.steps, 0, stepSlots(slots));
      this.engine.run(prog);
    }
    this.hasPending = true;
    this.draws += N;
    return new Tensor(this.engine, this.tokens, [N, B], P * B * U32, false, 'uint32');
  }

  /** Dispatches one generated token costs (the recurrent stack, the head, the sampler, the input). */
  get dispatchesPerStep(): number {
    return this.step.forward.dispatchCount + 2;
  }

  /** Frees the workspaces (not the model's layers). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.tokens) this.engine.releaseBuffer(this.tokens);
    this.step?.dispose();
  }

  private ensureCapacity(rows: number): void {
    if (rows <= this.capacity) return;
    let cap = this.capacity;
    while (cap < rows) cap *= 2;
    const next = this.engine.createBuffer(cap * this.batch * U32, 'Generator:tokens');
    this.engine.releaseBuffer(this.tokens);
    this.tokens = next;
    this.capacity = cap;
    this.input = this.step.bindInput(next, this.steps);
    this.sampler.rebind(next);
  }

  private check(): void {
    if (this.disposed) throw new WebRnnError('DISPOSED', 'this Generator was disposed');
  }
}
