// Recurrent layer stacks (RNN, GRU, LSTM and their variants) on the GPU vs the float64 reference
// (test/reference/recurrent.ts): fixed cases per mode and seeded random configurations. Tolerances in check.ts.
import type { Activation, RecurrentConfig } from '../../src/layers/recurrent-config.js';
import type { Engine } from '../../src/gpu/engine.js';
import { Recurrent, type RecurrentSchedule } from '../../src/layers/recurrent.js';
import { refRecurrentBackward, refRecurrentForward } from '../reference/recurrent.js';
import { randomParams, Rng } from '../reference/random.js';
import { f32, relErr, runCase, type CaseResult } from './check.js';
import { WebRnnError } from '../../src/errors.js';
import type { Precision } from '../../src/gpu/kernel-variants.js';
import { f16Rounded, TOL_F16_FORWARD, TOL_F16_GRAD } from './f16-cases.js';

export interface RecurrentCase {
  kind: 'recurrent';
  name: string;
  config: RecurrentConfig;
  T: number;
  B: number;
  lengths?: number[];
  /** give h0 (and c0 for LSTM) */
  states?: boolean;
  /** which upstream gradients to give */
  upstream?: { output?: boolean; h_n?: boolean; c_n?: boolean };
  /** ONNX's forward-only options (activations, clip, input_forget): check the forward, and that backward refuses */
  forwardOnly?: boolean;
  /** the forward sweep's schedule (default 'auto'); 'persistent' cases also run 'per-step' and must agree bit for bit */
  schedule?: RecurrentSchedule;
  seed: number;
  /** run twice and require bit-identical results (a fixed variant is deterministic) */
  twice?: boolean;
  /**
   * 'f16-weights' (f16-cases.ts): the usual tolerances against the float64 reference run on the weights
   * the kernels read (rounded to f16), and TOL_F16_* against the unrounded one; on an engine without
   * shader-f16, the layer must refuse with BAD_CONFIG instead.
   */
  precision?: Precision;
}

const ALL_UP = { output: true, h_n: true, c_n: true };

