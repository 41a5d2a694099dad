// lstm_step_fwd: one LSTM time step for every batch row, hidden unit and direction (PyTorch gate order i, f, g, o).
//
//   pre_q = gx[d, t, b, q·H + j] + b_hh[q·H + j] + Σ_k W_hh[q·H + j, k] · h<t-1>[b, k]        q ∈ {i, f, g, o}
//   peephole: pre_i += p_i[j]·c<t-1>, pre_f += p_f[j]·c<t-1>, pre_o += p_o[j]·c<t>
//   i, f, o = σ(pre), g = tanh(pre);  c<t> = f ⊙ c<t-1> + i ⊙ g;  h<t> = m<t> = o ⊙ tanh(c<t>)
//   Rows with t ≥ lengths[b] keep their state and output 0 (pack_padded_sequence semantics).
// Projection (proj = 1, PyTorch's proj_size R < H): h is R wide (hs (D, T+1, B, R), W_hh (4H, R)), and
// this kernel writes m<t> into y, bound to the (T, B, D·H) workspace of m, leaving hs alone: the next
// dispatch, lstm_projection_fwd, needs every unit of m<t> to form h<t> = W_hr·m<t>.
// ONNX variants (forward only, Params): σ → act_f, the candidate's tanh → act_g, tanh(c<t>) → act_h
// (ids of fn activate, with α, β), every gate pre-activation clamped to ±clip (0: none), and
// input_forget: f = 1 − i. The defaults (0, 1, 1, clip 0, input_forget 0) are PyTorch's cell.
//
// gx already holds X·W_ihᵀ + b_ih for all steps (matmul). Processing step s runs t = s forward and
// t = T-1-s in reverse (direction = grid z), so both directions advance in one dispatch; the reverse
// direction of a short row starts at its last valid step because later steps are masked.
// State slots: hs[d, slot] with h<t-1> at slot t (forward) or t+1 (reverse), h<t> at t+1 or t;
// slot 0 (forward) / T (reverse) holds h0.
// Grid: x = ceil(H / 64) (unit j), y = ceil(B / 4) (4 batch rows per invocation share each weight
// load), z = D. The step index s comes from a dynamic-offset uniform, set per dispatch.
// Variants (pipeline constants): PERSISTENT, the whole sweep in one dispatch (shared/step_sweep_fwd.wgsl);
// COALESCED, W_hh read from its transpose wt (D, R, 4H) and h<t-1> staged in workgroup memory
// (shared/step_coalesced_fwd.wgsl); SPLIT_K, grid [H, ceil(B / 4), D], a workgroup per unit splitting the
// product over k (shared/step_split_k_fwd.wgsl). Only COALESCED reads wt (otherwise any buffer is bound).

