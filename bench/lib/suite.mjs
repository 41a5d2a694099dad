// The rows of one host process: for each shape and cell variant, each engine's forward row (whose
// first call is also the correctness guard against webrnn's output on the same weights and input) and
// training-step row (whose first two losses are checked against webrnn's). Host-agnostic: Node
// workers and the Chromium page pass in the engines they have as factories.
import { CELLS, MODES, cellLabel, engineRuns, flopsOf } from './shapes.mjs';
import { GUARD_TOLERANCE, makeData, makeStateDict, relativeError, rnnConfig } from './weights.mjs';
import { timeCalls } from './timing.mjs';
import { dispatchesSoFar } from './dispatch-counter.mjs';

/**
 * What an engine offers for one (shape, cell variant).
 * @typedef {{
 *   forward: () => Promise<Float32Array>,
 *   train?: () => Promise<number>,
 *   dispose: () => void,
 *   peakBytes?: (mode: 'forward' | 'train') => Promise<number>,
 *   liveBytes?: () => number,
 *   dispatchCounts?: () => { forward: number, backward?: number } | undefined,
 *   info?: () => Record<string, unknown>,
 * }} EngineCase
 *   info: fields the engine adds to each of its timed rows (e.g. webrnn's kernel_variant), read after the calls
 * @typedef {{
 *   make: (s: import('./shapes.mjs').Shape, c: import('./shapes.mjs').CellVariant, sd: Record<string, Float32Array>, data: { x: Float32Array, target: Float32Array }) => EngineCase | Promise<EngineCase>,
 *   adapter: string,
 *   gpu: boolean,
 *   memoryKind?: string,
 *   engine?: string,
 *   rowInfo?: Record<string, unknown>,
 * }} EngineFactory
 *   engine: the engine name in the rows when the factory's key is not it (one engine timed in several
 *   forced variants); rowInfo: fields added to every row of the factory, skipped ones included (e.g.
 *   forced_variant, threads)
 * @typedef {Record<string, unknown> & { shape: string, cell: string, variant: string | null, mode: string, engine: string, host: string }} Row
 */

/**
 * skip: rows to report as skipped with the given reason without running them; omit: rows to leave out
 * entirely (already measured by an earlier, stopped worker); start: called with a row's key before it runs.
 * @param {{
 *   shapes: Record<string, import('./shapes.mjs').Shape>,
 *   cells?: string[],
 *   engines: Record<string, EngineFactory>,
 *   host: 'node' | 'chromium' | 'deno',
 *   reps: number,
 *   capMs: number,
 *   specsOf: (config: Record<string, unknown>) => { name: string, shape: readonly number[] }[],
 *   skip?: Record<string, string>,
 *   omit?: string[],
 *   start?: (key: string) => void,
 *   reference?: { get: (key: string) => Promise<{ y?: Float32Array, losses?: number[] } | undefined>, put: (key: string, v: { y?: Float32Array, losses?: number[] }) => Promise<void> },
 *   emit: (row: Row) => void,
 *   log?: (line: string) => void,
 * }} o
 */
