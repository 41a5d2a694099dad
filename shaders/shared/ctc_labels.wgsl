// ctc_labels: the label l'_s of CTC state s of batch row b — blank for even s, the target's label
// (s − 1)/2 for odd s. Needs from the kernel: Params P with blank, and the storage array info: (B, 4)
// u32 [T_b, L_b, first label's index in info, status] followed by the concatenated labels.
// Included by ctc_alpha, ctc_beta and ctc_grad.
fn label(b: u32, s: u32) -> u32 {
  if ((s & 1u) == 0u) { return P.blank; }
  return info[info[b * 4u + 2u] + (s >> 1u)];
}
