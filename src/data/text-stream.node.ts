/**
 * Text files larger than memory, in Node: UTF-8 chunks that never split a character, encoding chunk
 * by chunk, vocabularies counted chunk by chunk, and the truncated-BPTT windows of a whole file.
 * The only file of src/data with node: imports; everything it builds on (Vocab, StreamEncoder,
 * bpttLayout, windowFromColumns) is platform-neutral, so a browser can do the same over a
 * ReadableStream.
 */
import type { FileHandle } from 'node:fs/promises';
import { WebRnnError } from '../errors.js';
import { openRegularFile } from '../formats/file-read.js';
import { bpttLayout, bpttWindowSteps, windowFromColumns, type BpttLayout, type BpttOptions, type BpttWindow } from './batching.js';
import { describe, intOption, optionsOf } from '../checks.js';
import { utf8Length } from './tokenizer.js';
import { TokenCounter, type StreamEncoder, type Vocab, type VocabOptions } from './vocab.js';

/** A piece of a file's text with the bytes it came from. */
export interface TextChunk {
  /** The decoded text (whole characters only). */
  text: string;
  /** Byte offset in the file of the chunk's first byte (a UTF-8 BOM at offset 0 is skipped, not counted in text). */
  start: number;
  /** Byte offset just past the chunk's last byte. */
  end: number;
}

/** Options of {@link readTextChunks}. */
export interface ReadTextOptions {
  /** Bytes read per chunk (default 65536; ≥ 4, so a chunk always holds a whole character). */
  chunk_bytes?: number;
  /** Byte offset to start from (default 0); must be a character boundary. */
  start?: number;
}

const DEFAULT_CHUNK = 65536;

function chunkBytes(what: string, v: unknown): number {
  return intOption(what, 'chunk_bytes', v, { default: DEFAULT_CHUNK, min: 4, max: 1 << 30, voice: 'option' });
}

function badFile(path: string, e: unknown): WebRnnError {
  if (e instanceof WebRnnError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err?.code) return new WebRnnError('BAD_FILE', `${path}: ${err.code} (${err.message})`);
  return new WebRnnError('BAD_FILE', `${path}: ${(e as Error)?.message ?? String(e)}`);
}

/**
 * Reads UTF-8 text from a file handle in chunks of at most `chunkBytes` bytes, cut only at character
 * boundaries: the 1–3 bytes of a character cut by a read are carried into the next read. Memory: one
 * buffer of chunkBytes plus the chunk's string. Invalid UTF-8 is WebRnnError('BAD_FILE').
 */
class Utf8ChunkReader {
  private readonly buf: Uint8Array;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  private carry = 0;
  private pos: number;
  private first: boolean;

  constructor(
    private readonly fh: FileHandle,
    private readonly path: string,
    start: number,
    chunkBytes: number,
  ) {
    this.buf = new Uint8Array(chunkBytes);
    this.pos = start;
    this.first = start === 0;
  }

  async next(): Promise<TextChunk | undefined> {
    for (;;) {
      const { bytesRead } = await this.fh.read(this.buf, this.carry, this.buf.length - this.carry, this.pos);
      const total = this.carry + bytesRead;
      const start = this.pos - this.carry;
      this.pos += bytesRead;
      if (total === 0) return undefined;
      if (bytesRead === 0) throw new WebRnnError('BAD_FILE', `${this.path}: ends inside a multi-byte UTF-8 character (${total} byte(s) at offset ${start})`);
      const cut = completeUpTo(this.buf, total);
      if (cut === 0) {
        this.carry = total; // a character's first bytes only; read on
        continue;
      }
      let skip = 0;
      if (this.first && cut >= 3 && this.buf[0] === 0xef && this.buf[1] === 0xbb && this.buf[2] === 0xbf) skip = 3;
      this.first = false;
      let text: string;
      try {
        text = this.decoder.decode(this.buf.subarray(skip, cut));
      } catch (e) {
        throw new WebRnnError('BAD_FILE', `${this.path}: not valid UTF-8 between byte offsets ${start + skip} and ${start + cut} (${(e as Error).message})`);
      }
      this.buf.copyWithin(0, cut, total);
      this.carry = total - cut;
      return { text, start: start + skip, end: start + cut };
    }
  }
}

/** Length of the longest prefix of buf[0..n) that ends at a UTF-8 character boundary. */
function completeUpTo(buf: Uint8Array, n: number): number {
  for (let i = n - 1; i >= Math.max(0, n - 4); i--) {
    const b = buf[i]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte
    const need = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return i + need <= n ? n : i;
  }
  return n; // no lead byte in the last 4: invalid, let the decoder say so
}

