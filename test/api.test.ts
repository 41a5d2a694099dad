// The public API's contract beyond numerics: validation before GPU work, typed errors, views and
// their lifetime, re-planning on new shapes, determinism, and memory released by dispose().
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEngine, Recurrent, type Engine } from '../src/index.js';
import { refRecurrentForward } from './reference/recurrent.js';
import { randomParams, Rng } from './reference/random.js';
import { code } from './helpers/gpu-test.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => engine?.dispose());

describe('validation', () => {
  test('bad configs throw BAD_CONFIG naming the field', () => {
    expect(code(() => new Recurrent(engine, { mode: 'LSTM', input_size: 0, hidden_size: 4 }))).toBe('BAD_CONFIG');
    expect(code(() => new Recurrent(engine, { mode: 'XLSTM' as never, input_size: 2, hidden_size: 4 }))).toBe('BAD_CONFIG');
    expect(code(() => new Recurrent(engine, { mode: 'GRU', input_size: 2, hidden_size: 4, peephole: true }))).toBe('BAD_CONFIG');
    expect(code(() => new Recurrent(engine, { mode: 'LSTM', input_size: 2, hidden_size: 4, reset_after: false }))).toBe('BAD_CONFIG');
    expect(code(() => new Recurrent(engine, { mode: 'LSTM', input_size: 2, hidden_size: 4, num_layers: 1.5 }))).toBe('BAD_CONFIG');
    expect(() => new Recurrent(engine, { mode: 'LSTM', input_size: 2, hidden_size: 4, proj_size: 4 })).toThrow(/proj_size must be smaller than hidden_size = 4 \(as PyTorch\), got 4/);
    expect(() => new Recurrent(engine, { mode: 'GRU', input_size: 2, hidden_size: 4, proj_size: 2 })).toThrow(/proj_size applies to LSTM only, mode is GRU/);
    expect(() => new Recurrent(engine, { mode: 'LSTM', input_size: 2, hidden_size: 4, proj_size: 1.5 })).toThrow(/proj_size must be an integer ≥ 0, got 1.5/);
    expect(() => new Recurrent(engine, { mode: 'LSTM', input_size: 2, hidden_size: 4, proj_size: 2 }, { schedule: 'persistent' })).toThrow(/schedule 'persistent' does not run a projected LSTM \(proj_size 2\)/);
    expect(() => new Recurrent(engine, { mode: 'LSTM', input_size: 2, hidden_size: -3 })).toThrow(/hidden_size must be a positive integer, got -3/);
  });

  test('a projected LSTM (proj_size) checks h0, c0 and upstream gradients at their own widths', () => {
    const rnn = new Recurrent(engine, { mode: 'LSTM', input_size: 3, hidden_size: 4, proj_size: 2, bidirectional: true });
    const x = engine.tensor(new Float32Array(5 * 2 * 3), [5, 2, 3]);
    expect(() => rnn.forward(x, { h0: engine.tensor(new Float32Array(16), [2, 2, 4]) })).toThrow(/h0 must have shape \[2, 2, 2\], got \[2, 2, 4\]/);
    expect(() => rnn.forward(x, { c0: engine.tensor(new Float32Array(8), [2, 2, 2]) })).toThrow(/c0 must have shape \[2, 2, 4\], got \[2, 2, 2\]/);
    const out = rnn.forward(x);
    expect([out.output.shape, out.h_n.shape, out.c_n!.shape]).toEqual([[5, 2, 4], [2, 2, 2], [2, 2, 4]]);
    expect(() => rnn.backward({ grad_output: engine.tensor(new Float32Array(5 * 2 * 8), [5, 2, 8]) })).toThrow(/grad_output must have shape \[5, 2, 4\]/);
    expect(Object.keys(rnn.parameters())).toContain('weight_hr_l0_reverse');
    expect(rnn.parameterCount).toBe(2 * (16 * 3 + 16 * 2 + 2 * 16 + 2 * 4));
    rnn.dispose();
  });

  test('bad shapes, lengths and states are rejected before any GPU work', () => {
    const rnn = new Recurrent(engine, { mode: 'LSTM', input_size: 3, hidden_size: 4, num_layers: 2 });
    const x = engine.tensor(new Float32Array(5 * 2 * 3), [5, 2, 3]);
    expect(code(() => rnn.forward(engine.tensor(new Float32Array(10), [5, 2])))).toBe('BAD_SHAPE');
    expect(code(() => rnn.forward(engine.tensor(new Float32Array(40), [5, 2, 4])))).toBe('BAD_SHAPE');
    expect(code(() => rnn.forward(x, { lengths: [5] }))).toBe('BAD_LENGTHS');
    expect(code(() => rnn.forward(x, { lengths: [0, 5] }))).toBe('BAD_LENGTHS');
    expect(code(() => rnn.forward(x, { lengths: [6, 5] }))).toBe('BAD_LENGTHS');
    expect(code(() => rnn.forward(x, { lengths: [2.5, 5] }))).toBe('BAD_LENGTHS');
    expect(code(() => rnn.forward(x, { h0: engine.tensor(new Float32Array(8), [1, 2, 4]) }))).toBe('BAD_SHAPE');
    expect(() => rnn.forward(x, { h0: engine.tensor(new Float32Array(8), [1, 2, 4]) })).toThrow(/h0 must have shape \[2, 2, 4\], got \[1, 2, 4\]/);
    expect(code(() => rnn.backward({}))).toBe('BAD_STATE');
    expect(code(() => engine.tensor(new Float32Array(5), [2, 3]))).toBe('BAD_SHAPE');
    rnn.forward(x);
    expect(code(() => rnn.backward({ grad_output: engine.tensor(new Float32Array(5 * 2 * 3), [5, 2, 3]) }))).toBe('BAD_SHAPE');
    const gru = new Recurrent(engine, { mode: 'GRU', input_size: 3, hidden_size: 4 });
    expect(code(() => gru.forward(x, { c0: engine.tensor(new Float32Array(8), [1, 2, 4]) }))).toBe('BAD_SHAPE');
    expect(code(() => rnn.loadStateDict({ weight_ih_l0: new Float32Array(3) }))).toBe('BAD_SHAPE');
    expect(code(() => rnn.loadStateDict({ nope: new Float32Array(3) }))).toBe('BAD_SHAPE');
    x.dispose();
    expect(code(() => rnn.forward(x))).toBe('DISPOSED');
    rnn.dispose();
    gru.dispose();
    expect(code(() => rnn.forward(x))).toBe('DISPOSED');
  });
});

