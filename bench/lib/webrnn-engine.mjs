// webrnn's side of a row: the layer stack built from the shared weights, a forward that brings the
// output sequence to the CPU, and a training step (forward, MSE on the output sequence, BPTT, Adam
// over every parameter) that ends by reading the loss. Host-agnostic: the caller passes webrnn's module
// (dist/src/index.js in Node, the same file bundled in the page) and an engine.
//
// Kernel variants: each row records what ran — kernel_variant, the layer's step variant ('per-step': one
// dispatch per time step; 'persistent': one per layer and sweep; 'coalesced': per step from W_hhᵀ with
// h<t-1> in workgroup memory; 'split-k': per step, a workgroup per unit splitting the product over k,
// with split_k_reduction 'subgroup' (subgroupAdd, where the adapter has subgroups) or 'workgroup')
// and matmul_variant, the GEMMs'
// variant ('register-blocked', 'tiled', or 'mixed' when the layer's GEMMs differ), both read from the
// layer's recorded programs after the calls — plus the engine's tuning mode and the tuning time this
// case caused. By default the engine tunes ('auto': the variants are timed on first use, and the
// webrnn case waits for that before its rows are timed); --variants adds one row per forced variant,
// each on its own engine: 'off' (today's fixed choices: register-blocked GEMMs and the persistentWins
// rule), 'per-step' / 'persistent' / 'coalesced' / 'split-k' (every step kernel's variant; split-k with
// subgroupAdd sums where the adapter has subgroups) / 'split-k-workgroup' (split-k with the workgroup-
// memory sums: createEngine({ subgroups: false })) and 'register-blocked' / 'tiled' (every GEMM).
// --precision f16-weights builds every webrnn layer with that precision (an f16 copy of the weights
// read with f32 accumulation); its rows record `precision`.

import { rnnConfig } from './weights.mjs';

/** Schedules a row's kernel_variant can name. */
export const STEP_SCHEDULES = /** @type {const} */ (['per-step', 'persistent', 'coalesced', 'split-k']);

/** The kernel variants the benchmark can force (--variants), each a createEngine option set. */
export const KERNEL_VARIANTS = /** @type {const} */ (['off', 'per-step', 'persistent', 'coalesced', 'split-k', 'split-k-workgroup', 'register-blocked', 'tiled']);

const STEP = ['lstm_step_fwd', 'gru_step_fwd', 'rnn_step_fwd'];
/** @type {Record<typeof KERNEL_VARIANTS[number], Record<string, unknown>>} */
const ENGINE_OPTIONS = {
  off: { tuning: 'off' },
  'per-step': { kernels: Object.fromEntries(STEP.map((k) => [k, 'per-step'])) },
  persistent: { kernels: Object.fromEntries(STEP.map((k) => [k, 'persistent'])) },
  coalesced: { kernels: Object.fromEntries(STEP.map((k) => [k, 'coalesced'])) },
  'split-k': { kernels: Object.fromEntries(STEP.map((k) => [k, 'split-k'])) },
  'split-k-workgroup': { kernels: Object.fromEntries(STEP.map((k) => [k, 'split-k'])), subgroups: false },
  'register-blocked': { kernels: { matmul: 'register-blocked' } },
  tiled: { kernels: { matmul: 'tiled' } },
};

/**
 * The variants `--variants` forces: all of KERNEL_VARIANTS (true) or those listed, each checked.
 * @param {boolean | string[] | undefined} v @returns {(typeof KERNEL_VARIANTS[number])[]}
 */
export function forcedVariants(v) {
  if (!Array.isArray(v)) return v ? [...KERNEL_VARIANTS] : [];
  for (const x of v) if (!KERNEL_VARIANTS.includes(/** @type {any} */ (x))) throw new Error(`--variants: unknown variant ${x} (known: ${KERNEL_VARIANTS.join(', ')})`);
  return /** @type {any} */ (v);
}

/** @typedef {import('./shapes.mjs').Shape} Shape */
/** @typedef {import('./shapes.mjs').CellVariant} CellVariant */

