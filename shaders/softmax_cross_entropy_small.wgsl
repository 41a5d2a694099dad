// softmax_cross_entropy_small: the math of softmax_cross_entropy (see there) with one invocation per
// row: for narrow rows (C < 32), where a workgroup per row would leave most invocations idle, and on
// CPU adapters, where workgroup barriers cost more than the parallelism inside a row gains.
//
//   row_loss[n] = w[n] · (lse_n − x[n, t_n]),  grad[n, c] = w[n] · (softmax(x[n])_c − [c = t_n])
//
// Each invocation walks its row three times (max, Σ exp, gradient) in class order: deterministic.
// Grid: linear over N invocations, 64 per workgroup, folded into (x, y):
// n = gid.y · num_workgroups.x · 64 + gid.x.

struct Params { N: u32, C: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;         // (N, C)
@group(0) @binding(2) var<storage, read> targets: array<u32>;        // (N) class ids in [0, C) (0 for ignored rows)
@group(0) @binding(3) var<storage, read> weights: array<f32>;        // (N) per-row weight w
@group(0) @binding(4) var<storage, read_write> grad: array<f32>;     // (N, C) dL/dlogits
@group(0) @binding(5) var<storage, read_write> row_loss: array<f32>; // (N) weighted loss per row

@compute @workgroup_size(64, 1, 1)
fn softmax_cross_entropy_small(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = gid.y * nwg.x * 64u + gid.x;
  if (n >= P.N) { return; }
  let base = n * P.C;
  let w = weights[n];
  let t = targets[n];
  if (w == 0.0) {
    for (var c = 0u; c < P.C; c++) { grad[base + c] = 0.0; }
    row_loss[n] = 0.0;
    return;
  }
  var m = logits[base];
  for (var c = 1u; c < P.C; c++) { m = max(m, logits[base + c]); }
  var s = 0.0;
  for (var c = 0u; c < P.C; c++) { s += exp(logits[base + c] - m); }
  let lse = m + log(s);
  for (var c = 0u; c < P.C; c++) {
    grad[base + c] = w * (exp(logits[base + c] - lse) - select(0.0, 1.0, c == t));
  }
  row_loss[n] = w * (lse - logits[base + t]);
}
