// What bounds S2 on this adapter, measured (bench/lib/adapter-limits.mjs says what and how): the best GEMM
// rate, one dependent dispatch, one chained recurrent product, and hence the shortest S2 time any engine
// could reach here, against tfjs-webgpu's S2 time from a benchmark run on the same adapter.
//
//   node bench/adapter-limits.mjs [--results bench/results/latest.json] [--out bench/results/adapter-limits.json]
//   node bench/adapter-limits.mjs --chromium [--results bench/results/latest-chromium.json]   # SwiftShader in headless Chromium
//
// Writes FILE.json, FILE.md (and FILE.meta.json: date, commit, load average). tfjs-webgpu's times are
// read from --results (its S2 rows, host of the run); run this right after that benchmark run, so the
// load is alike (both are recorded).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gitCommit } from './lib/machine.mjs';
import { SHAPES } from './lib/shapes.mjs';
import { limitsMarkdown, measureLimits } from './lib/adapter-limits.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const arg = (/** @type {string} */ name, /** @type {string} */ dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const chromium = argv.includes('--chromium');
const host = chromium ? 'chromium' : 'node';
const resultsFile = arg('--results', join(here, 'results', chromium ? 'latest-chromium.json' : 'latest.json'));
const out = arg('--out', join(here, 'results', chromium ? 'adapter-limits-chromium.json' : 'adapter-limits.json'));

/** @type {Record<string, number>} */
const tfjs = {};
if (existsSync(resultsFile)) {
  for (const r of JSON.parse(readFileSync(resultsFile, 'utf8'))) {
    if (r.engine === 'tfjs-webgpu' && r.shape === 'S2' && r.host === host && typeof r.ms === 'number') tfjs[`${r.cell} ${r.mode}`] = r.ms;
  }
}
const job = { shape: SHAPES.S2, cells: [{ cell: 'lstm', G: 4 }, { cell: 'gru', G: 3 }], tfjs };
const loadBefore = loadavg()[0];
/** @type {any} */
let result;
if (chromium) {
  const { runChromium } = await import('./chromium/run-chromium.mjs');
  /** @type {string[]} */
  const notes = [];
  await runChromium({
    entry: 'limits-entry.mjs', job, timeoutMs: 600_000, log: (l) => process.stderr.write(`${l}\n`),
    onRow: (r) => { result = r; }, onGemm: () => {}, onNote: (n) => notes.push(n),
  });
  if (!result) throw new Error('the page reported no result');
  result.notes = notes;
} else {
  const W = await import('../dist/src/index.js');
  const { Recorder } = await import('../dist/src/gpu/recorder.js');
  const { Program } = await import('../dist/src/gpu/program.js');
  const engine = await W.createEngine({ tuning: 'off' });
  try {
    result = await measureLimits(engine, { Recorder, Program }, job);
  } finally {
    engine.dispose();
  }
}
const commit = gitCommit(here);
const meta = {
  date: new Date().toISOString(), commit, command: `node bench/adapter-limits.mjs ${argv.join(' ')}`.trim(), host,
  tfjs_from: resultsFile.replace(`${join(here, '..')}/`, ''), load_average: { start: loadBefore, end: loadavg()[0] },
};
const md = `${limitsMarkdown(result, host)}\n\ntfjs-webgpu times from ${meta.tfjs_from}. ${meta.date}, commit ${commit}; 1-minute load average ${meta.load_average.start.toFixed(1)} at the start, ${meta.load_average.end.toFixed(1)} at the end.${result.notes ? `\n${result.notes.join('\n')}` : ''}\n`;
writeFileSync(out, `${JSON.stringify(result, null, 1)}\n`);
writeFileSync(out.replace(/\.json$/, '.meta.json'), `${JSON.stringify(meta, null, 1)}\n`);
writeFileSync(out.replace(/\.json$/, '.md'), md);
process.stdout.write(md);
