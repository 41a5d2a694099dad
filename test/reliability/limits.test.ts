// Device limits: a workload beyond one storage binding is either split (Dense: over chunks of rows,
// each bound as a window of the same buffer) or a DEVICE_LIMIT error naming the limit and the numbers,
// with nothing leaked and no GPU error. The limits are lowered with createEngine({ limits }) so the
// paths run at small sizes.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  Adam,
  createEngine,
  Recurrent,
  CrossEntropyLoss,
  Dense,
  Embedding,
  MSELoss,
  OneHot,
  RowGather,
  WebRnnError,
  type Engine,
} from '../../src/index.js';
import { denseChunks } from '../../src/layers/dense.js';
import { Rng } from '../../src/random.js';
import { watchGpu } from './gpu-watch.js';

const LIMIT = 64 * 1024; // bytes one storage binding may cover on the lowered engine

let small: Engine; // lowered limits
let full: Engine; // the device's own limits
beforeAll(async () => {
  small = await createEngine({ limits: { maxStorageBufferBindingSize: LIMIT, maxBufferSize: 4 * 1024 * 1024 } });
  full = await createEngine();
});
afterAll(() => {
  small?.dispose();
  full?.dispose();
});

/** dW = dYᵀ·X, db = Σ dY and dX = dY·W in float64. */
function refDenseBackward(x: Float32Array, dy: Float32Array, w: Float32Array, rows: number, I: number, O: number) {
  const dW = new Float64Array(O * I);
  const db = new Float64Array(O);
  const dx = new Float64Array(rows * I);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < O; o++) {
      const g = dy[r * O + o];
      db[o] += g;
      for (let i = 0; i < I; i++) {
        dW[o * I + i] += g * x[r * I + i];
        dx[r * I + i] += g * w[o * I + i];
      }
    }
  }
  return { dW, db, dx };
}

function close(name: string, got: Float32Array, want: Float64Array, rtol: number): void {
  const scale = Math.max(1e-30, ...want.map(Math.abs));
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= rtol * scale)) throw new Error(`${name}[${i}]: got ${got[i]}, want ${want[i]} (tolerance ${rtol * scale})`);
  }
}

describe('engine limits', () => {
  test('lowered limits are checked and capped at the device', async () => {
    expect(small.limits.maxStorageBufferBindingSize).toBe(LIMIT);
    expect(small.limits.maxBufferSize).toBe(4 * 1024 * 1024);
    const e = await createEngine({ limits: { maxBufferSize: Number.MAX_SAFE_INTEGER } });
    expect(e.limits.maxBufferSize).toBe(e.device.limits.maxBufferSize);
    e.dispose();
    for (const limits of [{ maxBufferSize: 'big' }, { maxStorageBufferBindingSize: 10 }, { maxWorkgroups: 4 }]) {
      const err = await createEngine({ limits: limits as never }).catch((x: unknown) => x);
      expect(err).toBeInstanceOf(WebRnnError);
      expect((err as WebRnnError).code).toBe('BAD_CONFIG');
    }
  });

  test('a tensor beyond maxBufferSize is DEVICE_LIMIT naming the limit and the numbers', () => {
    expect(() => small.empty([2 * 1024 * 1024])).toThrow(/8388608 bytes.*maxBufferSize = 4194304/);
    // tensors are only copied, so one larger than a binding is fine
    const t = small.empty([LIMIT]); // 4·LIMIT bytes
    expect(t.size).toBe(LIMIT);
    t.dispose();
  });
});

