// CTC: the float64 reference against brute force (every path enumerated) and central finite
// differences; the reference and the GPU against torch.nn.CTCLoss fixtures (test/fixtures-ctc, made by
// scripts/gen_ctc_fixtures.py); the GPU against the reference on seeded cases (long targets, odd
// sizes, a non-zero blank); determinism; validation before GPU work; greedy and prefix beam decoding
// against brute force; and a BiGRU + Dense + CTC model that learns to transcribe digit strings.
//
// Tolerances (max |got − want| / max |want| per tensor): GPU loss and per-row losses 1e-5, GPU
// gradients 1e-4 (the bar for both is 1e-4); reference vs brute force and vs PyTorch 1e-10;
// reference vs finite differences 1e-7 (h = 1e-6).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { CtcLoss } from '../src/ctc/ctc-loss.js';
import { ctcCollapse, ctcGreedyDecode, ctcPrefixBeamSearch } from '../src/ctc/decode.js';
import { Dense } from '../src/layers/dense.js';
import { Recurrent } from '../src/layers/recurrent.js';
import { parseSafetensors, toFloat32, toFloat64, toInt32 } from '../src/formats/safetensors.js';
import { Rng } from '../src/random.js';
import { ctcFeasible, refCtcLoss, refLogSoftmax } from './reference/ctc.js';
import { Adam } from '../src/optim/adam.js';
import { code, engine, expectCloseLoggingWorst, f64, numericGrad, scoped, useEngine } from './helpers/gpu-test.js';

const TOL_LOSS = 1e-5;
const TOL_GRAD = 1e-4;
const TOL_EXACT = 1e-10;
const TOL_FD = 1e-7;

useEngine();
const expectClose = expectCloseLoggingWorst('ctc');

/** All C^T paths of one row (T small): p(labels) = Σ over paths that collapse to labels of Π y. */
function bruteForce(lp: Float64Array, T: number, B: number, C: number, b: number, blank: number): Map<string, number> {
  const probs = new Map<string, number>();
  const path = new Array<number>(T).fill(0);
  for (let k = 0; k < C ** T; k++) {
    let r = k;
    let p = 1;
    for (let t = 0; t < T; t++) {
      path[t] = r % C;
      r = Math.floor(r / C);
      p *= Math.exp(lp[(t * B + b) * C + path[t]]);
    }
    const key = ctcCollapse(path, blank).join(',');
    probs.set(key, (probs.get(key) ?? 0) + p);
  }
  return probs;
}

function randomLogits(rng: Rng, n: number, scale = 1): Float64Array {
  // float32-representable, so the GPU and the reference see the same numbers
  return f64(Float32Array.from(rng.normalArray(n, 0, scale)));
}

describe('float64 reference', () => {
  test('loss equals −log of the brute-force sum over all alignments (repeats, blank ≠ 0, short inputs)', () => {
    const rng = new Rng(1);
    const cases: { T: number; C: number; blank: number; targets: number[][]; lengths?: number[] }[] = [
      { T: 5, C: 3, blank: 0, targets: [[1, 2], [1, 1], [2], []] },
      { T: 6, C: 4, blank: 2, targets: [[0, 0, 1], [3, 1, 3]], lengths: [6, 4] },
      { T: 3, C: 3, blank: 0, targets: [[1, 1], [2, 1, 2]] },
    ];
    for (const c of cases) {
      const B = c.targets.length;
      const x = randomLogits(rng, c.T * B * c.C);
      const r = refCtcLoss(x, c.T, B, c.C, c.targets, { blank: c.blank, reduction: 'sum', input_lengths: c.lengths });
      const lp = refLogSoftmax(x, c.C);
      for (let b = 0; b < B; b++) {
        const Tb = c.lengths?.[b] ?? c.T;
        // brute force over the row's first Tb steps: a (Tb, 1, C) slice
        const rowLp = new Float64Array(Tb * c.C);
        for (let t = 0; t < Tb; t++) rowLp.set(lp.subarray((t * B + b) * c.C, (t * B + b + 1) * c.C), t * c.C);
        const p = bruteForce(rowLp, Tb, 1, c.C, 0, c.blank).get(c.targets[b].join(',')) ?? 0;
        expect(ctcFeasible(c.targets[b], Tb)).toBe(p > 0);
        if (p === 0) expect(r.losses[b]).toBe(Infinity);
        else expect(Math.abs(r.losses[b] + Math.log(p))).toBeLessThan(TOL_EXACT * Math.max(1, Math.abs(Math.log(p))));
      }
    }
  });

  test('gradient w.r.t. logits matches central differences (mean and sum, variable lengths, blank ≠ 0)', () => {
    const rng = new Rng(2);
    const T = 7, B = 3, C = 5;
    const targets = [[1, 1, 3], [4], [2, 3, 2, 3]];
    for (const reduction of ['mean', 'sum'] as const) {
      for (const blank of [0, 4]) {
        const tg = blank === 4 ? targets.map((t) => t.map((v) => (v === 4 ? 0 : v))) : targets;
        const x = randomLogits(rng, T * B * C);
        const opts = { blank, reduction, input_lengths: [7, 5, 6] };
        const g = refCtcLoss(x, T, B, C, tg, opts).grad_input;
        expectClose(`fd ${reduction} blank ${blank}`, g, numericGrad(x, () => refCtcLoss(x, T, B, C, tg, opts).loss), TOL_FD);
        // steps past a row's length get no gradient
        for (let c = 0; c < C; c++) expect(g[(6 * B + 1) * C + c]).toBe(0);
      }
    }
  });
});

