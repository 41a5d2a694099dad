/**
 * ONNX's LSTM, GRU and RNN operators on webrnn's GPU layer. Each node becomes one or two
 * {@link Recurrent} layers with the node's weights in webrnn's (PyTorch's) layout:
 *   gate order  LSTM ONNX i, o, f, c → i, f, g, o;  GRU ONNX z, r, h → r, z, n;  P i, o, f → p_i, p_f, p_o
 *   B = [Wb, Rb] → bias_ih, bias_hh;  linear_before_reset 1 → reset_after (PyTorch's GRU), 0 → reset-before
 *   activations (+ activation_alpha/beta, consumed in list order as onnxruntime does), clip, input_forget
 *     → the step kernels' ONNX options;  layout 1 → batch-major X, Y, Y_h, Y_c
 * direction "reverse" runs a forward layer on each row's first sequence_lens[b] steps reversed (then
 * reverses its outputs back), which is exactly ONNX's reverse direction; "bidirectional" is one
 * bidirectional layer, or a forward and a reversed layer when the directions' activations differ.
 * sequence_lens entries of 0 give zero outputs and states, as onnxruntime does.
 */
import { ACTIVATION_NAMES, recurrentParamName, type ActivationName, type RecurrentConfig, type ResolvedActivation } from '../../layers/recurrent-config.js';
import { WebRnnError } from '../../errors.js';
import type { Engine } from '../../gpu/engine.js';
import { Recurrent } from '../../layers/recurrent.js';
import type { OnnxAttr, OnnxNode } from './graph.js';
import { makeValue, type OnnxValue } from './value.js';

export const RECURRENT_OPS = ['LSTM', 'GRU', 'RNN'] as const;
export type RecurrentOp = (typeof RECURRENT_OPS)[number];

/** A recurrent node's attributes, checked. */
export interface RecurrentAttrs {
  op: RecurrentOp;
  direction: 'forward' | 'reverse' | 'bidirectional';
  hidden_size: number | undefined;
  layout: 0 | 1;
  linear_before_reset: boolean;
  clip: number;
  input_forget: boolean;
  /** per direction: the cell's activations (LSTM f, g, h; GRU f, g; RNN f) */
  activations: ResolvedActivation[][];
}

const KNOWN_ATTRS: Record<RecurrentOp, string[]> = {
  LSTM: ['activation_alpha', 'activation_beta', 'activations', 'clip', 'direction', 'hidden_size', 'input_forget', 'layout'],
  GRU: ['activation_alpha', 'activation_beta', 'activations', 'clip', 'direction', 'hidden_size', 'linear_before_reset', 'layout'],
  RNN: ['activation_alpha', 'activation_beta', 'activations', 'clip', 'direction', 'hidden_size', 'layout'],
};
const DEFAULT_ACTS: Record<RecurrentOp, ActivationName[]> = { LSTM: ['Sigmoid', 'Tanh', 'Tanh'], GRU: ['Sigmoid', 'Tanh'], RNN: ['Tanh'] };
/** onnxruntime's rules: which activations read α / β, and the defaults when the lists run out. */
const USES: Partial<Record<ActivationName, [boolean, boolean]>> = {
  Affine: [true, true], LeakyRelu: [true, false], ThresholdedRelu: [true, false], ScaledTanh: [true, true], HardSigmoid: [true, true], Elu: [true, false],
};
const DEFAULTS: Partial<Record<ActivationName, [number, number]>> = { LeakyRelu: [0.01, 0], HardSigmoid: [0.2, 0.5], Elu: [1, 0] };
/** webrnn gate q ← ONNX gate block ORDER[op][q] */
const ORDER: Record<RecurrentOp, number[]> = { LSTM: [0, 2, 3, 1], GRU: [1, 0, 2], RNN: [0] };

function bad(n: OnnxNode, msg: string): never {
  throw new WebRnnError('BAD_CONFIG', `ONNX node "${n.name}" (${n.opType}): ${msg}`);
}

type AttrValue<K extends OnnxAttr['kind']> = [Extract<OnnxAttr, { kind: K }>] extends [{ value: infer V }] ? V : never;

function want<K extends OnnxAttr['kind']>(n: OnnxNode, name: string, kind: K): AttrValue<K> | undefined {
  const a = n.attrs.get(name);
  if (!a) return undefined;
  if (a.kind !== kind) bad(n, `attribute ${name} must be of type ${kind}, got ${a.kind}`);
  return a.value as AttrValue<K>;
}

