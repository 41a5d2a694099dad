// npm run bench: webrnn side by side with tfjs (webgpu and cpu backends), PyTorch CPU and onnxruntime
// CPU, on the same machine in the same run. Prints a markdown table and writes bench/results/latest.json
// (one record per row), latest.md (the table) and latest.meta.json (machine, load, GEMM roofline, FLOP
// formula, command); a --chromium run writes latest-chromium.* instead.
//
//   npm run bench                      S1, S2, S3 in Node (Dawn), row cap 300 s (long: an S3 call takes minutes on lavapipe)
//   npm run bench -- --quick           S2 only, row cap 60 s, VAD rows on a one-minute recording: a few minutes
//   npm run bench -- --chromium        webrnn beside the browser peers inside headless Chromium (SwiftShader):
//                                      tfjs-webgpu, tfjs-webgl, tfjs-wasm, onnxruntime-web-webgpu, onnxruntime-web-wasm
//   Every run also times the silero VAD rows (bench/lib/vad-*.mjs; written to bench/results/vad.* or
//   vad-chromium.*): per-chunk latency and a ten-minute recording chunk by chunk vs in one pass.
//   VAD options: --no-vad  --vad-only (no RNN rows)  --vad-chunks N (timed calls per chunk row, 200)
//            --vad-cap-s N (each VAD row's cap, 60; a chunk-by-chunk recording row times the prefix that fits)
//            --vad-seconds N (recording length, 600)  --vad-models silero_vad_v5.onnx,...  --vad-ort-threads N (1)
//   options: --shapes S1,S2  --cells lstm,gru  --engines webrnn,tfjs-webgpu,...  --reps N  --cap-s N
//            --hosts node,chromium  --out FILE  --no-save  --torch-threads N (default: torch's own)
//            --variants [off,split-k,…]  webrnn once per kernel variant (forced; all, or those listed), each its own row
//            --precision f16-weights    webrnn's layers with f16 weights (f32 accumulation); rows record it
//            --chromium-adapter hardware  Chromium on the machine's GPU instead of SwiftShader (bench/README.md)
//
// The row cap (bench/lib/timing.mjs): timing stops when the next call would end past it; a warm call
// over the cap, or a first call (compilation included) over twice the cap, skips the row with the time.
// Each engine runs in its own worker process (webrnn and tfjs-webgpu share one, on the same adapter);
// a watchdog stops a worker whose row gives no result in 6 × cap + 60 s, records that row as skipped
// and restarts the worker for the rest. Rows predicted (from a smaller shape's GFLOP/s) to take more
// than twice the cap per call are skipped up front with the estimate as the reason.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CELLS, CHROMIUM_ENGINES, ENGINES, FLOP_FORMULA, MODES, NODE_ENGINES, SHAPES, cellLabel, engineRuns, flopsOf } from './lib/shapes.mjs';
import { forcedVariants } from './lib/webrnn-engine.mjs';
import { makeData, makeStateDict, rnnConfig } from './lib/weights.mjs';
import { rowKey } from './lib/suite.mjs';
import { annotate, markdown, sortRows } from './lib/report.mjs';
import { cpuName, gitCommit } from './lib/machine.mjs';
import { annotateVad, onePassNote, vadMarkdown } from './lib/vad-report.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
export const PYTHON = process.env.WEBRNN_PYTHON || '/usr/bin/python3';

/**
 * @typedef {import('./lib/shapes.mjs').Shape} Shape
 * @typedef {Record<string, any>} Row
 * @typedef {{
 *   shapes?: Record<string, Shape>, cells?: string[], engines?: string[], hosts?: ('node' | 'chromium')[],
 *   reps?: number, capMs?: number, save?: boolean, out?: string, torchThreads?: number, variants?: boolean | string[],
 *   precision?: 'f32' | 'f16-weights',
 *   chromiumAdapter?: 'swiftshader' | 'hardware',
 *   gemmSizes?: { M: number, N: number, K: number }[], log?: (line: string) => void, command?: string,
 *   vad?: false | Omit<import('./lib/vad-run.mjs').VadOptions, 'hosts' | 'log' | 'onNote' | 'chromiumAdapter' | 'runWorker'>, vadOut?: string,
 * }} BenchOptions
 *   vad: the silero VAD rows' options (bench/lib/vad-run.mjs), false or absent for none (the CLI's
 *   default is {}); shapes {} runs the VAD rows alone; vadOut: their JSON file (default
 *   results/vad.json, vad-chromium.json for a Chromium-only run)
 */

