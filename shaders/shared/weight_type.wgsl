// weight_type: the element type of the weights a kernel reads — f32 here. The build
// (scripts/gen-shaders.mjs) gives every kernel that includes this snippet a twin `<kernel>_f16`: the same
// code with `enable f16;` first and f16 in place of f32 below, which precision 'f16-weights' binds to
// the f16 copy of a recurrent layer's parameters (shaders/pack_f16.wgsl writes it once per forward).
// Every read of a weight-typed binding is wrapped in f32(…) (the build checks it), so both kernels
// multiply and accumulate in f32 and the f32 kernel's code is what it was.
// Included by lstm_step_fwd, lstm_step_bwd, gru_step_fwd, gru_step_bwd, rnn_step_fwd, rnn_step_bwd,
// gru_reset_gate_fwd, gru_reset_gate_bwd, lstm_projection_fwd, lstm_projection_bwd and
// shared/matmul_io.wgsl (operand B and bias: W_ih and b_ih in a recurrent layer's GEMMs).
alias weight = f32;
