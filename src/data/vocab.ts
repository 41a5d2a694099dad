/**
 * Character- and word-level vocabularies: token ↔ id maps with reserved special tokens, built from
 * text with deterministic ordering, saved to and loaded from validated JSON.
 */
import { WebRnnError } from '../errors.js';
import { describe, flag, intOption, MAX_ID, optionsOf } from '../checks.js';
import { holdBackFrom, IncrementalTokenizer, isToken, lowerChars, tokenize, type VocabLevel } from './tokenizer.js';

export type { VocabLevel } from './tokenizer.js';

/** Padding (id 0, PAD_ID); {@link Embedding}'s padding_idx and the pad id of {@link padBatch}. */
export const PAD_TOKEN = '<PAD>';
/** Any token not in the vocabulary (id 1, UNK_ID). */
export const UNK_TOKEN = '<UNK>';
/** End of sequence (id 2, EOS_ID). */
export const EOS_TOKEN = '<EOS>';
/** Beginning of sequence (id 3, BOS_ID), only in vocabularies built with `bos: true` (decoders). */
export const BOS_TOKEN = '<BOS>';
export const PAD_ID = 0;
export const UNK_ID = 1;
export const EOS_ID = 2;
export const BOS_ID = 3;

/** Options of {@link Vocab.fromText} and {@link TokenCounter.toVocab}. */
export interface VocabOptions {
  /** 'char' (one token per code point) or 'word' (see tokenizer.ts for the rules). */
  level: VocabLevel;
  /** Lowercase text before counting and encoding (default false). */
  lowercase?: boolean;
  /** Keep tokens seen at least this many times (default 1); the rest encode as <UNK>. */
  min_count?: number;
  /** Most ids in total, special tokens included (the embedding's V); default no limit. */
  max_size?: number;
  /** Reserve <BOS> at id 3 (default false): for decoders fed a start token. */
  bos?: boolean;
}

/** Options of {@link Vocab.encode}. */
export interface EncodeOptions {
  /** Prepend <BOS> (the vocabulary must have one). Default false. */
  bos?: boolean;
  /** Append <EOS>. Default false. */
  eos?: boolean;
}

/** Options of {@link Vocab.decode}. */
export interface DecodeOptions {
  /** Leave out special tokens (<PAD>, <UNK>, <EOS>, <BOS>) instead of writing their names. Default false. */
  skip_special?: boolean;
  /** Stop at the first <EOS> (not included). Default false. */
  stop_at_eos?: boolean;
}

/** The JSON form of a {@link Vocab} (what toJSON returns and fromJSON accepts). */
export interface VocabJSON {
  format: 'webrnn-vocab';
  version: 1;
  level: VocabLevel;
  lowercase: boolean;
  bos: boolean;
  /** Token of each id; the first 3 (or 4 with bos) are the special tokens in id order. */
  tokens: string[];
  /** Occurrences of each token in the text it was built from (0 for specials). Optional in files. */
  counts: number[];
}

const JSON_KEYS = ['format', 'version', 'level', 'lowercase', 'bos', 'tokens', 'counts'];
const FORBIDDEN_KEYS = ['__proto__', 'constructor', 'prototype'];

function specialsOf(bos: boolean): string[] {
  return bos ? [PAD_TOKEN, UNK_TOKEN, EOS_TOKEN, BOS_TOKEN] : [PAD_TOKEN, UNK_TOKEN, EOS_TOKEN];
}

/** Code-point order (Python's sorted()), not UTF-16 code-unit order. */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/**
 * Counts tokens of text given whole (`add`) or piece by piece (`push` … `end`), then makes a
 * {@link Vocab}. Memory: one entry per distinct token, plus the held-back tail of a piece.
 *
 * @example
 * const c = new TokenCounter({ level: 'word', lowercase: true });
 * c.add('The cat. The dog.');
 * c.count('the');                         // 2
 * const vocab = c.toVocab({ min_count: 2 }); // <PAD> <UNK> <EOS> . the
 */
export class TokenCounter {
  readonly level: VocabLevel;
  readonly lowercase: boolean;
  private readonly counts = new Map<string, number>();
  private readonly splitter: IncrementalTokenizer;
  private n = 0;

