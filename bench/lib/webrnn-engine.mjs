// webrnn's side of a row: the layer stack built from the shared weights, a forward that brings the
// output sequence to the CPU, and a training step (forward, MSE on the output sequence, BPTT, Adam
// over every parameter) that ends by reading the loss. Host-agnostic: the caller passes webrnn's module
// (dist/src/index.js in Node, the same file bundled in the page) and an engine.
//
// Kernel variants: for now the variant a row records is the layer's schedule, 'per-step' (one
// dispatch per time step) or 'persistent' (one dispatch per layer and sweep), read from webrnn's own
// dispatch count after a forward: per step issues at least T dispatches per layer, persistent a few.
// `schedule` forces one (--variants); 'auto' leaves the choice to webrnn.

import { rnnConfig } from './weights.mjs';

/** The kernel variants the benchmark can force (webrnn's RecurrentSchedule values other than 'auto'). */
export const KERNEL_VARIANTS = /** @type {const} */ (['per-step', 'persistent']);

/** @typedef {import('./shapes.mjs').Shape} Shape */
/** @typedef {import('./shapes.mjs').CellVariant} CellVariant */

/**
 * @param {any} W webrnn's module (createEngine, MSELoss, Adam, …)
 * @param {any} engine a webrnn Engine
 * @param {Shape} s @param {CellVariant} c
 * @param {Record<string, unknown>} config rnnConfig(s, c)
 * @param {Record<string, Float32Array>} sd weights by PyTorch name
 * @param {{ x: Float32Array, target: Float32Array }} data time-major
 * @param {'auto' | typeof KERNEL_VARIANTS[number]} [schedule]
 */
export function webrnnCase(W, engine, s, c, config, sd, data, schedule = 'auto') {
  const D = s.bidirectional ? 2 : 1;
  const rnn = engine.recurrent(config, { seed: 1, schedule });
  rnn.loadStateDict(sd);
  rnn.eval(); // no dropout is configured; eval() says the forward rows are inference
  const x = engine.tensor(data.x, [s.T, s.B, s.I]);
  const target = engine.tensor(data.target, [s.T, s.B, D * s.H]);
  const mse = new W.MSELoss(engine);
  /** @type {any} */
  let opt;
  return {
    /** Forward; resolves with the output (T, B, D·H) on the CPU. */
    async forward() {
      return /** @type {Float32Array} */ (await rnn.forward(x).output.read());
    },
    /** One training step; resolves with the loss (before the update). */
    async train() {
      opt ??= new W.Adam(engine, [rnn.store], { lr: 1e-3 });
      const { output } = rnn.forward(x);
      const { loss, grad_input } = mse.forward(output, target);
      rnn.backward({ grad_output: grad_input });
      opt.step();
      return (await loss.read())[0];
    },
    /** webrnn's own count of the recurrent layer's dispatches (forward, backward). */
    dispatchCounts: () => rnn.dispatchCounts(),
    /** The variant that ran (after a forward): kernel_variant, and the schedule asked for. */
    info() {
      const n = rnn.dispatchCounts()?.forward;
      if (n === undefined) return {};
      return { kernel_variant: n >= s.L * s.T ? 'per-step' : 'persistent', schedule_requested: schedule };
    },
    dispose() {
      opt?.dispose();
      mse.dispose();
      rnn.dispose();
      x.dispose();
      target.dispose();
    },
  };
}

/**
 * webrnn's factories for runSuite, the same in every host: one ('webrnn', schedule 'auto'), or with
 * `variants` one per forced kernel variant ("webrnn[per-step]", …), each row recording its variant.
 * @param {any} W @param {any} engine @param {string} adapter @param {boolean} [variants]
 * @returns {Record<string, import('./suite.mjs').EngineFactory>}
 */
export function webrnnFactories(W, engine, adapter, variants = false) {
  const factory = (/** @type {'auto' | typeof KERNEL_VARIANTS[number]} */ schedule) => ({
    adapter, gpu: true, engine: 'webrnn', memoryKind: 'engine.memory(): live GPU buffers (layer, workspaces, optimizer, loss, inputs)',
    ...(schedule === 'auto' ? {} : { rowInfo: { forced_variant: schedule } }),
    make: (/** @type {any} */ s, /** @type {any} */ c, /** @type {any} */ sd, /** @type {any} */ data) =>
      ({ ...webrnnCase(W, engine, s, c, rnnConfig(s, c), sd, data, schedule), liveBytes: () => engine.memory().bytes }),
  });
  if (!variants) return { webrnn: factory('auto') };
  return Object.fromEntries(KERNEL_VARIANTS.map((v) => [`webrnn[${v}]`, factory(v)]));
}