/** Checks a recurrent node's attributes; throws WebRnnError('BAD_CONFIG') naming the one webrnn cannot run. */
export function recurrentAttrs(n: OnnxNode): RecurrentAttrs {
  const op = n.opType as RecurrentOp;
  for (const k of n.attrs.keys()) if (!KNOWN_ATTRS[op].includes(k)) bad(n, `unsupported attribute "${k}"`);
  const direction = (want(n, 'direction', 'string') ?? 'forward') as RecurrentAttrs['direction'];
  if (!['forward', 'reverse', 'bidirectional'].includes(direction)) bad(n, `direction must be forward, reverse or bidirectional, got "${direction}"`);
  const D = direction === 'bidirectional' ? 2 : 1;
  const layout = want(n, 'layout', 'int') ?? 0;
  if (layout !== 0 && layout !== 1) bad(n, `layout must be 0 or 1, got ${layout}`);
  const clip = want(n, 'clip', 'float');
  if (clip !== undefined && !(clip > 0)) bad(n, `clip must be positive, got ${clip}`);
  const hs = want(n, 'hidden_size', 'int');
  if (hs !== undefined && !(hs >= 1)) bad(n, `hidden_size must be ≥ 1, got ${hs}`);
  const count = DEFAULT_ACTS[op].length;
  const names = want(n, 'activations', 'strings');
  if (names !== undefined && names.length !== count * D) {
    bad(n, `activations must list ${count * D} functions (${count} per direction × ${D}), got ${names.length}: ${names.join(', ')}`);
  }
  const alphas = [...(want(n, 'activation_alpha', 'floats') ?? [])];
  const betas = [...(want(n, 'activation_beta', 'floats') ?? [])];
  const list = (names ?? Array.from({ length: D }, () => DEFAULT_ACTS[op]).flat()).map((raw): ResolvedActivation => {
    const name = ACTIVATION_NAMES.find((a) => a.toLowerCase() === raw.toLowerCase());
    if (!name) bad(n, `unsupported activation "${raw}" (supported: ${ACTIVATION_NAMES.join(', ')})`);
    const [ua, ub] = USES[name] ?? [false, false];
    const [da, db] = DEFAULTS[name] ?? [0, 0];
    const alpha = ua ? (alphas.length ? alphas.shift()! : da) : 0;
    const beta = ub ? (betas.length ? betas.shift()! : db) : 0;
    return { name, alpha, beta };
  });
  const linear = want(n, 'linear_before_reset', 'int') ?? 0;
  const forget = want(n, 'input_forget', 'int') ?? 0;
  return {
    op, direction, layout: layout as 0 | 1, hidden_size: hs, clip: clip ?? 0,
    linear_before_reset: linear !== 0, input_forget: forget !== 0,
    activations: Array.from({ length: D }, (_, d) => list.slice(d * count, (d + 1) * count)),
  };
}

/** One webrnn layer run for a node: which ONNX directions it covers and whether it reads time reversed. */
interface Unit {
  dirs: number[];
  reversed: boolean;
  layer: Recurrent;
  config: RecurrentConfig;
}

/** The GPU layers of one recurrent node, kept across runs (weights reloaded only when they change). */
export class RecurrentNodeRunner {
  private units: Unit[] = [];
  private key = '';
  private weightsFrom: readonly (OnnxValue | undefined)[] = [];

  constructor(
    readonly node: OnnxNode,
    readonly attrs: RecurrentAttrs,
  ) {}

  dispose(): void {
    for (const u of this.units) u.layer.dispose();
    this.units = [];
    this.key = '';
  }

