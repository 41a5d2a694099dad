import type { Engine } from '../gpu/engine.js';
import { STEP_STRIDE, type Kernel } from '../gpu/kernel.js';
import { Program } from '../gpu/program.js';
import { Recorder } from '../gpu/recorder.js';
import { WorkspaceTable } from '../gpu/workspace.js';
import type { AttentionDecoderConfig } from './attention-config.js';
import type { ParameterStore } from './parameter-store.js';
import * as shaders from '../gpu/shader-sources.gen.js';

const F32 = 4;
const ceil = (a: number, b: number) => Math.ceil(a / b);

/** Element offsets of the decoder's parameters in its flat parameter (and gradient) buffer. */
export interface AttentionOffsets {
  wq: number; // attention.query.weight (N, H) = W_s
  wk: number; // attention.key.weight (N, A) = U_a
  bk: number; // attention.key.bias (N) = b_a
  v: number; // attention.v.weight (1, N)
  wih: number; // cell.weight_ih (4H, E + A): columns [0, E) for the token input, [E, E + A) for c<t>
  whh: number; // cell.weight_hh (4H, H)
  bih: number; // cell.bias_ih (4H)
  bhh: number; // cell.bias_hh (4H)
}

/** The offsets of every parameter, from the decoder's store. */
export function attentionOffsets(store: ParameterStore): AttentionOffsets {
  return {
    wq: store.offset('attention.query.weight'),
    wk: store.offset('attention.key.weight'),
    bk: store.offset('attention.key.bias'),
    v: store.offset('attention.v.weight'),
    wih: store.offset('cell.weight_ih'),
    whh: store.offset('cell.weight_hh'),
    bih: store.offset('cell.bias_ih'),
    bhh: store.offset('cell.bias_hh'),
  };
}

/**
 * The decoder's forward workspace for (Tx, Ty, B) (float32 unless said, row-major; E input, A annotation,
 * H hidden, N attention sizes).
 */
function attentionWorkspace(c: Readonly<AttentionDecoderConfig>, Tx: number, Ty: number, B: number) {
  const { input_size: E, annotation_size: A, hidden_size: H, attention_size: N } = c;
  return new WorkspaceTable({
    lengths: { elements: B, dtype: 'u32' }, //                                  (B) target lengths
    sourceLengths: { elements: B, dtype: 'u32', label: 'source_lengths' }, //   (B) source lengths
    x: { elements: Ty * B * E }, //                                             (Ty, B, E) token inputs
    ann: { elements: Tx * B * A, label: 'annotations' }, //                     (Tx, B, A) annotations
    qk: { elements: (Ty + Tx) * B * N, label: 'queries|keys' }, //              queries (Ty, B, N) | keys (Tx, B, N)
    gx: { elements: Ty * B * 4 * H }, //                                        (Ty, B, 4H) x·W_ihxᵀ + b_ih (+ c·W_ihcᵀ per step)
    hs: { elements: (Ty + 1) * B * H }, //                                      (Ty+1, B, H) states, slot t = s<t−1> (slot 0 stays 0)
    cs: { elements: (Ty + 1) * B * H }, //                                      (Ty+1, B, H) cell states, as hs
    act: { elements: Ty * B * 4 * H }, //                                       (Ty, B, 4H) gates i, f, g, o
    y: { elements: Ty * B * H }, //                                             (Ty, B, H) decoder output s<t> (0 when padded)
    alpha: { elements: Ty * B * Tx }, //                                        (Ty, B, Tx) attention weights
    ctx: { elements: Ty * B * A, label: 'context' }, //                         (Ty, B, A) contexts c<t>
  });
}

