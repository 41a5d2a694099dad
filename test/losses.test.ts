// Losses (CrossEntropyLoss, BCEWithLogitsLoss, MSELoss): the float64 references against central finite
// differences, the GPU against the references (seeded random cases: odd sizes, C = 1..300 across both
// cross-entropy kernels, masks per row and per element, ignore_index, both reductions, sizes that need
// two reduction levels), the GPU against PyTorch fixtures (test/fixtures-layers), determinism,
// validation before any GPU work, and memory released by dispose().
//
// Tolerances: GPU loss ≤ 2e-5·|ref loss|, GPU gradient ≤ 1e-4·max|ref gradient|; references vs finite
// differences 1e-7 relative (h = 1e-6, float64); references vs PyTorch 1e-6. Every GPU check runs
// inside validation and out-of-memory error scopes and fails on any error.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, sequenceMask, type LossResult } from '../src/index.js';
import { parseSafetensors, toFloat32, toFloat64 } from '../src/formats/safetensors.js';
import { Rng } from '../src/random.js';
import { refBceWithLogits, refCrossEntropy, refMse, type RefLoss } from './reference/losses.js';
import { code, engine, expectCloseLoggingWorst, f32, numericGrad, scoped, TOL_FORWARD, TOL_GRAD, useEngine } from './helpers/gpu-test.js';

const TOL_FD = 1e-7;
const TOL_TORCH_REF = 1e-6;

useEngine();
const expectClose = expectCloseLoggingWorst('losses');

async function expectLoss(name: string, r: LossResult, ref: RefLoss, kind: string): Promise<void> {
  expect(r.loss.shape).toEqual([]);
  expectClose(`${name} loss`, await r.loss.read(), [ref.loss], TOL_FORWARD, `${kind} loss`);
  expectClose(`${name} grad_input`, await r.grad_input.read(), ref.grad_input, TOL_GRAD, `${kind} grad`);
}

describe('float64 references vs finite differences', () => {
  const rng = new Rng(5);
  test('cross-entropy: mean/sum, ignore_index, mask', () => {
    const N = 6;
    const C = 5;
    const x = rng.uniformArray(N * C, -3, 3);
    const targets = [0, 4, -100, 2, 2, 1];
    const mask = [1, 1, 1, 0, 1, 1];
    for (const reduction of ['mean', 'sum'] as const) {
      for (const m of [undefined, mask]) {
        const opts = { reduction, mask: m };
        const r = refCrossEntropy(x, targets, C, opts);
        expectClose(`ce ${reduction}`, r.grad_input, numericGrad(x, () => refCrossEntropy(x, targets, C, opts).loss), TOL_FD);
      }
    }
    // a custom ignore_index that is a valid class
    // a custom ignore_index that is a valid class: rows 0, 1, 4 drop out, the mean is over rows 2, 3, 5
    const r = refCrossEntropy(x, [3, 3, 1, 0, 3, 2], C, { ignore_index: 3 });
    const row = (n: number, t: number) => refCrossEntropy(x.subarray(n * C, (n + 1) * C), [t], C).loss;
    expect(r.loss).toBeCloseTo((row(2, 1) + row(3, 0) + row(5, 2)) / 3, 12);
  });

  test('BCE with logits and MSE: mean/sum, per-row and per-element masks, extreme logits', () => {
    const x = rng.uniformArray(12, -4, 4);
    x[0] = 35;
    x[1] = -35;
    const y = rng.uniformArray(12, 0, 1);
    for (const reduction of ['mean', 'sum'] as const) {
      for (const mask of [undefined, [1, 0, 1, 1], [1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 1, 1]]) {
        const opts = { reduction, mask };
        for (const [name, f] of [['bce', refBceWithLogits], ['mse', refMse]] as const) {
          const r = f(x, y, 3, opts);
          expectClose(`${name} ${reduction} mask ${mask?.length}`, r.grad_input, numericGrad(x, () => f(x, y, 3, opts).loss), TOL_FD);
        }
      }
    }
    // the stable form stays finite where the naive one overflows
    expect(refBceWithLogits(Float64Array.of(800, -800), Float64Array.of(0, 1), 2, { reduction: 'sum' }).loss).toBeCloseTo(1600, 9);
  });
});

