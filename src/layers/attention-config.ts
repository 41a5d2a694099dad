/**
 * The configuration and parameter layout of an attention decoder (Bahdanau attention + LSTM cell),
 * shared by the GPU layer (attention-decoder.ts) and the float64 reference (test/reference/attention.ts).
 * No GPU code here.
 */
import { WebRnnError } from '../errors.js';
import { intOption, knownKeys } from '../checks.js';
import type { NamedShape } from './parameter-store.js';

/**
 * Sizes of an {@link AttentionDecoder}. Letters used in shape comments: E = input_size (embedded
 * previous token), A = annotation_size (encoder output width, 2·H_enc for a bidirectional encoder),
 * H = hidden_size (decoder LSTM), N = attention_size (width of the additive-attention hidden layer).
 */
export interface AttentionDecoderConfig {
  /** E: width of the decoder's token input (the embedded y<t−1>). */
  input_size: number;
  /** A: width of the encoder annotations a<t'>. */
  annotation_size: number;
  /** H: hidden size of the decoder LSTM cell. */
  hidden_size: number;
  /** N: hidden width of the additive attention, e = vᵀ tanh(W_s s + U_a a + b_a). */
  attention_size: number;
}

const KEYS = ['input_size', 'annotation_size', 'hidden_size', 'attention_size'];

/** Checks every field; throws WebRnnError('BAD_CONFIG') naming the bad one. */
export function resolveAttentionConfig(c: AttentionDecoderConfig): Readonly<AttentionDecoderConfig> {
  knownKeys('AttentionDecoder', c, KEYS);
  return Object.freeze({
    input_size: intOption('AttentionDecoder', 'input_size', c.input_size),
    annotation_size: intOption('AttentionDecoder', 'annotation_size', c.annotation_size),
    hidden_size: intOption('AttentionDecoder', 'hidden_size', c.hidden_size),
    attention_size: intOption('AttentionDecoder', 'attention_size', c.attention_size),
  });
}

/**
 * Parameter names and shapes in state_dict order — a PyTorch module with children `attention`
 * (three nn.Linear: query = W_s without bias, key = U_a with bias b_a, v without bias) and
 * `cell` (nn.LSTMCell over the input [E_y(y<t−1>); c<t>], gate order i, f, g, o):
 *
 *   attention.query.weight (N, H)   attention.key.weight (N, A)   attention.key.bias (N)
 *   attention.v.weight (1, N)       cell.weight_ih (4H, E + A)    cell.weight_hh (4H, H)
 *   cell.bias_ih (4H)               cell.bias_hh (4H)
 *
 * @example
 * attentionDecoderSpecs({ input_size: 8, annotation_size: 32, hidden_size: 16, attention_size: 10 })[4];
 * // { name: 'cell.weight_ih', shape: [64, 40] }
 */
export function attentionDecoderSpecs(config: AttentionDecoderConfig): NamedShape[] {
  const c = resolveAttentionConfig(config);
  const { input_size: E, annotation_size: A, hidden_size: H, attention_size: N } = c;
  return [
    { name: 'attention.query.weight', shape: [N, H] },
    { name: 'attention.key.weight', shape: [N, A] },
    { name: 'attention.key.bias', shape: [N] },
    { name: 'attention.v.weight', shape: [1, N] },
    { name: 'cell.weight_ih', shape: [4 * H, E + A] },
    { name: 'cell.weight_hh', shape: [4 * H, H] },
    { name: 'cell.bias_ih', shape: [4 * H] },
    { name: 'cell.bias_hh', shape: [4 * H] },
  ];
}

/**
 * PyTorch's default initialisation bound of each parameter: nn.Linear's U(−1/√in, 1/√in) for the
 * attention layers, nn.LSTMCell's U(−1/√H, 1/√H) for the cell.
 */
export function attentionInitBound(config: AttentionDecoderConfig, name: string): number {
  const fanIn: Record<string, number> = {
    'attention.query.weight': config.hidden_size,
    'attention.key.weight': config.annotation_size,
    'attention.key.bias': config.annotation_size,
    'attention.v.weight': config.attention_size,
  };
  return 1 / Math.sqrt(fanIn[name] ?? config.hidden_size);
}

/**
 * Per-row lengths checked against a maximum: each an integer in 1..max; `undefined` means all max.
 * Throws BAD_LENGTHS naming the argument.
 */
export function checkRowLengths(lengths: ArrayLike<number> | undefined, max: number, B: number, name: string): Uint32Array<ArrayBuffer> {
  const out = new Uint32Array(B);
  if (lengths === undefined) return out.fill(max);
  if (lengths === null || typeof lengths !== 'object' || typeof lengths.length !== 'number') {
    throw new WebRnnError('BAD_LENGTHS', `${name} must be an array of B = ${B} integers, got ${JSON.stringify(lengths)}`);
  }
  if (lengths.length !== B) throw new WebRnnError('BAD_LENGTHS', `${name} must have one entry per batch row (B = ${B}), got ${lengths.length}`);
  for (let b = 0; b < B; b++) {
    const v = lengths[b];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
      throw new WebRnnError('BAD_LENGTHS', `${name}[${b}] must be an integer in 1..${max}, got ${JSON.stringify(v)}`);
    }
    out[b] = v;
  }
  return out;
}
