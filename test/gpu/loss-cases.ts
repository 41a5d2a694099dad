// CrossEntropyLoss (both kernels: one invocation per row, one workgroup per row), BCEWithLogitsLoss and
// MSELoss on the GPU vs the float64 references (test/reference/losses.ts): loss value and dloss/dinput, with
// ignore_index, row and element masks, sequence masks from lengths, both reductions, extreme logits,
// and sizes that need two levels of the fixed-order reduction. Tolerances in check.ts.
import type { Engine } from '../../src/gpu/engine.js';
import { CrossEntropyLoss } from '../../src/losses/cross-entropy.js';
import { BCEWithLogitsLoss, MSELoss } from '../../src/losses/elementwise.js';
import type { LossResult, Reduction } from '../../src/losses/loss.js';
import { sequenceMask } from '../../src/losses/mask.js';
import { Rng } from '../../src/random.js';
import { refBceWithLogits, refCrossEntropy, refMse, type RefLoss } from '../reference/losses.js';
import { f32, rounded, runCase, type CaseContext, type CaseResult } from './check.js';

export interface CrossEntropyCase {
  kind: 'cross-entropy';
  name: string;
  /** logits shape (…, C) */
  shape: number[];
  reduction: Reduction;
  /** fraction of rows whose target is ignore_index */
  ignore?: number;
  ignore_index?: number;
  /** 'rows': a random 0/1 row mask; lengths: a sequence mask over (T, B) or, batch_first, (B, T) */
  mask?: 'rows' | { lengths: number[]; batch_first?: boolean };
  /** logits drawn from U(−scale, scale); a few rows get ±80 */
  scale: number;
  seed: number;
}

export interface ElementwiseLossCase {
  kind: 'bce' | 'mse';
  name: string;
  shape: number[];
  reduction: Reduction;
  mask: 'none' | 'row' | 'element';
  /** the target as a GPU tensor or as CPU values */
  target: 'tensor' | 'array';
  seed: number;
}

export type LossCase = CrossEntropyCase | ElementwiseLossCase;

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Every loss case, in a fixed order. */
export function lossCases(): LossCase[] {
  let seed = 300;
  const ce: Omit<CrossEntropyCase, 'kind' | 'name' | 'seed'>[] = [
    { shape: [1, 1], reduction: 'mean', scale: 3 },
    { shape: [67, 5], reduction: 'mean', ignore: 0.2, scale: 20 },
    { shape: [130, 33], reduction: 'sum', mask: 'rows', scale: 3 },
    { shape: [3, 300], reduction: 'mean', ignore: 0.3, ignore_index: 7, scale: 3 },
    { shape: [5, 3, 11], reduction: 'mean', mask: { lengths: [5, 2, 3] }, scale: 2 },
    { shape: [3, 5, 11], reduction: 'sum', mask: { lengths: [5, 2, 3], batch_first: true }, scale: 2 },
    { shape: [4500, 3], reduction: 'mean', ignore: 0.1, mask: 'rows', scale: 3 },
    { shape: [4, 6], reduction: 'mean', ignore: 1, scale: 3 },
  ];
  const ceName = (c: (typeof ce)[number]) => {
    const m = c.mask === undefined ? '' : c.mask === 'rows' ? ', row mask' : `, sequence mask lengths ${c.mask.lengths}${c.mask.batch_first ? ' batch_first' : ''}`;
    const ig = c.ignore === 1 ? ', every row ignored' : c.ignore ? `, ignore_index ${c.ignore_index ?? -100} rows` : '';
    return `cross-entropy: logits [${c.shape}], ${c.reduction}${ig}${m}, ±${c.scale}; row and workgroup kernels`;
  };
  const elementwise: Omit<ElementwiseLossCase, 'kind' | 'name' | 'seed'>[] = [
    { shape: [1], reduction: 'mean', mask: 'none', target: 'tensor' },
    { shape: [67], reduction: 'sum', mask: 'element', target: 'array' },
    { shape: [7, 9], reduction: 'mean', mask: 'row', target: 'tensor' },
    { shape: [4, 5, 3], reduction: 'sum', mask: 'none', target: 'array' },
    { shape: [70, 70], reduction: 'mean', mask: 'row', target: 'array' },
  ];
  const out: LossCase[] = ce.map((c) => ({ kind: 'cross-entropy', ...c, name: ceName(c), seed: seed++ }));
  for (const kind of ['bce', 'mse'] as const) {
    for (const c of elementwise) {
      out.push({ kind, ...c, seed: seed++, name: `${kind}: input [${c.shape}], ${c.reduction}, mask ${c.mask}, target ${c.target}` });
    }
  }
  return out;
}