  constructor(opts: { level: VocabLevel; lowercase?: boolean }) {
    const o = optionsOf('TokenCounter', opts, ['level', 'lowercase'], { voice: 'option' });
    this.level = checkLevel('TokenCounter', o.level);
    this.lowercase = flag('TokenCounter', 'lowercase', o.lowercase, false, { voice: 'option' });
    this.splitter = new IncrementalTokenizer(this.level, this.lowercase);
  }

  /** Counts a whole text (a sentence, a document): no token spans two `add` calls. */
  add(text: string): this {
    this.push(text);
    return this.end();
  }

  /** Counts a piece of a longer text; a word cut between two pieces is counted once, whole. */
  push(text: string): this {
    checkText('TokenCounter.push', text);
    this.tally(this.splitter.push(text));
    return this;
  }

  /** Ends the text fed by `push`. */
  end(): this {
    this.tally(this.splitter.end());
    return this;
  }

  /** Occurrences of `token` so far. */
  count(token: string): number {
    return this.counts.get(token) ?? 0;
  }

  /** Number of distinct tokens so far. */
  get distinct(): number {
    return this.counts.size;
  }

  /** Number of tokens so far. */
  get total(): number {
    return this.n;
  }

  /**
   * The vocabulary of the tokens counted so far (pending `push` text is not included; call `end`
   * first): specials, then tokens with count ≥ min_count ordered by count descending, then by code
   * point (lexicographic), cut to max_size ids in total.
   */
  toVocab(opts: Omit<VocabOptions, 'level' | 'lowercase'> = {}): Vocab {
    const o = optionsOf('TokenCounter.toVocab', opts, ['min_count', 'max_size', 'bos'], { voice: 'option' });
    const bos = flag('Vocab', 'bos', o.bos, false, { voice: 'option' });
    const specials = specialsOf(bos);
    const minCount = intOption('Vocab', 'min_count', o.min_count, { default: 1, voice: 'option' });
    const maxSize = intOption('Vocab', 'max_size', o.max_size, { default: MAX_ID, min: specials.length, max: MAX_ID, voice: 'option' });
    const kept = [...this.counts].filter(([, c]) => c >= minCount);
    kept.sort((a, b) => b[1] - a[1] || compareCodePoints(a[0], b[0]));
    kept.length = Math.min(kept.length, maxSize - specials.length);
    return Vocab.fromJSON({
      format: 'webrnn-vocab',
      version: 1,
      level: this.level,
      lowercase: this.lowercase,
      bos,
      tokens: [...specials, ...kept.map(([t]) => t)],
      counts: [...specials.map(() => 0), ...kept.map(([, c]) => c)],
    });
  }

  private tally(tokens: string[]): void {
    for (const t of tokens) this.counts.set(t, (this.counts.get(t) ?? 0) + 1);
    this.n += tokens.length;
  }
}

/**
 * A vocabulary: token ↔ id with <PAD> = 0, <UNK> = 1, <EOS> = 2 and, when built with `bos`,
 * <BOS> = 3; regular tokens follow. Special tokens never come out of the tokenizer (the char
 * tokenizer yields single code points, the word tokenizer splits `<`, `>`), so text that spells
 * "<EOS>" is encoded as ordinary characters or words, never as the special id.
 *
 * @example
 * const v = Vocab.fromText(['hello world', 'hello there'], { level: 'word' });
 * v.tokens;                          // ['<PAD>', '<UNK>', '<EOS>', 'hello', 'there', 'world']
 * v.encode('hello you', { eos: true }); // Int32Array [3, 1, 2]
 * v.decode([3, 5]);                    // 'hello world'
 * const again = Vocab.fromJSON(JSON.parse(JSON.stringify(v)));
 */
export class Vocab {
  readonly level: VocabLevel;
  readonly lowercase: boolean;
  /** Whether <BOS> is reserved (id 3). */
  readonly bos: boolean;
  /** Token of each id. */
  readonly tokens: readonly string[];
  /** Occurrences of each token when the vocabulary was built (0 for specials). */
  readonly counts: readonly number[];
  readonly pad_id = PAD_ID;
  readonly unk_id = UNK_ID;
  readonly eos_id = EOS_ID;
  /** 3, or undefined when the vocabulary has no <BOS>. */
  readonly bos_id: number | undefined;
  /** Number of special ids (3 or 4); regular tokens have ids ≥ this. */
  readonly num_special: number;
  private readonly ids: Map<string, number>;
  /** Char level: code point → id (faster than string keys when encoding megabytes). */
  private readonly cpIds: Map<number, number> | undefined;

