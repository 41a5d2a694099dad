// The benchmark's machinery (bench/run.mjs: workers, guard, timing protocol, report) on a tiny
// stacked bidirectional shape, in Node: every engine yields its rows, timed or with a recorded skip
// reason; every row has issue 5's schema; and wherever an anchor ran, its output (forward) and first
// training losses agree with webrnn's on the same weights — which is what makes the ratios meaningful.
// Also: the browser peers in headless Chromium (tfjs webgl/wasm, onnxruntime-web WebGPU/wasm) with
// their guard and onnxruntime-web's placement check; --variants; the watchdog that keeps a hung row
// from stalling the run.
// No timing assertions: the numbers depend on the machine and its load.
import { expect, test } from 'vitest';
import { runBench } from '../bench/run.mjs';
import { schemaProblems } from '../bench/lib/report.mjs';
import { CHROMIUM_ENGINES, NODE_ENGINES, SHAPES } from '../bench/lib/shapes.mjs';
import { STEP_SCHEDULES } from '../bench/lib/webrnn-engine.mjs';
import { placementFromLog } from '../bench/lib/ort-web-engine.mjs';

type Row = Record<string, any>;

test('npm run bench machinery on a tiny shape: all engines, schema, correctness guard', async () => {
  const { rows, expected, gemms, table } = await runBench({
    shapes: { tiny: SHAPES.tiny },
    reps: 1,
    capMs: 60_000,
    save: false,
    gemmSizes: [{ M: 64, N: 64, K: 64 }],
    log: () => {},
  });
  const byKey = new Map<string, Row>();
  for (const r of rows as Row[]) {
    const key = `${r.host}|${r.engine}|${r.shape}|${r.cell}${r.variant ? `/${r.variant}` : ''}|${r.mode}`;
    expect(byKey.has(key), `duplicate row ${key}`).toBe(false);
    byKey.set(key, r);
    expect(schemaProblems(r), `${key}: ${JSON.stringify(r)}`).toEqual([]);
  }
  // Every planned row is there (timed, or skipped with a reason), and nothing else.
  expect([...byKey.keys()].sort()).toEqual(expected.map((e: { key: string }) => e.key).sort());
  for (const engine of NODE_ENGINES) {
    const mine = (rows as Row[]).filter((r) => r.engine === engine);
    expect(mine.length, `${engine} has no rows`).toBeGreaterThan(0);
    for (const r of mine) expect(typeof r.ms === 'number' || (typeof r.skipped === 'string' && r.skipped.length > 0), JSON.stringify(r)).toBe(true);
  }
  // webrnn is the reference and must run; its counted dispatches include its own count of the layer's.
  for (const r of (rows as Row[]).filter((x) => x.engine === 'webrnn')) {
    expect(r.ms, `webrnn row skipped: ${r.skipped}`).toBeGreaterThan(0);
    if (r.mode === 'forward') expect(r.dispatches).toBe(r.recurrent_dispatches);
    else expect(r.dispatches).toBeGreaterThan(r.recurrent_dispatches);
    expect(r.peak_bytes).toBeGreaterThan(0);
    expect(STEP_SCHEDULES).toContain(r.kernel_variant);
    expect(['register-blocked', 'tiled', 'mixed']).toContain(r.matmul_variant);
    expect(r.tuning).toBe('auto');
  }
  // The guard: every anchor that produced a first result agrees with webrnn within 1e-4.
  for (const r of (rows as Row[]).filter((x) => x.engine !== 'webrnn' && x.check)) {
    expect(r.check.ok, `${r.engine} ${r.cell} ${r.variant} ${r.mode}: ${JSON.stringify(r.check)}`).toBe(true);
  }
  // tfjs and onnxruntime are dev dependencies: they must have run (PyTorch may be absent).
  for (const r of (rows as Row[]).filter((x) => ['tfjs-webgpu', 'tfjs-cpu', 'onnxruntime-cpu'].includes(x.engine))) {
    expect(r.ms, `${r.engine} skipped: ${r.skipped}`).toBeGreaterThan(0);
  }
  // webrnn rows carry their speed-up over each anchor that ran; every timed row its roofline fraction.
  const lstmFwd = (rows as Row[]).find((r) => r.engine === 'webrnn' && r.cell === 'lstm' && r.mode === 'forward')!;
  expect(Object.keys(lstmFwd.speedup_vs).sort()).toEqual(
    (rows as Row[]).filter((r) => r.engine !== 'webrnn' && r.cell === 'lstm' && r.mode === 'forward' && typeof r.ms === 'number').map((r) => r.engine).sort(),
  );
  expect(gemms).toHaveLength(1);
  expect(gemms[0].best).toBeGreaterThan(0);
  for (const r of (rows as Row[]).filter((x) => typeof x.ms === 'number')) expect(r.roofline_fraction).toBeGreaterThan(0);
  expect(table).toMatch(/^\| shape \| cell \| mode \| engine \|/);
}, 10 * 60_000);

