/**
 * Keras / TensorFlow.js layer configs, read from a LayersModel's model.json: which layers webrnn runs,
 * their options, and how Keras recurrent weights map to webrnn's (PyTorch's) layout:
 *   SimpleRNN kernel (I, H), recurrent_kernel (H, H), bias (H)
 *   LSTM      kernel (I, 4H) gates i, f, c, o = webrnn's i, f, g, o
 *   GRU       kernel (I, 3H) gates z, r, h → webrnn's r, z, n; bias (3H), or (2, 3H) = [input, recurrent]
 *             with reset_after (PyTorch's GRU)
 *   weight_ih = kernelᵀ, weight_hh = recurrent_kernelᵀ, bias_ih = input bias, bias_hh = recurrent bias or 0.
 * Activations: the cell's recurrent_activation → f, activation → g (and h for LSTM).
 */
import { recurrentParamName, type Activation, type RecurrentConfig } from '../../layers/recurrent-config.js';
import { WebRnnError } from '../../errors.js';

/** Keras activation names (tfjs writes snake_case) → webrnn's cell activations; undefined: not a cell activation. */
const CELL_ACTIVATIONS: Record<string, Activation> = {
  tanh: { name: 'Tanh' },
  sigmoid: { name: 'Sigmoid' },
  hard_sigmoid: { name: 'HardSigmoid', alpha: 0.2, beta: 0.5 },
  hardSigmoid: { name: 'HardSigmoid', alpha: 0.2, beta: 0.5 },
  relu: { name: 'Relu' },
  linear: { name: 'Affine', alpha: 1, beta: 0 },
  elu: { name: 'Elu', alpha: 1 },
  softsign: { name: 'Softsign' },
  softplus: { name: 'Softplus' },
};

export type RecurrentClass = 'SimpleRNN' | 'GRU' | 'LSTM';

/** A Keras recurrent layer's options, checked. */
export interface KerasRecurrent {
  cls: RecurrentClass;
  name: string;
  units: number;
  activation: Activation;
  recurrentActivation: Activation;
  useBias: boolean;
  resetAfter: boolean;
  returnSequences: boolean;
  returnState: boolean;
  goBackwards: boolean;
}

function bad(layer: string, msg: string): never {
  throw new WebRnnError('BAD_CONFIG', `tfjs layer "${layer}": ${msg}`);
}

/** Activation name from a config value (a string, or {class_name, config} in some exports). */
export function activationName(v: unknown, dflt: string): string {
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && typeof (v as { class_name?: unknown }).class_name === 'string') return (v as { class_name: string }).class_name;
  return String(v);
}

/** Checks a SimpleRNN / GRU / LSTM config; throws naming any option webrnn does not run. */
export function kerasRecurrent(cls: RecurrentClass, c: Record<string, unknown>): KerasRecurrent {
  const name = String(c.name ?? cls);
  if (c.stateful) bad(name, 'stateful: true is not supported (give the state as data instead)');
  if (c.time_major) bad(name, 'time_major: true is not supported');
  if (c.backward_layer) bad(name, 'backward_layer is not supported (the backward direction mirrors the forward layer)');
  const units = c.units;
  if (typeof units !== 'number' || !Number.isInteger(units) || units < 1) bad(name, `units must be a positive integer, got ${JSON.stringify(units)}`);
  const act = (key: string, dflt: string): Activation => {
    const n = activationName(c[key], dflt);
    const a = CELL_ACTIVATIONS[n];
    if (!a) bad(name, `${key} "${n}" is not supported in a recurrent cell (supported: ${Object.keys(CELL_ACTIVATIONS).filter((k) => !/[A-Z]/.test(k)).join(', ')})`);
    return a;
  };
  return {
    cls,
    name,
    units,
    activation: act('activation', 'tanh'),
    // tfjs's default recurrent activation is hard_sigmoid (Keras 2 in Python: sigmoid); configs always name it.
    recurrentActivation: cls === 'SimpleRNN' ? { name: 'Sigmoid' } : act('recurrent_activation', 'hard_sigmoid'),
    useBias: c.use_bias === undefined ? true : Boolean(c.use_bias),
    resetAfter: cls === 'GRU' && Boolean(c.reset_after),
    returnSequences: Boolean(c.return_sequences),
    returnState: Boolean(c.return_state),
    goBackwards: Boolean(c.go_backwards),
  };
}

/** The webrnn config of a Keras recurrent layer (batch_first, as Keras tensors are). */
export function recurrentConfigOf(k: KerasRecurrent, inputSize: number, bidirectional: boolean): RecurrentConfig {
  const H = k.units;
  const base = { input_size: inputSize, hidden_size: H, batch_first: true, bidirectional, bias: k.useBias };
  if (k.cls === 'SimpleRNN') {
    const n = k.activation.name;
    if (n === 'Tanh') return { mode: 'RNN_TANH', ...base };
    if (n === 'Relu') return { mode: 'RNN_RELU', ...base };
    return { mode: 'RNN_TANH', ...base, activations: [k.activation] };
  }
  const defaults = k.recurrentActivation.name === 'Sigmoid' && k.activation.name === 'Tanh';
  if (k.cls === 'GRU') {
    return { mode: 'GRU', ...base, reset_after: k.resetAfter, ...(defaults ? {} : { activations: [k.recurrentActivation, k.activation] }) };
  }
  return { mode: 'LSTM', ...base, ...(defaults ? {} : { activations: [k.recurrentActivation, k.activation, k.activation] }) };
}

