// weighted_segment_sum: per-id sums of weighted rows — the sparse gradients of embedding tables
// (skip-gram, GloVe), deterministic and without atomics.
//
//   out[out_off + ids[u]·F + f] = Σ_{p = offs[u]}^{offs[u+1]−1} coef[ent[p]] · src[src_off + rows[p]·F + f]
//   unit_src = 1: the src factor is 1 (sums of coefficients, for bias gradients; F = 1)
//
// The CPU groups the entries by id (CSR: ids = the distinct ids in first-seen order, offs (U + 1),
// ent = entry (coefficient) indices, rows = the source row of each entry) when it builds the batch; one
// invocation per (u, f) adds its segment in order, so every run gives the same bits. Slots u ≥ U hold
// the id 0xffffffff and do nothing; rows of ids not present are cleared before this dispatch.
// Shapes: index (u32) with ids (U_max), offs (U_max + 1), ent (M), rows (M) at the given offsets;
// coef (M'); src, out flat parameter and gradient buffers.
// Grid: linear over U_max·F invocations, 64 per workgroup, folded: i = gid.y · num_workgroups.x · 64 + gid.x.

struct Params {
  F: u32,
  U_max: u32,
  ids_off: u32,
  offs_off: u32,
  ent_off: u32,
  rows_off: u32,
  src_off: u32,
  out_off: u32,
  unit_src: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> index: array<u32>;          // … | ids | offs | ent | rows | …
@group(0) @binding(2) var<storage, read> coef: array<f32>;           // per entry
@group(0) @binding(3) var<storage, read> src: array<f32>;            // rows of F values at src_off
@group(0) @binding(4) var<storage, read_write> out: array<f32>;      // rows of F values at out_off

@compute @workgroup_size(64, 1, 1)
fn weighted_segment_sum(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * 64u + gid.x;
  if (i >= P.U_max * P.F) { return; }
  let u = i / P.F;
  let f = i - u * P.F;
  let id = index[P.ids_off + u];
  if (id == 0xffffffffu) { return; }
  var s = 0.0;
  for (var p = index[P.offs_off + u]; p < index[P.offs_off + u + 1u]; p++) {
    let c = coef[index[P.ent_off + p]];
    if (P.unit_src == 1u) {
      s += c;
    } else {
      s += c * src[P.src_off + index[P.rows_off + p] * P.F + f];
    }
  }
  out[P.out_off + id * P.F + f] = s;
}
