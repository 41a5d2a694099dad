import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { Program } from '../gpu/program.js';
import { Recorder } from '../gpu/recorder.js';
import { Tensor } from '../gpu/tensor.js';
import { flag, knownKeys } from '../checks.js';
import { liveTensor } from '../gpu/tensor-checks.js';
import { foldedGrid } from '../layers/grid.js';
import type { LossResult, Reduction } from '../losses/loss.js';
import { recordSum } from '../losses/reduction.js';
import * as shaders from '../gpu/shader-sources.gen.js';

/** Constructor arguments of a {@link CtcLoss}: torch.nn.CTCLoss's names and defaults. */
export interface CtcLossConfig {
  /** The blank class id (default 0). */
  blank?: number;
  /**
   * 'mean' (default): each row's loss divided by its target length (at least 1), then averaged over
   * the batch; 'sum': the rows' losses added.
   */
  reduction?: Reduction;
  /**
   * Rows that cannot be aligned (input shorter than the target plus its repeated neighbours) give
   * loss 0 and zero gradient instead of +∞ and NaN (default false, as torch).
   */
  zero_infinity?: boolean;
}

/** What {@link CtcLoss.forward} returns: views of the loss's workspace, valid until its next forward. */
export interface CtcLossResult extends LossResult {
  /** (B) each row's −log p(target | input) before the reduction (torch's reduction='none'). */
  losses: Tensor;
}

const F32 = 4;
const WG = 64;

/**
 * Connectionist temporal classification (Graves et al., 2006) on the GPU: the loss of labelling each
 * row of a (T, B, C) logits tensor with a target sequence, summed over every alignment (blanks
 * between labels, repeated frames collapsed), and d loss / d logits from the same call.
 *
 * Matches `torch.nn.CTCLoss(blank, reduction, zero_infinity)(logits.log_softmax(2), targets,
 * input_lengths, target_lengths)` and its gradient with respect to the logits: the log-softmax is
 * applied here (log_softmax_rows), then the forward variables α (ctc_alpha) and backward variables
 * β (ctc_beta) run in log space with max-subtracted log-sum-exp, one workgroup per row walking the
 * time steps (each step rescaled by its maximum, so float32 stays accurate over long inputs), and
 * ctc_grad turns α·β into softmax minus the per-class posterior, normalised per step. The batch loss
 * is a fixed-order sum (reduce_sum): the same bits every run. Targets and lengths are checked on the
 * CPU before any GPU work.
 *
 * @example
 * const ctc = new CtcLoss(engine, { blank: 0 });
 * const x = engine.tensor(new Float32Array(6 * 2 * 8), [6, 2, 8]);     // (T, B, I) features; lstm's input_size 8
 * const lengths = [6, 4];
 * const logits = head.forward(lstm.forward(x, { lengths }).output);    // (T, B, C), class 0 the blank
 * const { loss, grad_input } = ctc.forward(logits, [[3, 1, 4], [1, 5]], { input_lengths: lengths });
 * lstm.backward({ grad_output: head.backward(grad_input).grad_input });
 * console.log((await loss.read())[0]);
 */
export class CtcLoss {
  readonly blank: number;
  readonly reduction: Reduction;
  readonly zero_infinity: boolean;
  private readonly engine: Engine;
  private plan: CtcPlan | undefined;
  private disposed = false;

  constructor(engine: Engine, config: CtcLossConfig = {}) {
    knownKeys('CtcLoss', config, ['blank', 'reduction', 'zero_infinity']);
    const blank = config.blank ?? 0;
    if (typeof blank !== 'number' || !Number.isInteger(blank) || blank < 0) {
      throw new WebRnnError('BAD_CONFIG', `CtcLoss: blank must be a non-negative integer, got ${JSON.stringify(config.blank)}`);
    }
    const r = config.reduction ?? 'mean';
    if (r !== 'mean' && r !== 'sum') throw new WebRnnError('BAD_CONFIG', `CtcLoss: reduction must be 'mean' or 'sum', got ${JSON.stringify(r)}`);
    this.engine = engine;
    this.blank = blank;
    this.reduction = r;
    this.zero_infinity = flag('CtcLoss', 'zero_infinity', config.zero_infinity, false);
  }

