// rnn_step_fwd: one vanilla RNN (Elman) time step for every batch row, hidden unit and direction.
//
//   h<t>[b, j] = f(gx[d, t, b, j] + b_hh[j] + Σ_k W_hh[j, k] · h<t-1>[b, k]),   f = act_f: tanh (1) or
//   relu (2) for PyTorch, any of fn activate's for ONNX (with α, β; pre-activation clamped to ±clip)
//   Rows with t ≥ lengths[b] keep their state and output 0 (pack_padded_sequence semantics).
//
// gx already holds X·W_ihᵀ + b_ih (matmul). Step/slot conventions as in lstm_step_fwd: processing step s
// is t = s forward, t = T-1-s reverse; h<t-1> in slot t / t+1, h<t> in slot t+1 / t.
// Grid: x = ceil(H / 64), y = ceil(B / 4), z = D. Step index from a dynamic-offset uniform.
// Variants (pipeline constants): PERSISTENT, the whole sweep in one dispatch (shared/step_sweep_fwd.wgsl);
// COALESCED, W_hh read from its transpose wt (D, H, H), h<t-1> staged in workgroup memory
// (shared/step_coalesced_fwd.wgsl); SPLIT_K, grid [H, ceil(B / 4), D], a workgroup per unit splitting the
// product over k (shared/step_split_k_fwd.wgsl). Only COALESCED reads wt (otherwise any buffer is bound).

struct Params {
  T: u32, B: u32, H: u32, D: u32,
  w_off: u32,       // W_hh (H, H) of direction 0 in w
  bhh_off: u32,     // b_hh (H) of direction 0
  dir_stride: u32,  // elements from a direction-0 parameter to its direction-1 twin
  bias: u32,        // 1: add b_hh
  act_f: u32,       // activation id (fn activate): 1 tanh (RNN_TANH), 2 relu (RNN_RELU), …
  alpha_f: f32, beta_f: f32,
  clip: f32,        // > 0: clamp the pre-activation to ±clip (ONNX, forward only)
}
struct Step { s: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> lengths: array<u32>;     // (B)
//!include "shared/weight_type.wgsl"
//!include "shared/step_index.wgsl"
//!include "shared/step_output.wgsl"
@group(0) @binding(2) var<storage, read> w: array<weight>;        // flat parameters (f16: the f16 copy)
@group(0) @binding(3) var<storage, read> gx: array<f32>;          // (D, T, B, H) input projections
@group(0) @binding(4) var<storage, read_write> hs: array<f32>;    // (D, T+1, B, H) hidden states
@group(0) @binding(5) var<storage, read_write> y: array<f32>;     // (T, B, D·H) layer output
@group(0) @binding(6) var<storage, read> wt: array<f32>;          // (D, H, H) W_hhᵀ (COALESCED only)
@group(1) @binding(0) var<uniform> step: Step;

const BT = 4u;
const NG = 1u;    // gate blocks of W_hh (COALESCED)
const NSRC = 1u;  // the product's source: h<t-1> (COALESCED)
const SRC1_GATE = NG;

// fn activate (ONNX's activations, by id) and fn clip_pre (ONNX's cell clip).
//!include "shared/onnx_activations.wgsl"

// Entry point: one step per dispatch; with the pipeline constant PERSISTENT the whole sweep in one
// dispatch (grid [1, ceil(B / 4), D]); COALESCED, SPLIT_K: see shared/step_variants_fwd.wgsl.
//!include "shared/step_variants_fwd.wgsl"

@compute @workgroup_size(STEP_WG, 1, 1)
fn rnn_step_fwd(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  step_fwd(wg, lid, P.H);
}

// h<t-1> at column k for batch rows b0 .. b0 + 3 (n = 0, the only source).
fn src_rows(n: u32, b0: u32, d: u32, s: u32, k: u32) -> vec4<f32> {
  let t = step_time(s, d);
  let r = state_prev(t, d, P.H) + k + rows4(b0) * P.H;
  return vec4<f32>(hs[r.x], hs[r.y], hs[r.z], hs[r.w]);
}

// Step s of direction d for hidden unit j and batch rows b0 .. b0 + 3.
fn step_unit(j: u32, b0: u32, d: u32, s: u32) {
  let H = P.H;
  let B = P.B;
  if (j >= H || b0 >= B) { return; }
  let t = step_time(s, d);
  let hprev = state_prev(t, d, H);

  var rb: array<u32, 4>;
  for (var i = 0u; i < BT; i++) { rb[i] = hprev + min(b0 + i, B - 1u) * H; }
  let wr = P.w_off + d * P.dir_stride + j * H;
  var acc = vec4<f32>();
  for (var k = 0u; k < H; k++) {
    acc += f32(w[wr + k]) * vec4<f32>(hs[rb[0] + k], hs[rb[1] + k], hs[rb[2] + k], hs[rb[3] + k]);
  }
  step_gates(j, b0, d, s, array<vec4<f32>, 4>(acc, vec4<f32>(), vec4<f32>(), vec4<f32>()));
}

// The rest of step s for unit j < H and rows b0 .. b0 + 3, given the recurrent product acc[0][i].
fn step_gates(j: u32, b0: u32, d: u32, s: u32, acc: array<vec4<f32>, 4>) {
  let H = P.H;
  let B = P.B;
  let t = step_time(s, d);
  let hprev = state_prev(t, d, H);
  let hout = state_out(t, d, H);
  let bh = select(0.0, f32(w[P.bhh_off + d * P.dir_stride + j]), P.bias == 1u);
  for (var i = 0u; i < BT; i++) {
    let b = b0 + i;
    if (b >= B) { break; }
    let yo = out_index(t, b, d, H, j);
    if (t >= lengths[b]) {
      hs[hout + b * H + j] = hs[hprev + b * H + j];
      y[yo] = 0.0;
      continue;
    }
    let pre = gx[step_row(t, b, d, H) + j] + bh + acc[0][i];
    let h = activate(P.act_f, clip_pre(pre, P.clip), P.alpha_f, P.beta_f);
    hs[hout + b * H + j] = h;
    y[yo] = h;
  }
}
