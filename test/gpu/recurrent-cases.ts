// Recurrent layer stacks (RNN, GRU, LSTM and their variants) on the GPU vs the float64 reference
// (src/ref/recurrent.ts): fixed cases per mode and seeded random configurations. Tolerances in check.ts.
import type { RecurrentConfig } from '../../src/config.js';
import type { Engine } from '../../src/gpu/engine.js';
import { refRecurrentBackward, refRecurrentForward } from '../../src/ref/recurrent.js';
import { randomParams, Rng } from '../../src/ref/random.js';
import { f32, runCase, type CaseResult } from './check.js';

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
  seed: number;
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
  }
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

/** Every recurrent case, in a fixed order. */
export function recurrentCases(): RecurrentCase[] {
  return [...fixedCases(), ...randomCases(24, 2024)];
}

/** Forward and backward of one configuration through the public API, against the reference. */
export function runRecurrentCase(engine: Engine, c: RecurrentCase): Promise<CaseResult> {
  const { config, T, B } = c;
  const lstm = config.mode === 'LSTM';
  const I = config.input_size;
  const H = config.hidden_size;
  const D = config.bidirectional ? 2 : 1;
  const L = config.num_layers ?? 1;
  const rng = new Rng(c.seed);
  const params = randomParams(config, rng);
  const u = (n: number) => rng.uniformArray(n, -1, 1);
  const x = u(T * B * I);
  const h0 = c.states ? u(L * D * B * H) : undefined;
  const c0 = c.states && lstm ? u(L * D * B * H) : undefined;
  const up = c.upstream ?? {};
  const gOut = up.output ? u(T * B * D * H) : undefined;
  const gHn = up.h_n ? u(L * D * B * H) : undefined;
  const gCn = up.c_n && lstm ? u(L * D * B * H) : undefined;
  const stShape = [L * D, B, H];
  const outShape = config.batch_first ? [B, T, D * H] : [T, B, D * H];

  return runCase(engine, c.name, async (t) => {
    const inputs = { input: x, T, B, h0, c0, lengths: c.lengths };
    const ref = refRecurrentForward(config, params, inputs);
    const refG = refRecurrentBackward(config, params, inputs, ref, { grad_output: gOut, grad_h_n: gHn, grad_c_n: gCn });
    const tensor = (a: Float64Array | undefined, shape: number[]) => (a ? t.own(engine.tensor(f32(a), shape)) : undefined);
    const rnn = t.own(engine.recurrent(config));
    const sd: Record<string, Float32Array> = {};
    for (const k of Object.keys(params)) sd[k] = f32(params[k]);
    rnn.loadStateDict(sd);
    const out = rnn.forward(tensor(x, config.batch_first ? [B, T, I] : [T, B, I])!, { h0: tensor(h0, stShape), c0: tensor(c0, stShape), lengths: c.lengths });
    t.check('output', await out.output.read(), ref.output, 'forward');
    t.check('h_n', await out.h_n.read(), ref.h_n, 'forward');
    if (lstm) t.check('c_n', await out.c_n!.read(), ref.c_n!, 'forward');
    const g = rnn.backward({ grad_output: tensor(gOut, outShape), grad_h_n: tensor(gHn, stShape), grad_c_n: tensor(gCn, stShape) });
    t.check('grad_input', await g.grad_input.read(), refG.grad_input, 'grad');
    t.check('grad_h0', await g.grad_h0.read(), refG.grad_h0, 'grad');
    if (lstm) t.check('grad_c0', await g.grad_c0!.read(), refG.grad_c0!, 'grad');
    for (const k of Object.keys(refG.grads)) t.check(`grad.${k}`, await g.grads[k].read(), refG.grads[k], 'grad');
  });
}