function fixedCases(): RecurrentCase[] {
  const c: RecurrentCase[] = [];
  const modes: [string, Partial<RecurrentConfig>][] = [
    ['lstm', { mode: 'LSTM' }],
    ['lstm-peephole', { mode: 'LSTM', peephole: true }],
    ['gru', { mode: 'GRU' }],
    ['gru-reset-before', { mode: 'GRU', reset_after: false }],
    ['rnn-tanh', { mode: 'RNN_TANH' }],
    ['rnn-relu', { mode: 'RNN_RELU' }],
  ];
  let seed = 1;
  const kind = 'recurrent';
  for (const [name, m] of modes) {
    const base = { ...m, input_size: 3, hidden_size: 5 } as RecurrentConfig;
    c.push({ kind, name: `${name} basic`, config: base, T: 4, B: 2, upstream: ALL_UP, seed: seed++ });
    c.push({
      kind,
      name: `${name} 2-layer bidirectional, lengths, h0`,
      config: { ...base, num_layers: 2, bidirectional: true },
      T: 7, B: 5, lengths: [7, 1, 4, 6, 2], states: true, upstream: ALL_UP, seed: seed++,
    });
    c.push({
      kind,
      name: `${name} batch_first, no bias, 3 layers`,
      config: { ...base, num_layers: 3, batch_first: true, bias: false, bidirectional: true },
      T: 5, B: 3, lengths: [3, 5, 2], upstream: { output: true }, seed: seed++,
    });
    c.push({ kind, name: `${name} all sizes 1`, config: { ...base, input_size: 1, hidden_size: 1 }, T: 1, B: 1, states: true, upstream: ALL_UP, seed: seed++ });
    c.push({
      kind,
      name: `${name} H=67 B=9 (past workgroup and batch tiles)`,
      config: { ...base, input_size: 13, hidden_size: 67, bidirectional: true },
      T: 6, B: 9, lengths: [6, 5, 4, 3, 2, 1, 6, 6, 3], states: true, upstream: { h_n: true, c_n: true }, seed: seed++,
    });
    // The persistent sweep (one dispatch per layer) on shapes 'auto' would run per step: several
    // workgroups of batch rows, units past one workgroup's 64, both directions, 2 layers.
    c.push({
      kind,
      name: `${name} persistent = per-step, H=131 B=10, 2-layer bidirectional, lengths, h0`,
      config: { ...base, input_size: 6, hidden_size: 131, num_layers: 2, bidirectional: true },
      T: 5, B: 10, lengths: [5, 1, 3, 5, 2, 4, 5, 1, 2, 3], states: true, upstream: ALL_UP, schedule: 'persistent', seed: seed++,
    });
  }
  // Projections (proj_size): h is R wide, c stays H; the projection's grid past one workgroup (R = 65).
  c.push({ kind, name: 'lstm-proj basic H=5 R=3', config: { mode: 'LSTM', input_size: 3, hidden_size: 5, proj_size: 3 }, T: 4, B: 2, upstream: ALL_UP, seed: seed++ });
  c.push({
    kind,
    name: 'lstm-proj 2-layer bidirectional, lengths, h0, H=6 R=2',
    config: { mode: 'LSTM', input_size: 3, hidden_size: 6, proj_size: 2, num_layers: 2, bidirectional: true },
    T: 7, B: 5, lengths: [7, 1, 4, 6, 2], states: true, upstream: ALL_UP, seed: seed++,
  });
  c.push({
    kind,
    name: 'lstm-proj batch_first, no bias, peephole, 3 layers',
    config: { mode: 'LSTM', input_size: 3, hidden_size: 5, proj_size: 4, num_layers: 3, batch_first: true, bias: false, bidirectional: true, peephole: true },
    T: 5, B: 3, lengths: [3, 5, 2], states: true, upstream: { output: true, c_n: true }, seed: seed++,
  });
  c.push({
    kind,
    name: 'lstm-proj H=67 R=65 B=9 bidirectional (past workgroup and batch tiles)',
    config: { mode: 'LSTM', input_size: 13, hidden_size: 67, proj_size: 65, bidirectional: true },
    T: 6, B: 9, lengths: [6, 5, 4, 3, 2, 1, 6, 6, 3], states: true, upstream: ALL_UP, seed: seed++,
  });
  c.push({ kind, name: 'lstm-proj H=2 R=1 T=1 B=1', config: { mode: 'LSTM', input_size: 1, hidden_size: 2, proj_size: 1 }, T: 1, B: 1, states: true, upstream: ALL_UP, seed: seed++ });
  c.push({
    kind,
    name: 'lstm per-step on a shape auto runs persistent',
    config: { mode: 'LSTM', input_size: 3, hidden_size: 5, bidirectional: true },
    T: 6, B: 3, lengths: [6, 2, 4], states: true, upstream: ALL_UP, schedule: 'per-step', seed: seed++,
  });
  return c;
}

/** Random configurations (seeded): every mode and flag, odd sizes. */
function randomCases(count: number, seed: number): RecurrentCase[] {
  const rng = new Rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(0, xs.length - 1)];
  const out: RecurrentCase[] = [];
  for (let i = 0; i < count; i++) {
    const mode = pick(['LSTM', 'GRU', 'RNN_TANH', 'RNN_RELU'] as const);
    const config: RecurrentConfig = {
      mode,
      input_size: pick([1, 2, 3, 7, 16]),
      hidden_size: pick([1, 2, 5, 8, 31]),
      num_layers: rng.int(1, 3),
      bias: rng.next() < 0.8,
      batch_first: rng.next() < 0.5,
      bidirectional: rng.next() < 0.5,
      ...(mode === 'GRU' ? { reset_after: rng.next() < 0.6 } : {}),
      ...(mode === 'LSTM' ? { peephole: rng.next() < 0.3 } : {}),
    };
    const T = pick([1, 2, 3, 8, 11]);
    const B = pick([1, 2, 4, 6]);
    const lengths = rng.next() < 0.6 ? Array.from({ length: B }, () => rng.int(1, T)) : undefined;
    out.push({
      kind: 'recurrent',
      name: `random #${i} ${JSON.stringify(config)} T=${T} B=${B}${lengths ? ` lengths=${lengths}` : ''}`,
      config, T, B, lengths,
      states: rng.next() < 0.5,
      upstream: { output: rng.next() < 0.8, h_n: rng.next() < 0.6, c_n: rng.next() < 0.6 },
      seed: rng.int(1, 1 << 30),
    });
  }
  return out;
}