/** A regular file, any size (it is streamed); pipes and devices are refused. */
async function openFile(path: string): Promise<FileHandle> {
  if (typeof path !== 'string' || path.length === 0) throw new WebRnnError('BAD_VALUE', `expected a file path, got ${describe(path)}`);
  return (await openRegularFile(path, 'text file', Number.POSITIVE_INFINITY)).fh;
}

/**
 * The text of a UTF-8 file in chunks of at most chunk_bytes bytes, never splitting a multi-byte
 * character (an emoji cut by a read comes whole at the start of the next chunk); a leading BOM is
 * skipped. Holds one chunk in memory. The file is closed when the loop ends or breaks.
 * @example
 * let n = 0;
 * for await (const { text } of readTextChunks('corpus.txt', { chunk_bytes: 1 << 20 })) n += text.length;
 */
export function readTextChunks(path: string, opts?: ReadTextOptions): AsyncGenerator<TextChunk, void, undefined> {
  const o = optionsOf('readTextChunks', opts, ['chunk_bytes', 'start'], { voice: 'option' });
  const size = chunkBytes('readTextChunks', o.chunk_bytes);
  const start = intOption('readTextChunks', 'start', o.start, { default: 0, min: 0, voice: 'option' });
  return (async function* () {
    const fh = await openFile(path);
    try {
      const reader = new Utf8ChunkReader(fh, path, start, size);
      for (;;) {
        let chunk: TextChunk | undefined;
        try {
          chunk = await reader.next();
        } catch (e) {
          throw badFile(path, e);
        }
        if (!chunk) return;
        yield chunk;
      }
    } finally {
      await fh.close();
    }
  })();
}

/**
 * The token ids of a file, encoded chunk by chunk with `vocab` (equal, concatenated, to
 * vocab.encode(whole file text)); O(chunk) memory. Empty arrays are not yielded.
 * @example
 * let total = 0;
 * for await (const ids of encodeFile('corpus.txt', vocab)) total += ids.length;
 */
export function encodeFile(path: string, vocab: Vocab, opts?: { chunk_bytes?: number }): AsyncGenerator<Int32Array, void, undefined> {
  const o = optionsOf('encodeFile', opts, ['chunk_bytes'], { voice: 'option' });
  const size = chunkBytes('encodeFile', o.chunk_bytes);
  const encoder = vocab.encoder();
  return (async function* () {
    for await (const { text } of readTextChunks(path, { chunk_bytes: size })) {
      const ids = encoder.push(text);
      if (ids.length > 0) yield ids;
    }
    const rest = encoder.end();
    if (rest.length > 0) yield rest;
  })();
}

/**
 * A vocabulary counted over a whole file chunk by chunk (same result as Vocab.fromText on the whole
 * text); memory: one chunk plus one entry per distinct token.
 * @example const vocab = await buildVocabFromFile('corpus.txt', { level: 'char' });
 */
export async function buildVocabFromFile(path: string, opts: VocabOptions & { chunk_bytes?: number }): Promise<Vocab> {
  const o = optionsOf('buildVocabFromFile', opts, ['level', 'lowercase', 'min_count', 'max_size', 'bos', 'chunk_bytes'], { voice: 'option' });
  const size = chunkBytes('buildVocabFromFile', o.chunk_bytes);
  const counter = new TokenCounter({ level: o.level!, lowercase: o.lowercase });
  for await (const { text } of readTextChunks(path, { chunk_bytes: size })) counter.push(text);
  counter.end();
  return counter.toVocab({ min_count: o.min_count, max_size: o.max_size, bos: o.bos });
}

/** Options of {@link openBpttFile}. */
export interface BpttFileOptions extends BpttOptions {
  /** Bytes per read (default 65536). */
  chunk_bytes?: number;
}

/** The truncated-BPTT windows of a file; iterate with for await (each iteration reads the file anew). */
export interface BpttFile extends AsyncIterable<BpttWindow> {
  /** The layout over the file's N tokens (N counted when opened). */
  readonly layout: BpttLayout;
}

/**
 * A file's token stream in the layout of {@link bpttLayout} — the same windows as
 * bpttWindows(vocab.encode(whole text)) — without holding the file: opening counts the tokens in one
 * pass, remembering for every chunk the byte offset and token index where a fresh encoder can
 * start; iterating reads the B streams with B cursors (one file handle, positional reads), each
 * starting at its stream's first token. Memory: O(B · chunk) for the cursors plus two numbers per
 * chunk of the file (e.g. 256 KiB for 1 GiB at 64 KiB chunks). The file must not change meanwhile.
 * @example
 * const data = await openBpttFile('corpus.txt', vocab, { batch_size: 32, bptt: 100 });
 * console.log(data.layout.windows, 'windows per epoch');
 * let h: Tensor | undefined;
 * for await (const w of data) {
 *   // each epoch (index 0) starts from zeros; train on w.inputs / w.targets as with bpttWindows
 *   const { h_n } = gru.forward(emb.forward(w.inputs, w.shape), { h0: w.index === 0 ? undefined : h });
 *   h?.dispose();
 *   h = h_n.clone();
 * }
 */