describe('behaviour', () => {
  test('a new (T, B) re-plans; results match the reference at each shape', async () => {
    const cfg = { mode: 'GRU' as const, input_size: 2, hidden_size: 3, bidirectional: true };
    const rnn = new Recurrent(engine, cfg, { seed: 3 });
    const params: Record<string, Float64Array> = {};
    for (const [k, v] of Object.entries(await rnn.stateDict())) params[k] = Float64Array.from(v);
    const rng = new Rng(9);
    for (const [T, B] of [[4, 2], [7, 3], [4, 2]]) {
      const x = rng.uniformArray(T * B * 2, -1, 1);
      const out = rnn.forward(engine.tensor(Float32Array.from(x), [T, B, 2]));
      const ref = refRecurrentForward(cfg, params, { input: x, T, B });
      const got = await out.output.read();
      const scale = Math.max(...ref.output.map(Math.abs));
      ref.output.forEach((v, i) => expect(Math.abs(got[i] - v)).toBeLessThanOrEqual(2e-5 * scale));
    }
    rnn.dispose();
  });

  test('initialisation is seeded and PyTorch-shaped: U(-1/sqrt(H), 1/sqrt(H))', async () => {
    const a = await new Recurrent(engine, { mode: 'LSTM', input_size: 3, hidden_size: 16 }, { seed: 5 }).stateDict();
    const b = await new Recurrent(engine, { mode: 'LSTM', input_size: 3, hidden_size: 16 }, { seed: 5 }).stateDict();
    const c = await new Recurrent(engine, { mode: 'LSTM', input_size: 3, hidden_size: 16 }, { seed: 6 }).stateDict();
    expect(Object.keys(a)).toEqual(['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']);
    expect(a.weight_hh_l0.length).toBe(64 * 16);
    expect(a.weight_hh_l0).toEqual(b.weight_hh_l0);
    expect(a.weight_hh_l0).not.toEqual(c.weight_hh_l0);
    for (const v of Object.values(a)) for (const x of v) expect(Math.abs(x)).toBeLessThanOrEqual(0.25);
  });

  test('backward is deterministic: two runs give bit-identical gradients', async () => {
    const rnn = new Recurrent(engine, { mode: 'LSTM', input_size: 5, hidden_size: 9, num_layers: 2, bidirectional: true }, { seed: 1 });
    const rng = new Rng(2);
    const x = engine.tensor(Float32Array.from(rng.uniformArray(6 * 4 * 5, -1, 1)), [6, 4, 5]);
    const go = engine.tensor(Float32Array.from(rng.uniformArray(6 * 4 * 18, -1, 1)), [6, 4, 18]);
    const run = async () => {
      rnn.forward(x, { lengths: [6, 2, 5, 3] });
      const g = rnn.backward({ grad_output: go });
      return [await g.grads.weight_hh_l0.read(), await g.grads.bias_ih_l1_reverse.read(), await g.grad_input.read()];
    };
    const a = await run();
    const b = await run();
    a.forEach((v, i) => expect(Buffer.from(v.buffer).equals(Buffer.from(b[i].buffer))).toBe(true));
    rnn.dispose();
  });

  test('dispatch counts: one GEMM + T steps (or one persistent sweep) per layer forward; T+1 steps + GEMMs + reductions backward', () => {
    const config = { mode: 'LSTM', input_size: 8, hidden_size: 8, num_layers: 2, bidirectional: true } as const;
    // forward: L·(1 + T) per step, L·2 persistent; backward: L·((T + 1) + D (dX) + 1 (dW_ih) + 1 (dW_hh) + 2 (db)),
    // with 1 instead of T + 1 persistent
    const [forward1, backward1] = [2 * 51, 2 * (51 + 2 + 1 + 1 + 2)];
    const [forwardP, backwardP] = [2 * 2, 2 * (1 + 2 + 1 + 1 + 2)];
    for (const [schedule, forward, backward] of [['per-step', forward1, backward1], ['persistent', forwardP, backwardP], ['auto', forwardP, backwardP]] as const) {
      const rnn = new Recurrent(engine, config, { schedule });
      rnn.forward(engine.tensor(new Float32Array(50 * 2 * 8), [50, 2, 8]));
      rnn.backward({});
      expect(rnn.dispatchCounts(), schedule).toEqual({ forward, backward });
      rnn.dispose();
    }
    // 'auto' keeps the per-step sweep where its grid is large (⌈H/64⌉·⌈B/4⌉·D > 2)
    const wide = new Recurrent(engine, { ...config, hidden_size: 65, num_layers: 1 });
    wide.forward(engine.tensor(new Float32Array(5 * 8 * 8), [5, 8, 8]));
    expect(wide.dispatchCounts()?.forward).toBe(1 + 5);
    wide.dispose();
    // a projected LSTM runs per step under 'auto', two dispatches per step each way: forward L·(1 + 2T);
    // backward L·((T + 1) projection + T steps + D + 1 + 1 + 1 (dW_hr) + 2)
    const proj = new Recurrent(engine, { ...config, proj_size: 3 });
    proj.forward(engine.tensor(new Float32Array(50 * 2 * 8), [50, 2, 8]));
    proj.backward({});
    expect(proj.dispatchCounts()).toEqual({ forward: 2 * (1 + 100), backward: 2 * (51 + 50 + 2 + 1 + 1 + 1 + 2) });
    proj.dispose();
    expect(() => new Recurrent(engine, config, { schedule: 'fast' as never })).toThrow(/schedule must be 'auto', 'per-step' or 'persistent', got "fast"/);
  });

  test('dispose releases every buffer: memory returns to where it was', async () => {
    const before = engine.memory();
    for (let i = 0; i < 3; i++) {
      const rnn = new Recurrent(engine, { mode: 'GRU', input_size: 4, hidden_size: 6, reset_after: false, bidirectional: true });
      const x = engine.tensor(new Float32Array(3 * 2 * 4), [3, 2, 4]);
      rnn.forward(x);
      rnn.backward({});
      rnn.forward(engine.tensor(new Float32Array(5 * 2 * 4), [5, 2, 4])).output.clone().dispose();
      x.dispose();
      rnn.dispose();
    }
    const after = engine.memory();
    // the [5, 2, 4] input above is never disposed: exactly one tensor of 160 bytes per round stays
    expect(after.buffers - before.buffers).toBe(3);
    expect(after.bytes - before.bytes).toBe(3 * 160);
  });
});