const FIXTURES = fileURLToPath(new URL('./fixtures-ctc', import.meta.url));

describe('reference and GPU vs torch.nn.CTCLoss fixtures', () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.safetensors')).sort();
  test('has fixtures', () => expect(files.length).toBeGreaterThanOrEqual(9));
  for (const file of files) {
    test(file, async () => {
      const f = parseSafetensors(new Uint8Array(readFileSync(join(FIXTURES, file))), { source: file });
      const cfg = JSON.parse(f.metadata.case) as { blank: number; reduction: 'mean' | 'sum'; zero_infinity: boolean };
      const t = f.tensors;
      const logitsT = t.get('logits')!;
      const [T, B, C] = logitsT.shape;
      const logits = toFloat32(logitsT);
      const flat = toInt32(t.get('targets')!);
      const tl = toInt32(t.get('target_lengths')!);
      const il = Array.from(toInt32(t.get('input_lengths')!));
      const targets: number[][] = [];
      let o = 0;
      for (let b = 0; b < B; b++) {
        targets.push(Array.from(flat.subarray(o, o + tl[b])));
        o += tl[b];
      }
      const wantLoss = toFloat64(t.get('expected.loss')!)[0];
      const wantLosses = toFloat64(t.get('expected.losses')!);
      const wantGrad = toFloat64(t.get('expected.grad.logits')!);
      const finite = (a: ArrayLike<number>) => Array.from(a).map((v) => (Number.isFinite(v) ? v : 0));
      const nanRows = (a: ArrayLike<number>) => Array.from(a).map((v) => Number.isNaN(v));

      const ref = refCtcLoss(f64(logits), T, B, C, targets, { ...cfg, input_lengths: il });
      if (Number.isFinite(wantLoss)) expect(Math.abs(ref.loss - wantLoss)).toBeLessThanOrEqual(TOL_EXACT * Math.abs(wantLoss));
      else expect(ref.loss).toBe(wantLoss);
      expect(Array.from(ref.losses).map(Number.isFinite)).toEqual(Array.from(wantLosses).map(Number.isFinite));
      expectClose('ref losses', finite(ref.losses), finite(wantLosses), TOL_EXACT);
      expect(nanRows(ref.grad_input)).toEqual(nanRows(wantGrad));
      expectClose('ref grad', finite(ref.grad_input), finite(wantGrad), TOL_EXACT);

      await scoped(async () => {
        const ctc = new CtcLoss(engine, cfg);
        const x = engine.tensor(logits, [T, B, C]);
        const r = ctc.forward(x, targets, { input_lengths: il });
        const loss = (await r.loss.read())[0];
        const losses = await r.losses.read();
        const grad = await r.grad_input.read();
        if (Number.isFinite(wantLoss)) expectClose(`${file} loss`, [loss], [wantLoss], TOL_LOSS, 'torch loss');
        else expect(loss).toBe(wantLoss);
        expect(Array.from(losses).map(Number.isFinite)).toEqual(Array.from(wantLosses).map(Number.isFinite));
        expectClose(`${file} losses`, finite(losses), finite(wantLosses), TOL_LOSS, 'torch loss');
        expect(nanRows(grad)).toEqual(nanRows(wantGrad));
        expectClose(`${file} grad`, finite(grad), finite(wantGrad), TOL_GRAD, 'torch grad');
        x.dispose();
        ctc.dispose();
      });
    });
  }
});

