// step_variants_fwd: the entry point's body of a forward step kernel, choosing its variant by pipeline
// constant: COALESCED (shared/step_coalesced_fwd.wgsl), SPLIT_K (shared/step_split_k_fwd.wgsl), else
// one step per dispatch or, with PERSISTENT, the whole sweep (shared/step_sweep_fwd.wgsl). Included by
// lstm_step_fwd, gru_step_fwd and rnn_step_fwd, whose entry point calls step_fwd(wg, lid, K) with K the
// width of h. Needs from the kernel what those three snippets need.
//!include "shared/step_sweep_fwd.wgsl"
//!include "shared/step_coalesced_fwd.wgsl"
//!include "shared/step_split_k_fwd.wgsl"

fn step_fwd(wg: vec3<u32>, lid: vec3<u32>, K: u32) {
  if (COALESCED) {
    step_coalesced_fwd(wg, lid, K);
  } else if (SPLIT_K) {
    step_split_k_fwd(wg, lid, K);
  } else {
    step_sweep_fwd(wg, lid);
  }
}