test('a worker whose row hangs is stopped, the row recorded as skipped, and the worker restarted for the rest', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { runWorker } = await import('../bench/run.mjs');
  const dir = mkdtempSync(join(tmpdir(), 'webrnn-bench-test-'));
  // A fake worker: hangs on row A unless told to omit it, then reports row B.
  const script = join(dir, 'fake-worker.mjs');
  writeFileSync(script, `
    import { readFileSync } from 'node:fs';
    const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));
    const key = (mode) => 'node|webrnn|tiny|lstm|' + mode;
    const row = (mode) => ({ shape: 'tiny', cell: 'lstm', variant: null, mode, engine: 'webrnn', host: 'node', adapter: 'fake', ms: 1, gflops: 1, dispatches: 1 });
    if (!job.omit.includes(key('forward'))) { console.log('@@start ' + JSON.stringify(key('forward'))); setInterval(() => {}, 1000); }
    else { console.log('@@start ' + JSON.stringify(key('train'))); console.log('@@row ' + JSON.stringify(row('train'))); console.log('@@done {}'); }
  `);
  const rows: Row[] = [];
  try {
    await runWorker({
      label: 'fake', cmd: process.execPath, script, job: {}, capMs: 1000, rowLimitMs: 1500, log: () => {}, onRow: (r: Row) => rows.push(r),
      expected: [{ key: 'node|webrnn|tiny|lstm|forward' }, { key: 'node|webrnn|tiny|lstm|train' }],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  expect(rows.map((r) => [r.mode, typeof r.ms === 'number' ? 'timed' : r.skipped])).toEqual([
    ['forward', 'no result within 2 s; the worker was stopped'],
    ['train', 'timed'],
  ]);
}, 60_000);

// The browser peers at the tiny shape (tfjs-webgpu is left out: it is exercised in Node above and is
// the slowest on SwiftShader). webrnn runs once per forced kernel variant (--variants).
test('Chromium: the browser peers run beside webrnn, guarded; onnxruntime-web WebGPU rows only with the recurrent nodes on WebGPU', async () => {
  const engines = CHROMIUM_ENGINES.filter((e: string) => e !== 'tfjs-webgpu');
  const { rows, expected, table } = await runBench({
    shapes: { tiny: SHAPES.tiny }, hosts: ['chromium'], engines, variants: true,
    reps: 1, capMs: 30_000, save: false, gemmSizes: [{ M: 64, N: 64, K: 64 }], log: () => {},
  });
  const keys = (rows as Row[]).map((r) => `${r.host}|${r.engine}${r.forced_variant ? `[${r.forced_variant}]` : ''}|${r.shape}|${r.cell}${r.variant ? `/${r.variant}` : ''}|${r.mode}`);
  expect(keys.sort()).toEqual(expected.map((e: { key: string }) => e.key).sort());
  for (const r of rows as Row[]) expect(schemaProblems(r), JSON.stringify(r)).toEqual([]);
  // webrnn tuned, and in each forced variant (on an engine of its own); the reset-before GRU has no
  // persistent sweep: forcing it is refused, and the row says so.
  for (const r of (rows as Row[]).filter((x) => x.engine === 'webrnn')) {
    if (r.variant === 'reset_before' && r.forced_variant === 'persistent') expect(r.skipped).toMatch(/gru_step_fwd=persistent does not apply here: reset-before GRU/);
    else {
      expect(r.ms, `webrnn ${r.forced_variant} skipped: ${r.skipped}`).toBeGreaterThan(0);
      if (r.forced_variant) expect(r.variants_run).toContain(r.forced_variant);
      else expect(r.tuning).toBe('auto');
    }
  }
  // Every peer that ran agrees with webrnn; the wasm engines record their thread count.
  for (const r of (rows as Row[]).filter((x) => x.engine !== 'webrnn')) {
    if (typeof r.ms !== 'number') { expect(r.skipped, JSON.stringify(r)).toMatch(/\S/); continue; }
    expect(r.check.ok, `${r.engine} ${r.cell} ${r.variant} ${r.mode}: ${JSON.stringify(r.check)}`).toBe(true);
    if (r.engine.endsWith('wasm')) expect(r.threads).toBeGreaterThanOrEqual(1);
  }
  // Only a WebGL context may be missing (tfjs-webgl then records why); the others ship with their wasm.
  for (const r of (rows as Row[]).filter((x) => ['tfjs-wasm', 'onnxruntime-web-wasm', 'onnxruntime-web-webgpu'].includes(x.engine))) {
    expect(r.ms, `${r.engine} ${r.cell} skipped: ${r.skipped}`).toBeGreaterThan(0);
  }
  // onnxruntime-web WebGPU: LSTM and both GRU forms placed on WebGPU, dispatching on the GPU.
  const ortGpu = (rows as Row[]).filter((x) => x.engine === 'onnxruntime-web-webgpu');
  expect(ortGpu.map((r) => `${r.cell}/${r.variant}`).sort()).toEqual(['gru/reset_after', 'gru/reset_before', 'lstm/null']);
  for (const r of ortGpu) {
    expect(Object.values(r.placement)).toEqual(['WebGpuExecutionProvider', 'WebGpuExecutionProvider']);
    expect(r.dispatches).toBeGreaterThanOrEqual(SHAPES.tiny.T);
  }
  expect(table).toMatch(/\| engine \| variant \| host \|/);
}, 180_000);

test("onnxruntime-web placement is read from its verbose log; a node on the CPU EP is reported as such", () => {
  const prefix = '2026-12-06 08:32:17.044300 [V:onnxruntime:, session_state.cc:1380 VerifyEachNodeIsAssignedToAnEp]';
  expect(placementFromLog([`${prefix}  All nodes placed on [WebGpuExecutionProvider]. Number of nodes: 3`], ['rnn0'])).toEqual({ rnn0: 'WebGpuExecutionProvider' });
  const split = [
    `${prefix}  Node(s) placed on [WebGpuExecutionProvider]. Number of nodes: 2`,
    `${prefix}   Transpose (tr0)`,
    `${prefix}   Reshape (rs0)`,
    `${prefix}  Node(s) placed on [CPUExecutionProvider]. Number of nodes: 1`,
    `${prefix}   LSTM (rnn0)`,
  ];
  expect(placementFromLog(split, ['rnn0'])).toEqual({ rnn0: 'CPUExecutionProvider' });
  expect(placementFromLog(['nothing about placement'], ['rnn0'])).toEqual({ rnn0: undefined });
});
