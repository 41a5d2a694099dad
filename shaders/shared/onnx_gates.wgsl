// onnx_gates: the gate nonlinearities of a cell step with ONNX's options — gate_f for the gates (σ by
// default), gate_g for the candidate (tanh by default), each applied after the cell clip.
// Included by lstm_step_fwd and gru_step_fwd. Needs from the kernel: Params P with act_f, alpha_f,
// beta_f, act_g, alpha_g, beta_g and clip.
//!include "shared/onnx_activations.wgsl"

fn gate_f(x: f32) -> f32 { return activate(P.act_f, clip_pre(x, P.clip), P.alpha_f, P.beta_f); }
fn gate_g(x: f32) -> f32 { return activate(P.act_g, clip_pre(x, P.clip), P.alpha_g, P.beta_g); }
