// step_index: where processing step s of direction d reads and writes, in the step kernels' layouts
// (lstm_step_fwd's header): s runs t = s forward (d = 0) and t = T-1-s in reverse; the states
// (D, T+1, B, W) hold h<t-1> in slot t (forward) or t+1 (reverse) and h<t> in slot t+1 or t; per-step
// rows (D, T, B, G) (gx, act, dg) and the layer output (T, B, D·W). Integer index arithmetic only.
// Needs Params fields T and B (and D for fn out_index) in the uniform P.
// Included by lstm_step_fwd, gru_step_fwd, rnn_step_fwd, lstm_step_bwd, gru_step_bwd, rnn_step_bwd,
// gru_reset_gate_fwd, gru_reset_gate_bwd, lstm_projection_fwd, lstm_projection_bwd and
// lstm_peephole_grad.

// The time index t that processing step s of direction d handles.
fn step_time(s: u32, d: u32) -> u32 { return select(P.T - 1u - s, s, d == 0u); }
// Offset of batch row 0 of h<t-1> (or c<t-1>) in a state array (D, T+1, B, W).
fn state_prev(t: u32, d: u32, W: u32) -> u32 { return (d * (P.T + 1u) + select(t + 1u, t, d == 0u)) * P.B * W; }
// Offset of batch row 0 of h<t> (or c<t>) in a state array (D, T+1, B, W).
fn state_out(t: u32, d: u32, W: u32) -> u32 { return (d * (P.T + 1u) + select(t, t + 1u, d == 0u)) * P.B * W; }
// Offset of row (d, t, b) in a per-step array (D, T, B, G).
fn step_row(t: u32, b: u32, d: u32, G: u32) -> u32 { return ((d * P.T + t) * P.B + b) * G; }
