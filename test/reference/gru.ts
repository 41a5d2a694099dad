import { affineRows, affineRowsBackward } from './affine.js';
import { activate, clipTo, sigmoid, sigmoidGradFromOutput, tanhGradFromOutput } from './activations.js';
import type { CellOptions, CellStep, RefCell, StateGrads } from './cell.js';

/** What a GRU step saves for BPTT. */
export interface GruStep extends CellStep {
  readonly r: Float64Array; // (H) reset gate
  readonly z: Float64Array; // (H) update gate
  readonly n: Float64Array; // (H) candidate state
  /** (3H) recurrent pre-activations; rows [2H, 3H) = W_hn h + b_hn (reset-after) or W_hn (r ⊙ h) + b_hn (reset-before). */
  readonly gh: Float64Array;
  /** (H) r ⊙ h, the vector W_hn multiplies in the reset-before form; absent in reset-after. */
  readonly rh?: Float64Array;
}

/**
 * The forward step with gate nonlinearity `f` (r, z) and candidate `g` (PyTorch: σ, tanh). The step
 * keeps r ⊙ h (`rh`) only in the reset-before form, where the backward needs it.
 */
function gruForward(resetAfter: boolean, f: (x: number) => number, g: (x: number) => number): RefCell<GruStep>['forward'] {
  return (p, x, h) => {
    const H = h.length;
    const gx = new Float64Array(3 * H);
    const gh = new Float64Array(3 * H);
    affineRows(p.weight_ih, p.bias_ih, x, gx, 0, 3 * H);
    affineRows(p.weight_hh, p.bias_hh, h, gh, 0, 2 * H);
    const r = new Float64Array(H);
    const z = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      r[j] = f(gx[j]! + gh[j]!);
      z[j] = f(gx[H + j]! + gh[H + j]!);
    }
    let rh: Float64Array | undefined;
    if (resetAfter) {
      affineRows(p.weight_hh, p.bias_hh, h, gh, 2 * H, 3 * H);
    } else {
      rh = new Float64Array(H);
      for (let j = 0; j < H; j++) rh[j] = r[j]! * h[j]!;
      affineRows(p.weight_hh, p.bias_hh, rh, gh, 2 * H, 3 * H);
    }
    const n = new Float64Array(H);
    const hNew = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      const recurrent = resetAfter ? r[j]! * gh[2 * H + j]! : gh[2 * H + j]!;
      n[j] = g(gx[2 * H + j]! + recurrent);
      hNew[j] = (1 - z[j]!) * n[j]! + z[j]! * h[j]!;
    }
    return rh === undefined ? { h: hNew, r, z, n, gh } : { h: hNew, r, z, n, gh, rh };
  };
}

/**
 * The GRU cell, gate order r, z, n (PyTorch):
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr),  z = σ(W_iz x + b_iz + W_hz h + b_hz),
 *   reset-after  (PyTorch, resetAfter = true):  n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),
 *   reset-before (course/ONNX default, false):  n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn),
 *   h' = (1 − z) ⊙ n + z ⊙ h.
 * With ONNX options (forward only): σ → f, tanh → g, pre-activations clamped to ±clip.
 *
 * @example
 * const cell = gruCell(true);
 * const p = { weight_ih: new Float64Array(3), weight_hh: new Float64Array(3) }; // H = I = 1, all zero
 * cell.forward(p, Float64Array.of(1), Float64Array.of(0.5), undefined).h; // [0.25]: z = 0.5, n = 0
 */
export function gruCell(resetAfter: boolean, opts?: CellOptions): RefCell<GruStep> {
  if (opts) return onnxGruCell(resetAfter, opts);
  return {
    gates: 3,
    hasCellState: false,
    forward: gruForward(resetAfter, sigmoid, Math.tanh),
    backward(p, grads, x, h, _c, s, dhNext, _dc, dx): StateGrads {
      const H = h.length;
      const dgx = new Float64Array(3 * H); // dL/d(input pre-activations), rows r, z, n
      const dgh = new Float64Array(3 * H); // dL/d(recurrent pre-activations)
      const dh = new Float64Array(H);
      const dr = new Float64Array(H); // dL/dr
      for (let j = 0; j < H; j++) {
        const dnPre = dhNext[j]! * (1 - s.z[j]!) * tanhGradFromOutput(s.n[j]!);
        dgx[H + j] = dgh[H + j] = dhNext[j]! * (h[j]! - s.n[j]!) * sigmoidGradFromOutput(s.z[j]!);
        dgx[2 * H + j] = dnPre;
        dh[j] = dhNext[j]! * s.z[j]!;
        if (resetAfter) {
          dgh[2 * H + j] = dnPre * s.r[j]!;
          dr[j] = dnPre * s.gh[2 * H + j]!;
        } else {
          dgh[2 * H + j] = dnPre;
        }
      }
      if (s.rh !== undefined) {
        // n's recurrent product read r ⊙ h: route its gradient to r and to h.
        const drh = new Float64Array(H);
        affineRowsBackward(p.weight_hh, s.rh, dgh, 2 * H, 3 * H, grads.weight_hh, grads.bias_hh, drh);
        for (let j = 0; j < H; j++) {
          dr[j] = drh[j]! * h[j]!;
          dh[j]! += drh[j]! * s.r[j]!;
        }
      }
      for (let j = 0; j < H; j++) dgx[j] = dgh[j] = dr[j]! * sigmoidGradFromOutput(s.r[j]!);
      affineRowsBackward(p.weight_ih, x, dgx, 0, 3 * H, grads.weight_ih, grads.bias_ih, dx);
      affineRowsBackward(p.weight_hh, h, dgh, 0, resetAfter ? 3 * H : 2 * H, grads.weight_hh, grads.bias_hh, dh);
      return { dh };
    },
  };
}

/** The GRU with ONNX's activations and clip (forward only). */
function onnxGruCell(resetAfter: boolean, o: CellOptions): RefCell<GruStep> {
  const [fa, ga] = o.activations as [CellOptions['activations'][0], CellOptions['activations'][0]];
  return {
    gates: 3,
    hasCellState: false,
    forward: gruForward(resetAfter, (x) => activate(fa, clipTo(x, o.clip)), (x) => activate(ga, clipTo(x, o.clip))),
    backward(): StateGrads {
      throw new Error('the reference GRU with ONNX activations/clip is forward only');
    },
  };
}
