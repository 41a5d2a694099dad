// split_k_sum.subgroups: the twin of shared/split_k_sum.wgsl (same function, same contract) for devices
// with the `subgroups` feature: scripts/gen-shaders.mjs puts it in place of its twin, with
// `enable subgroups;`, in the second code (codeSubgroups) of every kernel that includes
// shared/split_k_sum.wgsl (through shared/step_split_k_fwd.wgsl and shared/step_split_k_bwd.wgsl).
//
//   split_k_sum(acc, l)[q] = Σ_{l' < STEP_WG} acc_{l'}[q]
//
// Each subgroup adds its invocations' partial sums with subgroupAdd; its first invocation stores the
// subgroup's sum in workgroup memory, at slot l / n (n: the subgroup size, read as subgroupAdd(1u),
// which counts the subgroup's invocations: all are active here — never assumed to be 32; if n ≥ STEP_WG
// the workgroup is one subgroup); after one workgroupBarrier every invocation adds the ceil(STEP_WG / n)
// slots in slot order. The slot index assumes that a subgroup holds consecutive local invocation ids,
// as every implementation does for a one-dimensional workgroup (onnxruntime-web's and tfjs' subgroup
// kernels assume the same); the forced split-k tests check the sums against float64 on each host.
// Deterministic on a fixed adapter if its subgroupAdd is (the order inside it is the implementation's):
// test/gpu/variant-cases.ts checks the bits run to run.

var<workgroup> partial: array<array<vec4<f32>, STEP_WG>, 4>;

fn split_k_sum(acc: array<vec4<f32>, 4>, l: u32) -> array<vec4<f32>, 4> {
  let n = subgroupAdd(1u);
  var sg: array<vec4<f32>, 4>;
  for (var q = 0u; q < 4u; q++) { sg[q] = subgroupAdd(acc[q]); }
  if (subgroupElect()) {
    for (var q = 0u; q < 4u; q++) { partial[q][l / n] = sg[q]; }
  }
  workgroupBarrier();
  var total: array<vec4<f32>, 4>;
  for (var g = 0u; g * n < STEP_WG; g++) {
    for (var q = 0u; q < 4u; q++) { total[q] += partial[q][g]; }
  }
  return total;
}
