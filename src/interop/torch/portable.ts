/**
 * The model shape every converter speaks: embedding (optional) → a stack of recurrent layers → linear
 * head (optional, with an activation when it came from Keras), predicting at every step or at each
 * row's last step. Weights sit under webrnn's SequenceModel names (PyTorch's for a module with children
 * embedding, rnn, linear) in webrnn's gate order, so each format only maps to and from this.
 */
import { forwardOnlyOption, parameterSpecs, resolveConfig, type RecurrentConfig } from '../../layers/recurrent-config.js';
import { WebRnnError } from '../../errors.js';
import type { SafeTensor } from '../../formats/safetensors.js';
import type { TorchStateDict } from './model.js';

export interface PortableModel {
  /** the recurrent stack; batch_first and dropout are not part of it (inputs are batch-first) */
  rnn: RecurrentConfig;
  embedding?: { num_embeddings: number; embedding_dim: number };
  /** `activation`: a Keras activation name applied after the head ('linear' = none) */
  linear?: { in_features: number; out_features: number; bias: boolean; activation?: string };
  target: 'all_steps' | 'last_step';
  /** embedding.weight, rnn.weight_ih_l0 …, linear.weight (O, F), linear.bias */
  weights: Record<string, Float32Array>;
}

/** A PyTorch state_dict (whole model or bare RNN) as a portable model. */
export function portableFromTorch(sd: TorchStateDict, target: 'all_steps' | 'last_step' = 'all_steps'): PortableModel {
  const weights: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(sd.weights)) weights[sd.model ? k : `rnn.${k}`] = v;
  const m = sd.model;
  return {
    rnn: { ...sd.rnn },
    ...(m?.embedding ? { embedding: { num_embeddings: m.embedding.num_embeddings, embedding_dim: m.embedding.embedding_dim } } : {}),
    ...(m ? { linear: { in_features: m.linear.in_features, out_features: m.linear.out_features, bias: m.linear.bias !== false } } : {}),
    target: m ? target : 'all_steps',
    weights,
  };
}

/**
 * A portable model as a PyTorch state_dict (float32) for `embedding` / `rnn` / `linear` children (or a
 * bare nn.LSTM/GRU/RNN's names). Throws WebRnnError('BAD_CONFIG') naming what PyTorch's modules cannot
 * express: other activations, clip, input_forget, peepholes, a reset-before GRU, a head activation.
 */
export function portableToTorch(p: PortableModel): Map<string, SafeTensor> {
  const c = resolveConfig({ ...p.rnn, batch_first: false });
  const no = (what: string) => {
    throw new WebRnnError('BAD_CONFIG', `PyTorch has no ${what}; this model cannot be a PyTorch state_dict`);
  };
  const fo = forwardOnlyOption(c);
  const rnnActs = c.mode === 'RNN_TANH' || c.mode === 'RNN_RELU';
  const acts = c.activations.map((a) => a.name).join(', ');
  if (fo && !(rnnActs && (acts === 'Tanh' || acts === 'Relu') && !c.clip)) no(fo.startsWith('activations') ? `cell with activations ${acts} (nn.LSTM/nn.GRU use Sigmoid and Tanh; nn.RNN Tanh or Relu)` : fo);
  if (c.peephole) no('peephole LSTM (weight_ph)');
  if (c.mode === 'GRU' && !c.reset_after) no('reset-before GRU (nn.GRU applies the reset gate after the recurrent product: Keras reset_after=True, ONNX linear_before_reset=1)');
  if (p.linear?.activation && p.linear.activation !== 'linear') no(`activation "${p.linear.activation}" after nn.Linear in this model shape (embedding → RNN → Linear)`);
  const mode = rnnActs ? (c.activations[0].name === 'Relu' ? 'RNN_RELU' : 'RNN_TANH') : c.mode;
  const whole = p.linear !== undefined;
  const out = new Map<string, SafeTensor>();
  const put = (name: string, shape: number[], from: string) => {
    const w = p.weights[from];
    if (!w) throw new WebRnnError('BAD_STATE', `portable model: no weight ${from}`);
    out.set(name, { dtype: 'F32', shape, data: Float32Array.from(w) });
  };
  if (p.embedding) put('embedding.weight', [p.embedding.num_embeddings, p.embedding.embedding_dim], 'embedding.weight');
  for (const s of parameterSpecs({ ...p.rnn, mode, activations: undefined })) put(whole ? `rnn.${s.name}` : s.name, s.shape, `rnn.${s.name}`);
  if (p.linear) {
    put('linear.weight', [p.linear.out_features, p.linear.in_features], 'linear.weight');
    if (p.linear.bias) put('linear.bias', [p.linear.out_features], 'linear.bias');
  }
  return out;
}

/** The PyTorch constructor arguments of the recurrent part (what `webrnn run --config` reads). */
export function torchConfigOf(p: PortableModel): Record<string, unknown> {
  const c = resolveConfig({ ...p.rnn, batch_first: false });
  const mode = c.mode === 'RNN_TANH' && c.activations[0].name === 'Relu' ? 'RNN_RELU' : c.mode;
  return { mode, input_size: c.input_size, hidden_size: c.hidden_size, num_layers: c.num_layers, bias: c.bias, bidirectional: c.bidirectional, batch_first: true, ...(c.proj_size > 0 ? { proj_size: c.proj_size } : {}) };
}
