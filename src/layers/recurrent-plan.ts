import { ACTIVATION_NAMES, gateCount, hiddenStateSize, type ParamSpec, type ResolvedConfig } from './recurrent-config.js';
import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { STEP_STRIDE, type Kernel, type KernelSource } from '../gpu/kernel.js';
import type { Precision, StepVariant } from '../gpu/kernel-variants.js';
import { Program } from '../gpu/program.js';
import { Recorder } from '../gpu/recorder.js';
import * as shaders from '../gpu/shader-sources.gen.js';
import { WorkspaceTable } from '../gpu/workspace.js';

/** Element offsets of one layer's parameters in the flat parameter (and gradient) buffer. */
export interface LayerOffsets {
  w_ih: number;
  w_hh: number;
  b_ih: number;
  b_hh: number;
  w_ph: number;
  /** W_hr (R, H) of a projected LSTM (0 when none) */
  w_hr: number;
  /** elements from a direction-0 parameter to its direction-1 twin (0 when unidirectional) */
  dirStride: number;
  inputSize: number;
}

/** The LayerOffsets field each parameter kind's offset goes to. */
const OFFSET_OF = { weight_ih: 'w_ih', weight_hh: 'w_hh', bias_ih: 'b_ih', bias_hh: 'b_hh', weight_ph: 'w_ph', weight_hr: 'w_hr' } as const;

/**
 * Where each layer's parameters sit in the flat buffers, found by (layer, direction, kind) in the spec
 * table: `at[i]` is the element offset of `specs[i]` (ParameterStore.specOffsets). A kind the config
 * lacks stays 0; a layer's input size is its weight_ih's width.
 */
export function layerOffsets(specs: readonly ParamSpec[], at: readonly number[]): LayerOffsets[] {
  const out: LayerOffsets[] = [];
  specs.forEach((s, i) => {
    const o = (out[s.layer] ??= { w_ih: 0, w_hh: 0, b_ih: 0, b_hh: 0, w_ph: 0, w_hr: 0, dirStride: 0, inputSize: 0 });
    if (s.direction === 0) o[OFFSET_OF[s.kind]] = at[i];
    if (s.kind !== 'weight_ih') return;
    if (s.direction === 0) o.inputSize = s.shape[1];
    else o.dirStride = at[i] - o.w_ih;
  });
  return out;
}

const F32 = 4;
const ceil = (a: number, b: number) => Math.ceil(a / b);

/**
 * The forward workspace of a plan for (T, B): every buffer, its shape (float32 unless said, row-major)
 * and when it exists, with R the width of h (H, or proj_size). Slots of hs/cs: forward h<t-1> is slot t
 * and h<t> slot t+1; reverse h<t-1> is slot t+1 and h<t> slot t. Rows are checked in this order (c_n
 * last: it fails only where no other does).
 */
function forwardWorkspace(cfg: ResolvedConfig, T: number, B: number, variant: StepVariant, precision: Precision, paramCount: number) {
  const { H, R, D, G, L, I, lstm, proj } = dims(cfg);
  return new WorkspaceTable({
    lengths: { elements: B, dtype: 'u32' }, //                                     (B) valid steps per row
    x0: { elements: T * B * I }, //                                                (T, B, I) layer 0's input
    xbf: { elements: T * B * I, when: cfg.batch_first, label: 'x_batch_first' }, // (B, T, I) user layout
    outbf: { elements: T * B * D * R, when: cfg.batch_first, label: 'output_batch_first' }, // (B, T, D·R)
    hn: { elements: L * D * B * R, label: 'h_n' }, //                              (L·D, B, R)
    gx: { elements: D * T * B * G * H, perLayer: L }, //                           (D, T, B, G·H) X·W_ihᵀ + b_ih
    hs: { elements: D * (T + 1) * B * R, perLayer: L }, //                         (D, T+1, B, R) hidden states by slot
    cs: { elements: D * (T + 1) * B * H, perLayer: L, when: lstm }, //             (D, T+1, B, H) cell states by slot
    act: { elements: D * T * B * 4 * H, perLayer: L, when: cfg.mode === 'LSTM' || cfg.mode === 'GRU' }, // (D, T, B, 4H) saved gates
    y: { elements: T * B * D * R, perLayer: L }, //                                (T, B, D·R) layer output
    ms: { elements: T * B * D * H, perLayer: L, when: proj }, //                   (T, B, D·H) o ⊙ tanh(c), what W_hr multiplies
    wt: { elements: D * R * G * H, perLayer: L, when: variant === 'coalesced', label: 'w_hh_t' }, // (D, R, G·H) W_hhᵀ
    // (P) every parameter as f16, same offsets, rounded up to whole words (a binding's size is a multiple of 4)
    weightsF16: { elements: 2 * ceil(paramCount, 2), dtype: 'f16', when: precision === 'f16-weights', label: 'weights_f16' },
    cn: { elements: L * D * B * H, when: lstm, label: 'c_n' }, //                  (L·D, B, H)
  });
}

