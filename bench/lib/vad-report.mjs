// The VAD rows (bench/lib/vad-suite.mjs) for a person: ratios between rows measured in the same run,
// the markdown table, the closing note on one pass vs chunk by chunk, and the schema check
// test/bench.test.ts uses. "× real time" = seconds of audio processed per wall-clock second (higher is
// faster; 1 keeps up with a live microphone).
import { VAD_MODELS, VAD_TESTS, vadRowKey } from './vad-suite.mjs';

/** @typedef {Record<string, any>} Row */
const CPU_ENGINES = new Set(['onnxruntime-cpu']);
const label = (/** @type {Row} */ r, /** @type {Row} */ w) => `${r.engine}${r.test === 'recording-one-pass' ? ' one pass' : r.test === 'recording-chunked' ? ' chunk by chunk' : ''}${r.host === w.host ? '' : `@${r.host}`}`;
const timed = (/** @type {Row} */ r) => typeof r.realtime_x === 'number';

/**
 * Adds, in place, to every timed webrnn row `speedup_vs`: {other row: webrnn's × real time / the other's}
 * (> 1: webrnn is faster) for the rows of the same model and kind (chunk rows with chunk rows; recording
 * rows with recording rows, one pass and chunk by chunk), in the same host or on the CPU in Node; and
 * to the anchors `webrnn_speedup` (the best webrnn row of the same test against them). Rows whose guard
 * failed get no ratio.
 * @param {Row[]} rows
 */
export function annotateVad(rows) {
  const kind = (/** @type {Row} */ r) => (r.test === 'chunk' ? 'chunk' : 'recording');
  for (const w of rows.filter((r) => r.engine === 'webrnn' && timed(r))) {
    /** @type {Record<string, number>} */
    const vs = {};
    for (const a of rows) {
      // A row whose probabilities disagree with webrnn's did other work: no ratio (its guard says so).
      if (a === w || !timed(a) || a.check?.ok === false || a.model !== w.model || kind(a) !== kind(w)) continue;
      if (a.host !== w.host && !CPU_ENGINES.has(a.engine)) continue;
      const x = +(w.realtime_x / a.realtime_x).toPrecision(3);
      vs[label(a, w)] = x;
      if (a.engine !== 'webrnn' && a.host === w.host && (a.test === w.test || w.test === 'recording-one-pass')) a.webrnn_speedup = Math.max(a.webrnn_speedup ?? 0, x);
    }
    w.speedup_vs = vs;
  }
  return rows;
}

const ORDER = ['webrnn', 'onnxruntime-cpu', 'onnxruntime-web-wasm', 'onnxruntime-web-webgpu'];
export function sortVad(/** @type {Row[]} */ rows) {
  const m = (/** @type {Row} */ r) => VAD_MODELS.findIndex((x) => x.file === r.model);
  return [...rows].sort((a, b) => (a.host === b.host ? 0 : a.host === 'node' ? -1 : 1) || m(a) - m(b) ||
    VAD_TESTS.indexOf(a.test) - VAD_TESTS.indexOf(b.test) || ORDER.indexOf(a.engine) - ORDER.indexOf(b.engine));
}

const fmt = (/** @type {number} */ x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 0.1 ? x.toFixed(2) : x.toPrecision(2));
const TEST_LABEL = { chunk: 'per chunk', 'recording-chunked': 'recording, chunk by chunk', 'recording-one-pass': 'recording, one pass' };

