// One set of weights for every engine. They are made in PyTorch's state_dict layout (what webrnn
// loads) from a seed, and converted here to the layouts of tfjs (Keras) and ONNX. Getting these
// permutations wrong would still benchmark *something*; the correctness guard (outputs equal to
// webrnn's within 1e-4) is what proves they are right.
//
// Gate orders:  PyTorch/webrnn LSTM i,f,g,o   GRU r,z,n
//               tfjs (Keras)   LSTM i,f,c,o   GRU z,r,h   kernels stored transposed: (I, G·H), (H, G·H)
//               ONNX           LSTM i,o,f,c   GRU z,r,h   W (D, G·H, I), R (D, G·H, H), B (D, 2·G·H)
import { seededUniform } from './shapes.mjs';

/** @typedef {import('./shapes.mjs').Shape} Shape */
/** @typedef {import('./shapes.mjs').CellVariant} CellVariant */
/** @typedef {Record<string, Float32Array>} StateDict */

/** PyTorch's constructor arguments of the benchmarked layer stack (what webrnn takes). */
export function rnnConfig(/** @type {Shape} */ s, /** @type {CellVariant} */ c) {
  return {
    mode: c.cell === 'lstm' ? 'LSTM' : 'GRU',
    input_size: s.I,
    hidden_size: s.H,
    num_layers: s.L,
    bidirectional: s.bidirectional,
    ...(c.variant === 'reset_before' ? { reset_after: false } : {}),
  };
}

/**
 * Weights U(−1/√H, 1/√H) like PyTorch's init, one seeded stream per parameter.
 * @param {readonly { name: string, shape: readonly number[] }[]} specs webrnn's parameterSpecs(config)
 * @param {number} H @param {number} [seed]
 * @returns {StateDict}
 */
export function makeStateDict(specs, H, seed = 1) {
  const k = 1 / Math.sqrt(H);
  /** @type {StateDict} */
  const sd = {};
  specs.forEach((s, i) => {
    sd[s.name] = seededUniform(s.shape.reduce((a, b) => a * b, 1), seed * 1000 + i + 1, -k, k);
  });
  return sd;
}

/** The input (T, B, I), time-major, and the MSE target (T, B, D·H), both seeded. */
export function makeData(/** @type {Shape} */ s) {
  const D = s.bidirectional ? 2 : 1;
  return {
    x: seededUniform(s.T * s.B * s.I, 7, -1, 1),
    target: seededUniform(s.T * s.B * D * s.H, 8, -0.5, 0.5),
  };
}

/** (P0, P1, F) → (P1, P0, F): time-major ↔ batch-first. */
export function swap01(/** @type {Float32Array} */ a, /** @type {number} */ P0, /** @type {number} */ P1, /** @type {number} */ F) {
  const out = new Float32Array(a.length);
  for (let i = 0; i < P0; i++) for (let j = 0; j < P1; j++) out.set(a.subarray((i * P1 + j) * F, (i * P1 + j + 1) * F), (j * P0 + i) * F);
  return out;
}

/** Rows of a (G·H, K) matrix regrouped gate block by gate block: block `order[g]` goes to position g. */
function permuteGates(/** @type {Float32Array} */ w, /** @type {number} */ H, /** @type {number[]} */ order) {
  const K = w.length / (order.length * H);
  const out = new Float32Array(w.length);
  order.forEach((src, g) => out.set(w.subarray(src * H * K, (src + 1) * H * K), g * H * K));
  return out;
}

/** (R, C) row-major → (C, R). */
function transpose(/** @type {Float32Array} */ w, /** @type {number} */ R, /** @type {number} */ C) {
  const out = new Float32Array(w.length);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[c * R + r] = w[r * C + c];
  return out;
}

const TFJS_ORDER = { lstm: [0, 1, 2, 3], gru: [1, 0, 2] };
const ONNX_ORDER = { lstm: [0, 3, 1, 2], gru: [1, 0, 2] };

