import { flag, intOption } from '../checks.js';
import { WebRnnError } from '../errors.js';
import type { NamedShape } from './parameter-store.js';

/** The recurrent cell, named as PyTorch's `nn.RNNBase` names its `mode`. */
export type RecurrentMode = 'LSTM' | 'GRU' | 'RNN_TANH' | 'RNN_RELU';

/**
 * The activation functions of ONNX's RNN/GRU/LSTM operators, by their ONNX names:
 * Sigmoid, Tanh, Relu; Affine α·x + β; LeakyRelu x ≥ 0 ? x : α·x; ThresholdedRelu x > α ? x : 0;
 * ScaledTanh α·tanh(β·x); HardSigmoid min(max(α·x + β, 0), 1); Elu x ≥ 0 ? x : α·(eˣ − 1);
 * Softsign x / (1 + |x|); Softplus log(1 + eˣ).
 */
export type ActivationName =
  | 'Sigmoid' | 'Tanh' | 'Relu' | 'Affine' | 'LeakyRelu' | 'ThresholdedRelu'
  | 'ScaledTanh' | 'HardSigmoid' | 'Elu' | 'Softsign' | 'Softplus';

/** One activation with its parameters; α and β default as onnxruntime's (LeakyRelu α 0.01, HardSigmoid 0.2/0.5, Elu α 1, others 0). */
export interface Activation {
  name: ActivationName;
  alpha?: number;
  beta?: number;
}

/** The order of this list is the activation id the step kernels switch on (`fn activate`). */
export const ACTIVATION_NAMES: readonly ActivationName[] = [
  'Sigmoid', 'Tanh', 'Relu', 'Affine', 'LeakyRelu', 'ThresholdedRelu', 'ScaledTanh', 'HardSigmoid', 'Elu', 'Softsign', 'Softplus',
];

const ACTIVATION_DEFAULTS: Partial<Record<ActivationName, [number, number]>> = { LeakyRelu: [0.01, 0], HardSigmoid: [0.2, 0.5], Elu: [1, 0] };

/**
 * Constructor arguments of a recurrent layer: PyTorch's names and defaults, plus two cell variants
 * PyTorch lacks.
 *
 * @example
 * const cfg: RecurrentConfig = { mode: 'GRU', input_size: 32, hidden_size: 64, num_layers: 2, bidirectional: true };
 * // nn.LSTM(32, 64, proj_size=16): output (T, B, 16), h_n (1, B, 16), c_n (1, B, 64)
 * const projected: RecurrentConfig = { mode: 'LSTM', input_size: 32, hidden_size: 64, proj_size: 16 };
 */
export interface RecurrentConfig {
  mode: RecurrentMode;
  input_size: number;
  hidden_size: number;
  /** Stacked layers (default 1). */
  num_layers?: number;
  /** Learnable biases b_ih and b_hh (default true). */
  bias?: boolean;
  /** Input/output as (B, T, F) instead of (T, B, F) (default false). Hidden states stay (L·D, B, H). */
  batch_first?: boolean;
  /** Two directions, outputs concatenated on the feature axis (default false). */
  bidirectional?: boolean;
  /**
   * Dropout probability on the outputs of every layer but the last, in training mode (default 0), as
   * PyTorch's argument. The mask comes from a seeded counter-based hash, so runs are reproducible but
   * not PyTorch's random stream.
   */
  dropout?: number;
  /**
   * GRU only. true (default): PyTorch/cuDNN/ONNX linear_before_reset=1,
   * n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)). false: the course's / ONNX default form,
   * n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn).
   */
  reset_after?: boolean;
  /**
   * LSTM only (default false). Peephole weights `weight_ph_l{k}[_reverse]` of shape (3H), order i, f, o:
   * i and f add p_i ⊙ c<t-1>, p_f ⊙ c<t-1> to their pre-activations, o adds p_o ⊙ c<t> (ONNX `P`,
   * whose own order is i, o, f).
   */
  peephole?: boolean;
  /**
   * The cell's activation functions in ONNX's order (inference only: backward throws BAD_CONFIG when
   * they differ from the defaults): LSTM [f, g, h] — f for the i, f, o gates, g for the candidate, h
   * for the cell output (default Sigmoid, Tanh, Tanh); GRU [f, g] — f for r and z, g for the
   * candidate (default Sigmoid, Tanh); RNN [f] (default Tanh, or Relu for RNN_RELU). Every layer and
   * direction uses the same list.
   */
  activations?: Activation[];
  /**
   * ONNX's cell clip (inference only): every gate pre-activation (the input of each activation,
   * peepholes and biases included) is clamped to [−clip, clip]. 0 or absent: no clipping.
   */
  clip?: number;
  /** LSTM only, ONNX's input_forget (inference only): couple the gates, f = 1 − i (default false). */
  input_forget?: boolean;
  /**
   * LSTM only, PyTorch's argument (default 0 = none): a projection h<t> = W_hr (o ⊙ tanh(c<t>)) with
   * `weight_hr_l{k}[_reverse]` of shape (proj_size, H) and no bias, 0 < proj_size < hidden_size. h0,
   * h_n and each direction's output are then proj_size wide (c0, c_n stay H), weight_hh is
   * (4H, proj_size), and a layer above takes D·proj_size inputs. ONNX and tfjs have no such cell.
   */
  proj_size?: number;
}

