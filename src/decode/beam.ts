import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { Program } from '../gpu/program.js';
import type { Tensor } from '../gpu/tensor.js';
import { intOption, knownKeys } from '../checks.js';
import { expectShape } from '../gpu/tensor-checks.js';
import { foldedGrid } from '../layers/grid.js';
import { checkTokens, type TokenIds } from '../layers/tokens.js';
import type { SequenceModel } from '../model/sequence-model.js';
import { DecoderStep, type DecoderModel } from './decoder-step.js';
import { stepSlots } from './sampling.js';
import * as shaders from '../gpu/shader-sources.gen.js';

export interface BeamSearchOptions {
  /**
   * Input tokens (P ≥ 1): all but the last are fed first to set the state; the last is every beam's
   * first input (e.g. [SOS], or a prompt ending in it).
   */
  prime: TokenIds;
  /** Most tokens a hypothesis may have (Ty ≤ max_length, its EOS included). */
  max_length: number;
  /** The end-of-sequence id: a hypothesis that emits it is finished and set aside. Absent: none. */
  eos?: number;
  /** Length-normalisation exponent α of score = (1 / Ty^α) Σ log P (default 0.7; 0: raw log-prob). */
  alpha?: number;
  /** Initial hidden state (L, 1, H) shared by all beams (e.g. an encoder's h_n); zeros when absent. */
  h0?: Tensor;
  /** Initial cell state (L, 1, H), LSTM only. */
  c0?: Tensor;
}

/** One result of a beam search. */
export interface Hypothesis {
  /** The generated tokens (prime excluded), ending with EOS when finished. */
  tokens: number[];
  /** Σ_t log P(y<t> | y<1..t−1>, prime), accumulated in float32 on the GPU. */
  log_prob: number;
  /** log_prob / Ty^α, Ty = tokens.length: what hypotheses are ranked by. */
  score: number;
  /** true: ended with EOS; false: stopped at max_length. */
  finished: boolean;
}

const NONE = 0xffffffff;
const F32 = 4;

/**
 * Beam search over a {@link DecoderModel} (or a {@link SequenceModel}) on the GPU, for one sequence with beam width K (the K beams
 * are the K batch rows of the model).
 *
 * Each step runs on the GPU: reorder the recurrent state by the beams' parents (gather_rows), embed
 * the beams' last tokens, run the recurrent stack and head for the K rows, log-softmax every row plus
 * its beam's accumulated log-prob (log_softmax_rows: the scores of all K·V one-token extensions), and
 * the top 2K of those K·V candidates (topk_rows, twice: per row, then across rows; ties broken by the
 * lower beam, then the lower token id). The CPU then reads back only those 2K (score, index) pairs —
 * one small readback per step, needed anyway to decide when to stop — keeps EOS candidates ranked in
 * the top K as finished hypotheses, keeps the best K others as the next beams, and writes back K
 * parents, tokens and scores (3K numbers).
 *
 * Ranking follows Hugging Face's BeamSearchScorer: beams are chosen by raw accumulated log-prob;
 * hypotheses are compared by the course's length-normalised score (1/Ty^α) Σ log P. The search stops
 * when K hypotheses are finished or at max_length (live beams then count as unfinished hypotheses).
 *
 * @example
 * const beam = new BeamSearch(engine, { embedding: emb, recurrent: lstm, head }, { beam_width: 4 });
 * const best = await beam.search({ prime: [BOS_ID], max_length: 20, eos: EOS_ID, alpha: 0.7 });
 * console.log(best[0].tokens, best[0].score);
 * beam.dispose();
 */
export class BeamSearch {
  readonly beam_width: number;
  private readonly step: DecoderStep;
  private readonly K: number;
  private readonly M: number;
  private readonly beamTokens: GPUBuffer;
  private readonly parents: GPUBuffer;
  private readonly scores: GPUBuffer;
  private readonly best: GPUBuffer;
  private readonly input = new Program();
  private readonly reorder = new Program();
  private readonly score = new Program();
  private disposed = false;

