// Sizes a careless or hostile caller asks for: layer counts, parameter counts and optimizer
// hyper-parameters are checked from the config alone, before anything per layer is built — a
// `num_layers: 10000000` config once ran the process out of heap (V8 abort, no message), and
// `train --lr 1e308` failed mid-run on a non-finite Adam step. Library calls throw a WebRnnError at
// once; the CLI exits non-zero with one `webrnn:` line and leaves no run folder. The CLI cases need
// `npm run build` (they run bin/webrnn.js in child processes).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Adam, AdamW, createEngine, Dense, Embedding, Recurrent, SGD, WebRnnError, type Engine } from '../../src/index.js';
import { MAX_LAYERS, parameterCount, parameterSpecs, resolveConfig } from '../../src/layers/recurrent-config.js';
import { shapeSize } from '../../src/checks.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'webrnn.js');
const RUN = join(ROOT, 'test', 'fixtures', 'lstm_basic');
const dir = mkdtempSync(join(tmpdir(), 'webrnn-sizes-'));

let engine: Engine;
let small: Engine; // a 1 MiB binding limit
beforeAll(async () => {
  engine = await createEngine();
  small = await createEngine({ limits: { maxStorageBufferBindingSize: 2 ** 20, maxBufferSize: 2 ** 22 } });
});
afterAll(() => {
  engine?.dispose();
  small?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function thrown(fn: () => unknown): WebRnnError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a WebRnnError').toBeInstanceOf(WebRnnError);
  return err as WebRnnError;
}

function webrnn(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function oneLine(r: { status: number | null; stderr: string }, message: RegExp): void {
  expect([1, 2], r.stderr).toContain(r.status);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('Warning: max'));
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^webrnn: /);
  expect(lines[0]).toMatch(message);
}