/** The rows a run should produce (each appears in the output timed or with a skip reason). */
export function expectedRows(/** @type {Required<Pick<BenchOptions, 'shapes' | 'engines' | 'hosts'>> & { cells?: string[], variants?: boolean | string[] }} */ o) {
  /** @type {{ key: string, shape: string, cell: string, variant: string | null, mode: string, engine: string, host: string, forced_variant?: string }[]} */
  const out = [];
  // --variants: webrnn once per forced kernel variant
  const forcings = (/** @type {string} */ engine) => (engine === 'webrnn' && o.variants ? [{}, ...forcedVariants(o.variants).map((v) => ({ forced_variant: v }))] : [{}]);
  for (const host of o.hosts) {
    const engines = o.engines.filter((e) => (host === 'node' ? NODE_ENGINES : CHROMIUM_ENGINES).includes(e));
    for (const shape of Object.keys(o.shapes)) {
      for (const c of CELLS) {
        if (o.cells && !o.cells.includes(c.cell) && !o.cells.includes(cellLabel(c))) continue;
        for (const engine of engines) {
          for (const mode of MODES) {
            if (!engineRuns(engine, c, mode)) continue;
            for (const f of forcings(engine)) {
              const r = { shape, cell: c.cell, variant: c.variant, mode, engine, host, ...f };
              out.push({ key: rowKey(r), ...r });
            }
          }
        }
      }
    }
  }
  return out;
}

/**
 * Runs the benchmark; returns the annotated rows, the GEMM rooflines and the markdown table.
 * @param {BenchOptions} [opts]
 */
