// onnxruntime-web's side of a row, in the benchmark page: the same ONNX model onnxruntime-node runs
// (bench/lib/onnx-model.mjs), on one of onnxruntime-web's execution providers, inference only.
//   'wasm'   — the build a CPU-only page ships (ort.wasm.min.mjs): SIMD, with threads when the page is
//              cross-origin isolated (ort uses 1 thread unless env.wasm.numThreads says otherwise).
//   'webgpu' — the WebGPU build (ort.webgpu.min.mjs): the default build has no WebGPU LSTM/GRU kernel
//              and silently places those nodes on its CPU EP, so a row named WebGPU would time the CPU.
//              A first session is created with verbose logging, the recurrent nodes' placement is read
//              from onnxruntime's own log, and a model whose LSTM/GRU node is not on WebGPU is refused;
//              the timed session is a second, quiet one (a verbose session logs every dispatch).
// The .mjs and .wasm files are loaded as shipped, from a static route of the page (run-chromium.mjs
// serves node_modules/onnxruntime-web/dist there), not bundled.
import { buildOnnxModel } from './onnx-model.mjs';

/** The onnxruntime-web build each engine loads, and the execution provider it asks for. */
export const ORT_WEB_BUILDS = /** @type {const} */ ({
  'onnxruntime-web-wasm': { file: 'ort.wasm.min.mjs', ep: 'wasm' },
  'onnxruntime-web-webgpu': { file: 'ort.webgpu.min.mjs', ep: 'webgpu' },
});

/**
 * Imports one onnxruntime-web build from `base` (a URL ending in /) and sets its wasm files' location
 * and thread count.
 * @param {keyof typeof ORT_WEB_BUILDS} engine @param {string} base @param {number} threads
 * @returns {Promise<any>} the ort namespace
 */
export async function loadOrtWeb(engine, base, threads) {
  collectConsole();
  const ort = await import(/* @vite-ignore */ `${base}${ORT_WEB_BUILDS[engine].file}`);
  ort.env.wasm.wasmPaths = base;
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;
  return ort;
}

/**
 * Which execution provider each recurrent node (LSTM/GRU) was placed on, read from onnxruntime's
 * verbose session log: either "All nodes placed on [EP]" or, per provider, "Node(s) placed on [EP].
 * Number of nodes: n" followed by lines " OpType (name)".
 * @param {string[]} logLines @param {string[]} nodeNames the recurrent nodes' names
 * @returns {Record<string, string | undefined>} node name → EP (undefined: not found in the log)
 */
export function placementFromLog(logLines, nodeNames) {
  /** @type {Record<string, string | undefined>} */
  const out = Object.fromEntries(nodeNames.map((n) => [n, undefined]));
  const text = logLines.join('\n');
  const all = /All nodes placed on \[(\w+)\]/.exec(text);
  if (all) for (const n of nodeNames) out[n] = all[1];
  let current;
  for (const line of text.split('\n')) {
    const ep = /Node\(s\) placed on \[(\w+)\]/.exec(line);
    if (ep) { current = ep[1]; continue; }
    const node = /^\s*(?:\S+\s+)?(?:LSTM|GRU)\s+\((\w+)\)/.exec(line.replace(/^.*\]\s/, ' '));
    if (current && node && node[1] in out) out[node[1]] = current;
  }
  return out;
}

/** Where console output goes while a verbose session is created (undefined: nowhere extra). */
/** @type {string[] | undefined} */
let collected;

/**
 * Wraps the console once, before onnxruntime is loaded: its wasm module binds console.log and friends
 * when it starts, so a wrapper installed later would not see its log.
 */
function collectConsole() {
  if (/** @type {any} */ (console).__ortWebCollect) return;
  for (const n of /** @type {const} */ (['log', 'info', 'warn', 'error', 'debug'])) {
    const orig = console[n];
    console[n] = (/** @type {any[]} */ ...a) => { collected?.push(a.map(String).join(' ')); orig.apply(console, a); };
  }
  /** @type {any} */ (console).__ortWebCollect = true;
}

/** Runs `fn` with console output collected into `lines` (and still printed). */
export async function withConsoleCollected(/** @type {string[]} */ lines, /** @type {() => Promise<any>} */ fn) {
  collected = lines;
  try {
    return await fn();
  } finally {
    collected = undefined;
  }
}

/**
 * @param {any} ort a namespace from loadOrtWeb @param {keyof typeof ORT_WEB_BUILDS} engine
 * @param {import('./shapes.mjs').Shape} s @param {import('./shapes.mjs').CellVariant} c
 * @param {Record<string, Float32Array>} sd @param {{ x: Float32Array }} data
 * @returns {Promise<import('./suite.mjs').EngineCase>}
 */
export async function ortWebCase(ort, engine, s, c, sd, data) {
  const { ep } = ORT_WEB_BUILDS[engine];
  const model = buildOnnxModel(s, c, sd);
  const options = { executionProviders: [ep], graphOptimizationLevel: 'all' };
  /** @type {Record<string, unknown>} */
  let info = {};
  if (ep === 'webgpu') {
    /** @type {string[]} */
    const logLines = [];
    const verbose = await withConsoleCollected(logLines, () => ort.InferenceSession.create(model, { ...options, logSeverityLevel: 0, logVerbosityLevel: 0 }));
    await verbose.release();
    // buildOnnxModel names layer l's recurrent node rnn{l}
    const placed = placementFromLog(logLines, Array.from({ length: s.L }, (_, l) => `rnn${l}`));
    const off = Object.entries(placed).filter(([, p]) => p !== 'WebGpuExecutionProvider');
    if (off.length) {
      throw new Error(`refused: ${c.cell.toUpperCase()} node${off.length > 1 ? 's' : ''} ${off.map(([n, p]) => `${n} on ${p ?? 'an EP the log does not name'}`).join(', ')}, not WebGpuExecutionProvider (this row would time the CPU)`);
    }
    info = { placement: placed };
  }
  const session = await ort.InferenceSession.create(model, options);
  const x = new ort.Tensor('float32', data.x, [s.T, s.B, s.I]);
  return {
    /** Forward: input uploaded from the CPU, output (T, B, D·H) read back, as a page calls it. */
    forward: async () => /** @type {Float32Array} */ ((await session.run({ x })).y.data),
    info: () => info,
    dispose: () => void session.release(),
  };
}
