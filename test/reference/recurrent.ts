import type { ParamSpec, RecurrentConfig, ResolvedConfig } from '../../src/layers/recurrent-config.js';
import { forwardOnlyOption, gateCount, hiddenStateSize, parameterSpecs, resolveConfig } from '../../src/layers/recurrent-config.js';
import { WebRnnError } from '../../src/errors.js';
import type { CellParams, CellStep, RefCell } from './cell.js';
import { gruCell } from './gru.js';
import { lstmCell } from './lstm.js';
import { rnnCell } from './rnn.js';

export interface RefInputs {
  input: Float64Array; // (T, B, I), or (B, T, I) when config.batch_first
  T: number;
  B: number;
  h0?: Float64Array; // (L·D, B, R), zeros when absent; R = proj_size or H (hiddenStateSize)
  c0?: Float64Array; // (L·D, B, H), LSTM only
  lengths?: ArrayLike<number>; // (B,), each 1..T, any order; absent = all T
}

export interface RefUpstream {
  grad_output?: Float64Array; // same shape as output; zeros when absent
  grad_h_n?: Float64Array; // (L·D, B, R)
  grad_c_n?: Float64Array; // LSTM
}

export interface RefForward {
  output: Float64Array; // (T, B, D·R) or (B, T, D·R) when batch_first; 0 at padded steps
  h_n: Float64Array; // (L·D, B, R), index layer·D + direction
  c_n?: Float64Array; // LSTM
  cache: unknown; // whatever the backward needs (opaque)
}

export interface RefGradients {
  grad_input: Float64Array;
  grad_h0: Float64Array;
  grad_c0?: Float64Array; // LSTM
  grads: Record<string, Float64Array>; // one per parameter name of parameterSpecs(config)
}

/** Sizes of one call, all checked. */
interface Dims {
  T: number;
  B: number;
  I: number;
  H: number;
  /** width of h: proj_size, or H */
  R: number;
  L: number;
  D: number;
  lengths: Int32Array; // (B)
}

/** What refRecurrentBackward needs from the forward pass. Internal layout is always time-major. */
class RefRecurrentCache {
  constructor(
    readonly config: ResolvedConfig,
    readonly dims: Dims,
    readonly h0: Float64Array, // (L·D, B, R)
    readonly c0: Float64Array | undefined, // (L·D, B, H)
    readonly layerInputs: Float64Array[], // [layer] (T, B, I_layer)
    readonly steps: CellStep[][][][], // [layer][direction][b][s], s = 0.. in processing order
  ) {}
}

function cellFor(c: ResolvedConfig): RefCell {
  // ONNX's activations, clip or input_forget: the forward-only cells.
  const opts = forwardOnlyOption(c) === undefined ? undefined : { activations: c.activations, clip: c.clip, input_forget: c.input_forget };
  switch (c.mode) {
    case 'LSTM':
      return lstmCell(opts);
    case 'GRU':
      return gruCell(c.reset_after, opts);
    case 'RNN_TANH':
      return rnnCell('tanh', opts);
    case 'RNN_RELU':
      return rnnCell('relu', opts);
  }
}

/** The time index of processing step s: forward walks 0..len−1, reverse walks len−1..0. */
function timeOf(direction: number, s: number, len: number): number {
  return direction === 0 ? s : len - 1 - s;
}

/** (d0, d1, F) → (d1, d0, F): converts between batch-first and time-major layouts. */
function swapLeadingAxes(a: Float64Array, d0: number, d1: number, F: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < d0; i++) {
    for (let j = 0; j < d1; j++) out.set(a.subarray((i * d1 + j) * F, (i * d1 + j + 1) * F), (j * d0 + i) * F);
  }
  return out;
}

function describe(c: ResolvedConfig): string {
  return `mode ${c.mode}, input_size ${c.input_size}, hidden_size ${c.hidden_size}, num_layers ${c.num_layers}, bidirectional ${c.bidirectional}, bias ${c.bias}${c.mode === 'LSTM' ? `, peephole ${c.peephole}, proj_size ${c.proj_size}` : ''}`;
}

function checkArray(name: string, a: unknown, shape: string, expected: number): asserts a is Float64Array {
  if (!(a instanceof Float64Array)) {
    const got = a === null || typeof a !== 'object' ? JSON.stringify(a) : (a as object).constructor.name;
    throw new WebRnnError('BAD_SHAPE', `${name} must be a Float64Array of shape ${shape} = ${expected} elements, got ${got}`);
  }
  if (a.length !== expected) {
    throw new WebRnnError('BAD_SHAPE', `${name} must have shape ${shape} = ${expected} elements, got ${a.length}`);
  }
}