/**
 * ONNX's forward-only cell options: every activation of fn activate (with α, β) in the RNN kernel,
 * several in the LSTM and both GRU kernels, clip, input_forget, with peepholes, lengths, h0 and
 * both directions.
 */
function onnxCases(): RecurrentCase[] {
  const kind = 'recurrent';
  const out: RecurrentCase[] = [];
  let seed = 900;
  const common = { T: 6, B: 5, lengths: [6, 2, 5, 1, 4], states: true, forwardOnly: true };
  const rnnActs: Activation[] = [
    { name: 'Sigmoid' }, { name: 'Relu' }, { name: 'Affine', alpha: 0.7, beta: -0.2 }, { name: 'LeakyRelu', alpha: 0.1 },
    { name: 'ThresholdedRelu', alpha: 0.3 }, { name: 'ScaledTanh', alpha: 1.5, beta: 0.6 }, { name: 'HardSigmoid', alpha: 0.3, beta: 0.4 },
    { name: 'Elu', alpha: 0.9 }, { name: 'Softsign' }, { name: 'Softplus' }, { name: 'Tanh' },
  ];
  for (const a of rnnActs) {
    out.push({ kind, name: `onnx rnn ${a.name} clip 0.9`, config: { mode: 'RNN_TANH', input_size: 3, hidden_size: 5, bidirectional: true, activations: [a], clip: 0.9 }, ...common, seed: seed++ });
  }
  out.push({ kind, name: 'onnx rnn Softplus no clip, 2 layers', config: { mode: 'RNN_TANH', input_size: 3, hidden_size: 6, num_layers: 2, activations: [{ name: 'Softplus' }] }, ...common, seed: seed++ });
  const lstm: [string, Partial<RecurrentConfig>][] = [
    ['HardSigmoid/Elu/Softsign clip 1.5', { activations: [{ name: 'HardSigmoid', alpha: 0.25, beta: 0.45 }, { name: 'Elu', alpha: 1.1 }, { name: 'Softsign' }], clip: 1.5 }],
    ['input_forget peephole', { input_forget: true, peephole: true }],
    ['clip 0.5 peephole input_forget 2 layers', { clip: 0.5, peephole: true, input_forget: true, num_layers: 2 }],
    ['Sigmoid/LeakyRelu/ScaledTanh', { activations: [{ name: 'Sigmoid' }, { name: 'LeakyRelu', alpha: 0.2 }, { name: 'ScaledTanh', alpha: 1.3, beta: 0.8 }] }],
    ['Softsign/Affine/Relu, H=67', { activations: [{ name: 'Softsign' }, { name: 'Affine', alpha: 0.5, beta: 0.1 }, { name: 'Relu' }], hidden_size: 67 }],
  ];
  for (const [name, m] of lstm) out.push({ kind, name: `onnx lstm ${name}`, config: { mode: 'LSTM', input_size: 4, hidden_size: 5, bidirectional: true, ...m }, ...common, seed: seed++ });
  out.push({ kind, name: 'onnx lstm HardSigmoid/Elu/Softsign clip 1.5 input_forget, proj_size 3', config: { mode: 'LSTM', input_size: 4, hidden_size: 5, bidirectional: true, proj_size: 3, activations: [{ name: 'HardSigmoid', alpha: 0.25, beta: 0.45 }, { name: 'Elu', alpha: 1.1 }, { name: 'Softsign' }], clip: 1.5, input_forget: true }, ...common, seed: seed++ });
  out.push({ kind, name: 'onnx lstm clip 0.5 peephole input_forget H=70, persistent = per-step', config: { mode: 'LSTM', input_size: 4, hidden_size: 70, bidirectional: true, clip: 0.5, peephole: true, input_forget: true }, ...common, schedule: 'persistent', seed: seed++ });
  for (const reset_after of [true, false]) {
    const g: [string, Partial<RecurrentConfig>][] = [
      ['Softsign/ThresholdedRelu clip 1.2', { activations: [{ name: 'Softsign' }, { name: 'ThresholdedRelu', alpha: -0.2 }], clip: 1.2 }],
      ['HardSigmoid/Affine', { activations: [{ name: 'HardSigmoid', alpha: 0.2, beta: 0.5 }, { name: 'Affine', alpha: 0.8, beta: 0.05 }] }],
      ['clip 0.3, 2 layers', { clip: 0.3, num_layers: 2 }],
      ['Sigmoid/Softplus, H=67', { activations: [{ name: 'Sigmoid' }, { name: 'Softplus' }], hidden_size: 67 }],
    ];
    for (const [name, m] of g) out.push({ kind, name: `onnx gru${reset_after ? '' : ' reset-before'} ${name}`, config: { mode: 'GRU', input_size: 4, hidden_size: 5, bidirectional: true, reset_after, ...m }, ...common, seed: seed++ });
  }
  return out;
}

