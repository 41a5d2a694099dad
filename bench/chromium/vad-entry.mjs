// The VAD page (bench/lib/vad-run.mjs runs it through run-chromium.mjs): webrnn beside onnxruntime-web
// (wasm EP, and WebGPU EP only when its LSTM nodes are placed on WebGPU) on the silero files, with the
// same suite, guard and timing as the Node worker (bench/workers/vad-worker.mjs). Reads ./job.json,
// ./audio.f32 (the recording, made in Node) and the .onnx files beside it; reports each row as a
// console line "@@row {json}" and sets window.__benchDone when finished.
import * as W from '../../dist/src/index.js';
import * as I from '../../dist/src/interop/index.js';
import { VAD_MODELS, ortVadCase, runVadSuite, webrnnVadCase } from '../lib/vad-suite.mjs';
import { loadOrtWeb, withConsoleCollected } from '../lib/ort-web-engine.mjs';
import { lstmPlacement } from '../lib/vad-placement.mjs';

const out = (/** @type {string} */ tag, /** @type {unknown} */ v) => console.log(`@@${tag} ${JSON.stringify(v)}`);
const bytesOf = async (/** @type {string} */ f) => new Uint8Array(await (await fetch(`./${f}`)).arrayBuffer());

async function main() {
  const job = await (await fetch('./job.json')).json();
  const audio = new Float32Array((await bytesOf('audio.f32')).buffer);
  const engine = await W.createEngine();
  const adapter = engine.adapterName;
  const cores = navigator.hardwareConcurrency;
  const threads = globalThis.crossOriginIsolated ? cores : 1;
  /** @type {Record<string, import('../lib/vad-suite.mjs').VadFactory>} */
  const factories = {};
  if (job.engines.includes('webrnn')) factories.webrnn = { adapter, make: (spec, bytes) => webrnnVadCase(I, engine, spec, bytes) };
  for (const name of /** @type {const} */ (['onnxruntime-web-wasm', 'onnxruntime-web-webgpu'])) {
    if (!job.engines.includes(name)) continue;
    /** @type {any} */
    let ort;
    /** @type {string | undefined} */
    let loadError;
    try { ort = await loadOrtWeb(name, new URL('./vendor/onnxruntime-web/', location.href).href, threads); } catch (e) { loadError = `onnxruntime-web could not be loaded: ${e instanceof Error ? e.message : e}`; }
    const version = ort?.env?.versions?.web ?? '';
    const gpu = name.endsWith('webgpu');
    const options = { executionProviders: [gpu ? 'webgpu' : 'wasm'], graphOptimizationLevel: 'all' };
    factories[name] = {
      adapter: gpu ? adapter : `browser CPU, ${cores} logical cores (onnxruntime-web ${version} wasm EP, SIMD)`,
      rowInfo: { ...(version ? { version } : {}), ...(gpu ? {} : { threads }) },
      make: async (spec, bytes) => {
        if (loadError) throw new Error(loadError);
        /** @type {Record<string, unknown>} */
        let info = {};
        if (gpu) {
          // As for the RNN rows (ort-web-engine.mjs): a verbose session first, its log read for where
          // each LSTM node went; refused unless every one is on WebGPU (the row would time the CPU).
          /** @type {string[]} */
          const lines = [];
          const verbose = await withConsoleCollected(lines, () => ort.InferenceSession.create(bytes, { ...options, logSeverityLevel: 0, logVerbosityLevel: 0 }));
          await verbose.release();
          const placed = lstmPlacement(lines);
          if (placed.refused) throw new Error(`refused: ${placed.refused}`);
          info = { placement: placed.placement };
        }
        const vc = await ortVadCase(ort, spec, bytes, options);
        return { ...vc, info: () => info };
      },
    };
  }
  const models = [];
  for (const spec of VAD_MODELS) if (!job.models || job.models.includes(spec.file)) models.push({ spec, bytes: await bytesOf(spec.file) });
  await runVadSuite({
    models, audio, audioSource: job.audioSource, engines: factories, host: 'chromium', chunks: job.chunks, capMs: job.capMs, recordingCapMs: job.recordingCapMs,
    start: (key) => out('start', key), emit: (row) => out('row', row), log: (l) => console.log(`[vad] ${l}`),
  });
  engine.dispose();
}

main().then(
  () => { /** @type {any} */ (window).__benchDone = { ok: true }; },
  (e) => { /** @type {any} */ (window).__benchDone = { ok: false, error: e instanceof Error ? e.stack ?? e.message : String(e) }; },
);