/** The backward workspace of a plan for (T, B), as {@link forwardWorkspace}'s. */
function backwardWorkspace(cfg: ResolvedConfig, T: number, B: number) {
  const { H, R, D, G, L, I, lstm } = dims(cfg);
  return new WorkspaceTable({
    dgx: { elements: D * T * B * G * H, perLayer: L }, //                          (D, T, B, G·H) gate-input gradients
    dgh: { elements: D * T * B * G * H, perLayer: L, when: cfg.mode === 'GRU' }, // (D, T, B, G·H) recurrent-gate gradients (GRU)
    carryH: { elements: D * B * R, perLayer: L, label: 'carry_h' }, //             (D, B, R) dL/dh carried between steps
    carryC: { elements: D * B * H, perLayer: L, when: lstm, label: 'carry_c' }, // (D, B, H) dL/dc carried between steps
    dy: { elements: T * B * D * R, perLayer: L }, //                               (T, B, D·R) dL/d(layer output)
    dx0: { elements: T * B * I }, //                                               (T, B, I) dL/d(input)
    dybf: { elements: T * B * D * R, when: cfg.batch_first, label: 'dy_batch_first' }, // (B, T, D·R)
    dxbf: { elements: T * B * I, when: cfg.batch_first, label: 'dx_batch_first' }, // (B, T, I)
    dh0: { elements: L * D * B * R, label: 'grad_h0' }, //                         (L·D, B, R)
    dc0: { elements: L * D * B * H, when: lstm, label: 'grad_c0' }, //             (L·D, B, H)
  });
}

/** The letters of the workspace shapes, from the config. */
function dims(cfg: ResolvedConfig) {
  return {
    H: cfg.hidden_size,
    R: hiddenStateSize(cfg),
    D: cfg.bidirectional ? 2 : 1,
    G: gateCount(cfg.mode),
    L: cfg.num_layers,
    I: cfg.input_size,
    lstm: cfg.mode === 'LSTM',
    proj: cfg.proj_size > 0,
  };
}

export type ForwardWorkspace = ReturnType<ReturnType<typeof forwardWorkspace>['allocate']>;
export type BackwardWorkspace = ReturnType<ReturnType<typeof backwardWorkspace>['allocate']>;

/**
 * Whether a plan of variant `v` runs each layer's sweeps as one persistent dispatch: reset-before GRU
 * runs per step whatever the variant (two kernels a step); a projected LSTM never gets 'persistent'.
 */
export function sweepsPersistent(c: ResolvedConfig, v: StepVariant): boolean {
  return v === 'persistent' && !(c.mode === 'GRU' && !c.reset_after);
}

/**
 * The GPU work of a recurrent layer stack for one (T, B): every workspace buffer (the tables above), and
 * the recorded forward and backward programs with their pipelines, bind groups and parameter uniforms,
 * all built once and replayed for each call of that shape.
 *
 * A projected LSTM runs lstm_step_fwd then lstm_projection_fwd per step, and lstm_projection_bwd then
 * lstm_step_bwd per reverse step (per-step schedule only).
 */
export class RecurrentPlan {
  readonly T: number;
  readonly B: number;
  readonly forward = new Program();
  readonly forwardOut = new Program();
  backward: Program | undefined;
  backwardOut: Program | undefined;

  /** the forward workspace, allocated from {@link forwardWorkspace}'s table */
  readonly ws: ForwardWorkspace;
  /** the backward workspace ({@link backwardWorkspace}'s table), allocated on the first backward */
  bws: BackwardWorkspace | undefined;
  /** precision 'f16-weights': the f16 copy of the flat parameters (same offsets), packed once per forward */
  private readonly w16: GPUBuffer | undefined;

