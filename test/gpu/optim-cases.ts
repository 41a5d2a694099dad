// Optimizers on the GPU (SGD with momentum/Nesterov, Adam, AdamW, Adagrad; clipping by value and by global norm;
// the NaN/Inf skip) vs the float64 reference (test/reference/optim.ts): a few steps of seeded random
// gradients over parameter blocks of 1, 7, 1031 and 5000 floats, weights compared after every step
// (TOL_WEIGHTS relative to max |w|), the reported global norm (TOL_NORM relative), and the optimizer
// state after the last step (TOL_WEIGHTS).
import type { Engine } from '../../src/gpu/engine.js';
import { ParameterStore } from '../../src/layers/parameter-store.js';
import { Rng } from '../../src/random.js';
import { RefAdagrad, RefAdam, RefAdamW, RefSGD, type RefOptimizer } from '../reference/optim.js';
import { Adagrad } from '../../src/optim/adagrad.js';
import { Adam, AdamW } from '../../src/optim/adam.js';
import type { Optimizer } from '../../src/optim/optimizer.js';
import type { AdagradOptions, AdamOptions, SGDOptions } from '../../src/optim/options.js';
import { SGD } from '../../src/optim/sgd.js';
import { f32, relErr, rounded, runCase, type CaseResult } from './check.js';

export interface OptimCase {
  kind: 'optim';
  name: string;
  optimizer: 'SGD' | 'Adam' | 'AdamW' | 'Adagrad';
  options: SGDOptions | AdamOptions | AdagradOptions;
  /** caps on workgroups (the internal grid argument), to run the kernels' grid-stride loops */
  grid?: { reduce?: number; update?: number };
  /** 1-based steps whose gradients hold a NaN / an Infinity: the update must be skipped */
  nonFinite?: { nan?: number; inf?: number };
  seed: number;
}

const SIZES = [1, 7, 1031, 5000];
const STEPS = 6;
// Gradient scale per step. The global norm of U(−1, 1) over 6039 values is about 45, so clip_norm 20
// clips the steps at scale ≥ 1 and leaves the small ones alone.
const SCALES = [1, 0.2, 3, 0.1, 1, 0.5];

/** Every optimizer case, in a fixed order. */
export function optimCases(): OptimCase[] {
  const cases: Omit<OptimCase, 'kind' | 'seed'>[] = [
    { name: 'optim: SGD momentum, weight_decay, clip_norm', optimizer: 'SGD', options: { lr: 0.05, momentum: 0.9, weight_decay: 0.01, clip_norm: 20 } },
    { name: 'optim: SGD nesterov, dampening 0, clip_value, grid-stride loops', optimizer: 'SGD', options: { lr: 0.05, momentum: 0.8, nesterov: true, clip_value: 0.3 }, grid: { reduce: 2, update: 3 } },
    { name: 'optim: Adam clip_norm, weight_decay, amsgrad', optimizer: 'Adam', options: { lr: 1e-2, weight_decay: 0.1, amsgrad: true, clip_norm: 20 } },
    { name: 'optim: Adam clip_value + clip_norm, betas, eps, grid-stride loops', optimizer: 'Adam', options: { lr: 1e-2, betas: [0.8, 0.99], eps: 1e-6, clip_value: 0.5, clip_norm: 15 }, grid: { reduce: 1, update: 2 } },
    { name: 'optim: AdamW clip_norm, weight_decay', optimizer: 'AdamW', options: { lr: 1e-2, weight_decay: 0.05, clip_norm: 20 } },
    { name: 'optim: AdamW amsgrad clip_norm; NaN at step 3, Inf at step 4 skipped', optimizer: 'AdamW', options: { lr: 1e-2, amsgrad: true, clip_norm: 20 }, nonFinite: { nan: 3, inf: 4 } },
    { name: 'optim: Adagrad lr_decay, initial_accumulator_value, clip_value + clip_norm; NaN at step 2 skipped', optimizer: 'Adagrad', options: { lr: 0.1, lr_decay: 0.05, initial_accumulator_value: 0.1, clip_value: 0.5, clip_norm: 15 }, nonFinite: { nan: 2 } },
  ];
  return cases.map((c, i) => ({ kind: 'optim', ...c, seed: 500 + i }));
}

