// Optimizers, gradient clipping, the global gradient norm and LR schedules (src/optim/) on the GPU:
//
// - GPU vs the float64 reference (test/reference/optim.ts), every optimizer and option, 15 steps of random
//   gradients over blocks of 1, 7, 1031 and 5000 floats, weights compared after every step:
//   max |gpu − ref| ≤ 1e-5 · max |ref| (TOL_WEIGHTS); optimizer state after the last step likewise.
// - PyTorch trajectories (test/fixtures-optim, scripts/gen_optim_fixtures.py, torch 1.13 float32):
//   weights after every step within 1e-5 · max |w|, the norm within 1e-6 relative, the lr of each step
//   from our schedules within 1e-12.
// - The global norm vs float64 within 1e-6 relative (TOL_NORM) and bit-identical from run to run.
// - Non-finite gradients: update skipped, weights and state bit-identical; stepChecked names the step.
// - state()/loadState() resumes bit-exactly; dispose() returns engine.memory() to where it was.
// Every GPU check runs inside validation and out-of-memory error scopes and fails on any error.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { WebRnnError } from '../src/errors.js';
import { parseSafetensors, toFloat32, toFloat64, toInt32 } from '../src/formats/safetensors.js';
import { ParameterStore } from '../src/layers/parameter-store.js';
import { Rng } from '../src/random.js';
import { RefAdagrad, RefAdam, RefAdamW, RefSGD, refGradNorm, type RefOptimizer } from './reference/optim.js';
import { Adagrad } from '../src/optim/adagrad.js';
import { Adam, AdamW } from '../src/optim/adam.js';
import { GradNorm } from '../src/optim/grad-norm.js';
import type { Optimizer } from '../src/optim/optimizer.js';
import type { AdagradOptions, AdamOptions, SGDOptions } from '../src/optim/options.js';
import { applySchedule, CosineAnnealingLR, LinearWarmup, StepLR, type LrSchedule } from '../src/optim/schedule.js';
import { SGD } from '../src/optim/sgd.js';
import { code, engine, scoped, TOL_NORM, TOL_WEIGHTS, useEngine } from './helpers/gpu-test.js';

const SIZES = [1, 7, 1031, 5000];

useEngine();

function makeBlocks(sizes: readonly number[], init: (n: number, i: number) => Float32Array): ParameterStore[] {
  return sizes.map((n, i) => {
    const b = new ParameterStore(engine, [{ name: 'w', shape: [n] }], `test block ${i}`);
    b.load({ w: init(n, i) }, 'test block');
    return b;
  });
}

const writeGrads = (blocks: readonly ParameterStore[], grads: readonly Float32Array<ArrayBuffer>[]) =>
  blocks.forEach((b, i) => engine.writeBuffer(b.grads, 0, grads[i]));
const readParams = (blocks: readonly ParameterStore[]) => Promise.all(blocks.map((b) => engine.readBuffer(b.params, 0, b.parameterCount)));
const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** max |got − want| / max |want| over several arrays together, with where the worst one is. */
function relErr(got: readonly Float32Array[], want: readonly ArrayLike<number>[]): { err: number; where: string } {
  let scale = 0;
  for (const w of want) for (let i = 0; i < w.length; i++) scale = Math.max(scale, Math.abs(w[i]));
  let worst = 0;
  let where = '';
  got.forEach((g, b) => {
    const w = want[b];
    if (g.length !== w.length) throw new Error(`block ${b}: ${g.length} values, want ${w.length}`);
    for (let i = 0; i < g.length; i++) {
      const e = Math.abs(g[i] - w[i]);
      if (!(e <= worst)) {
        worst = e;
        where = `block ${b} [${i}]: gpu ${g[i]} ref ${w[i]}`;
      }
    }
  });
  return { err: scale > 0 ? worst / scale : worst, where };
}

type Kind = 'SGD' | 'Adam' | 'AdamW' | 'Adagrad';
type Options = SGDOptions | AdamOptions | AdagradOptions;
type Grid = { reduce?: number; update?: number };

function makeOpt(kind: Kind, blocks: ParameterStore[], options: Options, grid?: Grid): Optimizer {
  if (kind === 'SGD') return new SGD(engine, blocks, options as SGDOptions, grid);
  if (kind === 'Adam') return new Adam(engine, blocks, options as AdamOptions, grid);
  if (kind === 'Adagrad') return new Adagrad(engine, blocks, options as AdagradOptions, grid);
  return new AdamW(engine, blocks, options as AdamOptions, grid);
}

function makeRef(kind: Kind, params: Float64Array[], options: Options): RefOptimizer {
  if (kind === 'SGD') return new RefSGD(params, options as SGDOptions);
  if (kind === 'Adam') return new RefAdam(params, options as AdamOptions);
  if (kind === 'Adagrad') return new RefAdagrad(params, options as AdagradOptions);
  return new RefAdamW(params, options as AdamOptions);
}

