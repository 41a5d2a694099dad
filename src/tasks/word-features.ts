/**
 * The name tagger's input: one embedding id per word, from a case-sensitive vocabulary — "Harry",
 * "harry" and "HARRY" are different words, so how a word is written is part of what it is. A word
 * not seen often enough in training gets the id of an "unknown word" class chosen by its shape and its
 * last two letters ("~Xer": a rare Capitalised word ending in "er"), or by its shape alone ("~X"). A
 * name never seen in training ("Hermione") thus gets a trained embedding — that of rare capitalised
 * words, in Brown mostly names — while capitalised common words are known words of their own
 * ("County" in a title, "The" opening a sentence) or, when their capitalised form is rare but their
 * lowercase form is known ("Yesterday"), one class of their own ("~K": in Brown, 0.5% of them are
 * names when they open a sentence, 9% elsewhere).
 */
import { WebRnnError } from '../errors.js';

/** The shape classes of {@link wordShape}. */
export const SHAPE_LOWER = 0;
export const SHAPE_CAPITALISED = 1;
export const SHAPE_UPPER = 2;
export const SHAPE_DIGIT = 3;
export const SHAPE_OTHER = 4;

/** Key 0: padding (the id of padded steps). */
const PAD_KEY = '<pad>';
/** Unknown-word keys start with this; no real word does (see {@link wordKey}). */
const UNKNOWN = '~';
const SHAPE_LETTERS = ['x', 'X', 'A', 'd', 'p'];
/** The shape letter of a capitalised or all-caps word whose lowercase form is a known word. */
const COMMON_CAPITALISED = 'K';
const UNKNOWN_CLASSES = [...SHAPE_LETTERS, COMMON_CAPITALISED].map((l) => UNKNOWN + l);

/**
 * How a word is written.
 * @example [wordShape('the'), wordShape('Harry'), wordShape('NATO'), wordShape('1960s'), wordShape(',')] // [0, 1, 2, 3, 4]
 */
export function wordShape(word: string): number {
  const first = word[0] ?? '';
  if (/\p{Lu}/u.test(first)) return /\p{Ll}/u.test(word) || !/\p{L}.*\p{L}/u.test(word) ? SHAPE_CAPITALISED : SHAPE_UPPER;
  if (/\p{L}/u.test(first)) return SHAPE_LOWER;
  if (/\p{N}/u.test(first)) return SHAPE_DIGIT;
  // "'em", "$5", "(Harry" …: the first letter decides
  const letter = /\p{L}/u.exec(word)?.[0];
  if (letter) return /\p{Lu}/u.test(letter) ? SHAPE_CAPITALISED : SHAPE_LOWER;
  return SHAPE_OTHER;
}

/**
 * The word as the vocabulary stores it: the corpus's `` and '' and typographic quotes written as ",
 * typographic apostrophes as ', a leading "~" doubled (so no word looks like an unknown-word key).
 * @example wordKey('``') // '"';  wordKey('Harry’s') // "Harry's"
 */
export function wordKey(word: string): string {
  if (word === '``' || word === "''" || word === '“' || word === '”') return '"';
  const w = word.replace(/[‘’]/g, "'");
  return w.startsWith(UNKNOWN) ? UNKNOWN + w : w;
}

/** The JSON form of {@link WordFeatures}. */
export interface WordFeaturesJSON {
  format: 'webrnn-word-features';
  version: 1;
  /** key of each key index; index 0 is padding */
  keys: string[];
}

/**
 * The vocabulary: word ↔ embedding id (see the module comment).
 *
 * @example
 * const f = WordFeatures.fromCounts(new Map([['the', 50], ['Potter', 1], ['Butler', 3], ['Miller', 2]]), { min_count: 2 });
 * f.encode('the');   // its own id
 * f.encode('Potter') === f.encode('Granger'); // true: both "~Xer", a rare capitalised word ending in "er"
 */
export class WordFeatures {
  readonly keys: readonly string[];
  private readonly index: Map<string, number>;

  private constructor(keys: string[]) {
    this.keys = Object.freeze(keys);
    this.index = new Map(keys.map((k, i) => [k, i]));
  }