/**
 * @param {any} W webrnn's module (createEngine, MSELoss, Adam, …)
 * @param {any} engine a webrnn Engine
 * @param {Shape} s @param {CellVariant} c
 * @param {Record<string, unknown>} config rnnConfig(s, c)
 * @param {Record<string, Float32Array>} sd weights by PyTorch name
 * @param {{ x: Float32Array, target: Float32Array }} data time-major
 * @param {string} [forced] the forced variant of this row's engine, if any
 * @param {'f32' | 'f16-weights'} [precision] the layer's (RecurrentOptions.precision; default f32)
 */
export async function webrnnCase(W, engine, s, c, config, sd, data, forced, precision = 'f32') {
  const D = s.bidirectional ? 2 : 1;
  const tuning0 = engine.tuningReport().ms;
  const rnn = new W.Recurrent(engine, config, { seed: 1, precision });
  rnn.loadStateDict(sd);
  rnn.eval(); // no dropout is configured; eval() says the forward rows are inference
  const x = engine.tensor(data.x, [s.T, s.B, s.I]);
  const target = engine.tensor(data.target, [s.T, s.B, D * s.H]);
  const mse = new W.MSELoss(engine);
  /** @type {any} */
  let opt;
  // First use at this shape: one forward and backward record the programs (and, with tuning on, start
  // timing the variants); waiting for the tuner then re-recording once keeps both out of the timed rows.
  {
    const { output } = rnn.forward(x);
    rnn.backward({ grad_output: mse.forward(output, target).grad_input });
    await engine.tuned();
    await rnn.forward(x).output.read();
    rnn.backward({ grad_output: mse.forward(rnn.forward(x).output, target).grad_input });
  }
  const tuningMs = engine.tuningReport().ms - tuning0;
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
    /** The variants that ran (after the calls) and the tuning this case caused. */
    info() {
      const v = rnn.kernelVariants();
      if (!v) return {};
      // split-k's sums by the workgroup-memory tree: what --variants forces as 'split-k-workgroup'
      const sums = v.reduction === 'workgroup' ? ['split-k-workgroup'] : v.reduction === 'subgroup' ? ['split-k-subgroup'] : [];
      const ran = [v.schedule, ...sums, v.matmul, ...(engine.tuningReport().mode === 'off' ? ['off'] : [])];
      return { kernel_variant: v.schedule, ...(v.reduction ? { split_k_reduction: v.reduction } : {}), matmul_variant: v.matmul, tuning: engine.tuningReport().mode, tuning_ms: Math.round(tuningMs), variants_run: ran, ...(forced ? { forced } : {}), ...(precision === 'f32' ? {} : { precision }) };
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
 * webrnn's factories for runSuite, the same in every host: 'webrnn' (the given engine, tuning on), and
 * with `variants` also one per forced kernel variant ("webrnn[tiled]", …) on an engine of its own,
 * each row recording the variants that ran.
 * @param {any} W @param {any} engine @param {string} adapter @param {boolean | string[]} [variants] all forced variants, or those listed
 * @param {'f32' | 'f16-weights'} [precision] every layer's (RecurrentOptions.precision)
 * @returns {Record<string, import('./suite.mjs').EngineFactory>}
 */
export function webrnnFactories(W, engine, adapter, variants = false, precision = 'f32') {
  /** @type {Record<string, Promise<any>>} */
  const engines = {};
  const factory = (/** @type {'auto' | typeof KERNEL_VARIANTS[number]} */ v) => ({
    adapter, gpu: true, engine: 'webrnn', memoryKind: 'engine.memory(): live GPU buffers (layer, workspaces, optimizer, loss, inputs)',
    ...(v === 'auto' ? {} : { rowInfo: { forced_variant: v } }),
    make: async (/** @type {any} */ s, /** @type {any} */ c, /** @type {any} */ sd, /** @type {any} */ data) => {
      const e = v === 'auto' ? engine : await (engines[v] ??= W.createEngine(ENGINE_OPTIONS[v]));
      return { ...(await webrnnCase(W, e, s, c, rnnConfig(s, c), sd, data, v === 'auto' ? undefined : v, precision)), liveBytes: () => e.memory().bytes };
    },
  });
  if (!variants) return { webrnn: factory('auto') };
  return { webrnn: factory('auto'), ...Object.fromEntries(forcedVariants(variants).map((v) => [`webrnn[${v}]`, factory(v)])) };
}