  private readonly rec: Recorder;
  private readonly steps: GPUBuffer;
  /** (seed, call, enabled) of the dropout masks, written before each forward when dropout > 0 */
  readonly dropoutCall: GPUBuffer | undefined;
  private readonly G: number;
  private readonly D: number;
  private readonly H: number;
  /** width of h: H, or proj_size */
  private readonly R: number;
  private readonly L: number;

  /**
   * How the split-k variant's step kernels add their partial sums: 'subgroup' (subgroupAdd, then
   * across subgroups in workgroup memory) where engine.subgroups is on when the plan is made, else
   * 'workgroup' (a tree in workgroup memory); undefined for the other variants.
   */
  readonly reduction: 'subgroup' | 'workgroup' | undefined;

  /** whether each layer's sweeps run as one persistent dispatch ({@link sweepsPersistent}) */
  private readonly persistent: boolean;

  constructor(
    private readonly engine: Engine,
    private readonly cfg: ResolvedConfig,
    private readonly offsets: readonly LayerOffsets[],
    private readonly params: GPUBuffer,
    private readonly grads: GPUBuffer,
    T: number,
    B: number,
    /**
     * how the sweeps run (src/gpu/kernel-variants.ts): 'persistent' runs each layer's forward and
     * reverse sweeps in one dispatch each (not a projected LSTM; reset-before GRU then runs per step:
     * two kernels a step); 'coalesced' runs the forward steps from W_hhᵀ (wt), laid out at the start of
     * each forward program, and its reverse steps stage the gate gradients in workgroup memory;
     * 'split-k' a workgroup per unit (forward) or per 4 units (reverse) splitting each step's product
     * over its reduction axis (see {@link reduction}).
     */
    readonly variant: StepVariant = 'per-step',
    /**
     * 'f16-weights': every parameter (W_ih, W_hh, biases, peepholes, W_hr) read from w16, an f16 copy made at
     * the start of each forward, by the `_f16` twins of the GEMM and step kernels (f32 accumulation);
     * per-step and persistent only (Recurrent refuses the other variants with a BAD_CONFIG).
     */
    readonly precision: Precision = 'f32',
  ) {
    this.T = T;
    this.B = B;
    this.reduction = variant === 'split-k' ? (engine.subgroups ? 'subgroup' : 'workgroup') : undefined;
    this.H = cfg.hidden_size;
    this.R = hiddenStateSize(cfg);
    this.D = cfg.bidirectional ? 2 : 1;
    this.G = gateCount(cfg.mode);
    const L = (this.L = cfg.num_layers);

    // Recurrent's constructor refuses the combination with a BAD_CONFIG naming the schedule.
    if (variant === 'persistent' && cfg.proj_size > 0) throw new WebRnnError('BAD_STATE', 'RecurrentPlan: a projected LSTM runs per step only');
    const persistent = (this.persistent = sweepsPersistent(cfg, variant));
    if (precision === 'f16-weights' && (variant === 'coalesced' || variant === 'split-k')) throw new WebRnnError('BAD_STATE', `RecurrentPlan: precision 'f16-weights' runs per-step and persistent only, not ${variant}`);
    this.rec = new Recorder(engine, cfg.mode);
    // Persistent sweeps read only slot 0 (t is computed in the shader); per-step dispatches one slot per step.
    const slots = persistent ? 1 : T + 1;
    const table = forwardWorkspace(cfg, T, B, variant, precision, params.size / F32);
    // Every size, from (T, B) and the config alone, checked against the device before anything is
    // allocated — host arrays included: a sequence too long for the device fails at once, not after
    // gigabytes of preparation.
    table.check(this.rec);
    this.checkGrids(slots);
    // Anything built before a failure (e.g. a DEVICE_LIMIT error) is freed, not leaked.
    try {
      this.ws = table.allocate(this.rec);
      this.w16 = this.ws.weightsF16;
      // Step i's index sits at byte i·STEP_STRIDE; each per-step dispatch binds its slot by dynamic offset.
      this.steps = this.rec.steps(slots, 'steps');
      if (cfg.dropout > 0 && L > 1) this.dropoutCall = this.rec.uniform(new ArrayBuffer(engine.kernel(shaders.dropout).uniformLayout('C').size), 'dropout_call');
      this.recordForward();
    } catch (e) {
      this.rec.dispose();
      throw e;
    }
  }