export async function runBench(opts = {}) {
  const shapes = opts.shapes ?? { S1: SHAPES.S1, S2: SHAPES.S2, S3: SHAPES.S3 };
  const engines = opts.engines ?? [...ENGINES];
  const hosts = opts.hosts ?? ['node'];
  const reps = opts.reps ?? 5;
  const capMs = opts.capMs ?? 300_000;
  const log = opts.log ?? ((/** @type {string} */ l) => process.stderr.write(`${l}\n`));
  const variants = opts.variants ?? false;
  const expected = expectedRows({ shapes, engines, hosts, cells: opts.cells, variants });
  /** @type {Map<string, Row>} */
  const got = new Map();
  /** @type {any[]} */
  const gemms = [];
  const notes = [];
  const refDir = mkdtempSync(join(tmpdir(), 'webrnn-bench-'));
  const loadBefore = loadavg()[0];
  const W = await import('../dist/src/index.js');
  const add = (/** @type {Row} */ r) => {
    const k = rowKey(/** @type {any} */ (r));
    if (!got.has(k)) got.set(k, r);
    if (typeof r.ms === 'number') log(`  ${k}: ${r.ms} ms, ${r.gflops} GFLOP/s${r.check?.ok === false ? `  GUARD MISMATCH rel ${r.check.rel}` : ''}`);
    else log(`  ${k}: skipped (${r.skipped})`);
  };
  const main = Object.keys(shapes).length > 0;
  try {
    if (main && hosts.includes('node')) {
      let first = true;
      for (const [shapeName, s] of Object.entries(shapes)) {
        const one = { [shapeName]: s };
        const skip = estimateSkips(expected.filter((e) => e.shape === shapeName && e.host === 'node'), [...got.values()], shapes, capMs);
        const common = { shapes: one, cells: opts.cells, reps, capMs, skip, refDir, variants, precision: opts.precision ?? 'f32' };
        const gpu = engines.filter((e) => e === 'webrnn' || e === 'tfjs-webgpu').map(String);
        if (gpu.length) {
          await runWorker({
            label: `node ${gpu.join(' + ')} ${shapeName}`, cmd: process.execPath, script: join(here, 'workers/node-worker.mjs'),
            job: { ...common, engines: gpu, gemm: first, ...(opts.gemmSizes ? { gemmSizes: opts.gemmSizes } : {}) },
            expected: expected.filter((e) => e.shape === shapeName && e.host === 'node' && gpu.includes(e.engine)),
            capMs, log, onRow: add, onGemm: (g) => gemms.push(g),
          });
          first = false;
        }
        for (const e of ['tfjs-cpu', 'onnxruntime-cpu']) {
          if (!engines.includes(e)) continue;
          await runWorker({
            label: `node ${e} ${shapeName}`, cmd: process.execPath, script: join(here, 'workers/node-worker.mjs'),
            job: { ...common, engines: [e] },
            expected: expected.filter((x) => x.shape === shapeName && x.host === 'node' && x.engine === e),
            capMs, log, onRow: add,
          });
        }
        if (engines.includes('pytorch-cpu')) {
          const mine = expected.filter((x) => x.shape === shapeName && x.host === 'node' && x.engine === 'pytorch-cpu');
          const cells = CELLS.filter((c) => mine.some((x) => x.cell === c.cell && x.variant === c.variant));
          for (const c of cells) writeTorchInputs(W, refDir, shapeName, s, c);
          await runWorker({
            label: `pytorch ${shapeName}`, cmd: PYTHON, script: join(here, 'workers/pytorch_rnn.py'),
            job: { ...common, cells: cells.map((c) => ({ cell: c.cell, variant: c.variant })), ...(opts.torchThreads ? { threads: opts.torchThreads } : {}) },
            expected: mine, capMs, log, onRow: add,
          });
        }
      }
    }
    if (main && hosts.includes('chromium')) {
      const { runChromium } = await import('./chromium/run-chromium.mjs');
      const mine = expected.filter((e) => e.host === 'chromium');
      const skip = estimateSkips(mine, [...got.values()], shapes, capMs);
      try {
        await runChromium({
          shapes, cells: opts.cells, engines: engines.filter((e) => CHROMIUM_ENGINES.includes(e)), reps, capMs, skip, variants, adapter: opts.chromiumAdapter ?? 'swiftshader',
          gemmSizes: opts.gemmSizes, timeoutMs: mine.length * (6 * capMs + 60_000) + 180_000, log, onRow: add, onGemm: (g) => gemms.push(g), onNote: (n) => notes.push(n),
        });
      } catch (e) {
        const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
        log(`chromium: ${msg}`);
        for (const x of mine) add({ ...rowBase(x), skipped: `chromium run failed: ${msg}` });
      }
    }
  } finally {
    rmSync(refDir, { recursive: true, force: true });
  }
  for (const x of expected) if (!got.has(x.key)) add({ ...rowBase(x), skipped: 'no result (the worker ended without reporting this row)' });
  const rows = annotate(sortRows([...got.values()]), gemms);
  const loadAfter = loadavg()[0];
  notes.push(`Machine: ${cpuName()}; 1-minute load average ${loadBefore.toFixed(1)} at the start, ${loadAfter.toFixed(1)} at the end (anything well above 0 means other work shared the cores and the timings are noisy).`);
  const faster = rows.filter((r) => typeof r.webrnn_speedup === 'number' && r.webrnn_speedup < 1);
  if (faster.length) notes.push(`Faster than webrnn in this run (webrnn speed-up < 1): ${faster.map((r) => `${r.engine} ${r.shape} ${cellLabel(/** @type {any} */ (r))} ${r.mode} (${r.webrnn_speedup}×)`).join('; ')}.`);
  const bad = rows.filter((r) => r.check?.ok === false);
  if (bad.length) notes.push(`**Correctness guard failed** for ${bad.map((r) => rowKey(/** @type {any} */ (r))).join(', ')}: these rows do not compute the same function as webrnn.`);
  const table = markdown(rows, { gemms, notes });
  const meta = {
    date: new Date().toISOString(),
    commit: gitCommit(here),
    command: opts.command ?? 'runBench',
    node: process.version,
    cpu: cpuName(),
    shapes,
    reps,
    cap_s: capMs / 1000,
    variants,
    precision: opts.precision ?? 'f32',
    ...(hosts.includes('chromium') ? { chromium_adapter: opts.chromiumAdapter ?? 'swiftshader' } : {}),
    load_average: { start: loadBefore, end: loadAfter },
    flops: FLOP_FORMULA,
    gemm: gemms,
    timing: 'untimed: a first call (it compiles) and a warm call, which are also the correctness guard; then up to reps timed calls (fewer when the next would end past the cap), median; forward = input already on the device → output sequence read back to the CPU; train = forward, MSE(output, target), backward, Adam(lr 1e-3) over all parameters, loss read back',
  };
  const vad = opts.vad ? await runVadRows(opts, hosts, meta, log) : undefined;
  if (main && (opts.save ?? true)) {
    // A Chromium-only run does not replace the Node results.
    const out = opts.out ?? join(here, 'results', hosts.includes('node') ? 'latest.json' : `latest-${hosts.join('-')}.json`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(rows, null, 1)}\n`);
    writeFileSync(out.replace(/\.json$/, '.meta.json'), `${JSON.stringify(meta, null, 1)}\n`);
    writeFileSync(out.replace(/\.json$/, '.md'), `${table}\n`);
  }
  return { rows, gemms, table, meta, expected, vad };
}

/** The silero VAD rows (bench/lib/vad-run.mjs): run, annotated, tabled and saved beside the RNN rows. */
async function runVadRows(/** @type {BenchOptions} */ opts, /** @type {('node' | 'chromium')[]} */ hosts, /** @type {Record<string, any>} */ runMeta, /** @type {(l: string) => void} */ log) {
  const { runVad } = await import('./lib/vad-run.mjs');
  /** @type {string[]} */
  const notes = [];
  const loadBefore = loadavg()[0];
  const vadOpts = /** @type {NonNullable<Exclude<BenchOptions['vad'], false>>} */ (opts.vad);
  const { rows, expected, settings } = await runVad({ engines: opts.engines, ...vadOpts, hosts, chromiumAdapter: opts.chromiumAdapter, log, onNote: (n) => notes.push(n), runWorker });
  annotateVad(rows);
  const loadAfter = loadavg()[0];
  const audio = rows.find((r) => typeof r.audio === 'string')?.audio;
  if (audio) notes.push(`Recording: ${audio}; ${settings.seconds} s at 16 kHz, the same in every host. Each model's rows start from a zero state at its beginning; the per-chunk rows time its first chunks.`);
  notes.push(...onePassNote(rows));
  notes.push(`Machine: ${cpuName()}; 1-minute load average ${loadBefore.toFixed(1)} at the start, ${loadAfter.toFixed(1)} at the end.`);
  const bad = rows.filter((r) => r.check?.ok === false);
  if (bad.length) notes.push(`**Correctness guard failed** for ${bad.map((r) => `${r.host} ${r.engine} ${r.model} ${r.test} (max |Δprob| ${r.check.max_abs} vs ${r.check.against})`).join(', ')}: these rows do not compute the same probabilities as webrnn within 1e-5, so they are left out of the ratios.`);
  const table = vadMarkdown(rows, { notes });
  const meta = {
    date: new Date().toISOString(), command: runMeta.command, node: process.version, cpu: cpuName(), hosts, ...settings,
    ...(hosts.includes('chromium') ? { chromium_adapter: opts.chromiumAdapter ?? 'swiftshader' } : {}),
    load_average: { start: loadBefore, end: loadAfter }, audio,
    timing: 'per chunk: a first call (compiles), a warm call, then up to `chunks` timed calls with the state carried (fewer when the next would end past the cap), median; recording chunk by chunk: wall time from a zero state over the whole recording or the prefix that fits the cap (the row says which); one pass: OnnxModel.runStream over the whole recording — the warm second call when the first (compilation included, first_ms) took under the recording cap, otherwise that first call (the row notes it); every call reads the speech probability back to the CPU',
    realtime_x: 'seconds of audio processed per wall-clock second (higher is faster)',
  };
  if (opts.save ?? true) {
    const main = Object.keys(opts.shapes ?? { S1: 1 }).length > 0;
    const out = opts.vadOut ?? (!main && opts.out) ?? join(here, 'results', hosts.includes('node') ? 'vad.json' : `vad-${hosts.join('-')}.json`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(rows, null, 1)}\n`);
    writeFileSync(out.replace(/\.json$/, '.meta.json'), `${JSON.stringify(meta, null, 1)}\n`);
    writeFileSync(out.replace(/\.json$/, '.md'), `${table}\n`);
  }
  return { rows, expected, table, meta };
}

const rowBase = (/** @type {Row} */ x) => ({ shape: x.shape, cell: x.cell, variant: x.variant, mode: x.mode, engine: x.engine, host: x.host, ...(x.forced_variant ? { forced_variant: x.forced_variant } : {}), adapter: 'n/a', ms: null, gflops: null, dispatches: null });

/**
 * Rows predicted to take more than twice the cap per call, from the same engine's GFLOP/s on a
 * smaller shape earlier in this run (rates grow with size, so this over-estimates), or whose smaller
 * shape already went over the cap. The rest are bounded by the in-run cap and the watchdog.
 * @returns {Record<string, string>}
 */
function estimateSkips(/** @type {any[]} */ planned, /** @type {Row[]} */ done, /** @type {Record<string, Shape>} */ shapes, /** @type {number} */ capMs) {
  /** @type {Record<string, string>} */
  const skip = {};
  for (const p of planned) {
    const c = CELLS.find((x) => x.cell === p.cell && x.variant === p.variant);
    const flops = flopsOf(shapes[p.shape], /** @type {any} */ (c), p.mode);
    // Only shapes of 10⁸ FLOP and more predict: smaller ones are dominated by per-dispatch and per-op
    // overheads, and their GFLOP/s would predict absurd times.
    const prior = done.filter((r) => r.engine === p.engine && r.forced_variant === p.forced_variant && r.host === p.host && r.cell === p.cell && r.variant === p.variant && r.mode === p.mode && r.shape !== p.shape && r.flops < flops && r.flops >= 1e8);
    const overCap = prior.find((r) => typeof r.skipped === 'string' && /^(the first|a warm) call took/.test(r.skipped));
    if (overCap) { skip[p.key] = `the smaller shape ${overCap.shape} already went over the cap (${overCap.skipped})`; continue; }
    const timed = prior.filter((r) => typeof r.gflops === 'number').sort((a, b) => b.flops - a.flops)[0];
    if (!timed) continue;
    const estMs = flops / timed.gflops / 1e6;
    if (estMs > 2 * capMs) skip[p.key] = `estimated ${(estMs / 1000).toFixed(0)} s per call from ${timed.shape}'s ${timed.gflops} GFLOP/s, over twice the row cap of ${(capMs / 1000).toFixed(0)} s`;
  }
  return skip;
}

/** PyTorch reads the same weights, input and target from refDir (the JS generator is the one source). */
function writeTorchInputs(/** @type {any} */ W, /** @type {string} */ refDir, /** @type {string} */ shapeName, /** @type {Shape} */ s, /** @type {any} */ c) {
  const sd = makeStateDict(W.parameterSpecs(rnnConfig(s, c)), s.H);
  const data = makeData(s);
  const parts = [];
  let offset = 0;
  const place = (/** @type {Float32Array} */ a) => { parts.push(a); const at = offset; offset += a.length; return { offset: at, count: a.length }; };
  const params = W.parameterSpecs(rnnConfig(s, c)).map((/** @type {any} */ p) => ({ name: p.name, shape: p.shape, ...place(sd[p.name]) }));
  const meta = { params, x: place(data.x), target: place(data.target) };
  const base = join(refDir, `${shapeName}/${cellLabel(c)}`.replace(/[^A-Za-z0-9]+/g, '_'));
  writeFileSync(`${base}.inputs.json`, JSON.stringify(meta));
  const all = new Float32Array(offset);
  let at = 0;
  for (const p of parts) { all.set(p, at); at += p.length; }
  writeFileSync(`${base}.inputs.bin`, new Uint8Array(all.buffer));
}

/**
 * Runs one worker (restarting it after a hung or crashed row) until every expected row is reported
 * or recorded as skipped. Protocol on stdout: "@@start KEY", "@@row {json}", "@@gemm {json}",
 * "@@missing \"reason\"", "@@done {json}". rowLimitMs / startLimitMs override the watchdog (tests).
 * @param {{ label: string, cmd: string, script: string, job: Record<string, any>, expected: { key: string }[], capMs: number,
 *   log: (l: string) => void, onRow: (r: Row) => void, onGemm?: (g: any) => void, rowLimitMs?: number, startLimitMs?: number,
 *   keyOf?: (r: Row) => string, rowOf?: (key: string, why: string) => Row }} o
 *   keyOf / rowOf: another kind of row's key, and its skipped row (the VAD rows, bench/lib/vad-run.mjs)
 */
export async function runWorker(o) {
  const done = new Set();
  const keyOf = o.keyOf ?? ((/** @type {Row} */ r) => rowKey(/** @type {any} */ (r)));
  const skippedRow = o.rowOf ?? ((/** @type {string} */ k, /** @type {string} */ why) => ({ ...rowBase(parseKey(k)), skipped: why }));
  const rowLimitMs = o.rowLimitMs ?? 6 * o.capMs + 60_000; // a row: first call ≤ 2 caps, warm call ≤ 1, timed ≤ 1 + one call
  const startLimitMs = o.startLimitMs ?? 180_000;
  let job = { ...o.job };
  for (let attempt = 0; attempt < o.expected.length + 1; attempt++) {
    if (o.expected.every((e) => done.has(e.key))) return;
    const jobFile = join(tmpdir(), `webrnn-bench-job-${process.pid}-${Date.now()}.json`);
    writeFileSync(jobFile, JSON.stringify({ ...job, omit: [...done] }));
    o.log(`${o.label}${attempt ? ` (restart ${attempt})` : ''}`);
    /** @type {{ how: 'done' | 'missing' | 'hung' | 'crashed', current?: string, detail: string }} */
    const end = await new Promise((resolve) => {
      const child = spawn(o.cmd, [o.script, jobFile], { cwd: root, env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR || tmpdir() }, stdio: ['ignore', 'pipe', 'pipe'] });
      /** @type {string | undefined} */
      let current;
      let stderr = '';
      let buf = '';
      let finished = false;
      /** @type {NodeJS.Timeout} */
      let timer;
      const arm = (/** @type {number} */ ms) => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          finish({ how: 'hung', current, detail: `no result within ${(ms / 1000).toFixed(0)} s; the worker was stopped` });
          child.kill('SIGKILL');
        }, ms);
      };
      const finish = (/** @type {any} */ v) => { if (!finished) { finished = true; clearTimeout(timer); resolve(v); } };
      arm(startLimitMs);
      child.on('error', (e) => finish({ how: 'crashed', detail: `${o.cmd} could not be started: ${e.message}` }));
      child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
      child.stdout.on('data', (d) => {
        buf += d;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const m = /^@@(\w+) (.*)$/.exec(line);
          if (!m) continue;
          const v = JSON.parse(m[2]);
          if (m[1] === 'start') { current = v; arm(rowLimitMs); }
          else if (m[1] === 'row') { const k = keyOf(v); done.add(k); o.onRow(v); if (k === current) current = undefined; arm(rowLimitMs); }
          else if (m[1] === 'gemm') { o.onGemm?.(v); job = { ...job, gemm: false }; arm(rowLimitMs); }
          else if (m[1] === 'missing') finish({ how: 'missing', detail: v });
          else if (m[1] === 'done') finish({ how: 'done', detail: '' });
        }
      });
      child.on('exit', (code, sig) => {
        const tail = stderr.split('\n').filter((l) => l.trim() && !/^Warning: max/.test(l)).slice(-3).join(' / ');
        finish({ how: 'crashed', current, detail: `the worker exited (${sig ?? `code ${code}`}) without finishing${tail ? `: ${tail.slice(0, 400)}` : ''}` });
      });
    });
    rmSync(jobFile, { force: true });
    if (end.how === 'done') {
      for (const e of o.expected) if (!done.has(e.key)) { done.add(e.key); o.onRow(skippedRow(e.key, 'not reported by its worker')); }
      return;
    }
    if (end.how === 'missing') {
      for (const e of o.expected) if (!done.has(e.key)) { done.add(e.key); o.onRow(skippedRow(e.key, end.detail)); }
      return;
    }
    o.log(`${o.label}: ${end.detail}`);
    if (end.current) { done.add(end.current); o.onRow(skippedRow(end.current, end.detail)); }
    else {
      // It failed outside a row (start-up): the same would happen again.
      for (const e of o.expected) if (!done.has(e.key)) { done.add(e.key); o.onRow(skippedRow(e.key, end.detail)); }
      return;
    }
  }
}

