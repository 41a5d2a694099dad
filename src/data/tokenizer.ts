/**
 * The two tokenizers behind {@link Vocab}, as plain functions and as an incremental splitter that
 * takes text in arbitrary pieces (file chunks) and gives exactly the tokens of the whole text.
 *
 * - **char**: one token per Unicode code point (as iterating a Python str; an emoji with a skin-tone
 *   modifier is two code points, so two tokens). Newlines and spaces are tokens too.
 * - **word**: a token is either a maximal run of word characters — letters, digits, combining marks
 *   and `_` (`[\p{L}\p{N}\p{M}_]+`) — or any other single non-whitespace code point (punctuation,
 *   symbols, emoji), so punctuation is kept as tokens of its own; whitespace separates tokens and is
 *   dropped. "Don't stop!" → `Don ' t stop !`.
 *
 * Lowercasing is context-free, so it gives the same result however a text is cut into pieces:
 * word level lowercases each token on its own (String.prototype.toLowerCase, so a word-final Σ
 * becomes ς); char level lowercases code point by code point (Σ always becomes σ; a few code points
 * lowercase to two, e.g. İ → i + U+0307, which are then two tokens).
 */

/** Which tokenizer a vocabulary uses. */
export type VocabLevel = 'char' | 'word';

const WORD_CHAR = /[\p{L}\p{N}\p{M}_]/u;
const TOKEN = /[\p{L}\p{N}\p{M}_]+|[^\s\p{L}\p{N}\p{M}_]/gu;
const WORD_TOKEN = /^[\p{L}\p{N}\p{M}_]+$/u;
const OTHER_TOKEN = /^[^\s\p{L}\p{N}\p{M}_]$/u;
const SURROGATE = /\p{Cs}/u;

/**
 * Lowercases code point by code point. Σ (U+03A3) is the only code point whose default lowercase
 * depends on its neighbours (Final_Sigma); mapping it first makes toLowerCase context-free.
 * @example lowerChars('ΟΔΟΣ') // 'οδοσ'
 */
export function lowerChars(text: string): string {
  return text.replace(/Σ/g, 'σ').toLowerCase();
}

/**
 * Splits text into tokens of the given level (see the module comment for the rules).
 * @example
 * tokenize("Don't stop!", 'word', true); // ['don', "'", 't', 'stop', '!']
 * tokenize('né👍', 'char');               // ['n', 'é', '👍']
 */
export function tokenize(text: string, level: VocabLevel, lowercase = false): string[] {
  if (level === 'char') return Array.from(lowercase ? lowerChars(text) : text);
  const out = text.match(TOKEN) ?? [];
  if (lowercase) for (let i = 0; i < out.length; i++) out[i] = out[i]!.toLowerCase();
  return out;
}

/**
 * Whether `token` is something {@link tokenize} can produce at this level (one code point for char;
 * one word run or one other non-space code point for word; lowercase when `lowercase`), and is not a
 * lone surrogate. Used to validate vocabulary files.
 * @example isToken('ab', 'word', false) // true;  isToken('ab', 'char', false) // false
 */
export function isToken(token: string, level: VocabLevel, lowercase: boolean): boolean {
  if (token.length === 0 || SURROGATE.test(token)) return false;
  if (level === 'char') {
    const cp = token.codePointAt(0)!;
    if (token.length !== (cp > 0xffff ? 2 : 1)) return false;
    return !lowercase || lowerChars(token) === token;
  }
  if (!WORD_TOKEN.test(token) && !OTHER_TOKEN.test(token)) return false;
  return !lowercase || token.toLowerCase() === token;
}

/**
 * Bytes of `text` in UTF-8 (a lone surrogate counts 3, as TextEncoder writes U+FFFD).
 * @example utf8Length('é👍') // 6
 */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Index where the part of `text` that may continue in the next piece begins: a trailing high
 * surrogate (the pair may be cut), and at word level the trailing run of word characters (the word
 * may go on). Everything before it tokenizes the same whatever follows.
 */
export function holdBackFrom(text: string, level: VocabLevel): number {
  let cut = text.length;
  if (cut > 0 && (text.charCodeAt(cut - 1) & 0xfc00) === 0xd800) cut--;
  if (level === 'word') {
    while (cut > 0) {
      let start = cut - 1;
      if (start > 0 && (text.charCodeAt(start) & 0xfc00) === 0xdc00 && (text.charCodeAt(start - 1) & 0xfc00) === 0xd800) start--;
      if (!WORD_CHAR.test(text.slice(start, cut))) break;
      cut = start;
    }
  }
  return cut;
}

/**
 * A tokenizer fed text piece by piece: `push` returns the tokens that are complete, keeping back a
 * tail that the next piece may extend (see {@link holdBackFrom}); `end` returns the rest. The
 * concatenation of all returned tokens equals `tokenize(whole text)` however the text was cut.
 * Memory: the held-back tail, at most the longest word.
 *
 * @example
 * const t = new IncrementalTokenizer('word');
 * t.push('hel');  // []
 * t.push('lo, w'); // ['hello', ',']
 * t.end();        // ['w']
 */
export class IncrementalTokenizer {
  private tail = '';
  constructor(
    readonly level: VocabLevel,
    readonly lowercase = false,
  ) {}

  /** The held-back text (not yet tokenized). */
  get pending(): string {
    return this.tail;
  }

  /** Adds a piece of text; returns the tokens completed so far. */
  push(text: string): string[] {
    const s = this.tail + text;
    const cut = holdBackFrom(s, this.level);
    this.tail = s.slice(cut);
    return tokenize(cut === s.length ? s : s.slice(0, cut), this.level, this.lowercase);
  }

  /** Ends the text: returns the tokens of the held-back tail and resets. */
  end(): string[] {
    const s = this.tail;
    this.tail = '';
    return tokenize(s, this.level, this.lowercase);
  }
}