  /**
   * @param logits (T, B, C) time-major, unnormalised (log-softmax is applied here); C > blank
   * @param targets B label sequences, each label in [0, C) and not the blank; may be empty
   * @param opts.input_lengths valid steps per row, each 1..T (default T)
   */
  forward(logits: Tensor, targets: readonly ArrayLike<number>[], opts: { input_lengths?: ArrayLike<number> } = {}): CtcLossResult {
    if (this.disposed) throw new WebRnnError('DISPOSED', 'this CtcLoss was disposed');
    liveTensor(logits, 'CtcLoss logits');
    knownKeys('CtcLoss forward options', opts, ['input_lengths'], { code: 'BAD_VALUE' });
    if (logits.shape.length !== 3) throw new WebRnnError('BAD_SHAPE', `CtcLoss logits must be (T, B, C), got shape [${logits.shape.join(', ')}]`);
    const [T, B, C] = logits.shape;
    if (T < 1 || B < 1) throw new WebRnnError('BAD_SHAPE', `CtcLoss logits must have T ≥ 1 and B ≥ 1, got shape [${logits.shape.join(', ')}]`);
    if (this.blank >= C) throw new WebRnnError('BAD_SHAPE', `CtcLoss: blank = ${this.blank} needs C > ${this.blank} classes, logits have C = ${C}`);
    const { info, Lmax } = ctcRowInfo(targets, opts.input_lengths, T, B, C, this.blank, this.zero_infinity);
    const weights = new Float32Array(B);
    for (let b = 0; b < B; b++) weights[b] = this.reduction === 'sum' ? 1 : 1 / (Math.max(1, info[b * 4 + 1]) * B);

    const plan = this.planFor(T, B, C, Lmax, info.length);
    this.engine.writeBuffer(plan.info, 0, info);
    this.engine.writeBuffer(plan.weights, 0, weights);
    const pre = new Program();
    pre.copy(logits.buffer, logits.byteOffset, plan.logits, 0, logits.size * F32);
    this.engine.run(pre, plan.prog);
    return {
      loss: new Tensor(this.engine, plan.loss, [], 0, false),
      grad_input: new Tensor(this.engine, plan.grad, [T, B, C], 0, false),
      losses: new Tensor(this.engine, plan.losses, [B], 0, false),
    };
  }

  /** Frees the workspace. */
  dispose(): void {
    this.plan?.rec.dispose();
    this.plan = undefined;
    this.disposed = true;
  }

  private planFor(T: number, B: number, C: number, Lmax: number, infoLength: number): CtcPlan {
    const p = this.plan;
    // A plan made for longer targets serves shorter ones: alpha and beta rows are strided by its S.
    if (p && p.T === T && p.B === B && p.C === C && p.Lcap >= Lmax && p.infoCapacity >= infoLength) return p;
    p?.rec.dispose();
    this.plan = undefined;
    // Rounded up so that batches whose longest target varies a little reuse one plan.
    const Lcap = Math.max(Lmax, p && p.T === T && p.B === B && p.C === C ? p.Lcap : 0, Math.ceil(Lmax / 8) * 8);
    this.plan = new CtcPlan(this.engine, T, B, C, Lcap, this.blank);
    return this.plan;
  }
}

/**
 * Checks targets and input lengths (before any GPU work) and packs them for the kernels:
 * (B, 4) u32 rows [T_b, L_b, index of the row's first label, status] followed by the labels.
 * status: 0 alignable, 1 impossible with zero_infinity (loss 0), 2 impossible (loss +∞, NaN gradient).
 */
