/**
 * Portable models (embedding → recurrent stack → linear head) to and from TensorFlow.js LayersModels.
 *
 * To tfjs: a Sequential model — Embedding (or batch_input_shape [null, null, I]), one Keras layer per
 * recurrent layer (Bidirectional(concat) when bidirectional), Dense with the head's activation.
 * PyTorch's two biases fold into Keras's one (b_ih + b_hh), except a reset-after GRU, which keeps
 * both as Keras's bias (2, 3H). Not expressible, and refused with the reason: variable lengths (the
 * tfjs model takes full sequences), clip, input_forget, peepholes, LSTM g ≠ h activations, cell
 * activations Keras lacks, a reset-before GRU with a recurrent candidate bias, and a bidirectional
 * stack read at the last step (Keras's last output of the backward layer is its state after the whole
 * reversed sequence, not the row at the last step).
 *
 * From tfjs: a chain [InputLayer] → [Embedding] → recurrent layers (all the same class and options,
 * all returning sequences but possibly the last) → [Dense [→ Activation]], Dropout anywhere.
 */
import { WebRnnError } from '../../errors.js';
import type { Activation } from '../../layers/recurrent-config.js';
import { resolveConfig } from '../../layers/recurrent-config.js';
import { activationName, kerasRecurrent, kerasWeightsToWebrnn, recurrentConfigOf, webrnnWeightsToKeras, type KerasRecurrent, type RecurrentClass } from './layers.js';
import type { TfjsArtifacts, TfjsModel } from './model.js';
import type { PortableModel } from '../torch/portable.js';

const KERAS_NAME: Record<string, (a: Activation) => string | undefined> = {
  Sigmoid: () => 'sigmoid',
  Tanh: () => 'tanh',
  Relu: () => 'relu',
  Softsign: () => 'softsign',
  Softplus: () => 'softplus',
  HardSigmoid: (a) => (a.alpha === 0.2 && a.beta === 0.5 ? 'hard_sigmoid' : undefined),
  Affine: (a) => (a.alpha === 1 && a.beta === 0 ? 'linear' : undefined),
  Elu: (a) => (a.alpha === 1 ? 'elu' : undefined),
};

function refuse(why: string): never {
  throw new WebRnnError('BAD_CONFIG', `no TensorFlow.js equivalent: ${why}`);
}

function kerasActivation(a: Activation): string {
  const n = KERAS_NAME[a.name]?.(a);
  if (!n) refuse(`activation ${a.name}${a.alpha !== undefined ? ` (α ${a.alpha}, β ${a.beta})` : ''} is not a Keras activation`);
  return n;
}

