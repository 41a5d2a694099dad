/**
 * Scalar activations of the reference cells, each with its derivative written in terms of the
 * activation's output (what BPTT has saved), as PyTorch's backward formulas are.
 */

/** σ(v) = 1 / (1 + e^(−v)). @example sigmoid(0) // 0.5 */
export function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

/** dσ/dv from s = σ(v): s·(1 − s). @example sigmoidGradFromOutput(0.5) // 0.25 */
export function sigmoidGradFromOutput(s: number): number {
  return s * (1 - s);
}

/** d tanh/dv from t = tanh(v): 1 − t². @example tanhGradFromOutput(0) // 1 */
export function tanhGradFromOutput(t: number): number {
  return 1 - t * t;
}

/** max(0, v). @example relu(-2) // 0 */
export function relu(v: number): number {
  return v > 0 ? v : 0;
}

/** d relu/dv from y = relu(v): 1 where y > 0, else 0 (PyTorch's threshold_backward; 0 at the kink). @example reluGradFromOutput(3) // 1 */
export function reluGradFromOutput(y: number): number {
  return y > 0 ? 1 : 0;
}
