/**
 * A table of word vectors on the CPU and what the course does with it: cosine similarity, nearest
 * neighbours, analogies, and the GloVe / word2vec text formats.
 */
import { WebRnnError } from '../errors.js';

/**
 * cos(u, v) = u·v / (‖u‖ ‖v‖), in float64; 0 when either vector is zero.
 * @example cosineSimilarity([1, 0], [1, 1]) // 0.7071…
 */
export function cosineSimilarity(u: ArrayLike<number>, v: ArrayLike<number>): number {
  if (u.length !== v.length) throw new WebRnnError('BAD_SHAPE', `cosineSimilarity: vectors of lengths ${u.length} and ${v.length}`);
  let uv = 0, uu = 0, vv = 0;
  for (let i = 0; i < u.length; i++) {
    uv += u[i] * v[i];
    uu += u[i] * u[i];
    vv += v[i] * v[i];
  }
  return uu === 0 || vv === 0 ? 0 : uv / Math.sqrt(uu * vv);
}

/** One neighbour: a word and its cosine similarity to the query. */
export interface Neighbour {
  word: string;
  similarity: number;
}

/** The text formats of pretrained vectors: GloVe's (`word v1 … vE` per line) and word2vec's (the same after a `count dim` line). */
export type VectorFormat = 'glove' | 'word2vec';

/**
 * Words and their vectors, (n, dim) row-major in float32. Queries compare by cosine similarity in
 * float64, skipping the query words themselves.
 *
 * @example
 * const wv = WordVectors.parse(await (await fetch('glove.6B.50d.txt')).text());
 * wv.nearest('city', 5);                    // [{ word: 'town', similarity: 0.8… }, …]
 * wv.analogy('man', 'woman', 'king');       // 'queen': e_woman − e_man + e_king ≈ e_queen
 */
export class WordVectors {
  readonly words: readonly string[];
  readonly dim: number;
  /** (n, dim) */
  readonly data: Float32Array;
  private readonly ids: Map<string, number>;
  private norms: Float64Array | undefined;

  constructor(words: readonly string[], data: Float32Array, dim: number) {
    if (!Number.isInteger(dim) || dim < 1) throw new WebRnnError('BAD_SHAPE', `WordVectors: dim must be a positive integer, got ${dim}`);
    if (data.length !== words.length * dim) throw new WebRnnError('BAD_SHAPE', `WordVectors: ${words.length} words × ${dim} needs ${words.length * dim} values, got ${data.length}`);
    this.words = Object.freeze([...words]);
    this.dim = dim;
    this.data = data;
    this.ids = new Map();
    words.forEach((w, i) => {
      if (this.ids.has(w)) throw new WebRnnError('BAD_VALUE', `WordVectors: the word ${JSON.stringify(w)} appears twice`);
      this.ids.set(w, i);
    });
  }

  /**
   * The rows of a (V, E) table whose ids are `tokens` (e.g. a Vocab's tokens), leaving out those
   * `skip` says (by default tokens like <PAD>, <UNK>: special tokens are not words).
   */
  static fromTable(tokens: readonly string[], table: Float32Array, dim: number, skip: (token: string, id: number) => boolean = (t) => /^<[A-Z]+>$/.test(t)): WordVectors {
    if (table.length !== tokens.length * dim) throw new WebRnnError('BAD_SHAPE', `WordVectors.fromTable: ${tokens.length} tokens × ${dim} needs ${tokens.length * dim} values, got ${table.length}`);
    const words: string[] = [];
    const keep: number[] = [];
    tokens.forEach((t, i) => {
      if (!skip(t, i)) {
        words.push(t);
        keep.push(i);
      }
    });
    const data = new Float32Array(keep.length * dim);
    keep.forEach((i, r) => data.set(table.subarray(i * dim, (i + 1) * dim), r * dim));
    return new WordVectors(words, data, dim);
  }

  get size(): number {
    return this.words.length;
  }

  has(word: string): boolean {
    return this.ids.has(word);
  }

  /** The row of a word, or undefined. */
  id(word: string): number | undefined {
    return this.ids.get(word);
  }

  /** A word's vector (a view of `data`); throws BAD_VALUE for an unknown word. */
  vector(word: string): Float32Array {
    const i = this.ids.get(word);
    if (i === undefined) throw new WebRnnError('BAD_VALUE', `WordVectors: no vector for ${JSON.stringify(word)}`);
    return this.data.subarray(i * this.dim, (i + 1) * this.dim);
  }

