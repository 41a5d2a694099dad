// additive_attention_fwd: Bahdanau (additive) attention of one decoder step t, for every batch row.
//
//   e[t']      = Σ_n v[n] · tanh(q<t>[b, n] + k[t', b, n])          t' < lengths[b]
//   α<t>[b, ·] = softmax of e over t' < lengths[b] (max-subtracted); α = 0 at t' ≥ lengths[b]
//   c<t>[b, f] = Σ_t' α<t>[b, t'] · a[t', b, f]
//
// k = U_a a + b_a for all t' (one matmul before the sweep) and q<t> = W_s s<t−1> (a matmul just
// before this dispatch) live in one buffer `qk`: queries (Ty, B, N) from element 0, keys (Tx, B, N)
// from k_off. This kernel is the part that is not a GEMM.
// Grid: x = B, one workgroup of 64 per batch row: the invocations stride over t' for the scores and
// the softmax, then over features f for the context; max and sum are combined by a fixed tree in
// workgroup memory, so results are deterministic. The step t comes from a dynamic-offset uniform.

struct Params {
  Tx: u32, B: u32, A: u32, N: u32,
  v_off: u32,  // v (N) in w
  k_off: u32,  // keys (Tx, B, N) in qk
}
struct Step { s: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> lengths: array<u32>;     // (B) source lengths, each 1..Tx
@group(0) @binding(2) var<storage, read> w: array<f32>;           // the decoder's flat parameters
@group(0) @binding(3) var<storage, read> qk: array<f32>;          // queries (Ty, B, N) | keys (Tx, B, N)
@group(0) @binding(4) var<storage, read> ann: array<f32>;         // (Tx, B, A) annotations a<t'>
@group(0) @binding(5) var<storage, read_write> alpha: array<f32>; // (Ty, B, Tx) attention weights
@group(0) @binding(6) var<storage, read_write> ctx: array<f32>;   // (Ty, B, A) context vectors c<t>
@group(1) @binding(0) var<uniform> step: Step;

const WG = 64u;
//!include "shared/workgroup_reduce.wgsl"

//!include "shared/tanh_clamped.wgsl"

@compute @workgroup_size(64, 1, 1)
fn additive_attention_fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = wid.x;
  let B = P.B;
  let len = min(lengths[b], P.Tx);
  let row = step.s * B + b;
  let q = row * P.N;
  let al = row * P.Tx;

  // Scores (kept in alpha until normalised), and their max.
  var m = -3.402823e38;
  for (var j = lid; j < len; j += WG) {
    let k = P.k_off + (j * B + b) * P.N;
    var e = 0.0;
    for (var n = 0u; n < P.N; n++) { e += w[P.v_off + n] * tanh_clamped(qk[q + n] + qk[k + n]); }
    alpha[al + j] = e;
    m = max(m, e);
  }
  m = workgroup_max(lid, m);

  var s = 0.0;
  for (var j = lid; j < len; j += WG) {
    let p = exp(alpha[al + j] - m);
    alpha[al + j] = p;
    s += p;
  }
  let inv = 1.0 / workgroup_sum(lid, s);
  // Each invocation normalises the entries it wrote (padded ones become exact zeros) ...
  for (var j = lid; j < P.Tx; j += WG) { alpha[al + j] = select(0.0, alpha[al + j] * inv, j < len); }
  // ... and every invocation then reads all of them for the context.
  storageBarrier();
  for (var f = lid; f < P.A; f += WG) {
    var c = 0.0;
    for (var j = 0u; j < len; j++) { c += alpha[al + j] * ann[(j * B + b) * P.A + f]; }
    ctx[row * P.A + f] = c;
  }
}
