/**
 * Node-only: reading the files a user names, bounded. Every input must be a regular file (a FIFO,
 * a device such as /dev/zero, a socket or a folder is refused before a byte is read) of at most a
 * stated size; the size is taken from the open file (fstat) and exactly that many bytes are read
 * from the same descriptor, so a file that grows while being read cannot make a read unbounded.
 * Kept apart from the rest of src/formats so browser bundles never import node:fs.
 */
import { constants, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { WebRnnError } from '../errors.js';
import { fileKind, fsError } from './fs-error.js';
import { checkSafetensorsHeader, safetensorsHeaderBytes } from './safetensors.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** JSON files: configs, model.json, vocab.json, a tfjs model.json (64 MiB). */
export const MAX_JSON_BYTES = 64 * MiB;
/** Text read whole: `train --data`, `--val`, `eval --data` (256 MiB; larger corpora: openBpttFile streams). */
export const MAX_TEXT_BYTES = 256 * MiB;
/** Binary files: safetensors, checkpoints, ONNX models, tfjs weight files (4 GiB, the largest buffer Node holds). */
export const MAX_BINARY_BYTES = 4 * GiB;

/** "1.5 GiB", "12 MiB", "300 bytes" */
function size(n: number): string {
  if (n >= GiB) return `${+(n / GiB).toFixed(1)} GiB`;
  if (n >= MiB) return `${+(n / MiB).toFixed(1)} MiB`;
  return `${n} bytes`;
}

function refuse(what: string, path: string, why: string): WebRnnError {
  return new WebRnnError('BAD_FILE', `cannot read ${what} ${path}: ${why}`);
}

function checkStats(st: Stats, what: string, path: string, maxBytes: number): void {
  if (!st.isFile()) throw refuse(what, path, `is ${fileKind(st)}, not a regular file (give a file; pipes and devices are not read)`);
  if (st.size > maxBytes) throw refuse(what, path, `is ${size(st.size)}, more than the ${size(maxBytes)} webrnn reads for it`);
}

// O_NONBLOCK: opening a FIFO for reading would wait for a writer; with it, open returns and fstat refuses it.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/**
 * Opens a regular file of at most `maxBytes` bytes for reading; returns the handle and its size.
 * `what` names the option in messages (e.g. "--input"). Symbolic links are followed (the target
 * must be a regular file). Close the handle when done.
 */
export async function openRegularFile(path: string, what: string, maxBytes = MAX_BINARY_BYTES): Promise<{ fh: FileHandle; size: number }> {
  if (typeof path !== 'string' || path.length === 0) throw new WebRnnError('BAD_VALUE', `${what}: expected a file path, got ${JSON.stringify(path)}`);
  // stat before open: a device is never opened (opening some has side effects)
  let st: Stats;
  try {
    st = await stat(path);
  } catch (e) {
    throw fsError(e, `read ${what}`, path);
  }
  checkStats(st, what, path, maxBytes);
  let fh: FileHandle;
  try {
    fh = await open(path, OPEN_FLAGS);
  } catch (e) {
    throw fsError(e, `read ${what}`, path);
  }
  try {
    const fst = await fh.stat();
    checkStats(fst, what, path, maxBytes); // the file opened, not the one stat'ed a moment ago
    return { fh, size: fst.size };
  } catch (e) {
    await fh.close();
    throw fsError(e, `read ${what}`, path);
  }
}

/** Reads exactly `into.length` bytes at `position` (the file shrinking meanwhile is an error). */
async function readFully(fh: FileHandle, into: Uint8Array, position: number, what: string, path: string): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const n = Math.min(into.length - done, GiB);
    let bytesRead: number;
    try {
      ({ bytesRead } = await fh.read(into, done, n, position + done));
    } catch (e) {
      throw fsError(e, `read ${what}`, path);
    }
    if (bytesRead === 0) throw refuse(what, path, `ended after ${position + done} bytes (did it change while being read?)`);
    done += bytesRead;
  }
}

/**
 * A whole regular file of at most `maxBytes` bytes.
 *
 * @example
 * const config = JSON.parse(new TextDecoder().decode(await readRegularFile('config.json', '--config', MAX_JSON_BYTES)));
 */
export async function readRegularFile(path: string, what: string, maxBytes = MAX_BINARY_BYTES): Promise<Uint8Array> {
  const { fh, size } = await openRegularFile(path, what, maxBytes);
  try {
    const bytes = new Uint8Array(size);
    await readFully(fh, bytes, 0, what, path);
    return bytes;
  } finally {
    await fh.close();
  }
}

/**
 * A safetensors file, read header first: the 8-byte length and the header are read and checked
 * against the file's size before the body is read, so a damaged header fails at once whatever the
 * file's size. Parse the result with parseSafetensors.
 */
export async function readSafetensorsFile(path: string, what: string): Promise<Uint8Array> {
  const { fh, size } = await openRegularFile(path, what, MAX_BINARY_BYTES);
  try {
    const first = new Uint8Array(Math.min(8, size));
    await readFully(fh, first, 0, what, path);
    const headBytes = safetensorsHeaderBytes(first, size, path);
    const head = new Uint8Array(headBytes);
    head.set(first);
    await readFully(fh, head.subarray(8), 8, what, path);
    checkSafetensorsHeader(head, size, path);
    const bytes = new Uint8Array(size);
    bytes.set(head);
    await readFully(fh, bytes.subarray(headBytes), headBytes, what, path);
    return bytes;
  } finally {
    await fh.close();
  }
}
