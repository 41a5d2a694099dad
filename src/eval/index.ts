/** Evaluation metrics for sequence outputs. */
export {
  brevityPenalty,
  bleuTokens,
  closestReferenceLength,
  corpusBleu,
  modifiedPrecision,
  sentenceBleu,
  type BleuOptions,
  type BleuResult,
  type BleuSmoothing,
  type BleuToken,
} from './bleu.js';
