/** Word embeddings: skip-gram with negative sampling and GloVe on the GPU, word-vector queries, pretrained vectors, debiasing. */
export { SkipGram, type SkipGramBatch, type SkipGramConfig } from './skip-gram.js';
export { GloVe, type GloVeBatch, type GloVeConfig } from './glove.js';
export {
  cooccurrence,
  gloveBatches,
  skipGramBatches,
  UnigramSampler,
  wordCorpus,
  type Cooccurrence,
  type SkipGramPairBatch,
  type SkipGramPairOptions,
  type WordCorpus,
} from './corpus.js';
export { trainWordVectors, type WordVectorProgress, type WordVectorTrainingOptions, type WordVectorTrainingResult } from './train.js';
export { cosineSimilarity, WordVectors, type Neighbour, type VectorFormat } from './word-vectors.js';
export { pretrainedEmbedding, pretrainedWeights, trainableBlocks, type PretrainedEmbedding, type PretrainedOptions, type PretrainedWeights } from './pretrained.js';
export { biasDirection, debias, equalize, neutralize } from './debias.js';
export { Adagrad, type AdagradOptions } from './adagrad.js';