  /** The step-index uniform and the dispatch grids of (T, B), checked against the device. */
  private checkGrids(slots: number): void {
    const { T, B, H, R, G, cfg, engine } = this;
    engine.checkBufferSize(slots * STEP_STRIDE, `${cfg.mode}:steps (T = ${T})`, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    const max = engine.kernel(shaders.matmul).maxWorkgroups;
    for (const [what, n] of [['T·B', ceil(T * B, 32)], ['T·B (batch_first transposes)', cfg.batch_first ? Math.max(T, B) : 0], ['G·H', ceil(G * H, 32)], ['R (W_hh transpose)', this.variant === 'coalesced' ? R : 0]] as const) {
      if (n > max) throw new WebRnnError('DEVICE_LIMIT', `${cfg.mode}: ${what} of T = ${T}, B = ${B} needs ${n} workgroups in one grid dimension; this adapter allows ${max} (maxComputeWorkgroupsPerDimension): use a smaller batch or shorter sequences`);
    }
  }

  /** Byte offset in hs[l] ('h', rows R wide) or cs[l] ('c', H wide) of the initial state slot of direction d. */
  initialSlot(d: number, state: 'h' | 'c' = 'h'): number {
    return (d * (this.T + 1) + (d === 0 ? 0 : this.T)) * this.B * (state === 'h' ? this.R : this.H) * F32;
  }

  /** Byte offset in hs[l] ('h') or cs[l] ('c') of the final state slot of direction d. */
  finalSlot(d: number, state: 'h' | 'c' = 'h'): number {
    return (d * (this.T + 1) + (d === 0 ? this.T : 0)) * this.B * (state === 'h' ? this.R : this.H) * F32;
  }

  private bind(k: Kernel, params: Record<string, number>, buffers: Record<string, GPUBuffer>, label: string): GPUBindGroup {
    return this.rec.bind(k, params, buffers, label);
  }

  /** Kernel `f32` (its subgroups form for split-k's subgroup sums), or its f16 twin `f16` (shared/weight_type.wgsl) reading w16 when the precision is 'f16-weights'. */
  private weightKernel(f32: KernelSource, f16: KernelSource): Kernel {
    // the f16 twins never run split-k, so they have no subgroups form
    return this.w16 ? this.engine.kernel(f16) : this.engine.kernel(f32, this.reduction === 'subgroup');
  }

  /** The flat parameters as the step kernels read them: the f16 copy, or the f32 master. */
  private get weights(): GPUBuffer {
    return this.w16 ?? this.params;
  }

  private stepGroup(k: Kernel): GPUBindGroup {
    return k.bindGroup(1, { step: this.steps }, 'steps');
  }

  private recordForward(): void {
    const ws = this.ws;
    const { T, B, H, R, D, G, L, cfg } = this;
    const proj = cfg.proj_size > 0;
    const prog = this.forward;
    const TB = T * B;
    const stepGrid: [number, number, number] = [ceil(H, 64), ceil(B, 4), D];
    if (cfg.batch_first) this.rec.transpose(prog, 'input', B, T, cfg.input_size, ws.xbf!, ws.x0);
    if (this.w16) {
      // the f16 copy of every parameter, once per forward (i.e. per weight update); the backward reads it too
      const kp = this.engine.kernel(shaders.pack_f16);
      const n = this.params.size / F32;
      const groups = ceil(ceil(n, 2), 64);
      prog.dispatch(kp, [this.bind(kp, { n }, { w: this.params, out: this.w16 }, 'weights_f16')], [Math.min(groups, 65535), ceil(groups, 65535), 1]);
    }
    for (let l = 0; l < L; l++) {
      const o = this.offsets[l];
      const I = o.inputSize;
      const x = l === 0 ? ws.x0 : ws.y[l - 1];
      this.rec.matmul(prog, `x·W_ih l${l}`, {
        M: TB, N: G * H, K: I,
        a_rs: I, a_cs: 1,
        b_off: o.w_ih, b_rs: 1, b_cs: I, b_zs: o.dirStride,
        c_rs: G * H, c_zs: TB * G * H,
        bias_off: o.b_ih, bias_zs: o.dirStride,
      }, x, this.weights, ws.gx[l], D, cfg.bias ? this.weights : undefined, this.w16 !== undefined);
      const common = { T, B, H, w_off: o.w_hh, dir_stride: o.dirStride };
      // wt: W_hhᵀ for the coalesced variant; the others do not read it (any buffer is bound)
      const coalesced = this.variant === 'coalesced';
      const variantConstants: Record<string, number> | undefined = coalesced ? { COALESCED: 1 } : this.variant === 'split-k' ? { SPLIT_K: 1 } : undefined;
      // split-k: a workgroup per (unit, 4 batch rows, direction)
      const mainGrid: [number, number, number] = this.variant === 'split-k' ? [H, ceil(B, 4), D] : stepGrid;
      const bufs = { lengths: ws.lengths, w: this.weights, gx: ws.gx[l], hs: ws.hs[l], wt: coalesced ? ws.wt[l] : this.params };
      if (coalesced) {
        // W_hh (G·H, R) of each direction → W_hhᵀ (R, G·H): once per forward, i.e. per weight update
        const kt = this.engine.kernel(shaders.transpose_strided);
        const gt = this.bind(kt, { Rows: G * H, C: R, F: 1, a_off: o.w_hh, a_zs: o.dirStride }, { a: this.params, out: ws.wt[l] }, `W_hhᵀ l${l}`);
        prog.dispatch(kt, [gt], [ceil(G * H, 64), R, D]);
      }
      // ONNX's activation ids with α, β (f, g, h as the cell has them) and clip; PyTorch's cells by default.
      const acts: Record<string, number> = { clip: cfg.clip };
      cfg.activations.forEach((a, i) => {
        const k = 'fgh'[i];
        Object.assign(acts, { [`act_${k}`]: ACTIVATION_NAMES.indexOf(a.name), [`alpha_${k}`]: a.alpha, [`beta_${k}`]: a.beta });
      });
      const actsF = { act_f: acts.act_f, alpha_f: acts.alpha_f, beta_f: acts.beta_f, clip: cfg.clip };
      let steps: { k: Kernel; g: GPUBindGroup[]; grid?: [number, number, number]; constants?: Record<string, number> }[];
      if (cfg.mode === 'LSTM') {
        const k = this.weightKernel(shaders.lstm_step_fwd, shaders.lstm_step_fwd_f16);
        // With a projection the step writes m<t> (to ms), and lstm_projection_fwd h<t> = W_hr·m<t>.
        const g0 = this.bind(k, { ...common, D, R, proj: +proj, bhh_off: o.b_hh, ph_off: o.w_ph, bias: +cfg.bias, peephole: +cfg.peephole, ...acts, input_forget: +cfg.input_forget }, { ...bufs, cs: ws.cs[l], act: ws.act[l], y: proj ? ws.ms[l] : ws.y[l] }, `l${l}`);
        steps = [{ k, g: [g0, this.stepGroup(k)], constants: variantConstants }];
        if (proj) {
          const kp = this.weightKernel(shaders.lstm_projection_fwd, shaders.lstm_projection_fwd_f16);
          const gp = this.bind(kp, { T, B, H, R, D, w_off: o.w_hr, dir_stride: o.dirStride }, { lengths: ws.lengths, w: this.weights, m: ws.ms[l], hs: ws.hs[l], y: ws.y[l] }, `l${l}`);
          steps.push({ k: kp, g: [gp, this.stepGroup(kp)], grid: [ceil(R, 64), ceil(B, 4), D] });
        }
      } else if (cfg.mode === 'GRU') {
        const k = this.weightKernel(shaders.gru_step_fwd, shaders.gru_step_fwd_f16);
        const g0 = this.bind(k, { ...common, D, bhh_off: o.b_hh, bias: +cfg.bias, reset_after: +cfg.reset_after, ...acts }, { ...bufs, act: ws.act[l], y: ws.y[l] }, `l${l}`);
        steps = [{ k, g: [g0, this.stepGroup(k)], constants: variantConstants }];
        if (!cfg.reset_after) {
          const kr = this.weightKernel(shaders.gru_reset_gate_fwd, shaders.gru_reset_gate_fwd_f16);
          const { wt: _, ...rbufs } = bufs;
          const gr = this.bind(kr, { ...common, bhh_off: o.b_hh, bias: +cfg.bias, ...actsF }, { ...rbufs, act: ws.act[l] }, `l${l}`);
          steps.unshift({ k: kr, g: [gr, this.stepGroup(kr)] });
        }
      } else {
        const k = this.weightKernel(shaders.rnn_step_fwd, shaders.rnn_step_fwd_f16);
        const g0 = this.bind(k, { ...common, D, bhh_off: o.b_hh, bias: +cfg.bias, ...actsF }, { ...bufs, y: ws.y[l] }, `l${l}`);
        steps = [{ k, g: [g0, this.stepGroup(k)], constants: variantConstants }];
      }
      if (this.persistent) {
        // the whole sequence in one dispatch: a workgroup per (4 batch rows, direction) loops over the steps
        prog.dispatch(steps[0].k, steps[0].g, [1, ceil(B, 4), D], 0, { PERSISTENT: 1 });
      } else {
        for (let s = 0; s < T; s++) for (const st of steps) prog.dispatch(st.k, st.g, st.grid ?? (st.constants ? mainGrid : stepGrid), s, st.constants);
      }
      if (l < L - 1) this.dropout(prog, ws.y[l], l);
    }
    if (cfg.batch_first) this.rec.transpose(prog, 'output', T, B, D * R, ws.y[L - 1], ws.outbf!);

    const BH = B * H * F32;
    const BR = B * R * F32;
    for (let l = 0; l < L; l++) {
      for (let d = 0; d < D; d++) {
        this.forwardOut.copy(ws.hs[l], this.finalSlot(d), ws.hn, (l * D + d) * BR, BR);
        if (ws.cn) this.forwardOut.copy(ws.cs[l], this.finalSlot(d, 'c'), ws.cn, (l * D + d) * BH, BH);
      }
    }
  }

  /** Allocates the backward workspace and records the backward program (once per plan). */
  ensureBackward(): BackwardWorkspace {
    if (this.backward && this.bws) return this.bws;
    const { T, B, H, R, D, G, L, cfg } = this;
    const table = backwardWorkspace(cfg, T, B);
    table.check(this.rec);
    // A failed earlier attempt may have left part of a workspace (freed with the plan): start over.
    const ws = this.ws;
    const bw = table.allocate(this.rec);
    const TB = T * B;
    const GH = G * H;
    const lstm = cfg.mode === 'LSTM';
    const gru = cfg.mode === 'GRU';
    const proj = cfg.proj_size > 0;
    const DBH = D * B * H * F32;
    const DBR = D * B * R * F32;

    const prog = new Program();
    const out = new Program();
    // The reverse step kernels compute 4 units × 4 batch rows per invocation; gru_reset_gate_bwd 1 × 4.
    const unitGrid: [number, number, number] = [ceil(H, 64), ceil(B, 4), D];
    // coalesced: the step kernels stage the gate gradients' rows in workgroup memory (shared/step_coalesced_bwd.wgsl);
    // split-k: a workgroup per (4 units, 4 batch rows, direction) splits the sum over gate rows (shared/step_split_k_bwd.wgsl)
    const splitK = this.variant === 'split-k';
    const bwdConstants: Record<string, number> | undefined = this.variant === 'coalesced' ? { COALESCED: 1 } : splitK ? { SPLIT_K: 1 } : undefined;
    const stepGrid: [number, number, number] = splitK ? [ceil(H, 4), ceil(B, 4), D] : [ceil(H, 256), ceil(B, 4), D];
    if (cfg.batch_first) this.rec.transpose(prog, 'grad_output', B, T, D * R, bw.dybf!, bw.dy[L - 1]);
    for (let l = L - 1; l >= 0; l--) {
      const o = this.offsets[l];
      const I = o.inputSize;
      const common = { T, B, H, w_off: o.w_hh, dir_stride: o.dirStride };
      const bufs = { lengths: ws.lengths, w: this.weights, dy: bw.dy[l], carry_h: bw.carryH[l] };
      const dgh = gru ? bw.dgh[l] : bw.dgx[l];
      let step: { k: Kernel; g: GPUBindGroup[] };
      let resetGate: { k: Kernel; g: GPUBindGroup[] } | undefined;
      let projection: { k: Kernel; g: GPUBindGroup[] } | undefined;
      if (lstm) {
        const k = this.weightKernel(shaders.lstm_step_bwd, shaders.lstm_step_bwd_f16);
        const g0 = this.bind(k, { ...common, D, R, proj: +proj, hr_off: o.w_hr, ph_off: o.w_ph, peephole: +cfg.peephole }, { ...bufs, act: ws.act[l], cs: ws.cs[l], dg: bw.dgx[l], carry_c: bw.carryC[l] }, `l${l}`);
        step = { k, g: [g0, this.stepGroup(k)] };
        if (proj) {
          // dL/dh<t> (R wide) first, in place in dy; lstm_step_bwd then takes it through W_hr.
          const kp = this.weightKernel(shaders.lstm_projection_bwd, shaders.lstm_projection_bwd_f16);
          const gp = this.bind(kp, { T, B, H, R, D, w_off: o.w_hh, dir_stride: o.dirStride }, { lengths: ws.lengths, w: this.weights, dg: bw.dgx[l], dy: bw.dy[l], carry_h: bw.carryH[l] }, `l${l}`);
          projection = { k: kp, g: [gp, this.stepGroup(kp)] };
        }
      } else if (gru) {
        const k = this.weightKernel(shaders.gru_step_bwd, shaders.gru_step_bwd_f16);
        const g0 = this.bind(k, { ...common, D, reset_after: +cfg.reset_after }, { ...bufs, act: ws.act[l], hs: ws.hs[l], dgx: bw.dgx[l], dgh }, `l${l}`);
        step = { k, g: [g0, this.stepGroup(k)] };
        if (!cfg.reset_after) {
          const kr = this.weightKernel(shaders.gru_reset_gate_bwd, shaders.gru_reset_gate_bwd_f16);
          const gr = this.bind(kr, common, { lengths: ws.lengths, w: this.weights, act: ws.act[l], hs: ws.hs[l], dgx: bw.dgx[l], dgh, carry_h: bw.carryH[l] }, `l${l}`);
          resetGate = { k: kr, g: [gr, this.stepGroup(kr)] };
        }
      } else {
        const k = this.weightKernel(shaders.rnn_step_bwd, shaders.rnn_step_bwd_f16);
        const g0 = this.bind(k, { ...common, D, relu: cfg.mode === 'RNN_RELU' ? 1 : 0 }, { ...bufs, hs: ws.hs[l], dg: bw.dgx[l] }, `l${l}`);
        step = { k, g: [g0, this.stepGroup(k)] };
      }
      if (l < L - 1) this.dropout(prog, bw.dy[l], l);
      if (this.persistent) {
        // the whole reverse sweep in one dispatch, as the forward's
        prog.dispatch(step.k, step.g, [1, ceil(B, 4), D], 0, { PERSISTENT: 1 });
      } else if (projection) {
        // the last dispatch (s = -1) only finalises dL/dh0, which lstm_projection_bwd does
        for (let i = 0; i <= T; i++) {
          prog.dispatch(projection.k, projection.g, [ceil(R, 64), ceil(B, 4), D], i);
          if (i < T) prog.dispatch(step.k, step.g, stepGrid, i, bwdConstants);
        }
      } else {
        for (let i = 0; i <= T; i++) {
          prog.dispatch(step.k, step.g, stepGrid, i, bwdConstants);
          if (resetGate && i < T) prog.dispatch(resetGate.k, resetGate.g, unitGrid, i);
        }
      }

      // dX = Σ_d dG_x[d] · W_ih[d]: the next layer down's dL/d(output), or dL/d(input).
      const dx = l > 0 ? bw.dy[l - 1] : bw.dx0;
      for (let d = 0; d < D; d++) {
        this.rec.matmul(prog, `dX l${l} d${d}`, {
          M: TB, N: I, K: GH,
          a_off: d * TB * GH, a_rs: GH, a_cs: 1,
          b_off: o.w_ih + d * o.dirStride, b_rs: I, b_cs: 1,
          c_rs: I, accumulate: d > 0 ? 1 : 0,
        }, bw.dgx[l], this.weights, dx, 1, undefined, this.w16 !== undefined);
      }
      // dW_ih[d] = dG_x[d]ᵀ · X
      const x = l === 0 ? ws.x0 : ws.y[l - 1];
      this.rec.matmul(prog, `dW_ih l${l}`, {
        M: GH, N: I, K: TB,
        a_rs: 1, a_cs: GH, a_zs: TB * GH,
        b_rs: I, b_cs: 1,
        c_off: o.w_ih, c_rs: I, c_zs: o.dirStride,
      }, bw.dgx[l], x, this.grads, D);
      // dW_hh[d] = dG_h[d]ᵀ · H_prev[d]; forward h<t-1> rows start at slot 0, reverse at slot 1 of
      // direction 1, i.e. (T+2)·B·R elements after direction 0's.
      const recRows = gru && !cfg.reset_after ? 2 * H : GH;
      this.rec.matmul(prog, `dW_hh l${l}`, {
        M: recRows, N: R, K: TB,
        a_rs: 1, a_cs: GH, a_zs: TB * GH,
        b_rs: R, b_cs: 1, b_zs: (T + 2) * B * R,
        c_off: o.w_hh, c_rs: R, c_zs: o.dirStride,
      }, dgh, ws.hs[l], this.grads, D);
      if (proj) {
        // dW_hr[d] = Σ_t dh<t>ᵀ · m<t>: dy now holds dL/dh<t> (0 at padded steps), ms holds m<t>.
        this.rec.matmul(prog, `dW_hr l${l}`, {
          M: R, N: H, K: TB,
          a_rs: 1, a_cs: D * R, a_zs: R,
          b_rs: D * H, b_cs: 1, b_zs: H,
          c_off: o.w_hr, c_rs: H, c_zs: o.dirStride,
        }, bw.dy[l], ws.ms[l], this.grads, D);
      }
      if (recRows < GH) {
        // reset-before GRU: dW_hn = dpre_nᵀ · (r ⊙ h<t-1>), with rh saved in act's 4th block.
        this.rec.matmul(prog, `dW_hn l${l}`, {
          M: H, N: H, K: TB,
          a_off: 2 * H, a_rs: 1, a_cs: GH, a_zs: TB * GH,
          b_off: 3 * H, b_rs: 4 * H, b_cs: 1, b_zs: TB * 4 * H,
          c_off: o.w_hh + 2 * H * H, c_rs: H, c_zs: o.dirStride,
        }, dgh, ws.act[l], this.grads, D);
      }
      if (cfg.bias) {
        for (const [src, off, name] of [[bw.dgx[l], o.b_ih, 'db_ih'], [dgh, o.b_hh, 'db_hh']] as const) {
          this.rec.sumRows(prog, `${name} l${l}`, { M: TB, N: GH, a_rs: GH, a_zs: TB * GH, out_off: off, out_zs: o.dirStride }, src, this.grads, D);
        }
      }
      if (cfg.peephole) {
        const k = this.engine.kernel(shaders.lstm_peephole_grad);
        const g = this.bind(k, { T, B, H, out_off: o.w_ph, dir_stride: o.dirStride }, { dg: bw.dgx[l], cs: ws.cs[l], grads: this.grads }, `l${l}`);
        prog.dispatch(k, [g], [ceil(H, 64), D, 1]);
      }
      out.copy(bw.carryH[l], 0, bw.dh0, l * DBR, DBR);
      if (lstm) out.copy(bw.carryC[l], 0, bw.dc0!, l * DBH, DBH);
    }
    if (cfg.batch_first) this.rec.transpose(prog, 'grad_input', T, B, cfg.input_size, bw.dx0, bw.dxbf!);
    this.bws = bw;
    this.backward = prog;
    this.backwardOut = out;
    return bw;
  }

  /** Dropout on layer l's output (or, in the backward, on its gradient: the same mask). */
  private dropout(prog: Program, x: GPUBuffer, layer: number): void {
    if (!this.dropoutCall) return;
    const k = this.engine.kernel(shaders.dropout);
    const n = this.T * this.B * this.D * this.R;
    const p = this.cfg.dropout;
    const g = this.bind(k, { n, off: 0, threshold: Math.min(0xffffffff, Math.round(p * 2 ** 32)), layer, scale: 1 / (1 - p) }, { C: this.dropoutCall, x }, `dropout l${layer}`);
    const groups = ceil(n, 64);
    prog.dispatch(k, [g], [Math.min(groups, 65535), ceil(groups, 65535), 1]);
  }

  dispose(): void {
    this.rec.dispose();
  }
}