  private constructor(json: VocabJSON) {
    this.level = json.level;
    this.lowercase = json.lowercase;
    this.bos = json.bos;
    this.tokens = Object.freeze(json.tokens.slice());
    this.counts = Object.freeze(json.counts.slice());
    this.bos_id = json.bos ? BOS_ID : undefined;
    this.num_special = specialsOf(json.bos).length;
    this.ids = new Map(json.tokens.map((t, i) => [t, i]));
    if (json.level === 'char') {
      this.cpIds = new Map();
      for (let i = this.num_special; i < json.tokens.length; i++) this.cpIds.set(json.tokens[i]!.codePointAt(0)!, i);
    }
  }

  /**
   * Builds a vocabulary from one text or a list of texts (each tokenized on its own).
   * @example Vocab.fromText('abracadabra', { level: 'char', max_size: 5 }).tokens // ['<PAD>', '<UNK>', '<EOS>', 'a', 'b']
   */
  static fromText(texts: string | Iterable<string>, opts: VocabOptions): Vocab {
    const o = optionsOf('Vocab.fromText', opts, ['level', 'lowercase', 'min_count', 'max_size', 'bos'], { voice: 'option' });
    const counter = new TokenCounter({ level: o.level!, lowercase: o.lowercase });
    if (typeof texts === 'string') counter.add(texts);
    else if (texts !== null && typeof texts === 'object' && Symbol.iterator in texts) {
      for (const t of texts) counter.add(t);
    } else throw new WebRnnError('BAD_VALUE', `Vocab.fromText: texts must be a string or an iterable of strings, got ${describe(texts)}`);
    return counter.toVocab({ min_count: o.min_count, max_size: o.max_size, bos: o.bos });
  }