function checkDims(c: ResolvedConfig, inputs: RefInputs): Dims {
  if (inputs === null || typeof inputs !== 'object') throw new WebRnnError('BAD_SHAPE', `inputs must be an object, got ${JSON.stringify(inputs)}`);
  const { T, B } = inputs;
  for (const [name, v] of [['T', T], ['B', B]] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new WebRnnError('BAD_SHAPE', `${name} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  const I = c.input_size;
  const H = c.hidden_size;
  const R = hiddenStateSize(c);
  const L = c.num_layers;
  const D = c.bidirectional ? 2 : 1;
  const layout = c.batch_first ? `(B, T, I) = (${B}, ${T}, ${I})` : `(T, B, I) = (${T}, ${B}, ${I})`;
  checkArray('input', inputs.input, layout, T * B * I);
  const stateShape = `(L·D, B, H) = (${L}·${D}, ${B}, ${H})`;
  if (inputs.h0 !== undefined) checkArray('h0', inputs.h0, `(L·D, B, ${R === H ? 'H' : 'proj_size'}) = (${L}·${D}, ${B}, ${R})`, L * D * B * R);
  if (inputs.c0 !== undefined) {
    if (c.mode !== 'LSTM') throw new WebRnnError('BAD_SHAPE', `c0 was given but mode is ${c.mode}; only LSTM has a cell state`);
    checkArray('c0', inputs.c0, stateShape, L * D * B * H);
  }
  const lengths = new Int32Array(B).fill(T);
  if (inputs.lengths !== undefined) {
    const given = inputs.lengths;
    if (given === null || typeof given !== 'object' || typeof given.length !== 'number') {
      throw new WebRnnError('BAD_LENGTHS', `lengths must be an array of B = ${B} integers, got ${JSON.stringify(given)}`);
    }
    if (given.length !== B) throw new WebRnnError('BAD_LENGTHS', `lengths must have B = ${B} entries, got ${given.length}`);
    for (let b = 0; b < B; b++) {
      const v = given[b];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > T) {
        throw new WebRnnError('BAD_LENGTHS', `lengths[${b}] must be an integer in 1..T = 1..${T}, got ${JSON.stringify(v)}`);
      }
      lengths[b] = v;
    }
  }
  return { T, B, I, H, R, L, D, lengths };
}

/** Checks `params` against parameterSpecs(config) and groups them as [layer][direction]. */
function cellParamsOf(c: ResolvedConfig, specs: ParamSpec[], params: Record<string, Float64Array>, what: string): CellParams[][] {
  if (params === null || typeof params !== 'object') throw new WebRnnError('BAD_SHAPE', `${what} must be an object of Float64Arrays, got ${JSON.stringify(params)}`);
  const names = new Set(specs.map((s) => s.name));
  for (const k of Object.keys(params)) {
    if (!names.has(k)) {
      throw new WebRnnError('BAD_SHAPE', `${what} has unexpected entry "${k}"; a layer with ${describe(c)} has exactly: ${[...names].join(', ')}`);
    }
  }
  const D = c.bidirectional ? 2 : 1;
  const out: Partial<CellParams>[][] = Array.from({ length: c.num_layers }, () => Array.from({ length: D }, () => ({})));
  for (const s of specs) {
    const a = params[s.name];
    const size = s.shape.reduce((x, y) => x * y, 1);
    if (a === undefined) throw new WebRnnError('BAD_SHAPE', `${what} is missing "${s.name}" of shape [${s.shape.join(', ')}] (${describe(c)})`);
    checkArray(`${what}["${s.name}"]`, a, `[${s.shape.join(', ')}]`, size);
    out[s.layer]![s.direction]![s.kind] = a;
  }
  return out as CellParams[][];
}

/**
 * Float64 CPU forward pass of a PyTorch-style nn.RNN / nn.GRU / nn.LSTM (plus webrnn's GRU
 * reset-before and LSTM peephole variants), with stacking, bidirectionality, batch_first and
 * per-row lengths with pack_padded_sequence(enforce_sorted=False) semantics. The reference every
 * GPU kernel is tested against; clarity over speed.
 *
 * Throws WebRnnError: BAD_CONFIG (config), BAD_SHAPE (input/h0/c0/params sizes, missing or
 * unexpected params), BAD_LENGTHS (lengths not B integers in 1..T).
 *
 * @example
 * const config = { mode: 'GRU', input_size: 3, hidden_size: 4 } as const;
 * const params = randomParams(config, new Rng(1)); // from './random.js'
 * const fwd = refRecurrentForward(config, params, { input: new Float64Array(5 * 2 * 3), T: 5, B: 2, lengths: [5, 2] });
 * fwd.output; // (5, 2, 4), zero at t ≥ 2 for row 1
 * fwd.h_n; // (1, 2, 4): row 0's state at t = 4, row 1's at t = 1
 */
export function refRecurrentForward(config: RecurrentConfig, params: Record<string, Float64Array>, inputs: RefInputs): RefForward {
  const c = resolveConfig(config);
  // From the caller's config: resolveConfig rejects its own output for non-GRU modes (reset_after is filled in).
  const specs = parameterSpecs(config);
  const dims = checkDims(c, inputs);
  const { T, B, I, H, R, L, D, lengths } = dims;
  const layerParams = cellParamsOf(c, specs, params, 'params');
  const cell = cellFor(c);
  const h0 = inputs.h0 ?? new Float64Array(L * D * B * R);
  const c0 = cell.hasCellState ? (inputs.c0 ?? new Float64Array(L * D * B * H)) : undefined;
  const h_n = new Float64Array(L * D * B * R);
  const c_n = cell.hasCellState ? new Float64Array(L * D * B * H) : undefined;
  const layerInputs: Float64Array[] = [];
  const steps: CellStep[][][][] = [];

  let x = c.batch_first ? swapLeadingAxes(inputs.input, B, T, I) : inputs.input; // (T, B, I_layer)
  for (let layer = 0; layer < L; layer++) {
    const Ik = layer === 0 ? I : D * R;
    const out = new Float64Array(T * B * D * R); // (T, B, D·R); padded steps stay 0
    const layerSteps: CellStep[][][] = [];
    for (let dir = 0; dir < D; dir++) {
      const p = layerParams[layer]![dir]!;
      const dirSteps: CellStep[][] = [];
      for (let b = 0; b < B; b++) {
        const hState = ((layer * D + dir) * B + b) * R;
        const state = ((layer * D + dir) * B + b) * H;
        let h = h0.subarray(hState, hState + R);
        let cs = c0?.subarray(state, state + H);
        const rowSteps: CellStep[] = [];
        for (let s = 0; s < lengths[b]!; s++) {
          const t = timeOf(dir, s, lengths[b]!);
          const step = cell.forward(p, x.subarray((t * B + b) * Ik, (t * B + b + 1) * Ik), h, cs);
          rowSteps.push(step);
          h = step.h;
          cs = step.c;
          out.set(h, (t * B + b) * D * R + dir * R);
        }
        h_n.set(h, hState);
        if (c_n !== undefined) c_n.set(cs!, state);
        dirSteps.push(rowSteps);
      }
      layerSteps.push(dirSteps);
    }
    layerInputs.push(x);
    steps.push(layerSteps);
    x = out;
  }
  const output = c.batch_first ? swapLeadingAxes(x, T, B, D * R) : x;
  const cache = new RefRecurrentCache(c, dims, h0, c0, layerInputs, steps);
  return c_n === undefined ? { output, h_n, cache } : { output, h_n, c_n, cache };
}

/**
 * Float64 CPU backward pass (full BPTT) matching {@link refRecurrentForward}: gradients of a
 * scalar loss w.r.t. the input, h0, c0 (LSTM) and every parameter, given dL/d(output),
 * dL/d(h_n), dL/d(c_n) (each optional, zeros when absent). Padded outputs are constant zero, so
 * grad_output at padded steps has no effect. `fwd` must come from refRecurrentForward with the
 * same config, params and inputs.
 *
 * Throws WebRnnError: BAD_SHAPE (upstream sizes), BAD_STATE (fwd not from a matching forward).
 *
 * @example
 * const fwd = refRecurrentForward(config, params, inputs);
 * const g = refRecurrentBackward(config, params, inputs, fwd, { grad_output: fwd.output }); // L = ½‖output‖²
 * g.grads['weight_hh_l0']; // dL/dW_hh, shape [G·H, H]
 */
export function refRecurrentBackward(
  config: RecurrentConfig,
  params: Record<string, Float64Array>,
  inputs: RefInputs,
  fwd: RefForward,
  up: RefUpstream,
): RefGradients {
  const c = resolveConfig(config);
  const forwardOnly = forwardOnlyOption(c);
  if (forwardOnly) throw new WebRnnError('BAD_CONFIG', `the backward pass does not implement ${forwardOnly} (forward only)`);
  // From the caller's config: resolveConfig rejects its own output for non-GRU modes (reset_after is filled in).
  const specs = parameterSpecs(config);
  const dims = checkDims(c, inputs);
  const { T, B, I, H, R, L, D } = dims;
  const layerParams = cellParamsOf(c, specs, params, 'params');
  const cache = fwd?.cache;
  if (!(cache instanceof RefRecurrentCache)) throw new WebRnnError('BAD_STATE', 'fwd must be the result of refRecurrentForward');
  if (describe(cache.config) !== describe(c) || cache.config.batch_first !== c.batch_first || cache.config.reset_after !== c.reset_after) {
    throw new WebRnnError('BAD_STATE', `fwd was computed with config (${describe(cache.config)}), backward was given (${describe(c)})`);
  }
  if (cache.dims.T !== T || cache.dims.B !== B || cache.dims.lengths.some((v, b) => v !== dims.lengths[b])) {
    throw new WebRnnError('BAD_STATE', `fwd was computed with T = ${cache.dims.T}, B = ${cache.dims.B}, lengths [${cache.dims.lengths.join(', ')}]; backward was given T = ${T}, B = ${B}, lengths [${dims.lengths.join(', ')}]`);
  }
  const cell = cellFor(c);
  const w = R === H ? 'H' : 'proj_size';
  const outShape = c.batch_first ? `(B, T, D·${w}) = (${B}, ${T}, ${D}·${R})` : `(T, B, D·${w}) = (${T}, ${B}, ${D}·${R})`;
  const stateShape = `(L·D, B, H) = (${L}·${D}, ${B}, ${H})`;
  const S = L * D * B * H;
  const SR = L * D * B * R;
  if (up === null || typeof up !== 'object') throw new WebRnnError('BAD_SHAPE', `up must be an object, got ${JSON.stringify(up)}`);
  if (up.grad_output !== undefined) checkArray('grad_output', up.grad_output, outShape, T * B * D * R);
  if (up.grad_h_n !== undefined) checkArray('grad_h_n', up.grad_h_n, `(L·D, B, ${w}) = (${L}·${D}, ${B}, ${R})`, SR);
  if (up.grad_c_n !== undefined) {
    if (!cell.hasCellState) throw new WebRnnError('BAD_SHAPE', `grad_c_n was given but mode is ${c.mode}; only LSTM has a cell state`);
    checkArray('grad_c_n', up.grad_c_n, stateShape, S);
  }

  const grads: Record<string, Float64Array> = {};
  const layerGrads: Partial<CellParams>[][] = Array.from({ length: L }, () => Array.from({ length: D }, () => ({})));
  for (const s of specs) {
    grads[s.name] = layerGrads[s.layer]![s.direction]![s.kind] = new Float64Array(s.shape.reduce((x, y) => x * y, 1));
  }
  const grad_h0 = new Float64Array(SR);
  const grad_c0 = cell.hasCellState ? new Float64Array(S) : undefined;

  let dOut: Float64Array; // dL/d(this layer's output), (T, B, D·R)
  if (up.grad_output === undefined) dOut = new Float64Array(T * B * D * R);
  else dOut = c.batch_first ? swapLeadingAxes(up.grad_output, B, T, D * R) : up.grad_output;
  for (let layer = L - 1; layer >= 0; layer--) {
    const Ik = layer === 0 ? I : D * R;
    const x = cache.layerInputs[layer]!;
    const dIn = new Float64Array(T * B * Ik); // dL/d(this layer's input)
    for (let dir = 0; dir < D; dir++) {
      const p = layerParams[layer]![dir]!;
      const g = layerGrads[layer]![dir]! as CellParams;
      for (let b = 0; b < B; b++) {
        const len = dims.lengths[b]!;
        const hState = ((layer * D + dir) * B + b) * R;
        const state = ((layer * D + dir) * B + b) * H;
        const rowSteps = cache.steps[layer]![dir]![b]!;
        let dh: Float64Array = up.grad_h_n === undefined ? new Float64Array(R) : up.grad_h_n.slice(hState, hState + R);
        let dc: Float64Array | undefined = !cell.hasCellState ? undefined : up.grad_c_n === undefined ? new Float64Array(H) : up.grad_c_n.slice(state, state + H);
        for (let s = len - 1; s >= 0; s--) {
          const t = timeOf(dir, s, len);
          const o = (t * B + b) * D * R + dir * R;
          for (let j = 0; j < R; j++) dh[j]! += dOut[o + j]!;
          const prev = s > 0 ? rowSteps[s - 1]! : undefined;
          const hPrev = prev?.h ?? cache.h0.subarray(hState, hState + R);
          const cPrev = cell.hasCellState ? (prev?.c ?? cache.c0!.subarray(state, state + H)) : undefined;
          const xt = x.subarray((t * B + b) * Ik, (t * B + b + 1) * Ik);
          const dxt = dIn.subarray((t * B + b) * Ik, (t * B + b + 1) * Ik);
          const back = cell.backward(p, g, xt, hPrev, cPrev, rowSteps[s]!, dh, dc, dxt);
          dh = back.dh;
          dc = back.dc;
        }
        grad_h0.set(dh, hState);
        if (grad_c0 !== undefined) grad_c0.set(dc!, state);
      }
    }
    dOut = dIn;
  }
  const grad_input = c.batch_first ? swapLeadingAxes(dOut, T, B, I) : dOut;
  return grad_c0 === undefined ? { grad_input, grad_h0, grads } : { grad_input, grad_h0, grad_c0, grads };
}
