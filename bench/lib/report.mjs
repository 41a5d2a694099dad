// Turns the rows into what a person reads: each webrnn row's speed-up over every anchor measured in
// the same run (same shape, cell variant and mode; a GPU anchor in the same host), each row's fraction
// of the adapter's GEMM roofline, the markdown table, and the schema check test/bench.test.ts uses.
import { ENGINES, FLOP_FORMULA, cellLabel } from './shapes.mjs';
import { KERNEL_VARIANTS, STEP_SCHEDULES } from './webrnn-engine.mjs';

/** @typedef {Record<string, any>} Row */

const CPU_ENGINES = new Set(['tfjs-cpu', 'pytorch-cpu', 'onnxruntime-cpu']);
const sameCase = (/** @type {Row} */ a, /** @type {Row} */ b) => a.shape === b.shape && a.cell === b.cell && a.variant === b.variant && a.mode === b.mode;

/**
 * Adds, in place: webrnn rows `speedup_vs` {anchor: anchor ms / webrnn ms}; anchor rows `webrnn_speedup`
 * (the same number seen from the anchor); every timed row `roofline_gflops` and `roofline_fraction`.
 * CPU anchors do not depend on the host, so Chromium's webrnn rows are compared with them too.
 * @param {Row[]} rows @param {{ host: string, best: number }[]} gemms
 */
export function annotate(rows, gemms) {
  const roof = (/** @type {string} */ host) => gemms.find((g) => g.host === host)?.best ?? gemms.find((g) => g.host === 'node')?.best;
  for (const r of rows) {
    if (typeof r.ms !== 'number') continue;
    const best = roof(CPU_ENGINES.has(r.engine) ? 'node' : r.host);
    if (best) {
      r.roofline_gflops = best;
      r.roofline_fraction = +(r.gflops / best).toPrecision(3);
    }
  }
  for (const w of rows.filter((r) => r.engine === 'webrnn' && typeof r.ms === 'number')) {
    /** @type {Record<string, number>} */
    const vs = {};
    for (const a of rows) {
      if (a.engine === 'webrnn' || typeof a.ms !== 'number' || !sameCase(a, w)) continue;
      if (a.host !== w.host && !CPU_ENGINES.has(a.engine)) continue;
      const x = +(a.ms / w.ms).toPrecision(3);
      vs[a.host === w.host ? a.engine : `${a.engine}@${a.host}`] = x;
      // With --variants there are several webrnn rows: the anchor's figure is against the fastest.
      if (a.host === w.host) a.webrnn_speedup = Math.max(a.webrnn_speedup ?? 0, x);
    }
    w.speedup_vs = vs;
  }
  return rows;
}

/** Row order for the table: host, shape, cell, mode, then the engine order of ENGINES, then the forced variant. */
export function sortRows(/** @type {Row[]} */ rows) {
  const shapeOrder = (/** @type {string} */ s) => ({ S1: 1, S2: 2, S3: 3 })[/** @type {'S1'} */ (s)] ?? 9;
  const cellOrder = (/** @type {Row} */ r) => (r.cell === 'lstm' ? 0 : r.variant === 'reset_after' ? 1 : 2);
  return [...rows].sort((a, b) =>
    (a.host === b.host ? 0 : a.host === 'node' ? -1 : 1) ||
    shapeOrder(a.shape) - shapeOrder(b.shape) || a.shape.localeCompare(b.shape) ||
    cellOrder(a) - cellOrder(b) || (a.mode === b.mode ? 0 : a.mode === 'forward' ? -1 : 1) ||
    ENGINES.indexOf(/** @type {any} */ (a.engine)) - ENGINES.indexOf(/** @type {any} */ (b.engine)) ||
    String(a.forced_variant ?? '').localeCompare(String(b.forced_variant ?? '')));
}

/** The table's variant column: webrnn's kernel variant (forced or chosen), a wasm engine's thread count. */
function variantOf(/** @type {Row} */ r) {
  if (r.engine === 'webrnn') {
    const ran = r.kernel_variant ? `${r.kernel_variant}${r.split_k_reduction ? ` (${r.split_k_reduction} sums)` : ''} · ${r.matmul_variant}${r.precision ? ` · ${r.precision}` : ''}` : '';
    return r.forced_variant ? `${r.forced_variant} (forced)${ran ? `: ${ran}` : ''}` : `${ran}${r.tuning === 'auto' ? ` (tuned${r.tuning_ms ? ` in ${r.tuning_ms} ms` : ''})` : ''}`;
  }
  if (typeof r.threads === 'number') return `${r.threads} thread${r.threads > 1 ? 's' : ''}`;
  return '';
}

const fmt = (/** @type {number | null | undefined} */ x, /** @type {number} */ d = 2) =>
  typeof x !== 'number' ? '–' : x >= 100 ? x.toFixed(0) : x > 0 && x < 0.01 ? x.toPrecision(2) : x.toFixed(d);

/**
 * @param {Row[]} rows annotated
 * @param {{ gemms: any[], notes?: string[] }} meta
 */
