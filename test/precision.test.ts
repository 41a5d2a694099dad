// Precision 'f16-weights' (RecurrentOptions.precision) in Node: what the engine reports, the options'
// errors (before any GPU work), the variants it refuses when forced and the ones the tuner times, the
// state_dict and gradients staying f32, SequenceModel and the CLI flag. Its numbers against the float64
// reference are test/gpu/f16-cases.ts (every host; a host without shader-f16 checks the refusal there).
import { afterAll, describe, expect, test } from 'vitest';
import { Adam, createEngine, SequenceModel, SGD, WebRnnError, type Engine, type RecurrentConfig } from '../src/index.js';
import { Recurrent } from '../src/layers/recurrent.js';
import { precisionFlag } from '../src/cli/kernels-flag.js';
import { UsageError } from '../src/cli/usage-error.js';
import { failsWithOneLine, ROOT, webrnn } from './helpers/cli-run.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSafetensors, toFloat32 } from '../src/formats/safetensors.js';
import { relErr } from './gpu/check.js';
import { TOL_F16_FORWARD, TOL_F16_GRAD } from './gpu/f16-cases.js';

const engines: Engine[] = [];
afterAll(() => engines.forEach((e) => e.dispose()));
async function engineWith(opts: Parameters<typeof createEngine>[0] = {}): Promise<Engine> {
  const e = await createEngine(opts);
  engines.push(e);
  return e;
}

const CONFIG: RecurrentConfig = { mode: 'GRU', input_size: 4, hidden_size: 8, bidirectional: true };

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return e instanceof WebRnnError ? `${e.code}: ${e.message}` : `other: ${e}`;
  }
  return 'no error';
}

