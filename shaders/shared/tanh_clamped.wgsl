// tanh_clamped: tanh safe for any f32 argument, about as accurate on every adapter (see
// shared/exp_accurate.wgsl). Pure (needs nothing from the kernel).
// Included by shared/onnx_activations.wgsl, additive_attention_fwd, additive_attention_bwd and
// lstm_step_bwd.
// tanh(x) = m / (m + 2), m = e^{2x} − 1 (no cancellation near 0); tanh(±15) is ±1 in f32 already.
//!include "shared/exp_accurate.wgsl"
fn tanh_clamped(x: f32) -> f32 {
  let m = expm1_accurate(2.0 * clamp(x, -15.0, 15.0));
  return m / (m + 2.0);
}
