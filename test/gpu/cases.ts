// GPU-vs-reference cases shared by every host: Node (test/gpu.test.ts), Deno and headless Chromium
// (test/hosts/). Each case runs the shipped kernels through the public API on random weights and inputs
// and compares with the float64 CPU reference (src/ref/). No test framework here: it must bundle for
// browsers and Deno.
//
// Tolerances (max |gpu − ref| / max |ref| over each tensor): outputs and final states 2e-5, every
// gradient 1e-4 — the same bounds the issue sets for agreement with PyTorch.
import type { RecurrentConfig } from '../../src/config.js';
import type { Engine } from '../../src/gpu/engine.js';
import { refRecurrentBackward, refRecurrentForward } from '../../src/ref/recurrent.js';
import { randomParams, Rng } from '../../src/ref/random.js';

export const TOL_FORWARD = 2e-5;
export const TOL_GRAD = 1e-4;

export interface CaseResult {
  name: string;
  pass: boolean;
  detail: string;
  /** worst relative error over forward tensors and over gradients */
  worstForward?: number;
  worstGrad?: number;
}

export interface GpuCase {
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

function fixedCases(): GpuCase[] {
  const c: GpuCase[] = [];
  const modes: [string, Partial<RecurrentConfig>][] = [
    ['lstm', { mode: 'LSTM' }],
    ['lstm-peephole', { mode: 'LSTM', peephole: true }],
    ['gru', { mode: 'GRU' }],
    ['gru-reset-before', { mode: 'GRU', reset_after: false }],
    ['rnn-tanh', { mode: 'RNN_TANH' }],
    ['rnn-relu', { mode: 'RNN_RELU' }],
  ];
  let seed = 1;
  for (const [name, m] of modes) {
    const base = { ...m, input_size: 3, hidden_size: 5 } as RecurrentConfig;
    c.push({ name: `${name} basic`, config: base, T: 4, B: 2, upstream: ALL_UP, seed: seed++ });
    c.push({
      name: `${name} 2-layer bidirectional, lengths, h0`,
      config: { ...base, num_layers: 2, bidirectional: true },
      T: 7, B: 5, lengths: [7, 1, 4, 6, 2], states: true, upstream: ALL_UP, seed: seed++,
    });
    c.push({
      name: `${name} batch_first, no bias, 3 layers`,
      config: { ...base, num_layers: 3, batch_first: true, bias: false, bidirectional: true },
      T: 5, B: 3, lengths: [3, 5, 2], upstream: { output: true }, seed: seed++,
    });
    c.push({ name: `${name} all sizes 1`, config: { ...base, input_size: 1, hidden_size: 1 }, T: 1, B: 1, states: true, upstream: ALL_UP, seed: seed++ });
    c.push({
      name: `${name} H=67 B=9 (past workgroup and batch tiles)`,
      config: { ...base, input_size: 13, hidden_size: 67, bidirectional: true },
      T: 6, B: 9, lengths: [6, 5, 4, 3, 2, 1, 6, 6, 3], states: true, upstream: { h_n: true, c_n: true }, seed: seed++,
    });
  }
  return c;
}

/** Random configurations (seeded): every mode and flag, odd sizes. */
function randomCases(count: number, seed: number): GpuCase[] {
  const rng = new Rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(0, xs.length - 1)];
  const out: GpuCase[] = [];
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
      name: `random #${i} ${JSON.stringify(config)} T=${T} B=${B}${lengths ? ` lengths=${lengths}` : ''}`,
      config, T, B, lengths,
      states: rng.next() < 0.5,
      upstream: { output: rng.next() < 0.8, h_n: rng.next() < 0.6, c_n: rng.next() < 0.6 },
      seed: rng.int(1, 1 << 30),
    });
  }
  return out;
}

/** Every case, in a fixed order. */
export function gpuCases(): GpuCase[] {
  return [...fixedCases(), ...randomCases(24, 2024)];
}

function relErr(got: Float32Array, want: Float64Array): { err: number; index: number } {
  let worst = 0;
  let index = -1;
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]);
    if (!(e <= worst)) {
      worst = e;
      index = i;
    }
  }
  if (got.length !== want.length) return { err: Infinity, index: -1 };
  return { err: scale > 0 ? worst / scale : worst, index };
}

