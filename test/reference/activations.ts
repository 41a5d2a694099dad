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

/**
 * ONNX's recurrent activation functions with onnxruntime's definitions (ThresholdedRelu is x > α ? x : 0;
 * Tanh and Sigmoid are the exact functions). @example activate({ name: 'HardSigmoid', alpha: 0.2, beta: 0.5 }, 1) // 0.7
 */
export function activate(a: { name: string; alpha: number; beta: number }, x: number): number {
  switch (a.name) {
    case 'Sigmoid': return sigmoid(x);
    case 'Tanh': return Math.tanh(x);
    case 'Relu': return relu(x);
    case 'Affine': return a.alpha * x + a.beta;
    case 'LeakyRelu': return x >= 0 ? x : a.alpha * x;
    case 'ThresholdedRelu': return x > a.alpha ? x : 0;
    case 'ScaledTanh': return a.alpha * Math.tanh(a.beta * x);
    case 'HardSigmoid': return Math.min(Math.max(a.alpha * x + a.beta, 0), 1);
    case 'Elu': return x >= 0 ? x : a.alpha * (Math.exp(x) - 1);
    case 'Softsign': return x / (1 + Math.abs(x));
    case 'Softplus': return Math.log1p(Math.exp(x));
    default: throw new Error(`unknown activation ${a.name}`);
  }
}

/** ONNX's cell clip: x clamped to [−clip, clip]; clip 0 means none. @example clipTo(3, 2) // 2 */
export function clipTo(x: number, clip: number): number {
  return clip > 0 ? Math.min(Math.max(x, -clip), clip) : x;
}