export async function runSuite(o) {
  const log = o.log ?? (() => {});
  const refs = o.reference ?? memoryReference();
  for (const [shapeName, s] of Object.entries(o.shapes)) {
    for (const c of CELLS) {
      if (o.cells && !o.cells.includes(cellLabel(c)) && !o.cells.includes(c.cell)) continue;
      const config = rnnConfig(s, c);
      const sd = makeStateDict(o.specsOf(config), s.H);
      const data = makeData(s);
      const refKey = `${shapeName}/${cellLabel(c)}`;
      for (const [label, f] of Object.entries(o.engines)) {
        const engine = f.engine ?? label;
        const modes = MODES.filter((m) => engineRuns(engine, c, m));
        if (!modes.length) continue;
        const base = (/** @type {string} */ mode) => ({
          shape: shapeName, cell: c.cell, variant: c.variant, mode, engine, host: o.host, adapter: f.adapter,
          flops: flopsOf(s, c, /** @type {'forward' | 'train'} */ (mode)), ...f.rowInfo,
        });
        const keyOf = (/** @type {string} */ m) => rowKey(/** @type {any} */ (base(m)));
        const toRun = modes.filter((m) => {
          if (o.omit?.includes(keyOf(m))) return false;
          const why = o.skip?.[keyOf(m)];
          if (why) o.emit({ ...base(m), ms: null, gflops: null, dispatches: null, skipped: why });
          return !why;
        });
        if (!toRun.length) continue;
        /** @type {EngineCase | undefined} */
        let ec;
        try {
          o.start?.(keyOf(toRun[0])); // a crash while building the model is charged to the first row
          ec = await f.make(s, c, sd, data);
          for (const mode of toRun) {
            log(`${o.host} ${label} ${shapeName} ${cellLabel(c)} ${mode}`);
            o.start?.(keyOf(mode));
            o.emit(await runRow(o, f, ec, /** @type {'forward' | 'train'} */ (mode), base(mode), refs, refKey));
          }
        } catch (e) {
          const msg = e instanceof Error ? e.message : String(e);
          log(`${label} ${shapeName} ${cellLabel(c)} failed: ${msg}`);
          for (const mode of toRun) o.emit({ ...base(mode), ms: null, gflops: null, dispatches: null, skipped: `failed: ${msg.split('\n')[0].slice(0, 300)}` });
          // A row already emitted for this case stays: the orchestrator keeps the first row per key.
        } finally {
          try { ec?.dispose(); } catch { /* a failed engine may not dispose cleanly */ }
        }
      }
    }
  }
}

/**
 * The key of a row: one per (shape, cell, variant, mode, engine, host), and per forced kernel variant
 * (`--variants`: "webrnn[per-step]").
 */
export const rowKey = (/** @type {{ shape: string, cell: string, variant: string | null, mode: string, engine: string, host: string, forced_variant?: string }} */ r) =>
  `${r.host}|${r.engine}${r.forced_variant ? `[${r.forced_variant}]` : ''}|${r.shape}|${r.cell}${r.variant ? `/${r.variant}` : ''}|${r.mode}`;

function memoryReference() {
  const m = new Map();
  return { get: async (/** @type {string} */ k) => m.get(k), put: async (/** @type {string} */ k, /** @type {any} */ v) => void m.set(k, { ...m.get(k), ...v }) };
}

/**
 * @param {any} o @param {EngineFactory} f @param {EngineCase} ec @param {'forward' | 'train'} mode
 * @param {Record<string, unknown> & { engine: string, flops: number }} base
 * @param {any} refs @param {string} refKey
 * @returns {Promise<Row>}
 */
async function runRow(o, f, ec, mode, base, refs, refKey) {
  const call = mode === 'forward' ? ec.forward : ec.train;
  if (!call) throw new Error(`${base.engine} has no ${mode}`);
  const d0 = dispatchesSoFar();
  let peakLive = 0;
  const sample = () => { if (ec.liveBytes) peakLive = Math.max(peakLive, ec.liveBytes()); };
  // The guard's calls come first and double as warm-up: forward — the output of the first call (which
  // also compiles); train — the losses of the first two steps (the second tests gradients and Adam).
  /** @type {number[]} */
  const doneMs = [];
  /** @type {any[]} */
  const results = [];
  for (let i = 0; i < (mode === 'forward' ? 1 : 2); i++) {
    const t0 = performance.now();
    results.push(await call());
    doneMs.push(performance.now() - t0);
    sample();
    if (doneMs[i] > 2 * o.capMs) break; // timeCalls reports it
  }
  const check = await guard(base.engine, mode, results, refs, refKey);
  const firstMs = doneMs[0];
  const info = ec.info?.() ?? {};
  const ran = /** @type {string[]} */ (info.variants_run ?? [info.kernel_variant]);
  if (base.forced_variant && !ran.includes(/** @type {string} */ (base.forced_variant))) {
    return /** @type {Row} */ (/** @type {unknown} */ ({ ...base, ...info, first_ms: round(firstMs), ms: null, gflops: null, dispatches: null, skipped: `${base.forced_variant} was forced, but this cell ran ${ran.join(' + ') || 'another variant'}` }));
  }
  const timing = await timeCalls(call, { reps: o.reps, capMs: o.capMs, doneMs }, sample);
  const calls = doneMs.length + timing.calls;
  const dispatches = f.gpu ? Math.round((dispatchesSoFar() - d0) / calls) : null;
  /** @type {Record<string, unknown>} */
  const row = { ...base, ...info, first_ms: round(firstMs), dispatches, check };
  if ('skipped' in timing) return /** @type {Row} */ (/** @type {unknown} */ ({ ...row, ms: null, gflops: null, skipped: timing.skipped }));
  row.ms = round(timing.ms);
  row.min_ms = round(timing.minMs); // the fastest timed call: less sensitive to other processes' load than the median
  row.gflops = sig(base.flops / timing.ms / 1e6); // 3 significant digits: tiny shapes run at 1e-5 GFLOP/s
  row.reps = timing.reps;
  row.samples_ms = timing.samples.map(round);
  if (ec.dispatchCounts) {
    const dc = ec.dispatchCounts();
    if (dc) row.recurrent_dispatches = mode === 'forward' ? dc.forward : dc.forward + (dc.backward ?? 0);
  }
  if (ec.liveBytes) { row.peak_bytes = peakLive; row.peak_kind = f.memoryKind; }
  else if (ec.peakBytes && timing.ms < o.capMs / 2) {
    row.peak_bytes = await ec.peakBytes(mode);
    row.peak_kind = f.memoryKind;
  } else row.peak_bytes = null;
  return /** @type {Row} */ (row);
}

