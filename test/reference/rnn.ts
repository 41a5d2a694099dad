import { affineRows, affineRowsBackward } from './affine.js';
import { activate, clipTo, relu, reluGradFromOutput, tanhGradFromOutput } from './activations.js';
import type { CellOptions, CellStep, RefCell, StateGrads } from './cell.js';

/** An Elman RNN step needs nothing beyond its output h' = act(a) to run backward. */
export type RnnStep = CellStep;

/** The forward step h' = act(W_ih x + b_ih + W_hh h + b_hh). */
function rnnForward(act: (x: number) => number): RefCell<RnnStep>['forward'] {
  return (p, x, h) => {
    const H = h.length;
    const a = new Float64Array(H);
    affineRows(p.weight_ih, p.bias_ih, x, a, 0, H);
    affineRows(p.weight_hh, p.bias_hh, h, a, 0, H);
    for (let j = 0; j < H; j++) a[j] = act(a[j]!);
    return { h: a };
  };
}

/**
 * The Elman cell of PyTorch's nn.RNN: h' = act(W_ih x + b_ih + W_hh h + b_hh), act = tanh or relu.
 *
 * @example
 * const cell = rnnCell('tanh');
 * const p = { weight_ih: Float64Array.of(0.5), weight_hh: Float64Array.of(-1) };
 * cell.forward(p, Float64Array.of(2), Float64Array.of(0.25), undefined).h; // [tanh(0.75)]
 */
export function rnnCell(nonlinearity: 'tanh' | 'relu', opts?: CellOptions): RefCell<RnnStep> {
  if (opts) return onnxRnnCell(opts);
  const act = nonlinearity === 'tanh' ? Math.tanh : relu;
  const actGrad = nonlinearity === 'tanh' ? tanhGradFromOutput : reluGradFromOutput;
  return {
    gates: 1,
    hasCellState: false,
    forward: rnnForward(act),
    backward(p, grads, x, h, _c, step, dhNext, _dc, dx): StateGrads {
      const H = h.length;
      const da = new Float64Array(H);
      for (let j = 0; j < H; j++) da[j] = dhNext[j]! * actGrad(step.h[j]!);
      const dh = new Float64Array(H);
      affineRowsBackward(p.weight_ih, x, da, 0, H, grads.weight_ih, grads.bias_ih, dx);
      affineRowsBackward(p.weight_hh, h, da, 0, H, grads.weight_hh, grads.bias_hh, dh);
      return { dh };
    },
  };
}

/** The Elman cell with ONNX's activation f and clip (forward only): h' = f(clip(W_ih x + b_ih + W_hh h + b_hh)). */
function onnxRnnCell(o: CellOptions): RefCell<RnnStep> {
  const fa = o.activations[0]!;
  return {
    gates: 1,
    hasCellState: false,
    forward: rnnForward((x) => activate(fa, clipTo(x, o.clip))),
    backward(): StateGrads {
      throw new Error('the reference RNN with ONNX activations/clip is forward only');
    },
  };
}