describe('GPU vs float64 reference', () => {
  test('seeded cases: long targets (S > 64 states), long inputs (T = 200, peaky), odd sizes, blank ≠ 0, empty targets, plan reuse', async () => {
    const rng = new Rng(3);
    const ctc = new CtcLoss(engine, { blank: 3 });
    const ctcSum = new CtcLoss(engine, { reduction: 'sum' });
    await scoped(async () => {
      for (const [T, B, C, maxL, scale] of [[40, 6, 7, 35, 1], [40, 6, 7, 4, 1], [40, 6, 7, 9, 3], [1, 1, 4, 1, 1], [17, 33, 29, 6, 2], [9, 2, 2, 3, 1], [200, 3, 30, 80, 3]] as const) {
        for (const [loss, blank] of [[ctc, 3], [ctcSum, 0]] as const) {
          if (blank >= C) continue;
          const lengths = Array.from({ length: B }, () => rng.int(1, T));
          const targets = lengths.map((Tb) => {
            const L = rng.int(0, Math.min(maxL, Tb));
            const labels: number[] = [];
            while (labels.length < L) {
              const v = rng.int(0, C - 1);
              if (v !== blank) labels.push(v);
            }
            while (!ctcFeasible(labels, Tb)) labels.pop();
            return labels;
          });
          const x32 = Float32Array.from(rng.normalArray(T * B * C, 0, scale));
          const ref = refCtcLoss(f64(x32), T, B, C, targets, { blank, reduction: loss.reduction, input_lengths: lengths });
          const x = engine.tensor(x32, [T, B, C]);
          const r = loss.forward(x, targets, { input_lengths: lengths });
          const name = `T${T} B${B} C${C} L≤${maxL} ${loss.reduction}`;
          expectClose(`${name} loss`, await r.loss.read(), [ref.loss], TOL_LOSS, 'loss');
          expectClose(`${name} losses`, await r.losses.read(), ref.losses, TOL_LOSS, 'loss');
          expectClose(`${name} grad`, await r.grad_input.read(), ref.grad_input, TOL_GRAD, 'grad');
          x.dispose();
        }
      }
    });
    ctc.dispose();
    ctcSum.dispose();
  });

  test('deterministic: the same bits on every run; the loss is unaffected by logits past a row’s length', async () => {
    const rng = new Rng(4);
    const T = 20, B = 5, C = 6;
    const x32 = Float32Array.from(rng.normalArray(T * B * C));
    const targets = [[1, 2, 3], [5, 5], [], [4, 1, 4, 1], [2]];
    const lengths = [20, 7, 3, 15, 1];
    const ctc = new CtcLoss(engine);
    await scoped(async () => {
      const x = engine.tensor(x32, [T, B, C]);
      const a = ctc.forward(x, targets, { input_lengths: lengths });
      const l1 = await a.loss.read();
      const g1 = await a.grad_input.read();
      const b = ctc.forward(x, targets, { input_lengths: lengths });
      expect(await b.loss.read()).toEqual(l1);
      expect(await b.grad_input.read()).toEqual(g1);
      const y32 = x32.slice();
      for (let t = 7; t < T; t++) for (let c = 0; c < C; c++) y32[(t * B + 1) * C + c] = 100 * rng.normal();
      const y = engine.tensor(y32, [T, B, C]);
      expect(await ctc.forward(y, targets, { input_lengths: lengths }).loss.read()).toEqual(l1);
      x.dispose();
      y.dispose();
    });
    ctc.dispose();
  });

  test('bad arguments throw WebRnnError before any GPU work', () => {
    const ctc = new CtcLoss(engine, { blank: 0 });
    const x = engine.tensor(new Float32Array(4 * 2 * 3), [4, 2, 3]);
    expect(code(() => new CtcLoss(engine, { blank: -1 }))).toBe('BAD_CONFIG');
    expect(code(() => new CtcLoss(engine, { reduction: 'none' as 'sum' }))).toBe('BAD_CONFIG');
    expect(code(() => new CtcLoss(engine, { foo: 1 } as object))).toBe('BAD_CONFIG');
    expect(code(() => ctc.forward(x, [[1]]))).toBe('BAD_SHAPE');
    expect(code(() => ctc.forward(x, [[1], [0]]))).toBe('BAD_VALUE'); // the blank is not a label
    expect(code(() => ctc.forward(x, [[1], [3]]))).toBe('BAD_VALUE');
    expect(code(() => ctc.forward(x, [[1], [1.5]]))).toBe('BAD_VALUE');
    expect(code(() => ctc.forward(x, [[1], [2]], { input_lengths: [4, 5] }))).toBe('BAD_LENGTHS');
    expect(code(() => ctc.forward(x, [[1], [2]], { input_lengths: [0, 4] }))).toBe('BAD_LENGTHS');
    expect(code(() => ctc.forward(x.view([8, 3]), [[1], [2]]))).toBe('BAD_SHAPE');
    expect(code(() => new CtcLoss(engine, { blank: 3 }).forward(x, [[1], [2]]))).toBe('BAD_SHAPE');
    x.dispose();
    ctc.dispose();
    expect(code(() => ctc.forward(x, [[1], [2]]))).toBe('DISPOSED');
  });
});

