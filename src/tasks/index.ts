/**
 * webrnn/tasks: applications built on the library — supervised training on labelled sequences
 * (`SequenceTask`), a token tagger over any token ids (`TokenTagger`: the browser demo tags characters
 * with it), and the Brown-corpus name tagger and genre classifier that `webrnn tagger` and
 * `webrnn classify` train. Browser-safe like `webrnn`: the Brown documents are given to them (Node
 * reads the corpus with `readBrown` from `webrnn/node`). The character language model `CharLm` is in
 * `webrnn` itself, beside the training job that runs it in a worker.
 *
 * @example
 * import { createEngine } from 'webrnn';
 * import { readBrown } from 'webrnn/node';
 * import { NameTagger, splitBrown } from 'webrnn/tasks';
 * const engine = await createEngine();
 * const { train, heldOut } = splitBrown(readBrown());
 * const tagger = NameTagger.create(engine, train);
 * for (let i = 0; i < 200; i++) await tagger.trainStep();
 * console.log(await tagger.evaluate(heldOut), await tagger.mark('Yesterday, Harry Potter met Hermione Granger.'));
 *
 * @packageDocumentation
 */
export { SequenceTask, type LabeledSequence, type TaskPosition, type TaskTrainingSettings } from './sequence-task.js';
export { tagMetrics, tokenTaggerConfig, TokenTagger, type TagMetrics, type TokenTaggerModel } from './token-tagger.js';
export { capitalisationBaseline, isNameTag, nameMetrics, NameTagger, nameSentences, TAGGER_DEFAULTS, type NameMetrics, type TaggerSettings } from './brown-tagger.js';
export { GENRE_DEFAULTS, GENRE_LETTERS, GENRES, GenreClassifier, genrePassages, type GenreMetrics, type GenrePassage, type GenreSettings } from './brown-genre.js';
export { HELD_OUT_EVERY, splitBrown } from './brown-split.js';
export { markSpans, splitWords, type WordSpan } from './word-spans.js';
export { WordFeatures, wordKey, wordShape, type WordFeaturesJSON } from './word-features.js';
export type { BrownDocument, BrownSentence } from '../data/brown-text.js';