  /**
   * Loads a vocabulary from its JSON (an object, or the JSON text), treating it as untrusted: every
   * field's type, the special tokens at their reserved ids, tokens the tokenizer can produce, no
   * duplicates, no unknown or prototype keys. Anything wrong is WebRnnError('BAD_FILE').
   * @example const v = Vocab.fromJSON(await (await fetch('vocab.json')).text());
   */
  static fromJSON(json: unknown): Vocab {
    const bad = (msg: string): never => {
      throw new WebRnnError('BAD_FILE', `vocabulary JSON: ${msg}`);
    };
    if (typeof json === 'string') {
      try {
        json = JSON.parse(json);
      } catch (e) {
        bad(`not valid JSON (${(e as Error).message})`);
      }
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) bad(`expected an object, got ${describe(json)}`);
    const obj = json as Record<string, unknown>;
    for (const k of Object.keys(obj)) {
      if (FORBIDDEN_KEYS.includes(k)) bad(`forbidden key "${k}"`);
      if (!JSON_KEYS.includes(k)) bad(`unknown key "${k}" (known: ${JSON_KEYS.join(', ')})`);
    }
    const own = (k: string): unknown => (Object.prototype.hasOwnProperty.call(obj, k) ? obj[k] : undefined);
    if (own('format') !== 'webrnn-vocab') bad(`format must be "webrnn-vocab", got ${describe(own('format'))}`);
    if (own('version') !== 1) bad(`version must be 1, got ${describe(own('version'))}`);
    const level = own('level');
    if (level !== 'char' && level !== 'word') bad(`level must be "char" or "word", got ${describe(level)}`);
    const lowercase = own('lowercase');
    if (typeof lowercase !== 'boolean') bad(`lowercase must be true or false, got ${describe(lowercase)}`);
    const bos = own('bos');
    if (typeof bos !== 'boolean') bad(`bos must be true or false, got ${describe(bos)}`);
    const tokens = own('tokens');
    if (!Array.isArray(tokens)) bad(`tokens must be an array of strings, got ${describe(tokens)}`);
    const toks = tokens as unknown[];
    const specials = specialsOf(bos as boolean);
    if (toks.length < specials.length || toks.length > MAX_ID) {
      bad(`tokens must hold the ${specials.length} special tokens and at most 2^31 − 1 ids in all, got ${toks.length}`);
    }
    const seen = new Set<string>();
    for (let i = 0; i < toks.length; i++) {
      const t = toks[i];
      if (typeof t !== 'string') bad(`tokens[${i}] must be a string, got ${describe(t)}`);
      const s = t as string;
      if (i < specials.length) {
        if (s !== specials[i]) bad(`id ${i} is reserved for ${specials[i]}, got ${describe(s)}`);
      } else if (!isToken(s, level as VocabLevel, lowercase as boolean)) {
        bad(
          `tokens[${i}] = ${describe(s)} is not a ${lowercase ? 'lowercase ' : ''}${level} token ` +
            (level === 'char' ? '(one code point)' : '(one run of letters/digits/marks/_ or one other non-space code point)'),
        );
      }
      if (seen.has(s)) bad(`tokens[${i}] = ${describe(s)} appears twice`);
      seen.add(s);
    }
    let counts: number[];
    const c = own('counts');
    if (c === undefined) counts = new Array<number>(toks.length).fill(0);
    else {
      if (!Array.isArray(c) || c.length !== toks.length) bad(`counts must be an array with one entry per token (${toks.length}), got ${describe(c)}`);
      counts = c as number[];
      for (let i = 0; i < counts.length; i++) {
        const v: unknown = counts[i];
        if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) bad(`counts[${i}] must be a non-negative integer, got ${describe(v)}`);
      }
    }
    return new Vocab({ format: 'webrnn-vocab', version: 1, level: level as VocabLevel, lowercase: lowercase as boolean, bos: bos as boolean, tokens: toks as string[], counts });
  }

  /** Number of ids (the embedding's and the output layer's V). */
  get size(): number {
    return this.tokens.length;
  }

  /** The id of a token; <UNK>'s id for tokens not in the vocabulary. @example v.id('hello') // 3 */
  id(token: string): number {
    return this.ids.get(token) ?? UNK_ID;
  }

  /** Whether `token` has an id of its own. */
  has(token: string): boolean {
    return this.ids.has(token);
  }

  /** The token of an id. @example v.token(0) // '<PAD>' */
  token(id: number): string {
    this.checkId('Vocab.token', 'id', id);
    return this.tokens[id]!;
  }

  /** Whether `id` is a special token's id (< num_special). */
  isSpecial(id: number): boolean {
    return id >= 0 && id < this.num_special;
  }

  /** This vocabulary's tokenization of `text` (lowercased when the vocabulary is). */
  tokenize(text: string): string[] {
    checkText('Vocab.tokenize', text);
    return tokenize(text, this.level, this.lowercase);
  }

  /**
   * Token ids of `text`; tokens not in the vocabulary become <UNK>.
   * @example Vocab.fromText('ab', { level: 'char' }).encode('abc', { eos: true }) // Int32Array [3, 4, 1, 2]
   */
  encode(text: string, opts?: EncodeOptions): Int32Array {
    checkText('Vocab.encode', text);
    const o = optionsOf('Vocab.encode', opts, ['bos', 'eos'], { voice: 'option' });
    const bos = flag('Vocab.encode', 'bos', o.bos, false, { voice: 'option' });
    const eos = flag('Vocab.encode', 'eos', o.eos, false, { voice: 'option' });
    if (bos && this.bos_id === undefined) {
      throw new WebRnnError('BAD_VALUE', 'Vocab.encode: bos: true needs a vocabulary built with bos: true (this one has no <BOS>)');
    }
    const body = this.encodeBody(text);
    if (!bos && !eos) return body;
    const out = new Int32Array(body.length + (bos ? 1 : 0) + (eos ? 1 : 0));
    if (bos) out[0] = BOS_ID;
    out.set(body, bos ? 1 : 0);
    if (eos) out[out.length - 1] = EOS_ID;
    return out;
  }

  /**
   * Text of token ids: char level concatenates the tokens; word level joins them with single spaces
   * (the tokenizer drops whitespace, so word-level decoding is lossy: "Hi, you" → "Hi , you"; for
   * regular tokens encode(decode(ids)) gives ids back). Special tokens are written as their names
   * unless `skip_special`.
   * @example
   * const v = Vocab.fromText('hello world', { level: 'char' });
   * v.decode(v.encode('hello world')); // 'hello world'
   */
  decode(ids: ArrayLike<number>, opts?: DecodeOptions): string {
    const o = optionsOf('Vocab.decode', opts, ['skip_special', 'stop_at_eos'], { voice: 'option' });
    const skip = flag('Vocab.decode', 'skip_special', o.skip_special, false, { voice: 'option' });
    const stop = flag('Vocab.decode', 'stop_at_eos', o.stop_at_eos, false, { voice: 'option' });
    if (ids === null || typeof ids !== 'object' || typeof ids.length !== 'number') {
      throw new WebRnnError('BAD_VALUE', `Vocab.decode: ids must be an Int32Array or array of token ids, got ${describe(ids)}`);
    }
    const parts: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      this.checkId('Vocab.decode', `ids[${i}]`, id);
      if (stop && id === EOS_ID) break;
      if (skip && id < this.num_special) continue;
      parts.push(this.tokens[id]!);
    }
    return parts.join(this.level === 'char' ? '' : ' ');
  }

  /**
   * An encoder for text that arrives in pieces (file chunks, a ReadableStream): the concatenation
   * of what `push` and `end` return equals encode(whole text), wherever the pieces were cut.
   * @example
   * const enc = vocab.encoder();
   * const ids: number[] = [];
   * for await (const piece of readTextChunks('corpus.txt')) ids.push(...enc.push(piece.text));
   * ids.push(...enc.end());
   */
  encoder(): StreamEncoder {
    return new StreamEncoder(this);
  }

  /** The JSON form (JSON.stringify(vocab) uses it). */
  toJSON(): VocabJSON {
    return {
      format: 'webrnn-vocab',
      version: 1,
      level: this.level,
      lowercase: this.lowercase,
      bos: this.bos,
      tokens: this.tokens.slice(),
      counts: this.counts.slice(),
    };
  }

  /** @internal Encodes text with no specials added (the body of encode and StreamEncoder). */
  encodeBody(text: string): Int32Array {
    if (this.level === 'word') {
      const toks = tokenize(text, 'word', this.lowercase);
      const out = new Int32Array(toks.length);
      for (let i = 0; i < toks.length; i++) out[i] = this.ids.get(toks[i]!) ?? UNK_ID;
      return out;
    }
    const s = this.lowercase ? lowerChars(text) : text;
    const cp = this.cpIds!;
    const out = new Int32Array(s.length);
    let n = 0;
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if ((c & 0xfc00) === 0xd800 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00);
      }
      out[n++] = cp.get(c) ?? UNK_ID;
    }
    return n === out.length ? out : out.slice(0, n);
  }

  private checkId(what: string, name: string, id: unknown): void {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= this.tokens.length) {
      throw new WebRnnError('BAD_VALUE', `${what}: ${name} is ${describe(id)}, outside the vocabulary's ids [0, ${this.tokens.length})`);
    }
  }
}