/** An activation with α and β filled in. */
export type ResolvedActivation = Required<Activation>;

/** A config with every default filled in: `activations` lists the cell's functions, `clip` 0 = none. */
export type ResolvedConfig = Required<Omit<RecurrentConfig, 'activations'>> & { activations: ResolvedActivation[] };

/**
 * The width of h (h0, h_n, each direction's output, the recurrent input): proj_size for a projected
 * LSTM, else hidden_size.
 * @example hiddenStateSize(resolveConfig({ mode: 'LSTM', input_size: 3, hidden_size: 8, proj_size: 2 })) // 2
 */
export function hiddenStateSize(c: ResolvedConfig): number {
  return c.proj_size > 0 ? c.proj_size : c.hidden_size;
}

/** Gates per cell: RNN 1, GRU 3 (r, z, n), LSTM 4 (i, f, g, o). */
export function gateCount(mode: RecurrentMode): number {
  return mode === 'LSTM' ? 4 : mode === 'GRU' ? 3 : 1;
}

const MODES: readonly RecurrentMode[] = ['LSTM', 'GRU', 'RNN_TANH', 'RNN_RELU'];
const KEYS = new Set(['mode', 'input_size', 'hidden_size', 'num_layers', 'bias', 'batch_first', 'bidirectional', 'dropout', 'reset_after', 'peephole', 'activations', 'clip', 'input_forget', 'proj_size']);

/** The activation functions a cell applies: LSTM f, g, h; GRU f, g; RNN f. */
export function activationCount(mode: RecurrentMode): number {
  return mode === 'LSTM' ? 3 : mode === 'GRU' ? 2 : 1;
}

/** The cell's default activations (PyTorch's cells). */
export function defaultActivations(mode: RecurrentMode): ResolvedActivation[] {
  const a = (name: ActivationName): ResolvedActivation => ({ name, alpha: 0, beta: 0 });
  if (mode === 'LSTM') return [a('Sigmoid'), a('Tanh'), a('Tanh')];
  if (mode === 'GRU') return [a('Sigmoid'), a('Tanh')];
  return [a(mode === 'RNN_RELU' ? 'Relu' : 'Tanh')];
}

function resolveActivations(mode: RecurrentMode, v: unknown): ResolvedActivation[] {
  if (v === undefined) return defaultActivations(mode);
  const n = activationCount(mode);
  if (!Array.isArray(v) || v.length !== n) {
    throw new WebRnnError('BAD_CONFIG', `activations must be a list of ${n} (${mode === 'LSTM' ? 'f, g, h' : mode === 'GRU' ? 'f, g' : 'f'}) for ${mode}, got ${JSON.stringify(v)}`);
  }
  return v.map((a: unknown, i) => {
    const o = a as Activation;
    if (o === null || typeof o !== 'object' || !ACTIVATION_NAMES.includes(o.name)) {
      throw new WebRnnError('BAD_CONFIG', `activations[${i}] must be { name, alpha?, beta? } with name one of ${ACTIVATION_NAMES.join(', ')}, got ${JSON.stringify(a)}`);
    }
    for (const k of Object.keys(o)) if (k !== 'name' && k !== 'alpha' && k !== 'beta') throw new WebRnnError('BAD_CONFIG', `activations[${i}]: unknown key "${k}" (known: name, alpha, beta)`);
    const [da, db] = ACTIVATION_DEFAULTS[o.name] ?? [0, 0];
    const num = (k: 'alpha' | 'beta', d: number) => {
      const x = o[k];
      if (x === undefined) return d;
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new WebRnnError('BAD_CONFIG', `activations[${i}].${k} must be a finite number, got ${JSON.stringify(x)}`);
      return x;
    };
    return { name: o.name, alpha: num('alpha', da), beta: num('beta', db) };
  });
}