function refSlots(ref: RefOptimizer): Record<string, Float64Array[]> {
  if (ref instanceof RefSGD) return { momentum_buffer: ref.momentum_buffer };
  if (ref instanceof RefAdagrad) return { sum: ref.sum };
  const a = ref as RefAdam;
  return { exp_avg: a.exp_avg, exp_avg_sq: a.exp_avg_sq, max_exp_avg_sq: a.max_exp_avg_sq };
}

interface RefCase {
  name: string;
  kind: Kind;
  options: Options;
  schedule?: (lr: number) => LrSchedule;
  grid?: Grid;
}

const REF_CASES: RefCase[] = [
  { name: 'SGD', kind: 'SGD', options: { lr: 0.1 } },
  { name: 'SGD weight_decay', kind: 'SGD', options: { lr: 0.05, weight_decay: 0.1 } },
  { name: 'SGD momentum', kind: 'SGD', options: { lr: 0.05, momentum: 0.9 } },
  { name: 'SGD momentum dampening weight_decay', kind: 'SGD', options: { lr: 0.05, momentum: 0.9, dampening: 0.5, weight_decay: 0.01 } },
  { name: 'SGD nesterov weight_decay', kind: 'SGD', options: { lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 1e-3 } },
  { name: 'SGD momentum clip_norm', kind: 'SGD', options: { lr: 0.1, momentum: 0.8, clip_norm: 20 } },
  { name: 'SGD clip_value', kind: 'SGD', options: { lr: 0.1, clip_value: 0.3 } },
  { name: 'SGD momentum, StepLR', kind: 'SGD', options: { lr: 0.1, momentum: 0.9 }, schedule: (lr) => new StepLR(lr, { step_size: 4, gamma: 0.5 }) },
  { name: 'SGD nesterov, grid-stride loops', kind: 'SGD', options: { lr: 0.05, momentum: 0.9, nesterov: true, clip_norm: 20 }, grid: { reduce: 2, update: 3 } },
  { name: 'Adam', kind: 'Adam', options: { lr: 1e-2 } },
  { name: 'Adam weight_decay amsgrad', kind: 'Adam', options: { lr: 1e-2, weight_decay: 0.1, amsgrad: true } },
  { name: 'Adam clip_norm betas eps', kind: 'Adam', options: { lr: 1e-2, betas: [0.8, 0.99], eps: 1e-6, clip_norm: 20 } },
  { name: 'Adam clip_value + clip_norm', kind: 'Adam', options: { lr: 1e-2, clip_value: 0.5, clip_norm: 15 } },
  { name: 'Adam amsgrad, grid-stride loops', kind: 'Adam', options: { lr: 1e-2, amsgrad: true, clip_value: 0.7 }, grid: { reduce: 1, update: 2 } },
  { name: 'AdamW', kind: 'AdamW', options: { lr: 1e-2 } },
  { name: 'AdamW amsgrad weight_decay clip_norm', kind: 'AdamW', options: { lr: 1e-2, weight_decay: 0.1, amsgrad: true, clip_norm: 20 } },
  { name: 'Adagrad', kind: 'Adagrad', options: { lr: 0.1 } },
  { name: 'Adagrad lr_decay initial_accumulator_value eps', kind: 'Adagrad', options: { lr: 0.1, lr_decay: 0.05, initial_accumulator_value: 0.1, eps: 1e-6 } },
  { name: 'Adagrad clip_value + clip_norm', kind: 'Adagrad', options: { lr: 0.1, clip_value: 0.5, clip_norm: 15 } },
  { name: 'Adagrad clip_norm, grid-stride loops', kind: 'Adagrad', options: { lr: 0.05, lr_decay: 0.01, clip_norm: 20 }, grid: { reduce: 2, update: 3 } },
  { name: 'Adagrad weight_decay clip_value + clip_norm', kind: 'Adagrad', options: { lr: 0.1, lr_decay: 0.02, weight_decay: 0.2, clip_value: 0.5, clip_norm: 15 } },
  {
    name: 'AdamW, warm-up + cosine',
    kind: 'AdamW',
    options: { lr: 2e-2, weight_decay: 0.05 },
    schedule: (lr) => new LinearWarmup(new CosineAnnealingLR(lr, { T_max: 15, eta_min: 1e-4 }), { warmup_steps: 4, start_factor: 0.1 }),
  },
];

