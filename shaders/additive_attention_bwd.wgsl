// additive_attention_bwd: the adjoint of additive_attention_fwd for one decoder step s, every batch row.
//
// Given dc = dL/dc<s> (from dG<s>·W_ih's context columns, a matmul just before this dispatch):
//   dα[t']  = Σ_f dc[b, f] · a[t', b, f]                                       t' < lengths[b]
//   de[t']  = α[t'] · (dα[t'] − Σ_t'' α[t''] · dα[t''])                      (softmax adjoint)
//   u       = tanh(q<s>[b, n] + k[t', b, n]),   dpre = de[t'] · v[n] · (1 − u²)
//   dq<s>[b, n]      = Σ_t' dpre               → dL/ds<s−1> = dq·W_s, a matmul into carry_h
//   dk[t', b, n]    += dpre                    (summed over steps in step order → dU_a, db_a, dA by GEMMs)
//   dv_part<s>[b, n] = Σ_t' de[t'] · u         (summed over (s, b) by sum_rows → dv)
// The context's direct path dA[t', b, f] = Σ_s α<s>[b, t'] · dc<s>[b, f] is one batched GEMM after
// the sweep, so this kernel does not touch dA. Each output element has one writer per dispatch and
// steps are sequential dispatches: deterministic, no atomics.
// Grid: x = B, one workgroup of 64 per batch row: invocations stride over t' for dα and de (the sum
// Σ α·dα by a fixed tree in workgroup memory), then over n for dq, dv_part and dk. The step s comes
// from a dynamic-offset uniform.

struct Params {
  Tx: u32, B: u32, A: u32, N: u32,
  v_off: u32,   // v (N) in w
  k_off: u32,   // keys (Tx, B, N) in qk
  dq_off: u32,  // dq (Ty, B, N) in dattn
  dv_off: u32,  // dv_part (Ty, B, N) in dattn
  dk_off: u32,  // dk (Tx, B, N) in dattn
}
struct Step { s: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> lengths: array<u32>;      // (B) source lengths, each 1..Tx
@group(0) @binding(2) var<storage, read> w: array<f32>;            // the decoder's flat parameters
@group(0) @binding(3) var<storage, read> qk: array<f32>;           // queries (Ty, B, N) | keys (Tx, B, N)
@group(0) @binding(4) var<storage, read> ann: array<f32>;          // (Tx, B, A) annotations
@group(0) @binding(5) var<storage, read> alpha: array<f32>;        // (Ty, B, Tx) forward attention weights
@group(0) @binding(6) var<storage, read> dctx: array<f32>;         // (Ty, B, A) dL/dc<s>
@group(0) @binding(7) var<storage, read_write> dscore: array<f32>; // (Ty, B, Tx) dα, then de
@group(0) @binding(8) var<storage, read_write> dattn: array<f32>;  // dq (Ty, B, N) | dv_part (Ty, B, N) | dk (Tx, B, N)
@group(1) @binding(0) var<uniform> step: Step;

const WG = 64u;
//!include "shared/workgroup_reduce.wgsl"

//!include "shared/tanh_clamped.wgsl"

@compute @workgroup_size(64, 1, 1)
fn additive_attention_bwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = wid.x;
  let B = P.B;
  let len = min(lengths[b], P.Tx);
  let row = step.s * B + b;
  let al = row * P.Tx;
  let dc = row * P.A;

  var part = 0.0;
  for (var j = lid; j < len; j += WG) {
    let a0 = (j * B + b) * P.A;
    var da = 0.0;
    for (var f = 0u; f < P.A; f++) { da += dctx[dc + f] * ann[a0 + f]; }
    dscore[al + j] = da;
    part += alpha[al + j] * da;
  }
  let S = workgroup_sum(lid, part);
  for (var j = lid; j < P.Tx; j += WG) {
    dscore[al + j] = select(0.0, alpha[al + j] * (dscore[al + j] - S), j < len);
  }
  // de of every t' is read by every invocation below.
  storageBarrier();

  let q = row * P.N;
  for (var n = lid; n < P.N; n += WG) {
    let vn = w[P.v_off + n];
    let qn = qk[q + n];
    var dq = 0.0;
    var dv = 0.0;
    for (var j = 0u; j < len; j++) {
      let ki = (j * B + b) * P.N + n;
      let u = tanh_clamped(qn + qk[P.k_off + ki]);
      let de = dscore[al + j];
      let dp = de * vn * (1.0 - u * u);
      dv += de * u;
      dq += dp;
      dattn[P.dk_off + ki] += dp;
    }
    dattn[P.dq_off + q + n] = dq;
    dattn[P.dv_off + q + n] = dv;
  }
}
