// lstm_step_bwd: one reverse (BPTT) step of an LSTM layer for every batch row, hidden unit and direction.
//
// Dispatch i = 0..T handles processing step s = T-1-i (s = -1 finalises into dL/dh0, dL/dc0):
//   dh<s>  = carry_h + Σ_m W_hh[m, j] · dG<s+1>[b, m] + dy[t, b, d·H + j]       (dG<T> = 0, no dy at s = -1)
//   tc = tanh(c<t>);  do = dh ⊙ tc;  dc = carry_c + dh ⊙ o ⊙ (1 − tc²) (+ p_o ⊙ dpre_o)
//   dpre_i = dc ⊙ g ⊙ i(1−i),  dpre_f = dc ⊙ c<t-1> ⊙ f(1−f),  dpre_g = dc ⊙ i ⊙ (1−g²),  dpre_o = do ⊙ o(1−o)
//   carry_c ← dc ⊙ f (+ p_i ⊙ dpre_i + p_f ⊙ dpre_f),  carry_h ← 0,  dG<s> = dpre
//   Masked steps (t ≥ lengths[b]) copied their state forward, so they pass dh and dc through and
//   write dG<s> = 0.
// Projection (proj = 1, PyTorch's proj_size R < H): lstm_projection_bwd has already left dL/dh<s> (R wide,
// carry and recurrent terms included) in dy, so here dh = Σ_r dy[t, b, d·R + r] · W_hr[r, j] (that is
// dL/dm<s>), carry_h is not touched and s = -1 is not dispatched.
// carry_h/carry_c start as dL/dh_n, dL/dc_n (copied in by the scheduler). The weight gradients are
// matmuls over all steps afterwards (dW_hh = Σ dGᵀ·h<t-1>), so nothing here accumulates across
// invocations: deterministic, no atomics.
// Grid: x = ceil(H / 256) (4 units per invocation), y = ceil(B / 4), z = D. Dispatch index i from a
// dynamic-offset uniform.