  /** Runs the node on `engine`; inputs as ONNX orders them (X, W, R, B, sequence_lens, initial_h, initial_c, P). */
  async run(engine: Engine, x: (OnnxValue | undefined)[]): Promise<OnnxValue[]> {
    const n = this.node;
    const a = this.attrs;
    const G = a.op === 'LSTM' ? 4 : a.op === 'GRU' ? 3 : 1;
    const D = a.direction === 'bidirectional' ? 2 : 1;
    const [X, W, R, Bias, seq, h0v, c0v, P] = x;
    if (!X || !W || !R) bad(n, 'needs inputs X, W and R');
    for (const [v, name] of [[X, 'X'], [W, 'W'], [R, 'R'], [Bias, 'B'], [h0v, 'initial_h'], [c0v, 'initial_c'], [P, 'P']] as const) {
      if (v && v.type !== 'float32') bad(n, `input ${name} must be float32, got ${v.type}`);
    }
    if (c0v && a.op !== 'LSTM') bad(n, 'initial_c is for LSTM only');
    if (X.shape.length !== 3) bad(n, `X must be 3-D, got [${X.shape.join(', ')}]`);
    const [T, B, I] = a.layout === 0 ? X.shape : [X.shape[1], X.shape[0], X.shape[2]];
    const H = R.shape[2];
    const dims = (v: OnnxValue | undefined, name: string, shape: number[]) => {
      if (v && v.shape.join() !== shape.join()) bad(n, `${name} has shape [${v.shape.join(', ')}], expected [${shape.join(', ')}]`);
    };
    if (a.hidden_size !== undefined && a.hidden_size !== H) bad(n, `hidden_size ${a.hidden_size} disagrees with R of shape [${R.shape.join(', ')}]`);
    dims(W, 'W', [D, G * H, I]);
    dims(R, 'R', [D, G * H, H]);
    dims(Bias, 'B', [D, 2 * G * H]);
    dims(P, 'P', [D, 3 * H]);
    const stShape = a.layout === 0 ? [D, B, H] : [B, D, H];
    dims(h0v, 'initial_h', stShape);
    dims(c0v, 'initial_c', stShape);
    if (P && a.op !== 'LSTM') bad(n, 'P (peepholes) is for LSTM only');
    if (a.input_forget && a.op !== 'LSTM') bad(n, 'input_forget is for LSTM only');
    dims(seq, 'sequence_lens', [B]);
    if (seq && seq.type !== 'int32' && seq.type !== 'int64') bad(n, `sequence_lens must be int32, got ${seq.type}`);
    const lens = Array.from({ length: B }, (_, b) => (seq ? seq.data[b] : T));
    lens.forEach((l, b) => {
      if (!(Number.isInteger(l) && l >= 0 && l <= T)) bad(n, `sequence_lens[${b}] = ${l}, must be in [0, ${T}]`);
    });
    const runLens = lens.map((l) => Math.max(l, 1)); // 0-length rows run one step and are zeroed below

    await this.prepare(engine, I, H, D, G, [W, R, Bias, P]);

    // time-major input and states
    const xt = new Float32Array(T * B * I);
    for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) {
      const src = a.layout === 0 ? (t * B + b) * I : (b * T + t) * I;
      xt.set(X.data.subarray(src, src + I), (t * B + b) * I);
    }
    const stateAt = (v: OnnxValue | undefined, d: number, b: number) => {
      if (!v) return undefined;
      const o = a.layout === 0 ? (d * B + b) * H : (b * D + d) * H;
      return v.data.subarray(o, o + H);
    };