/** Encodes a portable model as tfjs artifacts (model.json's topology + one float32 weight blob). */
export function portableToTfjs(p: PortableModel): TfjsArtifacts {
  const c = resolveConfig({ ...p.rnn, batch_first: false });
  if (c.clip > 0) refuse(`clip ${c.clip}`);
  if (c.input_forget) refuse('input_forget');
  if (c.peephole) refuse('peephole LSTM');
  if (c.proj_size > 0) refuse(`LSTM with proj_size ${c.proj_size} (Keras has no projected LSTM: weight_hr has nowhere to go)`);
  if (p.target === 'last_step' && c.bidirectional) refuse('a bidirectional stack read at each row\'s last step (Keras\'s backward layer ends at the first step)');
  const cls: RecurrentClass = c.mode === 'LSTM' ? 'LSTM' : c.mode === 'GRU' ? 'GRU' : 'SimpleRNN';
  const [f, g, h] = c.activations;
  if (cls === 'LSTM' && (g.name !== h.name || g.alpha !== h.alpha || g.beta !== h.beta)) refuse(`an LSTM whose candidate (${g.name}) and output (${h.name}) activations differ`);
  const cellConfig = (name: string, last: boolean): Record<string, unknown> => ({
    name,
    units: c.hidden_size,
    activation: kerasActivation(cls === 'SimpleRNN' ? f : g),
    ...(cls === 'SimpleRNN' ? {} : { recurrent_activation: kerasActivation(f) }),
    use_bias: c.bias,
    ...(cls === 'GRU' ? { reset_after: c.reset_after } : {}),
    return_sequences: !(last && p.target === 'last_step'),
    return_state: false,
    go_backwards: false,
    stateful: false,
    unroll: false,
    dropout: 0,
    recurrent_dropout: 0,
  });
  const k = kerasRecurrent(cls, cellConfig('cell', false));
  const layers: { class_name: string; config: Record<string, unknown> }[] = [];
  const specs: TfjsArtifacts['weightSpecs'] = [];
  const blobs: Float32Array[] = [];
  const add = (name: string, shape: number[], data: Float32Array) => {
    specs.push({ name, shape, dtype: 'float32' });
    blobs.push(data);
  };
  if (p.embedding) {
    layers.push({ class_name: 'Embedding', config: { name: 'embedding', input_dim: p.embedding.num_embeddings, output_dim: p.embedding.embedding_dim, mask_zero: false, batch_input_shape: [null, null], dtype: 'float32' } });
    add('embedding/embeddings', [p.embedding.num_embeddings, p.embedding.embedding_dim], p.weights['embedding.weight']);
  }
  const D = c.bidirectional ? 2 : 1;
  const G = cls === 'LSTM' ? 4 : cls === 'GRU' ? 3 : 1;
  const H = c.hidden_size;
  const sd: Record<string, Float32Array> = {};
  for (const [key, v] of Object.entries(p.weights)) if (key.startsWith('rnn.')) sd[key.slice(4)] = v;
  for (let l = 0; l < c.num_layers; l++) {
    const I = l === 0 ? c.input_size : D * H;
    const name = `${cls.toLowerCase()}_${l}`;
    const cfg = cellConfig(name, l === c.num_layers - 1);
    const first = l === 0 && !p.embedding ? { batch_input_shape: [null, null, I], dtype: 'float32' } : {};
    const weightsOf = (d: number, scope: string) => {
      const kw = webrnnWeightsToKeras(k, sd, I, l, d);
      add(`${scope}/kernel`, [I, G * H], kw.kernel);
      add(`${scope}/recurrent_kernel`, [H, G * H], kw.recurrent_kernel);
      if (kw.bias) add(`${scope}/bias`, c.reset_after && cls === 'GRU' ? [2, G * H] : [G * H], kw.bias);
    };
    if (D === 2) {
      const bname = `bidirectional_${l}`;
      layers.push({ class_name: 'Bidirectional', config: { name: bname, merge_mode: 'concat', layer: { class_name: cls, config: cfg }, ...first } });
      weightsOf(0, `${bname}/forward_${name}`);
      weightsOf(1, `${bname}/backward_${name}`);
    } else {
      layers.push({ class_name: cls, config: { ...cfg, ...first } });
      weightsOf(0, name);
    }
  }
  if (p.linear) {
    const { in_features: F, out_features: O } = p.linear;
    layers.push({ class_name: 'Dense', config: { name: 'dense', units: O, activation: p.linear.activation ?? 'linear', use_bias: p.linear.bias } });
    const lw = p.weights['linear.weight'];
    const kt = new Float32Array(F * O);
    for (let o = 0; o < O; o++) for (let i = 0; i < F; i++) kt[i * O + o] = lw[o * F + i];
    add('dense/kernel', [F, O], kt);
    if (p.linear.bias) add('dense/bias', [O], p.weights['linear.bias']);
  }
  const total = blobs.reduce((n, b) => n + b.length, 0);
  const data = new Float32Array(total);
  let off = 0;
  for (const b of blobs) {
    data.set(b, off);
    off += b.length;
  }
  return {
    modelTopology: { class_name: 'Sequential', config: { name: 'webrnn', layers }, keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' },
    weightSpecs: specs,
    weightData: new Uint8Array(data.buffer),
  };
}

/** Reads a tfjs LayersModel of the portable shape (see the header); throws naming the layer that does not fit. */
export function tfjsToPortable(m: TfjsModel): PortableModel {
  const nodes = m.nodes.filter((n) => n.cls !== 'Dropout' && n.cls !== 'SpatialDropout1D');
  if (m.inputNames.length !== 1 || m.outputNames.length !== 1) throw new WebRnnError('BAD_CONFIG', `a model with ${m.inputNames.length} inputs and ${m.outputNames.length} outputs is not embedding → RNN → linear`);
  for (const n of m.nodes) {
    if (n.inbound.length > 1) throw new WebRnnError('BAD_CONFIG', `tfjs layer "${n.name}" has ${n.inbound.length} inputs; only a chain of layers converts`);
  }
  let i = 0;
  const take = (cls: string) => (nodes[i]?.cls === cls ? nodes[i++] : undefined);
  const input = take('InputLayer');
  const emb = take('Embedding');
  if (nodes[i]?.cls === 'Masking' || emb?.config.mask_zero) throw new WebRnnError('BAD_CONFIG', `tfjs layer "${nodes[i]?.cls === 'Masking' ? nodes[i].name : emb!.name}": masking has no equivalent in a converted model (its lengths are per-row inputs there); remove the mask to convert`);
  const rnns: { node: (typeof nodes)[number]; k: KerasRecurrent; bi: boolean }[] = [];
  for (;;) {
    const n = nodes[i];
    if (!n) break;
    if (n.cls === 'Bidirectional') {
      const inner = n.config.layer as { class_name: RecurrentClass; config: Record<string, unknown> };
      if ((n.config.merge_mode ?? 'concat') !== 'concat') throw new WebRnnError('BAD_CONFIG', `tfjs layer "${n.name}": merge_mode ${n.config.merge_mode} has no equivalent (a bidirectional stack concatenates)`);
      rnns.push({ node: n, k: kerasRecurrent(inner.class_name, inner.config), bi: true });
    } else if (n.cls === 'SimpleRNN' || n.cls === 'GRU' || n.cls === 'LSTM') {
      rnns.push({ node: n, k: kerasRecurrent(n.cls, n.config), bi: false });
    } else break;
    i++;
  }
  if (!rnns.length) throw new WebRnnError('BAD_CONFIG', 'the model has no recurrent layer');
  const dense = take('Dense');
  const act = dense ? take('Activation') : undefined;
  if (i < nodes.length) throw new WebRnnError('BAD_CONFIG', `tfjs layer "${nodes[i].name}" (${nodes[i].cls}) does not fit embedding → RNN → linear`);
  const k0 = rnns[0].k;
  rnns.forEach((r, l) => {
    const same = r.bi === rnns[0].bi && r.k.cls === k0.cls && r.k.units === k0.units && JSON.stringify([r.k.activation, r.k.recurrentActivation, r.k.useBias, r.k.resetAfter]) === JSON.stringify([k0.activation, k0.recurrentActivation, k0.useBias, k0.resetAfter]);
    if (!same) throw new WebRnnError('BAD_CONFIG', `tfjs layer "${r.node.name}" differs from "${rnns[0].node.name}" (class, units, activations, bias, bidirectional); a stack converts when every layer is alike`);
    if (r.k.goBackwards || r.k.returnState) throw new WebRnnError('BAD_CONFIG', `tfjs layer "${r.node.name}": go_backwards / return_state have no equivalent in a converted stack`);
    if (l < rnns.length - 1 && !r.k.returnSequences) throw new WebRnnError('BAD_CONFIG', `tfjs layer "${r.node.name}" returns only its last step but feeds another recurrent layer`);
  });
  const lastSeq = rnns[rnns.length - 1].k.returnSequences;
  if (!lastSeq && rnns[0].bi) throw new WebRnnError('BAD_CONFIG', `tfjs layer "${rnns[rnns.length - 1].node.name}": a Bidirectional layer's last output (the backward layer's state after the whole reversed sequence) has no equivalent in a stack read at each row's last step`);
  const shape = (input?.config.batch_input_shape ?? rnns[0].node.config.batch_input_shape ?? (rnns[0].node.config.layer as { config?: Record<string, unknown> } | undefined)?.config?.batch_input_shape) as (number | null)[] | undefined;
  const I = emb ? Number(emb.config.output_dim) : shape?.[shape.length - 1];
  if (typeof I !== 'number' || !(I > 0)) throw new WebRnnError('BAD_CONFIG', 'the model does not declare its input width (batch_input_shape)');
  const D = rnns[0].bi ? 2 : 1;
  const H = k0.units;
  const weights: Record<string, Float32Array> = {};
  const get = (prefix: string, leaf: string) => {
    for (const [key, v] of m.weights) if (key.startsWith(`${prefix}/`) && key.split('/').pop() === leaf) return v;
    return undefined;
  };
  if (emb) weights['embedding.weight'] = get(emb.name, 'embeddings')!;
  rnns.forEach((r, l) => {
    const In = l === 0 ? I : D * H;
    for (let d = 0; d < D; d++) {
      const scope = r.bi ? [...m.weights.keys()].find((key) => key.startsWith(`${r.node.name}/${d ? 'backward' : 'forward'}_`))?.split('/').slice(0, 2).join('/') : r.node.name;
      const kernel = scope ? get(scope, 'kernel') : undefined;
      const rec = scope ? get(scope, 'recurrent_kernel') : undefined;
      if (!kernel || !rec) throw new WebRnnError('BAD_FILE', `tfjs layer "${r.node.name}": missing weights`);
      for (const [key, v] of Object.entries(kerasWeightsToWebrnn(r.k, { kernel, recurrent_kernel: rec, bias: get(scope!, 'bias') }, In, l, d))) weights[`rnn.${key}`] = v;
    }
  });
  const rnn = { ...recurrentConfigOf(k0, I, rnns[0].bi), num_layers: rnns.length, batch_first: false };
  let linear: PortableModel['linear'];
  if (dense) {
    const O = Number(dense.config.units);
    const F = D * H;
    const kern = get(dense.name, 'kernel')!;
    const lw = new Float32Array(O * F);
    for (let o = 0; o < O; o++) for (let f = 0; f < F; f++) lw[o * F + f] = kern[f * O + o];
    weights['linear.weight'] = lw;
    const bias = dense.config.use_bias !== false;
    if (bias) weights['linear.bias'] = get(dense.name, 'bias')!;
    const a1 = activationName(dense.config.activation, 'linear');
    const a2 = act ? activationName(act.config.activation, 'linear') : 'linear';
    if (a1 !== 'linear' && a2 !== 'linear') throw new WebRnnError('BAD_CONFIG', `tfjs layer "${act!.name}": a second activation after "${dense.name}" (${a1}) does not convert`);
    linear = { in_features: F, out_features: O, bias, activation: a1 !== 'linear' ? a1 : a2 };
  }
  return {
    rnn,
    ...(emb ? { embedding: { num_embeddings: Number(emb.config.input_dim), embedding_dim: I } } : {}),
    ...(linear ? { linear } : {}),
    target: lastSeq ? 'all_steps' : 'last_step',
    weights,
  };
}
