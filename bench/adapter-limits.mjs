// What bounds S2 on this adapter, measured (bench/lib/adapter-limits.mjs says what and how): the best GEMM
// rate, one dependent dispatch, one chained recurrent product, and hence the shortest S2 time any engine
// could reach here, against tfjs-webgpu's and webrnn's S2 calls timed in the same rounds on the same adapter.
//
//   node bench/adapter-limits.mjs [--rounds 5] [--out bench/results/adapter-limits.json]
//   node bench/adapter-limits.mjs --chromium      # SwiftShader in headless Chromium → adapter-limits-chromium.*
//
// Writes FILE.json, FILE.md and FILE.meta.json (date, commit, load average).
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gitCommit } from './lib/machine.mjs';
import { SHAPES } from './lib/shapes.mjs';
import { LIMIT_CELLS, limitsMarkdown, measureLimits, s2Calls } from './lib/adapter-limits.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const arg = (/** @type {string} */ name, /** @type {string} */ dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const chromium = argv.includes('--chromium');
const host = chromium ? 'chromium' : 'node';
const out = arg('--out', join(here, 'results', chromium ? 'adapter-limits-chromium.json' : 'adapter-limits.json'));

const job = { shape: SHAPES.S2, rounds: Number(arg('--rounds', '5')) };
const loadBefore = loadavg()[0];
/** @type {any} */
let result;
if (chromium) {
  const { runChromium } = await import('./chromium/run-chromium.mjs');
  /** @type {string[]} */
  const notes = [];
  await runChromium({
    entry: 'limits-entry.mjs', job, timeoutMs: 1_200_000, log: (l) => process.stderr.write(`${l}\n`),
    onRow: (r) => { result = r; }, onGemm: () => {}, onNote: (n) => notes.push(n),
  });
  if (!result) throw new Error('the page reported no result');
  result.notes = notes;
} else {
  // tfjs-backend-webgpu finds WebGPU through navigator.gpu, and webrnn takes it from there too: the same
  // Dawn adapter (as bench/workers/node-worker.mjs does)
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  const gpu = create([]);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  const W = await import('../dist/src/index.js');
  const { Recorder } = await import('../dist/src/gpu/recorder.js');
  const { Program } = await import('../dist/src/gpu/program.js');
  const tf = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-webgpu');
  await tf.setBackend('webgpu');
  await tf.ready();
  const engine = await W.createEngine({ tuning: 'off' });
  const tuned = await W.createEngine();
  try {
    result = await measureLimits(engine, { Recorder, Program }, { ...job, cells: LIMIT_CELLS, calls: await s2Calls(W, tuned, tf, job.shape), log: (l) => process.stderr.write(`${l}\n`) });
  } finally {
    engine.dispose();
    tuned.dispose();
  }
}
const commit = gitCommit(here);
const meta = {
  date: new Date().toISOString(), commit, command: `node bench/adapter-limits.mjs ${argv.join(' ')}`.trim(), host,
  load_average: { start: loadBefore, end: loadavg()[0] },
};
const md = `${limitsMarkdown(result, host)}\n\n${meta.date}, commit ${commit}; 1-minute load average ${meta.load_average.start.toFixed(1)} at the start, ${meta.load_average.end.toFixed(1)} at the end.${result.notes ? `\n${result.notes.join('\n')}` : ''}\n`;
writeFileSync(out, `${JSON.stringify(result, null, 1)}\n`);
writeFileSync(out.replace(/\.json$/, '.meta.json'), `${JSON.stringify(meta, null, 1)}\n`);
writeFileSync(out.replace(/\.json$/, '.md'), md);
process.stdout.write(md);
