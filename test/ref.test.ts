// Float64 CPU reference (test/reference): finite-difference gradient checks over every cell variant and
// layer shape, semantic spot checks that need no PyTorch, and input validation.
import { describe, expect, it } from 'vitest';
import type { RecurrentConfig } from '../src/layers/recurrent-config.js';
import { parameterSpecs } from '../src/layers/recurrent-config.js';
import { WebRnnError } from '../src/errors.js';
import { Rng, randomParams } from './reference/random.js';
import type { RefForward, RefGradients, RefInputs, RefUpstream } from './reference/recurrent.js';
import { refRecurrentBackward, refRecurrentForward } from './reference/recurrent.js';

type Params = Record<string, Float64Array>;

/** Fails on the first index where |got − want| > atol + rtol·|want|, printing both values. */
function expectClose(name: string, got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol = 0): void {
  expect(got.length, `${name}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    const tol = atol + rtol * Math.abs(w);
    if (!(Math.abs(g - w) <= tol)) {
      expect.fail(`${name}[${i}]: got ${g}, want ${w} (|diff| ${Math.abs(g - w)} > tol ${tol})`);
    }
  }
}

function expectExact(name: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  expectClose(name, got, want, 0);
}

/** h is proj_size wide in a projected LSTM, c always hidden_size. */
const stateSize = (c: RecurrentConfig, B: number) => (c.num_layers ?? 1) * (c.bidirectional ? 2 : 1) * B * (c.proj_size || c.hidden_size);
const cellStateSize = (c: RecurrentConfig, B: number) => (c.num_layers ?? 1) * (c.bidirectional ? 2 : 1) * B * c.hidden_size;
const outSize = (c: RecurrentConfig, T: number, B: number) => T * B * (c.bidirectional ? 2 : 1) * (c.proj_size || c.hidden_size);

function dot(a: Float64Array, b: Float64Array | undefined): number {
  if (b === undefined) return 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

// ---------------------------------------------------------------------------------------------
// Finite-difference gradient checks
// ---------------------------------------------------------------------------------------------

/** Cell variants: every mode, plus LSTM peephole and GRU reset-before. */
const CELLS: { name: string; cell: Pick<RecurrentConfig, 'mode' | 'peephole' | 'reset_after'> }[] = [
  { name: 'LSTM', cell: { mode: 'LSTM' } },
  { name: 'LSTM peephole', cell: { mode: 'LSTM', peephole: true } },
  { name: 'GRU reset_after', cell: { mode: 'GRU', reset_after: true } },
  { name: 'GRU reset_before', cell: { mode: 'GRU', reset_after: false } },
  { name: 'RNN_TANH', cell: { mode: 'RNN_TANH' } },
  { name: 'RNN_RELU', cell: { mode: 'RNN_RELU' } },
];

interface Shape {
  name: string;
  layers: Pick<RecurrentConfig, 'input_size' | 'hidden_size' | 'num_layers' | 'bidirectional' | 'batch_first' | 'bias'>;
  T: number;
  B: number;
  lengths?: number[];
  h0: boolean;
  c0: boolean;
}

/** Layer shapes: 1–3 layers, both directions, both layouts, bias on/off, unsorted lengths with a 1 and a T, odd sizes. */
const SHAPES: Shape[] = [
  { name: 'L1 uni (T,B,I) T4 B2 I3 H5', layers: { input_size: 3, hidden_size: 5, num_layers: 1 }, T: 4, B: 2, h0: false, c0: false },
  {
    name: 'L2 bidi batch_first lengths [3,1,5,2] h0 c0',
    layers: { input_size: 3, hidden_size: 5, num_layers: 2, bidirectional: true, batch_first: true },
    T: 5, B: 4, lengths: [3, 1, 5, 2], h0: true, c0: true,
  },
  {
    name: 'L3 bidi no bias I1 H1 lengths [1,4,2] h0',
    layers: { input_size: 1, hidden_size: 1, num_layers: 3, bidirectional: true, bias: false },
    T: 4, B: 3, lengths: [1, 4, 2], h0: true, c0: false,
  },
  { name: 'T1 B1 I1 H1 batch_first h0 c0', layers: { input_size: 1, hidden_size: 1, batch_first: true }, T: 1, B: 1, h0: true, c0: true },
  {
    name: 'L3 uni batch_first no bias I4 H2 lengths [2,3,1] c0',
    layers: { input_size: 4, hidden_size: 2, num_layers: 3, batch_first: true, bias: false },
    T: 3, B: 3, lengths: [2, 3, 1], h0: false, c0: true,
  },
  { name: 'L2 bidi B1 I3 H5 h0', layers: { input_size: 3, hidden_size: 5, num_layers: 2, bidirectional: true }, T: 3, B: 1, h0: true, c0: false },
];

/** Entries to perturb: all of a small tensor, else `k` random ones plus the first and last. */
function sampleIndices(n: number, k: number, rng: Rng): number[] {
  if (n <= k) return Array.from({ length: n }, (_, i) => i);
  const picked = new Set([0, n - 1]);
  while (picked.size < k) picked.add(rng.int(0, n - 1));
  return [...picked].sort((a, b) => a - b);
}

const FD_EPS = 1e-6;
/**
 * Central differences in float64 have truncation error ~eps²·|L'''| ≈ 1e-12 and rounding error
 * ~1e-16·Σ|terms of L|/eps ≈ 1e-9 here; 1e-6 of the largest gradient leaves three orders of margin
 * while any wrong term in a backward formula shows up at ≥ 1e-3.
 */
const FD_RTOL = 1e-6;
const FD_SAMPLES = 10;

/** The projected LSTM (proj_size 2, on the shapes with hidden_size > 2), with and without peepholes. */
const PROJECTED: { name: string; cell: Pick<RecurrentConfig, 'mode' | 'peephole' | 'proj_size'> }[] = [
  { name: 'LSTM proj_size 2', cell: { mode: 'LSTM', proj_size: 2 } },
  { name: 'LSTM peephole proj_size 2', cell: { mode: 'LSTM', peephole: true, proj_size: 2 } },
];

describe('finite-difference gradients', () => {
  let caseSeed = 1000;
  for (const { name: cellName, cell } of [...CELLS, ...PROJECTED]) {
    for (const shape of SHAPES) {
      const seed = caseSeed++;
      if (((cell as RecurrentConfig).proj_size ?? 0) >= shape.layers.hidden_size) continue;
      it(`${cellName}: ${shape.name}`, () => {
        const config: RecurrentConfig = { ...cell, ...shape.layers };
        const lstm = config.mode === 'LSTM';
        const { T, B } = shape;
        const rng = new Rng(seed);
        const params = randomParams(config, rng, 0.8);
        const S = stateSize(config, B);
        const SC = cellStateSize(config, B);
        const inputs: RefInputs = { input: rng.normalArray(T * B * config.input_size), T, B };
        if (shape.lengths) inputs.lengths = shape.lengths;
        if (shape.h0) inputs.h0 = rng.normalArray(S, 0, 0.5);
        if (shape.c0 && lstm) inputs.c0 = rng.normalArray(SC, 0, 0.5);
        // L = Σ w_out ⊙ output + Σ w_h ⊙ h_n + Σ w_c ⊙ c_n; w_out is nonzero at padded steps on purpose.
        const up: RefUpstream = { grad_output: rng.normalArray(outSize(config, T, B)), grad_h_n: rng.normalArray(S) };
        if (lstm) up.grad_c_n = rng.normalArray(SC);
        const loss = (p: Params, inp: RefInputs) => {
          const f = refRecurrentForward(config, p, inp);
          return dot(f.output, up.grad_output) + dot(f.h_n, up.grad_h_n) + (f.c_n ? dot(f.c_n, up.grad_c_n) : 0);
        };

        const fwd = refRecurrentForward(config, params, inputs);
        const g = refRecurrentBackward(config, params, inputs, fwd, up);

        // Every tensor the backward returns, and how to perturb its entry k in a copy of the inputs.
        // Absent h0/c0 are perturbed as explicit zeros: the gradient at the default state.
        type Target = { name: string; grad: Float64Array; perturb: (k: number, d: number) => [Params, RefInputs] };
        const tensorTarget = (name: string, grad: Float64Array, base: Float64Array, put: (a: Float64Array) => [Params, RefInputs]): Target => ({
          name,
          grad,
          perturb: (k, d) => {
            const a = base.slice();
            a[k]! += d;
            return put(a);
          },
        });
        const targets: Target[] = [
          tensorTarget('grad_input', g.grad_input, inputs.input, (a) => [params, { ...inputs, input: a }]),
          tensorTarget('grad_h0', g.grad_h0, inputs.h0 ?? new Float64Array(S), (a) => [params, { ...inputs, h0: a }]),
        ];
        if (lstm) {
          expect(g.grad_c0, 'grad_c0 present for LSTM').toBeDefined();
          targets.push(tensorTarget('grad_c0', g.grad_c0!, inputs.c0 ?? new Float64Array(SC), (a) => [params, { ...inputs, c0: a }]));
        } else {
          expect(g.grad_c0).toBeUndefined();
        }
        const specNames = parameterSpecs(config).map((s) => s.name);
        expect(Object.keys(g.grads).sort()).toEqual([...specNames].sort());
        for (const n of specNames) targets.push(tensorTarget(`grads.${n}`, g.grads[n]!, params[n]!, (a) => [{ ...params, [n]: a }, inputs]));

        let scale = 0;
        for (const t of targets) for (const v of t.grad) scale = Math.max(scale, Math.abs(v));
        expect(scale, 'some gradient is nonzero').toBeGreaterThan(1e-3);
        const tol = FD_RTOL * scale;
        let kinks = 0;
        let checked = 0;
        for (const t of targets) {
          const idx = sampleIndices(t.grad.length, FD_SAMPLES, rng);
          for (const k of idx) {
            const up1 = loss(...t.perturb(k, FD_EPS));
            const down1 = loss(...t.perturb(k, -FD_EPS));
            const fd = (up1 - down1) / (2 * FD_EPS);
            const an = t.grad[k]!;
            if (Math.abs(an - fd) <= tol) continue;
            if (config.mode === 'RNN_RELU') {
              // A relu pre-activation sitting exactly at 0 (a dead layer below feeds zeros to a
              // bias-free layer while h0 = 0): the loss is not differentiable there — the one-sided
              // slopes differ by far more than their O(eps) error — so no finite difference applies.
              // The backward then uses relu'(0) = 0, as PyTorch. Such points are counted, not checked.
              const base = loss(params, inputs);
              const right = (up1 - base) / FD_EPS;
              const left = (base - down1) / FD_EPS;
              if (Math.abs(right - left) > 1e-3 * scale) {
                kinks++;
                continue;
              }
            }
            expect.fail(`${t.name}[${k}]: analytic ${an}, finite difference ${fd} (|diff| ${Math.abs(an - fd)} > ${tol} = ${FD_RTOL}·max|grad|)`);
          }
          checked += idx.length;
        }
        expect(kinks, `relu kinks among ${checked} checked entries`).toBeLessThanOrEqual(checked / 10);
      });
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Semantic spot checks
// ---------------------------------------------------------------------------------------------

/** A bidirectional 2-layer batch-first setup with unsorted lengths, for each cell. */
function lengthsSetup(cell: (typeof CELLS)[number]['cell'], seed: number) {
  const config: RecurrentConfig = { ...cell, input_size: 3, hidden_size: 4, num_layers: 2, bidirectional: true, batch_first: true };
  const T = 6;
  const B = 4;
  const lengths = [4, 1, 6, 3];
  const rng = new Rng(seed);
  const params = randomParams(config, rng);
  const S = stateSize(config, B);
  const input = rng.normalArray(B * T * 3);
  const h0 = rng.normalArray(S, 0, 0.5);
  const c0 = config.mode === 'LSTM' ? rng.normalArray(S, 0, 0.5) : undefined;
  const up: RefUpstream = { grad_output: rng.normalArray(outSize(config, T, B)), grad_h_n: rng.normalArray(S) };
  if (c0) up.grad_c_n = rng.normalArray(S);
  const inputs: RefInputs = { input, T, B, h0, lengths };
  if (c0) inputs.c0 = c0;
  return { config, T, B, lengths, params, inputs, up };
}

/** Rows [b] of a (L·D, B, H) state. */
function stateRow(a: Float64Array, LD: number, B: number, H: number, b: number): Float64Array {
  const out = new Float64Array(LD * H);
  for (let k = 0; k < LD; k++) out.set(a.subarray((k * B + b) * H, (k * B + b + 1) * H), k * H);
  return out;
}

describe('variable lengths', () => {
  CELLS.forEach(({ name, cell }, ci) => {
    it(`${name}: padded outputs are exactly 0`, () => {
      const { config, B, T, lengths, params, inputs } = lengthsSetup(cell, 10 + ci);
      const F = 2 * config.hidden_size;
      const { output } = refRecurrentForward(config, params, inputs);
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < T; t++) {
          const row = output.subarray((b * T + t) * F, (b * T + t + 1) * F);
          if (t >= lengths[b]!) expectExact(`output[b=${b}, t=${t}]`, row, new Float64Array(F));
          else expect(row.some((v) => v !== 0), `output[b=${b}, t=${t}] is a real step`).toBe(true);
        }
      }
    });

    it(`${name}: lengths all T equals no lengths (forward and backward)`, () => {
      const { config, T, B, params, inputs, up } = lengthsSetup(cell, 20 + ci);
      const withLengths: RefInputs = { ...inputs, lengths: new Array(B).fill(T) };
      const without: RefInputs = { ...inputs };
      delete without.lengths;
      const a = refRecurrentForward(config, params, withLengths);
      const b = refRecurrentForward(config, params, without);
      expectExact('output', a.output, b.output);
      expectExact('h_n', a.h_n, b.h_n);
      if (a.c_n) expectExact('c_n', a.c_n, b.c_n!);
      const ga = refRecurrentBackward(config, params, withLengths, a, up);
      const gb = refRecurrentBackward(config, params, without, b, up);
      expectExact('grad_input', ga.grad_input, gb.grad_input);
      expectExact('grad_h0', ga.grad_h0, gb.grad_h0);
      for (const k of Object.keys(ga.grads)) expectExact(`grads.${k}`, ga.grads[k]!, gb.grads[k]!);
    });

    it(`${name}: a row of length L_b matches that row run alone on its first L_b steps`, () => {
      // Pins the reverse direction's start at t = L_b − 1 and h_n at each row's last valid step.
      const { config, T, B, lengths, params, inputs, up } = lengthsSetup(cell, 30 + ci);
      const I = config.input_size;
      const H = config.hidden_size;
      const F = 2 * H;
      const LD = 2 * 2;
      const fwd = refRecurrentForward(config, params, inputs);
      const grads = refRecurrentBackward(config, params, inputs, fwd, up);
      const paramSum: Params = Object.fromEntries(Object.keys(grads.grads).map((k) => [k, new Float64Array(grads.grads[k]!.length)]));
      for (let b = 0; b < B; b++) {
        const Lb = lengths[b]!;
        const solo: RefInputs = { input: inputs.input.slice(b * T * I, (b * T + Lb) * I), T: Lb, B: 1, h0: stateRow(inputs.h0!, LD, B, H, b) };
        if (inputs.c0) solo.c0 = stateRow(inputs.c0, LD, B, H, b);
        const soloUp: RefUpstream = { grad_output: up.grad_output!.slice(b * T * F, (b * T + Lb) * F), grad_h_n: stateRow(up.grad_h_n!, LD, B, H, b) };
        if (up.grad_c_n) soloUp.grad_c_n = stateRow(up.grad_c_n, LD, B, H, b);
        const f1 = refRecurrentForward(config, params, solo);
        expectExact(`row ${b} output`, fwd.output.subarray(b * T * F, (b * T + Lb) * F), f1.output);
        expectExact(`row ${b} h_n`, stateRow(fwd.h_n, LD, B, H, b), f1.h_n);
        if (fwd.c_n) expectExact(`row ${b} c_n`, stateRow(fwd.c_n, LD, B, H, b), f1.c_n!);
        const g1 = refRecurrentBackward(config, params, solo, f1, soloUp);
        expectExact(`row ${b} grad_input`, grads.grad_input.subarray(b * T * I, (b * T + Lb) * I), g1.grad_input);
        expectExact(`row ${b} grad_input (padded)`, grads.grad_input.subarray((b * T + Lb) * I, (b + 1) * T * I), new Float64Array((T - Lb) * I));
        expectExact(`row ${b} grad_h0`, stateRow(grads.grad_h0, LD, B, H, b), g1.grad_h0);
        if (grads.grad_c0) expectExact(`row ${b} grad_c0`, stateRow(grads.grad_c0, LD, B, H, b), g1.grad_c0!);
        for (const k of Object.keys(paramSum)) paramSum[k]!.forEach((_, i, a) => (a[i]! += g1.grads[k]![i]!));
      }
      // Parameter gradients are sums over rows (different summation order: not bitwise).
      for (const k of Object.keys(paramSum)) expectClose(`grads.${k} = Σ_b row grads`, grads.grads[k]!, paramSum[k]!, 1e-12, 1e-12);
    });
  });
});

describe('layout', () => {
  it('batch_first only transposes input, output and grad_input', () => {
    const rng = new Rng(5);
    const base: RecurrentConfig = { mode: 'LSTM', input_size: 2, hidden_size: 3, num_layers: 2, bidirectional: true };
    const params = randomParams(base, rng);
    const T = 4;
    const B = 3;
    const F = 6;
    const transpose = (a: Float64Array, d0: number, d1: number, f: number) => {
      const out = new Float64Array(a.length);
      for (let i = 0; i < d0; i++) for (let j = 0; j < d1; j++) out.set(a.subarray((i * d1 + j) * f, (i * d1 + j + 1) * f), (j * d0 + i) * f);
      return out;
    };
    const xTB = rng.normalArray(T * B * 2);
    const gTB = rng.normalArray(T * B * F);
    const lengths = [2, 4, 1];
    const tm = refRecurrentForward(base, params, { input: xTB, T, B, lengths });
    const bfInputs: RefInputs = { input: transpose(xTB, T, B, 2), T, B, lengths };
    const bf = refRecurrentForward({ ...base, batch_first: true }, params, bfInputs);
    expectExact('output', bf.output, transpose(tm.output, T, B, F));
    expectExact('h_n', bf.h_n, tm.h_n);
    const gtm = refRecurrentBackward(base, params, { input: xTB, T, B, lengths }, tm, { grad_output: gTB });
    const gbf = refRecurrentBackward({ ...base, batch_first: true }, params, bfInputs, bf, { grad_output: transpose(gTB, T, B, F) });
    expectExact('grad_input', gbf.grad_input, transpose(gtm.grad_input, T, B, 2));
    expectExact('grads.weight_hh_l1_reverse', gbf.grads['weight_hh_l1_reverse']!, gtm.grads['weight_hh_l1_reverse']!);
  });
});

describe('hand-computed steps (pin gate order and formulas)', () => {
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const f64 = (...v: number[]) => Float64Array.from(v);

  it('RNN_TANH: one step, H = 1, I = 2', () => {
    const config: RecurrentConfig = { mode: 'RNN_TANH', input_size: 2, hidden_size: 1 };
    const params = { weight_ih_l0: f64(0.5, -0.25), weight_hh_l0: f64(0.75), bias_ih_l0: f64(0.1), bias_hh_l0: f64(-0.2) };
    const r = refRecurrentForward(config, params, { input: f64(1, 2), T: 1, B: 1, h0: f64(0.4) });
    const want = Math.tanh(0.5 * 1 - 0.25 * 2 + 0.1 + 0.75 * 0.4 - 0.2);
    expectClose('output', r.output, [want], 1e-15);
    expectClose('h_n', r.h_n, [want], 1e-15);
    // dL/dh0 for L = output: (1 − h²)·w_hh.
    const g = refRecurrentBackward(config, params, { input: f64(1, 2), T: 1, B: 1, h0: f64(0.4) }, r, { grad_output: f64(1) });
    expectClose('grad_h0', g.grad_h0, [(1 - want * want) * 0.75], 1e-15);
    expectClose('grad_input', g.grad_input, [(1 - want * want) * 0.5, (1 - want * want) * -0.25], 1e-15);
  });

  it('RNN_RELU: negative pre-activation gives 0 and zero gradient', () => {
    const config: RecurrentConfig = { mode: 'RNN_RELU', input_size: 1, hidden_size: 1 };
    const params = { weight_ih_l0: f64(2), weight_hh_l0: f64(1), bias_ih_l0: f64(0), bias_hh_l0: f64(0) };
    const inputs = { input: f64(-1, 3), T: 2, B: 1 };
    const r = refRecurrentForward(config, params, inputs);
    expectExact('output', r.output, [0, 6]);
    const g = refRecurrentBackward(config, params, inputs, r, { grad_output: f64(1, 1) });
    expectExact('grad_input', g.grad_input, [0, 2]);
  });

  it('RNN_TANH bidirectional, T = 2: reverse runs t = 1 then t = 0, outputs concatenated, h_n = [fwd at t=1, rev at t=0]', () => {
    const config: RecurrentConfig = { mode: 'RNN_TANH', input_size: 1, hidden_size: 1, bidirectional: true, bias: false };
    const params = { weight_ih_l0: f64(0.5), weight_hh_l0: f64(-0.7), weight_ih_l0_reverse: f64(1.5), weight_hh_l0_reverse: f64(0.3) };
    const [x0, x1] = [0.8, -0.6];
    const r = refRecurrentForward(config, params, { input: f64(x0, x1), T: 2, B: 1 });
    const f0 = Math.tanh(0.5 * x0);
    const f1 = Math.tanh(0.5 * x1 - 0.7 * f0);
    const r1 = Math.tanh(1.5 * x1);
    const r0 = Math.tanh(1.5 * x0 + 0.3 * r1);
    expectClose('output', r.output, [f0, r0, f1, r1], 1e-15);
    expectClose('h_n', r.h_n, [f1, r0], 1e-15);
  });

  it('LSTM: one step, H = 1, gate order i, f, g, o, with and without peepholes', () => {
    const [x, h, c] = [0.7, -0.3, 0.9];
    const wi = [0.1, 0.2, 0.3, 0.4]; // W_ih rows i, f, g, o
    const wh = [-0.5, 0.6, -0.7, 0.8];
    const bi = [0.01, 0.02, 0.03, 0.04];
    const bh = [-0.02, 0.05, 0.07, -0.01];
    const a = wi.map((w, k) => w * x + wh[k]! * h + bi[k]! + bh[k]!);
    const params = { weight_ih_l0: f64(...wi), weight_hh_l0: f64(...wh), bias_ih_l0: f64(...bi), bias_hh_l0: f64(...bh) };
    const inputs = { input: f64(x), T: 1, B: 1, h0: f64(h), c0: f64(c) };

    const r = refRecurrentForward({ mode: 'LSTM', input_size: 1, hidden_size: 1 }, params, inputs);
    const c1 = sig(a[1]!) * c + sig(a[0]!) * Math.tanh(a[2]!);
    const h1 = sig(a[3]!) * Math.tanh(c1);
    expectClose('c_n', r.c_n!, [c1], 1e-15);
    expectClose('h_n', r.h_n, [h1], 1e-15);

    const [pi, pf, po] = [0.5, -0.4, 0.3];
    const rp = refRecurrentForward({ mode: 'LSTM', input_size: 1, hidden_size: 1, peephole: true }, { ...params, weight_ph_l0: f64(pi, pf, po) }, inputs);
    const c1p = sig(a[1]! + pf * c) * c + sig(a[0]! + pi * c) * Math.tanh(a[2]!);
    const h1p = sig(a[3]! + po * c1p) * Math.tanh(c1p);
    expectClose('c_n (peephole)', rp.c_n!, [c1p], 1e-15);
    expectClose('h_n (peephole)', rp.h_n, [h1p], 1e-15);
  });

  it('GRU: one step, H = 1, gate order r, z, n, reset-after and reset-before', () => {
    const [x, h] = [0.7, -0.6];
    const wi = [0.1, 0.2, 0.3]; // rows r, z, n
    const wh = [-0.5, 0.6, -0.7];
    const bi = [0.01, 0.02, 0.03];
    const bh = [-0.02, 0.05, 0.4];
    const params = { weight_ih_l0: f64(...wi), weight_hh_l0: f64(...wh), bias_ih_l0: f64(...bi), bias_hh_l0: f64(...bh) };
    const inputs = { input: f64(x), T: 1, B: 1, h0: f64(h) };
    const r = sig(wi[0]! * x + bi[0]! + wh[0]! * h + bh[0]!);
    const z = sig(wi[1]! * x + bi[1]! + wh[1]! * h + bh[1]!);
    const nAfter = Math.tanh(wi[2]! * x + bi[2]! + r * (wh[2]! * h + bh[2]!));
    const nBefore = Math.tanh(wi[2]! * x + bi[2]! + wh[2]! * (r * h) + bh[2]!);
    const after = refRecurrentForward({ mode: 'GRU', input_size: 1, hidden_size: 1 }, params, inputs);
    const before = refRecurrentForward({ mode: 'GRU', input_size: 1, hidden_size: 1, reset_after: false }, params, inputs);
    expectClose('h_n (reset_after)', after.h_n, [(1 - z) * nAfter + z * h], 1e-15);
    expectClose('h_n (reset_before)', before.h_n, [(1 - z) * nBefore + z * h], 1e-15);
  });

  it('GRU reset_after and reset_before agree when W_hn is diagonal and b_hn = 0, and differ otherwise', () => {
    // r ⊙ (W_hn h) = W_hn (r ⊙ h) exactly when W_hn is diagonal; b_hn sits inside r ⊙ (…) only in reset-after.
    const H = 3;
    const I = 2;
    const T = 4;
    const B = 2;
    const rng = new Rng(77);
    const cfg = (reset_after: boolean): RecurrentConfig => ({ mode: 'GRU', input_size: I, hidden_size: H, reset_after });
    const params = randomParams(cfg(true), rng);
    const Whh = params['weight_hh_l0']!; // (3H, H), rows [2H, 3H) are W_hn
    for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) if (i !== j) Whh[(2 * H + i) * H + j] = 0;
    params['bias_hh_l0']!.fill(0, 2 * H, 3 * H);
    const inputs: RefInputs = { input: rng.normalArray(T * B * I), T, B, h0: rng.normalArray(B * H) };
    const run = (p: Params, ra: boolean) => refRecurrentForward(cfg(ra), p, inputs).output;
    expectClose('diagonal W_hn, b_hn = 0', run(params, false), run(params, true), 1e-14);

    const withBias = { ...params, bias_hh_l0: params['bias_hh_l0']!.slice() };
    withBias['bias_hh_l0']!.fill(0.5, 2 * H, 3 * H);
    const maxDiff = (a: Float64Array, b: Float64Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
    expect(maxDiff(run(withBias, false), run(withBias, true)), 'b_hn ≠ 0').toBeGreaterThan(1e-3);

    const full = { ...params, weight_hh_l0: Whh.slice() };
    full['weight_hh_l0']![(2 * H) * H + 1] = 0.9; // an off-diagonal W_hn entry
    expect(maxDiff(run(full, false), run(full, true)), 'off-diagonal W_hn').toBeGreaterThan(1e-3);
  });
});

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

function expectWebRnnError(fn: () => unknown, code: string, ...fragments: string[]): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'throws').toBeInstanceOf(WebRnnError);
  const e = err as WebRnnError;
  expect(e.code, e.message).toBe(code);
  for (const f of fragments) expect(e.message).toContain(f);
}

describe('validation', () => {
  const config: RecurrentConfig = { mode: 'LSTM', input_size: 3, hidden_size: 2, num_layers: 2, bidirectional: true };
  const rng = new Rng(9);
  const params = randomParams(config, rng);
  const T = 4;
  const B = 2;
  const S = stateSize(config, B);
  const ok: RefInputs = { input: new Float64Array(T * B * 3), T, B };
  const fwd = (c: RecurrentConfig, p: Params, i: RefInputs) => () => refRecurrentForward(c, p, i);

  it('BAD_CONFIG for bad configs', () => {
    expectWebRnnError(fwd({ ...config, hidden_size: 0 }, params, ok), 'BAD_CONFIG', 'hidden_size');
    expectWebRnnError(fwd({ ...config, reset_after: false }, params, ok), 'BAD_CONFIG', 'reset_after');
    expectWebRnnError(fwd({ mode: 'GRU', input_size: 3, hidden_size: 2, peephole: true }, params, ok), 'BAD_CONFIG', 'peephole');
  });

  it('BAD_SHAPE for misshapen inputs, states and upstream gradients', () => {
    expectWebRnnError(fwd(config, params, { ...ok, input: new Float64Array(23) }), 'BAD_SHAPE', 'input', '(T, B, I) = (4, 2, 3)', '24', 'got 23');
    expectWebRnnError(fwd({ ...config, batch_first: true }, params, { ...ok, input: new Float64Array(23) }), 'BAD_SHAPE', '(B, T, I) = (2, 4, 3)');
    expectWebRnnError(fwd(config, params, { ...ok, input: new Float32Array(24) as unknown as Float64Array }), 'BAD_SHAPE', 'Float64Array', 'Float32Array');
    expectWebRnnError(fwd(config, params, { ...ok, T: 0 }), 'BAD_SHAPE', 'T must be a positive integer');
    expectWebRnnError(fwd(config, params, { ...ok, B: 1.5 }), 'BAD_SHAPE', 'B must be a positive integer');
    expectWebRnnError(fwd(config, params, { ...ok, h0: new Float64Array(S - 1) }), 'BAD_SHAPE', 'h0', `${S}`, `got ${S - 1}`);
    expectWebRnnError(fwd(config, params, { ...ok, c0: new Float64Array(S + 1) }), 'BAD_SHAPE', 'c0');
    const gru: RecurrentConfig = { ...config, mode: 'GRU' };
    expectWebRnnError(fwd(gru, randomParams(gru, rng), { ...ok, c0: new Float64Array(S) }), 'BAD_SHAPE', 'c0', 'GRU');
    const f = refRecurrentForward(config, params, ok);
    expectWebRnnError(() => refRecurrentBackward(config, params, ok, f, { grad_output: new Float64Array(3) }), 'BAD_SHAPE', 'grad_output', `${T * B * 4}`);
    expectWebRnnError(() => refRecurrentBackward(config, params, ok, f, { grad_h_n: new Float64Array(3) }), 'BAD_SHAPE', 'grad_h_n');
    expectWebRnnError(() => refRecurrentBackward(config, params, ok, f, { grad_c_n: new Float64Array(3) }), 'BAD_SHAPE', 'grad_c_n');
  });

  it('BAD_SHAPE for missing, misshapen or unexpected parameters', () => {
    const missing = { ...params };
    delete missing['weight_hh_l1_reverse'];
    expectWebRnnError(fwd(config, missing, ok), 'BAD_SHAPE', 'missing', 'weight_hh_l1_reverse', '[8, 2]');
    expectWebRnnError(fwd(config, { ...params, weight_ih_l1: new Float64Array(5) }, ok), 'BAD_SHAPE', 'weight_ih_l1', '[8, 4]', '32', 'got 5');
    expectWebRnnError(fwd(config, { ...params, weight_ph_l0: new Float64Array(6) }, ok), 'BAD_SHAPE', 'unexpected', 'weight_ph_l0');
    expectWebRnnError(fwd({ ...config, bias: false }, params, ok), 'BAD_SHAPE', 'unexpected', 'bias_ih_l0');
  });

  it('BAD_LENGTHS for lengths that are not B integers in 1..T', () => {
    expectWebRnnError(fwd(config, params, { ...ok, lengths: [4] }), 'BAD_LENGTHS', 'B = 2', 'got 1');
    expectWebRnnError(fwd(config, params, { ...ok, lengths: [0, 4] }), 'BAD_LENGTHS', 'lengths[0]', '1..4', 'got 0');
    expectWebRnnError(fwd(config, params, { ...ok, lengths: [4, 5] }), 'BAD_LENGTHS', 'lengths[1]', 'got 5');
    expectWebRnnError(fwd(config, params, { ...ok, lengths: [2.5, 4] }), 'BAD_LENGTHS', 'got 2.5');
    expectWebRnnError(fwd(config, params, { ...ok, lengths: Int32Array.of(3, -1) }), 'BAD_LENGTHS', 'got -1');
  });

  it('BAD_STATE when backward gets a forward result of another call', () => {
    const f = refRecurrentForward(config, params, ok);
    expectWebRnnError(() => refRecurrentBackward(config, params, ok, { ...f, cache: {} } as RefForward, {}), 'BAD_STATE');
    expectWebRnnError(() => refRecurrentBackward(config, params, { ...ok, lengths: [4, 3] }, f, {}), 'BAD_STATE', 'lengths');
    const other: RecurrentConfig = { ...config, bidirectional: false };
    expectWebRnnError(() => refRecurrentBackward(other, randomParams(other, rng), ok, f, {}), 'BAD_STATE', 'bidirectional');
  });

  it('accepts lengths as any ArrayLike and absent upstream gradients', () => {
    const inputs = { ...ok, lengths: Int32Array.of(4, 2) };
    const f = refRecurrentForward(config, params, inputs);
    const g: RefGradients = refRecurrentBackward(config, params, inputs, f, {});
    expectExact('grad_input', g.grad_input, new Float64Array(T * B * 3));
  });
});

describe('Rng', () => {
  it('is deterministic per seed and roughly standard normal', () => {
    expectExact('same seed', new Rng(3).uniformArray(8), new Rng(3).uniformArray(8));
    const x = new Rng(4).normalArray(20000);
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });
});
