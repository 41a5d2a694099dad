/**
 * webrnn: recurrent networks (RNN, GRU, LSTM) on WebGPU with handwritten WGSL kernels.
 *
 * @example
 * import { createEngine } from 'webrnn';
 * const engine = await createEngine();
 * const gru = engine.recurrent({ mode: 'GRU', input_size: 4, hidden_size: 8 });
 * const { output, h_n } = gru.forward(engine.tensor(new Float32Array(3 * 2 * 4), [3, 2, 4]));
 * console.log(await h_n.read());
 */
export { WebRnnError, type WebRnnErrorCode } from './errors.js';
export { ACTIVATION_NAMES, activationCount, defaultActivations, forwardOnlyOption, gateCount, parameterSpecs, resolveConfig, type Activation, type ActivationName, type ParamSpec, type RecurrentConfig, type RecurrentMode, type ResolvedActivation, type ResolvedConfig } from './config.js';
export { Engine, createEngine, type MemoryReport } from './gpu/engine.js';
export type { DeviceOptions, Host } from './gpu/device.js';
export { Tensor } from './gpu/tensor.js';
export {
  Recurrent,
  type BackwardOptions,
  type BackwardResult,
  type ForwardOptions,
  type ForwardResult,
  type RecurrentOptions,
} from './layers/recurrent.js';

// Non-recurrent layers and losses (forward + backward on the GPU).
export {
  Dense,
  type DenseBackwardOptions,
  type DenseBackwardResult,
  type DenseConfig,
  type DenseGrads,
  type DenseOptions,
} from './layers/dense.js';
export {
  Embedding,
  type EmbeddingBackwardOptions,
  type EmbeddingBackwardResult,
  type EmbeddingConfig,
  type EmbeddingOptions,
  type GpuTokenIds,
} from './layers/embedding.js';
export { OneHot, type OneHotConfig } from './layers/one-hot.js';
export type { TokenIds } from './layers/tokens.js';
export { CrossEntropyLoss, type CrossEntropyOptions } from './losses/cross-entropy.js';
export { BCEWithLogitsLoss, MSELoss, type ElementwiseLossOptions, type ElementwiseTarget } from './losses/elementwise.js';
export type { LossResult, Reduction } from './losses/loss.js';
export { sequenceMask, type LossMask } from './losses/mask.js';
export * from './train/index.js';
export * from './data/index.js';
export * from './decode/index.js';
export {
  AttentionDecoder,
  AttentionDecoding,
  type AttentionDecoderConfig,
  type AttentionDecoderOptions,
  type AttentionForwardOptions,
  type AttentionForwardResult,
  type AttentionBackwardResult,
  type AttentionStepResult,
} from './layers/attention-decoder.js';
export { attentionDecoderSpecs } from './layers/attention-config.js';
export { Seq2Seq, type Seq2SeqConfig, type Seq2SeqBatch, type Seq2SeqSource } from './model/seq2seq.js';
export { SequenceModel, RecurrentState, sequenceModelSpecs, type SequenceModelConfig, type SequenceBatch, type SequenceLoss, type SequenceTarget, type SequenceStepOptions } from './model/sequence-model.js';
export { RowGather } from './layers/row-gather.js';
export { CharLm, CHAR_LM_DEFAULTS, charLmConfig, type CharLmSettings, type CharLmPosition } from './train/char-lm.js';
export { checkpointBytes, parseCheckpoint, restoreCheckpoint, CHECKPOINT_FORMAT, type Checkpoint, type TrainingPosition } from './io/checkpoint.js';
export { parseSafetensors, serializeSafetensors, toFloat32, toFloat64, toInt32, type SafeTensor, type Dtype } from './io/safetensors.js';
export * from './ctc/index.js';
export * from './eval/index.js';
export * from './embeddings/index.js';
