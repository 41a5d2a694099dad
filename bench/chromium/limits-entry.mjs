// The adapter-limits page (bench/adapter-limits.mjs --chromium runs it through run-chromium.mjs): the
// measurements of bench/lib/adapter-limits.mjs on the browser's adapter, beside webrnn's and tfjs-webgpu's S2 calls. Reads ./job.json, reports the
// result as one console line "@@row {json}" and sets window.__benchDone when finished.
import * as W from '../../dist/src/index.js';
import { Recorder } from '../../dist/src/gpu/recorder.js';
import { Program } from '../../dist/src/gpu/program.js';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { LIMIT_CELLS, measureLimits, s2Calls } from '../lib/adapter-limits.mjs';

const out = (/** @type {string} */ tag, /** @type {unknown} */ v) => console.log(`@@${tag} ${JSON.stringify(v)}`);

async function main() {
  const job = await (await fetch('./job.json')).json();
  if (!(await tf.setBackend('webgpu'))) throw new Error("tfjs's webgpu backend could not start");
  await tf.ready();
  const engine = await W.createEngine({ tuning: 'off' });
  const tuned = await W.createEngine();
  out('start', 'building the S2 calls (webrnn tunes first)');
  try {
    out('row', await measureLimits(engine, { Recorder, Program }, { ...job, cells: LIMIT_CELLS, calls: await s2Calls(W, tuned, tf, job.shape), log: (l) => out('start', l) }));
  } finally {
    engine.dispose();
    tuned.dispose();
  }
}

main().then(
  () => { /** @type {any} */ (window).__benchDone = { ok: true }; },
  (e) => { /** @type {any} */ (window).__benchDone = { ok: false, error: e instanceof Error ? `${e.message}\n${e.stack}` : String(e) }; },
);