describe('recurrent sizes are checked from the config, before any per-layer object', () => {
  test('num_layers beyond MAX_LAYERS (up to 2³¹ − 1) is BAD_CONFIG naming the field and the bound', () => {
    for (const L of [MAX_LAYERS + 1, 1e7, 2 ** 31 - 1]) {
      const e = thrown(() => new Recurrent(engine, { mode: 'LSTM', input_size: 1, hidden_size: 1, num_layers: L }));
      expect(e.code).toBe('BAD_CONFIG');
      expect(e.message).toContain(`num_layers must be at most ${MAX_LAYERS}, got ${L}`);
    }
    expect(new Recurrent(engine, { mode: 'RNN_TANH', input_size: 1, hidden_size: 1, num_layers: MAX_LAYERS }).parameterCount).toBe(4 * MAX_LAYERS);
  });

  test('parameter counts beyond 32-bit offsets are BAD_CONFIG; beyond the device binding DEVICE_LIMIT', () => {
    for (const cfg of [
      { input_size: 2 ** 31 - 1, hidden_size: 2 ** 31 - 1 },
      { input_size: 8, hidden_size: 40_000 },
      { input_size: 8, hidden_size: 4096, num_layers: 1000 },
    ]) {
      const e = thrown(() => new Recurrent(engine, { mode: 'LSTM', ...cfg }));
      expect(e.code).toBe('BAD_CONFIG');
      expect(e.message).toMatch(/parameters; a recurrent layer holds at most 2³² − 1/);
    }
    const before = small.memory();
    const e = thrown(() => new Recurrent(small, { mode: 'GRU', input_size: 8, hidden_size: 256, bidirectional: true }));
    expect(e.code).toBe('DEVICE_LIMIT');
    expect(e.message).toMatch(/recurrent parameters .*needs 1634304 bytes.*maxStorageBufferBindingSize = 1048576/);
    expect(small.memory()).toEqual(before);
  });

  test('parameterCount agrees with the specs for every cell and option', () => {
    for (const mode of ['LSTM', 'GRU', 'RNN_TANH'] as const) {
      for (const [bidirectional, bias, num_layers] of [[false, true, 1], [true, false, 3], [true, true, 2]] as const) {
        const c = resolveConfig({ mode, input_size: 5, hidden_size: 7, bidirectional, bias, num_layers, ...(mode === 'LSTM' ? { peephole: true } : {}) });
        expect(parameterCount(c)).toBe(parameterSpecs(c).reduce((n, s) => n + shapeSize(s.shape), 0));
      }
    }
  });

  test('Dense and Embedding beyond the device are typed errors too', () => {
    const before = engine.memory();
    for (const make of [
      () => new Dense(engine, { in_features: 2 ** 31 - 1, out_features: 2 ** 31 - 1 }),
      () => new Embedding(engine, { num_embeddings: 2 ** 31 - 1, embedding_dim: 2 ** 31 - 1 }),
    ]) {
      expect(thrown(make).code).toBe('DEVICE_LIMIT');
    }
    expect(engine.memory()).toEqual(before);
  });

  test('optimizer hyper-parameters whose derived step overflows float32 are BAD_CONFIG', () => {
    const rnn = new Recurrent(engine, { mode: 'GRU', input_size: 2, hidden_size: 3 });
    try {
      const blocks = [rnn.store];
      for (const [make, msg] of [
        [() => new Adam(engine, blocks, { lr: 1e308 }), /lr must be a finite number ≥ 0, got 1e\+308 \(float32: at most 3.403e\+38\)/],
        [() => new Adam(engine, blocks, { lr: 1e38, betas: [0.999, 0.999] }), /lr 1e\+38 is too large: Adam's step size lr \/ \(1 − β1\)/],
        [() => new AdamW(engine, blocks, { lr: 1e30, weight_decay: 1e10 }), /weight_decay 10000000000 = 1e\+40 exceeds float32/],
        [() => new SGD(engine, blocks, { lr: 1e39 }), /lr must be a finite number ≥ 0, got 1e\+39 \(float32/],
        [() => new SGD(engine, blocks, { lr: 0.1, momentum: 1e300 }), /momentum must be a finite number ≥ 0, got 1e\+300/],
      ] as const) {
        const e = thrown(make);
        expect(e.code).toBe('BAD_CONFIG');
        expect(e.message).toMatch(msg);
      }
    } finally {
      rnn.dispose();
    }
  });
});

describe('long sequences', () => {
  test('a forward too long for the device is DEVICE_LIMIT before any workspace or host array is made', () => {
    const rnn = new Recurrent(engine, { mode: 'LSTM', input_size: 1, hidden_size: 2 }, { schedule: 'persistent' });
    const T = 3_000_000;
    const x = engine.empty([T, 1, 1]);
    try {
      const before = engine.memory();
      const ab0 = process.memoryUsage().arrayBuffers;
      const e = thrown(() => rnn.forward(x));
      expect(e.code).toBe('DEVICE_LIMIT');
      expect(e.message).toMatch(/T·B of T = 3000000, B = 1 needs 93750 workgroups .*maxComputeWorkgroupsPerDimension/);
      expect(engine.memory()).toEqual(before);
      // the per-step uniform alone would be T · 256 bytes = 768 MB of host memory
      expect((process.memoryUsage().arrayBuffers - ab0) / 2 ** 20).toBeLessThan(64);
    } finally {
      x.dispose();
      rnn.dispose();
    }
  });

  test('per-step sweeps of T = 200,000 (over 2¹⁶ dynamic-offset dispatches) run, bit-identical to the persistent sweep — in a child, so a driver crash fails the test', () => {
    const script = join(dir, 'long.mjs');
    writeFileSync(script, `
      import { createEngine, Recurrent } from ${JSON.stringify(join(ROOT, 'dist/src/index.js'))};
      const engine = await createEngine();
      const [T, B, I, H] = [200_000, 1, 1, 2];
      const x = engine.tensor(Float32Array.from({ length: T * B * I }, (_, i) => Math.sin(i * 0.37)), [T, B, I]);
      const g = engine.tensor(Float32Array.from({ length: T * B * H }, (_, i) => Math.cos(i * 0.11)), [T, B, H]);
      const runOf = async (schedule) => {
        const rnn = new Recurrent(engine, { mode: 'LSTM', input_size: I, hidden_size: H }, { seed: 4, schedule });
        try {
          const r = rnn.forward(x);
          const y = await r.output.read();
          const out = { y: Array.from(y.filter((_, i) => i % 49999 === 0 || i >= y.length - 3)), h: Array.from(await r.h_n.read()), c: Array.from(await r.c_n.read()) };
          const d = rnn.backward({ grad_output: g });
          const dx = await d.grad_input.read();
          return { ...out, dx: Array.from(dx.filter((_, i) => i % 49999 === 0 || i < 3)), dw: Array.from(await d.grads.weight_hh_l0.read()), ...rnn.dispatchCounts() };
        } finally {
          rnn.dispose();
        }
      };
      const result = { perStep: await runOf('per-step'), persistent: await runOf('persistent') };
      engine.dispose();
      process.stdout.write(JSON.stringify(result));
      process.exit(0);
    `);
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 300_000 });
    expect(r.status, `child exit (signal ${r.signal}): ${r.stderr.slice(-500)}`).toBe(0);
    type Run = { y: number[]; h: number[]; c: number[]; dx: number[]; dw: number[]; forward: number; backward: number };
    const { perStep, persistent } = JSON.parse(r.stdout) as { perStep: Run; persistent: Run };
    expect(perStep.forward).toBeGreaterThan(200_000);
    expect(perStep.backward).toBeGreaterThan(200_000);
    expect(persistent.forward).toBeLessThan(10);
    for (const k of ['y', 'h', 'c', 'dx', 'dw'] as const) {
      expect(perStep[k].every(Number.isFinite), k).toBe(true);
      expect(perStep[k], k).toEqual(persistent[k]);
    }
  }, 320_000);
});