  constructor(
    private readonly engine: Engine,
    /** the pieces, or a {@link SequenceModel} as it is */
    model: DecoderModel | SequenceModel,
    opts: { beam_width: number },
  ) {
    knownKeys('BeamSearch options', opts, ['beam_width']);
    const K = intOption('BeamSearch', 'beam_width', opts?.beam_width);
    this.beam_width = this.K = K;
    this.M = 2 * K;
    this.step = new DecoderStep(engine, model, K, 'BeamSearch');
    try {
      const rec = this.step.rec;
      const { V, L, H } = this.step.dims;
      const M = this.M;
      this.beamTokens = rec.buffer(K * 4, 'beam tokens');
      this.parents = rec.buffer(K * 4, 'parents');
      this.scores = rec.buffer(K * F32, 'beam scores');
      const lp = rec.buffer(K * V * F32, 'candidate scores');
      const cand = rec.buffer(K * M * 2 * 4, 'row top-M');
      this.best = rec.buffer(M * 2 * 4, 'top-M');
      const steps = rec.uniform(stepSlots([{ t: 0, draw: 0 }]), 'steps');
      this.step.bindInput(this.beamTokens, steps).record(this.input, 0);

      const g = engine.kernel(shaders.gather_rows);
      const plan = this.step.plan;
      for (let l = 0; l < L; l++) {
        for (const [src, dst, state] of [[this.step.h, plan.ws.hs[l], 'h'], [this.step.c, plan.ws.cs[l], 'c']] as const) {
          if (!src || !dst) continue;
          const p = { K, F: H, S: K, src_off: l * K * H, out_off: plan.initialSlot(0, state) / F32 };
          this.reorder.dispatch(g, [rec.bind(g, p, { idx: this.parents, src, out: dst }, `reorder l${l}`)], foldedGrid(engine, Math.ceil((K * H) / 64)));
        }
      }
      const ls = engine.kernel(shaders.log_softmax_rows);
      this.score.dispatch(ls, [rec.bind(ls, { R: K, V, x_off: 0, has_add: 1 }, { x: this.step.logits, add: this.scores, out: lp }, 'log-probs + beam scores')], foldedGrid(engine, K));
      const tk = engine.kernel(shaders.topk_rows);
      this.score.dispatch(tk, [rec.bind(tk, { R: K, C: V, M, pairs: 0, vals_off: 0 }, { vals: lp, pairs_in: lp, out: cand }, 'top-M per beam')], foldedGrid(engine, K));
      this.score.dispatch(tk, [rec.bind(tk, { R: 1, C: K * M, M, pairs: 1, vals_off: 0 }, { vals: lp, pairs_in: cand, out: this.best }, 'top-M of K·M')], [1, 1, 1]);
    } catch (e) {
      this.step.dispose();
      throw e;
    }
  }