describe("precision 'f16-weights'", () => {
  test('the device has shader-f16 on lavapipe, and the engine says so', async () => {
    const engine = await engineWith();
    expect(engine.device.features.has('shader-f16')).toBe(true);
    expect(engine.precisions).toEqual(['f32', 'f16-weights']);
  });

  test('a bad precision is BAD_CONFIG naming the choices; an unknown option still fails', async () => {
    const engine = await engineWith();
    expect(codeOf(() => new Recurrent(engine, CONFIG, { precision: 'f16' as never }))).toMatch(/^BAD_CONFIG: .*precision must be 'f32' or 'f16-weights', got "f16"/);
    expect(codeOf(() => new Recurrent(engine, CONFIG, { precison: 'f32' } as never))).toMatch(/^BAD_CONFIG/);
  });

  test('forcing coalesced or split-k with f16-weights is BAD_CONFIG at construction; per-step and persistent run', async () => {
    for (const v of ['coalesced', 'split-k'] as const) {
      const engine = await engineWith({ kernels: { gru_step_fwd: v } });
      expect(codeOf(() => new Recurrent(engine, CONFIG, { precision: 'f16-weights' }))).toMatch(new RegExp(`^BAD_CONFIG: .*f16-weights.*gru_step_fwd=${v}`));
    }
    for (const v of ['per-step', 'persistent'] as const) {
      const engine = await engineWith({ kernels: { gru_step_fwd: v } });
      const rnn = new Recurrent(engine, CONFIG, { precision: 'f16-weights', seed: 3 });
      await rnn.forward(engine.tensor(new Float32Array(3 * 2 * 4).fill(0.5), [3, 2, 4])).output.read();
      expect(rnn.kernelVariants()!.schedule).toBe(v);
      rnn.dispose();
    }
  });

  test('the tuner times only per-step and persistent, under a shape class of its own; a restored coalesced choice gives way', async () => {
    const engine = await engineWith({ tuning: 'auto' });
    const rnn = new Recurrent(engine, CONFIG, { precision: 'f16-weights' });
    const x = engine.tensor(new Float32Array(3 * 2 * 4).fill(0.25), [3, 2, 4]);
    rnn.forward(x);
    await engine.tuned();
    await rnn.forward(x).output.read();
    const classes = engine.kernelChoices().choices.gru_step_fwd ?? {};
    const f16 = Object.entries(classes).filter(([k]) => k.endsWith(' f16-weights'));
    expect(f16.length).toBe(1);
    expect(['per-step', 'persistent']).toContain(f16[0][1]);
    const restored = await engineWith({ kernelChoices: { adapter: engine.adapterName, choices: { gru_step_fwd: { [f16[0][0]]: 'coalesced' } } } });
    const again = new Recurrent(restored, CONFIG, { precision: 'f16-weights' });
    await again.forward(restored.tensor(new Float32Array(3 * 2 * 4).fill(0.25), [3, 2, 4])).output.read();
    expect(['per-step', 'persistent']).toContain(again.kernelVariants()!.schedule);
  });

  test('the master weights stay f32: a forward leaves them unrounded, and an SGD step below f16 spacing still moves them', async () => {
    const engine = await engineWith();
    const rnn = new Recurrent(engine, CONFIG, { precision: 'f16-weights', seed: 5 });
    expect(rnn.precision).toBe('f16-weights');
    const before = await rnn.stateDict();
    const x = engine.tensor(Float32Array.from({ length: 3 * 2 * 4 }, (_, i) => Math.cos(i)), [3, 2, 4]);
    rnn.forward(x);
    rnn.backward({ grad_output: engine.tensor(new Float32Array(3 * 2 * 16).fill(1), [3, 2, 16]) });
    const after = await rnn.stateDict();
    for (const k of Object.keys(before)) expect(after[k], k).toEqual(before[k]);
    // the initial weights are not f16 values (so an f16 master would have rounded them)
    const f16ulp = (v: number) => 2 ** (Math.floor(Math.log2(Math.abs(v))) - 10);
    expect(before.weight_hh_l0.some((v) => v !== 0 && Math.abs(v / f16ulp(v) - Math.round(v / f16ulp(v))) > 1e-3)).toBe(true);
    const sgd = new SGD(engine, [rnn.store], { lr: 1e-6 });
    sgd.step();
    const stepped = await rnn.stateDict();
    expect(stepped.weight_hh_l0.some((v, i) => v !== before.weight_hh_l0[i] && Math.abs(v - before.weight_hh_l0[i]) < f16ulp(v) / 4)).toBe(true);
    sgd.dispose();
    rnn.dispose();
  });

  test('SequenceModel passes precision to its recurrent layer; 30 Adam steps with f16 weights learn as f32 does', async () => {
    const engine = await engineWith();
    const config = { embedding: null, rnn: { mode: 'LSTM' as const, input_size: 3, hidden_size: 16 }, linear: { in_features: 16, out_features: 1 }, loss: 'mse' as const, target: 'last_step' as const };
    const B = 8, T = 6;
    const input = Float32Array.from({ length: B * T * 3 }, (_, i) => ((i * 7919) % 113) / 56 - 1);
    // the target: each row's first feature at its first step (needs memory across the sequence)
    const targets = Float32Array.from({ length: B }, (_, b) => input[b * T * 3]);
    const curve = async (precision: 'f32' | 'f16-weights') => {
      const model = new SequenceModel(engine, config, { seed: 4, precision });
      expect(model.rnn.precision).toBe(precision);
      const opt = new Adam(engine, model.blocks(), { lr: 1e-2 });
      const losses: number[] = [];
      for (let i = 0; i < 30; i++) {
        losses.push((await model.lossAndGrad({ B, T, input, targets }).read())[0]);
        opt.step();
      }
      opt.dispose();
      model.dispose();
      return losses;
    };
    const f32 = await curve('f32');
    const f16 = await curve('f16-weights');
    expect(f16[29]).toBeLessThan(f16[0] / 4);
    // the same start (f16 weights move the first loss by ~1e-3 relative) and a curve that follows f32's
    expect(Math.abs(f16[0] - f32[0]) / f32[0]).toBeLessThan(5e-3);
    expect(Math.abs(f16[29] - f32[29])).toBeLessThan(0.1 * f32[0]);
  });

  test('--precision: f32 or f16-weights, anything else a usage error', () => {
    expect(precisionFlag('run', undefined)).toBeUndefined();
    expect(precisionFlag('fit', 'f16-weights')).toBe('f16-weights');
    expect(() => precisionFlag('fit', 'half')).toThrow(UsageError);
    expect(() => precisionFlag('fit', 'half')).toThrow(/--precision must be f32 or f16-weights, got "half"/);
  });

  test('webrnn run --precision f16-weights matches PyTorch (float64, unrounded weights) within the f16 tolerances; a bad value is a usage error', () => {
    const base = join(ROOT, 'test', 'fixtures', 'lstm_lengths_grad'); // LSTM I=4 H=8 T=8 B=4, lengths, all grads
    const out = join(mkdtempSync(join(tmpdir(), 'webrnn-f16-')), 'out.safetensors');
    const r = webrnn(['run', '--config', join(base, 'config.json'), '--weights', join(base, 'weights.safetensors'), '--input', join(base, 'inputs.safetensors'), '--out', out, '--precision', 'f16-weights']);
    expect(r.status, r.stderr).toBe(0);
    const got = parseSafetensors(new Uint8Array(readFileSync(out)));
    const want = parseSafetensors(new Uint8Array(readFileSync(join(base, 'expected.safetensors'))));
    for (const name of ['output', 'h_n', 'c_n', 'grad.input', 'grad.weight_hh_l0', 'grad.weight_ih_l0']) {
      const { err } = relErr(toFloat32(got.tensors.get(name)!), toFloat32(want.tensors.get(name)!));
      expect(err, name).toBeLessThanOrEqual(name.startsWith('grad') ? TOL_F16_GRAD : TOL_F16_FORWARD);
      expect(err, `${name}: f16 weights change the result`).toBeGreaterThan(1e-6);
    }
    failsWithOneLine(webrnn(['fit', '--precision', 'f8']), /fit: --precision must be f32 or f16-weights, got "f8"/, 2);
  }, 60_000);
});
