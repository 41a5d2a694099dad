/// <reference types="@webgpu/types" preserve="true" />
/**
 * webrnn: recurrent networks (RNN, GRU, LSTM) on WebGPU with handwritten WGSL kernels.
 *
 * This entry point runs anywhere WebGPU does (browsers, workers, Deno, Node with the `webgpu`
 * package): it imports no Node module, no Dawn and no protobuf code. Model importers are in
 * `webrnn/interop`; file helpers for Node (checkpoints on disk, streaming text files, the Brown corpus)
 * in `webrnn/node`. Everything exported here is the public API (recorded in api/webrnn.api.md).
 *
 * @example
 * import { createEngine } from 'webrnn';
 * const engine = await createEngine();
 * const gru = new Recurrent(engine, { mode: 'GRU', input_size: 4, hidden_size: 8 });
 * const { output, h_n } = gru.forward(engine.tensor(new Float32Array(3 * 2 * 4), [3, 2, 4]));
 * console.log(await h_n.read());
 *
 * @packageDocumentation
 */

// Errors
export { WebRnnError, type WebRnnErrorCode } from './errors.js';

// Engine and tensors
export { Engine, createEngine, type MemoryReport, type EngineLimits } from './gpu/engine.js';
export type { DeviceOptions, Host, LimitOverrides } from './gpu/device.js';
export { KERNEL_VARIANTS, PRECISIONS, type KernelChoices, type KernelVariants, type Precision, type TuningMode, type VariantKernel } from './gpu/kernel-variants.js';
export type { TuningRecord, TuningReport } from './gpu/tuner.js';
export { Tensor, type TensorDType, type TensorDTypeArray, type TokenDType } from './gpu/tensor.js';

// Recurrent layers (PyTorch's nn.RNN / nn.GRU / nn.LSTM)
export { ACTIVATION_NAMES, parameterSpecs, type Activation, type ActivationName, type ParamSpec, type RecurrentConfig, type RecurrentMode, type ResolvedConfig } from './layers/recurrent-config.js';
export type { NamedShape, ParameterBlock } from './layers/parameter-store.js';
export { ParameterLayer, type StateDictValues } from './layers/layer.js';
export {
  Recurrent,
  type BackwardOptions,
  type BackwardResult,
  type ForwardOptions,
  type ForwardResult,
  type RecurrentOptions,
  type RecurrentSchedule,
} from './layers/recurrent.js';

// Other layers
export { Dense, type DenseBackwardOptions, type DenseBackwardResult, type DenseConfig, type DenseGrads, type DenseOptions } from './layers/dense.js';
export { Embedding, type EmbeddingBackwardOptions, type EmbeddingBackwardResult, type EmbeddingConfig, type EmbeddingOptions } from './layers/embedding.js';
export { OneHot, type OneHotConfig } from './layers/one-hot.js';
export { RowGather } from './layers/row-gather.js';
export type { TokenIds } from './layers/tokens.js';
export {
  AttentionDecoder,
  AttentionDecoding,
  type AttentionBackwardResult,
  type AttentionDecoderConfig,
  type AttentionDecoderOptions,
  type AttentionForwardOptions,
  type AttentionForwardResult,
  type AttentionStepResult,
} from './layers/attention-decoder.js';

// Losses
export { CrossEntropyLoss, type CrossEntropyLossOptions, type CrossEntropyOptions } from './losses/cross-entropy.js';
export { BCEWithLogitsLoss, MSELoss, type ElementwiseLossOptions, type ElementwiseTarget } from './losses/elementwise.js';
export type { LossResult, Reduction } from './losses/loss.js';
export { sequenceMask, type LossMask } from './losses/mask.js';
export { CtcLoss, type CtcLossConfig, type CtcLossResult } from './ctc/ctc-loss.js';

// Optimizers and learning-rate schedules (torch.optim's update rules)
export { SGD } from './optim/sgd.js';
export { Adam, AdamW } from './optim/adam.js';
export { Adagrad } from './optim/adagrad.js';
export { Optimizer, type OptimizerState, type OptimizerStep } from './optim/optimizer.js';
export { GradNorm, type NormHandle } from './optim/grad-norm.js';
export { applySchedule, CosineAnnealingLR, LinearWarmup, StepLR, type LrSchedule } from './optim/schedule.js';
export type { AdagradOptions, AdamOptions, ClipOptions, SGDOptions } from './optim/options.js';

