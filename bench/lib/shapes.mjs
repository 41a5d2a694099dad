// What the benchmark measures: the shapes, the cells (with GRU's two forms), the modes, and the FLOP
// count every GFLOP/s figure is computed from. Shared by the orchestrator, the workers and the page.

/** @typedef {{ B: number, T: number, I: number, H: number, L: number, bidirectional: boolean }} Shape */

/** Issue 5's shapes. `tiny` is for test/bench.test.ts (seconds, every code path: stacked, bidirectional). */
export const SHAPES = /** @type {Record<string, Shape>} */ ({
  S1: { B: 1, T: 100, I: 32, H: 64, L: 1, bidirectional: false },
  S2: { B: 16, T: 50, I: 64, H: 128, L: 1, bidirectional: false },
  S3: { B: 64, T: 100, I: 256, H: 512, L: 2, bidirectional: true },
  tiny: { B: 2, T: 6, I: 5, H: 8, L: 2, bidirectional: true },
});

/**
 * A cell as the engines can run it. GRU has two forms and the anchors differ in which they offer:
 * PyTorch has only reset-after (n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))), tfjs only reset-before
 * (n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)); ONNX has both (linear_before_reset = 1 / 0), webrnn
 * both (reset_after). Rows are compared only within the same variant, so every ratio is between the
 * same computation.
 * @typedef {{ cell: 'lstm' | 'gru', variant: 'reset_after' | 'reset_before' | null, G: number }} CellVariant
 */
/** @type {CellVariant[]} */
export const CELLS = [
  { cell: 'lstm', variant: null, G: 4 },
  { cell: 'gru', variant: 'reset_after', G: 3 },
  { cell: 'gru', variant: 'reset_before', G: 3 },
];

/** @param {CellVariant} c */
export const cellLabel = (c) => (c.variant ? `${c.cell} (${c.variant.replace('_', '-')})` : c.cell);

/** @param {string} label e.g. "gru (reset-after)" → the CellVariant */
export function cellByLabel(label) {
  const c = CELLS.find((x) => cellLabel(x) === label || (x.variant === null && x.cell === label));
  if (!c) throw new Error(`unknown cell ${label} (known: ${CELLS.map(cellLabel).join(', ')})`);
  return c;
}

export const MODES = /** @type {const} */ (['forward', 'train']);

/**
 * FLOPs of one call, counting the matrix products only (gate nonlinearities, the loss and the optimizer
 * are O(parameters) or O(T·B·H) and left out), the convention of bench/engine-timing.mjs:
 *   forward = Σ_layers Σ_directions 2·T·B·G·H·(I_l + H),  I_0 = I, I_l = D·H for l > 0;
 *   train   = 3 × forward (the backward multiplies by each weight matrix twice: dX/dh and dW).
 * @param {Shape} s @param {CellVariant} c @param {'forward' | 'train'} mode
 */
export function flopsOf(s, c, mode) {
  const D = s.bidirectional ? 2 : 1;
  let f = 0;
  for (let l = 0; l < s.L; l++) f += 2 * s.T * s.B * c.G * s.H * ((l === 0 ? s.I : D * s.H) + s.H) * D;
  return mode === 'train' ? 3 * f : f;
}

export const FLOP_FORMULA =
  'forward = Σ_layers Σ_directions 2·T·B·G·H·(I_l + H) (matrix products only; G = 4 LSTM, 3 GRU; I_l = D·H above layer 0); train = 3 × forward';

/**
 * The engines, in table order; every one but webrnn is an anchor compared against webrnn. Node runs
 * webrnn, tfjs-webgpu, tfjs-cpu, pytorch-cpu and onnxruntime-cpu; the Chromium page webrnn and the
 * peers a browser app would pick: tfjs-webgpu, tfjs-webgl, tfjs-wasm, onnxruntime-web-webgpu and
 * onnxruntime-web-wasm.
 */
export const ENGINES = /** @type {const} */ ([
  'webrnn', 'tfjs-webgpu', 'tfjs-webgl', 'tfjs-wasm', 'tfjs-cpu', 'pytorch-cpu',
  'onnxruntime-web-webgpu', 'onnxruntime-web-wasm', 'onnxruntime-cpu',
]);
export const NODE_ENGINES = ['webrnn', 'tfjs-webgpu', 'tfjs-cpu', 'onnxruntime-cpu', 'pytorch-cpu'];
export const CHROMIUM_ENGINES = ['webrnn', 'tfjs-webgpu', 'tfjs-webgl', 'tfjs-wasm', 'onnxruntime-web-webgpu', 'onnxruntime-web-wasm'];

/**
 * Which (cell variant, mode) each engine runs. PyTorch has no reset-before GRU and tfjs no reset-after;
 * onnxruntime (node and web) is benchmarked for inference only (the task's scope; ONNX has no training).
 * @param {string} engine @param {CellVariant} c @param {'forward' | 'train'} mode
 */
export function engineRuns(engine, c, mode) {
  if (engine.startsWith('onnxruntime') && mode !== 'forward') return false;
  if (c.variant === 'reset_before' && engine === 'pytorch-cpu') return false;
  if (c.variant === 'reset_after' && engine.startsWith('tfjs')) return false;
  return true;
}

/** Deterministic inputs and weights: a tiny LCG so Node, the page and Python agree without a file. */
export function seededUniform(n, seed, lo, hi) {
  const out = new Float32Array(n);
  let s = (seed >>> 0) || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((s >>> 8) / 16777216) * (hi - lo);
  }
  return out;
}