/** The decoder's backward workspace, as {@link attentionWorkspace}'s. */
function attentionBackwardWorkspace(c: Readonly<AttentionDecoderConfig>, Tx: number, Ty: number, B: number) {
  const { input_size: E, annotation_size: A, hidden_size: H, attention_size: N } = c;
  return new WorkspaceTable({
    dy: { elements: Ty * B * H }, //                                            (Ty, B, H) dL/d(output)
    dg: { elements: Ty * B * 4 * H }, //                                        (Ty, B, 4H) gate pre-activation gradients
    carryH: { elements: B * H, label: 'carry_h' }, //                           (B, H)
    carryC: { elements: B * H, label: 'carry_c' }, //                           (B, H)
    dctx: { elements: Ty * B * A }, //                                          (Ty, B, A)
    dscore: { elements: Ty * B * Tx }, //                                       (Ty, B, Tx)
    dattn: { elements: (2 * Ty + Tx) * B * N, label: 'dq|dv_part|dk' }, //      dq (Ty, B, N) | dv_part (Ty, B, N) | dk (Tx, B, N)
    dx: { elements: Ty * B * E }, //                                            (Ty, B, E)
    dann: { elements: Tx * B * A }, //                                          (Tx, B, A)
  });
}

export type AttentionWorkspace = ReturnType<ReturnType<typeof attentionWorkspace>['allocate']>;
export type AttentionBackwardWorkspace = ReturnType<ReturnType<typeof attentionBackwardWorkspace>['allocate']>;

/**
 * The GPU work of an attention decoder for one (Tx, Ty, B): every workspace buffer and the recorded
 * programs, with their pipelines, bind groups and Params uniforms, built once and replayed per call.
 *
 * Workspaces: {@link attentionWorkspace} and {@link attentionBackwardWorkspace}.
 *
 * Dispatches per decoder step — forward: q = W_s s<t−1> (matmul; none at t = 0, where s<−1> = 0),
 * additive_attention_fwd, gx[t] += c<t>·W_ihcᵀ (matmul), lstm_step_fwd. Backward (reverse order):
 * lstm_step_bwd, dc<s> = dG<s>·W_ihc (matmul), additive_attention_bwd, carry_h += dq<s>·W_s (matmul;
 * none at s = 0). Everything else is a GEMM or column sum over all steps at once.
 */
export class AttentionPlan {
  /** The whole teacher-forced forward. */
  readonly forward = new Program();
  backward: Program | undefined;

  /** the forward workspace ({@link attentionWorkspace}) */
  readonly ws: AttentionWorkspace;
  /** the backward workspace ({@link attentionBackwardWorkspace}), allocated on the first backward */
  bws: AttentionBackwardWorkspace | undefined;
  private readonly steps: GPUBuffer;
  /** Per step: q, attention, gx accumulate, LSTM step (shared by the forward and the decoding programs). */
  private readonly stepOps: Program[] = [];
  private readonly keysOp = new Program();
  /** Decoding (built on first use): keys, then per step the token-input projection and stepOps[t]. */
  private decodeStart: Program | undefined;
  private decodeSteps: Program[] = [];
  private readonly rec: Recorder;
  private readonly E: number;
  private readonly A: number;
  private readonly H: number;
  private readonly N: number;

