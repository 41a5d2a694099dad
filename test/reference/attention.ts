/**
 * Float64 reference of the attention decoder (src/layers/attention-decoder.ts): Bahdanau additive
 * attention over encoder annotations feeding an LSTM cell, run with teacher forcing, and its full
 * BPTT. Same shapes, names and masking as the GPU layer; clarity over speed.
 *
 * Per batch row b, with s<−1> = m<−1> = 0 and k<t'> = U_a a<t'> + b_a:
 *   e<t,t'> = vᵀ tanh(W_s s<t−1> + k<t'>),  α<t> = softmax over t' < source_lengths[b],  c<t> = Σ α<t,t'> a<t'>
 *   s<t>, m<t> = LSTMCell([x<t>; c<t>], s<t−1>, m<t−1>)        for t < lengths[b]
 * Steps t ≥ lengths[b] keep the state and output 0 (their attention is still computed from the held
 * state, as on the GPU, but reaches no output); annotations at t' ≥ source_lengths[b] get α = 0.
 */
import { WebRnnError } from '../../src/errors.js';
import { attentionDecoderSpecs, checkRowLengths, resolveAttentionConfig, type AttentionDecoderConfig } from '../../src/layers/attention-config.js';
import { affineRows, affineRowsBackward } from './affine.js';
import type { CellParams } from './cell.js';
import { lstmCell, type LstmStep } from './lstm.js';

export interface RefAttentionInputs {
  input: Float64Array; // (Ty, B, E) the decoder's token inputs (embedded y<t−1>)
  annotations: Float64Array; // (Tx, B, A) encoder outputs
  Tx: number;
  Ty: number;
  B: number;
  source_lengths?: ArrayLike<number>; // (B), each 1..Tx; absent = all Tx
  lengths?: ArrayLike<number>; // (B), each 1..Ty; absent = all Ty
}

export interface RefAttentionForward {
  output: Float64Array; // (Ty, B, H) s<t>, 0 at t ≥ lengths[b]
  attention: Float64Array; // (Ty, B, Tx) α<t, t'>
  context: Float64Array; // (Ty, B, A) c<t>
  cache: unknown; // opaque, for the backward
}

export interface RefAttentionGradients {
  grad_input: Float64Array; // (Ty, B, E)
  grad_annotations: Float64Array; // (Tx, B, A)
  grads: Record<string, Float64Array>; // one per attentionDecoderSpecs name
}

interface Dims {
  Tx: number;
  Ty: number;
  B: number;
  E: number;
  A: number;
  H: number;
  N: number;
  lx: Uint32Array;
  ly: Uint32Array;
}

/** What one (t, b) saved: query, tanh(q + k) per (t', n), the LSTM step (undefined when masked). */
interface StepSave {
  q: Float64Array; // (N)
  u: Float64Array; // (Tx, N)
  sPrev: Float64Array; // (H)
  mPrev: Float64Array; // (H)
  xin: Float64Array; // (E + A)
  lstm: LstmStep | undefined;
}

class RefAttentionCache {
  constructor(
    readonly dims: Dims,
    readonly keys: Float64Array, // (Tx, B, N)
    readonly saves: StepSave[][], // [b][t]
    readonly attention: Float64Array,
  ) {}
}

function checkArray(name: string, a: unknown, n: number): asserts a is Float64Array {
  if (!(a instanceof Float64Array) || a.length !== n) {
    throw new WebRnnError('BAD_SHAPE', `${name} must be a Float64Array of ${n} values, got ${a instanceof Float64Array ? a.length : typeof a}`);
  }
}

