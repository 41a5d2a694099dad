// gru_step_fwd: one GRU time step (gate order r, z, n) for every batch row, hidden unit and direction.
//
//   r = σ(gx_r + b_hr + W_hr h<t-1>),  z = σ(gx_z + b_hz + W_hz h<t-1>)
//   reset_after = 1 (PyTorch, cuDNN, ONNX linear_before_reset = 1):
//     hn = W_hn h<t-1> + b_hn,   n = tanh(gx_n + r ⊙ hn)       — one product serves all 3 gates
//   reset_after = 0 (the course's form, ONNX default): r and rh = r ⊙ h<t-1> come from
//     gru_reset_gate_fwd (dispatched just before), n = tanh(gx_n + W_hn rh + b_hn)
//   h<t> = (1 − z) ⊙ n + z ⊙ h<t-1>
//   Rows with t ≥ lengths[b] keep their state and output 0 (pack_padded_sequence semantics).
// ONNX variants (forward only, Params): σ → act_f, tanh → act_g (ids of fn activate, with α, β),
// pre-activations clamped to ±clip (0: none). The defaults (0, 1, clip 0) are PyTorch's cell.
//
// gx = X·W_ihᵀ + b_ih (matmul). act keeps what BPTT needs: r, z, n and hn (reset_after) or rh.
// Step/slot conventions as in lstm_step_fwd. Grid: x = ceil(H / 64), y = ceil(B / 4), z = D.
// Variants (pipeline constants): PERSISTENT, the whole sweep in one dispatch (shared/step_sweep_fwd.wgsl);
// COALESCED, W_hh read from its transpose wt (D, H, 3H), h<t-1> (and rh, reset-before) staged in
// workgroup memory (shared/step_coalesced_fwd.wgsl); SPLIT_K, grid [H, ceil(B / 4), D], a workgroup per unit splitting the
// product over k (shared/step_split_k_fwd.wgsl). Only COALESCED reads wt (otherwise any buffer is bound).

