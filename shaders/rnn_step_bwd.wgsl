// rnn_step_bwd: one reverse (BPTT) step of a vanilla RNN layer for every batch row, hidden unit and direction.
//
// Dispatch i = 0..T handles processing step s = T-1-i (s = -1 finalises into dL/dh0):
//   dh<s> = carry_h + Σ_m W_hh[m, j] · dG<s+1>[b, m] + dy[t, b, d·H + j]      (dG<T> = 0, no dy at s = -1)
//   dG<s> = dh ⊙ act'(h<t>):  tanh' = 1 − h², relu' = [h > 0];   carry_h ← 0
//   Masked steps (t ≥ lengths[b]) pass dh through and write dG<s> = 0.
// carry_h starts as dL/dh_n. Weight gradients are matmuls afterwards (see lstm_step_bwd).
// Grid: x = ceil(H / 256) (4 units per invocation), y = ceil(B / 4), z = D.

struct Params {
  T: u32, B: u32, H: u32, D: u32,
  w_off: u32,       // W_hh (H, H) of direction 0 in w
  dir_stride: u32,  // elements from a direction-0 parameter to its direction-1 twin
  relu: u32,        // 1: RNN_RELU, 0: RNN_TANH
}
struct Step { s: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> lengths: array<u32>;       // (B)
//!include "shared/weight_type.wgsl"
//!include "shared/step_index.wgsl"
//!include "shared/step_output.wgsl"
@group(0) @binding(2) var<storage, read> w: array<weight>;          // flat parameters (f16: the f16 copy)
@group(0) @binding(3) var<storage, read> hs: array<f32>;            // (D, T+1, B, H) hidden states
@group(0) @binding(4) var<storage, read> dy: array<f32>;            // (T, B, D·H) dL/d(layer output)
@group(0) @binding(5) var<storage, read_write> dg: array<f32>;      // (D, T, B, H) dL/d(pre-activation)
@group(0) @binding(6) var<storage, read_write> carry_h: array<f32>; // (D, B, H)
@group(1) @binding(0) var<uniform> step: Step;

const BT = 4u;  // batch rows per invocation

const JT = 4u;  // hidden units per invocation: 4×4 register blocks, 8 loads per 16 multiply-adds

// Entry point: one step per dispatch; with the pipeline constant PERSISTENT the whole sweep in one
// dispatch (grid [1, ceil(B / 4), D]), see shared/step_sweep_bwd.wgsl; with COALESCED (the coalesced
// step variant's reverse) per step, the recurrent term's source rows staged in workgroup memory and
// W read by consecutive units, see shared/step_coalesced_bwd.wgsl; with SPLIT_K (the split-k variant's
// reverse) per step, grid [ceil(H / 4), ceil(B / 4), D], a workgroup per 4 units × 4 rows whose
// invocations split the sum over the recurrent rows, see shared/step_split_k_bwd.wgsl.
//!include "shared/step_coalesced_bwd.wgsl"

@compute @workgroup_size(STEP_WG, 1, 1)
fn rnn_step_bwd(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  step_bwd(wg, lid);
}

// The recurrent term's rows (every form; shared/step_sweep_bwd.wgsl's step_units and rec_src): dG<s+1> (H wide) through W_hh (H, H); none at the last step.
fn rec_term(d: u32, s: i32) -> vec2<u32> { return vec2<u32>(select(0u, P.H, s + 1 < i32(P.T)), P.w_off + d * P.dir_stride); }
// Offset of batch row b's source row for step s: dG<s+1> (D, T, B, H).
fn rec_row(b: u32, d: u32, s: i32) -> u32 { return step_row(step_time(u32(s + 1), d), b, d, P.H); }
fn rec_source(i: u32) -> f32 { return dg[i]; }

// The rest of step s for one (direction, batch row, unit), given its recurrent term.
fn unit(d: u32, b: u32, j: u32, s: i32, rec: f32) {
  let H = P.H;
  let B = P.B;
  let T = P.T;
  let ci = (d * B + b) * H + j;
  var dh = carry_h[ci] + rec;
  if (s < 0) { carry_h[ci] = dh; return; }
  let t = step_time(u32(s), d);
  let gi = step_row(t, b, d, H) + j;
  if (t >= lengths[b]) {
    carry_h[ci] = dh;
    dg[gi] = 0.0;
    return;
  }
  dh += dy[out_index(t, b, d, H, j)];
  let h = hs[state_out(t, d, H) + b * H + j];
  dg[gi] = dh * select(1.0 - h * h, select(0.0, 1.0, h > 0.0), P.relu == 1u);
  carry_h[ci] = 0.0;
}
