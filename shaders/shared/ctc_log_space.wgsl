// ctc_log_space: log-space arithmetic of the CTC kernels, where −∞ is the finite NEG so that no
// inf − inf arises, and any value ≤ IMPOSSIBLE counts as −∞. Pure (needs nothing from the kernel).
// Included by ctc_alpha, ctc_beta and ctc_grad.

const NEG = -1e30;
const IMPOSSIBLE = -1e29;

// log(e^a + e^b) = m + log(e^(a − m) + e^(b − m)), m = max: never overflows.
fn lse2(a: f32, b: f32) -> f32 {
  let m = max(a, b);
  if (m <= IMPOSSIBLE) { return NEG; }
  return m + log(exp(a - m) + exp(b - m));
}
