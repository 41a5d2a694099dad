// flagged_sum: a workgroup's fixed-order tree sum of f32 values with an "any non-finite" flag beside
// it — deterministic, no atomics. Included by grad_sumsq and grad_norm (the two passes of the global
// gradient norm), whose entry points are @workgroup_size(WG, 1, 1). Needs nothing from the kernel.

const WG = 256u;
var<workgroup> sums: array<f32, WG>;
var<workgroup> bads: array<u32, WG>;

// ±Inf or NaN, found from the bits: WGSL lets compilers assume floats are finite, so a test like
// x != x may be folded away.
fn non_finite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u;
}

// Every invocation l < WG gives (s, bad); afterwards sums[0] = Σ s (a fixed tree) and bads[0] = OR of bad.
fn flagged_sum(l: u32, s: f32, bad: u32) {
  sums[l] = s;
  bads[l] = bad;
  workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h >>= 1u) {
    if (l < h) {
      sums[l] += sums[l + h];
      bads[l] |= bads[l + h];
    }
    workgroupBarrier();
  }
}
