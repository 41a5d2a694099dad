/**
 * Data pipelines for sequence models, platform-neutral (Node, Deno, browsers, workers; no WebGPU):
 * vocabularies, batching and truncated-BPTT windows, language-model metrics. File streaming for Node
 * lives in text-stream.node.ts, imported on its own so browser bundles never see node: modules.
 *
 * @example
 * const vocab = Vocab.fromText(text, { level: 'char' });
 * for (const w of bpttWindows(vocab.encode(text), { batch_size: 16, bptt: 64 })) { ... }
 */
export { IncrementalTokenizer, isToken, lowerChars, tokenize, utf8Length, type VocabLevel } from './tokenizer.js';
export {
  BOS_ID,
  BOS_TOKEN,
  EOS_ID,
  EOS_TOKEN,
  PAD_ID,
  PAD_TOKEN,
  StreamEncoder,
  TokenCounter,
  UNK_ID,
  UNK_TOKEN,
  Vocab,
  type DecodeOptions,
  type EncodeOptions,
  type VocabJSON,
  type VocabOptions,
} from './vocab.js';
export {
  batches,
  bpttLayout,
  bpttWindows,
  bpttWindowSteps,
  IGNORE_INDEX,
  padBatch,
  paddingWaste,
  planBatches,
  shuffleInPlace,
  windowFromColumns,
  type BatchPlanOptions,
  type BpttLayout,
  type BpttOptions,
  type BpttWindow,
  type PadOptions,
  type PaddedBatch,
  type TokenSequence,
} from './batching.js';
export {
  bitsPerCharacter,
  meanNll,
  perplexity,
  sequenceLogProb,
  targetLogProbs,
  type BitsPerCharacterOptions,
  type LmMetricOptions,
  type TargetLogProbs,
} from './lm-metrics.js';
