// step_persistent: the choice between one dispatch per time step and one per sweep, common to the
// recurrent step kernels. Included by shared/step_sweep_fwd.wgsl, shared/step_sweep_bwd.wgsl,
// shared/step_coalesced_fwd.wgsl, shared/step_split_k_fwd.wgsl and shared/step_split_k_bwd.wgsl (for
// STEP_WG).
//
// PERSISTENT (a pipeline constant) = true: a whole sweep (forward sequence or reverse BPTT) in one
// dispatch. One workgroup per (batch rows, direction) runs the steps in order, its STEP_WG invocations
// covering every unit, with storageBarrier() between steps so that what one invocation wrote at a step
// is visible to all of them at the next. Workgroups never wait for each other (WebGPU has no
// grid-wide barrier); each owns its rows. Same arithmetic as the per-step form, bit for bit.
override PERSISTENT: bool = false;
const STEP_WG = 64u;  // invocations per workgroup of the step kernels