function dimsOf(config: AttentionDecoderConfig, inputs: RefAttentionInputs): Dims {
  const c = resolveAttentionConfig(config);
  const { Tx, Ty, B } = inputs;
  for (const [k, v] of [['Tx', Tx], ['Ty', Ty], ['B', B]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new WebRnnError('BAD_SHAPE', `${k} must be a positive integer, got ${v}`);
  }
  const d = { Tx, Ty, B, E: c.input_size, A: c.annotation_size, H: c.hidden_size, N: c.attention_size };
  checkArray('input', inputs.input, Ty * B * d.E);
  checkArray('annotations', inputs.annotations, Tx * B * d.A);
  return { ...d, lx: checkRowLengths(inputs.source_lengths, Tx, B, 'source_lengths'), ly: checkRowLengths(inputs.lengths, Ty, B, 'lengths') };
}

function checkParams(config: AttentionDecoderConfig, params: Record<string, Float64Array>): void {
  for (const s of attentionDecoderSpecs(config)) checkArray(`params["${s.name}"]`, params[s.name], s.shape.reduce((a, b) => a * b, 1));
}

const cellOf = (p: Record<string, Float64Array>): CellParams => ({
  weight_ih: p['cell.weight_ih'],
  weight_hh: p['cell.weight_hh'],
  bias_ih: p['cell.bias_ih'],
  bias_hh: p['cell.bias_hh'],
});

/**
 * The decoder's forward with teacher forcing.
 *
 * @example
 * const config = { input_size: 2, annotation_size: 4, hidden_size: 3, attention_size: 5 };
 * const fwd = refAttentionDecoderForward(config, params, { input, annotations, Tx: 6, Ty: 4, B: 2, source_lengths: [6, 2] });
 * fwd.attention; // (4, 2, 6); row 1 has weight only on t' < 2
 */
export function refAttentionDecoderForward(config: AttentionDecoderConfig, params: Record<string, Float64Array>, inputs: RefAttentionInputs): RefAttentionForward {
  checkParams(config, params);
  const d = dimsOf(config, inputs);
  const { Tx, Ty, B, E, A, H, N } = d;
  const Wq = params['attention.query.weight'];
  const v = params['attention.v.weight'];
  const cp = cellOf(params);
  const cell = lstmCell();
  const keys = new Float64Array(Tx * B * N);
  for (let r = 0; r < Tx * B; r++) {
    affineRows(params['attention.key.weight'], params['attention.key.bias'], inputs.annotations.subarray(r * A, (r + 1) * A), keys.subarray(r * N, (r + 1) * N), 0, N);
  }
  const output = new Float64Array(Ty * B * H);
  const attention = new Float64Array(Ty * B * Tx);
  const context = new Float64Array(Ty * B * A);
  const saves: StepSave[][] = [];
  for (let b = 0; b < B; b++) {
    const lx = d.lx[b];
    let s: Float64Array = new Float64Array(H);
    let m: Float64Array = new Float64Array(H);
    const row: StepSave[] = [];
    for (let t = 0; t < Ty; t++) {
      const q = new Float64Array(N);
      affineRows(Wq, undefined, s, q, 0, N);
      const u = new Float64Array(Tx * N);
      const e = new Float64Array(lx);
      let max = -Infinity;
      for (let j = 0; j < lx; j++) {
        for (let n = 0; n < N; n++) {
          const un = (u[j * N + n] = Math.tanh(q[n] + keys[(j * B + b) * N + n]));
          e[j] += v[n] * un;
        }
        max = Math.max(max, e[j]);
      }
      let sum = 0;
      for (let j = 0; j < lx; j++) sum += Math.exp(e[j] - max);
      const al = (t * B + b) * Tx;
      const c = context.subarray((t * B + b) * A, (t * B + b + 1) * A);
      for (let j = 0; j < lx; j++) {
        const a = (attention[al + j] = Math.exp(e[j] - max) / sum);
        for (let f = 0; f < A; f++) c[f] += a * inputs.annotations[(j * B + b) * A + f];
      }
      const xin = new Float64Array(E + A);
      xin.set(inputs.input.subarray((t * B + b) * E, (t * B + b + 1) * E), 0);
      xin.set(c, E);
      const save: StepSave = { q, u, sPrev: s, mPrev: m, xin, lstm: undefined };
      if (t < d.ly[b]) {
        const st = cell.forward(cp, xin, s, m);
        save.lstm = st;
        s = st.h;
        m = st.c;
        output.set(s, (t * B + b) * H);
      }
      row.push(save);
    }
    saves.push(row);
  }
  return { output, attention, context, cache: new RefAttentionCache(d, keys, saves, attention) };
}

/**
 * BPTT through the decoder and its attention, given dL/d(output) (Ty, B, H) (entries at padded
 * steps have no effect). `fwd` must come from {@link refAttentionDecoderForward} with the same
 * config, params and inputs.
 *
 * @example
 * const g = refAttentionDecoderBackward(config, params, inputs, fwd, fwd.output); // L = ½‖output‖²
 * g.grads['attention.v.weight']; // dL/dv, (1, N)
 */
export function refAttentionDecoderBackward(
  config: AttentionDecoderConfig,
  params: Record<string, Float64Array>,
  inputs: RefAttentionInputs,
  fwd: RefAttentionForward,
  grad_output: Float64Array,
): RefAttentionGradients {
  checkParams(config, params);
  const d = dimsOf(config, inputs);
  const cache = fwd?.cache;
  if (!(cache instanceof RefAttentionCache)) throw new WebRnnError('BAD_STATE', 'fwd must be the result of refAttentionDecoderForward');
  const { Tx, Ty, B, E, A, H, N } = d;
  if (cache.dims.Tx !== Tx || cache.dims.Ty !== Ty || cache.dims.B !== B) throw new WebRnnError('BAD_STATE', 'fwd was computed for other sizes');
  checkArray('grad_output', grad_output, Ty * B * H);
  const grads: Record<string, Float64Array> = {};
  for (const s of attentionDecoderSpecs(config)) grads[s.name] = new Float64Array(s.shape.reduce((a, b) => a * b, 1));
  const Wq = params['attention.query.weight'];
  const Wk = params['attention.key.weight'];
  const v = params['attention.v.weight'];
  const cp = cellOf(params);
  const cg = cellOf(grads);
  const cell = lstmCell();
  const grad_input = new Float64Array(Ty * B * E);
  const grad_annotations = new Float64Array(Tx * B * A);
  const ann = inputs.annotations;
  for (let b = 0; b < B; b++) {
    const lx = d.lx[b];
    let ds: Float64Array = new Float64Array(H);
    let dm: Float64Array = new Float64Array(H);
    for (let t = d.ly[b] - 1; t >= 0; t--) {
      const sv = cache.saves[b][t];
      for (let j = 0; j < H; j++) ds[j] += grad_output[(t * B + b) * H + j];
      const dxin = new Float64Array(E + A);
      const back = cell.backward(cp, cg, sv.xin, sv.sPrev, sv.mPrev, sv.lstm!, ds, dm, dxin);
      ds = back.dh;
      dm = back.dc!;
      grad_input.set(dxin.subarray(0, E), (t * B + b) * E);
      const dc = dxin.subarray(E);
      // Softmax and context adjoints.
      const al = (t * B + b) * Tx;
      const da = new Float64Array(lx);
      let S = 0;
      for (let j = 0; j < lx; j++) {
        const alpha = cache.attention[al + j];
        for (let f = 0; f < A; f++) {
          da[j] += dc[f] * ann[(j * B + b) * A + f];
          grad_annotations[(j * B + b) * A + f] += alpha * dc[f];
        }
        S += alpha * da[j];
      }
      // Score adjoint through vᵀ tanh(q + k).
      const dq = new Float64Array(N);
      for (let j = 0; j < lx; j++) {
        const de = cache.attention[al + j] * (da[j] - S);
        const dk = new Float64Array(N);
        for (let n = 0; n < N; n++) {
          const u = sv.u[j * N + n];
          grads['attention.v.weight'][n] += de * u;
          dk[n] = de * v[n] * (1 - u * u);
          dq[n] += dk[n];
        }
        affineRowsBackward(Wk, ann.subarray((j * B + b) * A, (j * B + b + 1) * A), dk, 0, N, grads['attention.key.weight'], grads['attention.key.bias'], grad_annotations.subarray((j * B + b) * A, (j * B + b + 1) * A));
      }
      affineRowsBackward(Wq, sv.sPrev, dq, 0, N, grads['attention.query.weight'], undefined, ds);
    }
  }
  return { grad_input, grad_annotations, grads };
}
