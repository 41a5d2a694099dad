/** File reading, output-path checks and tensor conversions shared by the CLI commands. */
import { stat } from 'node:fs/promises';
import { WebRnnError } from '../errors.js';
import { checkOutputTarget } from '../formats/atomic-write.js';
import { MAX_BINARY_BYTES, readRegularFile } from '../formats/file-read.js';
import { toFloat32, type SafeTensor } from '../formats/safetensors.js';

export const fmt = (shape: readonly number[]) => `[${shape.join(', ')}]`;
export const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Reads a whole input file: a regular file of at most `maxBytes` bytes (see src/formats/file-read.ts);
 * `what` names the option in the message (e.g. --config).
 */
export async function readInput(path: string, what: string, maxBytes = MAX_BINARY_BYTES): Promise<Uint8Array> {
  return readRegularFile(path, what, maxBytes);
}

/** Reads a UTF-8 text input file (e.g. a JSON config) of at most `maxBytes` bytes. */
export async function readText(path: string, what: string, maxBytes: number): Promise<string> {
  const bytes = await readInput(path, what, maxBytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new WebRnnError('BAD_FILE', `${path}: not valid UTF-8`);
  }
}

/**
 * Checked before any work: the output can be written (folder exists and is writable; not a folder,
 * FIFO or device — see checkOutputTarget) and is none of the `inputs` (an output that is also an
 * input would be replaced by the result).
 */
export async function checkOutputPath(out: string, inputs: readonly { path: string; what: string }[] = [], what = '--out'): Promise<void> {
  const target = await checkOutputTarget(out, what);
  if (target.mode === undefined) return; // a new file is no input
  const o = await stat(target.path, { bigint: true });
  for (const input of inputs) {
    const i = await stat(input.path, { bigint: true }).catch(() => undefined);
    if (i && i.dev === o.dev && i.ino === o.ino) {
      throw new WebRnnError('BAD_FILE', `cannot write ${what} ${out}: it is the ${input.what} file ${input.path}, which the result would replace; write the result elsewhere`);
    }
  }
}

/** A float tensor as Float32Array; conversion problems are BAD_FILE errors naming `what`. */
export function floatTensor(t: SafeTensor, what: string): Float32Array {
  try {
    return toFloat32(t, what);
  } catch (e) {
    if (e instanceof WebRnnError) throw new WebRnnError('BAD_FILE', e.message);
    throw e;
  }
}

/** Parses a JSON file's text that must hold an object; `like` shows one in the message (BAD_CONFIG). */
export function parseJsonObject(text: string, file: string, like: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new WebRnnError('BAD_CONFIG', `${file}: not valid JSON (${(e as Error).message})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new WebRnnError('BAD_CONFIG', `${file}: must be a JSON object ${like}`);
  return raw as Record<string, unknown>;
}
