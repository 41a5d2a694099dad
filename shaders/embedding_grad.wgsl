// embedding_grad: dL/dW of nn.Embedding, deterministic and without atomics.
//
//   dW[ids[u], e] (+)= Σ_{p = offsets[u]}^{offsets[u+1]-1} dY[positions[p], e]      u < U, e < E
//
// The CPU groups token positions by id (CSR, built when the tokens are uploaded): ids = the sorted
// distinct ids present (padding_idx left out, so its row gets no gradient), offsets (U + 1) into
// positions, positions of each id in increasing order. One invocation per (u, e) sums its positions'
// gradient rows in that order, so every run gives the same bits. Slots u ≥ U hold the id 0xffffffff
// and do nothing; the grid is sized for the largest possible U = min(N, V). Rows of ids not present
// are cleared before this dispatch (or left as they are when accumulating).
// Grid: linear over U_max·E invocations, 64 per workgroup, folded into (x, y) as in embedding_gather.

struct Params {
  E: u32,
  U_max: u32,
  pos_off: u32,   // element offset of positions (N) in index
  offs_off: u32,  // element offset of offsets (U_max + 1) in index
  ids_off: u32,   // element offset of ids (U_max) in index
  w_off: u32,     // dW (V, E) in grads
  accumulate: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> index: array<u32>;          // tokens (N) | positions (N) | offsets (U_max + 1) | ids (U_max)
@group(0) @binding(2) var<storage, read> dy: array<f32>;             // (N, E) upstream gradient
@group(0) @binding(3) var<storage, read_write> grads: array<f32>;    // flat gradients: dW (V, E) at w_off

@compute @workgroup_size(64, 1, 1)
fn embedding_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * 64u + gid.x;
  if (i >= P.U_max * P.E) { return; }
  let u = i / P.E;
  let e = i - u * P.E;
  let id = index[P.ids_off + u];
  if (id == 0xffffffffu) { return; }
  var s = 0.0;
  for (var p = index[P.offs_off + u]; p < index[P.offs_off + u + 1u]; p++) {
    s += dy[index[P.pos_off + p] * P.E + e];
  }
  let g = P.w_off + id * P.E + e;
  if (P.accumulate == 1u) { s = grads[g] + s; }
  grads[g] = s;
}
