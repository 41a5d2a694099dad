// onnx_activations: ONNX's recurrent activations (fn activate) and cell clip (fn clip_pre), as
// onnxruntime computes them. Pure (needs nothing from the kernel).
// Included by shared/onnx_gates.wgsl (so by lstm_step_fwd, gru_step_fwd), gru_reset_gate_fwd and
// rnn_step_fwd.
//!include "shared/tanh_clamped.wgsl"
//!include "shared/exp_accurate.wgsl"

// id = index in ACTIVATION_NAMES (src/config.ts); each case's comment is that name
// (test/interop-kernels.test.ts checks the order).
fn activate(id: u32, x: f32, alpha: f32, beta: f32) -> f32 {
  switch id {
    case 0u: { return sigmoid_accurate(x); }                           // Sigmoid
    case 1u: { return tanh_clamped(x); }                               // Tanh
    case 2u: { return max(x, 0.0); }                                   // Relu
    case 3u: { return alpha * x + beta; }                              // Affine
    case 4u: { return select(alpha * x, x, x >= 0.0); }                // LeakyRelu
    case 5u: { return select(0.0, x, x > alpha); }                     // ThresholdedRelu
    case 6u: { return alpha * tanh_clamped(beta * x); }                // ScaledTanh
    case 7u: { return clamp(alpha * x + beta, 0.0, 1.0); }             // HardSigmoid
    case 8u: { return select(alpha * (exp(min(x, 0.0)) - 1.0), x, x >= 0.0); } // Elu
    case 9u: { return x / (1.0 + abs(x)); }                            // Softsign
    default: { return select(log(1.0 + exp(x)), x, x > 20.0); }        // Softplus
  }
}

// σ(x) rounded once near 1: σ(−|x|) = e/(1 + e) with e = e^{−|x|}, then 1 − σ(−|x|) for x > 0.
// The form 1/(1 + e) rounds 1 + e first, so a gate just below 1 came out an ulp off on nearly half the
// values, on average high; a forget gate multiplies a cell that may integrate for thousands of steps,
// and that bias drifts it (test/gate-sigmoid.test.ts).
fn sigmoid_accurate(x: f32) -> f32 {
  let e = exp_accurate(-abs(x));
  let s = e / (1.0 + e);
  return select(s, 1.0 - s, x > 0.0);
}

// ONNX's cell clip of a pre-activation; clip = 0: none.
fn clip_pre(x: f32, clip: f32) -> f32 { return select(x, clamp(x, -clip, clip), clip > 0.0); }