/** Every recurrent case, in a fixed order. */
export function recurrentCases(): RecurrentCase[] {
  return [...fixedCases(), ...randomCases(24, 2024), ...onnxCases()];
}

/** Forward and backward of one configuration through the public API, against the reference. */
export function runRecurrentCase(engine: Engine, c: RecurrentCase): Promise<CaseResult> {
  const { config, T, B } = c;
  const lstm = config.mode === 'LSTM';
  const I = config.input_size;
  const H = config.hidden_size;
  const R = config.proj_size || H; // the width of h
  const D = config.bidirectional ? 2 : 1;
  const L = config.num_layers ?? 1;
  const rng = new Rng(c.seed);
  const params = randomParams(config, rng);
  const u = (n: number) => rng.uniformArray(n, -1, 1);
  const x = u(T * B * I);
  const h0 = c.states ? u(L * D * B * R) : undefined;
  const c0 = c.states && lstm ? u(L * D * B * H) : undefined;
  const up = c.upstream ?? {};
  const gOut = up.output ? u(T * B * D * R) : undefined;
  const gHn = up.h_n ? u(L * D * B * R) : undefined;
  const gCn = up.c_n && lstm ? u(L * D * B * H) : undefined;
  const stShape = [L * D, B, R];
  const cShape = [L * D, B, H];
  const outShape = config.batch_first ? [B, T, D * R] : [T, B, D * R];

  const sd: Record<string, Float32Array> = {};
  for (const k of Object.keys(params)) sd[k] = f32(params[k]);

  return runCase(engine, c.name, async (t) => {
    const f16 = c.precision === 'f16-weights';
    if (f16 && !engine.precisions.includes('f16-weights')) {
      let code = '';
      try {
        t.own(new Recurrent(engine, config, { precision: c.precision }));
      } catch (e) {
        code = e instanceof WebRnnError ? e.code : String(e);
      }
      t.expect(code === 'BAD_CONFIG', `without shader-f16, precision 'f16-weights' is refused with BAD_CONFIG (got ${code || 'no error'})`);
      t.note('no shader-f16 on this adapter: refused with BAD_CONFIG');
      return;
    }
    const inputs = { input: x, T, B, h0, c0, lengths: c.lengths };
    const tensor = (a: Float64Array | undefined, shape: number[]) => (a ? t.own(engine.tensor(f32(a), shape)) : undefined);
    /** Forward (and backward unless forward-only) under one schedule: every result, read back, by name. */
    const run = async (schedule: RecurrentSchedule | undefined) => {
      const rnn = t.own(new Recurrent(engine, config, { schedule, precision: c.precision }));
      rnn.loadStateDict(sd);
      const out = rnn.forward(tensor(x, config.batch_first ? [B, T, I] : [T, B, I])!, { h0: tensor(h0, stShape), c0: tensor(c0, cShape), lengths: c.lengths });
      const got: Record<string, Float32Array> = { output: await out.output.read(), h_n: await out.h_n.read() };
      if (lstm) got.c_n = await out.c_n!.read();
      if (c.forwardOnly) {
        let refused = '';
        try {
          rnn.backward({});
        } catch (e) {
          refused = (e as Error).message;
        }
        t.expect(refused.includes('forward only'), `backward refuses the forward-only options (got "${refused}")`);
        return got;
      }
      const g = rnn.backward({ grad_output: tensor(gOut, outShape), grad_h_n: tensor(gHn, stShape), grad_c_n: tensor(gCn, cShape) });
      got.grad_input = await g.grad_input.read();
      got.grad_h0 = await g.grad_h0.read();
      if (lstm) got.grad_c0 = await g.grad_c0!.read();
      for (const k of Object.keys(g.grads)) got[`grad.${k}`] = await g.grads[k].read();
      return got;
    };
    const got = await run(c.schedule);
    if (c.twice) {
      const again = await run(c.schedule);
      for (const k of Object.keys(again)) t.expect(got[k].length === again[k].length && got[k].every((v, i) => Object.is(v, again[k][i])), `${k}: two runs are not bit-identical`);
    }
    if (c.schedule === 'persistent') {
      const perStep = await run('per-step');
      for (const k of Object.keys(perStep)) {
        const same = got[k].length === perStep[k].length && got[k].every((v, i) => Object.is(v, perStep[k][i]));
        t.expect(same, `${k}: the persistent and per-step schedules differ`);
      }
    }
    // f16-weights: the reference runs on the weights as the kernels read them (f16Rounded)
    const refParams = f16 ? f16Rounded(params) : params;
    const ref = refRecurrentForward(config, refParams, inputs);
    t.check('output', got.output, ref.output, 'forward');
    t.check('h_n', got.h_n, ref.h_n, 'forward');
    if (lstm) t.check('c_n', got.c_n, ref.c_n!, 'forward');
    // …and the error of f16 weights against float64 on the unrounded weights, measured and bounded
    const exact = f16 ? refRecurrentForward(config, params, inputs) : undefined;
    const measure = (what: string, g: ArrayLike<number>, want: ArrayLike<number>, tol: number) => {
      const { err } = relErr(g, want);
      t.expect(err <= tol, `${what} vs float64 on unrounded weights: rel err ${err.toExponential(2)} > ${tol}`);
      return err;
    };
    let f16Fwd = 0;
    let f16Grad = 0;
    if (exact) for (const k of ['output', 'h_n', ...(lstm ? ['c_n' as const] : [])] as const) f16Fwd = Math.max(f16Fwd, measure(k, got[k], exact[k]!, TOL_F16_FORWARD));
    if (c.forwardOnly) {
      if (exact) t.note(`vs unrounded weights: forward ${f16Fwd.toExponential(2)}`);
      return;
    }
    const refG = refRecurrentBackward(config, refParams, inputs, ref, { grad_output: gOut, grad_h_n: gHn, grad_c_n: gCn });
    if (exact) {
      const exactG = refRecurrentBackward(config, params, inputs, exact, { grad_output: gOut, grad_h_n: gHn, grad_c_n: gCn });
      const pairs: [string, Float64Array][] = [['grad_input', exactG.grad_input], ['grad_h0', exactG.grad_h0], ...(lstm ? [['grad_c0', exactG.grad_c0!] as [string, Float64Array]] : []), ...Object.entries(exactG.grads).map(([k, v]) => [`grad.${k}`, v] as [string, Float64Array])];
      for (const [k, want] of pairs) f16Grad = Math.max(f16Grad, measure(k, got[k], want, TOL_F16_GRAD));
      t.note(`vs unrounded weights: forward ${f16Fwd.toExponential(2)}, grads ${f16Grad.toExponential(2)}`);
    }
    t.check('grad_input', got.grad_input, refG.grad_input, 'grad');
    t.check('grad_h0', got.grad_h0, refG.grad_h0, 'grad');
    if (lstm) t.check('grad_c0', got.grad_c0, refG.grad_c0!, 'grad');
    for (const k of Object.keys(refG.grads)) t.check(`grad.${k}`, got[`grad.${k}`], refG.grads[k], 'grad');
  });
}