/**
 * The name of the first option that only the forward pass implements (non-default activations, clip,
 * input_forget), or undefined when the config can be trained.
 */
export function forwardOnlyOption(c: ResolvedConfig): string | undefined {
  const d = defaultActivations(c.mode);
  if (c.activations.some((a, i) => a.name !== d[i].name)) return `activations ${JSON.stringify(c.activations.map((a) => a.name))}`;
  if (c.clip > 0) return `clip ${c.clip}`;
  if (c.input_forget) return 'input_forget';
  return undefined;
}

function probability(name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new WebRnnError('BAD_CONFIG', `${name} must be a number in [0, 1), got ${JSON.stringify(v)}`);
  return v;
}

function nonNegative(name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw new WebRnnError('BAD_CONFIG', `${name} must be a finite number ≥ 0, got ${JSON.stringify(v)}`);
  return v;
}

/** Checks every field and fills defaults; throws WebRnnError('BAD_CONFIG') naming the bad field. */
export function resolveConfig(c: RecurrentConfig): ResolvedConfig {
  if (c === null || typeof c !== 'object') throw new WebRnnError('BAD_CONFIG', `config must be an object, got ${JSON.stringify(c)}`);
  for (const k of Object.keys(c)) {
    if (!KEYS.has(k)) throw new WebRnnError('BAD_CONFIG', `unknown config key "${k}" (known: ${[...KEYS].join(', ')})`);
  }
  if (!MODES.includes(c.mode)) {
    throw new WebRnnError('BAD_CONFIG', `mode must be one of ${MODES.join(', ')}, got ${JSON.stringify(c.mode)}`);
  }
  const r: ResolvedConfig = {
    mode: c.mode,
    input_size: intOption('', 'input_size', c.input_size),
    hidden_size: intOption('', 'hidden_size', c.hidden_size),
    num_layers: intOption('', 'num_layers', c.num_layers, { default: 1 }),
    bias: flag('', 'bias', c.bias, true),
    batch_first: flag('', 'batch_first', c.batch_first, false),
    bidirectional: flag('', 'bidirectional', c.bidirectional, false),
    dropout: c.dropout === undefined ? 0 : probability('dropout', c.dropout),
    reset_after: flag('', 'reset_after', c.reset_after, true),
    peephole: flag('', 'peephole', c.peephole, false),
    activations: resolveActivations(c.mode, c.activations),
    clip: c.clip === undefined ? 0 : nonNegative('clip', c.clip),
    input_forget: flag('', 'input_forget', c.input_forget, false),
    proj_size: intOption('', 'proj_size', c.proj_size, { min: 0, default: 0 }),
  };
  // A resolved config says reset_after: true for every mode, so only false is an error outside GRU.
  if (!r.reset_after && r.mode !== 'GRU') {
    throw new WebRnnError('BAD_CONFIG', `reset_after: false applies to GRU only, mode is ${r.mode}`);
  }
  checkConfigSize(r);
  if (r.peephole && r.mode !== 'LSTM') throw new WebRnnError('BAD_CONFIG', `peephole applies to LSTM only, mode is ${r.mode}`);
  if (r.input_forget && r.mode !== 'LSTM') throw new WebRnnError('BAD_CONFIG', `input_forget applies to LSTM only, mode is ${r.mode}`);
  if (r.proj_size > 0 && r.mode !== 'LSTM') throw new WebRnnError('BAD_CONFIG', `proj_size applies to LSTM only, mode is ${r.mode}`);
  if (r.proj_size >= r.hidden_size) throw new WebRnnError('BAD_CONFIG', `proj_size must be smaller than hidden_size = ${r.hidden_size} (as PyTorch), got ${r.proj_size}`);
  return r;
}

/**
 * The most stacked layers a recurrent layer may have: each layer has its own workspaces, bind groups and
 * dispatches, so a stack beyond this is a mistake (a stray exponent), not a model — and would exhaust
 * memory before any size check could see it.
 */