describe('optimizers vs the float64 reference', () => {
  const STEPS = 15;
  // gradient scales per step: the global norm of U(−1, 1) over 6039 values is ≈ 45, so clip_norm 15–20
  // clips the large steps and leaves the small ones
  const SCALES = [1, 0.2, 1, 3, 0.1, 1, 1, 0.05, 2, 1, 0.3, 1, 1, 0.5, 1];
  const summary: string[] = [];
  afterAll(() => console.log(`vs float64 reference (max |gpu − ref| / max |w| over all steps; norm relative):\n${summary.join('\n')}`));
  for (const c of REF_CASES) {
    test(c.name, async () => {
      const rng = new Rng(1234);
      const init = SIZES.map((n) => Float32Array.from(rng.uniformArray(n, -1, 1)));
      const blocks = makeBlocks(SIZES, (_, i) => init[i]);
      const ref = makeRef(c.kind, init.map((a) => Float64Array.from(a)), c.options);
      const sched = c.schedule?.(ref.lr);
      let worst = 0;
      let worstNorm = 0;
      await scoped(async () => {
        const opt = makeOpt(c.kind, blocks, c.options, c.grid);
        try {
          for (let s = 0; s < STEPS; s++) {
            if (sched) {
              applySchedule(opt, sched);
              ref.lr = opt.lr;
            }
            const grads = SIZES.map((n) => Float32Array.from(rng.uniformArray(n, -SCALES[s], SCALES[s])));
            writeGrads(blocks, grads);
            const h = opt.step();
            const refNorm = ref.step(grads);
            const norm = await h.readNorm();
            worstNorm = Math.max(worstNorm, Math.abs(norm - refNorm) / refNorm);
            const got = await readParams(blocks);
            const { err, where } = relErr(got, ref.params);
            worst = Math.max(worst, err);
            expect(err, `step ${s + 1}: ${where}`).toBeLessThanOrEqual(TOL_WEIGHTS);
            // the gradients are read, never written
            if (s === 0) expect(bits(await engine.readBuffer(blocks[3].grads, 0, SIZES[3]))).toEqual(bits(grads[3]));
          }
          expect(opt.stepCount).toBe(STEPS);
          expect(worstNorm, 'global norm vs float64').toBeLessThanOrEqual(TOL_NORM);
          const st = await opt.state();
          const want = refSlots(ref);
          for (const [name, arrs] of Object.entries(st.slots)) {
            const { err, where } = relErr(arrs, want[name]);
            expect(err, `state ${name}: ${where}`).toBeLessThanOrEqual(TOL_WEIGHTS);
          }
        } finally {
          opt.dispose();
          blocks.forEach((b) => b.dispose());
        }
      });
      summary.push(`  ${c.name.padEnd(40)} weights ${worst.toExponential(2)}  norm ${worstNorm.toExponential(2)}`);
    });
  }
});

// ---------------------------------------------------------------------------------------------------

const FIXTURES = fileURLToPath(new URL('./fixtures-optim', import.meta.url));
const FIXTURE_CASES = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.safetensors') && f !== 'schedules.safetensors')
  .map((f) => f.slice(0, -'.safetensors'.length))
  .sort();

function scheduleFrom(desc: Record<string, number | string>, lr: number): LrSchedule | undefined {
  if (desc.kind === 'StepLR') return new StepLR(lr, { step_size: desc.step_size as number, gamma: desc.gamma as number });
  if (desc.kind === 'chain') {
    const cos = new CosineAnnealingLR(lr, { T_max: desc.T_max as number, eta_min: desc.eta_min as number });
    return new LinearWarmup(cos, { warmup_steps: desc.warmup_steps as number, start_factor: desc.start_factor as number });
  }
  throw new Error(`unknown schedule ${JSON.stringify(desc)}`);
}

describe('optimizers vs PyTorch 1.13 (test/fixtures-optim)', () => {
  test('has fixtures', () => expect(FIXTURE_CASES.length).toBeGreaterThanOrEqual(21));
  const summary: string[] = [];
  afterAll(() => console.log(`vs PyTorch (max |gpu − torch| / max |w| over all steps):\n${summary.join('\n')}`));
  for (const name of FIXTURE_CASES) {
    test(name, async () => {
      const f = parseSafetensors(new Uint8Array(readFileSync(join(FIXTURES, `${name}.safetensors`))), { copy: true });
      const t = (k: string) => f.tensors.get(k)!;
      const sizes = [...toInt32(t('sizes'))];
      const grads = toFloat32(t('grads'));
      const traj = toFloat32(t('params'));
      const lrs = toFloat64(t('lr'));
      const norms = toFloat32(t('norm'));
      const N = sizes.reduce((a, b) => a + b, 0);
      const S = lrs.length;
      const kind = f.metadata.optimizer as Kind;
      const options = JSON.parse(f.metadata.options) as SGDOptions & AdamOptions & AdagradOptions;
      const sched = f.metadata.schedule === 'none' ? undefined : scheduleFrom(JSON.parse(f.metadata.schedule), options.lr!);
      const split = (flat: Float32Array, row: number) => {
        let o = row * N;
        return sizes.map((n) => flat.slice(o, (o += n)));
      };
      const blocks = makeBlocks(sizes, (_, i) => split(traj, 0)[i]);
      let worst = 0;
      let worstNorm = 0;
      await scoped(async () => {
        const opt = makeOpt(kind, blocks, options);
        try {
          for (let s = 0; s < S; s++) {
            if (sched) applySchedule(opt, sched);
            expect(Math.abs(opt.lr - lrs[s]), `lr of step ${s + 1}`).toBeLessThanOrEqual(1e-12 * options.lr!);
            writeGrads(blocks, split(grads, s));
            const norm = await opt.step().readNorm();
            worstNorm = Math.max(worstNorm, Math.abs(norm - norms[s]) / norms[s]);
            const { err, where } = relErr(await readParams(blocks), split(traj, s + 1));
            worst = Math.max(worst, err);
            expect(err, `step ${s + 1}: ${where}`).toBeLessThanOrEqual(TOL_WEIGHTS);
          }
          expect(worstNorm, 'norm vs torch').toBeLessThanOrEqual(TOL_NORM);
        } finally {
          opt.dispose();
          blocks.forEach((b) => b.dispose());
        }
      });
      summary.push(`  ${name.padEnd(28)} weights ${worst.toExponential(2)}  norm ${worstNorm.toExponential(2)}`);
    });
  }
});