/** Keras gate block q of webrnn's layout: GRU's r, z, n are Keras's blocks 1, 0, 2. */
const GATE_ORDER: Record<RecurrentClass, number[]> = { SimpleRNN: [0], LSTM: [0, 1, 2, 3], GRU: [1, 0, 2] };

/** kernel (In, G·H) in Keras gate order → webrnn weight (G·H, In) in webrnn gate order. */
function transposeGates(kernel: Float32Array, In: number, H: number, order: number[]): Float32Array {
  const G = order.length;
  const out = new Float32Array(G * H * In);
  order.forEach((from, q) => {
    for (let j = 0; j < H; j++) for (let i = 0; i < In; i++) out[(q * H + j) * In + i] = kernel[i * G * H + from * H + j];
  });
  return out;
}

function reorderBias(b: Float32Array, H: number, order: number[]): Float32Array {
  const out = new Float32Array(order.length * H);
  order.forEach((from, q) => out.set(b.subarray(from * H, (from + 1) * H), q * H));
  return out;
}

/**
 * One direction's weights under webrnn's (PyTorch's) state_dict names for (layer, direction).
 * `w` holds the Keras tensors: kernel, recurrent_kernel, bias (optional).
 */
export function kerasWeightsToWebrnn(k: KerasRecurrent, w: { kernel: Float32Array; recurrent_kernel: Float32Array; bias?: Float32Array }, inputSize: number, layer: number, direction: number): Record<string, Float32Array> {
  const name = (kind: 'weight_ih' | 'weight_hh' | 'bias_ih' | 'bias_hh') => recurrentParamName(kind, layer, direction);
  const H = k.units;
  const order = GATE_ORDER[k.cls];
  const G = order.length;
  const want = (name: string, got: number, n: number) => {
    if (got !== n) bad(k.name, `${name} has ${got} values, expected ${n}`);
  };
  want('kernel', w.kernel.length, inputSize * G * H);
  want('recurrent_kernel', w.recurrent_kernel.length, H * G * H);
  const out: Record<string, Float32Array> = {
    [name('weight_ih')]: transposeGates(w.kernel, inputSize, H, order),
    [name('weight_hh')]: transposeGates(w.recurrent_kernel, H, H, order),
  };
  if (k.useBias) {
    if (!w.bias) bad(k.name, 'use_bias is true but there is no bias weight');
    if (k.resetAfter) {
      want('bias (reset_after: 2 × 3·units)', w.bias.length, 2 * G * H);
      out[name('bias_ih')] = reorderBias(w.bias.subarray(0, G * H), H, order);
      out[name('bias_hh')] = reorderBias(w.bias.subarray(G * H), H, order);
    } else {
      want('bias', w.bias.length, G * H);
      out[name('bias_ih')] = reorderBias(w.bias, H, order);
      out[name('bias_hh')] = new Float32Array(G * H);
    }
  }
  return out;
}

/** webrnn weights of one direction → Keras tensors (the inverse of {@link kerasWeightsToWebrnn}; recurrent biases fold into reset_after's second row or must be 0). */
export function webrnnWeightsToKeras(k: KerasRecurrent, sd: Record<string, Float32Array>, inputSize: number, layer: number, direction: number): { kernel: Float32Array; recurrent_kernel: Float32Array; bias?: Float32Array } {
  const H = k.units;
  const order = GATE_ORDER[k.cls];
  const G = order.length;
  const back = (w: Float32Array, In: number) => {
    const out = new Float32Array(In * G * H);
    order.forEach((from, q) => {
      for (let j = 0; j < H; j++) for (let i = 0; i < In; i++) out[i * G * H + from * H + j] = w[(q * H + j) * In + i];
    });
    return out;
  };
  const unorder = (b: Float32Array) => {
    const out = new Float32Array(G * H);
    order.forEach((from, q) => out.set(b.subarray(q * H, (q + 1) * H), from * H));
    return out;
  };
  const res: { kernel: Float32Array; recurrent_kernel: Float32Array; bias?: Float32Array } = {
    kernel: back(sd[recurrentParamName('weight_ih', layer, direction)], inputSize),
    recurrent_kernel: back(sd[recurrentParamName('weight_hh', layer, direction)], H),
  };
  if (k.useBias) {
    const bih = unorder(sd[recurrentParamName('bias_ih', layer, direction)]);
    const bhh = unorder(sd[recurrentParamName('bias_hh', layer, direction)]);
    if (k.resetAfter) {
      res.bias = new Float32Array(2 * G * H);
      res.bias.set(bih);
      res.bias.set(bhh, G * H);
    } else if (k.cls === 'GRU') {
      // Keras's reset-before GRU has one bias: b_hr and b_hz fold into the input bias; b_hn cannot (it sits inside r ⊙ (…)).
      if (bhh.subarray(2 * H).some((v) => v !== 0)) throw new WebRnnError('BAD_VALUE', `${k.name}: a reset-before GRU with a nonzero recurrent candidate bias b_hn has no Keras equivalent (Keras's GRU has one bias unless reset_after)`);
      res.bias = bih.map((v, i) => v + bhh[i]);
    } else {
      res.bias = bih.map((v, i) => v + bhh[i]);
    }
  }
  return res;
}