describe('the CLI rejects absurd sizes with one line and leaves nothing behind', () => {
  test('run --config with num_layers 10000000', () => {
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ ...JSON.parse(readFileSync(join(RUN, 'config.json'), 'utf8')), num_layers: 10_000_000 }));
    const out = join(dir, 'out.safetensors');
    const r = webrnn(['run', '--config', config, '--weights', join(RUN, 'weights.safetensors'), '--input', join(RUN, 'inputs.safetensors'), '--out', out]);
    oneLine(r, /num_layers must be at most 1024, got 10000000/);
    expect(existsSync(out)).toBe(false);
  });

  test('train --layers 1e8 and --lr 1e308 leave no run folder', () => {
    const data = join(dir, 'text.txt');
    writeFileSync(data, 'the quick brown fox jumps over the lazy dog. '.repeat(40));
    for (const [flags, msg] of [
      [['--layers', '1e8'], /num_layers must be at most 1024, got 100000000/],
      [['--hidden', '100000'], /parameters; a recurrent layer holds at most/],
      [['--lr', '1e308'], /lr must be a finite number ≥ 0, got 1e\+308/],
      [['--lr', '1e38'], /lr 1e\+38 is too large: Adam's step size/],
    ] as const) {
      const run = join(dir, `run-${flags[0].slice(2)}`);
      oneLine(webrnn(['train', '--data', data, '--out', run, '--steps', '1', ...flags]), msg);
      expect(existsSync(run), `${flags.join(' ')}: run folder`).toBe(false);
    }
  });

  test('sample streams long outputs in chunks (same text as one call); run folders with absurd sizes are BAD_FILE', () => {
    const data = join(dir, 'lm.txt');
    writeFileSync(data, 'a cat sat on the mat. the dog ate the log. '.repeat(60));
    const run = join(dir, 'lm-run');
    const trained = webrnn(['train', '--data', data, '--out', run, '--steps', '2', '--hidden', '8', '--embedding', '4', '--layers', '1', '--batch', '2', '--bptt', '8']);
    expect(trained.status, trained.stderr).toBe(0);
    const short = webrnn(['sample', '--model', run, '--length', '1000', '--seed', '3', '--prime', 'the ']);
    const long = webrnn(['sample', '--model', run, '--length', '2500', '--seed', '3', '--prime', 'the ']);
    expect(short.status, short.stderr).toBe(0);
    expect(long.status, long.stderr).toBe(0);
    expect(long.stdout.length).toBeGreaterThan(2000);
    expect(long.stdout.startsWith(short.stdout.trimEnd())).toBe(true);

    const model = JSON.parse(readFileSync(join(run, 'model.json'), 'utf8')) as { settings: Record<string, number> };
    for (const [edit, msg] of [
      [{ batch: 2 ** 31, bptt: 2 ** 20 }, /settings\.batch 2147483648 × \(settings\.bptt 1048576 \+ 1\) = .* token slots, more than 2147483647/],
      [{ layers: 10_000_000 }, /settings: num_layers must be at most 1024/],
    ] as const) {
      const bad = join(dir, `bad-run-${Object.keys(edit)[0]}`);
      cpSync(run, bad, { recursive: true });
      writeFileSync(join(bad, 'model.json'), JSON.stringify({ ...model, settings: { ...model.settings, ...edit } }));
      for (const cmd of [['sample', '--model', bad, '--length', '5'], ['eval', '--model', bad, '--data', data]]) oneLine(webrnn(cmd), msg);
    }
  }, 300_000);
});
