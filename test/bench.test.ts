// The benchmark's machinery (bench/run.mjs: workers, guard, timing protocol, report) on a tiny
// stacked bidirectional shape, in Node: every engine yields its rows, timed or with a recorded skip
// reason; every row has issue 5's schema; and wherever an anchor ran, its output (forward) and first
// training losses agree with webrnn's on the same weights — which is what makes the ratios meaningful.
// Also: the browser peers in headless Chromium (tfjs webgl/wasm, onnxruntime-web WebGPU/wasm) with
// their guard and onnxruntime-web's placement check; --variants; the watchdog that keeps a hung row
// from stalling the run.
// The silero VAD rows: their schema and 1e-5 guard on a few seconds of audio in Node and Chromium, and
// the guard and recording cap on fake engines (a mismatch must be caught, a prefix must say so).
// No timing assertions: the numbers depend on the machine and its load.
import { expect, test } from 'vitest';
import { runBench } from '../bench/run.mjs';
import { markdown, schemaProblems } from '../bench/lib/report.mjs';
import { CHROMIUM_ENGINES, NODE_ENGINES, SHAPES } from '../bench/lib/shapes.mjs';
import { STEP_SCHEDULES } from '../bench/lib/webrnn-engine.mjs';
import { placementFromLog } from '../bench/lib/ort-web-engine.mjs';
import { vadRowKey, vadSchemaProblems } from '../bench/lib/vad-report.mjs';
import { timeCalls } from '../bench/lib/timing.mjs';
import { VAD_MODELS, runVadSuite } from '../bench/lib/vad-suite.mjs';

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

// The silero VAD rows (bench/lib/vad-*.mjs) on a few seconds of the recording: every planned row,
// the VAD schema, the 1e-5 probability guard wherever a peer ran, the ratios between rows.
test('VAD rows in Node: webrnn and onnxruntime-node on the three silero files, schema and guard', async () => {
  const { rows, vad } = await runBench({
    shapes: {}, hosts: ['node'], save: false, log: () => {},
    vad: { chunks: 3, capMs: 20_000, recordingCapMs: 1_000, seconds: 2 },
  });
  expect(rows).toEqual([]); // shapes {}: the VAD rows alone
  const got = (vad!.rows as Row[]);
  expect(got.map((r) => vadRowKey(r)).sort()).toEqual(vad!.expected.map((e: { key: string }) => e.key).sort());
  expect(got).toHaveLength(3 * 5);
  for (const r of got) expect(vadSchemaProblems(r), JSON.stringify(r)).toEqual([]);
  for (const r of got.filter((x) => x.test !== 'recording-one-pass')) {
    expect(r.ms, `${vadRowKey(r)} skipped: ${r.skipped}`).toBeGreaterThan(0);
    if (r.engine === 'webrnn') {
      expect(r.check.against).toMatch(/^self/);
      expect(r.adapter).not.toMatch(/CPU:/);
      expect(Object.keys(r.speedup_vs)).toContain(r.test === 'chunk' ? 'onnxruntime-cpu' : 'onnxruntime-cpu chunk by chunk');
    } else {
      expect(r.check.ok, `${vadRowKey(r)}: ${JSON.stringify(r.check)}`).toBe(true);
      expect(r.check.chunks).toBeGreaterThan(0);
      expect(r.threads).toBe(1);
    }
  }
  // One pass (OnnxModel.runStream): the whole recording, equal to webrnn's chunk by chunk where both ran.
  for (const r of got.filter((x) => x.test === 'recording-one-pass')) {
    expect(r.ms, `${vadRowKey(r)} skipped: ${r.skipped}`).toBeGreaterThan(0);
    expect(r.chunks).toBe(r.total_chunks);
    expect(r.check.ok, JSON.stringify(r.check)).toBe(true);
    expect(r.check.chunks).toBeGreaterThan(0);
    expect(Object.keys(r.speedup_vs).sort()).toEqual(['onnxruntime-cpu chunk by chunk', 'webrnn chunk by chunk']);
  }
  expect(vad!.table).toMatch(/^\| model \| test \| engine \| host \| adapter \|/);
}, 5 * 60_000);

