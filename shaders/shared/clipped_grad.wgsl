// clipped_grad: what an optimizer's update kernel reads of the gradient and of grad_norm.wgsl's
// output. clipped_grad(i) = clamp_grad(grads[i]) · norm[1] — clip_grad_value_, then the
// clip_grad_norm_ coefficient (1 without clip_norm); step_skipped() is true when the global gradient
// norm was not finite (norm[2] = 0): the kernel then writes nothing, so weights and state keep their
// bits. Included by sgd_step, adam_step and adagrad_step. Needs from the kernel: Params P with
// clip_value and has_clip_value, the storage arrays grads (n) and norm (4 + 2·R).

//!include "shared/clamp_grad.wgsl"

fn step_skipped() -> bool { return norm[2] == 0.0; }

fn clipped_grad(i: u32) -> f32 { return clamp_grad(grads[i]) * norm[1]; }
