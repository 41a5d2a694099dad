// Dropout between stacked recurrent layers on the GPU vs the float64 reference composed layer by layer
// with the same masks (re-implemented from shaders/dropout.wgsl in dropout-mask.ts): forward and
// backward at two successive training-mode forwards (fresh masks per call), then in eval() mode (no
// dropout: the plain stacked reference). Tolerances in check.ts.
import type { RecurrentConfig } from '../../src/layers/recurrent-config.js';
import type { Engine } from '../../src/gpu/engine.js';
import { Recurrent } from '../../src/layers/recurrent.js';
import { Rng } from '../../src/random.js';
import { randomParams } from '../reference/random.js';
import { refRecurrentBackward, refRecurrentForward, type RefGradients } from '../reference/recurrent.js';
import { f32, rounded, runCase, type CaseResult } from './check.js';
import { dropoutMask } from './dropout-mask.js';

export interface DropoutCase {
  kind: 'dropout';
  name: string;
  /** with num_layers ≥ 2 and dropout > 0 */
  config: RecurrentConfig;
  T: number;
  B: number;
  lengths?: number[];
  seed: number;
}

/** Every dropout case, in a fixed order. */
export function dropoutCases(): DropoutCase[] {
  const cases: Omit<DropoutCase, 'kind' | 'name' | 'seed'>[] = [
    { config: { mode: 'LSTM', input_size: 4, hidden_size: 5, num_layers: 2, bidirectional: true, dropout: 0.3 }, T: 6, B: 3, lengths: [6, 2, 4] },
    { config: { mode: 'GRU', input_size: 3, hidden_size: 7, num_layers: 3, batch_first: true, dropout: 0.5 }, T: 5, B: 4, lengths: [5, 1, 3, 4] },
    { config: { mode: 'RNN_TANH', input_size: 2, hidden_size: 9, num_layers: 2, bidirectional: true, bias: false, dropout: 0.8 }, T: 4, B: 2 },
    { config: { mode: 'LSTM', input_size: 3, hidden_size: 6, proj_size: 4, num_layers: 3, bidirectional: true, batch_first: true, dropout: 0.4 }, T: 5, B: 3, lengths: [5, 3, 1] },
  ];
  return cases.map((c, i) => ({ kind: 'dropout', ...c, seed: 700 + i, name: `dropout: ${JSON.stringify(c.config)} T=${c.T} B=${c.B}${c.lengths ? ` lengths=${c.lengths}` : ''}; two training calls, then eval` }));
}

/** (B, T, F) ↔ (T, B, F). */
function swap01(a: Float64Array, n0: number, n1: number, F: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < n0; i++) for (let j = 0; j < n1; j++) out.set(a.subarray((i * n1 + j) * F, (i * n1 + j + 1) * F), (j * n0 + i) * F);
  return out;
}

interface StackRef {
  output: Float64Array; // time-major
  h_n: Float64Array;
  c_n?: Float64Array;
  grads: RefGradients; // grad_input time-major; grads by the stack's parameter names
}

/**
 * The stack run as L one-layer references, `masks[l]` (T, B, D·R) applied to layer l's output in the
 * forward and to its gradient in the backward; everything time-major.
 */
function refStack(
  config: RecurrentConfig, params: Record<string, Float64Array>, x: Float64Array, T: number, B: number, lengths: number[] | undefined,
  h0: Float64Array, c0: Float64Array | undefined, gOut: Float64Array, gHn: Float64Array, gCn: Float64Array | undefined, masks: (Float64Array | undefined)[],
): StackRef {
  const L = config.num_layers!;
  const D = config.bidirectional ? 2 : 1;
  const H = config.hidden_size;
  const R = config.proj_size || H; // the width of h
  const S = D * B * R; // one layer's slice of (L·D, B, R)
  const SC = D * B * H; // and of (L·D, B, H)
  const slice = (a: Float64Array | undefined, l: number) => a?.slice(l * S, (l + 1) * S);
  const sliceC = (a: Float64Array | undefined, l: number) => a?.slice(l * SC, (l + 1) * SC);
  const lstm = config.mode === 'LSTM';
  const layers = Array.from({ length: L }, (_, l) => {
    const cfg: RecurrentConfig = { ...config, input_size: l === 0 ? config.input_size : D * R, num_layers: 1, batch_first: false, dropout: 0 };
    const ps: Record<string, Float64Array> = {};
    for (const [k, v] of Object.entries(params)) if (k.match(new RegExp(`_l${l}(_reverse)?$`))) ps[k.replace(`_l${l}`, '_l0')] = v;
    return { cfg, ps };
  });
  const ins: Float64Array[] = [];
  const fwds: ReturnType<typeof refRecurrentForward>[] = [];
  let input = x;
  for (let l = 0; l < L; l++) {
    const inputs = { input, T, B, lengths, h0: slice(h0, l), c0: sliceC(c0, l) };
    const f = refRecurrentForward(layers[l].cfg, layers[l].ps, inputs);
    ins.push(input);
    fwds.push(f);
    const m = masks[l];
    input = m ? f.output.map((v, i) => v * m[i]) : f.output;
  }
  const grads: Record<string, Float64Array> = {};
  const gH0 = new Float64Array(L * S);
  const gC0 = lstm ? new Float64Array(L * SC) : undefined;
  let g = gOut;
  let gIn = g;
  for (let l = L - 1; l >= 0; l--) {
    const inputs = { input: ins[l], T, B, lengths, h0: slice(h0, l), c0: sliceC(c0, l) };
    const r = refRecurrentBackward(layers[l].cfg, layers[l].ps, inputs, fwds[l], { grad_output: g, grad_h_n: slice(gHn, l), grad_c_n: sliceC(gCn, l) });
    for (const [k, v] of Object.entries(r.grads)) grads[k.replace('_l0', `_l${l}`)] = v;
    gH0.set(r.grad_h0, l * S);
    if (gC0) gC0.set(r.grad_c0!, l * SC);
    gIn = r.grad_input;
    const m = masks[l - 1];
    g = m ? gIn.map((v, i) => v * m[i]) : gIn;
  }
  const cat = (k: 'h_n' | 'c_n') => {
    const n = k === 'h_n' ? S : SC;
    const out = new Float64Array(L * n);
    fwds.forEach((f, l) => out.set(f[k]!, l * n));
    return out;
  };
  return {
    output: fwds[L - 1].output,
    h_n: cat('h_n'),
    ...(lstm ? { c_n: cat('c_n') } : {}),
    grads: { grad_input: gIn, grad_h0: gH0, ...(gC0 ? { grad_c0: gC0 } : {}), grads },
  };
}