const parseKey = (/** @type {string} */ k) => {
  const [host, engineAndVariant, shape, cv, mode] = k.split('|');
  const [, engine, forced] = /** @type {RegExpExecArray} */ (/^([^[]+)(?:\[(.+)\])?$/.exec(engineAndVariant));
  const [cell, variant] = cv.split('/');
  return { host, engine, shape, cell, variant: variant ?? null, mode, ...(forced ? { forced_variant: forced } : {}) };
};

function parseArgs(/** @type {string[]} */ argv) {
  /** @type {BenchOptions & { help?: boolean }} */
  const o = { command: `npm run bench -- ${argv.join(' ')}`.trim() };
  const val = (/** @type {number} */ i) => { if (argv[i + 1] === undefined) throw new Error(`${argv[i]} needs a value`); return argv[i + 1]; };
  let quick = false;
  /** @type {NonNullable<Exclude<BenchOptions['vad'], false>>} */
  const vad = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') quick = true;
    else if (a === '--chromium') o.hosts = ['chromium'];
    else if (a === '--hosts') o.hosts = /** @type {any} */ (val(i++).split(','));
    else if (a === '--shapes') o.shapes = Object.fromEntries(val(i++).split(',').map((n) => { if (!SHAPES[n]) throw new Error(`unknown shape ${n} (known: ${Object.keys(SHAPES).join(', ')})`); return [n, SHAPES[n]]; }));
    else if (a === '--cells') o.cells = val(i++).split(',');
    else if (a === '--engines') o.engines = val(i++).split(',').map((e) => { if (!ENGINES.includes(/** @type {any} */ (e))) throw new Error(`unknown engine ${e} (known: ${ENGINES.join(', ')})`); return e; });
    else if (a === '--reps') o.reps = Number(val(i++));
    else if (a === '--cap-s') o.capMs = Number(val(i++)) * 1000;
    else if (a === '--out') o.out = val(i++);
    else if (a === '--no-save') o.save = false;
    else if (a === '--torch-threads') o.torchThreads = Number(val(i++));
    else if (a === '--variants') {
      // an optional list: only those variants
      const next = argv[i + 1];
      o.variants = next !== undefined && !next.startsWith('--') ? forcedVariants(val(i++).split(',')) : true;
    }
    else if (a === '--precision') {
      const v = val(i++);
      if (v !== 'f32' && v !== 'f16-weights') throw new Error(`--precision is f32 or f16-weights, got ${v}`);
      o.precision = v;
    }
    else if (a === '--no-vad') o.vad = false;
    else if (a === '--vad-only') o.shapes = {};
    else if (a === '--vad-chunks') vad.chunks = Number(val(i++));
    else if (a === '--vad-cap-s') vad.capMs = vad.recordingCapMs = Number(val(i++)) * 1000;
    else if (a === '--vad-seconds') vad.seconds = Number(val(i++));
    else if (a === '--vad-models') vad.models = val(i++).split(',');
    else if (a === '--vad-ort-threads') vad.ortThreads = Number(val(i++));
    else if (a === '--chromium-adapter') {
      const v = val(i++);
      if (v !== 'swiftshader' && v !== 'hardware') throw new Error(`--chromium-adapter is swiftshader or hardware, got ${v}`);
      o.chromiumAdapter = v;
    }
    else if (a === '--help' || a === '-h') o.help = true;
    else throw new Error(`unknown option ${a} (see --help)`);
  }
  if (quick) {
    o.shapes ??= { S2: SHAPES.S2 };
    o.capMs ??= 60_000;
    vad.chunks ??= 100;
    vad.seconds ??= 60; // a one-minute recording: the one-pass rows are not capped
    vad.capMs ??= 15_000;
    vad.recordingCapMs ??= 15_000;
  }
  if (o.vad !== false) o.vad = vad;
  return o;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`bench: ${e instanceof Error ? e.message : e}`);
    process.exitCode = 2; // a usage error
  }
  if (o?.help) {
    console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n'));
  } else if (o) {
    const { table, rows, vad } = await runBench(o);
    if (rows.length) console.log(table);
    if (vad) console.log(`\n${vad.table}`);
    // status 1 when an anchor disagreed with webrnn: its ratios would be meaningless
    if ([...rows, ...(vad?.rows ?? [])].some((r) => r.check?.ok === false)) process.exitCode = 1;
  }
}