  /**
   * Runs a beam search from `prime`.
   * @returns up to beam_width hypotheses, best score first
   */
  async search(opts: BeamSearchOptions): Promise<Hypothesis[]> {
    if (this.disposed) throw new WebRnnError('DISPOSED', 'this BeamSearch was disposed');
    knownKeys('beam search options', opts, ['prime', 'max_length', 'eos', 'alpha', 'h0', 'c0'], { code: 'BAD_VALUE' });
    const { K, M } = this;
    const { V, Vin, L, H, lstm } = this.step.dims;
    const n = (opts.prime as ArrayLike<number>)?.length;
    if (typeof n !== 'number' || n < 1) throw new WebRnnError('BAD_SHAPE', 'beam search: prime needs at least one token (e.g. [SOS])');
    const prime = checkTokens(opts.prime, [n], Vin, 'beam search prime');
    const maxLen = intOption('beam search', 'max_length', opts.max_length, { code: 'BAD_VALUE' });
    const eos = opts.eos;
    if (eos !== undefined && !(Number.isInteger(eos) && eos >= 0 && eos < V)) throw new WebRnnError('BAD_VALUE', `beam search: eos must be an id in [0, ${V}), got ${JSON.stringify(eos)}`);
    const alpha = opts.alpha ?? 0.7;
    if (typeof alpha !== 'number' || !Number.isFinite(alpha)) throw new WebRnnError('BAD_VALUE', `beam search: alpha must be a finite number, got ${JSON.stringify(opts.alpha)}`);
    const stateShape = [L, 1, H];
    if (opts.h0 !== undefined) expectShape(opts.h0, 'beam search h0', stateShape);
    if (opts.c0 !== undefined) {
      if (!lstm) throw new WebRnnError('BAD_SHAPE', 'beam search: c0 is for LSTM only');
      expectShape(opts.c0, 'beam search c0', stateShape);
    }
    this.step.checkAlive();

    // Initial state, broadcast to the K rows.
    const init = new Program();
    const row = H * F32;
    for (const [given, buf] of [[opts.h0, this.step.h], [opts.c0, this.step.c]] as const) {
      if (!buf) continue;
      if (!given) init.clear(buf, 0, L * K * row);
      else for (let l = 0; l < L; l++) for (let k = 0; k < K; k++) init.copy(given.buffer, given.byteOffset + l * row, buf, (l * K + k) * row, row);
    }
    const identity = Uint32Array.from({ length: K }, (_, k) => k);
    this.engine.writeBuffer(this.parents, 0, identity);
    this.engine.run(init);
    const feed = (tokens: Uint32Array<ArrayBuffer>, programs: Program[]) => {
      this.engine.writeBuffer(this.beamTokens, 0, tokens);
      this.engine.run(this.reorder, this.input, ...programs, this.step.stateOut);
    };
    // Prime tokens only move the state (no head, no scores); every row holds the same.
    for (let s = 0; s + 1 < prime.length; s++) feed(new Uint32Array(K).fill(prime[s]), [this.step.plan.forward]);

    type Beam = { tokens: number[]; logp: number };
    let live: Beam[] = [{ tokens: [], logp: 0 }];
    const finished: Hypothesis[] = [];
    const scores = new Float32Array(K).fill(-Infinity);
    scores[0] = 0;
    let tokens = new Uint32Array(K).fill(prime[prime.length - 1]);
    for (let len = 1; len <= maxLen; len++) {
      this.engine.writeBuffer(this.scores, 0, scores);
      feed(tokens, [this.step.forward, this.score]);
      const raw = await this.engine.readBuffer(this.best, 0, 2 * M);
      const bits = new Uint32Array(raw.buffer, raw.byteOffset, 2 * M);
      const next: (Beam & { parent: number; token: number })[] = [];
      for (let j = 0; j < M && next.length < K; j++) {
        const idx = bits[2 * j + 1];
        const logp = raw[2 * j];
        if (idx === NONE || !(logp > -Infinity)) break; // sorted: the rest are −∞ too
        const parent = Math.floor(idx / V);
        const token = idx - parent * V;
        const seq = [...live[parent].tokens, token];
        if (token === eos) {
          // Hugging Face's rule: an EOS counts only when ranked among the top K candidates.
          if (j < K) finished.push({ tokens: seq, log_prob: logp, score: logp / Math.pow(len, alpha), finished: true });
          continue;
        }
        next.push({ tokens: seq, logp, parent, token });
      }
      if (finished.length >= K || next.length === 0) break;
      if (len === maxLen) {
        for (const b of next) finished.push({ tokens: b.tokens, log_prob: b.logp, score: b.logp / Math.pow(len, alpha), finished: false });
        break;
      }
      live = next;
      const parents = new Uint32Array(K);
      tokens = new Uint32Array(K);
      scores.fill(-Infinity);
      next.forEach((b, k) => {
        parents[k] = b.parent;
        tokens[k] = b.token;
        scores[k] = b.logp;
      });
      this.engine.writeBuffer(this.parents, 0, parents);
    }
    // Stable sort: equal scores keep the order they were found in.
    return finished.sort((a, b) => b.score - a.score).slice(0, K);
  }

  /** Frees the workspaces (not the model's layers). */
  dispose(): void {
    if (this.disposed) return;
    this.step.dispose();
    this.disposed = true;
  }
}

/**
 * One beam search with a temporary {@link BeamSearch} (built, run, freed).
 *
 * @example
 * // a SequenceModel as it is, or the pieces { embedding, recurrent, head }
 * const [best] = await beamSearch(engine, model, { beam_width: 3, prime: [BOS_ID], max_length: 30, eos: EOS_ID });
 */
export async function beamSearch(engine: Engine, model: DecoderModel | SequenceModel, opts: BeamSearchOptions & { beam_width: number }): Promise<Hypothesis[]> {
  const { beam_width, ...rest } = opts;
  const b = new BeamSearch(engine, model, { beam_width });
  try {
    return await b.search(rest);
  } finally {
    b.dispose();
  }
}
