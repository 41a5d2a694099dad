// chunk_sum: a workgroup's fixed-order tree sum — one level of the deterministic reductions of the
// losses (no atomics, so the same input gives the same bits every run). Included by reduce_sum, mse
// and bce_with_logits, whose entry points are @workgroup_size(WG, 1, 1). Needs nothing from the kernel.
// The workgroup is 256 wide; fn workgroup_sum(lid, s) (every invocation lid < WG gives s, every one
// gets Σ s, added by a fixed binary tree) comes from shared/workgroup_reduce.wgsl.

const WG = 256u;
//!include "shared/workgroup_reduce.wgsl"
