// GPU kernels vs the float64 reference in Node (Dawn on lavapipe). The same cases run in Deno and
// headless Chromium through test/hosts.test.ts. Tolerances are stated in test/gpu/cases.ts.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEngine, type Engine } from '../src/index.js';
import { gpuCases, runGpuCase } from './gpu/cases.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => engine?.dispose());

describe('GPU vs float64 reference (Node)', () => {
  for (const c of gpuCases()) {
    test(c.name, async () => {
      const r = await runGpuCase(engine, c);
      expect(r.pass, r.detail).toBe(true);
    });
  }
});