/** Runs one case on the engine; never throws (failures are reported in the result). */
export async function runGpuCase(engine: Engine, c: GpuCase): Promise<CaseResult> {
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
  const inputs = { input: x, T, B, h0, c0, lengths: c.lengths };
  const ref = refRecurrentForward(config, params, inputs);
  const refG = refRecurrentBackward(config, params, inputs, ref, { grad_output: gOut, grad_h_n: gHn, grad_c_n: gCn });

  const f32 = (a: Float64Array) => Float32Array.from(a);
  const stShape = [L * D, B, H];
  const outShape = config.batch_first ? [B, T, D * H] : [T, B, D * H];
  const owned: { dispose(): void }[] = [];
  const t = (a: Float64Array | undefined, shape: number[]) => {
    if (!a) return undefined;
    const v = engine.tensor(f32(a), shape);
    owned.push(v);
    return v;
  };
  engine.device.pushErrorScope('validation');
  engine.device.pushErrorScope('out-of-memory');
  const checks: [string, Float32Array, Float64Array, number][] = [];
  let thrown: unknown;
  try {
    const rnn = engine.recurrent(config);
    owned.push(rnn);
    const sd: Record<string, Float32Array> = {};
    for (const k of Object.keys(params)) sd[k] = f32(params[k]);
    rnn.loadStateDict(sd);
    const out = rnn.forward(t(x, config.batch_first ? [B, T, I] : [T, B, I])!, { h0: t(h0, stShape), c0: t(c0, stShape), lengths: c.lengths });
    checks.push(['output', await out.output.read(), ref.output, TOL_FORWARD]);
    checks.push(['h_n', await out.h_n.read(), ref.h_n, TOL_FORWARD]);
    if (lstm) checks.push(['c_n', await out.c_n!.read(), ref.c_n!, TOL_FORWARD]);
    const g = rnn.backward({ grad_output: t(gOut, outShape), grad_h_n: t(gHn, stShape), grad_c_n: t(gCn, stShape) });
    checks.push(['grad_input', await g.grad_input.read(), refG.grad_input, TOL_GRAD]);
    checks.push(['grad_h0', await g.grad_h0.read(), refG.grad_h0, TOL_GRAD]);
    if (lstm) checks.push(['grad_c0', await g.grad_c0!.read(), refG.grad_c0!, TOL_GRAD]);
    for (const k of Object.keys(refG.grads)) checks.push([`grad.${k}`, await g.grads[k].read(), refG.grads[k], TOL_GRAD]);
  } catch (e) {
    thrown = e;
  } finally {
    for (const o of owned) o.dispose();
  }
  const oom = await engine.device.popErrorScope();
  const validation = await engine.device.popErrorScope();
  if (thrown) return { name: c.name, pass: false, detail: `threw: ${(thrown as Error).stack ?? thrown}` };
  if (validation || oom) return { name: c.name, pass: false, detail: `WebGPU error: ${(validation ?? oom)!.message}` };
  let worstForward = 0;
  let worstGrad = 0;
  const bad: string[] = [];
  for (const [name, got, want, tol] of checks) {
    const { err, index } = relErr(got, want);
    if (tol === TOL_FORWARD) worstForward = Math.max(worstForward, err);
    else worstGrad = Math.max(worstGrad, err);
    if (!(err <= tol)) bad.push(`${name}: rel err ${err.toExponential(2)} > ${tol} at [${index}] gpu ${got[index]} ref ${want[index]}`);
  }
  return {
    name: c.name,
    pass: bad.length === 0,
    detail: bad.length ? bad.join('; ') : `forward ${worstForward.toExponential(2)}, grads ${worstGrad.toExponential(2)}`,
    worstForward,
    worstGrad,
  };
}

/** Runs every case (or those whose name contains `filter`). */
export async function runGpuCases(engine: Engine, opts: { filter?: string; log?: (s: string) => void } = {}): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const c of gpuCases()) {
    if (opts.filter && !c.name.includes(opts.filter)) continue;
    const r = await runGpuCase(engine, c);
    opts.log?.(`${r.pass ? 'ok  ' : 'FAIL'} ${r.name}: ${r.detail}`);
    results.push(r);
  }
  return results;
}