export function ctcRowInfo(
  targets: readonly ArrayLike<number>[],
  inputLengths: ArrayLike<number> | undefined,
  T: number,
  B: number,
  C: number,
  blank: number,
  zeroInfinity: boolean,
): { info: Uint32Array<ArrayBuffer>; Lmax: number } {
  if (!Array.isArray(targets) || targets.length !== B) {
    throw new WebRnnError('BAD_SHAPE', `CtcLoss: targets must be an array of B = ${B} label sequences, got ${Array.isArray(targets) ? targets.length : typeof targets}`);
  }
  if (inputLengths !== undefined && inputLengths.length !== B) {
    throw new WebRnnError('BAD_LENGTHS', `CtcLoss: input_lengths must have B = ${B} entries, got ${inputLengths.length}`);
  }
  let total = 0;
  let Lmax = 0;
  for (let b = 0; b < B; b++) {
    const t = targets[b];
    if (t === null || typeof t !== 'object' || typeof t.length !== 'number') throw new WebRnnError('BAD_VALUE', `CtcLoss: targets[${b}] must be an array of label ids`);
    total += t.length;
    Lmax = Math.max(Lmax, t.length);
  }
  const info = new Uint32Array(4 * B + total);
  let off = 4 * B;
  for (let b = 0; b < B; b++) {
    const Tb = inputLengths === undefined ? T : inputLengths[b];
    if (typeof Tb !== 'number' || !Number.isInteger(Tb) || Tb < 1 || Tb > T) {
      throw new WebRnnError('BAD_LENGTHS', `CtcLoss: input_lengths[${b}] = ${Tb}, must be an integer in 1..T = 1..${T}`);
    }
    const labels = targets[b];
    let need = labels.length;
    for (let i = 0; i < labels.length; i++) {
      const v = labels[i];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= C || v === blank) {
        throw new WebRnnError('BAD_VALUE', `CtcLoss: targets[${b}][${i}] = ${v}, must be a class id in [0, ${C}) other than the blank (${blank})`);
      }
      if (i > 0 && v === labels[i - 1]) need++;
      info[off + i] = v;
    }
    info[b * 4] = Tb;
    info[b * 4 + 1] = labels.length;
    info[b * 4 + 2] = off;
    info[b * 4 + 3] = Tb >= need ? 0 : zeroInfinity ? 1 : 2;
    off += labels.length;
  }
  return { info, Lmax };
}

/**
 * Workspaces and the recorded program of a CtcLoss for one (T, B, C) and targets up to Lcap labels:
 * logits, lp, grad (T, B, C); alpha, beta (T, B, 2·Lcap + 1); info (u32, 4B + B·Lcap); weights,
 * losses, row_loss (B); loss (1).
 */
class CtcPlan {
  readonly rec: Recorder;
  readonly prog = new Program();
  readonly logits: GPUBuffer;
  readonly info: GPUBuffer;
  readonly infoCapacity: number;
  readonly weights: GPUBuffer;
  readonly grad: GPUBuffer;
  readonly losses: GPUBuffer;
  readonly loss: GPUBuffer;

  constructor(
    engine: Engine,
    readonly T: number,
    readonly B: number,
    readonly C: number,
    readonly Lcap: number,
    blank: number,
  ) {
    const rec = (this.rec = new Recorder(engine, 'CtcLoss'));
    try {
      const S = 2 * Lcap + 1;
      this.infoCapacity = 4 * B + B * Lcap;
      this.logits = rec.buffer(T * B * C * F32, 'logits');
      const lp = rec.buffer(T * B * C * F32, 'log_probs');
      this.info = rec.buffer(this.infoCapacity * 4, 'info');
      this.weights = rec.buffer(B * F32, 'weights');
      const alpha = rec.buffer(T * B * S * F32, 'alpha');
      const beta = rec.buffer(T * B * S * F32, 'beta');
      this.losses = rec.buffer(B * F32, 'losses');
      const rowLoss = rec.buffer(B * F32, 'row_loss');
      this.grad = rec.buffer(T * B * C * F32, 'grad');
      this.loss = rec.buffer(F32, 'loss');

      const ls = engine.kernel(shaders.log_softmax_rows);
      this.prog.dispatch(ls, [rec.bind(ls, { R: T * B, V: C, x_off: 0, has_add: 0 }, { x: this.logits, add: this.weights, out: lp }, 'log_softmax')], foldedGrid(engine, T * B));
      const dims = { T, B, C, S, blank };
      const ka = engine.kernel(shaders.ctc_alpha);
      this.prog.dispatch(ka, [rec.bind(ka, dims, { lp, info: this.info, weights: this.weights, alpha, losses: this.losses, row_loss: rowLoss }, 'alpha')], foldedGrid(engine, B));
      const kb = engine.kernel(shaders.ctc_beta);
      this.prog.dispatch(kb, [rec.bind(kb, dims, { lp, info: this.info, beta }, 'beta')], foldedGrid(engine, B));
      const kg = engine.kernel(shaders.ctc_grad);
      this.prog.dispatch(kg, [rec.bind(kg, dims, { lp, info: this.info, alpha, beta, weights: this.weights, grad: this.grad }, 'grad')], foldedGrid(engine, Math.ceil((T * B) / WG)));
      recordSum(rec, this.prog, rowLoss, B, this.loss, 'loss');
    } catch (e) {
      rec.dispose();
      throw e;
    }
  }
}
