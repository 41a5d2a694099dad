/** File reading, output-path checks and tensor conversions shared by the CLI commands. */
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { WebRnnError } from '../errors.js';
import { toFloat32, type SafeTensor } from '../io/safetensors.js';

export const fmt = (shape: readonly number[]) => `[${shape.join(', ')}]`;
export const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT': return 'no such file';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'is a directory';
    default: return (e as Error)?.message ?? String(e);
  }
}

/** Reads a whole input file; `what` names the option in the message (e.g. --config). */
export async function readInput(path: string, what: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new WebRnnError('BAD_FILE', `cannot read ${what} ${path}: ${describeFsError(e)}`);
  }
}

/** Reads a UTF-8 text input file (e.g. a JSON config). */
export async function readText(path: string, what: string): Promise<string> {
  const bytes = await readInput(path, what);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new WebRnnError('BAD_FILE', `${path}: not valid UTF-8`);
  }
}

/** The output's folder must exist and the path must not be a folder — checked before any work. */
export async function checkOutputPath(out: string): Promise<void> {
  const dir = dirname(resolve(out));
  const d = await stat(dir).catch(() => undefined);
  if (!d?.isDirectory()) throw new WebRnnError('BAD_FILE', `cannot write --out ${out}: directory ${dir} does not exist`);
  const f = await stat(out).catch(() => undefined);
  if (f?.isDirectory()) throw new WebRnnError('BAD_FILE', `cannot write --out ${out}: is a directory`);
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
