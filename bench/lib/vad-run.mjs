// The VAD rows' orchestration (bench/run.mjs calls runVad): in Node, one worker process
// (bench/workers/vad-worker.mjs) under run.mjs's watchdog; in Chromium, the VAD page
// (bench/chromium/vad-entry.mjs) with the recording and the model files beside it.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VAD_MODELS, parseVadKey, vadExpected, vadRowKey } from './vad-suite.mjs';
import { vadRecording } from './vad-audio.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const VAD_NODE_ENGINES = ['webrnn', 'onnxruntime-cpu'];
export const VAD_CHROMIUM_ENGINES = ['webrnn', 'onnxruntime-web-wasm', 'onnxruntime-web-webgpu'];

/**
 * @typedef {{
 *   hosts: ('node' | 'chromium')[], engines?: string[], models?: string[], chunks?: number, capMs?: number,
 *   recordingCapMs?: number, seconds?: number, ortThreads?: number, chromiumAdapter?: 'swiftshader' | 'hardware',
 *   log: (l: string) => void, onNote?: (n: string) => void, runWorker: typeof import('../run.mjs').runWorker,
 * }} VadOptions
 *   engines: a subset of VAD_NODE_ENGINES / VAD_CHROMIUM_ENGINES (default all); chunks: timed calls per
 *   chunk row (200); capMs: the chunk rows' cap (60 s); recordingCapMs: the chunk-by-chunk recording
 *   rows' cap (60 s); seconds: the recording's length (600); ortThreads: onnxruntime-node's intra-op threads (1);
 *   runWorker: run.mjs's (passed in: run.mjs, the CLI's main module, cannot be imported while it runs)
 */

/** How long a one-pass call over the recording may take before the watchdog stops it: half real time. */
const onePassAllowanceMs = (/** @type {number} */ seconds) => 2 * seconds * 1000;

/** The VAD rows a run plans. */
export function vadPlan(/** @type {VadOptions} */ o) {
  const models = o.models ?? VAD_MODELS.map((m) => m.file);
  return o.hosts.flatMap((host) => vadExpected(host, (host === 'node' ? VAD_NODE_ENGINES : VAD_CHROMIUM_ENGINES).filter((e) => !o.engines || o.engines.includes(e)), models));
}

/**
 * Runs the VAD rows; every planned row comes back, timed or with a skip reason.
 * @param {VadOptions} o
 * @returns {Promise<{ rows: Record<string, any>[], expected: ReturnType<typeof vadPlan>, settings: Record<string, unknown> }>}
 */
export async function runVad(o) {
  const { runWorker } = o;
  const settings = {
    chunks: o.chunks ?? 200, capMs: o.capMs ?? 60_000, recordingCapMs: o.recordingCapMs ?? 60_000, seconds: o.seconds ?? 600,
    ortThreads: o.ortThreads ?? 1, models: o.models,
  };
  const expected = vadPlan(o);
  /** @type {Map<string, Record<string, any>>} */
  const got = new Map();
  const add = (/** @type {Record<string, any>} */ r) => {
    const k = vadRowKey(/** @type {any} */ (r));
    if (got.has(k)) return;
    got.set(k, r);
    o.log(`  ${k}: ${typeof r.ms === 'number' ? `${r.ms_per_chunk} ms/chunk, ${r.realtime_x}× real time${r.check?.ok === false ? `  GUARD MISMATCH ${r.check.max_abs}` : ''}` : `skipped (${r.skipped})`}`);
  };
  const skippedRow = (/** @type {string} */ key, /** @type {string} */ why) => ({ ...parseVadKey(key), adapter: 'n/a', ms: null, skipped: why });
  const node = expected.filter((e) => e.host === 'node');
  if (node.length) {
    // A row: up to 2 + chunks calls under capMs, or a recording under recordingCapMs; a one-pass call is
    // not capped (it is one call), so it is allowed down to half real time.
    const rowLimitMs = 6 * Math.max(settings.capMs, settings.recordingCapMs) + 120_000 + onePassAllowanceMs(settings.seconds);
    await runWorker({
      label: 'node VAD', cmd: process.execPath, script: join(here, '../workers/vad-worker.mjs'),
      job: { ...settings, engines: [...new Set(node.map((e) => e.engine))] },
      expected: node, capMs: settings.capMs, rowLimitMs, log: o.log, onRow: add,
      keyOf: vadRowKey, rowOf: (/** @type {string} */ k, /** @type {string} */ why) => skippedRow(k, why),
    });
  }
  const page = expected.filter((e) => e.host === 'chromium');
  if (page.length) {
    const { runChromium } = await import('../chromium/run-chromium.mjs');
    const { audio, source } = vadRecording(settings.seconds);
    const dist = join(dirname(createRequire(import.meta.url).resolve('@ricky0123/vad-web/package.json')), 'dist');
    try {
      await runChromium({
        entry: 'vad-entry.mjs',
        job: { ...settings, engines: [...new Set(page.map((e) => e.engine))], audioSource: source },
        prepare: (/** @type {string} */ dir) => {
          writeFileSync(join(dir, 'audio.f32'), new Uint8Array(audio.buffer));
          for (const m of VAD_MODELS) copyFileSync(join(dist, m.file), join(dir, m.file));
        },
        adapter: o.chromiumAdapter ?? 'swiftshader',
        timeoutMs: page.length * (3 * Math.max(settings.capMs, settings.recordingCapMs) + 60_000) + 180_000 + VAD_MODELS.length * onePassAllowanceMs(settings.seconds),
        log: o.log, onRow: add, onGemm: () => {}, onNote: o.onNote,
      });
    } catch (e) {
      const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
      o.log(`chromium VAD: ${msg}`);
      for (const x of page) add(skippedRow(x.key, `chromium run failed: ${msg}`));
    }
  }
  for (const x of expected) if (!got.has(x.key)) add(skippedRow(x.key, 'no result (the worker ended without reporting this row)'));
  return { rows: [...got.values()], expected, settings };
}
