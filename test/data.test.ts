// Data pipelines (src/data): vocabularies (char and word level, specials, deterministic ordering,
// validated JSON), incremental tokenizing/encoding (any cut of the text gives the same ids), language-
// model metrics against hand-computed values, padding/bucketing/shuffling, the truncated-BPTT
// chunker, and streaming files larger than memory (chunks never split a character; the file-backed
// chunker gives exactly the windows of the in-memory one). CPU only: no WebGPU needed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { batches, bpttLayout, bpttWindows, IGNORE_INDEX, padBatch, paddingWaste, planBatches, shuffleInPlace, windowFromColumns, type BpttWindow } from '../src/data/batching.js';
import { bitsPerCharacter, meanNll, perplexity, sequenceLogProb, targetLogProbs } from '../src/data/lm-metrics.js';
import { IncrementalTokenizer, tokenize, utf8Length } from '../src/data/tokenizer.js';
import { TokenCounter, Vocab, type VocabJSON } from '../src/data/vocab.js';
import { buildVocabFromFile, encodeFile, openBpttFile, readTextChunks, type TextChunk } from '../src/data/text-stream.node.js';
import { WebRnnError, type WebRnnErrorCode } from '../src/errors.js';
import { StreamEncoder } from '../src/index.js';
import { sequenceMask } from '../src/losses/mask.js';
import { Rng } from '../src/random.js';

function expectError(fn: () => unknown, code: WebRnnErrorCode, match?: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, `expected WebRnnError ${code}`).toBeInstanceOf(WebRnnError);
  expect((err as WebRnnError).code, (err as Error).message).toBe(code);
  if (match) expect((err as Error).message).toMatch(match);
}

async function expectRejects(p: Promise<unknown>, code: WebRnnErrorCode, match?: RegExp): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err, `expected WebRnnError ${code}`).toBeInstanceOf(WebRnnError);
  expect((err as WebRnnError).code, (err as Error).message).toBe(code);
  if (match) expect((err as Error).message).toMatch(match);
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

function concat(parts: readonly Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
  let k = 0;
  for (const p of parts) {
    out.set(p, k);
    k += p.length;
  }
  return out;
}

/** Seeded mixed-script text: ASCII words, accented and combining letters, Greek, CJK, emoji, punctuation, newlines. */
function mixedText(rng: Rng, approxChars: number): string {
  const words = ['the', 'cat', 'Sat', 'ON', 'mat', 'naïve', 'café', 'e\u0301t\u00e9', 'ΟΔΟΣ', 'σοφία', '中文', '日本語', 'x_1', '42', 'İstanbul', 'supercalifragilistic'];
  const punct = ['.', ',', '!', '?', "'", '—', '(', ')', '😀', '👍🏽', '🇫🇷', '€'];
  const seps = [' ', ' ', ' ', '\n', '  ', '\t'];
  const parts: string[] = [];
  let n = 0;
  while (n < approxChars) {
    const r = rng.next();
    const s = r < 0.7 ? words[rng.int(0, words.length - 1)]! : r < 0.85 ? punct[rng.int(0, punct.length - 1)]! : seps[rng.int(0, seps.length - 1)]!;
    parts.push(s);
    if (rng.next() < 0.6) parts.push(seps[rng.int(0, seps.length - 1)]!);
    n += s.length + 1;
  }
  return parts.join('');
}