describe('device limits', () => {
  test('a grid beyond maxComputeWorkgroupsPerDimension is a DEVICE_LIMIT error that frees what it built', () => {
    const before = engine.memory();
    const rnn = new Recurrent(engine, { mode: 'RNN_TANH', input_size: 1, hidden_size: 1 });
    const B = 4 * engine.limits.maxComputeWorkgroupsPerDimension + 4; // step grid y = ceil(B / 4)
    const x = engine.tensor(new Float32Array(B), [1, B, 1]);
    expect(() => rnn.forward(x)).toThrow(/maxComputeWorkgroupsPerDimension/);
    expect(code(() => rnn.forward(x))).toBe('DEVICE_LIMIT');
    x.dispose();
    rnn.dispose();
    expect(engine.memory()).toEqual(before);
  });

  test('a buffer beyond maxStorageBufferBindingSize is a DEVICE_LIMIT error naming the limit', () => {
    const before = engine.memory();
    const lim = engine.device.limits.maxStorageBufferBindingSize;
    // gx is (T, B, 4H) floats: pick T so that it alone exceeds the limit, with a tiny input.
    const H = 256;
    const T = Math.ceil(lim / (4 * H * 4)) + 1;
    const rnn = new Recurrent(engine, { mode: 'LSTM', input_size: 1, hidden_size: H });
    const x = engine.tensor(new Float32Array(T), [T, 1, 1]);
    expect(() => rnn.forward(x)).toThrow(/maxStorageBufferBindingSize/);
    x.dispose();
    rnn.dispose();
    expect(engine.memory()).toEqual(before);
  });
});

describe('kernels', () => {
  test('every shader in shaders/ compiles without errors or warnings on this adapter', async () => {
    const { kernels } = await import('../src/gpu/kernel-table.js');
    const { kernelCode } = await import('../src/gpu/kernel.js');
    const names = Object.keys(kernels) as (keyof typeof kernels)[];
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) {
      const m = engine.device.createShaderModule({ code: kernelCode(kernels[name])! });
      const info = await m.getCompilationInfo();
      // lines of the built code (includes resolved, comments stripped), not of shaders/<name>.wgsl
      const msgs = info.messages.filter((x) => x.type !== 'info').map((x) => `${name} (built code) line ${x.lineNum}: ${x.message}\n${kernelCode(kernels[name])!.split('\n')[x.lineNum - 1]}`);
      expect(msgs).toEqual([]);
      // and the registry builds its layouts (from the build-time tables) and pipeline in a clean error scope
      engine.device.pushErrorScope('validation');
      engine.kernel(kernels[name]).pipeline();
      expect(await engine.device.popErrorScope(), name).toBeNull();
    }
  });
});