export function runDropoutCase(engine: Engine, c: DropoutCase): Promise<CaseResult> {
  return runCase(engine, c.name, async (t) => {
    const { config, T, B } = c;
    const L = config.num_layers!;
    const D = config.bidirectional ? 2 : 1;
    const H = config.hidden_size;
    const R = config.proj_size || H; // the width of h
    const I = config.input_size;
    const p = config.dropout!;
    const bf = config.batch_first === true;
    const lstm = config.mode === 'LSTM';
    const rng = new Rng(c.seed);
    const params = randomParams(config, rng);
    for (const k of Object.keys(params)) params[k] = rounded(params[k]);
    const u = (n: number) => rounded(rng.uniformArray(n, -1, 1));
    const x = u(T * B * I); // time-major; the GPU gets (B, T, I) when batch_first
    const h0 = u(L * D * B * R);
    const c0 = lstm ? u(L * D * B * H) : undefined;
    const stShape = [L * D, B, R];
    const cShape = [L * D, B, H];
    const outShape = bf ? [B, T, D * R] : [T, B, D * R];
    const toGpuLayout = (a: Float64Array, F: number) => (bf ? swap01(a, T, B, F) : a);
    const tensor = (a: Float64Array, shape: number[]) => t.own(engine.tensor(f32(a), shape));

    const rnn = t.own(new Recurrent(engine, config, { seed: c.seed }));
    const sd: Record<string, Float32Array> = {};
    for (const [k, v] of Object.entries(params)) sd[k] = f32(v);
    rnn.loadStateDict(sd);
    const xt = tensor(toGpuLayout(x, I), bf ? [B, T, I] : [T, B, I]);
    const h0t = tensor(h0, stShape);
    const c0t = c0 ? tensor(c0, cShape) : undefined;
    let dropped = 0;
    let units = 0;
    for (const [call, mode] of [[1, 'train'], [2, 'train'], [3, 'eval']] as const) {
      if (mode === 'eval') rnn.eval();
      const gOut = u(T * B * D * R);
      const gHn = u(L * D * B * R);
      const gCn = lstm ? u(L * D * B * H) : undefined;
      const masks = Array.from({ length: L }, (_, l) => (mode === 'train' && l < L - 1 ? dropoutMask(T * B * D * R, p, c.seed, call, l) : undefined));
      for (const m of masks) if (m) for (const v of m) [dropped, units] = [dropped + (v === 0 ? 1 : 0), units + 1];
      const ref = refStack(config, params, x, T, B, c.lengths, h0, c0, gOut, gHn, gCn, masks);
      const out = rnn.forward(xt, { h0: h0t, c0: c0t, lengths: c.lengths });
      const at = `call ${call} (${mode})`;
      t.check(`${at} output`, await out.output.read(), toGpuLayout(ref.output, D * R), 'forward');
      t.check(`${at} h_n`, await out.h_n.read(), ref.h_n, 'forward');
      if (lstm) t.check(`${at} c_n`, await out.c_n!.read(), ref.c_n!, 'forward');
      const g = rnn.backward({ grad_output: tensor(toGpuLayout(gOut, D * R), outShape), grad_h_n: tensor(gHn, stShape), grad_c_n: gCn ? tensor(gCn, cShape) : undefined });
      t.check(`${at} grad_input`, await g.grad_input.read(), toGpuLayout(ref.grads.grad_input, I), 'grad');
      t.check(`${at} grad_h0`, await g.grad_h0.read(), ref.grads.grad_h0, 'grad');
      if (lstm) t.check(`${at} grad_c0`, await g.grad_c0!.read(), ref.grads.grad_c0!, 'grad');
      for (const k of Object.keys(params)) t.check(`${at} grad.${k}`, await g.grads[k].read(), ref.grads.grads[k], 'grad');
    }
    // the re-implemented mask itself drops about p of the units (else the comparison proves little)
    t.expect(Math.abs(dropped / units - p) < 0.1, `masks drop ${(dropped / units).toFixed(3)} of ${units} units, want about ${p}`);
    t.note(`dropped ${(dropped / units).toFixed(3)} of ${units}`);
  });
}