describe('Dense splits rows that exceed one binding', () => {
  test('forward and backward over row chunks match the unsplit layer (and float64)', async () => {
    const I = 16;
    const O = 24;
    const rows = 3000; // y is 288 000 bytes: 5 windows of 640 rows under a 64 KiB binding
    expect(rows * O * 4).toBeGreaterThan(LIMIT);
    const chunks = denseChunks(small, rows, I, O);
    expect(chunks.length).toBe(5);
    expect(chunks.every((c) => c.n * O * 4 <= LIMIT && (c.r0 * 4 * Math.min(I, O)) % small.limits.minStorageBufferOffsetAlignment === 0)).toBe(true);
    expect(denseChunks(full, rows, I, O).length).toBe(1);

    const rng = new Rng(7);
    const x = Float32Array.from({ length: rows * I }, () => rng.uniform(-1, 1));
    const dy = Float32Array.from({ length: rows * O }, () => rng.uniform(-1, 1));
    const results: Record<string, Float32Array>[] = [];
    let weight: Float32Array | undefined;
    for (const e of [small, full]) {
      const before = e.memory();
      const w = await watchGpu(e, async () => {
        const dense = new Dense(e, { in_features: I, out_features: O }, { seed: 3 });
        const y = await dense.forward(e.tensor(x, [rows, I])).read();
        const gy = e.tensor(dy, [rows, O]);
        const g = dense.backward(gy);
        const first = { y, dx: await g.grad_input.read(), dW: await g.grads.weight.read(), db: await g.grads.bias!.read() };
        // accumulate: the chunks add into what the first call left
        const g2 = dense.backward(gy, { accumulate: true });
        results.push({ ...first, dW2: await g2.grads.weight.read(), db2: await g2.grads.bias!.read() });
        weight = (await dense.stateDict()).weight;
        gy.dispose();
        dense.dispose();
      });
      expect(w.thrown).toBeUndefined();
      expect(w.gpuErrors).toEqual([]);
      // the input tensor made inside is the one buffer left
      expect(e.memory().buffers - before.buffers).toBe(1);
    }
    const [split, whole] = results;
    // y and dX: each row is computed the same way in both: identical bits
    expect(Buffer.from(split.y.buffer).equals(Buffer.from(whole.y.buffer))).toBe(true);
    expect(Buffer.from(split.dx.buffer).equals(Buffer.from(whole.dx.buffer))).toBe(true);
    // dW and db are summed over the chunks in turn: equal up to rounding, and right in float64
    const ref = refDenseBackward(x, dy, weight!, rows, I, O);
    close('dW', split.dW, ref.dW, 1e-5);
    close('db', split.db, ref.db, 1e-5);
    close('dx', split.dx, ref.dx, 1e-5);
    close('dW (accumulated)', split.dW2, ref.dW.map((v) => 2 * v), 1e-5);
    close('db (accumulated)', split.db2, ref.db.map((v) => 2 * v), 1e-5);
  });

  test('a row too wide for the aligned windows, or weights beyond a binding, are DEVICE_LIMIT errors', () => {
    const before = small.memory();
    const d = new Dense(small, { in_features: 1, out_features: 300 });
    const x = small.tensor(new Float32Array(1000), [1000, 1]); // y (1000, 300) needs windows of 64 rows × 1200 bytes
    expect(() => d.forward(x)).toThrow(/Dense: 64 rows of 300 floats \(76800 bytes\) exceed one storage binding \(maxStorageBufferBindingSize = 65536\)/);
    expect(() => new Dense(small, { in_features: 300, out_features: 300 })).toThrow(/Dense:params needs 361200 bytes.*maxStorageBufferBindingSize = 65536/);
    // still usable at a size that fits
    const fits = small.tensor(new Float32Array(10), [10, 1]);
    expect(d.forward(fits).shape).toEqual([10, 300]);
    d.dispose();
    x.dispose();
    fits.dispose();
    expect(small.memory()).toEqual(before);
  }, 60_000);
});

describe('a failed re-plan', () => {
  test('leaves the layer consistent: backward is BAD_STATE (not a crash), a fitting shape works again', async () => {
    const rnn = new Recurrent(small, { mode: 'GRU', input_size: 1, hidden_size: 32 });
    const fits = small.empty([4, 2, 1]);
    const tooBig = small.empty([200, 10, 1]);
    rnn.forward(fits);
    const w = await watchGpu(small, () => rnn.forward(tooBig));
    expect((w.thrown as WebRnnError).code).toBe('DEVICE_LIMIT');
    expect(() => rnn.backward({})).toThrow(expect.objectContaining({ code: 'BAD_STATE' }));
    rnn.forward(fits);
    expect(rnn.backward({}).grad_input.shape).toEqual([4, 2, 1]);
    for (const d of [rnn, fits, tooBig]) d.dispose();
  });
});