/** Cuts `text` at random UTF-16 positions (surrogate pairs may be cut too). */
function randomPieces(text: string, rng: Rng, maxPiece: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; ) {
    const n = rng.int(0, maxPiece);
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

const tmp = mkdtempSync(join(tmpdir(), 'webrnn-data-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
function tempFile(name: string, content: string | Uint8Array): string {
  const p = join(tmp, name);
  writeFileSync(p, content);
  return p;
}

// ---- Tokenizers ---------------------------------------------------------------------------------

describe('tokenizers', () => {
  test('word level: runs of letters/digits/marks/_ and single punctuation; whitespace dropped', () => {
    expect(tokenize("Don't stop!  Now...", 'word')).toEqual(['Don', "'", 't', 'stop', '!', 'Now', '.', '.', '.']);
    expect(tokenize("Don't stop!", 'word', true)).toEqual(['don', "'", 't', 'stop', '!']);
    expect(tokenize('x_1=42€ (café) e\u0301té', 'word')).toEqual(['x_1', '=', '42', '€', '(', 'café', ')', 'e\u0301té']);
    expect(tokenize('中文, 日本語😀👍🏽', 'word')).toEqual(['中文', ',', '日本語', '😀', '👍', '🏽']);
    expect(tokenize('ΟΔΟΣ ΣΑΣ', 'word', true)).toEqual(['οδος', 'σας']); // word-final sigma per token
    expect(tokenize('', 'word')).toEqual([]);
    expect(tokenize(' \n\t ', 'word')).toEqual([]);
  });

  test('char level: one token per code point, context-free lowercase', () => {
    expect(tokenize('a😀\nb', 'char')).toEqual(['a', '😀', '\n', 'b']);
    expect(tokenize('ΟΔΟΣ', 'char', true)).toEqual(['ο', 'δ', 'ο', 'σ']);
    expect(tokenize('İ', 'char', true)).toEqual(['i', '\u0307']);
    expect(tokenize('', 'char')).toEqual([]);
  });

  test('incremental tokenizer: any cut of the text gives the tokens of the whole (seeded, 200 cuts)', () => {
    const rng = new Rng(11);
    const text = mixedText(rng, 3000);
    for (const level of ['char', 'word'] as const) {
      for (const lowercase of [false, true]) {
        const want = tokenize(text, level, lowercase);
        for (let trial = 0; trial < 50; trial++) {
          const t = new IncrementalTokenizer(level, lowercase);
          const got: string[] = [];
          for (const p of randomPieces(text, rng, trial < 25 ? 3 : 40)) got.push(...t.push(p));
          got.push(...t.end());
          expect(got).toEqual(want);
        }
      }
    }
  });

  test('utf8Length matches TextEncoder', () => {
    const s = mixedText(new Rng(3), 500) + '\uD800x';
    expect(utf8Length(s)).toBe(new TextEncoder().encode(s).length);
  });
});

// ---- Vocabularies -------------------------------------------------------------------------------

describe('Vocab', () => {
  test('char vocab: specials first, then count descending, then code point', () => {
    const v = Vocab.fromText('abracadabra', { level: 'char' });
    expect(v.tokens).toEqual(['<PAD>', '<UNK>', '<EOS>', 'a', 'b', 'r', 'c', 'd']);
    expect(v.counts).toEqual([0, 0, 0, 5, 2, 2, 1, 1]);
    expect([v.pad_id, v.unk_id, v.eos_id, v.bos_id, v.size, v.num_special]).toEqual([0, 1, 2, undefined, 8, 3]);
    expect(Vocab.fromText('abracadabra', { level: 'char', max_size: 5 }).tokens).toEqual(['<PAD>', '<UNK>', '<EOS>', 'a', 'b']);
    expect(Vocab.fromText('abracadabra', { level: 'char', min_count: 2 }).tokens.slice(3)).toEqual(['a', 'b', 'r']);
    const withBos = Vocab.fromText('abracadabra', { level: 'char', bos: true, max_size: 5 });
    expect(withBos.tokens).toEqual(['<PAD>', '<UNK>', '<EOS>', '<BOS>', 'a']);
    expect(withBos.bos_id).toBe(3);
    // Ties are ordered by code point (Python's sorted()), not UTF-16 units: U+FF5E < U+1F600.
    expect(Vocab.fromText('😀～', { level: 'char' }).tokens.slice(3)).toEqual(['～', '😀']);
  });

  test('ordering does not depend on the order of the texts', () => {
    const rng = new Rng(5);
    const lines = mixedText(rng, 4000).split('\n');
    const a = Vocab.fromText(lines, { level: 'word', lowercase: true });
    const b = Vocab.fromText(shuffleInPlace(lines.slice(), rng), { level: 'word', lowercase: true });
    expect(b.toJSON()).toEqual(a.toJSON());
    for (let i = a.num_special + 1; i < a.size; i++) {
      const [c0, c1] = [a.counts[i - 1]!, a.counts[i]!];
      expect(c0 > c1 || (c0 === c1 && a.tokens[i - 1]! < a.tokens[i]!)).toBe(true);
    }
  });

  test('char encode/decode round trip with multi-byte characters, emoji and newlines; unknown → <UNK>', () => {
    const text = 'héllo wörld 😀\n中文 👍🏽!';
    const v = Vocab.fromText(text, { level: 'char' });
    const ids = v.encode(text);
    expect(ids).toBeInstanceOf(Int32Array);
    expect(ids.length).toBe(Array.from(text).length);
    expect(v.decode(ids)).toBe(text);
    expect(Array.from(v.encode('h?😀'))).toEqual([v.id('h'), 1, v.id('😀')]);
    expect(v.decode(v.encode('h?'))).toBe('h<UNK>');
    expect(v.decode(v.encode('h?'), { skip_special: true })).toBe('h');
    const withEos = v.encode('hé', { eos: true });
    expect(Array.from(withEos)).toEqual([v.id('h'), v.id('é'), 2]);
    expect(v.decode([...withEos, v.id('h')], { stop_at_eos: true })).toBe('hé');
    // Text spelling a special token is ordinary characters, never the special id.
    expect(Array.from(Vocab.fromText('<EOS>', { level: 'char' }).encode('<EOS>'))).not.toContain(2);
  });

  test('word encode/decode: lowercase, punctuation tokens, lossy spacing, encode(decode(ids)) = ids', () => {
    const v = Vocab.fromText(['Hello, world!', 'Hello there.'], { level: 'word', lowercase: true, bos: true });
    expect(v.tokens).toEqual(['<PAD>', '<UNK>', '<EOS>', '<BOS>', 'hello', '!', ',', '.', 'there', 'world']);
    const ids = v.encode('HELLO, you world!', { bos: true, eos: true });
    expect(Array.from(ids)).toEqual([3, 4, 6, 1, 9, 5, 2]);
    expect(v.decode(ids)).toBe('<BOS> hello , <UNK> world ! <EOS>');
    expect(v.decode(ids, { skip_special: true })).toBe('hello , world !');
    const regular = Int32Array.from([4, 6, 9, 5, 8, 7]);
    expect(v.encode(v.decode(regular))).toEqual(regular);
    expect(v.id('nope')).toBe(1);
    expect(v.has('hello')).toBe(true);
    expect(v.token(3)).toBe('<BOS>');
  });

  test('empty inputs', () => {
    const v = Vocab.fromText('', { level: 'word' });
    expect(v.tokens).toEqual(['<PAD>', '<UNK>', '<EOS>']);
    expect(v.encode('').length).toBe(0);
    expect(Array.from(v.encode('', { eos: true }))).toEqual([2]);
    expect(v.decode([])).toBe('');
    expect(Vocab.fromText([], { level: 'char' }).size).toBe(3);
  });

  test('toJSON / fromJSON round trip (object and text), the result behaves the same', () => {
    for (const opts of [
      { level: 'char' as const },
      { level: 'char' as const, lowercase: true, bos: true },
      { level: 'word' as const, lowercase: true, min_count: 2 },
    ]) {
      const text = mixedText(new Rng(9), 5000);
      const v = Vocab.fromText(text, opts);
      const s = JSON.stringify(v);
      const a = Vocab.fromJSON(s);
      const b = Vocab.fromJSON(JSON.parse(s));
      expect(a.toJSON()).toEqual(v.toJSON());
      expect(b.toJSON()).toEqual(v.toJSON());
      expect(a.encode(text)).toEqual(v.encode(text));
    }
    // counts may be left out of a hand-written file
    const v = Vocab.fromJSON({ format: 'webrnn-vocab', version: 1, level: 'word', lowercase: false, bos: false, tokens: ['<PAD>', '<UNK>', '<EOS>', 'a', '.'] });
    expect(v.counts).toEqual([0, 0, 0, 0, 0]);
  });

  test('fromJSON rejects malformed or hostile files with BAD_FILE', () => {
    const good = (): VocabJSON => ({ format: 'webrnn-vocab', version: 1, level: 'char', lowercase: false, bos: false, tokens: ['<PAD>', '<UNK>', '<EOS>', 'a', 'b'], counts: [0, 0, 0, 2, 1] });
    const cases: [string, unknown, RegExp][] = [
      ['not JSON', '{"format": ', /not valid JSON/],
      ['null', null, /expected an object/],
      ['array', [], /expected an object/],
      ['__proto__ key', JSON.parse('{"__proto__": {"polluted": true}, "format": "webrnn-vocab"}'), /forbidden key "__proto__"/],
      ['constructor key', { ...good(), constructor: 1 }, /forbidden key "constructor"/],
      ['unknown key', { ...good(), extra: 1 }, /unknown key "extra"/],
      ['format', { ...good(), format: 'other' }, /format/],
      ['version', { ...good(), version: 2 }, /version/],
      ['level', { ...good(), level: 'byte' }, /level/],
      ['lowercase type', { ...good(), lowercase: 'yes' }, /lowercase/],
      ['bos type', { ...good(), bos: 1 }, /bos/],
      ['tokens type', { ...good(), tokens: 'abc' }, /tokens must be an array/],
      ['too few tokens', { ...good(), tokens: ['<PAD>', '<UNK>'], counts: [0, 0] }, /special tokens/],
      ['special at wrong id', { ...good(), tokens: ['<UNK>', '<PAD>', '<EOS>', 'a', 'b'] }, /id 0 is reserved for <PAD>/],
      ['bos missing', { ...good(), bos: true }, /id 3 is reserved for <BOS>/],
      ['special reused', { ...good(), tokens: ['<PAD>', '<UNK>', '<EOS>', '<PAD>', 'b'] }, /not a char token/],
      ['duplicate', { ...good(), tokens: ['<PAD>', '<UNK>', '<EOS>', 'a', 'a'] }, /appears twice/],
      ['non-string token', { ...good(), tokens: ['<PAD>', '<UNK>', '<EOS>', 7, 'b'] }, /tokens\[3\] must be a string/],
      ['sparse array hole', { ...good(), tokens: Object.assign(['<PAD>', '<UNK>', '<EOS>'], { length: 5 }) }, /must be a string/],
      ['multi-char char token', { ...good(), tokens: ['<PAD>', '<UNK>', '<EOS>', 'ab', 'b'] }, /not a char token/],
      ['empty token', { ...good(), tokens: ['<PAD>', '<UNK>', '<EOS>', '', 'b'] }, /not a char token/],
      ['lone surrogate', { ...good(), tokens: ['<PAD>', '<UNK>', '<EOS>', '\uD83D', 'b'] }, /not a char token/],
      ['uppercase in lowercase vocab', { ...good(), lowercase: true, tokens: ['<PAD>', '<UNK>', '<EOS>', 'A', 'b'] }, /not a lowercase char token/],
      ['word token with space', { ...good(), level: 'word', tokens: ['<PAD>', '<UNK>', '<EOS>', 'a b', 'c'] }, /not a word token/],
      ['word token mixing punctuation', { ...good(), level: 'word', tokens: ['<PAD>', '<UNK>', '<EOS>', 'a.', 'c'] }, /not a word token/],
      ['counts length', { ...good(), counts: [0, 0, 0, 1] }, /counts/],
      ['negative count', { ...good(), counts: [0, 0, 0, -1, 1] }, /counts\[3\]/],
      ['fractional count', { ...good(), counts: [0, 0, 0, 1.5, 1] }, /counts\[3\]/],
    ];
    for (const [name, json, match] of cases) {
      try {
        Vocab.fromJSON(json);
        throw new Error(`${name}: accepted`);
      } catch (e) {
        expect(e, name).toBeInstanceOf(WebRnnError);
        expect((e as WebRnnError).code, `${name}: ${(e as Error).message}`).toBe('BAD_FILE');
        expect((e as Error).message, name).toMatch(match);
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // "__proto__" as a word token (a value, not a key) is harmless: lookups use a Map.
    const w = Vocab.fromText('__proto__ constructor', { level: 'word' });
    expect(w.id('__proto__')).toBe(3);
    expect(w.id('toString')).toBe(1);
  });

  test('argument validation: BAD_VALUE naming what was expected', () => {
    const v = Vocab.fromText('ab', { level: 'char' });
    expectError(() => v.encode(42 as unknown as string), 'BAD_VALUE', /text must be a string/);
    expectError(() => v.encode('a', { bos: true }), 'BAD_VALUE', /no <BOS>/);
    expectError(() => v.encode('a', { eos: 1 as unknown as boolean }), 'BAD_VALUE', /eos must be true or false/);
    expectError(() => v.decode([0, 5]), 'BAD_VALUE', /ids\[1\] is 5, outside .*\[0, 5\)/);
    expectError(() => v.decode([1.5]), 'BAD_VALUE', /ids\[0\]/);
    expectError(() => v.token(-1), 'BAD_VALUE', /id is -1/);
    expectError(() => Vocab.fromText('ab', { level: 'byte' as 'char' }), 'BAD_VALUE', /level must be 'char' or 'word'/);
    expectError(() => Vocab.fromText('ab', { level: 'char', max_size: 2 }), 'BAD_VALUE', /max_size must be an integer in \[3,/);
    expectError(() => Vocab.fromText('ab', { level: 'char', min_count: 0 }), 'BAD_VALUE', /min_count/);
    expectError(() => Vocab.fromText('ab', { level: 'char', minCount: 2 } as never), 'BAD_VALUE', /unknown option "minCount"/);
    expectError(() => Vocab.fromText(5 as unknown as string, { level: 'char' }), 'BAD_VALUE', /texts must be/);
  });

  test('TokenCounter: push/end across cuts equals add; StreamEncoder equals encode for any cut', () => {
    const rng = new Rng(21);
    const text = mixedText(rng, 5000);
    for (const level of ['char', 'word'] as const) {
      for (const lowercase of [false, true]) {
        const whole = new TokenCounter({ level, lowercase }).add(text).toVocab();
        const pieces = new TokenCounter({ level, lowercase });
        for (const p of randomPieces(text, rng, 17)) pieces.push(p);
        expect(pieces.end().toVocab().toJSON()).toEqual(whole.toJSON());
        expect(pieces.total).toBe(tokenize(text, level, lowercase).length);
        const vocab = Vocab.fromText(text.slice(0, 2000), { level, lowercase }); // some tokens unknown
        const want = vocab.encode(text);
        for (let trial = 0; trial < 10; trial++) {
          const enc: StreamEncoder = vocab.encoder(); // the public class
          expect(enc).toBeInstanceOf(StreamEncoder);
          const got: Int32Array[] = [];
          for (const p of randomPieces(text, rng, trial * 7 + 1)) got.push(enc.push(p));
          got.push(enc.end());
          expect(concat(got)).toEqual(want);
        }
      }
    }
  });
});

// ---- Language-model metrics ---------------------------------------------------------------------

describe('language-model metrics', () => {
  const ln = Math.log;
  test('hand-computed values', () => {
    const lp = [ln(0.5), ln(0.25)];
    expect(sequenceLogProb(lp)).toBeCloseTo(ln(0.125), 14);
    expect(meanNll(lp)).toBeCloseTo(-(ln(0.5) + ln(0.25)) / 2, 14);
    expect(perplexity([ln(0.5), ln(0.125)])).toBeCloseTo(4, 12); // exp(-(ln .5 + ln .125)/2) = (1/16)^(-1/2)
    expect(bitsPerCharacter([ln(0.5), ln(0.125)])).toBeCloseTo(2, 12); // (1 + 3) / 2
    expect(bitsPerCharacter([ln(0.5), ln(0.125)], { characters: 8 })).toBeCloseTo(0.5, 12); // 4 bits / 8 chars
    // A uniform model over V tokens has perplexity V and log2 V bits per token.
    const V = 37;
    const uniform = new Float64Array(1000).fill(-ln(V));
    expect(perplexity(uniform)).toBeCloseTo(V, 9);
    expect(bitsPerCharacter(uniform)).toBeCloseTo(Math.log2(V), 12);
    // perplexity = 2^bpc for a char model
    const rng = new Rng(2);
    const lps = Array.from({ length: 100 }, () => ln(rng.uniform(0.01, 1)));
    expect(perplexity(lps)).toBeCloseTo(2 ** bitsPerCharacter(lps), 9);
    // float32 input works the same
    expect(perplexity(Float32Array.from([ln(0.5), ln(0.125)]))).toBeCloseTo(4, 5);
  });

  test('masks, empty inputs, p = 0, validation', () => {
    const ln = Math.log;
    expect(perplexity([ln(0.5), -50, ln(0.125)], { mask: [1, 0, 1] })).toBeCloseTo(4, 12);
    expect(sequenceLogProb([ln(0.5), -50], { mask: [true, false] })).toBeCloseTo(ln(0.5), 14);
    expect(sequenceLogProb([])).toBe(0); // P(empty) = 1
    expectError(() => perplexity([]), 'BAD_SHAPE', /at least one/);
    expectError(() => perplexity([-1], { mask: [0] }), 'BAD_SHAPE', /at least one/);
    expect(sequenceLogProb([ln(0.5), -Infinity])).toBe(-Infinity);
    expect(perplexity([ln(0.5), -Infinity])).toBe(Infinity);
    expectError(() => perplexity([-1, NaN]), 'BAD_VALUE', /logp\[1\] is NaN/);
    expectError(() => perplexity([0.1]), 'BAD_VALUE', /≤ 0/);
    expect(perplexity([1e-7])).toBeCloseTo(1, 6); // float32 rounding of ln 1 is accepted
    expectError(() => perplexity([-1, -2], { mask: [1] }), 'BAD_SHAPE', /mask has 1 entries, expected .* \(2\)/);
    expectError(() => perplexity([-1], { mask: [2] }), 'BAD_VALUE', /mask\[0\]/);
    expectError(() => bitsPerCharacter([-1], { characters: 0 }), 'BAD_VALUE', /characters/);
    expectError(() => perplexity('abc' as unknown as number[]), 'BAD_VALUE', /logp must be/);
  });

  test('targetLogProbs: float64 log-softmax of the target, ignore_index masked', () => {
    const logits = [1, 2, 3, /**/ 1000, 1000, 0, /**/ 5, 5, 5];
    const { logp, mask } = targetLogProbs(logits, [2, 0, IGNORE_INDEX], 3);
    const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
    expect(logp[0]).toBeCloseTo(3 - Math.log(z), 14);
    expect(logp[1]).toBeCloseTo(Math.log(0.5), 12); // no overflow at 1000
    expect(Array.from(mask)).toEqual([1, 1, 0]);
    expect(perplexity(logp, { mask })).toBeCloseTo(Math.exp(-(logp[0]! + logp[1]!) / 2), 12);
    expectError(() => targetLogProbs(logits, [0, 0], 3), 'BAD_SHAPE', /N·V = 2·3 = 6/);
    expectError(() => targetLogProbs(logits, [0, 3, 0], 3), 'BAD_VALUE', /targets\[1\] is 3/);
    expectError(() => targetLogProbs([NaN, 0, 0], [0], 3), 'BAD_VALUE', /finite/);
  });
});

// ---- Batching -----------------------------------------------------------------------------------

describe('padBatch / planBatches / batches', () => {
  test('time-major and batch-first padding with lengths and indices', () => {
    const b = padBatch([[5, 6, 7], Int32Array.of(8), Uint32Array.of(9, 10)]);
    expect(b.shape).toEqual([3, 3]);
    expect(Array.from(b.tokens)).toEqual([5, 8, 9, 6, 0, 10, 7, 0, 0]);
    expect(Array.from(b.lengths)).toEqual([3, 1, 2]);
    expect(Array.from(b.indices)).toEqual([0, 1, 2]);
    expect(b.targets).toBeUndefined();
    const f = padBatch([[5, 6, 7], [8], [9, 10]], { batch_first: true, pad_id: 99, pad_to_multiple: 4 });
    expect(f.shape).toEqual([3, 4]);
    expect(Array.from(f.tokens)).toEqual([5, 6, 7, 99, 8, 99, 99, 99, 9, 10, 99, 99]);
  });

  test('language-model layout: next-token targets, −100 in padded slots, agreeing with sequenceMask', () => {
    const lm = padBatch([[1, 5, 6, 2], [1, 7, 2]], { lm: true, batch_first: true });
    expect(lm.shape).toEqual([2, 3]);
    expect(Array.from(lm.tokens)).toEqual([1, 5, 6, 1, 7, 0]);
    expect(Array.from(lm.targets!)).toEqual([5, 6, 2, 7, 2, -100]);
    expect(Array.from(lm.lengths)).toEqual([3, 2]);
    const rng = new Rng(4);
    const seqs = Array.from({ length: 7 }, () => Array.from({ length: rng.int(2, 12) }, () => rng.int(3, 50)));
    for (const batch_first of [false, true]) {
      const b = padBatch(seqs, { lm: true, batch_first });
      const m = sequenceMask(b.lengths, b.T, { batch_first });
      for (let k = 0; k < m.length; k++) expect(b.targets![k] !== IGNORE_INDEX).toBe(m[k] === 1);
      for (let i = 0; i < seqs.length; i++) {
        for (let t = 0; t < b.lengths[i]!; t++) {
          const k = batch_first ? i * b.T + t : t * b.B + i;
          expect([b.tokens[k], b.targets![k]]).toEqual([seqs[i]![t], seqs[i]![t + 1]]);
        }
      }
    }
  });

  test('padBatch validation', () => {
    expectError(() => padBatch([]), 'BAD_SHAPE', /at least one sequence/);
    expectError(() => padBatch([[1], []]), 'BAD_SHAPE', /sequences\[1\] has 0 tokens/);
    expectError(() => padBatch([[1, 2], [3]], { lm: true }), 'BAD_SHAPE', /sequences\[1\] has 1 tokens; a language-model example needs ≥ 2/);
    expectError(() => padBatch([[1, -2]]), 'BAD_VALUE', /sequences\[0\]\[1\] is -2/);
    expectError(() => padBatch([Int32Array.of(1, -2)]), 'BAD_VALUE', /sequences\[0\]\[1\] is -2/);
    expectError(() => padBatch([[1, 2.5]]), 'BAD_VALUE', /sequences\[0\]\[1\] is 2.5/);
    expectError(() => padBatch(['ab' as unknown as number[]]), 'BAD_VALUE', /sequences\[0\] must be/);
    expectError(() => padBatch([[1]], { pad_id: -1 }), 'BAD_VALUE', /pad_id must be an integer in \[0,/);
    expectError(() => padBatch([[1]], { pad_to_multiple: 0 }), 'BAD_VALUE', /pad_to_multiple/);
    expectError(() => padBatch([[1]], { batchFirst: true } as never), 'BAD_VALUE', /unknown option "batchFirst"/);
  });

  test('planBatches: a partition of the examples; drop_last; seeded shuffles reproduce and differ across seeds', () => {
    const n = 103;
    const lengths = Array.from({ length: n }, (_, i) => (i * 7) % 23);
    const sorted = (plan: Int32Array[]): number[] => plan.flatMap((b) => Array.from(b)).sort((a, b) => a - b);
    const all = Array.from({ length: n }, (_, i) => i);
    const plain = planBatches(lengths, { batch_size: 10 });
    expect(plain.length).toBe(11);
    expect(Array.from(plain[0]!)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(sorted(plain)).toEqual(all);
    expect(planBatches(lengths, { batch_size: 10, drop_last: true }).length).toBe(10);
    for (const bucket of [false, true]) {
      const a = planBatches(lengths, { batch_size: 10, shuffle: true, seed: 1, bucket, bucket_pool: 3 });
      const a2 = planBatches(lengths, { batch_size: 10, shuffle: true, seed: 1, bucket, bucket_pool: 3 });
      const b = planBatches(lengths, { batch_size: 10, shuffle: true, seed: 2, bucket, bucket_pool: 3 });
      expect(a2).toEqual(a);
      expect(b).not.toEqual(a);
      expect(sorted(a)).toEqual(all);
      expect(sorted(b)).toEqual(all);
      const d = planBatches(lengths, { batch_size: 10, shuffle: true, seed: 1, bucket, drop_last: true });
      expect(d.length).toBe(10);
      expect(d.every((x) => x.length === 10)).toBe(true);
    }
    // Bucketing with no shuffle sorts each pool by length (stable).
    expect(planBatches([5, 1, 4, 2], { batch_size: 2, bucket: true }).map((b) => Array.from(b))).toEqual([[1, 3], [2, 0]]);
    expect(planBatches([], { batch_size: 4 })).toEqual([]);
    // The shuffle is Fisher–Yates with Rng: the same draws as Rng.permutation.
    expect(shuffleInPlace(Array.from({ length: 20 }, (_, i) => i), new Rng(8))).toEqual(new Rng(8).permutation(20));
  });

  test('bucketing wastes far less padding than random batching on a skewed length distribution', () => {
    const rng = new Rng(77);
    // 90% short (3..20 tokens), 10% long (60..400): a typical sentence-length tail.
    const lengths = Array.from({ length: 5000 }, () => (rng.next() < 0.9 ? rng.int(3, 20) : rng.int(60, 400)));
    const random = paddingWaste(planBatches(lengths, { batch_size: 32, shuffle: true, seed: 1 }), lengths);
    const bucketed = paddingWaste(planBatches(lengths, { batch_size: 32, shuffle: true, seed: 1, bucket: true }), lengths);
    const sortedAll = paddingWaste(planBatches(lengths, { batch_size: 32, shuffle: true, seed: 1, bucket: true, bucket_pool: 1000 }), lengths);
    console.log(`padding waste: random ${(100 * random).toFixed(1)}%, bucketed (pool 100) ${(100 * bucketed).toFixed(1)}%, fully sorted ${(100 * sortedAll).toFixed(1)}%`);
    expect(random).toBeGreaterThan(0.5);
    expect(bucketed).toBeLessThan(random / 10);
    expect(sortedAll).toBeLessThanOrEqual(bucketed);
    expect(paddingWaste([Int32Array.of(0, 1)], [4, 2])).toBeCloseTo(0.25, 15);
    expect(paddingWaste([], [])).toBe(0);
  });

  test('planBatches validation', () => {
    expectError(() => planBatches([1, 2], { batch_size: 0 }), 'BAD_VALUE', /batch_size must be an integer ≥ 1, got 0/);
    expectError(() => planBatches([1, 2], { batch_size: 2, shuffle: true }), 'BAD_VALUE', /needs a seed/);
    expectError(() => planBatches([1, 2], { batch_size: 2, shuffle: true, seed: 0.5 }), 'BAD_VALUE', /seed must be an integer/);
    expectError(() => planBatches([1, -2], { batch_size: 2 }), 'BAD_VALUE', /lengths\[1\]/);
    expectError(() => planBatches([1], undefined as never), 'BAD_VALUE', /batch_size/);
  });

  test('batches: an epoch of padded batches following the plan, checked before the first batch', () => {
    const rng = new Rng(6);
    const seqs = Array.from({ length: 50 }, () => Array.from({ length: rng.int(2, 30) }, () => rng.int(3, 99)));
    const planOpts = { batch_size: 8, shuffle: true, seed: 3, bucket: true };
    const plan = planBatches(seqs.map((s) => s.length - 1), planOpts);
    const got = [...batches(seqs, { ...planOpts, lm: true })];
    expect(got.map((b) => Array.from(b.indices))).toEqual(plan.map((p) => Array.from(p)));
    for (const b of got) {
      expect(b.T).toBe(Math.max(...Array.from(b.indices, (i) => seqs[i]!.length - 1)));
      expect(padBatch(Array.from(b.indices, (i) => seqs[i]!), { lm: true }).tokens).toEqual(b.tokens);
    }
    expect([...batches([], { batch_size: 4 })]).toEqual([]);
    expectError(() => batches([[1, 2], [3]], { batch_size: 2, lm: true }), 'BAD_SHAPE', /sequences\[1\]/); // no iteration needed
  });
});

// ---- Truncated BPTT -----------------------------------------------------------------------------

describe('truncated-BPTT chunker', () => {
  test('the classic batchify layout by hand: 26 tokens, B = 4, T = 3', () => {
    const stream = Array.from({ length: 26 }, (_, i) => i);
    const layout = bpttLayout(26, { batch_size: 4, bptt: 3 });
    expect(layout).toMatchObject({ tokens: 26, stream_length: 6, windows: 2, dropped: 2 });
    const ws = [...bpttWindows(stream, { batch_size: 4, bptt: 3 })];
    expect(ws.map((w) => [w.index, w.offset, w.T, w.B])).toEqual([[0, 0, 3, 4], [1, 3, 2, 4]]);
    expect(Array.from(ws[0]!.inputs)).toEqual([0, 6, 12, 18, 1, 7, 13, 19, 2, 8, 14, 20]);
    expect(Array.from(ws[0]!.targets)).toEqual([1, 7, 13, 19, 2, 8, 14, 20, 3, 9, 15, 21]);
    expect(Array.from(ws[1]!.inputs)).toEqual([3, 9, 15, 21, 4, 10, 16, 22]);
    expect(Array.from(ws[1]!.targets)).toEqual([4, 10, 16, 22, 5, 11, 17, 23]);
    expect([...bpttWindows(stream, { batch_size: 4, bptt: 3, drop_last: true })].length).toBe(1);
    expect(bpttLayout(1001, { batch_size: 4, bptt: 35 })).toMatchObject({ stream_length: 250, windows: 8, dropped: 1 });
  });

  test('windows concatenate back to the B streams; targets are inputs shifted; batch-first is the transpose', () => {
    const rng = new Rng(12);
    for (const [N, B, T] of [[1000, 7, 13], [500, 1, 50], [64, 8, 1], [99, 3, 200]] as const) {
      const stream = Int32Array.from({ length: N }, () => rng.int(0, 60));
      const tm = [...bpttWindows(stream, { batch_size: B, bptt: T })];
      const bf = [...bpttWindows(stream, { batch_size: B, bptt: T, batch_first: true })];
      const L = Math.floor(N / B);
      expect(tm.length).toBe(Math.ceil((L - 1) / T));
      for (let b = 0; b < B; b++) {
        const col: number[] = [];
        const colT: number[] = [];
        tm.forEach((w, k) => {
          for (let t = 0; t < w.T; t++) {
            col.push(w.inputs[t * B + b]!);
            colT.push(w.targets[t * B + b]!);
            expect(bf[k]!.inputs[b * w.T + t]).toBe(w.inputs[t * B + b]);
            expect(bf[k]!.targets[b * w.T + t]).toBe(w.targets[t * B + b]);
          }
        });
        expect(col).toEqual(Array.from(stream.subarray(b * L, (b + 1) * L - 1)));
        expect(colT).toEqual(Array.from(stream.subarray(b * L + 1, (b + 1) * L)));
      }
      for (let k = 0; k + 1 < tm.length; k++) {
        // the last targets of window k are the first inputs of window k + 1 (state carries over)
        expect(tm[k]!.targets.subarray((tm[k]!.T - 1) * B)).toEqual(tm[k + 1]!.inputs.subarray(0, B));
      }
    }
  });

  test('validation and too-short streams', () => {
    expectError(() => bpttLayout(7, { batch_size: 4, bptt: 3 }), 'BAD_SHAPE', /1 tokens per stream; one window needs ≥ 2 per stream \(≥ 8 tokens\)/);
    expectError(() => bpttLayout(12, { batch_size: 4, bptt: 3, drop_last: true }), 'BAD_SHAPE', /≥ 4 per stream/);
    expectError(() => bpttWindows([], { batch_size: 1, bptt: 1 }), 'BAD_SHAPE');
    expectError(() => bpttWindows([1, 2, 3], { batch_size: 1, bptt: 0 }), 'BAD_VALUE', /bptt must be an integer ≥ 1, got 0/);
    expectError(() => bpttWindows([1, -2, 3], { batch_size: 1, bptt: 1 }), 'BAD_VALUE', /stream\[1\] is -2/);
    expectError(() => windowFromColumns([Int32Array.of(1, 2), Int32Array.of(1, 2, 3)], 0, 0, false), 'BAD_SHAPE', /column 1 has 3 tokens/);
  });
});

// ---- Streaming files ----------------------------------------------------------------------------

describe('text files larger than memory', () => {
  test('chunks of a few-MB file never split a character, concatenate to the file, come in the expected number, in bounded memory', async () => {
    const rng = new Rng(31);
    const text = mixedText(rng, 2_800_000); // ~3.4 MB of UTF-8 with 2-, 3- and 4-byte characters
    const path = tempFile('big.txt', text);
    const bytes = new TextEncoder().encode(text);
    expect(bytes.length).toBeGreaterThan(3_000_000);
    const chunk_bytes = 1000;
    const parts: string[] = [];
    let prevEnd = 0;
    let cutInside = 0;
    let chunks = 0;
    const base = process.memoryUsage().arrayBuffers;
    let peak = 0;
    let last: TextChunk | undefined;
    for await (const c of readTextChunks(path, { chunk_bytes })) {
      chunks++;
      expect(c.start).toBe(prevEnd);
      expect(utf8Length(c.text)).toBe(c.end - c.start);
      expect(c.end - c.start).toBeLessThanOrEqual(chunk_bytes);
      if (last) expect(last.end - last.start).toBeGreaterThanOrEqual(chunk_bytes - 3);
      const first = c.text.codePointAt(0)!;
      expect(first < 0xdc00 || first > 0xdfff).toBe(true); // never starts with half a surrogate pair
      if (c.end - c.start < chunk_bytes) cutInside++;
      prevEnd = c.end;
      parts.push(c.text);
      last = c;
      if (chunks % 100 === 0) peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
    }
    expect(prevEnd).toBe(bytes.length);
    expect(parts.join('')).toBe(text);
    expect(chunks).toBeGreaterThanOrEqual(Math.ceil(bytes.length / chunk_bytes));
    expect(chunks).toBeLessThanOrEqual(Math.ceil(bytes.length / (chunk_bytes - 3)));
    expect(cutInside).toBeGreaterThan(100); // many reads ended inside a multi-byte character
    // The reader reuses one chunk-sized buffer: no file-sized allocation outside the JS heap.
    expect(peak).toBeLessThan(1 << 20);
    console.log(`${bytes.length} bytes in ${chunks} chunks of ≤ ${chunk_bytes} bytes; ${cutInside} reads cut a character; peak ArrayBuffer growth ${peak} bytes`);
    // An ASCII file comes in exactly ⌈size / chunk_bytes⌉ chunks.
    const ascii = tempFile('ascii.txt', 'abcdefghij'.repeat(10_007));
    expect((await collect(readTextChunks(ascii, { chunk_bytes: 4096 }))).length).toBe(Math.ceil(100_070 / 4096));
  });

  test('an emoji cut by a read comes whole in the next chunk; BOM skipped; empty file', async () => {
    const p = tempFile('emoji.txt', 'ab😀cd');
    const cs = await collect(readTextChunks(p, { chunk_bytes: 4 }));
    expect(cs).toEqual([
      { text: 'ab', start: 0, end: 2 },
      { text: '😀', start: 2, end: 6 },
      { text: 'cd', start: 6, end: 8 },
    ]);
    const bom = tempFile('bom.txt', '\uFEFFhé\uFEFF');
    expect((await collect(readTextChunks(bom, { chunk_bytes: 4 }))).map((c) => c.text).join('')).toBe('hé\uFEFF'); // only the leading one
    expect(await collect(readTextChunks(tempFile('empty.txt', '')))).toEqual([]);
    expect((await collect(readTextChunks(p, { start: 6 }))).map((c) => c.text)).toEqual(['cd']);
  });

  test('bad files and options', async () => {
    await expectRejects(collect(readTextChunks(join(tmp, 'missing.txt'))), 'BAD_FILE', /ENOENT/);
    await expectRejects(collect(readTextChunks(tempFile('bad.txt', Uint8Array.of(0x61, 0xff, 0x62)))), 'BAD_FILE', /not valid UTF-8/);
    await expectRejects(collect(readTextChunks(tempFile('cut.txt', Uint8Array.of(0x61, 0xf0, 0x9f)))), 'BAD_FILE', /ends inside a multi-byte/);
    await expectRejects(collect(readTextChunks(tempFile('mid.txt', 'a😀'), { start: 2 })), 'BAD_FILE', /not valid UTF-8/);
    expectError(() => readTextChunks('x', { chunk_bytes: 3 }), 'BAD_VALUE', /chunk_bytes must be an integer in \[4,/);
  });

  test('encodeFile and buildVocabFromFile equal encoding and counting the whole text', async () => {
    const text = mixedText(new Rng(41), 60_000);
    const path = tempFile('enc.txt', text);
    for (const level of ['char', 'word'] as const) {
      for (const chunk_bytes of [5, 64, 4096]) {
        const built = await buildVocabFromFile(path, { level, lowercase: true, min_count: 2, chunk_bytes });
        const vocab = Vocab.fromText(text, { level, lowercase: true, min_count: 2 });
        expect(built.toJSON()).toEqual(vocab.toJSON());
        const parts = await collect(encodeFile(path, vocab, { chunk_bytes }));
        expect(concat(parts)).toEqual(vocab.encode(text));
        expect(parts.every((p) => p.length > 0)).toBe(true);
        // O(chunk) memory: a chunk's ids never exceed its bytes (+1 for a word carried over from the previous chunk).
        expect(Math.max(...parts.map((p) => p.length))).toBeLessThanOrEqual(chunk_bytes + 1);
      }
    }
  });

  test('openBpttFile gives exactly the windows of bpttWindows(vocab.encode(text)), twice in a row', async () => {
    const text = mixedText(new Rng(51), 120_000);
    const path = tempFile('bptt.txt', text);
    const same = (a: BpttWindow[], b: BpttWindow[]): void => {
      expect(a.length).toBe(b.length);
      for (let k = 0; k < a.length; k++) {
        expect([a[k]!.index, a[k]!.offset, a[k]!.T, a[k]!.B, a[k]!.shape]).toEqual([b[k]!.index, b[k]!.offset, b[k]!.T, b[k]!.B, b[k]!.shape]);
        expect(a[k]!.inputs).toEqual(b[k]!.inputs);
        expect(a[k]!.targets).toEqual(b[k]!.targets);
      }
    };
    for (const [level, chunk_bytes, B, T, batch_first] of [
      ['char', 97, 16, 50, false],
      ['char', 65536, 3, 200, true],
      ['word', 23, 8, 35, false],
      ['word', 1000, 1, 64, false],
    ] as const) {
      const vocab = Vocab.fromText(text.slice(0, 50_000), { level, lowercase: level === 'word' });
      const opts = { batch_size: B, bptt: T, batch_first };
      const want = [...bpttWindows(vocab.encode(text), opts)];
      const file = await openBpttFile(path, vocab, { ...opts, chunk_bytes });
      expect(file.layout).toEqual(bpttLayout(vocab.encode(text).length, opts));
      same(await collect(file), want);
      same(await collect(file), want);
    }
    await expectRejects(openBpttFile(tempFile('short.txt', 'abc'), Vocab.fromText('abc', { level: 'char' }), { batch_size: 4, bptt: 2 }), 'BAD_SHAPE', /one window needs/);
    await expectRejects(openBpttFile(path, Vocab.fromText('abc', { level: 'char' }), { batch_size: 0, bptt: 2 }), 'BAD_VALUE', /batch_size/);
  });
});