describe('decoding', () => {
  test('collapse: repeats not separated by a blank merge, then blanks go', () => {
    expect(ctcCollapse([0, 1, 1, 0, 1, 2, 2, 0], 0)).toEqual([1, 1, 2]);
    expect(ctcCollapse([3, 3, 3], 0)).toEqual([3]);
    expect(ctcCollapse([2, 0, 0, 2], 2)).toEqual([0]);
    expect(ctcCollapse([], 0)).toEqual([]);
  });

  test('greedy decoding follows the best path of each row up to its length', () => {
    // (T=4, B=2, C=3): row 0 path 1 1 0 2 -> [1, 2]; row 1 path 2 0 2 (length 3) -> [2, 2]
    const s = new Float32Array(4 * 2 * 3);
    const set = (t: number, b: number, c: number) => (s[(t * 2 + b) * 3 + c] = 5);
    [1, 1, 0, 2].forEach((c, t) => set(t, 0, c));
    [2, 0, 2, 1].forEach((c, t) => set(t, 1, c));
    expect(ctcGreedyDecode(s, [4, 2, 3], { input_lengths: [4, 3] })).toEqual([[1, 2], [2, 2]]);
  });

  test('prefix beam search sums paths: it finds the brute-force most probable labelling where greedy does not', () => {
    // Two steps, classes {blank, a}: y(blank) = 0.6, y(a) = 0.4 at both steps. Greedy (best path
    // blank blank) reads "", p = 0.36; but p("a") = 0.4·0.4 + 0.4·0.6 + 0.6·0.4 = 0.64.
    const lp = Float64Array.from([0.6, 0.4, 0.6, 0.4].map(Math.log));
    expect(ctcGreedyDecode(lp, [2, 1, 2])).toEqual([[]]);
    const [[best, second]] = ctcPrefixBeamSearch(lp, [2, 1, 2], { input: 'log_probs', beam_width: 4 });
    expect(best.labels).toEqual([1]);
    expect(Math.exp(best.log_prob)).toBeCloseTo(0.64, 14);
    expect(second.labels).toEqual([]);
    expect(Math.exp(second.log_prob)).toBeCloseTo(0.36, 14);
  });

  test('with a wide beam, every labelling’s probability equals the brute-force sum (random logits, blank ≠ 0)', () => {
    const rng = new Rng(5);
    const T = 5, B = 2, C = 4, blank = 1;
    const x = randomLogits(rng, T * B * C, 1.5);
    const lp = refLogSoftmax(x, C);
    const hyps = ctcPrefixBeamSearch(x, [T, B, C], { blank, beam_width: 1000 });
    for (let b = 0; b < B; b++) {
      const brute = bruteForce(lp, T, B, C, b, blank);
      expect(hyps[b].length).toBe(brute.size);
      for (const h of hyps[b]) expect(Math.abs(Math.exp(h.log_prob) - brute.get(h.labels.join(','))!)).toBeLessThan(1e-13);
      const bestKey = [...brute.entries()].sort((p, q) => q[1] - p[1])[0][0];
      expect(hyps[b][0].labels.join(',')).toBe(bestKey);
      // and the reference loss of a labelling is −log of the same number
      const target = hyps[b][1].labels;
      const targets = b === 0 ? [target, []] : [[], target];
      const r = refCtcLoss(x, T, B, C, targets, { blank, reduction: 'sum' });
      expect(Math.abs(r.losses[b] + hyps[b][1].log_prob)).toBeLessThan(1e-12);
    }
    // a narrow beam still returns its best prefixes, best first
    const narrow = ctcPrefixBeamSearch(x, [T, B, C], { blank, beam_width: 2 });
    expect(narrow[0].length).toBeLessThanOrEqual(2);
    expect(narrow[0][0].log_prob).toBeGreaterThanOrEqual(narrow[0][1].log_prob);
  });

  test('bad decoder arguments are WebRnnErrors', () => {
    expect(code(() => ctcGreedyDecode(new Float32Array(5), [2, 1, 3]))).toBe('BAD_SHAPE');
    expect(code(() => ctcGreedyDecode(new Float32Array(6), [2, 1, 3], { blank: 3 }))).toBe('BAD_VALUE');
    expect(code(() => ctcGreedyDecode(new Float32Array(6), [2, 1, 3], { input_lengths: [3] }))).toBe('BAD_LENGTHS');
    expect(code(() => ctcPrefixBeamSearch(new Float32Array(6), [2, 1, 3], { beam_width: 0 }))).toBe('BAD_VALUE');
  });
});

