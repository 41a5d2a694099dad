// One Node process of the benchmark: runs the rows of the engines it is given (webrnn and tfjs-webgpu
// side by side on one Dawn adapter; or tfjs-cpu; or onnxruntime-cpu) and prints each row as a line
// "@@row {json}" the moment it is done, so rows finished before a hard timeout are kept.
//   node bench/workers/node-worker.mjs JOB.json
// JOB: { engines: string[], shapes: Record<name, Shape>, cells?: string[], reps, capMs,
//        skip?: Record<rowKey, reason>, omit?: rowKey[], refDir: string, gemm?: boolean, gemmSizes?,
//        variants?: boolean | string[] (webrnn once per forced kernel variant: all, or those listed),
//        precision?: 'f32' | 'f16-weights' (webrnn's layers) }
// Before each row it prints "@@start KEY" (the orchestrator's watchdog knows which row hung).
// refDir holds webrnn's forward outputs and first two training losses (written by the webrnn worker, read by the
// others for the correctness guard).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSuite } from '../lib/suite.mjs';
import { installDispatchCounter } from '../lib/dispatch-counter.mjs';
import { measureGemm } from '../lib/gemm.mjs';
import { webrnnFactories } from '../lib/webrnn-engine.mjs';
import { tfjsCase } from '../lib/tfjs-engine.mjs';
import { buildOnnxModel } from '../lib/onnx-model.mjs';
import { cpuName } from '../lib/machine.mjs';

const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const out = (/** @type {string} */ tag, /** @type {unknown} */ v) => process.stdout.write(`@@${tag} ${JSON.stringify(v)}\n`);
const log = (/** @type {string} */ l) => process.stderr.write(`[worker] ${l}\n`);
/** @type {string[]} */
const engines = job.engines;
const wantGpu = engines.includes('webrnn') || engines.includes('tfjs-webgpu') || job.gemm;

let gpuAdapter = '';
/** @type {any} */
let gpuKeep;
if (wantGpu) {
  // tfjs-backend-webgpu finds WebGPU through navigator.gpu; webrnn takes it from there too, so both
  // request the same adapter from the same Dawn instance. Dawn's object must stay referenced.
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  gpuKeep = create([]);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: gpuKeep }, configurable: true, writable: true });
  installDispatchCounter();
  const adapter = await gpuKeep.requestAdapter();
  const i = adapter?.info ?? {};
  gpuAdapter = i.description || [i.vendor, i.architecture, i.device].filter(Boolean).join(' ') || 'unknown adapter';
}

const W = await import('../../dist/src/index.js');
/** @type {any} */
let engine;
if (engines.includes('webrnn') || job.gemm) {
  engine = await W.createEngine();
  gpuAdapter = engine.adapterName;
}

/** @type {any} */
let tf;
if (engines.some((e) => e.startsWith('tfjs'))) {
  tf = await import('@tensorflow/tfjs');
  if (engines.includes('tfjs-webgpu')) {
    await import('@tensorflow/tfjs-backend-webgpu');
    await tf.setBackend('webgpu');
  } else await tf.setBackend('cpu');
  await tf.ready();
}

/** @type {Record<string, import('../lib/suite.mjs').EngineFactory>} */
const factories = {};
for (const e of engines) {
  if (e === 'webrnn') {
    Object.assign(factories, webrnnFactories(W, engine, gpuAdapter, job.variants, job.precision));
  } else if (e === 'tfjs-webgpu' || e === 'tfjs-cpu') {
    factories[e] = {
      adapter: e === 'tfjs-webgpu' ? gpuAdapter : `${cpuName()} (tfjs cpu backend: 1 JS thread)`,
      gpu: e === 'tfjs-webgpu',
      memoryKind: 'tf.profile peakBytes: live tensor bytes at the high-water mark',
      make: (s, c, sd, data) => tfjsCase(tf, s, c, sd, data),
    };
  } else if (e === 'onnxruntime-cpu') {
    const ort = await import('onnxruntime-node');
    factories[e] = {
      adapter: `${cpuName()} (onnxruntime ${ort.env.versions?.node ?? ''} CPU EP, default threads)`,
      gpu: false,
      make: async (s, c, sd, data) => {
        // onnxruntime's defaults (intra-op threads = physical cores), like every anchor here.
        const session = await ort.InferenceSession.create(buildOnnxModel(s, c, sd), { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
        const x = new ort.Tensor('float32', data.x, [s.T, s.B, s.I]);
        return {
          forward: async () => /** @type {Float32Array} */ ((await session.run({ x })).y.data),
          dispose: () => void session.release(),
        };
      },
    };
  } else throw new Error(`node worker: unknown engine ${e}`);
}

mkdirSync(job.refDir, { recursive: true });
const refFile = (/** @type {string} */ key) => join(job.refDir, key.replace(/[^A-Za-z0-9]+/g, '_'));
const reference = {
  /** @param {string} key */
  async get(key) {
    const f = refFile(key);
    /** @type {{ y?: Float32Array, losses?: number[] }} */
    const r = {};
    if (existsSync(`${f}.y.bin`)) { const b = readFileSync(`${f}.y.bin`); r.y = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4); }
    if (existsSync(`${f}.losses.json`)) r.losses = JSON.parse(readFileSync(`${f}.losses.json`, 'utf8'));
    return r;
  },
  /** @param {string} key @param {{ y?: Float32Array, losses?: number[] }} v */
  async put(key, v) {
    const f = refFile(key);
    if (v.y) writeFileSync(`${f}.y.bin`, new Uint8Array(v.y.buffer, v.y.byteOffset, v.y.byteLength));
    if (v.losses) writeFileSync(`${f}.losses.json`, JSON.stringify(v.losses));
  },
};

if (job.gemm) {
  log('GEMM roofline');
  const { Recorder } = await import('../../dist/src/gpu/recorder.js');
  const { Program } = await import('../../dist/src/gpu/program.js');
  out('gemm', { host: 'node', adapter: gpuAdapter, ...(await measureGemm(engine, { Recorder, Program }, job.gemmSizes ? { sizes: job.gemmSizes } : {})) });
}

await runSuite({
  shapes: job.shapes, cells: job.cells, engines: factories, host: 'node', reps: job.reps, capMs: job.capMs, skip: job.skip, omit: job.omit,
  start: (key) => out('start', key),
  specsOf: (config) => W.parameterSpecs(/** @type {any} */ (config)),
  reference, emit: (row) => out('row', row), log,
});
out('done', { engines });
engine?.dispose();
void gpuKeep;
