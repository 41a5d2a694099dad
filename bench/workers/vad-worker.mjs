// The Node process of the VAD rows (bench/lib/vad-suite.mjs): webrnn on Dawn, then onnxruntime-node
// on the CPU, over the same recording (made here, bench/lib/vad-audio.mjs) and the silero files from
// the @ricky0123/vad-web devDependency. Same protocol as node-worker.mjs: "@@start KEY" before a row,
// "@@row {json}" when it is done, "@@done {}" at the end.
//   node bench/workers/vad-worker.mjs JOB.json
// JOB: { engines: ('webrnn' | 'onnxruntime-cpu')[], models?: string[], chunks, capMs, recordingCapMs,
//        seconds (recording length), ortThreads, omit?: rowKey[] }
// Both engines run in this one process, one after the other, because the guard compares every
// onnxruntime probability with webrnn's (a ten-minute recording's are kept in memory).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { VAD_MODELS, ortVadCase, runVadSuite, webrnnVadCase } from '../lib/vad-suite.mjs';
import { vadRecording } from '../lib/vad-audio.mjs';
import { cpuName } from '../lib/machine.mjs';

const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const out = (/** @type {string} */ tag, /** @type {unknown} */ v) => process.stdout.write(`@@${tag} ${JSON.stringify(v)}\n`);
const log = (/** @type {string} */ l) => process.stderr.write(`[vad worker] ${l}\n`);
/** @type {string[]} */
const engines = job.engines;
const DIST = join(dirname(createRequire(import.meta.url).resolve('@ricky0123/vad-web/package.json')), 'dist');

/** @type {Record<string, import('../lib/vad-suite.mjs').VadFactory>} */
const factories = {};
/** @type {any} */
let engine;
/** @type {any} */
let gpuKeep;
if (engines.includes('webrnn')) {
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  gpuKeep = create([]); // Dawn's object must stay referenced
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: gpuKeep }, configurable: true, writable: true });
  const W = await import('../../dist/src/index.js');
  const I = await import('../../dist/src/interop/index.js');
  engine = await W.createEngine();
  factories.webrnn = { adapter: engine.adapterName, make: (spec, bytes) => webrnnVadCase(I, engine, spec, bytes) };
}
if (engines.includes('onnxruntime-cpu')) {
  const ort = await import('onnxruntime-node');
  const threads = job.ortThreads;
  factories['onnxruntime-cpu'] = {
    adapter: `${cpuName()} (onnxruntime-node ${ort.env.versions?.node ?? ''} CPU EP)`,
    rowInfo: { threads },
    make: (spec, bytes) => ortVadCase(ort, spec, bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1 }),
  };
}

const { audio, source } = vadRecording(job.seconds);
const models = VAD_MODELS.filter((m) => !job.models || job.models.includes(m.file)).map((spec) => ({ spec, bytes: new Uint8Array(readFileSync(join(DIST, spec.file))) }));
await runVadSuite({
  models, audio, audioSource: source, engines: factories, host: 'node', chunks: job.chunks, capMs: job.capMs, recordingCapMs: job.recordingCapMs,
  omit: job.omit, start: (key) => out('start', key), emit: (row) => out('row', row), log,
});
out('done', { engines });
engine?.dispose();
void gpuKeep;