/**
 * forward: the output equals webrnn's (same weights, same input) within GUARD_TOLERANCE relative;
 * train: the losses of the first two steps equal webrnn's — the first checks the forward and the loss,
 * the second (after one Adam update) the gradients' signs and sizes and the update rule (tfjs: the
 * first only, see below).
 */
async function guard(/** @type {string} */ engine, /** @type {string} */ mode, /** @type {any[]} */ results, /** @type {any} */ refs, /** @type {string} */ refKey) {
  const ref = await refs.get(refKey);
  if (engine === 'webrnn' && !(mode === 'forward' ? ref?.y : ref?.losses)) {
    await refs.put(refKey, mode === 'forward' ? { y: results[0] } : { losses: results });
    return { against: 'self (reference)' };
  }
  // Otherwise an anchor, or webrnn in a second forced variant (--variants), checked against the first.
  if (mode === 'forward') {
    if (!ref?.y) return { against: 'webrnn', ok: null, note: 'no webrnn output for this shape and cell' };
    const e = relativeError(results[0], ref.y);
    return { against: 'webrnn', rel: sig(e.rel), ok: e.rel <= GUARD_TOLERANCE, ...(e.rel <= GUARD_TOLERANCE ? {} : { index: e.index, value: e.a, webrnn: e.b }) };
  }
  const n = Math.min(results.length, ref?.losses?.length ?? 0);
  if (!n) return { against: 'webrnn', ok: null, note: 'no webrnn losses for this shape and cell' };
  const rels = results.slice(0, n).map((l, i) => Math.abs(l - ref.losses[i]) / Math.abs(ref.losses[i]));
  // Keras layers have one bias per gate where PyTorch (and webrnn) have b_ih and b_hh: both get the
  // same gradient, so Adam moves their sum twice as far as tfjs moves its one bias. The second loss
  // therefore differs by design for tfjs (by ~1e-3 relative), and only the first is compared.
  const compared = engine.startsWith('tfjs') ? 1 : n;
  const rel = Math.max(...rels.slice(0, compared));
  return {
    against: 'webrnn', rel: sig(rel), ok: rel <= GUARD_TOLERANCE, losses: results.slice(0, n), webrnn_losses: ref.losses.slice(0, n),
    ...(compared < n ? { note: 'first loss compared: tfjs has one bias per gate (PyTorch/webrnn two), so its Adam update differs from step 2 on' } : {}),
  };
}

const round = (/** @type {number} */ x) => +x.toFixed(x >= 100 ? 1 : x >= 1 ? 2 : 4);
const sig = (/** @type {number} */ x) => (Number.isFinite(x) ? +x.toPrecision(3) : x);
