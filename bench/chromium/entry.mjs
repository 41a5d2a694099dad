// The benchmark page: webrnn beside the engines a browser app would pick instead — tfjs on its webgpu,
// webgl and wasm backends, onnxruntime-web on its WebGPU and wasm execution providers — on the
// browser's adapter, with the same suite, guard and timing as the Node worker
// (bench/workers/node-worker.mjs). Reads ./job.json, reports each row as a console line "@@row {json}"
// (notes as "@@note") and sets window.__benchDone when finished. run-chromium.mjs serves the wasm
// engines' files as shipped under ./vendor/ and sends COOP/COEP headers, so the page is cross-origin
// isolated and the wasm engines may use threads (one per logical core, reported in each row).
import * as W from '../../dist/src/index.js';
import { Recorder } from '../../dist/src/gpu/recorder.js';
import { Program } from '../../dist/src/gpu/program.js';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { runSuite } from '../lib/suite.mjs';
import { installDispatchCounter } from '../lib/dispatch-counter.mjs';
import { measureGemm } from '../lib/gemm.mjs';
import { webrnnFactories } from '../lib/webrnn-engine.mjs';
import { tfjsCase } from '../lib/tfjs-engine.mjs';
import { loadOrtWeb, ortWebCase } from '../lib/ort-web-engine.mjs';

const out = (/** @type {string} */ tag, /** @type {unknown} */ v) => console.log(`@@${tag} ${JSON.stringify(v)}`);
const vendor = (/** @type {string} */ pkg) => new URL(`./vendor/${pkg}/`, location.href).href;

/** WebGL2's renderer string, or why there is none (tfjs-webgl's row is then skipped with it). */
function webglRenderer() {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) return { error: 'this browser gives the page no WebGL2 context' };
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  return { name: String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER)) };
}

async function main() {
  const job = await (await fetch('./job.json')).json();
  installDispatchCounter();
  const engine = await W.createEngine();
  const adapter = engine.adapterName;
  const cores = navigator.hardwareConcurrency;
  const threads = globalThis.crossOriginIsolated ? cores : 1;
  out('note', `Page: crossOriginIsolated ${globalThis.crossOriginIsolated}, ${cores} logical cores; the wasm engines (tfjs-wasm, onnxruntime-web-wasm) asked for ${threads} thread${threads > 1 ? 's' : ''}.`);
  out('gemm', { host: 'chromium', adapter, ...(await measureGemm(engine, { Recorder, Program }, job.gemmSizes ? { sizes: job.gemmSizes } : {})) });
  /** @type {Record<string, import('../lib/suite.mjs').EngineFactory>} */
  const factories = {};
  if (job.engines.includes('webrnn')) Object.assign(factories, webrnnFactories(W, engine, adapter, job.variants));

  // tfjs: one namespace, three backends; each row's model is built after switching to its backend.
  const memoryKind = 'tf.profile peakBytes: live tensor bytes at the high-water mark';
  /**
   * @param {string} backend
   * @param {{ adapter: string, gpu: boolean, info?: () => Record<string, unknown>, unavailable?: string }} o
   *   info: fields for each row (read after the calls); unavailable: why the backend cannot run here
   * @returns {import('../lib/suite.mjs').EngineFactory}
   */
  const tfjsFactory = (backend, o) => ({
    adapter: o.adapter, gpu: o.gpu, memoryKind,
    make: async (s, c, sd, data) => {
      if (o.unavailable) throw new Error(o.unavailable);
      if (!(await tf.setBackend(backend))) throw new Error(`tfjs's ${backend} backend could not start (see the page's console)`);
      await tf.ready();
      return { ...tfjsCase(tf, s, c, sd, data), ...(o.info ? { info: o.info } : {}) };
    },
  });
  if (job.engines.includes('tfjs-webgpu')) factories['tfjs-webgpu'] = tfjsFactory('webgpu', { adapter, gpu: true });
  if (job.engines.includes('tfjs-webgl')) {
    const gl = webglRenderer();
    factories['tfjs-webgl'] = tfjsFactory('webgl', { adapter: `WebGL2: ${gl.name ?? 'none'}`, gpu: false, unavailable: gl.error });
  }
  if (job.engines.includes('tfjs-wasm')) {
    setWasmPaths(vendor('tfjs-backend-wasm'));
    setThreadsCount(threads);
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    out('note', `tfjs-wasm: SIMD ${simd}, multithread support ${multithread} (tfjs's own feature checks, which pick its binary).`);
    // tfjs picks its threaded SIMD binary only in a cross-origin isolated page; getThreadsCount is what it runs with.
    factories['tfjs-wasm'] = tfjsFactory('wasm', { adapter: `browser CPU, ${cores} logical cores (tfjs wasm backend)`, gpu: false, info: () => ({ threads: getThreadsCount() }) });
  }

  // onnxruntime-web: each engine imports its own build, as shipped, from the page's static route.
  for (const name of /** @type {const} */ (['onnxruntime-web-webgpu', 'onnxruntime-web-wasm'])) {
    if (!job.engines.includes(name)) continue;
    /** @type {any} */
    let ort;
    /** @type {string | undefined} */
    let loadError;
    try { ort = await loadOrtWeb(name, vendor('onnxruntime-web'), threads); } catch (e) { loadError = `onnxruntime-web could not be loaded: ${e instanceof Error ? e.message : e}`; }
    const version = ort?.env?.versions?.web ?? '';
    factories[name] = {
      adapter: name.endsWith('webgpu') ? adapter : `browser CPU, ${cores} logical cores (onnxruntime-web ${version} wasm EP, SIMD)`,
      gpu: name.endsWith('webgpu'),
      rowInfo: { ...(version ? { version } : {}), ...(name.endsWith('wasm') ? { threads } : {}) },
      make: async (s, c, sd, data) => {
        if (loadError) throw new Error(loadError);
        return ortWebCase(ort, name, s, c, sd, data);
      },
    };
  }

  await runSuite({
    shapes: job.shapes, cells: job.cells, engines: factories, host: 'chromium', reps: job.reps, capMs: job.capMs, skip: job.skip,
    specsOf: (config) => W.parameterSpecs(/** @type {any} */ (config)),
    start: (key) => out('start', key), emit: (row) => out('row', row), log: (l) => console.log(`[bench] ${l}`),
  });
  engine.dispose();
}

main().then(
  () => { /** @type {any} */ (window).__benchDone = { ok: true }; },
  (e) => { /** @type {any} */ (window).__benchDone = { ok: false, error: e instanceof Error ? e.stack ?? e.message : String(e) }; },
);
