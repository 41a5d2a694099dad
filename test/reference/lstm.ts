import { affineRows, affineRowsBackward } from './affine.js';
import { activate, clipTo, sigmoid, sigmoidGradFromOutput, tanhGradFromOutput } from './activations.js';
import type { CellOptions, CellParams, CellStep, RefCell, StateGrads } from './cell.js';

/** What an LSTM step saves for BPTT. */
export interface LstmStep extends CellStep {
  readonly c: Float64Array; // (H) new cell state c'
  readonly i: Float64Array; // (H) input gate
  readonly f: Float64Array; // (H) forget gate
  readonly g: Float64Array; // (H) candidate
  readonly o: Float64Array; // (H) output gate
  readonly tc: Float64Array; // (H) tanh(c')
  readonly m: Float64Array; // (H) o ⊙ tanh(c'), the cell output before the projection (= h without one)
}

/** The step with h = W_hr·m when the layer projects (p.weight_hr present), else h = m. */
function project(p: CellParams, s: Omit<LstmStep, 'h'> & { h?: Float64Array }): LstmStep {
  const whr = p.weight_hr;
  if (!whr) return { ...s, h: s.m };
  const h = new Float64Array(whr.length / s.m.length);
  affineRows(whr, undefined, s.m, h, 0, h.length);
  return { ...s, h };
}

/**
 * The forward step with gate nonlinearity `f` (i, f, o), candidate `g` and cell output `hAct`
 * (PyTorch: σ, tanh, tanh); `inputForget`: f = 1 − i (ONNX's input_forget).
 */
function lstmForward(f: (x: number) => number, g: (x: number) => number, hAct: (x: number) => number, inputForget: boolean): RefCell<LstmStep>['forward'] {
  return (p, x, h, c) => {
    const H = c!.length;
    const a = new Float64Array(4 * H);
    affineRows(p.weight_ih, p.bias_ih, x, a, 0, 4 * H);
    affineRows(p.weight_hh, p.bias_hh, h, a, 0, 4 * H);
    const ph = p.weight_ph;
    const s = { m: new Float64Array(H), c: new Float64Array(H), i: new Float64Array(H), f: new Float64Array(H), g: new Float64Array(H), o: new Float64Array(H), tc: new Float64Array(H) };
    for (let j = 0; j < H; j++) {
      const cPrev = c![j]!;
      const i = (s.i[j] = f(a[j]! + (ph ? ph[j]! * cPrev : 0)));
      const fg = (s.f[j] = inputForget ? 1 - i : f(a[H + j]! + (ph ? ph[H + j]! * cPrev : 0)));
      const gg = (s.g[j] = g(a[2 * H + j]!));
      const cNew = (s.c[j] = fg * cPrev + i * gg);
      const o = (s.o[j] = f(a[3 * H + j]! + (ph ? ph[2 * H + j]! * cNew : 0)));
      s.m[j] = o * (s.tc[j] = hAct(cNew));
    }
    return project(p, s);
  };
}

/**
 * The LSTM cell, gate order i, f, g, o (PyTorch), with optional peepholes p = weight_ph = [p_i, p_f, p_o]:
 *   a = W_ih x + b_ih + W_hh h + b_hh  (4H),
 *   i = σ(a_i + p_i ⊙ c),  f = σ(a_f + p_f ⊙ c),  g = tanh(a_g),
 *   c' = f ⊙ c + i ⊙ g,  o = σ(a_o + p_o ⊙ c'),  m = o ⊙ tanh(c'),  h' = m, or W_hr m (proj_size).
 * Peepholes are on exactly when `p.weight_ph` is present, the projection when `p.weight_hr` is (h is
 * then proj_size wide, c stays H).
 * With ONNX options (forward only): σ → f, the candidate's tanh → g, tanh(c') → h, every gate
 * pre-activation clamped to ±clip, and input_forget's f = 1 − i (f's weights unused).
 *
 * @example
 * const p = { weight_ih: new Float64Array(4), weight_hh: new Float64Array(4) }; // H = I = 1, all zero
 * const s = lstmCell().forward(p, Float64Array.of(1), Float64Array.of(0), Float64Array.of(2));
 * // s.c = [1] (f = 0.5, g = 0), s.h = [0.5·tanh(1)]
 */
export function lstmCell(opts?: CellOptions): RefCell<LstmStep> {
  if (opts) return onnxLstmCell(opts);
  return {
    gates: 4,
    hasCellState: true,
    forward: lstmForward(sigmoid, Math.tanh, Math.tanh, false),
    backward(p, grads, x, h, c, s, dhOut, dcNext, dx): StateGrads {
      const H = c!.length;
      // dL/dm: through the projection (dW_hr += dh'·mᵀ), or dL/dh' itself.
      let dhNext = dhOut;
      if (p.weight_hr) {
        dhNext = new Float64Array(H);
        affineRowsBackward(p.weight_hr, s.m, dhOut, 0, dhOut.length, grads.weight_hr!, undefined, dhNext);
      }
      const ph = p.weight_ph;
      const dph = grads.weight_ph;
      const da = new Float64Array(4 * H); // dL/d(pre-activations), rows i, f, g, o
      const dc = new Float64Array(H);
      for (let j = 0; j < H; j++) {
        const cPrev = c![j]!;
        const dOPre = dhNext[j]! * s.tc[j]! * sigmoidGradFromOutput(s.o[j]!);
        // c' reaches the loss through the next step (dcNext), through h' = o·tanh(c'), and through o's peephole.
        let dcNew = dcNext![j]! + dhNext[j]! * s.o[j]! * tanhGradFromOutput(s.tc[j]!);
        if (ph) dcNew += dOPre * ph[2 * H + j]!;
        const dIPre = dcNew * s.g[j]! * sigmoidGradFromOutput(s.i[j]!);
        const dFPre = dcNew * cPrev * sigmoidGradFromOutput(s.f[j]!);
        da[j] = dIPre;
        da[H + j] = dFPre;
        da[2 * H + j] = dcNew * s.i[j]! * tanhGradFromOutput(s.g[j]!);
        da[3 * H + j] = dOPre;
        dc[j] = dcNew * s.f[j]!;
        if (ph) {
          dc[j]! += dIPre * ph[j]! + dFPre * ph[H + j]!;
          dph![j]! += dIPre * cPrev;
          dph![H + j]! += dFPre * cPrev;
          dph![2 * H + j]! += dOPre * s.c[j]!;
        }
      }
      const dh = new Float64Array(h.length);
      affineRowsBackward(p.weight_ih, x, da, 0, 4 * H, grads.weight_ih, grads.bias_ih, dx);
      affineRowsBackward(p.weight_hh, h, da, 0, 4 * H, grads.weight_hh, grads.bias_hh, dh);
      return { dh, dc };
    },
  };
}

/** The LSTM with ONNX's activations, clip and input_forget (forward only). */
function onnxLstmCell(o: CellOptions): RefCell<LstmStep> {
  const [fa, ga, ha] = o.activations as [CellOptions['activations'][0], CellOptions['activations'][0], CellOptions['activations'][0]];
  return {
    gates: 4,
    hasCellState: true,
    forward: lstmForward((x) => activate(fa, clipTo(x, o.clip)), (x) => activate(ga, clipTo(x, o.clip)), (x) => activate(ha, x), o.input_forget),
    backward(): StateGrads {
      throw new Error('the reference LSTM with ONNX activations/clip/input_forget is forward only');
    },
  };
}