describe('workloads that cannot be split are DEVICE_LIMIT errors naming the limit, leaking nothing', () => {
  test('embedding, one-hot, row gather, losses, optimizer blocks, recurrent workspaces', async () => {
    const before = small.memory();
    const emb = new Embedding(small, { num_embeddings: 5, embedding_dim: 64 });
    const oh = new OneHot(small, { num_classes: 500 });
    const pick = new RowGather(small);
    const ce = new CrossEntropyLoss(small);
    const mse = new MSELoss(small);
    const rnn = new Recurrent(small, { mode: 'LSTM', input_size: 1, hidden_size: 32 });
    const seq = small.empty([20, 10, 1]);
    const big = small.empty([300, 100]); // 120 000 bytes: a tensor may exceed a binding
    const N = 300;
    const cases: [string, () => unknown, RegExp][] = [
      ['embedding (N, E)', () => emb.forward(new Int32Array(N), [N]), /Embedding:y needs 76800 bytes/],
      ['one-hot (N, V)', () => oh.forward(new Int32Array(N), [N]), /OneHot:out needs 600000 bytes/],
      ['row gather table', () => pick.forward(big, [0, 1]), /RowGather:table needs 120000 bytes/],
      ['cross-entropy logits', () => ce.forward(big, new Int32Array(300)), /CrossEntropyLoss:logits needs 120000 bytes/],
      ['mse input', () => mse.forward(big, big), /mse:x needs 120000 bytes/],
      ['recurrent gates (T, B, 4H)', () => rnn.forward(seq), /LSTM:gx0 needs 102400 bytes/],
    ];
    for (const [name, fn, msg] of cases) {
      const w = await watchGpu(small, fn);
      expect(w.thrown, name).toBeInstanceOf(WebRnnError);
      expect((w.thrown as WebRnnError).code, name).toBe('DEVICE_LIMIT');
      expect((w.thrown as WebRnnError).message, name).toMatch(msg);
      expect((w.thrown as WebRnnError).message, name).toMatch(/maxStorageBufferBindingSize = 65536/);
      expect(w.gpuErrors, name).toEqual([]);
    }
    // Parameters: a layer's are one binding (65 536 bytes fit; 65 792 do not) ...
    const fits = new Embedding(small, { num_embeddings: 256, embedding_dim: 64 });
    new Adam(small, [fits.store]).dispose();
    expect(() => new Embedding(small, { num_embeddings: 257, embedding_dim: 64 })).toThrow(/Embedding:params needs 65792 bytes.*maxStorageBufferBindingSize = 65536/);
    // ... and an optimizer handed a bigger block of its own making fails at the binding, by name
    const n = LIMIT / 2; // floats: 2 bindings' worth
    const params = small.createBuffer(n * 4, 'custom:params', undefined, { windowed: true });
    const grads = small.createBuffer(n * 4, 'custom:grads', undefined, { windowed: true });
    const w = await watchGpu(small, () => new Adam(small, [{ params, grads, parameterCount: n, specs: [{ name: 'w', shape: [n] }] }]));
    expect((w.thrown as WebRnnError).code).toBe('DEVICE_LIMIT');
    expect((w.thrown as WebRnnError).message).toMatch(/binding grads covers 131072 bytes.*maxStorageBufferBindingSize = 65536/);
    expect(w.gpuErrors).toEqual([]);
    small.releaseBuffer(params);
    small.releaseBuffer(grads);
    for (const d of [emb, oh, pick, ce, mse, rnn, seq, big, fits]) d.dispose();
    expect(small.memory()).toEqual(before);
  });
});