/** Parameter names of layer l, direction d. */
const names = (/** @type {number} */ l, /** @type {number} */ d) => {
  const sfx = `_l${l}${d ? '_reverse' : ''}`;
  return { wih: `weight_ih${sfx}`, whh: `weight_hh${sfx}`, bih: `bias_ih${sfx}`, bhh: `bias_hh${sfx}` };
};

/**
 * tfjs weights in model.getWeights() order: per layer, forward then backward (Bidirectional), each
 * [kernel (I_l, G·H), recurrent_kernel (H, G·H), bias (G·H)]. Keras has one bias: b_ih + b_hh — exact
 * for LSTM and for the r, z gates, and for GRU's n gate in the reset-before form, where both biases sit
 * outside the reset product (tfjs's GRU: n = tanh(x·W_h + b_h + (r ⊙ h)·U_h)).
 * @returns {{ values: Float32Array, shape: number[] }[]}
 */
export function toTfjs(/** @type {StateDict} */ sd, /** @type {Shape} */ s, /** @type {CellVariant} */ c) {
  const D = s.bidirectional ? 2 : 1;
  const order = TFJS_ORDER[c.cell];
  const GH = c.G * s.H;
  const out = [];
  for (let l = 0; l < s.L; l++) {
    const I = l === 0 ? s.I : D * s.H;
    for (let d = 0; d < D; d++) {
      const n = names(l, d);
      const bias = new Float32Array(GH);
      const bi = permuteGates(sd[n.bih], s.H, order);
      const bh = permuteGates(sd[n.bhh], s.H, order);
      for (let i = 0; i < GH; i++) bias[i] = bi[i] + bh[i];
      out.push(
        { values: transpose(permuteGates(sd[n.wih], s.H, order), GH, I), shape: [I, GH] },
        { values: transpose(permuteGates(sd[n.whh], s.H, order), GH, s.H), shape: [s.H, GH] },
        { values: bias, shape: [GH] },
      );
    }
  }
  return out;
}

/**
 * ONNX LSTM/GRU inputs per layer: W (D, G·H, I_l), R (D, G·H, H), B (D, 2·G·H) = [Wb | Rb].
 * @returns {{ W: Float32Array, R: Float32Array, B: Float32Array, I: number }[]}
 */
export function toOnnx(/** @type {StateDict} */ sd, /** @type {Shape} */ s, /** @type {CellVariant} */ c) {
  const D = s.bidirectional ? 2 : 1;
  const order = ONNX_ORDER[c.cell];
  const GH = c.G * s.H;
  const out = [];
  for (let l = 0; l < s.L; l++) {
    const I = l === 0 ? s.I : D * s.H;
    const W = new Float32Array(D * GH * I);
    const R = new Float32Array(D * GH * s.H);
    const B = new Float32Array(D * 2 * GH);
    for (let d = 0; d < D; d++) {
      const n = names(l, d);
      W.set(permuteGates(sd[n.wih], s.H, order), d * GH * I);
      R.set(permuteGates(sd[n.whh], s.H, order), d * GH * s.H);
      B.set(permuteGates(sd[n.bih], s.H, order), d * 2 * GH);
      B.set(permuteGates(sd[n.bhh], s.H, order), d * 2 * GH + GH);
    }
    out.push({ W, R, B, I });
  }
  return out;
}

/**
 * max |a − b| / max |b|: the guard's relative error (scale-free, and not blown up by outputs near 0).
 * @returns {{ rel: number, index: number, a: number, b: number }}
 */
export function relativeError(/** @type {Float32Array} */ a, /** @type {Float32Array} */ b) {
  if (a.length !== b.length) return { rel: Infinity, index: -1, a: a.length, b: b.length };
  let maxDiff = 0;
  let maxRef = 0;
  let index = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= maxDiff)) { maxDiff = d; index = i; }
    maxRef = Math.max(maxRef, Math.abs(b[i]));
  }
  return { rel: maxRef > 0 ? maxDiff / maxRef : maxDiff, index, a: a[index], b: b[index] };
}

/** The guard's tolerance: the benchmark compares the same computation only when outputs agree this well. */
export const GUARD_TOLERANCE = 1e-4;