struct Params {
  T: u32, B: u32, H: u32, D: u32,
  R: u32,           // width of h: H, or proj_size when proj = 1
  proj: u32,        // 1: dh comes through W_hr from dy (see header)
  w_off: u32,       // W_hh (4H, H) of direction 0 in w (unused when proj = 1)
  hr_off: u32,      // W_hr (R, H) of direction 0 (proj = 1)
  ph_off: u32,      // peephole (3H: p_i, p_f, p_o) of direction 0
  dir_stride: u32,  // elements from a direction-0 parameter to its direction-1 twin
  peephole: u32,
}
struct Step { s: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> lengths: array<u32>;       // (B)
//!include "shared/weight_type.wgsl"
//!include "shared/step_index.wgsl"
//!include "shared/step_output.wgsl"
@group(0) @binding(2) var<storage, read> w: array<weight>;          // flat parameters (f16: the f16 copy)
@group(0) @binding(3) var<storage, read> act: array<f32>;           // (D, T, B, 4H) i, f, g, o
@group(0) @binding(4) var<storage, read> cs: array<f32>;            // (D, T+1, B, H) cell states
@group(0) @binding(5) var<storage, read> dy: array<f32>;            // (T, B, D·H) dL/d(layer output); (T, B, D·R) dL/dh when proj = 1
@group(0) @binding(6) var<storage, read_write> dg: array<f32>;      // (D, T, B, 4H) dL/d(gate pre-activations)
@group(0) @binding(7) var<storage, read_write> carry_h: array<f32>; // (D, B, H)
@group(0) @binding(8) var<storage, read_write> carry_c: array<f32>; // (D, B, H)
@group(1) @binding(0) var<uniform> step: Step;

const BT = 4u;  // batch rows per invocation
const JT = 4u;  // hidden units per invocation: 4×4 register blocks, 8 loads per 16 multiply-adds

//!include "shared/tanh_clamped.wgsl"

// Row element i of what the recurrent term multiplies: dG (proj = 0) or dL/dh in dy (proj = 1).
fn rec_source(i: u32) -> f32 {
  if (P.proj == 1u) { return dy[i]; }
  return dg[i];
}

// Entry point: one step per dispatch; with the pipeline constant PERSISTENT the whole sweep in one
// dispatch (grid [1, ceil(B / 4), D]), see shared/step_sweep_bwd.wgsl; with COALESCED (the coalesced
// step variant's reverse) per step, the recurrent term's source rows staged in workgroup memory and
// W read by consecutive units, see shared/step_coalesced_bwd.wgsl; with SPLIT_K (the split-k variant's
// reverse) per step, grid [ceil(H / 4), ceil(B / 4), D], a workgroup per 4 units × 4 rows whose
// invocations split the sum over the recurrent rows, see shared/step_split_k_bwd.wgsl.
//!include "shared/step_coalesced_bwd.wgsl"

@compute @workgroup_size(STEP_WG, 1, 1)
fn lstm_step_bwd(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  step_bwd(wg, lid);
}

// The recurrent term's rows (every form; shared/step_sweep_bwd.wgsl's step_units and rec_src): dG<s+1> (4H wide) through W_hh (none at the last step), or with
// a projection dL/dh<s> (R wide, in dy) through W_hr (none at s = -1).
fn rec_term(d: u32, s: i32) -> vec2<u32> {
  if (P.proj == 1u) { return vec2<u32>(select(0u, P.R, s >= 0), P.hr_off + d * P.dir_stride); }
  return vec2<u32>(select(0u, 4u * P.H, s + 1 < i32(P.T)), P.w_off + d * P.dir_stride);
}
// Offset of batch row b's source row for step s: dG<s+1> (D, T, B, 4H), or dL/dh<s> in dy (T, B, D·R) with a projection.
fn rec_row(b: u32, d: u32, s: i32) -> u32 {
  if (P.proj == 1u) { return out_index(step_time(u32(s), d), b, d, P.R, 0u); }
  return step_row(step_time(u32(s + 1), d), b, d, 4u * P.H);
}

// The rest of step s for one (direction, batch row, unit), given its recurrent term.
fn unit(d: u32, b: u32, j: u32, s: i32, rec: f32) {
  let H = P.H;
  let B = P.B;
  let T = P.T;
  let G = 4u * H;
  let pd = P.ph_off + d * P.dir_stride;
  let ci = (d * B + b) * H + j;
  let own = P.proj == 0u;  // this kernel carries dh itself (no projection)
  var dh = rec;
  if (own) { dh += carry_h[ci]; }
  if (s < 0) {
    if (own) { carry_h[ci] = dh; }
    return;
  }
  let t = step_time(u32(s), d);
  let base = step_row(t, b, d, G);
  if (t >= lengths[b]) {
    if (own) { carry_h[ci] = dh; }
    for (var q = 0u; q < 4u; q++) { dg[base + q * H + j] = 0.0; }
    return;
  }
  if (own) { dh += dy[out_index(t, b, d, H, j)]; }
  let ig = act[base + j];
  let fg = act[base + H + j];
  let gg = act[base + 2u * H + j];
  let og = act[base + 3u * H + j];
  let c = cs[state_out(t, d, H) + b * H + j];
  let cprev = cs[state_prev(t, d, H) + b * H + j];
  let tc = tanh_clamped(c);
  let dpo = dh * tc * og * (1.0 - og);
  var dc = carry_c[ci] + dh * og * (1.0 - tc * tc);
  if (P.peephole == 1u) { dc += f32(w[pd + 2u * H + j]) * dpo; }
  let dpi = dc * gg * ig * (1.0 - ig);
  let dpf = dc * cprev * fg * (1.0 - fg);
  let dpg = dc * ig * (1.0 - gg * gg);
  var cc = dc * fg;
  if (P.peephole == 1u) { cc += f32(w[pd + j]) * dpi + f32(w[pd + H + j]) * dpf; }
  carry_c[ci] = cc;
  if (own) { carry_h[ci] = 0.0; }
  dg[base + j] = dpi;
  dg[base + H + j] = dpf;
  dg[base + 2u * H + j] = dpg;
  dg[base + 3u * H + j] = dpo;
}