// Models
export { SequenceModel, RecurrentState, type SequenceBatch, type SequenceLoss, type SequenceModelConfig, type SequenceStepOptions, type SequenceTarget } from './model/sequence-model.js';
export { Seq2Seq, type Seq2SeqBatch, type Seq2SeqConfig, type Seq2SeqSource } from './model/seq2seq.js';
export { CharLm, type CharLmPosition, type CharLmSettings } from './tasks/char-lm.js';

// Checkpoints and safetensors, in memory (webrnn/node reads and writes them as files)
export { checkpointBytes, parseCheckpoint, restoreCheckpoint, type Checkpoint, type TrainingPosition } from './model/checkpoint.js';
export { parseSafetensors, serializeSafetensors, toFloat32, toFloat64, toInt32, type Dtype, type DtypeArrays, type ParseOptions as SafetensorsParseOptions, type SafeTensor, type SafetensorsFile } from './formats/safetensors.js';

// Decoding
export { Sampler, type SamplingOptions } from './decode/sampling.js';
export type { DecoderModel } from './decode/decoder-step.js';
export { Generator, type GenerateOptions, type GeneratorOptions } from './decode/generate.js';
export { StatefulRecurrent } from './decode/stateful.js';
export { BeamSearch, beamSearch, type BeamSearchOptions, type Hypothesis } from './decode/beam.js';
export { ctcCollapse, ctcGreedyDecode, ctcPrefixBeamSearch, type CtcBeamOptions, type CtcDecodeOptions, type CtcHypothesis } from './ctc/decode.js';

// Data in memory: vocabularies, batching, truncated-BPTT windows, language-model metrics
export { tokenize, type VocabLevel } from './data/tokenizer.js';
export {
  BOS_ID,
  BOS_TOKEN,
  EOS_ID,
  EOS_TOKEN,
  PAD_ID,
  PAD_TOKEN,
  UNK_ID,
  UNK_TOKEN,
  StreamEncoder,
  Vocab,
  type DecodeOptions,
  type EncodeOptions,
  type VocabJSON,
  type VocabOptions,
} from './data/vocab.js';
export {
  batches,
  bpttWindows,
  IGNORE_INDEX,
  padBatch,
  paddingWaste,
  planBatches,
  shuffleInPlace,
  type BatchPlanOptions,
  type BpttLayout,
  type BpttOptions,
  type BpttWindow,
  type PadOptions,
  type PaddedBatch,
  type TokenSequence,
} from './data/batching.js';
export {
  bitsPerCharacter,
  meanNll,
  perplexity,
  sequenceLogProb,
  targetLogProbs,
  type BitsPerCharacterOptions,
  type LmMetricOptions,
  type TargetLogProbs,
} from './data/lm-metrics.js';
export { Rng } from './random.js';

// Evaluation
export { corpusBleu, sentenceBleu, type BleuOptions, type BleuResult, type BleuSmoothing, type BleuToken } from './eval/bleu.js';

// Word embeddings: skip-gram and GloVe on the GPU, queries, pretrained vectors, debiasing
export { SkipGram, type SkipGramBatch, type SkipGramConfig } from './embeddings/skip-gram.js';
export { GloVe, type GloVeBatch, type GloVeConfig } from './embeddings/glove.js';
export {
  cooccurrence,
  gloveBatches,
  skipGramBatches,
  UnigramSampler,
  wordCorpus,
  type Cooccurrence,
  type CooccurrenceOptions,
  type GloveBatchOptions,
  type SkipGramPairBatch,
  type SkipGramPairOptions,
  type WordCorpus,
} from './embeddings/corpus.js';
export { trainWordVectors, type WordVectorProgress, type WordVectorTrainingOptions, type WordVectorTrainingResult } from './embeddings/train.js';
export { cosineSimilarity, WordVectors, type Neighbour, type VectorFormat } from './embeddings/word-vectors.js';
export { pretrainedEmbedding, pretrainedWeights, trainableBlocks, type PretrainedEmbedding, type PretrainedOptions, type PretrainedWeights } from './embeddings/pretrained.js';
export { biasDirection, debias, equalize, neutralize } from './embeddings/debias.js';

// Training off the main thread: a job in a dedicated worker, driven from the page
export { TrainingWorker, type TrainerEndpoint, type TrainingEvents } from './worker/training-worker.js';
export { serveTraining, type ServeOptions } from './worker/serve-training.js';
export { charLmJob, type CharLmJobInfo, type CharLmJobSettings } from './worker/char-lm-job.js';
export type { RunOptions, SampleRequest, StepReport, TrainingJob, TrainingProgress, TrainingResult, TrainingRun } from './worker/training-job.js';
export type { MessageEndpoint } from './worker/protocol.js';