export const MAX_LAYERS = 1024;

/**
 * The most parameters a recurrent layer may have on any device: they live in one buffer that the
 * kernels address with 32-bit element offsets. A device's own binding limit is usually lower (see
 * {@link parameterCount} and Engine.checkParameterBytes).
 */
export const MAX_PARAMETERS = 2 ** 32 - 1;

/**
 * The number of parameters of a resolved config, computed arithmetically (no per-layer objects), in
 * doubles: exact below 2⁵³, and only compared with bounds far below that.
 * @example parameterCount(resolveConfig({ mode: 'LSTM', input_size: 3, hidden_size: 4 })) // 144
 */
export function parameterCount(c: ResolvedConfig): number {
  const G = gateCount(c.mode);
  const H = c.hidden_size;
  const R = hiddenStateSize(c);
  const D = c.bidirectional ? 2 : 1;
  const perDirection = (I: number) => G * H * I + G * H * R + (c.bias ? 2 * G * H : 0) + (c.peephole ? 3 * H : 0) + (c.proj_size > 0 ? R * H : 0);
  return D * (perDirection(c.input_size) + (c.num_layers - 1) * perDirection(D * R));
}

/** Bounds on a config's size that hold on every device; throws BAD_CONFIG naming the field and the bound. */
function checkConfigSize(c: ResolvedConfig): void {
  if (c.num_layers > MAX_LAYERS) throw new WebRnnError('BAD_CONFIG', `num_layers must be at most ${MAX_LAYERS}, got ${c.num_layers}`);
  const n = parameterCount(c);
  if (n > MAX_PARAMETERS) {
    throw new WebRnnError('BAD_CONFIG', `input_size ${c.input_size}, hidden_size ${c.hidden_size} and num_layers ${c.num_layers} make ${n.toExponential(3)} parameters; a recurrent layer holds at most 2³² − 1 = ${MAX_PARAMETERS} (one buffer, 32-bit offsets)`);
  }
}

/** One learnable tensor of a recurrent layer, with PyTorch's state_dict name and shape. */
export interface ParamSpec extends NamedShape {
  name: string;
  shape: number[];
  layer: number;
  direction: number;
  kind: 'weight_ih' | 'weight_hh' | 'bias_ih' | 'bias_hh' | 'weight_hr' | 'weight_ph';
}

/**
 * PyTorch's state_dict name of a recurrent parameter (`weight_ih_l0`, `bias_hh_l1_reverse`, …), for
 * state_dict import and export: the plans find parameters by (layer, direction, kind) in the spec table.
 * @example recurrentParamName('weight_hh', 1, 1) // 'weight_hh_l1_reverse'
 */
export function recurrentParamName(kind: ParamSpec['kind'], layer: number, direction: number): string {
  return `${kind}_l${layer}${direction === 1 ? '_reverse' : ''}`;
}

/**
 * The parameters of a recurrent layer in PyTorch's state_dict order:
 * weight_ih_l{k}[_reverse] (G·H, I_k), weight_hh (G·H, R), bias_ih (G·H), bias_hh (G·H), weight_hr
 * (R, H) for projected LSTMs, then webrnn's weight_ph (3H) for peephole LSTMs. R = proj_size or H
 * (the width of h); I_0 = input_size, I_k = D·R above.
 */
export function parameterSpecs(config: RecurrentConfig): ParamSpec[] {
  const c = resolveConfig(config);
  const G = gateCount(c.mode);
  const H = c.hidden_size;
  const R = hiddenStateSize(c);
  const D = c.bidirectional ? 2 : 1;
  const out: ParamSpec[] = [];
  for (let layer = 0; layer < c.num_layers; layer++) {
    const I = layer === 0 ? c.input_size : D * R;
    for (let direction = 0; direction < D; direction++) {
      const add = (kind: ParamSpec['kind'], shape: number[]) => out.push({ name: recurrentParamName(kind, layer, direction), shape, layer, direction, kind });
      add('weight_ih', [G * H, I]);
      add('weight_hh', [G * H, R]);
      if (c.bias) {
        add('bias_ih', [G * H]);
        add('bias_hh', [G * H]);
      }
      if (c.proj_size > 0) add('weight_hr', [R, H]);
      if (c.peephole) add('weight_ph', [3 * H]);
    }
  }
  return out;
}