export function markdown(rows, meta) {
  const lines = [];
  lines.push('| shape | cell | mode | engine | variant | host | ms (median · fastest) | GFLOP/s | % of GEMM roofline | webrnn speed-up | dispatches / call | peak memory | guard |');
  lines.push('|---|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---|');
  for (const r of sortRows(rows)) {
    const cell = cellLabel(/** @type {any} */ ({ cell: r.cell, variant: r.variant }));
    const guard = !r.check ? '' : r.check.ok === true ? `ok (${r.check.rel ?? 0})` : r.check.ok === false ? `**MISMATCH ${r.check.rel}**` : r.check.against?.startsWith('self') ? 'reference' : 'not checked';
    if (typeof r.ms !== 'number') {
      lines.push(`| ${r.shape} | ${cell} | ${r.mode} | ${r.engine} | ${variantOf(r)} | ${r.host} | skipped: ${String(r.skipped ?? 'no result').replace(/\|/g, '/')} | | | | | | ${guard} |`);
      continue;
    }
    const speed = r.engine === 'webrnn' ? '' : typeof r.webrnn_speedup === 'number' ? `${fmt(r.webrnn_speedup)}×` : '';
    const mem = typeof r.peak_bytes !== 'number' ? 'n/a' : r.peak_bytes < 2 ** 20 ? `${(r.peak_bytes / 1024).toFixed(0)} KiB` : `${(r.peak_bytes / 2 ** 20).toFixed(1)} MiB`;
    const reps = r.reps && r.reps < 3 ? ` (${r.reps} rep${r.reps > 1 ? 's' : ''})` : '';
    lines.push(`| ${r.shape} | ${cell} | ${r.mode} | ${r.engine} | ${variantOf(r)} | ${r.host} | ${fmt(r.ms)}${typeof r.min_ms === 'number' ? ` · ${fmt(r.min_ms)}` : ''}${reps} | ${fmt(r.gflops)} | ${typeof r.roofline_fraction === 'number' ? `${(100 * r.roofline_fraction).toFixed(0)}%` : ''} | ${speed} | ${r.dispatches ?? 'n/a'} | ${mem} | ${guard} |`);
  }
  lines.push('');
  for (const g of meta.gemms) {
    for (const v of [...new Set(g.sizes.map((/** @type {any} */ s) => s.variant ?? 'register-blocked'))]) {
      const sizes = g.sizes.filter((/** @type {any} */ s) => (s.variant ?? 'register-blocked') === v);
      lines.push(`GEMM (${g.host}, ${g.adapter}): webrnn's matmul, ${v}, C = A·Bᵀ: ${sizes.map((/** @type {any} */ s) => `${s.M}×${s.N}×${s.K} ${fmt(s.gflops)}`).join(', ')} GFLOP/s.`);
    }
    lines.push(`GEMM roofline (${g.host}): best of both variants, ${fmt(g.best)} GFLOP/s.`);
  }
  lines.push(`FLOPs: ${FLOP_FORMULA}. "webrnn speed-up" = the anchor's ms / webrnn's ms for the same shape, cell and mode (> 1: webrnn is faster; < 1: the anchor is faster; with several webrnn variants, the fastest).`);
  for (const n of meta.notes ?? []) lines.push(n);
  return lines.join('\n');
}

/**
 * Problems with a row's schema ([] when it is well formed): the fields of issue 5's record, with
 * either a timing or a skip reason.
 * @param {Row} r
 */
export function schemaProblems(r) {
  const p = [];
  const str = (/** @type {string} */ k) => { if (typeof r[k] !== 'string' || !r[k]) p.push(`${k} must be a non-empty string`); };
  str('shape');
  if (!['lstm', 'gru'].includes(r.cell)) p.push(`cell ${r.cell}`);
  if (!['forward', 'train'].includes(r.mode)) p.push(`mode ${r.mode}`);
  if (!ENGINES.includes(r.engine)) p.push(`engine ${r.engine}`);
  if (!['node', 'chromium', 'deno'].includes(r.host)) p.push(`host ${r.host}`);
  str('adapter');
  if (!(r.variant === null || ['reset_after', 'reset_before'].includes(r.variant))) p.push(`variant ${r.variant}`);
  if (r.engine === 'webrnn' && typeof r.ms === 'number' && !STEP_SCHEDULES.includes(r.kernel_variant)) p.push(`kernel_variant ${r.kernel_variant}`);
  if (r.engine === 'webrnn' && typeof r.ms === 'number' && !['register-blocked', 'tiled', 'mixed'].includes(r.matmul_variant)) p.push(`matmul_variant ${r.matmul_variant}`);
  if (r.forced_variant !== undefined && !(r.engine === 'webrnn' && KERNEL_VARIANTS.includes(r.forced_variant))) p.push(`forced_variant ${r.forced_variant}`);
  if (typeof r.ms === 'number') {
    if (!(r.ms > 0)) p.push(`ms ${r.ms}`);
    if (r.min_ms !== undefined && !(r.min_ms > 0 && r.min_ms <= r.ms)) p.push(`min_ms ${r.min_ms} must be in (0, ms]`);
    if (!(typeof r.gflops === 'number' && r.gflops > 0)) p.push(`gflops ${r.gflops}`);
    if (!(r.dispatches === null || (Number.isInteger(r.dispatches) && r.dispatches > 0))) p.push(`dispatches ${r.dispatches}`);
  } else {
    if (r.ms !== null) p.push('ms must be a number or null');
    if (typeof r.skipped !== 'string' || !r.skipped) p.push('a row without ms needs a skipped reason');
  }
  for (const k of ['ms', 'gflops', 'dispatches']) if (!(k in r)) p.push(`missing ${k}`);
  return p;
}