function makeOpt(engine: Engine, c: OptimCase, blocks: ParameterStore[]): Optimizer {
  if (c.optimizer === 'SGD') return new SGD(engine, blocks, c.options as SGDOptions, c.grid);
  if (c.optimizer === 'Adam') return new Adam(engine, blocks, c.options as AdamOptions, c.grid);
  if (c.optimizer === 'Adagrad') return new Adagrad(engine, blocks, c.options as AdagradOptions, c.grid);
  return new AdamW(engine, blocks, c.options as AdamOptions, c.grid);
}

function makeRef(c: OptimCase, params: Float64Array[]): { ref: RefOptimizer; slots: Record<string, Float64Array[]> } {
  if (c.optimizer === 'SGD') {
    const ref = new RefSGD(params, c.options as SGDOptions);
    return { ref, slots: { momentum_buffer: ref.momentum_buffer } };
  }
  if (c.optimizer === 'Adagrad') {
    const ref = new RefAdagrad(params, c.options as AdagradOptions);
    return { ref, slots: { sum: ref.sum } };
  }
  const ref = c.optimizer === 'Adam' ? new RefAdam(params, c.options as AdamOptions) : new RefAdamW(params, c.options as AdamOptions);
  return { ref, slots: { exp_avg: ref.exp_avg, exp_avg_sq: ref.exp_avg_sq, max_exp_avg_sq: ref.max_exp_avg_sq } };
}

const concat = (as: readonly ArrayLike<number>[]) => {
  const out = new Float64Array(as.reduce((s, a) => s + a.length, 0));
  let o = 0;
  for (const a of as) {
    out.set(a, o);
    o += a.length;
  }
  return out;
};

export function runOptimCase(engine: Engine, c: OptimCase): Promise<CaseResult> {
  return runCase(engine, c.name, async (t) => {
    const rng = new Rng(c.seed);
    const init = SIZES.map((n) => rounded(rng.uniformArray(n, -1, 1)));
    const blocks = SIZES.map((n, i) => {
      const b = t.own(new ParameterStore(engine, [{ name: 'w', shape: [n] }], `optim case block ${i}`));
      b.load({ w: init[i] }, 'optim case block');
      return b;
    });
    const { ref, slots } = makeRef(c, init.map((a) => Float64Array.from(a)));
    const opt = t.own(makeOpt(engine, c, blocks));
    const readParams = () => Promise.all(blocks.map((b) => engine.readBuffer(b.params, 0, b.parameterCount)));
    let before = concat(await readParams());
    for (let s = 1; s <= STEPS; s++) {
      const grads = SIZES.map((n) => f32(rng.uniformArray(n, -SCALES[s - 1], SCALES[s - 1])));
      if (s === c.nonFinite?.nan) grads[2][5] = Number.NaN;
      if (s === c.nonFinite?.inf) grads[3][4000] = Number.POSITIVE_INFINITY;
      blocks.forEach((b, i) => engine.writeBuffer(b.grads, 0, grads[i]));
      const h = opt.step();
      const refNorm = ref.step(grads);
      const norm = await h.readNorm();
      const got = await readParams();
      const flat = concat(got);
      if (Number.isFinite(refNorm)) {
        t.check(`step ${s} norm`, [norm], [refNorm], 'norm');
        t.check(`step ${s} weights`, flat, concat(ref.params), 'weights');
      } else {
        t.expect(!Number.isFinite(norm), `step ${s}: non-finite gradient, readNorm() gave ${norm}, want NaN or ±Infinity`);
        const { err, index } = relErr(flat, before);
        t.expect(err === 0, `step ${s}: non-finite gradient, weights changed at [${index}]: ${flat[index]} (was ${before[index]})`);
      }
      before = flat;
    }
    t.expect(opt.stepCount === STEPS, `stepCount ${opt.stepCount}, want ${STEPS}`);
    const st = await opt.state();
    for (const [name, arrs] of Object.entries(st.slots)) t.check(`state ${name}`, concat(arrs), concat(slots[name]), 'weights');
  });
}
