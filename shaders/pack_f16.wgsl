// pack_f16: the f16 copy of a recurrent layer's flat parameters, for precision 'f16-weights'.
//
//   out[i] = f16(w[i])        i < n (round to nearest; |w| > 65504 becomes ±Inf)
//
// The copy keeps the flat layout (same offsets as w), so the `_f16` twins of the step kernels and of the
// GEMM (shared/weight_type.wgsl) read it with the f32 kernels' indices. Dispatched once at the start of
// each forward program, i.e. once per weight update; the master weights, their gradients and the
// optimizer stay f32. Needs the device feature shader-f16.
// Grid: ceil(n / 2) / 64 workgroups as [min(that, 65535), ceil(that / 65535), 1], two elements per
// invocation (one 4-byte store each).

enable f16;

struct Params { n: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;              // (n) the master parameters
@group(0) @binding(2) var<storage, read_write> out: array<vec2<f16>>; // (ceil(n / 2)) their f16 copy

@compute @workgroup_size(64, 1, 1)
fn pack_f16(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let p = gid.y * nw.x * 64u + gid.x;
  let i = 2u * p;
  if (i >= P.n) { return; }
  let hi = select(0.0, w[min(i + 1u, P.n - 1u)], i + 1u < P.n);
  out[p] = vec2<f16>(f16(w[i]), f16(hi));
}