describe('CrossEntropyLoss on the GPU vs the float64 reference', () => {
  interface CeCase {
    N: number;
    C: number;
    reduction: 'mean' | 'sum';
    ignore?: number;
    mask?: boolean;
    scale?: number;
  }
  const cases: CeCase[] = [];
  let k = 0;
  for (const C of [1, 2, 3, 31, 32, 33, 67, 300]) {
    for (const N of [1, 3, 67, 130]) {
      cases.push({ N, C, reduction: k % 2 ? 'sum' : 'mean', ignore: k % 3 === 0 ? 0.15 : undefined, mask: k % 4 === 1, scale: k % 5 === 0 ? 20 : 3 });
      k++;
    }
  }
  cases.push({ N: 5000, C: 7, reduction: 'mean', ignore: 0.1, mask: true, scale: 3 }); // two reduction levels
  cases.push({ N: 4097, C: 40, reduction: 'sum', scale: 3 });
  let ce: CrossEntropyLoss;
  const variants: Record<'row' | 'workgroup', CrossEntropyLoss> = {} as never;
  beforeAll(() => {
    ce = new CrossEntropyLoss(engine);
    variants.row = new CrossEntropyLoss(engine, { variant: 'row' });
    variants.workgroup = new CrossEntropyLoss(engine, { variant: 'workgroup' });
  });
  afterAll(() => [ce, variants.row, variants.workgroup].forEach((l) => l.dispose()));
  for (const c of cases) {
    test(`N ${c.N}, C ${c.C}, ${c.reduction}${c.ignore ? ', ignore_index rows' : ''}${c.mask ? ', row mask' : ''}, logits ±${c.scale}; both kernels`, async () => {
      const rng = new Rng(c.N * 1000 + c.C);
      const x = rng.uniformArray(c.N * c.C, -c.scale!, c.scale!);
      const targets = Array.from({ length: c.N }, () => (c.ignore && rng.next() < c.ignore ? -100 : rng.int(0, c.C - 1)));
      const mask = c.mask ? Array.from({ length: c.N }, () => (rng.next() < 0.7 ? 1 : 0)) : undefined;
      const x32 = f32(x);
      const ref = refCrossEntropy(Float64Array.from(x32), targets, c.C, { reduction: c.reduction, mask });
      await scoped(async () => {
        const xt = engine.tensor(x32, [c.N, c.C]);
        for (const [name, l] of Object.entries(variants)) {
          await expectLoss(`ce ${name}`, l.forward(xt, Int32Array.from(targets), { reduction: c.reduction, mask }), ref, `ce ${name}`);
        }
        xt.dispose();
      });
    });
  }

  test('(T, B, C) logits with a sequence mask from lengths, time-major and batch-first', async () => {
    const T = 5;
    const B = 3;
    const C = 11;
    const lengths = [5, 2, 3];
    const rng = new Rng(8);
    const x = f32(rng.uniformArray(T * B * C, -2, 2));
    const targets = Int32Array.from({ length: T * B }, () => rng.int(0, C - 1));
    await scoped(async () => {
      for (const batch_first of [false, true]) {
        const mask = sequenceMask(lengths, T, { batch_first });
        const ref = refCrossEntropy(Float64Array.from(x), targets, C, { mask });
        const xt = engine.tensor(x, batch_first ? [B, T, C] : [T, B, C]);
        for (const [name, l] of Object.entries(variants)) {
          const r = l.forward(xt, targets, { mask });
          expect(r.grad_input.shape).toEqual(xt.shape);
          await expectLoss(`masked ce ${name}`, r, ref, `ce ${name}`);
          // padded steps: exactly zero gradient
          const g = await r.grad_input.read();
          for (let row = 0; row < T * B; row++) if (!mask[row]) for (let c = 0; c < C; c++) expect(g[row * C + c]).toBe(0);
        }
        xt.dispose();
      }
    });
  });

  test('custom ignore_index; every row ignored gives loss 0 and zero gradient (PyTorch: NaN)', async () => {
    const x = engine.tensor(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
    await scoped(async () => {
      const ref = refCrossEntropy(Float64Array.from([1, 2, 3, 4, 5, 6]), [2, 1], 3, { ignore_index: 2 });
      await expectLoss('ignore 2', ce.forward(x, [2, 1], { ignore_index: 2 }), ref, 'ce');
      const r = ce.forward(x, [-100, -100]);
      expect([...(await r.loss.read())]).toEqual([0]);
      expect([...(await r.grad_input.read())]).toEqual([0, 0, 0, 0, 0, 0]);
    });
    x.dispose();
  });

  test('masked and ignored rows may hold garbage (inf, NaN): their loss and gradient are still 0', async () => {
    const v = [1, 2, 3, Infinity, NaN, -Infinity, 0.5, -0.5, 0];
    const x = engine.tensor(Float32Array.from(v), [3, 3]);
    await scoped(async () => {
      for (const [targets, mask] of [[[0, 1, 2], [1, 0, 1]], [[0, -100, 2], undefined]] as const) {
        const ref = refCrossEntropy(Float64Array.from([1, 2, 3, 0, 0, 0, 0.5, -0.5, 0]), [0, 1, 2], 3, { mask: [1, 0, 1] });
        for (const [name, l] of Object.entries(variants)) await expectLoss(`garbage rows ${name}`, l.forward(x, targets, { mask }), ref, `ce ${name}`);
      }
    });
    x.dispose();
  });
});

describe('BCEWithLogitsLoss and MSELoss on the GPU vs the float64 reference', () => {
  let bce: BCEWithLogitsLoss;
  let mse: MSELoss;
  beforeAll(() => {
    bce = new BCEWithLogitsLoss(engine);
    mse = new MSELoss(engine);
  });
  afterAll(() => {
    bce.dispose();
    mse.dispose();
  });
  const shapes: number[][] = [[1], [3], [67], [7, 9], [4, 5, 3], [4097], [70001], [130, 7, 3]];
  let k = 0;
  for (const shape of shapes) {
    for (const kind of ['bce', 'mse'] as const) {
      const reduction = k % 2 ? 'sum' : 'mean';
      const maskKind = (['none', 'row', 'element'] as const)[k % 3];
      const targetKind = k % 4 < 2 ? 'tensor' : 'array';
      k++;
      test(`${kind} [${shape}] ${reduction}, mask ${maskKind}, target ${targetKind}`, async () => {
        const rng = new Rng(k * 7919);
        const n = shape.reduce((a, b) => a * b, 1);
        const F = shape[shape.length - 1];
        const x = f32(rng.uniformArray(n, -6, 6));
        if (n > 3) [x[0], x[1], x[2]] = [40, -40, 88];
        const y = f32(kind === 'bce' ? rng.uniformArray(n, 0, 1) : rng.uniformArray(n, -2, 2));
        const mask =
          maskKind === 'none' ? undefined : Uint8Array.from({ length: maskKind === 'row' ? n / F : n }, () => (rng.next() < 0.6 ? 1 : 0));
        const opts = { reduction, mask } as const;
        const ref = (kind === 'bce' ? refBceWithLogits : refMse)(Float64Array.from(x), Float64Array.from(y), F, opts);
        await scoped(async () => {
          const xt = engine.tensor(x, shape);
          const yt = targetKind === 'tensor' ? engine.tensor(y, shape) : undefined;
          await expectLoss(kind, (kind === 'bce' ? bce : mse).forward(xt, yt ?? y, opts), ref, kind);
          xt.dispose();
          yt?.dispose();
        });
      });
    }
  }
});

const FIXTURES = fileURLToPath(new URL('./fixtures-layers', import.meta.url));

describe('GPU and float64 reference vs PyTorch fixtures (F.cross_entropy, F.binary_cross_entropy_with_logits, F.mse_loss)', () => {
  const files = readdirSync(FIXTURES).filter((f) => /^(cross_entropy|bce|mse)_.*\.safetensors$/.test(f)).sort();
  test('has fixtures', () => expect(files.length).toBeGreaterThanOrEqual(10));
  let ce: CrossEntropyLoss;
  let bce: BCEWithLogitsLoss;
  let mse: MSELoss;
  beforeAll(() => {
    [ce, bce, mse] = [new CrossEntropyLoss(engine), new BCEWithLogitsLoss(engine), new MSELoss(engine)];
  });
  afterAll(() => [ce, bce, mse].forEach((l) => l.dispose()));
  for (const file of files) {
    test(file, async () => {
      const f = parseSafetensors(new Uint8Array(readFileSync(join(FIXTURES, file))), { source: file });
      const cfg = JSON.parse(f.metadata.case) as { kind: string; reduction: 'mean' | 'sum'; ignore_index?: number };
      const t = f.tensors;
      const want = { loss: toFloat64(t.get('expected.loss')!)[0], grad_input: toFloat64(t.get('expected.grad.input')!) };
      const maskT = t.get('mask');
      const mask = maskT ? (maskT.data as Uint8Array) : undefined;
      let ref: RefLoss;
      let got: LossResult;
      await scoped(async () => {
        if (cfg.kind === 'cross_entropy') {
          const logits = t.get('logits')!;
          const targets = Array.from(t.get('targets')!.data as BigInt64Array, Number);
          const C = logits.shape[logits.shape.length - 1];
          const opts = { reduction: cfg.reduction, ignore_index: cfg.ignore_index, mask };
          ref = refCrossEntropy(toFloat64(logits), targets, C, opts);
          got = ce.forward(engine.tensor(toFloat32(logits), logits.shape), targets, opts);
        } else {
          const x = t.get('input')!;
          const y = t.get('target')!;
          const opts = { reduction: cfg.reduction, mask };
          ref = (cfg.kind === 'bce' ? refBceWithLogits : refMse)(toFloat64(x), toFloat64(y), x.shape[x.shape.length - 1], opts);
          got = (cfg.kind === 'bce' ? bce : mse).forward(engine.tensor(toFloat32(x), x.shape), engine.tensor(toFloat32(y), y.shape), opts);
        }
        expectClose('ref loss', [ref.loss], [want.loss], TOL_TORCH_REF);
        expectClose('ref grad.input', ref.grad_input, want.grad_input, TOL_TORCH_REF);
        await expectLoss('gpu', got, want, 'torch');
      });
    });
  }
});

describe('determinism', () => {
  test('loss values and gradients are bit-identical across runs', async () => {
    const rng = new Rng(99);
    const ce = new CrossEntropyLoss(engine, { variant: 'row' });
    const ceWg = new CrossEntropyLoss(engine, { variant: 'workgroup' });
    const mse = new MSELoss(engine);
    const logits = engine.tensor(Float32Array.from(rng.uniformArray(5000 * 40, -4, 4)), [5000, 40]);
    const targets = Int32Array.from({ length: 5000 }, () => rng.int(0, 39));
    const x = engine.tensor(Float32Array.from(rng.uniformArray(70001)), [70001]);
    const y = engine.tensor(Float32Array.from(rng.uniformArray(70001)), [70001]);
    const run = async () => {
      const a = ce.forward(logits, targets);
      const out = [await a.loss.read(), await a.grad_input.read()];
      const w = ceWg.forward(logits, targets);
      out.push(await w.loss.read(), await w.grad_input.read());
      const b = mse.forward(x, y);
      return [...out, await b.loss.read(), await b.grad_input.read()];
    };
    await scoped(async () => {
      const a = await run();
      const b = await run();
      a.forEach((v, i) => expect(Buffer.from(v.buffer).equals(Buffer.from(b[i].buffer))).toBe(true));
    });
    for (const o of [ce, ceWg, mse, logits, x, y]) o.dispose();
  });
});

describe('validation before any GPU work', () => {
  test('bad targets, masks, shapes and options throw the right WebRnnError; nothing is allocated', async () => {
    const ce = new CrossEntropyLoss(engine);
    const bce = new BCEWithLogitsLoss(engine);
    const x = engine.tensor(new Float32Array(6), [2, 3]);
    const wrong = engine.tensor(new Float32Array(6), [3, 2]);
    const before = engine.memory();
    expect(code(() => ce.forward(x, [0, 3]))).toBe('BAD_VALUE');
    expect(() => ce.forward(x, [0, 3])).toThrow(/target at row \[1\] \(index 1\) is 3, outside \[0, 3\)/);
    expect(code(() => ce.forward(x, [0, -1]))).toBe('BAD_VALUE');
    expect(code(() => ce.forward(x, [0, 1.5]))).toBe('BAD_VALUE');
    expect(code(() => ce.forward(x, [0, 1, 2]))).toBe('BAD_SHAPE');
    expect(code(() => ce.forward(x, [0, 1], { mask: [1, 0, 1] }))).toBe('BAD_SHAPE');
    expect(code(() => ce.forward(x, [0, 1], { mask: [1, 2] }))).toBe('BAD_VALUE');
    expect(code(() => ce.forward(x, [0, 1], { reduction: 'none' as never }))).toBe('BAD_VALUE');
    expect(code(() => ce.forward(x, [0, 1], { weight: [1, 2] } as never))).toBe('BAD_VALUE');
    expect(code(() => ce.forward(engine.empty([]), []))).toBe('BAD_SHAPE');
    expect(code(() => bce.forward(x, wrong))).toBe('BAD_SHAPE');
    expect(code(() => bce.forward(x, [1, 2, 3]))).toBe('BAD_SHAPE');
    expect(code(() => bce.forward(x, new Float32Array(6), { mask: [1, 1, 1] }))).toBe('BAD_SHAPE');
    expect(code(() => bce.forward(x, 'y' as never))).toBe('BAD_VALUE');
    expect(code(() => sequenceMask([3, 4], 3))).toBe('BAD_LENGTHS');
    expect(code(() => new CrossEntropyLoss(engine, { variant: 'fast' as never }))).toBe('BAD_CONFIG');
    expect(engine.memory().buffers).toBe(before.buffers + 1); // only the engine.empty([]) made above
    wrong.dispose();
    expect(code(() => bce.forward(x, wrong))).toBe('DISPOSED');
    ce.dispose();
    expect(code(() => ce.forward(x, [0, 1]))).toBe('DISPOSED');
    bce.dispose();
    x.dispose();
  });

  test('sequenceMask layouts', () => {
    expect([...sequenceMask([3, 1], 3)]).toEqual([1, 1, 1, 0, 1, 0]);
    expect([...sequenceMask([3, 1], 3, { batch_first: true })]).toEqual([1, 1, 1, 1, 0, 0]);
    expect([...sequenceMask([0, 2], 2)]).toEqual([0, 1, 0, 1]);
  });
});

describe('memory', () => {
  test('dispose returns engine.memory() to its previous value', async () => {
    const x = engine.tensor(new Float32Array(70001), [70001]);
    const l = engine.tensor(new Float32Array(5000 * 3), [5000, 3]);
    const before = engine.memory();
    for (let i = 0; i < 2; i++) {
      const ce = new CrossEntropyLoss(engine);
      const bce = new BCEWithLogitsLoss(engine);
      const mse = new MSELoss(engine);
      ce.forward(l, new Int32Array(5000));
      await ce.forward(engine.tensor(new Float32Array(40), [4, 10]), [1, 2, 3, 4]).loss.read();
      bce.forward(x, x, { mask: new Uint8Array(70001) });
      mse.forward(x, new Float32Array(70001));
      mse.forward(l, l);
      for (const o of [ce, bce, mse]) o.dispose();
    }
    // the two [4, 10] inputs made above are never disposed: exactly two 160-byte tensors stay
    expect(engine.memory().buffers - before.buffers).toBe(2);
    expect(engine.memory().bytes - before.bytes).toBe(2 * 160);
    x.dispose();
    l.dispose();
  });
});