  /** Cosine similarity of two words (or vectors). */
  similarity(a: string | ArrayLike<number>, b: string | ArrayLike<number>): number {
    return cosineSimilarity(this.resolve(a), this.resolve(b));
  }

  /**
   * The k words most similar to a word or a vector (the query word itself, and any in `exclude`, left
   * out); ties keep row order.
   *
   * @example wv.nearest('money', 5).map((n) => n.word)
   */
  nearest(query: string | ArrayLike<number>, k = 10, opts: { exclude?: readonly string[] } = {}): Neighbour[] {
    const q = this.resolve(query);
    const skip = new Set<number>();
    if (typeof query === 'string') skip.add(this.ids.get(query)!);
    for (const w of opts.exclude ?? []) {
      const i = this.ids.get(w);
      if (i !== undefined) skip.add(i);
    }
    const norms = this.rowNorms();
    let qq = 0;
    for (let d = 0; d < this.dim; d++) qq += q[d] * q[d];
    const qn = Math.sqrt(qq);
    const best: { i: number; s: number }[] = [];
    for (let i = 0; i < this.size; i++) {
      if (skip.has(i)) continue;
      let dot = 0;
      const o = i * this.dim;
      for (let d = 0; d < this.dim; d++) dot += q[d] * this.data[o + d];
      const s = qn === 0 || norms[i] === 0 ? 0 : dot / (qn * norms[i]);
      if (best.length < k || s > best[best.length - 1].s) {
        let at = best.length;
        while (at > 0 && best[at - 1].s < s) at--;
        best.splice(at, 0, { i, s });
        if (best.length > k) best.pop();
      }
    }
    return best.map(({ i, s }) => ({ word: this.words[i], similarity: s }));
  }

  /**
   * The course's analogy "a is to b as c is to ?": the words d whose vectors are most similar to
   * e_b − e_a + e_c (a, b and c themselves left out), best first.
   *
   * @example wv.analogyCandidates('man', 'woman', 'king', 3)[0].word // 'queen'
   */
  analogyCandidates(a: string, b: string, c: string, k = 1): Neighbour[] {
    const ea = this.vector(a), eb = this.vector(b), ec = this.vector(c);
    const q = new Float64Array(this.dim);
    for (let d = 0; d < this.dim; d++) q[d] = eb[d] - ea[d] + ec[d];
    return this.nearest(q, k, { exclude: [a, b, c] });
  }

  /** The best answer of {@link analogyCandidates}: "a is to b as c is to ?". */
  analogy(a: string, b: string, c: string): string {
    return this.analogyCandidates(a, b, c, 1)[0]?.word ?? '';
  }

  /** The same words with every vector scaled to unit length (zero vectors stay zero). */
  normalized(): WordVectors {
    const norms = this.rowNorms();
    const out = new Float32Array(this.data.length);
    for (let i = 0; i < this.size; i++) {
      const n = norms[i] || 1;
      for (let d = 0; d < this.dim; d++) out[i * this.dim + d] = this.data[i * this.dim + d] / n;
    }
    return new WordVectors(this.words, out, this.dim);
  }

  /** A copy with some words' vectors replaced (e.g. after debiasing). */
  withVectors(replace: ReadonlyMap<string, ArrayLike<number>>): WordVectors {
    const out = this.data.slice();
    for (const [w, v] of replace) {
      if (v.length !== this.dim) throw new WebRnnError('BAD_SHAPE', `withVectors: ${JSON.stringify(w)} has ${v.length} values, dim is ${this.dim}`);
      this.vector(w); // throws for an unknown word
      out.set(v, this.ids.get(w)! * this.dim);
    }
    return new WordVectors(this.words, out, this.dim);
  }

  /**
   * The vectors as text: 'glove' (default) one `word v1 … vE` line per word; 'word2vec' the same after
   * a `count dim` line. Numbers are float32 printed exactly (shortest round-trip form).
   */
  toText(format: VectorFormat = 'glove'): string {
    const lines: string[] = format === 'word2vec' ? [`${this.size} ${this.dim}`] : [];
    for (let i = 0; i < this.size; i++) {
      const v = Array.from(this.data.subarray(i * this.dim, (i + 1) * this.dim), (x) => String(x));
      lines.push(`${this.words[i]} ${v.join(' ')}`);
    }
    return lines.join('\n') + '\n';
  }