  constructor(
    private readonly engine: Engine,
    private readonly config: Readonly<AttentionDecoderConfig>,
    private readonly o: AttentionOffsets,
    private readonly params: GPUBuffer,
    private readonly grads: GPUBuffer,
    readonly Tx: number,
    readonly Ty: number,
    readonly B: number,
  ) {
    this.E = config.input_size;
    this.A = config.annotation_size;
    this.H = config.hidden_size;
    this.N = config.attention_size;
    this.rec = new Recorder(engine, 'AttentionDecoder');
    const table = attentionWorkspace(config, Tx, Ty, B);
    // the step-index uniform first, then every workspace buffer: checked before anything is built
    engine.checkBufferSize(Ty * STEP_STRIDE, 'AttentionDecoder:steps', GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    table.check(this.rec);
    // Anything built before a failure (e.g. a DEVICE_LIMIT error) is freed, not leaked.
    try {
      this.ws = table.allocate(this.rec);
      // Step i's index sits at byte i·STEP_STRIDE (dynamic offsets), written in chunks.
      this.steps = this.rec.steps(Ty, 'steps');
      this.recordForward();
    } catch (e) {
      this.rec.dispose();
      throw e;
    }
  }

  private stepGroup(k: Kernel): GPUBindGroup {
    return k.bindGroup(1, { step: this.steps }, 'steps');
  }

  /** gx rows [t0, t0 + T) = x rows · W_ih[:, :E]ᵀ + b_ih. */
  private inputProjection(prog: Program, t0: number, T: number, label: string): void {
    const { B, E, A, H, o } = this;
    this.rec.matmul(prog, label, {
      M: T * B, N: 4 * H, K: E,
      a_off: t0 * B * E, a_rs: E, a_cs: 1,
      b_off: o.wih, b_rs: 1, b_cs: E + A,
      c_off: t0 * B * 4 * H, c_rs: 4 * H,
      bias_off: o.bih,
    }, this.ws.x, this.params, this.ws.gx, 1, this.params);
  }

  private recordForward(): void {
    const { Tx, Ty, B, E, A, H, N, o, rec } = this;
    // keys = a·U_aᵀ + b_a for all Tx·B rows.
    rec.matmul(this.keysOp, 'keys = a·U_aᵀ + b_a', {
      M: Tx * B, N, K: A,
      a_rs: A, a_cs: 1,
      b_off: o.wk, b_rs: 1, b_cs: A,
      c_off: Ty * B * N, c_rs: N,
      bias_off: o.bk,
    }, this.ws.ann, this.params, this.ws.qk, 1, this.params);
    const inputs = new Program();
    this.inputProjection(inputs, 0, Ty, 'gx = x·W_ihxᵀ + b_ih');

    const ka = this.engine.kernel(shaders.additive_attention_fwd);
    const ga = rec.bind(ka, { Tx, B, A, N, v_off: o.v, k_off: Ty * B * N }, {
      lengths: this.ws.sourceLengths, w: this.params, qk: this.ws.qk, ann: this.ws.ann, alpha: this.ws.alpha, ctx: this.ws.ctx,
    }, 'attention');
    const kl = this.engine.kernel(shaders.lstm_step_fwd);
    const gl = rec.bind(kl, {
      T: Ty, B, H, D: 1, R: H, proj: 0, w_off: o.whh, bhh_off: o.bhh, ph_off: 0, dir_stride: 0, bias: 1, peephole: 0,
      // PyTorch's LSTM cell: σ, tanh, tanh, no clip (the step kernel's ONNX options off)
      act_f: 0, act_g: 1, act_h: 1, alpha_f: 0, beta_f: 0, alpha_g: 0, beta_g: 0, alpha_h: 0, beta_h: 0, clip: 0, input_forget: 0,
    }, {
      // wt (W_hhᵀ) is read by the coalesced step variant only; the decoder runs the per-step form
      lengths: this.ws.lengths, w: this.params, gx: this.ws.gx, hs: this.ws.hs, cs: this.ws.cs, act: this.ws.act, y: this.ws.y, wt: this.params,
    }, 'cell');
    const attention = [ga, this.stepGroup(ka)];
    const cell = [gl, this.stepGroup(kl)];
    for (let t = 0; t < Ty; t++) {
      const p = new Program();
      if (t > 0) {
        rec.matmul(p, `q<${t}> = s<${t - 1}>·W_sᵀ`, {
          M: B, N, K: H,
          a_off: t * B * H, a_rs: H, a_cs: 1,
          b_off: o.wq, b_rs: 1, b_cs: H,
          c_off: t * B * N, c_rs: N,
        }, this.ws.hs, this.params, this.ws.qk);
      }
      p.dispatch(ka, attention, [B, 1, 1], t);
      rec.matmul(p, `gx<${t}> += c<${t}>·W_ihcᵀ`, {
        M: B, N: 4 * H, K: A,
        a_off: t * B * A, a_rs: A, a_cs: 1,
        b_off: o.wih + E, b_rs: 1, b_cs: E + A,
        c_off: t * B * 4 * H, c_rs: 4 * H, accumulate: 1,
      }, this.ws.ctx, this.params, this.ws.gx);
      p.dispatch(kl, cell, [ceil(H, 64), ceil(B, 4), 1], t);
      this.stepOps.push(p);
    }
    this.forward.ops.push(...this.keysOp.ops, ...inputs.ops);
    for (const p of this.stepOps) this.forward.ops.push(...p.ops);
  }

  /** The decoding programs: `start` (keys), then `steps[t]` runs step t from x rows t (built once). */
  decoding(): { start: Program; steps: Program[] } {
    if (!this.decodeStart) {
      const steps: Program[] = [];
      for (let t = 0; t < this.Ty; t++) {
        const p = new Program();
        this.inputProjection(p, t, 1, `gx<${t}> = x<${t}>·W_ihxᵀ + b_ih`);
        p.ops.push(...this.stepOps[t].ops);
        steps.push(p);
      }
      this.decodeSteps = steps;
      this.decodeStart = this.keysOp;
    }
    return { start: this.decodeStart, steps: this.decodeSteps };
  }

  /** Allocates the backward workspace and records the backward program (once per plan). */
  ensureBackward(): AttentionBackwardWorkspace {
    if (this.backward && this.bws) return this.bws;
    const { Tx, Ty, B, E, A, H, N, o, rec } = this;
    const G = 4 * H;
    const TB = Ty * B;
    const table = attentionBackwardWorkspace(this.config, Tx, Ty, B);
    table.check(rec);
    const bw = table.allocate(rec);
    const { dy, dg, carryH, carryC, dctx, dscore, dattn, dx, dann } = bw;
    const dqOff = 0;
    const dvOff = TB * N;
    const dkOff = 2 * TB * N;

    const prog = new Program();
    prog.clear(carryH, 0, table.bytes.carryH);
    prog.clear(carryC, 0, table.bytes.carryC);
    prog.clear(dattn, dkOff * F32, Tx * B * N * F32);
    const kl = this.engine.kernel(shaders.lstm_step_bwd);
    const gl = rec.bind(kl, { T: Ty, B, H, D: 1, R: H, proj: 0, w_off: o.whh, hr_off: 0, ph_off: 0, dir_stride: 0, peephole: 0 }, {
      lengths: this.ws.lengths, w: this.params, act: this.ws.act, cs: this.ws.cs, dy, dg, carry_h: carryH, carry_c: carryC,
    }, 'cell backward');
    const ka = this.engine.kernel(shaders.additive_attention_bwd);
    const ga = rec.bind(ka, { Tx, B, A, N, v_off: o.v, k_off: TB * N, dq_off: dqOff, dv_off: dvOff, dk_off: dkOff }, {
      lengths: this.ws.sourceLengths, w: this.params, qk: this.ws.qk, ann: this.ws.ann, alpha: this.ws.alpha, dctx, dscore, dattn,
    }, 'attention backward');
    const cell = [gl, this.stepGroup(kl)];
    const attention = [ga, this.stepGroup(ka)];
    for (let i = 0; i < Ty; i++) {
      const s = Ty - 1 - i;
      // lstm_step_bwd's dispatch i is step s; it reads carry_h, which holds dL/ds<s> from the attention of step s + 1.
      prog.dispatch(kl, cell, [ceil(H, 64), ceil(B, 4), 1], i);
      rec.matmul(prog, `dc<${s}> = dG<${s}>·W_ihc`, {
        M: B, N: A, K: G,
        a_off: s * B * G, a_rs: G, a_cs: 1,
        b_off: o.wih + E, b_rs: E + A, b_cs: 1,
        c_off: s * B * A, c_rs: A,
      }, dg, this.params, dctx);
      prog.dispatch(ka, attention, [B, 1, 1], s);
      if (s > 0) {
        rec.matmul(prog, `carry_h += dq<${s}>·W_s`, {
          M: B, N: H, K: N,
          a_off: dqOff + s * B * N, a_rs: N, a_cs: 1,
          b_off: o.wq, b_rs: H, b_cs: 1,
          c_rs: H, accumulate: 1,
        }, dattn, this.params, carryH);
      }
    }

    // Weight gradients over all steps at once (masked steps have dG = 0 and add nothing).
    rec.matmul(prog, 'dW_ihx = dGᵀ·x', {
      M: G, N: E, K: TB, a_rs: 1, a_cs: G, b_rs: E, b_cs: 1, c_off: o.wih, c_rs: E + A,
    }, dg, this.ws.x, this.grads);
    rec.matmul(prog, 'dW_ihc = dGᵀ·c', {
      M: G, N: A, K: TB, a_rs: 1, a_cs: G, b_rs: A, b_cs: 1, c_off: o.wih + E, c_rs: E + A,
    }, dg, this.ws.ctx, this.grads);
    rec.matmul(prog, 'dW_hh = dGᵀ·s<t−1>', {
      M: G, N: H, K: TB, a_rs: 1, a_cs: G, b_rs: H, b_cs: 1, c_off: o.whh, c_rs: H,
    }, dg, this.ws.hs, this.grads);
    rec.sumRows(prog, 'db_ih', { M: TB, N: G, a_rs: G, out_off: o.bih }, dg, this.grads);
    rec.sumRows(prog, 'db_hh', { M: TB, N: G, a_rs: G, out_off: o.bhh }, dg, this.grads);
    rec.matmul(prog, 'dW_s = dqᵀ·s<t−1>', {
      M: N, N: H, K: TB, a_off: dqOff, a_rs: 1, a_cs: N, b_rs: H, b_cs: 1, c_off: o.wq, c_rs: H,
    }, dattn, this.ws.hs, this.grads);
    rec.matmul(prog, 'dU_a = dkᵀ·a', {
      M: N, N: A, K: Tx * B, a_off: dkOff, a_rs: 1, a_cs: N, b_rs: A, b_cs: 1, c_off: o.wk, c_rs: A,
    }, dattn, this.ws.ann, this.grads);
    rec.sumRows(prog, 'db_a', { M: Tx * B, N, a_off: dkOff, a_rs: N, out_off: o.bk }, dattn, this.grads);
    rec.sumRows(prog, 'dv', { M: TB, N, a_off: dvOff, a_rs: N, out_off: o.v }, dattn, this.grads);
    // dA[t', b, :] = Σ_s α<s>[b, t'] · dc<s>[b, :] — per batch row b (grid z) a (Tx × Ty)·(Ty × A) product ...
    rec.matmul(prog, 'dA = αᵀ·dc', {
      M: Tx, N: A, K: Ty,
      a_rs: 1, a_cs: B * Tx, a_zs: Tx,
      b_rs: B * A, b_cs: 1, b_zs: A,
      c_rs: B * A, c_zs: A,
    }, this.ws.alpha, dctx, dann, B);
    // ... plus the keys' path dk·U_a.
    rec.matmul(prog, 'dA += dk·U_a', {
      M: Tx * B, N: A, K: N, a_off: dkOff, a_rs: N, a_cs: 1, b_off: o.wk, b_rs: A, b_cs: 1, c_rs: A, accumulate: 1,
    }, dattn, this.params, dann);
    rec.matmul(prog, 'dx = dG·W_ihx', {
      M: TB, N: E, K: G, a_rs: G, a_cs: 1, b_off: o.wih, b_rs: E + A, b_cs: 1, c_rs: E,
    }, dg, this.params, dx);
    this.bws = bw;
    this.backward = prog;
    return bw;
  }

  dispose(): void {
    this.rec.dispose();
  }
}
