/**
 * Decoding on the GPU: sampling (greedy, temperature, top-k, top-p) into GPU buffers, autoregressive
 * generation with a streaming state, stateful chunked inference, and beam search.
 */
export { Sampler, type SamplingOptions } from './sampling.js';
export { TokenTensor } from './token-tensor.js';
export { type DecoderModel } from './decoder-step.js';
export { Generator, type GenerateOptions, type GeneratorOptions } from './generate.js';
export { StatefulRecurrent } from './stateful.js';
export { BeamSearch, beamSearch, type BeamSearchOptions, type Hypothesis } from './beam.js';
