/**
 * The contract every float64 reference cell (rnn.ts, gru.ts, lstm.ts) fulfils: one time step of
 * one batch row forward, and that step's adjoint. recurrent.ts composes cells into layers,
 * directions and stacks; a cell knows nothing about time, batches, or layouts.
 */

/**
 * The parameters of one (layer, direction), as PyTorch's state_dict holds them, row-major.
 * The same shape carries the gradient accumulators in a backward pass.
 */
export interface CellParams {
  weight_ih: Float64Array; // (G·H, I)
  weight_hh: Float64Array; // (G·H, R), R = proj_size or H
  bias_ih?: Float64Array; // (G·H), absent when bias = false
  bias_hh?: Float64Array; // (G·H), absent when bias = false
  weight_hr?: Float64Array; // (R, H), projected LSTM only (proj_size = R)
  weight_ph?: Float64Array; // (3H) = [p_i, p_f, p_o], peephole LSTM only
}

/**
 * ONNX's forward-only cell options (config.activations, clip, input_forget); absent = PyTorch's cell.
 * A cell built with them has no backward (it throws).
 */
export interface CellOptions {
  activations: { name: string; alpha: number; beta: number }[];
  clip: number;
  input_forget: boolean;
}

/** What a forward step returns: the new state, plus whatever the cell saves for its backward step. */
export interface CellStep {
  readonly h: Float64Array; // (R): H, or proj_size for a projected LSTM
  readonly c?: Float64Array; // (H), LSTM only
}

/** Gradients w.r.t. the state a step started from. */
export interface StateGrads {
  dh: Float64Array; // (R)
  dc?: Float64Array; // (H), LSTM only
}

/**
 * One recurrent cell. Methods never modify their array arguments except the accumulators
 * (`grads`, `dx`); returned arrays are fresh.
 */
export interface RefCell<S extends CellStep = CellStep> {
  /** Gates stacked in the weight rows: RNN 1, GRU 3, LSTM 4. */
  readonly gates: number;
  /** Whether the cell carries c besides h (LSTM). */
  readonly hasCellState: boolean;
  /** One step: x (I), h and c (H) the previous state. */
  forward(p: CellParams, x: Float64Array, h: Float64Array, c: Float64Array | undefined): S;
  /**
   * The adjoint of `forward` given dL/dh' and dL/dc' of the new state: adds parameter gradients
   * into `grads`, dL/dx into `dx`, and returns dL/dh, dL/dc of the previous state.
   */
  backward(
    p: CellParams,
    grads: CellParams,
    x: Float64Array,
    h: Float64Array,
    c: Float64Array | undefined,
    step: S,
    dhNext: Float64Array,
    dcNext: Float64Array | undefined,
    dx: Float64Array,
  ): StateGrads;
}
