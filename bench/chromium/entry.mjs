// The benchmark page: webrnn and tfjs-webgpu side by side on the browser's WebGPU adapter, the same
// suite, guard and timing as the Node worker (bench/workers/node-worker.mjs). Reads ./job.json,
// reports each row as a console line "@@row {json}" and sets window.__benchDone when finished.
import * as W from '../../dist/src/index.js';
import { Recorder } from '../../dist/src/gpu/recorder.js';
import { Program } from '../../dist/src/gpu/program.js';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { runSuite } from '../lib/suite.mjs';
import { installDispatchCounter } from '../lib/dispatch-counter.mjs';
import { measureGemm } from '../lib/gemm.mjs';
import { webrnnCase } from '../lib/webrnn-engine.mjs';
import { tfjsCase } from '../lib/tfjs-engine.mjs';
import { rnnConfig } from '../lib/weights.mjs';

const out = (/** @type {string} */ tag, /** @type {unknown} */ v) => console.log(`@@${tag} ${JSON.stringify(v)}`);

async function main() {
  const job = await (await fetch('./job.json')).json();
  installDispatchCounter();
  const engine = await W.createEngine();
  const adapter = engine.adapterName;
  await tf.setBackend('webgpu');
  await tf.ready();
  out('gemm', { host: 'chromium', adapter, ...(await measureGemm(engine, { Recorder, Program }, job.gemmSizes ? { sizes: job.gemmSizes } : {})) });
  /** @type {Record<string, import('../lib/suite.mjs').EngineFactory>} */
  const factories = {};
  if (job.engines.includes('webrnn')) {
    factories.webrnn = {
      adapter, gpu: true, memoryKind: 'engine.memory(): live GPU buffers (layer, workspaces, optimizer, loss, inputs)',
      make: (s, c, sd, data) => ({ ...webrnnCase(W, engine, s, c, rnnConfig(s, c), sd, data), liveBytes: () => engine.memory().bytes }),
    };
  }
  if (job.engines.includes('tfjs-webgpu')) {
    factories['tfjs-webgpu'] = { adapter, gpu: true, memoryKind: 'tf.profile peakBytes: live tensor bytes at the high-water mark', make: (s, c, sd, data) => tfjsCase(tf, s, c, sd, data) };
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
