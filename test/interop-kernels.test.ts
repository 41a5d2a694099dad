// ONNX's cell options in the step kernels and the config: `fn activate`'s ids follow ACTIVATION_NAMES
// (it is written once, in shaders/shared/onnx_activations.wgsl, and included by every forward step
// kernel; test/shader-build.test.ts checks the includes), and configs with the options are checked.
// The numbers themselves are GPU-vs-float64 cases in test/gpu/recurrent-cases.ts ("onnx …") and
// onnxruntime comparisons in test/interop-onnx.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ACTIVATION_NAMES, forwardOnlyOption, resolveConfig } from '../src/layers/recurrent-config.js';
import { WebRnnError } from '../src/index.js';
import { activate } from './reference/activations.js';
import { refRecurrentBackward, refRecurrentForward } from './reference/recurrent.js';
import { randomParams, Rng } from './reference/random.js';

const activations = readFileSync(join(import.meta.dirname, '..', 'shaders', 'shared', 'onnx_activations.wgsl'), 'utf8');

describe('ONNX cell options', () => {
  test('fn activate: case ids in ACTIVATION_NAMES order, each labelled with its name', () => {
    const body = activations.slice(activations.indexOf('fn activate('), activations.indexOf('fn clip_pre('));
    expect(body.match(/case \d+u:|default:/g)).toHaveLength(ACTIVATION_NAMES.length);
    ACTIVATION_NAMES.forEach((name, id) => {
      if (id < ACTIVATION_NAMES.length - 1) expect(body).toMatch(new RegExp(`case ${id}u: \\{[^\\n]*// ${name}\\n`));
      else expect(body).toMatch(new RegExp(`default: \\{[^\\n]*// ${name}\\n`));
    });
  });

  test('the reference activations are onnxruntime\'s', () => {
    const a = (name: string, alpha = 0, beta = 0) => (x: number) => activate({ name, alpha, beta }, x);
    expect(a('HardSigmoid', 0.2, 0.5)(1)).toBeCloseTo(0.7, 12);
    expect(a('HardSigmoid', 0.2, 0.5)(4)).toBe(1);
    expect(a('ThresholdedRelu', 1)(1)).toBe(0); // x > α, not ≥
    expect(a('LeakyRelu', 0.1)(-2)).toBeCloseTo(-0.2, 12);
    expect(a('ScaledTanh', 2, 3)(0.1)).toBeCloseTo(2 * Math.tanh(0.3), 12);
    expect(a('Elu', 0.5)(-1)).toBeCloseTo(0.5 * (Math.exp(-1) - 1), 12);
    expect(a('Softsign')(-3)).toBe(-0.75);
    expect(a('Softplus')(0)).toBeCloseTo(Math.LN2, 12);
    expect(a('Affine', 2, 1)(3)).toBe(7);
  });

  test('configs: defaults, α/β defaults as onnxruntime, errors name the field', () => {
    expect(resolveConfig({ mode: 'LSTM', input_size: 1, hidden_size: 1 }).activations.map((x) => x.name)).toEqual(['Sigmoid', 'Tanh', 'Tanh']);
    expect(resolveConfig({ mode: 'RNN_RELU', input_size: 1, hidden_size: 1 }).activations).toEqual([{ name: 'Relu', alpha: 0, beta: 0 }]);
    const g = resolveConfig({ mode: 'GRU', input_size: 1, hidden_size: 1, activations: [{ name: 'HardSigmoid' }, { name: 'LeakyRelu' }], clip: 2 });
    expect(g.activations).toEqual([{ name: 'HardSigmoid', alpha: 0.2, beta: 0.5 }, { name: 'LeakyRelu', alpha: 0.01, beta: 0 }]);
    expect(forwardOnlyOption(g)).toMatch(/activations/);
    expect(forwardOnlyOption(resolveConfig({ mode: 'GRU', input_size: 1, hidden_size: 1, clip: 2 }))).toBe('clip 2');
    expect(forwardOnlyOption(resolveConfig({ mode: 'LSTM', input_size: 1, hidden_size: 1, input_forget: true }))).toBe('input_forget');
    expect(forwardOnlyOption(resolveConfig({ mode: 'LSTM', input_size: 1, hidden_size: 1, activations: [{ name: 'Sigmoid' }, { name: 'Tanh' }, { name: 'Tanh' }] }))).toBeUndefined();
    const bad = (c: object, re: RegExp) => expect(() => resolveConfig({ mode: 'LSTM', input_size: 1, hidden_size: 1, ...c } as never)).toThrow(re);
    bad({ activations: [{ name: 'Sigmoid' }] }, /list of 3 \(f, g, h\) for LSTM/);
    bad({ activations: [{ name: 'Swish' }, { name: 'Tanh' }, { name: 'Tanh' }] }, /activations\[0\] must be \{ name, alpha\?, beta\? \}/);
    bad({ activations: [{ name: 'Elu', alpha: 'x' }, { name: 'Tanh' }, { name: 'Tanh' }] }, /activations\[0\].alpha must be a finite number/);
    bad({ clip: -1 }, /clip must be a finite number ≥ 0/);
    expect(() => resolveConfig({ mode: 'GRU', input_size: 1, hidden_size: 1, input_forget: true })).toThrow(/input_forget applies to LSTM only/);
    // A resolved config resolves to itself (what layers pass around).
    const r = resolveConfig({ mode: 'LSTM', input_size: 2, hidden_size: 3, clip: 1, input_forget: true });
    expect(resolveConfig(r)).toEqual(r);
  });

  test('the float64 reference refuses the backward of forward-only options', () => {
    const config = { mode: 'LSTM' as const, input_size: 2, hidden_size: 3, clip: 1 };
    const params = randomParams(config, new Rng(1));
    const inputs = { input: new Float64Array(2 * 1 * 2), T: 2, B: 1 };
    const fwd = refRecurrentForward(config, params, inputs);
    expect(() => refRecurrentBackward(config, params, inputs, fwd, {})).toThrow(WebRnnError);
    expect(() => refRecurrentBackward(config, params, inputs, fwd, {})).toThrow(/clip 1 \(forward only\)/);
  });
});
