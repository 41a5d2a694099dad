// One bidirectional two-layer LSTM forward with variable lengths, the same in every consumer of the
// packed package (Node, vite + Chromium, Deno): weights and inputs come from a fixed formula, so the
// test can compare each consumer's numbers with the float64 reference computed in Node.
export const config = { mode: /** @type {const} */ ('LSTM'), input_size: 5, hidden_size: 7, num_layers: 2, bidirectional: true };
export const T = 6;
export const B = 3;
export const lengths = [6, 2, 4];

const wave = (n, a, b) => Float32Array.from({ length: n }, (_, k) => 0.4 * Math.sin(a * k + b));

/** The state_dict for `specs` (parameterSpecs(config): name and shape of every parameter). */
export function caseWeights(specs) {
  return Object.fromEntries(specs.map((s, i) => [s.name, wave(s.shape.reduce((x, y) => x * y, 1), 0.7, i)]));
}

/** (T, B, input_size) */
export const caseInput = () => wave(T * B * config.input_size, 0.3, 0.5);

/** Runs the case with the package's public API: what a user's page or script would write. */
export async function runLstmCase({ createEngine, parameterSpecs, Recurrent }) {
  const engine = await createEngine();
  try {
    const lstm = new Recurrent(engine, config, { seed: 1 });
    lstm.loadStateDict(caseWeights(parameterSpecs(config)));
    const { output, h_n, c_n } = lstm.forward(engine.tensor(caseInput(), [T, B, config.input_size]), { lengths });
    return { adapter: engine.adapterName, output: Array.from(await output.read()), h_n: Array.from(await h_n.read()), c_n: Array.from(await c_n.read()) };
  } finally {
    engine.dispose();
  }
}