/**
 * Encodes text that arrives in pieces with a {@link Vocab} (from {@link Vocab.encoder}). Holds back
 * only what the next piece may extend: a cut surrogate pair, and at word level the last word.
 */
export class StreamEncoder {
  private tail = '';
  /** @internal made by {@link Vocab.encoder} */
  constructor(private readonly vocab: Vocab) {}

  /** The held-back text, not yet encoded. */
  get pending(): string {
    return this.tail;
  }

  /** Adds a piece of text; returns the ids of the tokens it completed. */
  push(text: string): Int32Array {
    checkText('StreamEncoder.push', text);
    const s = this.tail + text;
    const cut = holdBackFrom(s, this.vocab.level);
    this.tail = s.slice(cut);
    return this.vocab.encodeBody(cut === s.length ? s : s.slice(0, cut));
  }

  /** Ends the text: the ids of the held-back tail. The encoder can then start a new text. */
  end(): Int32Array {
    const s = this.tail;
    this.tail = '';
    return this.vocab.encodeBody(s);
  }
}

function checkLevel(what: string, level: unknown): VocabLevel {
  if (level !== 'char' && level !== 'word') throw new WebRnnError('BAD_VALUE', `${what}: level must be 'char' or 'word', got ${describe(level)}`);
  return level;
}

function checkText(what: string, text: unknown): asserts text is string {
  if (typeof text !== 'string') throw new WebRnnError('BAD_VALUE', `${what}: text must be a string, got ${describe(text)}`);
}
