// sum_rows: column sums of a row-major matrix, batched over grid y — the bias gradients.
//
//   out[out_off + z·out_zs + n] (+)= Σ_m a[a_off + z·a_zs + m·a_rs + n]     for n < N, m < M
//
// db_ih = Σ_{t,b} dG_x[t, b, :], db_hh = Σ_{t,b} dG_h[t, b, :] for each direction z.
// Grid: x = ceil(N / 64), y = number of z. One invocation per column, summing rows in order:
// deterministic, no atomics.

struct Params {
  M: u32, N: u32,
  a_off: u32, a_rs: u32, a_zs: u32,
  out_off: u32, out_zs: u32,
  accumulate: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;          // (M, N) per z, row stride a_rs
@group(0) @binding(2) var<storage, read_write> out: array<f32>;  // (N) per z

@compute @workgroup_size(64, 1, 1)
fn sum_rows(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x;
  if (n >= P.N) { return; }
  let z = gid.y;
  var s = 0.0;
  var i = P.a_off + z * P.a_zs + n;
  for (var m = 0u; m < P.M; m++) {
    s += a[i];
    i += P.a_rs;
  }
  let o = P.out_off + z * P.out_zs + n;
  if (P.accumulate == 1u) { s += out[o]; }
  out[o] = s;
}