export function runLossCase(engine: Engine, c: LossCase): Promise<CaseResult> {
  return c.kind === 'cross-entropy' ? runCrossEntropy(engine, c) : runElementwise(engine, c);
}

async function checkLoss(t: CaseContext, what: string, r: LossResult, ref: RefLoss): Promise<void> {
  t.expect(r.loss.shape.length === 0, `${what}: loss shape [${r.loss.shape}], want []`);
  t.check(`${what} loss`, await r.loss.read(), [ref.loss], 'forward');
  t.check(`${what} grad_input`, await r.grad_input.read(), ref.grad_input, 'grad');
}

function runCrossEntropy(engine: Engine, c: CrossEntropyCase): Promise<CaseResult> {
  return runCase(engine, c.name, async (t) => {
    const rng = new Rng(c.seed);
    const C = c.shape[c.shape.length - 1];
    const N = size(c.shape) / C;
    const ignore = c.ignore_index ?? -100;
    const x = rounded(rng.uniformArray(N * C, -c.scale, c.scale));
    // a few rows with one huge logit: the max-subtracted log-sum-exp must not overflow
    for (let n = 0; n < N; n += 17) x[n * C + rng.int(0, C - 1)] = rng.next() < 0.5 ? 80 : -80;
    const targets = Int32Array.from({ length: N }, () => (c.ignore && rng.next() < c.ignore ? ignore : rng.int(0, C - 1)));
    let mask: Uint8Array | undefined;
    if (c.mask === 'rows') mask = Uint8Array.from({ length: N }, () => (rng.next() < 0.7 ? 1 : 0));
    else if (c.mask) mask = sequenceMask(c.mask.lengths, c.mask.batch_first ? c.shape[1] : c.shape[0], { batch_first: c.mask.batch_first });
    const ref = refCrossEntropy(x, targets, C, { reduction: c.reduction, ignore_index: ignore, mask });
    const xt = t.own(engine.tensor(f32(x), c.shape));
    for (const variant of ['row', 'workgroup'] as const) {
      const ce = t.own(new CrossEntropyLoss(engine, { variant }));
      const r = ce.forward(xt, targets, { reduction: c.reduction, ignore_index: c.ignore_index, mask });
      t.expect(r.grad_input.shape.join() === c.shape.join(), `${variant}: grad_input shape [${r.grad_input.shape}]`);
      await checkLoss(t, variant, r, ref);
    }
  });
}

function runElementwise(engine: Engine, c: ElementwiseLossCase): Promise<CaseResult> {
  return runCase(engine, c.name, async (t) => {
    const rng = new Rng(c.seed);
    const n = size(c.shape);
    const F = c.shape[c.shape.length - 1];
    const x = rounded(rng.uniformArray(n, -6, 6));
    if (n > 3) [x[0], x[1], x[2]] = [40, -40, 88];
    const y = rounded(c.kind === 'bce' ? rng.uniformArray(n, 0, 1) : rng.uniformArray(n, -2, 2));
    const mask = c.mask === 'none' ? undefined : Uint8Array.from({ length: c.mask === 'row' ? n / F : n }, () => (rng.next() < 0.6 ? 1 : 0));
    const opts = { reduction: c.reduction, mask };
    const ref = (c.kind === 'bce' ? refBceWithLogits : refMse)(x, y, F, opts);
    const loss = t.own(c.kind === 'bce' ? new BCEWithLogitsLoss(engine) : new MSELoss(engine));
    const xt = t.own(engine.tensor(f32(x), c.shape));
    const target = c.target === 'tensor' ? t.own(engine.tensor(f32(y), c.shape)) : f32(y);
    await checkLoss(t, c.kind, loss.forward(xt, target, opts), ref);
    // a second call on the same workspace with other values
    const x2 = rounded(rng.uniformArray(n, -3, 3));
    const xt2 = t.own(engine.tensor(f32(x2), c.shape));
    await checkLoss(t, `${c.kind} (second call)`, loss.forward(xt2, target, opts), (c.kind === 'bce' ? refBceWithLogits : refMse)(x2, y, F, opts));
  });
}
