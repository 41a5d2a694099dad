// Tensor dtypes: float32 (the default), int32 and uint32 (token ids on the GPU). The reference is the
// CPU data itself: every dtype is 4 bytes, so a round trip must give back exactly the values written
// (tolerance 0, also for float32). Refusals are typed WebRnnErrors raised before any GPU work.
import { describe, expect, expectTypeOf, test } from 'vitest';
import { CrossEntropyLoss, Dense, Embedding, OneHot, Recurrent, Sampler, type Tensor } from '../src/index.js';
import { Rng } from '../src/random.js';
import { expectRejectedBeforeGpu } from './reliability/gpu-watch.js';
import { code, engine, expectClose, scoped, useEngine } from './helpers/gpu-test.js';

useEngine();

describe('Tensor dtype', () => {
  test('engine.tensor infers the dtype from the array, read() returns the matching typed array', async () => {
    await scoped(async () => {
      const f = engine.tensor(Float32Array.of(1.5, -2, 3.25), [3]);
      const a = engine.tensor([1.5, -2, 3.25], [3]);
      const i = engine.tensor(Int32Array.of(-7, 0, 2 ** 31 - 1, -(2 ** 31)), [2, 2]);
      const u = engine.tensor(Uint32Array.of(0, 1, 2 ** 32 - 1), [3]);
      expect([f.dtype, a.dtype, i.dtype, u.dtype]).toEqual(['float32', 'float32', 'int32', 'uint32']);
      const [fr, ar, ir, ur] = await Promise.all([f.read(), a.read(), i.read(), u.read()]);
      expect(fr).toBeInstanceOf(Float32Array);
      expect(ir).toBeInstanceOf(Int32Array);
      expect(ur).toBeInstanceOf(Uint32Array);
      expect([...fr]).toEqual([1.5, -2, 3.25]);
      expect([...ar]).toEqual([1.5, -2, 3.25]);
      expect([...ir]).toEqual([-7, 0, 2 ** 31 - 1, -(2 ** 31)]);
      expect([...ur]).toEqual([0, 1, 2 ** 32 - 1]);
      // The types follow the dtype, so float code compiles unchanged.
      expectTypeOf(f).toEqualTypeOf<Tensor>();
      expectTypeOf(fr).toEqualTypeOf<Float32Array>();
      expectTypeOf(ir).toEqualTypeOf<Int32Array>();
      expectTypeOf(ur).toEqualTypeOf<Uint32Array>();
      for (const t of [f, a, i, u]) t.dispose();
    });
  });

  test('an explicit dtype, empty(shape, dtype); write, view and clone keep the dtype', async () => {
    await scoped(async () => {
      const t = engine.tensor([3, 1, 4, 1, 5, 9], [2, 3], 'uint32');
      expect(t.dtype).toBe('uint32');
      const e = engine.empty([2, 2], 'int32');
      expect(e.dtype).toBe('int32');
      expect([...(await e.read())]).toEqual([0, 0, 0, 0]);
      e.write([-1, 2, -3, 4]);
      expect([...(await e.read())]).toEqual([-1, 2, -3, 4]);
      e.write(Int32Array.of(5, 6, 7, 8));
      expect([...(await e.read())]).toEqual([5, 6, 7, 8]);
      const v = t.view([6]);
      expect(v.dtype).toBe('uint32');
      expect([...(await v.read())]).toEqual([3, 1, 4, 1, 5, 9]);
      const c = t.clone();
      expect(c.dtype).toBe('uint32');
      t.write(Uint32Array.of(0, 0, 0, 0, 0, 0));
      expect([...(await c.read())]).toEqual([3, 1, 4, 1, 5, 9]);
      expect(engine.empty([1]).dtype).toBe('float32');
      for (const x of [t, e, c]) x.dispose();
    });
  });

  test('data that does not fit the dtype, and an unknown dtype, are BAD_VALUE before any GPU work', async () => {
    const u = engine.empty([2], 'uint32');
    const f = engine.empty([2]);
    await expectRejectedBeforeGpu(engine, 'float array as int32', 'BAD_VALUE', () => engine.tensor(new Float32Array(2) as never, [2], 'int32'), /int32 tensor data must be an Int32Array or an array of numbers/);
    await expectRejectedBeforeGpu(engine, 'Int32Array as uint32', 'BAD_VALUE', () => engine.tensor(new Int32Array(2) as never, [2], 'uint32'));
    await expectRejectedBeforeGpu(engine, 'negative uint32', 'BAD_VALUE', () => engine.tensor([1, -1], [2], 'uint32'), /uint32 tensor data\[1\] is -1; expected an integer in \[0, 4294967296\)/);
    await expectRejectedBeforeGpu(engine, 'fractional int32', 'BAD_VALUE', () => engine.tensor([0.5], [1], 'int32'));
    await expectRejectedBeforeGpu(engine, 'int32 overflow', 'BAD_VALUE', () => engine.tensor([2 ** 31], [1], 'int32'));
    await expectRejectedBeforeGpu(engine, 'unknown dtype', 'BAD_VALUE', () => engine.tensor([1], [1], 'float16' as never), /dtype must be one of 'float32', 'int32', 'uint32', got "float16"/);
    await expectRejectedBeforeGpu(engine, 'empty: unknown dtype', 'BAD_VALUE', () => engine.empty([1], 'int8' as never));
    await expectRejectedBeforeGpu(engine, 'write floats into uint32', 'BAD_VALUE', () => u.write(new Float32Array(2) as never));
    await expectRejectedBeforeGpu(engine, 'write ids into float32', 'BAD_VALUE', () => f.write(new Uint32Array(2) as never));
    await expectRejectedBeforeGpu(engine, 'write a fraction into uint32', 'BAD_VALUE', () => u.write([1, 1.5]));
    u.dispose();
    f.dispose();
  });

  test('float-only operations refuse ids and id-consumers refuse floats, before any GPU work', async () => {
    const rnn = new Recurrent(engine, { mode: 'GRU', input_size: 2, hidden_size: 3 });
    const dense = new Dense(engine, { in_features: 2, out_features: 3 });
    const emb = new Embedding(engine, { num_embeddings: 4, embedding_dim: 2 });
    const sampler = new Sampler(engine);
    const ids = engine.tensor(Uint32Array.of(1, 2, 3, 0, 1, 2), [3, 1, 2]);
    const x = engine.tensor(new Float32Array(6), [3, 1, 2]);
    const h0 = engine.empty([1, 1, 3], 'int32');
    await expectRejectedBeforeGpu(engine, 'Recurrent forward: uint32 input', 'BAD_VALUE', () => rnn.forward(ids as never), /must be a float32 tensor, got a uint32 tensor/);
    await expectRejectedBeforeGpu(engine, 'Recurrent forward: int32 h0', 'BAD_VALUE', () => rnn.forward(x, { h0: h0 as never }), /got an int32 tensor/);
    await expectRejectedBeforeGpu(engine, 'Dense forward: uint32 input', 'BAD_VALUE', () => dense.forward(ids as never));
    await expectRejectedBeforeGpu(engine, 'Sampler: uint32 logits', 'BAD_VALUE', () => sampler.sample(ids as never));
    await expectRejectedBeforeGpu(engine, 'Embedding forwardIds: float32', 'BAD_VALUE', () => emb.forwardIds(x as never), /uint32 or int32 tensor of token ids, got a float32 tensor/);
    // The same tensors in the right places work.
    await scoped(async () => {
      const y = emb.forwardIds(ids);
      expect(y.shape).toEqual([3, 1, 2, 2]);
      expect(y.dtype).toBe('float32');
      expect(code(() => rnn.forward(x))).toBeUndefined();
    });
    for (const d of [rnn, dense, emb, sampler, ids, x, h0]) d.dispose();
  });

  test('OneHot reads ids from a uint32 / int32 tensor as from the CPU; ids ≥ V on the GPU (negative int32 ids too) are clamped to V − 1, as Embedding.forwardIds does', async () => {
    await scoped(async () => {
      const V = 5;
      const oh = new OneHot(engine, { num_classes: V });
      const ids = [3, 0, 4, 1, 2, 2];
      const want = new Float32Array(ids.length * V);
      ids.forEach((id, n) => (want[n * V + id] = 1)); // F.one_hot by hand
      const fromCpu = await oh.forward(ids, [3, 2]).read();
      expect([...fromCpu]).toEqual([...want]);
      const u = engine.tensor(Uint32Array.from(ids), [3, 2]);
      const y = oh.forward(u);
      expect(y.shape).toEqual([3, 2, V]);
      expect([...(await y.read())]).toEqual([...want]);
      const i = engine.tensor(Int32Array.of(-1, 5, 2), [3]);
      const z = await oh.forward(i).read();
      expect([...z]).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0]);
      // The CPU path again after the GPU one (the plan serves both).
      expect([...(await oh.forward([4, 0, 1], [3]).read())]).toEqual([0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
      const f = engine.tensor(new Float32Array(2), [2]);
      await expectRejectedBeforeGpu(engine, 'OneHot: float32 ids', 'BAD_VALUE', () => oh.forward(f as never), /OneHot ids must be a uint32 or int32 tensor/);
      for (const d of [oh, u, i, f]) d.dispose();
    });
  });

  // The reference is the CPU-targets path (checked against PyTorch in losses.test.ts) fed the same ids,
  // with out-of-range ids replaced by C − 1 as the GPU path clamps them. Tolerance 1e-6 (relative): the
  // shader's 1 / count may differ from the CPU's in the last bits (WGSL division is within 2.5 ULP).
  test('CrossEntropyLoss with targets on the GPU (uint32 / int32 tensors) equals the CPU-targets path: mean and sum, ignore_index, mask, clamped ids, both variants, N > 256', async () => {
    await scoped(async () => {
      const rng = new Rng(11);
      for (const variant of ['row', 'workgroup'] as const) {
        for (const [N, C] of [[6, 5], [700, 40]]) {
          const ce = new CrossEntropyLoss(engine, { variant });
          const logits = engine.tensor(Float32Array.from({ length: N * C }, () => rng.normal() * 3), [N, C]);
          const ids = Int32Array.from({ length: N }, (_, n) => (n % 7 === 3 ? -100 : n % 11 === 5 ? C + 4 : Math.floor(rng.uniform() * C)));
          const clamped = Array.from(ids, (v) => (v >= C ? C - 1 : v));
          const mask = Array.from({ length: N }, (_, n) => (n % 5 === 1 ? 0 : 1));
          const asU32 = engine.tensor(Uint32Array.from(ids), [N]);
          const asI32 = engine.tensor(ids, [N, 1]);
          const cases = [
            { reduction: 'mean' as const },
            { reduction: 'sum' as const },
            { reduction: 'mean' as const, mask },
            { reduction: 'mean' as const, ignore_index: 2 },
          ];
          for (const opts of cases) {
            const cpuIds = opts.ignore_index === 2 ? clamped.map((v) => (v === -100 ? 0 : v)) : clamped;
            const gpuIds = opts.ignore_index === 2 ? engine.tensor(Int32Array.from(cpuIds), [N]) : asI32;
            const ref = ce.forward(logits, cpuIds, opts);
            const [wantLoss, wantGrad] = [await ref.loss.read(), await ref.grad_input.read()];
            for (const t of opts.ignore_index === 2 ? [gpuIds] : [asI32, asU32]) {
              const got = ce.forward(logits, t, opts);
              const what = `${variant} N=${N} ${JSON.stringify({ ...opts, mask: opts.mask ? 'yes' : undefined })} ${t.dtype}`;
              expectClose(`${what} loss`, await got.loss.read(), wantLoss, 1e-6);
              expectClose(`${what} grad`, await got.grad_input.read(), wantGrad, 1e-6);
            }
            if (gpuIds !== asI32) gpuIds.dispose();
          }
          // Every row ignored: the mean is 0, as on the CPU (no division by zero).
          const none = engine.tensor(new Int32Array(N).fill(-100), [N]);
          expect([...(await ce.forward(logits, none).loss.read())]).toEqual([0]);
          for (const d of [ce, logits, asU32, asI32, none]) d.dispose();
        }
      }
    });
    const ce = new CrossEntropyLoss(engine);
    const logits = engine.tensor(new Float32Array(12), [4, 3]);
    const floats = engine.tensor(new Float32Array(4), [4]);
    const three = engine.tensor(Uint32Array.of(0, 1, 2), [3]);
    const four = engine.tensor(Uint32Array.of(0, 1, 2, 0), [4]);
    await expectRejectedBeforeGpu(engine, 'CE: float32 targets tensor', 'BAD_VALUE', () => ce.forward(logits, floats as never), /CrossEntropyLoss targets must be a uint32 or int32 tensor/);
    await expectRejectedBeforeGpu(engine, 'CE: targets tensor size', 'BAD_SHAPE', () => ce.forward(logits, three), /holds 3 ids, logits \[4, 3\] have 4 rows/);
    await expectRejectedBeforeGpu(engine, 'CE: mask length with GPU targets', 'BAD_SHAPE', () => ce.forward(logits, four, { mask: [1, 0] }));
    await expectRejectedBeforeGpu(engine, 'CE: ignore_index beyond 32 bits', 'BAD_VALUE', () => ce.forward(logits, four, { ignore_index: 2 ** 40 }));
    for (const d of [ce, logits, floats, three, four]) d.dispose();
  });
});