/**
 * Synthetic "speech": a digit string (1–5 digits) rendered as frames. Each digit is 1–3 noisy frames
 * of its own random prototype vector; silence (noise only) of 0–2 frames surrounds the digits and at
 * least one silence frame separates equal neighbours (as a pause would). Classes: 0 blank, 1 + digit.
 */
function digitFrames(rng: Rng, B: number, T: number, I: number, prototypes: Float64Array[], noise: number) {
  const input = new Float32Array(T * B * I); // time-major
  const lengths: number[] = [];
  const targets: number[][] = [];
  for (let b = 0; b < B; b++) {
    const digits = Array.from({ length: rng.int(1, 5) }, () => rng.int(0, 9));
    const frames: (number | null)[] = [];
    for (let k = 0; k < rng.int(0, 2); k++) frames.push(null);
    digits.forEach((d, i) => {
      const gap = i > 0 && digits[i - 1] === d ? rng.int(1, 2) : i > 0 ? rng.int(0, 1) : 0;
      for (let k = 0; k < gap; k++) frames.push(null);
      for (let k = rng.int(1, 3); k > 0; k--) frames.push(d);
    });
    for (let k = rng.int(0, 2); k > 0 && frames.length < T; k--) frames.push(null);
    frames.length = Math.min(frames.length, T);
    frames.forEach((d, t) => {
      for (let i = 0; i < I; i++) input[(t * B + b) * I + i] = (d === null ? 0 : prototypes[d][i]) + noise * rng.normal();
    });
    lengths.push(frames.length);
    targets.push(digits.map((d) => d + 1));
  }
  return { input, lengths, targets };
}

describe('a small CTC model learns', () => {
  test('BiGRU + Dense + CTC transcribes noisy digit-frame sequences (greedy decoding, held out)', async () => {
    const rng = new Rng(7);
    const NOISE = 0.5;
    const T = 26, B = 32, I = 12, H = 32, C = 11;
    const prototypes = Array.from({ length: 10 }, () => rng.normalArray(I));
    const rnn = new Recurrent(engine, { mode: 'GRU', input_size: I, hidden_size: H, bidirectional: true }, { seed: 1 });
    const head = new Dense(engine, { in_features: 2 * H, out_features: C }, { seed: 2 });
    const ctc = new CtcLoss(engine);
    const opt = new Adam(engine, [rnn.store, head.store], { lr: 1e-2, clip_norm: 5 });
    const x = engine.empty([T, B, I]);
    const step = (batch: ReturnType<typeof digitFrames>, train: boolean) => {
      x.write(batch.input);
      const out = rnn.forward(x, { lengths: batch.lengths }).output;
      const logits = head.forward(out);
      if (!train) return { logits };
      const r = ctc.forward(logits, batch.targets, { input_lengths: batch.lengths });
      rnn.backward({ grad_output: head.backward(r.grad_input).grad_input });
      return { logits, loss: r.loss };
    };
    const losses: number[] = [];
    await scoped(async () => {
      for (let i = 1; i <= 400; i++) {
        const { loss } = step(digitFrames(rng, B, T, I, prototypes, NOISE), true);
        await opt.stepChecked(i);
        if (i === 1 || i % 100 === 0) losses.push((await loss!.read())[0]);
      }
    });
    let exact = 0, total = 0, editErrors = 0, labels = 0;
    for (let k = 0; k < 8; k++) {
      const batch = digitFrames(rng, B, T, I, prototypes, NOISE);
      const { logits } = step(batch, false);
      const decoded = ctcGreedyDecode(await logits.read(), [T, B, C], { input_lengths: batch.lengths });
      decoded.forEach((d, b) => {
        total++;
        labels += batch.targets[b].length;
        editErrors += editDistance(d, batch.targets[b]);
        if (d.join() === batch.targets[b].join()) exact++;
      });
    }
    const acc = exact / total;
    console.log(`CTC digits: loss ${losses.map((l) => l.toFixed(3)).join(' → ')}; held-out greedy sequence accuracy ${(100 * acc).toFixed(1)}% (${exact}/${total}), label error rate ${((100 * editErrors) / labels).toFixed(2)}%`);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] / 10);
    expect(acc).toBeGreaterThan(0.95);
    for (const d of [rnn, head, ctc, opt, x]) d.dispose();
  });
});

function editDistance(a: readonly number[], b: readonly number[]): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length][b.length];
}