    const Y = new Float32Array(T * D * B * H); // (T, D, B, H)
    const Yh = new Float32Array(D * B * H); // (D, B, H)
    const Yc = new Float32Array(D * B * H);
    for (const u of this.units) {
      const Du = u.dirs.length;
      const xin = u.reversed ? reverseRows(xt, B, I, runLens) : xt;
      const states = (v: OnnxValue | undefined) => {
        if (!v) return undefined;
        const s = new Float32Array(Du * B * H);
        u.dirs.forEach((d, k) => { for (let b = 0; b < B; b++) s.set(stateAt(v, d, b)!, (k * B + b) * H); });
        return s;
      };
      const owned = [engine.tensor(xin, [T, B, I])];
      try {
        const h0 = states(h0v);
        const c0 = states(c0v);
        if (h0) owned.push(engine.tensor(h0, [Du, B, H]));
        if (c0) owned.push(engine.tensor(c0, [Du, B, H]));
        const r = u.layer.forward(owned[0], { lengths: runLens, ...(h0 ? { h0: owned[1] } : {}), ...(c0 ? { c0: owned[h0 ? 2 : 1] } : {}) });
        let y = await r.output.read(); // (T, B, Du·H)
        const hn = await r.h_n.read(); // (Du, B, H)
        const cn = r.c_n ? await r.c_n.read() : undefined;
        if (u.reversed) y = reverseRows(y, B, Du * H, runLens);
        u.dirs.forEach((d, k) => {
          for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) {
            const src = (t * B + b) * Du * H + k * H;
            Y.set(y.subarray(src, src + H), ((t * D + d) * B + b) * H);
          }
          Yh.set(hn.subarray(k * B * H, (k + 1) * B * H), d * B * H);
          if (cn) Yc.set(cn.subarray(k * B * H, (k + 1) * B * H), d * B * H);
        });
      } finally {
        for (const t of owned) t.dispose();
      }
    }
    lens.forEach((l, b) => {
      if (l > 0) return;
      for (let d = 0; d < D; d++) {
        for (let t = 0; t < T; t++) Y.fill(0, ((t * D + d) * B + b) * H, ((t * D + d) * B + b + 1) * H);
        Yh.fill(0, (d * B + b) * H, (d * B + b + 1) * H);
        Yc.fill(0, (d * B + b) * H, (d * B + b + 1) * H);
      }
    });
    const outs: OnnxValue[] = [];
    if (a.layout === 0) {
      outs.push(makeValue('float32', [T, D, B, H], Y), makeValue('float32', [D, B, H], Yh), makeValue('float32', [D, B, H], Yc));
    } else {
      const Yb = new Float32Array(Y.length); // (B, T, D, H)
      for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) for (let b = 0; b < B; b++) {
        Yb.set(Y.subarray(((t * D + d) * B + b) * H, ((t * D + d) * B + b + 1) * H), ((b * T + t) * D + d) * H);
      }
      const bdh = (s: Float32Array) => {
        const o = new Float32Array(s.length);
        for (let d = 0; d < D; d++) for (let b = 0; b < B; b++) o.set(s.subarray((d * B + b) * H, (d * B + b + 1) * H), (b * D + d) * H);
        return o;
      };
      outs.push(makeValue('float32', [B, T, D, H], Yb), makeValue('float32', [B, D, H], bdh(Yh)), makeValue('float32', [B, D, H], bdh(Yc)));
    }
    return outs.slice(0, a.op === 'LSTM' ? 3 : 2);
  }

  /** (Re)builds the layers when sizes change, reloads weights when they are new values. */
  private async prepare(engine: Engine, I: number, H: number, D: number, G: number, weights: (OnnxValue | undefined)[]): Promise<void> {
    const a = this.attrs;
    const key = `${I},${H}`;
    if (key !== this.key) {
      this.dispose();
      const same = D === 2 && JSON.stringify(a.activations[0]) === JSON.stringify(a.activations[1]);
      const groups: { dirs: number[]; reversed: boolean }[] =
        a.direction === 'forward' ? [{ dirs: [0], reversed: false }]
          : a.direction === 'reverse' ? [{ dirs: [0], reversed: true }]
            : same ? [{ dirs: [0, 1], reversed: false }] : [{ dirs: [0], reversed: false }, { dirs: [1], reversed: true }];
      for (const g of groups) {
        const acts = a.activations[g.dirs[0]];
        const isRelu = a.op === 'RNN' && acts[0].name === 'Relu';
        const config: RecurrentConfig = {
          mode: a.op === 'RNN' ? (isRelu ? 'RNN_RELU' : 'RNN_TANH') : a.op,
          input_size: I,
          hidden_size: H,
          bidirectional: g.dirs.length === 2,
          bias: weights[2] !== undefined,
          ...(a.op === 'GRU' ? { reset_after: a.linear_before_reset } : {}),
          ...(a.op === 'LSTM' ? { peephole: weights[3] !== undefined, input_forget: a.input_forget } : {}),
          ...(isRelu ? {} : { activations: acts }),
          ...(a.clip > 0 ? { clip: a.clip } : {}),
        };
        this.units.push({ ...g, config, layer: new Recurrent(engine, config) });
      }
      this.key = key;
      this.weightsFrom = [];
    }
    if (weights.every((w, i) => w === this.weightsFrom[i])) return;
    const [W, R, Bias, P] = weights;
    for (const u of this.units) {
      const sd: Record<string, Float32Array> = {};
      u.dirs.forEach((d, k) => {
        sd[recurrentParamName('weight_ih', 0, k)] = gateRows(W!.data, d, G, H, I, ORDER[a.op]);
        sd[recurrentParamName('weight_hh', 0, k)] = gateRows(R!.data, d, G, H, H, ORDER[a.op]);
        if (Bias) {
          sd[recurrentParamName('bias_ih', 0, k)] = gateRows(Bias.data, 2 * d, G, H, 1, ORDER[a.op]);
          sd[recurrentParamName('bias_hh', 0, k)] = gateRows(Bias.data, 2 * d + 1, G, H, 1, ORDER[a.op]);
        }
        if (P) sd[recurrentParamName('weight_ph', 0, k)] = gateRows(P.data, d, 3, H, 1, [0, 2, 1]);
      });
      u.layer.loadStateDict(sd);
    }
    this.weightsFrom = weights;
  }
}

/** Block `block` (G gate blocks of H rows × cols) of a stacked tensor, gates reordered: out gate q = in gate order[q]. */
function gateRows(src: Float32Array | Float64Array, block: number, G: number, H: number, cols: number, order: number[]): Float32Array {
  const out = new Float32Array(G * H * cols);
  const base = block * G * H * cols;
  order.forEach((from, q) => out.set(src.subarray(base + from * H * cols, base + (from + 1) * H * cols), q * H * cols));
  return out;
}

/** Each row's first len[b] steps in reverse order (steps past len[b] unchanged): (T, B, F) time-major. */
function reverseRows(x: Float32Array, B: number, F: number, len: number[]): Float32Array {
  const out = Float32Array.from(x);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < len[b]; t++) {
      const src = ((len[b] - 1 - t) * B + b) * F;
      out.set(x.subarray(src, src + F), (t * B + b) * F);
    }
  }
  return out;
}