export async function openBpttFile(path: string, vocab: Vocab, opts: BpttFileOptions): Promise<BpttFile> {
  if (opts === undefined) throw new WebRnnError('BAD_VALUE', 'openBpttFile: options with batch_size and bptt are required');
  const o = optionsOf('openBpttFile', opts, ['batch_size', 'bptt', 'drop_last', 'batch_first', 'chunk_bytes'], { voice: 'option' });
  const size = chunkBytes('openBpttFile', o.chunk_bytes);
  const bo: BpttOptions = { batch_size: o.batch_size!, bptt: o.bptt!, drop_last: o.drop_last, batch_first: o.batch_first };
  bpttLayout(Number.MAX_SAFE_INTEGER, bo); // options checked before reading

  // Pass 1: count tokens; checkpoint k = (byte offset, tokens before it) where a fresh encoder
  // gives exactly the tokens that follow (the encoder holds nothing back there).
  const ckBytes: number[] = [];
  const ckTokens: number[] = [];
  const checkpoint = (byte: number, tokens: number): void => {
    ckBytes.push(byte);
    ckTokens.push(tokens);
  };
  checkpoint(0, 0);
  const encoder = vocab.encoder();
  let N = 0;
  for await (const chunk of readTextChunks(path, { chunk_bytes: size })) {
    N += encoder.push(chunk.text).length;
    checkpoint(chunk.end - utf8Length(encoder.pending), N);
  }
  N += encoder.end().length;
  const layout = bpttLayout(N, bo);

  /** The last checkpoint at or before token index `tok`. */
  const findCheckpoint = (tok: number): number => {
    let lo = 0;
    let hi = ckTokens.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ckTokens[mid]! <= tok) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };

  return {
    layout,
    async *[Symbol.asyncIterator]() {
      const fh = await openFile(path);
      try {
        const { batch_size: B, bptt: T, stream_length: L } = layout;
        const cursors: ColumnCursor[] = [];
        for (let b = 0; b < B; b++) {
          const k = findCheckpoint(b * L);
          const c = new ColumnCursor(new Utf8ChunkReader(fh, path, ckBytes[k]!, size), vocab.encoder(), path);
          await c.skip(b * L - ckTokens[k]!);
          cursors.push(c);
        }
        for (let k = 0; k < layout.windows; k++) {
          const steps = bpttWindowSteps(layout, k);
          const cols: Int32Array[] = [];
          for (const c of cursors) cols.push(await c.peek(steps + 1));
          yield windowFromColumns(cols, k, k * T, layout.batch_first);
          for (const c of cursors) c.advance(steps);
        }
      } catch (e) {
        throw badFile(path, e);
      } finally {
        await fh.close();
      }
    },
  };
}

/** One stream's reader: encodes chunks on demand and keeps the ids not yet consumed. */
class ColumnCursor {
  private queue = new Int32Array(1024);
  private head = 0;
  private tail = 0;
  private done = false;

  constructor(
    private readonly reader: Utf8ChunkReader,
    private readonly encoder: StreamEncoder,
    private readonly path: string,
  ) {}

  /** The next n ids, without consuming them. */
  async peek(n: number): Promise<Int32Array> {
    while (this.tail - this.head < n) {
      if (this.done) throw new WebRnnError('BAD_FILE', `${this.path}: has fewer tokens than when it was opened (changed while being read?)`);
      const chunk = await this.reader.next();
      if (chunk) this.append(this.encoder.push(chunk.text));
      else {
        this.append(this.encoder.end());
        this.done = true;
      }
    }
    return this.queue.subarray(this.head, this.head + n);
  }

  advance(n: number): void {
    this.head += n;
  }

  async skip(n: number): Promise<void> {
    while (n > 0) {
      await this.peek(1);
      const k = Math.min(n, this.tail - this.head);
      this.advance(k);
      n -= k;
    }
  }

  private append(ids: Int32Array): void {
    const live = this.tail - this.head;
    if (this.tail + ids.length > this.queue.length) {
      const need = live + ids.length;
      if (need > this.queue.length) {
        const q = new Int32Array(2 * need);
        q.set(this.queue.subarray(this.head, this.tail));
        this.queue = q;
      } else this.queue.copyWithin(0, this.head, this.tail);
      this.head = 0;
      this.tail = live;
    }
    this.queue.set(ids, this.tail);
    this.tail += ids.length;
  }
}