struct Params {
  T: u32, B: u32, H: u32, D: u32,
  R: u32,           // width of h: H, or proj_size when proj = 1
  proj: u32,        // 1: write m<t> to y and not h<t> to hs (lstm_projection_fwd does)
  w_off: u32,       // W_hh (4H, R) of direction 0 in w
  bhh_off: u32,     // b_hh (4H) of direction 0
  ph_off: u32,      // peephole (3H: p_i, p_f, p_o) of direction 0
  dir_stride: u32,  // elements from a direction-0 parameter to its direction-1 twin
  bias: u32,        // 1: add b_hh; 0: the layer has no biases
  peephole: u32,
  act_f: u32, act_g: u32, act_h: u32,  // activation ids (fn activate): gates, candidate, cell output
  alpha_f: f32, beta_f: f32, alpha_g: f32, beta_g: f32, alpha_h: f32, beta_h: f32,
  clip: f32,        // > 0: clamp gate pre-activations to ±clip
  input_forget: u32, // 1: f = 1 − i
}
struct Step { s: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> lengths: array<u32>;     // (B)
//!include "shared/weight_type.wgsl"
//!include "shared/step_index.wgsl"
//!include "shared/step_output.wgsl"
@group(0) @binding(2) var<storage, read> w: array<weight>;        // flat parameters of the layer stack (f16: the f16 copy)
@group(0) @binding(3) var<storage, read> gx: array<f32>;          // (D, T, B, 4H) input projections
@group(0) @binding(4) var<storage, read_write> hs: array<f32>;    // (D, T+1, B, R) hidden states
@group(0) @binding(5) var<storage, read_write> cs: array<f32>;    // (D, T+1, B, H) cell states
@group(0) @binding(6) var<storage, read_write> act: array<f32>;   // (D, T, B, 4H) i, f, g, o after activation
@group(0) @binding(7) var<storage, read_write> y: array<f32>;     // (T, B, D·H) layer output, or m<t> when proj = 1
@group(0) @binding(8) var<storage, read> wt: array<f32>;          // (D, R, 4H) W_hhᵀ (COALESCED only)
@group(1) @binding(0) var<uniform> step: Step;

const BT = 4u;
const NG = 4u;    // gate blocks of W_hh (COALESCED)
const NSRC = 1u;  // the product's source: h<t-1> (COALESCED)
const SRC1_GATE = NG;

// fn gate_f, gate_g (the gates' and the candidate's nonlinearities, after the clip) and fn activate.
//!include "shared/onnx_gates.wgsl"
fn b_hh(bd: u32, i: u32) -> f32 { return select(0.0, f32(w[bd + i]), P.bias == 1u); }

// Entry point: one step per dispatch; with the pipeline constant PERSISTENT the whole sweep in one
// dispatch (grid [1, ceil(B / 4), D]); COALESCED, SPLIT_K: see shared/step_variants_fwd.wgsl.
//!include "shared/step_variants_fwd.wgsl"

@compute @workgroup_size(STEP_WG, 1, 1)
fn lstm_step_fwd(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  step_fwd(wg, lid, P.R);
}

// h<t-1> at column k for batch rows b0 .. b0 + 3 (n = 0, the only source).
fn src_rows(n: u32, b0: u32, d: u32, s: u32, k: u32) -> vec4<f32> {
  let t = step_time(s, d);
  let r = state_prev(t, d, P.R) + k + rows4(b0) * P.R;
  return vec4<f32>(hs[r.x], hs[r.y], hs[r.z], hs[r.w]);
}

// Step s of direction d for hidden unit j and batch rows b0 .. b0 + 3.
fn step_unit(j: u32, b0: u32, d: u32, s: u32) {
  let H = P.H;
  let R = P.R;
  let B = P.B;
  if (j >= H || b0 >= B) { return; }
  let t = step_time(s, d);
  let hprev = state_prev(t, d, R);

  // Recurrent product for 4 gates × 4 batch rows: vec4 lanes are batch rows.
  var rb: array<u32, 4>;
  for (var i = 0u; i < BT; i++) { rb[i] = hprev + min(b0 + i, B - 1u) * R; }
  let wd = P.w_off + d * P.dir_stride;
  var acc: array<vec4<f32>, 4>;
  for (var k = 0u; k < R; k++) {
    let hv = vec4<f32>(hs[rb[0] + k], hs[rb[1] + k], hs[rb[2] + k], hs[rb[3] + k]);
    for (var q = 0u; q < 4u; q++) {
      acc[q] += f32(w[wd + (q * H + j) * R + k]) * hv;
    }
  }
  step_gates(j, b0, d, s, acc);
}

// The rest of step s for unit j < H and rows b0 .. b0 + 3, given the recurrent products acc[q][i].
fn step_gates(j: u32, b0: u32, d: u32, s: u32, acc: array<vec4<f32>, 4>) {
  let H = P.H;
  let B = P.B;
  let t = step_time(s, d);
  let cprevs = state_prev(t, d, H);
  let couts = state_out(t, d, H);

  let bd = P.bhh_off + d * P.dir_stride;
  let pd = P.ph_off + d * P.dir_stride;
  for (var i = 0u; i < BT; i++) {
    let b = b0 + i;
    if (b >= B) { break; }
    // Without a projection R = H, so hidden and cell states share these indices.
    let hp = cprevs + b * H + j;
    let ho = couts + b * H + j;
    let yo = out_index(t, b, d, H, j);
    let cprev = cs[hp];
    if (t >= lengths[b]) {
      if (P.proj == 0u) { hs[ho] = hs[hp]; }
      cs[ho] = cprev;
      y[yo] = 0.0;
      continue;
    }
    let g4 = step_row(t, b, d, 4u * H);
    var pi = gx[g4 + j] + b_hh(bd, j) + acc[0][i];
    var pf = gx[g4 + H + j] + b_hh(bd, H + j) + acc[1][i];
    let pg = gx[g4 + 2u * H + j] + b_hh(bd, 2u * H + j) + acc[2][i];
    var po = gx[g4 + 3u * H + j] + b_hh(bd, 3u * H + j) + acc[3][i];
    if (P.peephole == 1u) {
      pi += f32(w[pd + j]) * cprev;
      pf += f32(w[pd + H + j]) * cprev;
    }
    let ig = gate_f(pi);
    let fg = select(gate_f(pf), 1.0 - ig, P.input_forget == 1u);
    let gg = gate_g(pg);
    let c = fg * cprev + ig * gg;
    if (P.peephole == 1u) { po += f32(w[pd + 2u * H + j]) * c; }
    let og = gate_f(po);
    let h = og * activate(P.act_h, c, P.alpha_h, P.beta_h);
    if (P.proj == 0u) { hs[ho] = h; }
    cs[ho] = c;
    y[yo] = h;
    act[g4 + j] = ig;
    act[g4 + H + j] = fg;
    act[g4 + 2u * H + j] = gg;
    act[g4 + 3u * H + j] = og;
  }
}
