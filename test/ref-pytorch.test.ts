// The float64 CPU reference (test/reference/) against PyTorch's own numbers on every committed fixture
// (test/fixtures, made by scripts/gen_fixtures.py with torch in float64). This pins the reference —
// which every GPU test trusts — to PyTorch independently of the GPU and of the CLI.
// Tolerance: 1e-6 · max |expected| per tensor (the fixture inputs are float32-exact; only rounding
// of the stored results remains).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadRunJob } from '../src/cli/run-job.js';
import { parameterSpecs } from '../src/layers/recurrent-config.js';
import { parseSafetensors, toFloat64 } from '../src/formats/safetensors.js';
import { refRecurrentBackward, refRecurrentForward } from './reference/recurrent.js';
import { readFileSync } from 'node:fs';

const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));
const CASES = readdirSync(FIXTURES).filter((d) => statSync(join(FIXTURES, d)).isDirectory()).sort();
const f64 = (a: Float32Array | undefined) => (a ? Float64Array.from(a) : undefined);

describe('float64 reference vs PyTorch fixtures', () => {
  it('has fixtures', () => expect(CASES.length).toBeGreaterThanOrEqual(20));
  for (const name of CASES) {
    it(name, async () => {
      const dir = join(FIXTURES, name);
      const job = await loadRunJob({
        config: join(dir, 'config.json'),
        weights: join(dir, 'weights.safetensors'),
        input: join(dir, 'inputs.safetensors'),
        out: join(dir, 'unused.safetensors'),
      });
      const c = job.resolved;
      const [T, B] = c.batch_first ? [job.input.shape[1], job.input.shape[0]] : [job.input.shape[0], job.input.shape[1]];
      const params: Record<string, Float64Array> = {};
      for (const [k, v] of Object.entries(job.weights)) params[k] = Float64Array.from(v);
      const inputs = { input: f64(job.input.data)!, T, B, h0: f64(job.h0?.data), c0: f64(job.c0?.data), lengths: job.lengths };
      const fwd = refRecurrentForward(job.config, params, inputs);
      const got: Record<string, Float64Array> = { output: fwd.output, h_n: fwd.h_n };
      if (fwd.c_n) got.c_n = fwd.c_n;
      if (job.upstream) {
        const u = job.upstream;
        const g = refRecurrentBackward(job.config, params, inputs, fwd, { grad_output: f64(u.grad_output?.data), grad_h_n: f64(u.grad_h_n?.data), grad_c_n: f64(u.grad_c_n?.data) });
        got['grad.input'] = g.grad_input;
        if (job.h0) got['grad.h0'] = g.grad_h0;
        if (job.c0) got['grad.c0'] = g.grad_c0!;
        for (const s of parameterSpecs(job.config)) got[`grad.${s.name}`] = g.grads[s.name];
      }
      const expected = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'expected.safetensors')))).tensors;
      expect(Object.keys(got).sort()).toEqual([...expected.keys()].sort());
      for (const [k, e] of expected) {
        const ev = toFloat64(e);
        const gv = got[k];
        const scale = ev.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        let worst = 0;
        let at = 0;
        for (let i = 0; i < ev.length; i++) {
          const d = Math.abs(gv[i] - ev[i]);
          if (!(d <= worst)) [worst, at] = [d, i];
        }
        expect(worst, `${k}[${at}]: ref ${gv[at]} torch ${ev[at]}`).toBeLessThanOrEqual(1e-6 * scale);
      }
    });
  }
});
