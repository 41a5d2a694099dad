// softmax_cross_entropy: F.cross_entropy over rows of logits, loss and gradient in one pass;
// one workgroup per row (wide rows, C ≥ 32, on GPUs).
//
//   lse_n = m_n + log Σ_c exp(x[n, c] − m_n),   m_n = max_c x[n, c]       (max-subtracted: no overflow)
//   row_loss[n] = w[n] · (lse_n − x[n, t_n])
//   grad[n, c]  = w[n] · (exp(x[n, c] − lse_n) − [c = t_n])
//
// w[n] (from the CPU) folds in the reduction and the row's mask: 0 for masked or ignore_index rows
// (whose loss and gradient are written as exact zeros, whatever their logits hold), else 1 (sum) or
// 1 / counted rows (mean). The scalar loss is Σ_n row_loss[n], summed by reduce_sum.
// The 64 invocations of a workgroup stride over the row's C classes; max and sum are combined by a
// fixed tree in workgroup memory, so results are deterministic.
// Grid: one workgroup per row, folded into (x, y) past the per-dimension limit:
// n = wid.y · num_workgroups.x + wid.x. Variant for narrow rows: softmax_cross_entropy_small.

struct Params { N: u32, C: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;         // (N, C)
@group(0) @binding(2) var<storage, read> targets: array<u32>;        // (N) class ids in [0, C) (0 for ignored rows)
@group(0) @binding(3) var<storage, read> weights: array<f32>;        // (N) per-row weight w, see header
@group(0) @binding(4) var<storage, read_write> grad: array<f32>;     // (N, C) dL/dlogits
@group(0) @binding(5) var<storage, read_write> row_loss: array<f32>; // (N) weighted loss per row

const WG = 64u;
//!include "shared/workgroup_reduce.wgsl"

@compute @workgroup_size(64, 1, 1)
fn softmax_cross_entropy(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                         @builtin(local_invocation_index) lid: u32) {
  let n = wid.y * nwg.x + wid.x;
  if (n >= P.N) { return; }  // the same for the whole workgroup
  let base = n * P.C;

  var m = -3.402823e38;
  for (var c = lid; c < P.C; c += WG) { m = max(m, logits[base + c]); }
  m = workgroup_max(lid, m);

  var s = 0.0;
  for (var c = lid; c < P.C; c += WG) { s += exp(logits[base + c] - m); }
  let lse = m + log(workgroup_sum(lid, s));

  let w = weights[n];
  let t = targets[n];
  for (var c = lid; c < P.C; c += WG) {
    var g = 0.0;
    if (w != 0.0) { g = w * (exp(logits[base + c] - lse) - select(0.0, 1.0, c == t)); }
    grad[base + c] = g;
  }
  if (lid == 0u) {
    var l = 0.0;
    if (w != 0.0) { l = w * (lse - logits[base + t]); }
    row_loss[n] = l;
  }
}
