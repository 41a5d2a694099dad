// step_output: index of unit j of batch row b, direction d, time t in a recurrent layer's output
// (T, B, D·W) (or its gradient): the directions side by side on the feature axis.
// Needs Params fields B and D in the uniform P.
// Included by lstm_step_fwd, gru_step_fwd, rnn_step_fwd, lstm_step_bwd, gru_step_bwd, rnn_step_bwd,
// lstm_projection_fwd and lstm_projection_bwd.
fn out_index(t: u32, b: u32, d: u32, W: u32, j: u32) -> u32 { return (t * P.B + b) * P.D * W + d * W + j; }