struct Params {
  T: u32, B: u32, H: u32, D: u32,
  w_off: u32,       // W_hh (3H, H) of direction 0 in w
  bhh_off: u32,     // b_hh (3H) of direction 0
  dir_stride: u32,  // elements from a direction-0 parameter to its direction-1 twin
  bias: u32,        // 1: add b_hh
  reset_after: u32,
  act_f: u32, act_g: u32,  // activation ids (fn activate): r and z, candidate
  alpha_f: f32, beta_f: f32, alpha_g: f32, beta_g: f32,
  clip: f32,        // > 0: clamp pre-activations to ±clip
}
struct Step { s: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> lengths: array<u32>;     // (B)
//!include "shared/weight_type.wgsl"
//!include "shared/step_index.wgsl"
//!include "shared/step_output.wgsl"
@group(0) @binding(2) var<storage, read> w: array<weight>;        // flat parameters (f16: the f16 copy)
@group(0) @binding(3) var<storage, read> gx: array<f32>;          // (D, T, B, 3H) input projections
@group(0) @binding(4) var<storage, read_write> hs: array<f32>;    // (D, T+1, B, H) hidden states
@group(0) @binding(5) var<storage, read_write> act: array<f32>;   // (D, T, B, 4H) r, z, n, hn | rh
@group(0) @binding(6) var<storage, read_write> y: array<f32>;     // (T, B, D·H) layer output
@group(0) @binding(7) var<storage, read> wt: array<f32>;          // (D, H, 3H) W_hhᵀ (COALESCED only)
@group(1) @binding(0) var<uniform> step: Step;

const BT = 4u;
const NG = 3u;    // gate blocks of W_hh (COALESCED)
const NSRC = 2u;  // the products' sources: h<t-1>, and what n multiplies: h<t-1> or rh (COALESCED)
const SRC1_GATE = 2u;

// fn gate_f, gate_g (the gates' and the candidate's nonlinearities, after the clip) and fn activate.
//!include "shared/onnx_gates.wgsl"

// Entry point: one step per dispatch; with the pipeline constant PERSISTENT the whole sweep in one
// dispatch (grid [1, ceil(B / 4), D]); COALESCED, SPLIT_K: see shared/step_variants_fwd.wgsl.
//!include "shared/step_variants_fwd.wgsl"

@compute @workgroup_size(STEP_WG, 1, 1)
fn gru_step_fwd(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  step_fwd(wg, lid, P.H);
}

// Column k for rows b0 .. b0 + 3 of h<t-1> (n = 0, and n = 1 with reset_after) or of rh, act's 4th
// block (n = 1, reset-before).
fn src_rows(n: u32, b0: u32, d: u32, s: u32, k: u32) -> vec4<f32> {
  let t = step_time(s, d);
  if (n == 0u || P.reset_after == 1u) {
    let r = state_prev(t, d, P.H) + k + rows4(b0) * P.H;
    return vec4<f32>(hs[r.x], hs[r.y], hs[r.z], hs[r.w]);
  }
  let r = step_row(t, 0u, d, 4u * P.H) + 3u * P.H + k + rows4(b0) * 4u * P.H;
  return vec4<f32>(act[r.x], act[r.y], act[r.z], act[r.w]);
}

// Step s of direction d for hidden unit j and batch rows b0 .. b0 + 3.
fn step_unit(j: u32, b0: u32, d: u32, s: u32) {
  let H = P.H;
  let B = P.B;
  if (j >= H || b0 >= B) { return; }
  let t = step_time(s, d);
  let hprev = state_prev(t, d, H);
  let a0 = step_row(t, 0u, d, 4u * H);  // act row of batch row 0 at step t

  // Recurrent products; vec4 lanes are 4 batch rows. The n gate multiplies h<t-1> (reset_after)
  // or rh = r ⊙ h<t-1> (reset-before), read from act's 4th block.
  var rb: array<u32, 4>;
  var nb: array<u32, 4>;
  for (var i = 0u; i < BT; i++) {
    let b = min(b0 + i, B - 1u);
    rb[i] = hprev + b * H;
    nb[i] = select(a0 + b * 4u * H + 3u * H, rb[i], P.reset_after == 1u);
  }
  let nsrc_is_act = P.reset_after == 0u;
  let wd = P.w_off + d * P.dir_stride;
  var acc_r = vec4<f32>();
  var acc_z = vec4<f32>();
  var acc_n = vec4<f32>();
  for (var k = 0u; k < H; k++) {
    let hv = vec4<f32>(hs[rb[0] + k], hs[rb[1] + k], hs[rb[2] + k], hs[rb[3] + k]);
    var nv = hv;
    if (nsrc_is_act) { nv = vec4<f32>(act[nb[0] + k], act[nb[1] + k], act[nb[2] + k], act[nb[3] + k]); }
    acc_r += f32(w[wd + j * H + k]) * hv;
    acc_z += f32(w[wd + (H + j) * H + k]) * hv;
    acc_n += f32(w[wd + (2u * H + j) * H + k]) * nv;
  }
  step_gates(j, b0, d, s, array<vec4<f32>, 4>(acc_r, acc_z, acc_n, vec4<f32>()));
}

// The rest of step s for unit j < H and rows b0 .. b0 + 3, given the recurrent products acc[q][i] (r, z, n).
fn step_gates(j: u32, b0: u32, d: u32, s: u32, acc: array<vec4<f32>, 4>) {
  let H = P.H;
  let B = P.B;
  let t = step_time(s, d);
  let hprev = state_prev(t, d, H);
  let hout = state_out(t, d, H);
  let a0 = step_row(t, 0u, d, 4u * H);  // act row of batch row 0 at step t

  let bd = P.bhh_off + d * P.dir_stride;
  let has_b = P.bias == 1u;
  let b_r = select(0.0, f32(w[bd + j]), has_b);
  let b_z = select(0.0, f32(w[bd + H + j]), has_b);
  let b_n = select(0.0, f32(w[bd + 2u * H + j]), has_b);
  for (var i = 0u; i < BT; i++) {
    let b = b0 + i;
    if (b >= B) { break; }
    let hp = hs[hprev + b * H + j];
    let yo = out_index(t, b, d, H, j);
    if (t >= lengths[b]) {
      hs[hout + b * H + j] = hp;
      y[yo] = 0.0;
      continue;
    }
    let g3 = step_row(t, b, d, 3u * H);
    let ab = a0 + b * 4u * H;
    let z = gate_f(gx[g3 + H + j] + b_z + acc[1][i]);
    var r: f32;
    var n: f32;
    if (P.reset_after == 1u) {
      r = gate_f(gx[g3 + j] + b_r + acc[0][i]);
      let hn = acc[2][i] + b_n;
      n = gate_g(gx[g3 + 2u * H + j] + r * hn);
      act[ab + j] = r;
      act[ab + 3u * H + j] = hn;
    } else {
      n = gate_g(gx[g3 + 2u * H + j] + acc[2][i] + b_n);
    }
    act[ab + H + j] = z;
    act[ab + 2u * H + j] = n;
    let h = (1.0 - z) * n + z * hp;
    hs[hout + b * H + j] = h;
    y[yo] = h;
  }
}