test('VAD guard and recording cap: a peer off by 2e-5 is a mismatch, 5e-6 is not; a capped recording reports its prefix', async () => {
  const spec = VAD_MODELS[1]; // 512-sample frames
  const audio = new Float32Array(spec.frame * 40);
  for (let i = 0; i < audio.length; i++) audio[i] = Math.sin(i / 50);
  // A fake engine: the probability is a function of the chunk and of how many chunks it has seen (its state).
  const fake = (offset: number, msPerChunk = 0) => ({
    adapter: 'fake',
    make: async () => {
      let seen = 0;
      return {
        chunk: async (x: Float32Array) => {
          if (msPerChunk) await new Promise((r) => setTimeout(r, msPerChunk));
          return 0.5 + 0.4 * Math.sin(x[0] + 0.1 * seen++) + offset;
        },
        reset: () => { seen = 0; },
        dispose: () => {},
      };
    },
  });
  const rows: Row[] = [];
  await runVadSuite({
    models: [{ spec, bytes: new Uint8Array() }], audio, audioSource: 'sine', host: 'node', chunks: 3, capMs: 10_000, recordingCapMs: 150,
    engines: { webrnn: fake(0, 10), 'onnxruntime-cpu': fake(2e-5), 'onnxruntime-web-wasm': fake(5e-6) }, emit: (r: Row) => rows.push(r),
  });
  const row = (engine: string, test: string) => rows.find((r) => r.engine === engine && r.test === test)!;
  expect(row('onnxruntime-cpu', 'chunk').check).toMatchObject({ ok: false, against: 'webrnn chunk row' });
  expect(row('onnxruntime-cpu', 'recording-chunked').check.ok).toBe(false);
  expect(row('onnxruntime-web-wasm', 'chunk').check).toMatchObject({ ok: true, chunks: 5 });
  expect(row('onnxruntime-web-wasm', 'recording-chunked').check.ok).toBe(true);
  // webrnn's fake takes 10 ms a chunk under a 150 ms cap: a prefix, said so, not extrapolated
  const rec = row('webrnn', 'recording-chunked');
  expect(rec.chunks).toBeLessThan(rec.total_chunks);
  expect(rec.prefix).toMatch(new RegExp(`first ${rec.chunks} of 40 chunks`));
  // × real time = audio seconds / wall seconds (both rounded to 3 significant digits: within 2%)
  expect(Math.abs(rec.realtime_x / ((rec.audio_s * 1000) / rec.wall_ms) - 1)).toBeLessThan(0.02);
  expect(row('onnxruntime-web-wasm', 'recording-chunked').chunks).toBe(40);
  expect(row('webrnn', 'recording-one-pass').skipped).toMatch(/no one-pass mode/);
});

test('VAD rows in Chromium: webrnn beside onnxruntime-web wasm and WebGPU (placement-checked) on silero v5', async () => {
  const { vad } = await runBench({
    shapes: {}, hosts: ['chromium'], save: false, log: () => {},
    vad: { chunks: 2, capMs: 20_000, recordingCapMs: 1_000, seconds: 1, models: ['silero_vad_v5.onnx'] },
  });
  const got = (vad!.rows as Row[]);
  expect(got.map((r) => vadRowKey(r)).sort()).toEqual(vad!.expected.map((e: { key: string }) => e.key).sort());
  for (const r of got) expect(vadSchemaProblems(r), JSON.stringify(r)).toEqual([]);
  for (const r of got.filter((x) => x.engine !== 'onnxruntime-web-webgpu' && x.test !== 'recording-one-pass')) {
    expect(r.ms, `${vadRowKey(r)} skipped: ${r.skipped}`).toBeGreaterThan(0);
    if (r.engine !== 'webrnn') expect(r.check.ok, JSON.stringify(r.check)).toBe(true);
  }
  // onnxruntime-web WebGPU: timed only with every LSTM node on WebGPU, and guarded either way (see bench/README.md
  // for what its probabilities do on SwiftShader); refused rows say why.
  for (const r of got.filter((x) => x.engine === 'onnxruntime-web-webgpu')) {
    if (typeof r.ms !== 'number') { expect(r.skipped).toMatch(/refused|failed/); continue; }
    expect(Object.values(r.placement).length).toBeGreaterThan(0);
    expect(new Set(Object.values(r.placement))).toEqual(new Set(['WebGpuExecutionProvider']));
    expect(typeof r.check.ok).toBe('boolean');
  }
}, 5 * 60_000);

test('timeCalls reports the fastest timed call beside the median (load only adds time)', async () => {
  // calls of known length: 40 ms (first), 5 (warm), then 30, 15, 60 ms timed; timers may run late, never early
  const lengths = [40, 5, 30, 15, 60];
  let i = 0;
  const t = await timeCalls(() => new Promise((r) => setTimeout(r, lengths[i++])), { reps: 3, capMs: 10_000 });
  if ('skipped' in t) throw new Error(t.skipped);
  expect(t.samples).toHaveLength(3);
  expect(t.minMs).toBe(Math.min(...t.samples));
  expect(t.minMs).toBeGreaterThanOrEqual(14); // the 15 ms call, not the 5 ms warm call
  expect(t.minMs).toBeLessThan(t.ms); // median: the 30 ms call
  const row = { shape: 'S1', cell: 'lstm', mode: 'forward', engine: 'tfjs-cpu', host: 'node', adapter: 'cpu', variant: null, ms: 10, gflops: 1, dispatches: null };
  expect(schemaProblems({ ...row, min_ms: 12 })).toEqual(['min_ms 12 must be in (0, ms]']);
  expect(schemaProblems({ ...row, min_ms: 8 })).toEqual([]);
  expect(markdown([{ ...row, min_ms: 8 }], { gemms: [] })).toContain('| node | 10.00 · 8.00 |');
});