  /**
   * Builds the vocabulary from counts of {@link wordKey}s: the words seen at least `min_count` times
   * (at most `max_keys`, the most frequent), the shape-and-ending classes of the other words seen at
   * least `min_count` times, and every shape class.
   */
  static fromCounts(counts: ReadonlyMap<string, number>, opts: { min_count?: number; max_keys?: number } = {}): WordFeatures {
    const minCount = opts.min_count ?? 2;
    const maxKeys = opts.max_keys ?? Infinity;
    const byCount = (a: [string, number], b: [string, number]) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1);
    const known = [...counts].filter(([k, c]) => c >= minCount && !k.startsWith(UNKNOWN) && k !== PAD_KEY).sort(byCount).slice(0, maxKeys).map(([k]) => k);
    const knownOnly = new WordFeatures([PAD_KEY, ...known, ...UNKNOWN_CLASSES]);
    const endings = new Map<string, number>();
    for (const [k, c] of counts) {
      if (knownOnly.index.has(k)) continue;
      const e = knownOnly.unknownKeys(k)[0];
      endings.set(e, (endings.get(e) ?? 0) + c);
    }
    const rare = [...endings].filter(([k, c]) => c >= minCount && !UNKNOWN_CLASSES.includes(k)).sort(byCount).map(([k]) => k);
    return new WordFeatures([PAD_KEY, ...known, ...rare, ...UNKNOWN_CLASSES]);
  }

  /** Loads the vocabulary from its JSON (untrusted): WebRnnError('BAD_FILE') when malformed. */
  static fromJSON(json: unknown): WordFeatures {
    const j = json as Partial<WordFeaturesJSON> | null;
    if (j === null || typeof j !== 'object' || j.format !== 'webrnn-word-features' || j.version !== 1) {
      throw new WebRnnError('BAD_FILE', 'word features: expected {"format": "webrnn-word-features", "version": 1, "keys": […]}');
    }
    const keys = j.keys;
    if (!Array.isArray(keys) || keys[0] !== PAD_KEY || keys.some((k) => typeof k !== 'string')) throw new WebRnnError('BAD_FILE', `word features: keys must be strings, "${PAD_KEY}" first`);
    for (const k of UNKNOWN_CLASSES) if (!keys.includes(k)) throw new WebRnnError('BAD_FILE', `word features: the unknown-word key "${k}" is missing`);
    if (new Set(keys).size !== keys.length) throw new WebRnnError('BAD_FILE', 'word features: duplicate keys');
    return new WordFeatures(keys.slice());
  }

  toJSON(): WordFeaturesJSON {
    return { format: 'webrnn-word-features', version: 1, keys: this.keys.slice() };
  }

  /** The embedding table's size (ids 0 … size − 1). */
  get size(): number {
    return this.keys.length;
  }

  /** Whether the word is in the vocabulary (not an unknown word). */
  knows(word: string): boolean {
    return this.index.has(wordKey(word));
  }

  /** The id of a word. */
  encode(word: string): number {
    return this.index.get(wordKey(word)) ?? this.encodeUnknown(word);
  }

  /** The id the word would have if it were unknown (for word dropout in training). */
  encodeUnknown(word: string): number {
    const [ending, shape] = this.unknownKeys(wordKey(word));
    return this.index.get(ending) ?? this.index.get(shape)!;
  }

  /**
   * The unknown-word keys of a word's key, most specific first: shape + last two letters, shape alone;
   * "~K" for a capitalised common word.
   */
  private unknownKeys(key: string): [string, string] {
    const shape = wordShape(key);
    const common = (shape === SHAPE_CAPITALISED || shape === SHAPE_UPPER) && this.index.has(key.toLowerCase());
    // Capitalised common words form one class: sharing endings with months ("May") and names
    // ("Kay") made "Yesterday" opening a sentence look like a name.
    if (common) return [UNKNOWN + COMMON_CAPITALISED, UNKNOWN + COMMON_CAPITALISED];
    const cls = UNKNOWN + SHAPE_LETTERS[shape]!;
    return [cls + key.slice(-2).toLowerCase(), cls];
  }
}
