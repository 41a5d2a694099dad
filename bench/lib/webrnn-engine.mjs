// webrnn's side of a row: the layer stack built from the shared weights, a forward that brings the
// output sequence to the CPU, and a training step (forward, MSE on the output sequence, BPTT, Adam
// over every parameter) that ends by reading the loss. Host-agnostic: the caller passes webrnn's module
// (dist/src/index.js in Node, the same file bundled in the page) and an engine.

/** @typedef {import('./shapes.mjs').Shape} Shape */
/** @typedef {import('./shapes.mjs').CellVariant} CellVariant */

/**
 * @param {any} W webrnn's module (createEngine, MSELoss, Adam, …)
 * @param {any} engine a webrnn Engine
 * @param {Shape} s @param {CellVariant} c
 * @param {Record<string, unknown>} config rnnConfig(s, c)
 * @param {Record<string, Float32Array>} sd weights by PyTorch name
 * @param {{ x: Float32Array, target: Float32Array }} data time-major
 */
export function webrnnCase(W, engine, s, c, config, sd, data) {
  const D = s.bidirectional ? 2 : 1;
  const rnn = engine.recurrent(config, { seed: 1 });
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
    dispose() {
      opt?.dispose();
      mse.dispose();
      rnn.dispose();
      x.dispose();
      target.dispose();
    },
  };
}
