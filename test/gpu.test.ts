// GPU kernels vs the float64 reference in Node (Dawn on lavapipe): recurrent stacks, Dense, Embedding,
// OneHot, the losses, the optimizers, dropout, an end-to-end training run and the ONNX Conv kernel. The
// same cases run in Deno and headless Chromium through test/hosts.test.ts. Tolerances are stated in test/gpu/check.ts.
// WEBRNN_CASES=substring runs only the cases whose name contains it.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEngine, type Engine } from '../src/index.js';
import { gpuCases, runGpuCase, type CaseResult, type GpuCase } from './gpu/cases.js';

const filter = process.env.WEBRNN_CASES || undefined;

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => engine?.dispose());

/** Worst relative errors per kind of case, printed at the end (how much margin the tolerances leave). */
const worst = new Map<string, { cases: number; forward: number; grad: number; weights: number }>();
const notes: string[] = [];
function record(c: GpuCase, r: CaseResult): void {
  const w = worst.get(c.kind) ?? { cases: 0, forward: 0, grad: 0, weights: 0 };
  w.cases++;
  w.forward = Math.max(w.forward, r.worstForward ?? 0);
  w.grad = Math.max(w.grad, r.worstGrad ?? 0);
  w.weights = Math.max(w.weights, r.worstWeights ?? 0);
  worst.set(c.kind, w);
  // the training runs' loss curves, and the error f16-weights cases measure against unrounded weights
  if (c.kind === 'train' || c.name.startsWith('f16-weights')) notes.push(`${c.name}: ${r.detail}`);
}
afterAll(() => {
  const e = (v: number) => v.toExponential(2).padStart(9);
  const rows = [...worst].map(([k, w]) => `  ${k.padEnd(14)} ${String(w.cases).padStart(3)} cases  forward ${e(w.forward)}  grads ${e(w.grad)}  weights ${e(w.weights)}`);
  if (rows.length) console.log(`GPU vs float64, worst relative errors (Node):\n${rows.join('\n')}${notes.length ? `\n${notes.join('\n')}` : ''}`);
});

describe('GPU vs float64 reference (Node)', () => {
  for (const c of gpuCases()) {
    if (filter && !c.name.includes(filter)) continue;
    test(c.name, async () => {
      const r = await runGpuCase(engine, c);
      record(c, r);
      expect(r.pass, r.detail).toBe(true);
    });
  }
});