/** The VAD table and its notes (markdown). @param {Row[]} rows annotated @param {{ notes?: string[] }} [meta] */
export function vadMarkdown(rows, meta = {}) {
  const lines = [
    '| model | test | engine | host | adapter | threads | chunks timed | ms / chunk | × real time | webrnn ÷ other (× real time) | guard |',
    '|---|---|---|---|---|---|---:|---:|---:|---|---|',
  ];
  for (const r of sortVad(rows)) {
    const model = r.model.replace(/^silero_vad_|\.onnx$/g, '');
    const guard = !r.check ? '' : r.check.ok === true ? `ok (${r.check.max_abs} over ${r.check.chunks})` : r.check.ok === false ? `**MISMATCH ${r.check.max_abs}** (vs ${r.check.against})` : r.check.against?.startsWith('self') ? 'reference' : 'not checked';
    const head = `| ${model} | ${TEST_LABEL[/** @type {'chunk'} */ (r.test)]} | ${r.engine} | ${r.host} | ${String(r.adapter).replace(/\|/g, '/')} | ${r.threads ?? ''} |`;
    if (!timed(r)) {
      lines.push(`${head} | skipped: ${String(r.skipped ?? 'no result').replace(/\|/g, '/')} | | | ${guard} |`);
      continue;
    }
    const n = r.test === 'chunk' ? `${r.reps} (median)` : r.chunks < r.total_chunks ? `${r.chunks} of ${r.total_chunks} (prefix, cap)` : `${r.chunks} (all)`;
    const ratios = r.speedup_vs ? Object.entries(r.speedup_vs).map(([k, v]) => `${fmt(v)}× vs ${k}`).join('; ') : '';
    lines.push(`${head} ${n} | ${fmt(r.ms_per_chunk)} | ${fmt(r.realtime_x)} | ${ratios} | ${guard} |`);
  }
  lines.push('');
  lines.push('"× real time" = seconds of audio processed per wall-clock second (higher is faster; 1 keeps pace with live audio); "ms / chunk": the median of single timed calls (per chunk), or the wall time over the recording (or its measured prefix) divided by its chunks. Ratios compare rows of the same run.');
  for (const n of meta.notes ?? []) lines.push(n);
  return lines.join('\n');
}

/** The closing note's facts: one pass against chunk by chunk, per host and model (from the rows). */
export function onePassNote(/** @type {Row[]} */ rows) {
  const out = [];
  for (const host of ['node', 'chromium']) {
    const parts = [];
    for (const m of VAD_MODELS) {
      const one = rows.find((r) => r.host === host && r.model === m.file && r.test === 'recording-one-pass' && timed(r));
      if (!one) continue;
      const vs = Object.entries(one.speedup_vs ?? {}).filter(([k]) => /chunk by chunk/.test(k)).map(([k, v]) => `${fmt(v)}× ${k}`);
      parts.push(`${m.file.replace(/^silero_vad_|\.onnx$/g, '')} ${fmt(one.realtime_x)}× real time (${vs.join(', ')})`);
    }
    if (parts.length) out.push(`One pass over the ${fmt(rows.find((r) => r.test === 'recording-one-pass' && timed(r))?.recording_s ?? 0)} s recording (${host}): ${parts.join('; ')}.`);
  }
  return out;
}

/**
 * Problems with a VAD row's schema ([] when it is well formed): either a timing with its rate, chunks and
 * guard, or a skip reason.
 * @param {Row} r
 */
export function vadSchemaProblems(r) {
  const p = [];
  if (r.kind !== 'vad') p.push(`kind ${r.kind}`);
  if (!VAD_MODELS.some((m) => m.file === r.model)) p.push(`model ${r.model}`);
  if (!VAD_TESTS.includes(r.test)) p.push(`test ${r.test}`);
  if (!['webrnn', ...CPU_ENGINES, 'onnxruntime-web-wasm', 'onnxruntime-web-webgpu'].includes(r.engine)) p.push(`engine ${r.engine}`);
  if (!['node', 'chromium'].includes(r.host)) p.push(`host ${r.host}`);
  if (typeof r.adapter !== 'string' || !r.adapter) p.push('adapter must be a non-empty string');
  if (typeof r.ms === 'number') {
    for (const k of ['ms_per_chunk', 'realtime_x', 'chunks']) if (!(typeof r[k] === 'number' && r[k] > 0)) p.push(`${k} ${r[k]}`);
    if (r.test !== 'chunk' && !(r.chunks <= r.total_chunks)) p.push(`chunks ${r.chunks} of ${r.total_chunks}`);
    if (r.test !== 'chunk' && r.chunks < r.total_chunks && !r.prefix) p.push('a measured prefix must say so (prefix)');
    if (!r.check || !('ok' in r.check || r.check.against?.startsWith('self'))) p.push('check missing');
    if (CPU_ENGINES.has(r.engine) || r.engine === 'onnxruntime-web-wasm') { if (!Number.isInteger(r.threads)) p.push(`threads ${r.threads}`); }
  } else {
    if (r.ms !== null) p.push('ms must be a number or null');
    if (typeof r.skipped !== 'string' || !r.skipped) p.push('a row without ms needs a skipped reason');
  }
  return p;
}

export { vadRowKey };
