// clamp_grad: one gradient value clamped to ±clip_value when has_clip_value = 1 (torch's
// clip_grad_value_), unchanged otherwise. Included by grad_sumsq and shared/clipped_grad.wgsl.
// Needs from the kernel: Params P with clip_value (f32, > 0 when used) and has_clip_value (u32).

fn clamp_grad(g: f32) -> f32 {
  if (P.has_clip_value == 1u) { return clamp(g, -P.clip_value, P.clip_value); }
  return g;
}
