import { WebRnnError } from './errors.js';

/** The recurrent cell, named as PyTorch's `nn.RNNBase` names its `mode`. */
export type RecurrentMode = 'LSTM' | 'GRU' | 'RNN_TANH' | 'RNN_RELU';

/**
 * Constructor arguments of a recurrent layer: PyTorch's names and defaults, plus two cell variants
 * PyTorch lacks.
 *
 * @example
 * const cfg: RecurrentConfig = { mode: 'GRU', input_size: 32, hidden_size: 64, num_layers: 2, bidirectional: true };
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
}

/** A config with every default filled in. */
export type ResolvedConfig = Required<RecurrentConfig>;

/** Gates per cell: RNN 1, GRU 3 (r, z, n), LSTM 4 (i, f, g, o). */
export function gateCount(mode: RecurrentMode): number {
  return mode === 'LSTM' ? 4 : mode === 'GRU' ? 3 : 1;
}

const MODES: readonly RecurrentMode[] = ['LSTM', 'GRU', 'RNN_TANH', 'RNN_RELU'];
const KEYS = new Set(['mode', 'input_size', 'hidden_size', 'num_layers', 'bias', 'batch_first', 'bidirectional', 'dropout', 'reset_after', 'peephole']);

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new WebRnnError('BAD_CONFIG', `${name} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

function flag(name: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new WebRnnError('BAD_CONFIG', `${name} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function probability(name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new WebRnnError('BAD_CONFIG', `${name} must be a number in [0, 1), got ${JSON.stringify(v)}`);
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
    input_size: positiveInt('input_size', c.input_size),
    hidden_size: positiveInt('hidden_size', c.hidden_size),
    num_layers: c.num_layers === undefined ? 1 : positiveInt('num_layers', c.num_layers),
    bias: flag('bias', c.bias, true),
    batch_first: flag('batch_first', c.batch_first, false),
    bidirectional: flag('bidirectional', c.bidirectional, false),
    dropout: c.dropout === undefined ? 0 : probability('dropout', c.dropout),
    reset_after: flag('reset_after', c.reset_after, true),
    peephole: flag('peephole', c.peephole, false),
  };
  // A resolved config says reset_after: true for every mode, so only false is an error outside GRU.
  if (!r.reset_after && r.mode !== 'GRU') {
    throw new WebRnnError('BAD_CONFIG', `reset_after: false applies to GRU only, mode is ${r.mode}`);
  }
  if (r.peephole && r.mode !== 'LSTM') throw new WebRnnError('BAD_CONFIG', `peephole applies to LSTM only, mode is ${r.mode}`);
  return r;
}

/** One learnable tensor of a recurrent layer, with PyTorch's state_dict name and shape. */
export interface ParamSpec {
  name: string;
  shape: number[];
  layer: number;
  direction: number;
  kind: 'weight_ih' | 'weight_hh' | 'bias_ih' | 'bias_hh' | 'weight_ph';
}

/**
 * The parameters of a recurrent layer in PyTorch's state_dict order:
 * weight_ih_l{k}[_reverse] (G·H, I_k), weight_hh (G·H, H), bias_ih (G·H), bias_hh (G·H),
 * then webrnn's weight_ph (3H) for peephole LSTMs. I_0 = input_size, I_k = D·H above.
 */
export function parameterSpecs(config: RecurrentConfig): ParamSpec[] {
  const c = resolveConfig(config);
  const G = gateCount(c.mode);
  const H = c.hidden_size;
  const D = c.bidirectional ? 2 : 1;
  const out: ParamSpec[] = [];
  for (let layer = 0; layer < c.num_layers; layer++) {
    const I = layer === 0 ? c.input_size : D * H;
    for (let direction = 0; direction < D; direction++) {
      const sfx = `_l${layer}${direction === 1 ? '_reverse' : ''}`;
      const add = (kind: ParamSpec['kind'], shape: number[]) => out.push({ name: kind + sfx, shape, layer, direction, kind });
      add('weight_ih', [G * H, I]);
      add('weight_hh', [G * H, H]);
      if (c.bias) {
        add('bias_ih', [G * H]);
        add('bias_hh', [G * H]);
      }
      if (c.peephole) add('weight_ph', [3 * H]);
    }
  }
  return out;
}
