/** Connectionist temporal classification: the loss on the GPU, and decoders. */
export { CtcLoss, type CtcLossConfig, type CtcLossResult } from './ctc-loss.js';
export { ctcCollapse, ctcGreedyDecode, ctcPrefixBeamSearch, type CtcBeamOptions, type CtcDecodeOptions, type CtcHypothesis } from './decode.js';