// ---------------------------------------------------------------------------------------------------

describe('global gradient norm', () => {
  for (const [label, clip_value, reduce] of [
    ['plain', undefined, undefined],
    ['with clip_value', 0.8, undefined],
    ['grid-stride (1 workgroup per block)', undefined, 1],
  ] as const) {
    test(`matches float64 within ${TOL_NORM} relative, same bits every run (${label})`, async () => {
      const rng = new Rng(99);
      const sizes = [1, 7, 1031, 70_001, 3];
      const blocks = makeBlocks(sizes, (n) => new Float32Array(n));
      const grads = sizes.map((n) => Float32Array.from(rng.normalArray(n, 0, 1)));
      writeGrads(blocks, grads);
      await scoped(async () => {
        const gn = new GradNorm(engine, blocks, { clip_value }, reduce);
        try {
          const a = await gn.compute().readNorm();
          const b = await gn.compute().readNorm();
          const want = refGradNorm(grads, clip_value).norm;
          expect(Math.abs(a - want) / want).toBeLessThanOrEqual(TOL_NORM);
          expect(bits(Float32Array.of(a))).toEqual(bits(Float32Array.of(b)));
        } finally {
          gn.dispose();
          blocks.forEach((x) => x.dispose());
        }
      });
    });
  }

  test('handles of earlier steps read their own norm; too old ones throw', async () => {
    const blocks = makeBlocks([5], (n) => new Float32Array(n));
    await scoped(async () => {
      const opt = new SGD(engine, blocks, { lr: 0 });
      try {
        const hs = [];
        for (let s = 1; s <= 70; s++) {
          writeGrads(blocks, [new Float32Array(5).fill(s)]);
          hs.push(opt.step());
        }
        // norm of five equal values s is s·√5
        expect(await hs[69].readNorm()).toBeCloseTo(70 * Math.sqrt(5), 4);
        expect(await hs[10].readNorm()).toBeCloseTo(11 * Math.sqrt(5), 4);
        expect(hs[10].step).toBe(11);
        await expect(hs[2].readNorm()).rejects.toThrow(/no longer held/);
      } finally {
        opt.dispose();
        blocks.forEach((x) => x.dispose());
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------------

describe('non-finite gradients', () => {
  const bad: [string, number, Kind, Options][] = [
    ['NaN, Adam amsgrad', NaN, 'Adam', { lr: 1e-2, amsgrad: true }],
    ['+Inf, SGD momentum clip_norm', Infinity, 'SGD', { lr: 0.1, momentum: 0.9, clip_norm: 1 }],
    ['−Inf, AdamW', -Infinity, 'AdamW', { lr: 1e-2 }],
    ['NaN under clip_value (clamp must not hide it), SGD nesterov', NaN, 'SGD', { lr: 0.1, momentum: 0.5, nesterov: true, clip_value: 0.1 }],
    ['overflowing Σg² (finite values), Adam', 3e25, 'Adam', { lr: 1e-2 }],
    ['NaN, Adagrad clip_value', NaN, 'Adagrad', { lr: 0.1, lr_decay: 0.01, clip_value: 0.5 }],
  ];
  for (const [label, value, kind, options] of bad) {
    test(`${label}: update skipped, bits untouched, stepChecked names the step`, async () => {
      const rng = new Rng(7);
      const sizes = [3, 1031, 7];
      const blocks = makeBlocks(sizes, (n) => Float32Array.from(rng.uniformArray(n, -1, 1)));
      const ref = makeRef(kind, (await readParams(blocks)).map((a) => Float64Array.from(a)), options);
      const good = () => sizes.map((n) => Float32Array.from(rng.uniformArray(n, -1, 1)));
      await scoped(async () => {
        const opt = makeOpt(kind, blocks, options);
        try {
          for (let s = 0; s < 3; s++) {
            const g = good();
            writeGrads(blocks, g);
            ref.step(g);
            await opt.stepChecked(s + 1);
          }
          const before = await readParams(blocks);
          const stBefore = await opt.state();
          const g = good();
          g[1][500] = value;
          if (Math.abs(value) > 1e20) g[2][3] = value;
          writeGrads(blocks, g);
          const norm = await opt.step().readNorm();
          expect(Number.isFinite(norm)).toBe(false);
          expect(opt.stepCount).toBe(4);
          const after = await readParams(blocks);
          after.forEach((a, i) => expect(bits(a)).toEqual(bits(before[i])));
          const stAfter = await opt.state();
          for (const k of Object.keys(stBefore.slots)) stAfter.slots[k].forEach((a, i) => expect(bits(a)).toEqual(bits(stBefore.slots[k][i])));
          // stepChecked: same skip, an error naming the step, stepCount rolled back
          opt.loadState(stBefore);
          const err = await opt.stepChecked(4).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(err).toBeInstanceOf(WebRnnError);
          expect((err as WebRnnError).code).toBe('BAD_VALUE');
          expect((err as WebRnnError).message).toBe('non-finite gradient at step 4; weights left at step 3');
          expect(opt.stepCount).toBe(3);
          (await readParams(blocks)).forEach((a, i) => expect(bits(a)).toEqual(bits(before[i])));
          // training goes on from the last good weights as if the bad step never happened
          const g2 = good();
          writeGrads(blocks, g2);
          ref.step(g2);
          expect(Number.isFinite(await opt.stepChecked())).toBe(true);
          expect(opt.stepCount).toBe(4);
          const { err: e2, where } = relErr(await readParams(blocks), ref.params);
          expect(e2, where).toBeLessThanOrEqual(TOL_WEIGHTS);
        } finally {
          opt.dispose();
          blocks.forEach((b) => b.dispose());
        }
      });
    });
  }

  test('a non-finite first SGD step leaves the momentum buffer to start at the next step', async () => {
    const blocks = makeBlocks([4], () => Float32Array.of(1, 2, 3, 4));
    const ref = new RefSGD([Float64Array.of(1, 2, 3, 4)], { lr: 0.1, momentum: 0.9, dampening: 0.5 });
    await scoped(async () => {
      const opt = new SGD(engine, blocks, { lr: 0.1, momentum: 0.9, dampening: 0.5 });
      try {
        writeGrads(blocks, [Float32Array.of(1, NaN, 1, 1)]);
        await expect(opt.stepChecked()).rejects.toThrow('non-finite gradient at step 1; weights left at step 0');
        for (const g of [Float32Array.of(0.5, -1, 2, 0.25), Float32Array.of(1, 1, -1, 0)]) {
          writeGrads(blocks, [g]);
          opt.step();
          ref.step([g]);
        }
        const { err, where } = relErr(await readParams(blocks), ref.params);
        expect(err, where).toBeLessThanOrEqual(TOL_WEIGHTS);
      } finally {
        opt.dispose();
        blocks.forEach((b) => b.dispose());
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------------

describe('state() / loadState()', () => {
  const cases: [Kind, Options][] = [
    ['SGD', { lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 1e-3, clip_norm: 20 }],
    ['Adam', { lr: 1e-2, amsgrad: true, clip_value: 0.5 }],
    ['AdamW', { lr: 1e-2, weight_decay: 0.1, clip_norm: 10 }],
    ['Adagrad', { lr: 0.1, lr_decay: 0.02, initial_accumulator_value: 0.1, clip_norm: 20 }],
  ];
  for (const [kind, options] of cases) {
    test(`${kind}: 5 steps, checkpoint, 5 more on a new optimizer = 10 uninterrupted, bit for bit`, async () => {
      const rng = new Rng(5);
      const init = SIZES.map((n) => Float32Array.from(rng.uniformArray(n, -1, 1)));
      const grads = Array.from({ length: 10 }, () => SIZES.map((n) => Float32Array.from(rng.uniformArray(n, -1, 1))));
      const sched = new LinearWarmup(new StepLR(options.lr!, { step_size: 3, gamma: 0.7 }), { warmup_steps: 2 });
      await scoped(async () => {
        // uninterrupted
        const a = makeBlocks(SIZES, (_, i) => init[i]);
        const optA = makeOpt(kind, a, options);
        for (let s = 0; s < 10; s++) {
          applySchedule(optA, sched);
          writeGrads(a, grads[s]);
          optA.step();
        }
        const wantParams = await readParams(a);
        const wantState = await optA.state();
        optA.dispose();
        a.forEach((b) => b.dispose());
        // interrupted at 5
        const b1 = makeBlocks(SIZES, (_, i) => init[i]);
        const opt1 = makeOpt(kind, b1, options);
        for (let s = 0; s < 5; s++) {
          applySchedule(opt1, sched);
          writeGrads(b1, grads[s]);
          opt1.step();
        }
        const ckParams = await readParams(b1);
        const ck = structuredClone(await opt1.state());
        opt1.dispose();
        b1.forEach((b) => b.dispose());
        const b2 = makeBlocks(SIZES, (_, i) => ckParams[i]);
        const opt2 = makeOpt(kind, b2, options);
        opt2.loadState(ck);
        expect(opt2.stepCount).toBe(5);
        for (let s = 5; s < 10; s++) {
          applySchedule(opt2, sched);
          writeGrads(b2, grads[s]);
          opt2.step();
        }
        const got = await readParams(b2);
        got.forEach((g, i) => expect(bits(g)).toEqual(bits(wantParams[i])));
        const st = await opt2.state();
        expect(st.step).toBe(10);
        expect(st.lr).toBe(wantState.lr);
        expect(Object.keys(st.slots).sort()).toEqual(Object.keys(wantState.slots).sort());
        for (const k of Object.keys(st.slots)) st.slots[k].forEach((g, i) => expect(bits(g)).toEqual(bits(wantState.slots[k][i])));
        opt2.dispose();
        b2.forEach((b) => b.dispose());
      });
    });
  }

  test('loadState refuses another kind, other options, other sizes (BAD_STATE) and changes nothing', async () => {
    const blocks = makeBlocks([3, 4], (n) => new Float32Array(n));
    await scoped(async () => {
      const adam = new Adam(engine, blocks, { lr: 1e-3 });
      const sgd = new SGD(engine, blocks, { lr: 0.1, momentum: 0.9 });
      try {
        const st = await adam.state();
        expect(Object.keys(st.slots).sort()).toEqual(['exp_avg', 'exp_avg_sq']);
        expect(code(() => sgd.loadState(st))).toBe('BAD_STATE');
        expect(code(() => adam.loadState({ ...st, options: { ...st.options, eps: 1e-6 } }))).toBe('BAD_STATE');
        expect(code(() => adam.loadState({ ...st, slots: { ...st.slots, exp_avg: [new Float32Array(3), new Float32Array(5)] } }))).toBe('BAD_STATE');
        expect(code(() => adam.loadState({ ...st, slots: { exp_avg: st.slots.exp_avg } }))).toBe('BAD_STATE');
        expect(code(() => adam.loadState({ ...st, step: -1 }))).toBe('BAD_STATE');
        expect(adam.stepCount).toBe(0);
        adam.loadState({ ...st, step: 7, lr: 5e-4 });
        expect(adam.stepCount).toBe(7);
        expect(adam.lr).toBe(5e-4);
      } finally {
        adam.dispose();
        sgd.dispose();
        blocks.forEach((b) => b.dispose());
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------------

describe('LR schedules', () => {
  const close = (got: number[], want: number[]) => {
    expect(got.length).toBe(want.length);
    got.forEach((g, i) => expect(Math.abs(g - want[i]), `[${i}] ${g} vs ${want[i]}`).toBeLessThanOrEqual(1e-15));
  };
  test('closed forms, hand-computed', () => {
    const s = new StepLR(0.1, { step_size: 3, gamma: 0.5 });
    close([0, 2, 3, 5, 6, 9].map((k) => s.lrAt(k)), [0.1, 0.1, 0.05, 0.05, 0.025, 0.0125]);
    const c = new CosineAnnealingLR(1, { T_max: 4, eta_min: 0.2 });
    // 0.2 + 0.8·(1 + cos(πk/4))/2
    const want = [1, 0.2 + 0.4 * (1 + Math.SQRT1_2), 0.6, 0.2 + 0.4 * (1 - Math.SQRT1_2), 0.2];
    [0, 1, 2, 3, 4].forEach((k) => expect(c.lrAt(k)).toBeCloseTo(want[k], 15));
    const w = new LinearWarmup(0.4, { warmup_steps: 4, start_factor: 0.25 });
    close([0, 1, 2, 3, 4, 10].map((k) => w.lrAt(k)), [0.1, 0.175, 0.25, 0.325, 0.4, 0.4]);
    expect(new LinearWarmup(3, { warmup_steps: 2 }).lrAt(0)).toBeCloseTo(1, 15); // torch's default start_factor 1/3
    const ws = new LinearWarmup(s, { warmup_steps: 2, start_factor: 0.5, mode: 'chained' });
    close([0, 1, 2, 3].map((k) => ws.lrAt(k)), [0.05, 0.075, 0.1, 0.05]);
    const sq = new LinearWarmup(s, { warmup_steps: 2, start_factor: 0.5, mode: 'sequential' });
    close([0, 1, 2, 3, 4, 5].map((k) => sq.lrAt(k)), [0.05, 0.075, 0.1, 0.1, 0.1, 0.05]);
    const opt = { lr: 0, stepCount: 3 };
    expect(applySchedule(opt, s)).toBe(0.05);
    expect(opt.lr).toBe(0.05);
  });

  test('match torch.optim.lr_scheduler over 40 steps (test/fixtures-optim/schedules.safetensors)', () => {
    const f = parseSafetensors(new Uint8Array(readFileSync(join(FIXTURES, 'schedules.safetensors'))), { copy: true });
    const ours: Record<string, LrSchedule> = {
      step_lr: new StepLR(0.1, { step_size: 7, gamma: 0.5 }),
      cosine: new CosineAnnealingLR(0.1, { T_max: 25, eta_min: 1e-3 }),
      linear_warmup: new LinearWarmup(0.1, { warmup_steps: 5, start_factor: 0.1 }),
      warmup_step_lr_chained: new LinearWarmup(new StepLR(0.1, { step_size: 6, gamma: 0.7 }), { warmup_steps: 5, start_factor: 0.2 }),
      warmup_cosine_chained: new LinearWarmup(new CosineAnnealingLR(0.1, { T_max: 30 }), { warmup_steps: 6, start_factor: 0.5 }),
      warmup_cosine_sequential: new LinearWarmup(new CosineAnnealingLR(0.1, { T_max: 30, eta_min: 1e-3 }), { warmup_steps: 5, start_factor: 0.1, mode: 'sequential' }),
    };
    expect(Object.keys(ours).sort()).toEqual([...f.tensors.keys()].sort());
    for (const [name, s] of Object.entries(ours)) {
      const want = toFloat64(f.tensors.get(name)!);
      for (let k = 0; k < want.length; k++) expect(Math.abs(s.lrAt(k) - want[k]), `${name} step ${k}`).toBeLessThanOrEqual(1e-12 * 0.1);
    }
  });

  test('bad arguments are BAD_CONFIG', () => {
    expect(() => new StepLR(0.1, { step_size: 0 })).toThrow(WebRnnError);
    expect(() => new CosineAnnealingLR(0.1, { T_max: 1.5 })).toThrow(WebRnnError);
    expect(() => new LinearWarmup(0.1, { warmup_steps: 3, start_factor: 0 })).toThrow(WebRnnError);
    expect(() => new StepLR(0.1, { step_size: 2 }).lrAt(-1)).toThrow(WebRnnError);
  });
});

// ---------------------------------------------------------------------------------------------------

describe('lifecycle', () => {
  test('dispose() returns engine.memory() to its previous value', async () => {
    const blocks = makeBlocks([1, 7, 1031], (n) => new Float32Array(n).fill(0.5));
    const before = engine.memory();
    await scoped(async () => {
      const opts = [
        new SGD(engine, blocks, { lr: 0.1, momentum: 0.9, clip_norm: 1 }),
        new Adam(engine, blocks, { amsgrad: true, clip_value: 1 }),
        new AdamW(engine, blocks),
        new Adagrad(engine, blocks, { initial_accumulator_value: 0.1, clip_value: 1 }),
      ];
      const gn = new GradNorm(engine, blocks);
      expect(engine.memory().bytes).toBeGreaterThan(before.bytes);
      for (const o of opts) await o.step().readNorm();
      await gn.compute().readNorm();
      for (const o of opts) o.dispose();
      gn.dispose();
    });
    expect(engine.memory()).toEqual(before);
    blocks.forEach((b) => b.dispose());
  });

  /**
   * Two Adagrad steps on the block [0.5, −0.25, −0, 1, 2] with gradients that are 0 on entries 1, 2
   * and 4, beside RefAdagrad: the GPU weights and sums, and the reference.
   */
  async function sparseAdagrad(options: AdagradOptions): Promise<{ w: Float32Array; sum: Float32Array; ref: RefAdagrad }> {
    const init = [0.5, -0.25, -0, 1, 2];
    const blocks = makeBlocks([5], () => Float32Array.from(init));
    const ref = new RefAdagrad([Float64Array.from(init)], options);
    return scoped(async () => {
      const opt = new Adagrad(engine, blocks, options);
      try {
        for (const g of [Float32Array.of(3, 0, 0, -4, 0), Float32Array.of(0, 0, 0, 1, 0)]) {
          writeGrads(blocks, [g]);
          opt.step();
          ref.step([g]);
        }
        const [w] = await readParams(blocks);
        const { sum: [sum] } = (await opt.state()).slots;
        const { err, where } = relErr([w], ref.params);
        expect(err, where).toBeLessThanOrEqual(TOL_WEIGHTS);
        for (let i = 0; i < 5; i++) expect(Math.abs(sum[i] - ref.sum[0][i]), `sum[${i}]`).toBeLessThanOrEqual(1e-6 * Math.max(1, ref.sum[0][i]));
        return { w, sum, ref };
      } finally {
        opt.dispose();
        blocks.forEach((b) => b.dispose());
      }
    });
  }

  test('Adagrad: an entry whose gradient is 0 keeps its weight and its sum bit for bit (clipping on)', async () => {
    const { w, sum } = await sparseAdagrad({ lr: 0.1, initial_accumulator_value: 0.2, clip_norm: 1 });
    // entries 1, 2 and 4 never had a gradient: the same bits as at the start (−0 stays −0)
    expect(bits(w.subarray(1, 3))).toEqual(bits(Float32Array.of(-0.25, -0)));
    expect(bits(w.subarray(4))).toEqual(bits(Float32Array.of(2)));
    expect(bits(sum.subarray(1, 3))).toEqual(bits(Float32Array.of(0.2, 0.2)));
    expect(sum[4]).toBe(Math.fround(0.2));
    // entry 0 moved once (step 1, clipped to norm 1: g = 0.6), entry 3 twice — within TOL_WEIGHTS of the reference
  });

  test('Adagrad weight_decay: a zero-gradient entry decays toward 0 like torch (g + wd·p), a ±0 weight keeps its bits', async () => {
    const { w, sum } = await sparseAdagrad({ lr: 0.1, weight_decay: 0.5, initial_accumulator_value: 0.2, clip_value: 1 });
    expect(bits(w.subarray(2, 3))).toEqual(bits(Float32Array.of(-0)));
    expect(sum[2]).toBe(Math.fround(0.2));
    // entries 1 and 4 had no gradient but moved toward 0 (lr·wd·p / √sum), as in torch; all within TOL_WEIGHTS of the reference
    expect(Math.abs(w[1])).toBeLessThan(0.25);
    expect(w[4]).toBeLessThan(2);
  });

  test('Adagrad state names weight_decay only when set: older states load, a decayed state needs the same decay', async () => {
    const blocks = makeBlocks([4], (n) => new Float32Array(n).fill(0.5));
    await scoped(async () => {
      const plain = new Adagrad(engine, blocks, { lr: 0.1 });
      const decayed = new Adagrad(engine, blocks, { lr: 0.1, weight_decay: 0.01 });
      try {
        const s0 = await plain.state();
        expect(s0.options).toEqual({ lr_decay: 0, eps: 1e-10, initial_accumulator_value: 0 }); // as before weight_decay existed
        const s1 = await decayed.state();
        expect(s1.options).toMatchObject({ weight_decay: 0.01 });
        expect(code(() => plain.loadState(s1))).toBe('BAD_STATE');
        expect(code(() => decayed.loadState(s0))).toBe('BAD_STATE');
        plain.loadState(s0);
      } finally {
        plain.dispose();
        decayed.dispose();
        blocks.forEach((b) => b.dispose());
      }
    });
  });

  test('GradNorm checks its blocks and clip options (BAD_CONFIG) and its blocks being alive (DISPOSED)', async () => {
    const blocks = makeBlocks([3, 2], (n) => new Float32Array(n));
    const before = engine.memory();
    expect(code(() => new GradNorm(engine, []))).toBe('BAD_CONFIG');
    expect(code(() => new GradNorm(engine, [blocks[0], blocks[0]]))).toBe('BAD_CONFIG');
    expect(code(() => new GradNorm(engine, [{} as ParameterStore]))).toBe('BAD_CONFIG');
    expect(code(() => new GradNorm(engine, blocks, { clip_norm: -1 }))).toBe('BAD_CONFIG');
    expect(code(() => new GradNorm(engine, blocks, { max_norm: 1 } as never))).toBe('BAD_CONFIG');
    expect(engine.memory()).toEqual(before);
    await scoped(async () => {
      const gn = new GradNorm(engine, blocks, { clip_value: 2 });
      writeGrads(blocks, [Float32Array.of(3, 0, 1), Float32Array.of(-1, 1)]);
      expect(await gn.compute().readNorm()).toBeCloseTo(refGradNorm([[3, 0, 1], [-1, 1]], 2).norm, 6); // √(4 + 1 + 1 + 1)
      blocks[1].dispose();
      expect(code(() => gn.compute())).toBe('DISPOSED');
      gn.dispose();
      expect(code(() => gn.compute())).toBe('DISPOSED');
    });
    blocks[0].dispose();
  });

  test('an empty block is allowed and left alone', async () => {
    const blocks = makeBlocks([0, 3], (n) => new Float32Array(n).fill(1));
    await scoped(async () => {
      const opt = new Adam(engine, blocks, { lr: 0.1, amsgrad: true, clip_norm: 1 });
      writeGrads(blocks, [new Float32Array(0), Float32Array.of(3, 4, 0)]);
      expect(await opt.stepChecked()).toBeCloseTo(5, 5);
      const [, w] = await readParams(blocks);
      expect(w[0]).toBeCloseTo(0.9, 6); // Adam's first step moves each weight by lr·sign(g)
      expect(w[2]).toBe(1); // g = 0: m = 0, no move
      const st = await opt.state();
      expect(st.slots.exp_avg[0].length).toBe(0);
      opt.loadState(st);
      opt.dispose();
    });
    blocks.forEach((b) => b.dispose());
  });

  test('options are checked like torch (BAD_CONFIG); a disposed optimizer says DISPOSED', async () => {
    const blocks = makeBlocks([3], (n) => new Float32Array(n));
    const before = engine.memory();
    expect(code(() => new SGD(engine, blocks, { lr: -1 }))).toBe('BAD_CONFIG');
    expect(code(() => new SGD(engine, blocks, { lr: 0.1, nesterov: true }))).toBe('BAD_CONFIG');
    expect(code(() => new SGD(engine, blocks, { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }))).toBe('BAD_CONFIG');
    expect(code(() => new Adam(engine, blocks, { betas: [0.9, 1] }))).toBe('BAD_CONFIG');
    expect(code(() => new AdamW(engine, blocks, { clip_norm: 0 }))).toBe('BAD_CONFIG');
    expect(code(() => new Adam(engine, []))).toBe('BAD_CONFIG');
    expect(code(() => new Adagrad(engine, blocks, { lr_decay: -0.1 }))).toBe('BAD_CONFIG');
    expect(code(() => new Adagrad(engine, blocks, { initial_accumulator_value: NaN }))).toBe('BAD_CONFIG');
    expect(code(() => new Adagrad(engine, blocks, { weight_decay: -0.1 }))).toBe('BAD_CONFIG');
    expect(code(() => new Adagrad(engine, blocks, { maximize: true } as AdagradOptions))).toBe('BAD_CONFIG');
    expect(code(() => new Adam(engine, [blocks[0], blocks[0]]))).toBe('BAD_CONFIG');
    expect(engine.memory()).toEqual(before);
    const opt = new Adam(engine, blocks);
    expect(code(() => (opt.lr = NaN))).toBe('BAD_CONFIG');
    opt.dispose();
    expect(code(() => opt.step())).toBe('DISPOSED');
    blocks.forEach((b) => b.dispose());
  });
});