  /**
   * Reads vectors in GloVe or word2vec text format ('auto' tells them apart by a first line of two
   * integers). Words are whatever precedes the numbers on a line (GloVe's 840B set has words with
   * spaces: the last dim fields are the numbers). Malformed input is WebRnnError('BAD_FILE') naming the
   * line; a word seen twice keeps its first vector (as gensim does).
   *
   * @example WordVectors.parse('king 0.1 0.2\nqueen 0.1 0.25\n').dim // 2
   */
  static parse(text: string, opts: { format?: VectorFormat | 'auto'; max_words?: number } = {}): WordVectors {
    const format = opts.format ?? 'auto';
    const lines = text.split(/\r?\n/);
    let start = 0;
    let dim = 0;
    let expected: number | undefined;
    const header = lines[0]?.trim().split(/\s+/) ?? [];
    const isHeader = header.length === 2 && /^\d+$/.test(header[0]) && /^\d+$/.test(header[1]);
    if (format === 'word2vec' || (format === 'auto' && isHeader)) {
      if (!isHeader) throw new WebRnnError('BAD_FILE', `word2vec text format: line 1 must be "<count> <dim>", got ${JSON.stringify(lines[0]?.slice(0, 60))}`);
      expected = Number(header[0]);
      dim = Number(header[1]);
      if (dim < 1) throw new WebRnnError('BAD_FILE', 'word2vec text format: dim must be positive');
      start = 1;
    }
    const words: string[] = [];
    const values: number[] = [];
    const seen = new Set<string>();
    let rows = 0;
    const max = opts.max_words ?? Infinity;
    for (let l = start; l < lines.length && words.length < max; l++) {
      const line = lines[l].replace(/\s+$/, '');
      if (line === '') continue;
      const parts = line.split(' ');
      if (dim === 0) {
        // GloVe: the vector length is the trailing run of numeric fields on the first line
        let n = 0;
        while (n < parts.length - 1 && isNumber(parts[parts.length - 1 - n])) n++;
        if (n === 0) throw new WebRnnError('BAD_FILE', `line ${l + 1}: expected "word v1 … vE", got ${JSON.stringify(line.slice(0, 60))}`);
        dim = n;
      }
      if (parts.length < dim + 1) throw new WebRnnError('BAD_FILE', `line ${l + 1}: ${parts.length - 1} values after the word, expected ${dim}`);
      const word = parts.slice(0, parts.length - dim).join(' ');
      const nums = parts.slice(parts.length - dim).map(Number);
      if (nums.some((x) => !Number.isFinite(x)) || word === '') throw new WebRnnError('BAD_FILE', `line ${l + 1}: expected a word and ${dim} numbers, got ${JSON.stringify(line.slice(0, 60))}`);
      rows++;
      if (seen.has(word)) continue;
      seen.add(word);
      words.push(word);
      for (const x of nums) values.push(x);
    }
    if (words.length === 0) throw new WebRnnError('BAD_FILE', 'no word vectors in the text');
    if (expected !== undefined && opts.max_words === undefined && rows !== expected) {
      throw new WebRnnError('BAD_FILE', `word2vec text format: the header says ${expected} words, the file has ${rows}`);
    }
    return new WordVectors(words, Float32Array.from(values), dim);
  }

  private resolve(x: string | ArrayLike<number>): ArrayLike<number> {
    if (typeof x === 'string') return this.vector(x);
    if (x.length !== this.dim) throw new WebRnnError('BAD_SHAPE', `WordVectors: a query vector needs ${this.dim} values, got ${x.length}`);
    return x;
  }

  private rowNorms(): Float64Array {
    if (!this.norms) {
      const n = new Float64Array(this.size);
      for (let i = 0; i < this.size; i++) {
        let s = 0;
        for (let d = 0; d < this.dim; d++) s += this.data[i * this.dim + d] ** 2;
        n[i] = Math.sqrt(s);
      }
      this.norms = n;
    }
    return this.norms;
  }
}

function isNumber(s: string): boolean {
  return s !== '' && Number.isFinite(Number(s));
}
