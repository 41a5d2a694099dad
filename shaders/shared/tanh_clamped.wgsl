// tanh_clamped: tanh safe for any f32 argument. Pure (needs nothing from the kernel).
// Included by shared/onnx_activations.wgsl, additive_attention_fwd, additive_attention_bwd and
// lstm_step_bwd.
// tanh through exp overflows to NaN on some backends for |x| ≳ 44; tanh(±15) is ±1 in f32 already.
fn tanh_clamped(x: f32) -> f32 { return tanh(clamp(x, -15.0, 15.0)); }
