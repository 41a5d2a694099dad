/**
 * Node-only: replace a file so that readers see either the old contents or the complete new ones,
 * never a partial file — even if the process dies or the machine loses power mid-write.
 * Kept apart from the rest of src/formats so browser bundles never import node:fs.
 */
import { constants } from 'node:fs';
import { access, lstat, open, readdir, realpath, rename, stat, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { WebRnnError } from '../errors.js';
import { fileKind, fsError } from './fs-error.js';

/** The file a write replaces, and what to keep of it. */
export interface OutputTarget {
  /** The regular file to replace: the path itself, or the target of a symbolic link. */
  path: string;
  /** Permission bits of the file being replaced (undefined for a new file: the umask applies). */
  mode?: number;
}

/**
 * Where a write to `path` goes, checked before any work is done: its folder exists and is writable;
 * an existing regular file is replaced (keeping its permission bits); a symbolic link to a regular
 * file is written through (the link stays, its target is replaced atomically in the target's
 * folder); anything else there — a folder, a FIFO, a device, a socket, a dangling link — is refused
 * with WebRnnError('BAD_FILE'). `what` names the option in messages (e.g. "--out").
 *
 * @example
 * const out = process.argv[2] ?? 'model.safetensors';
 * await checkOutputTarget(out, '--out'); // before reading inputs or touching the GPU
 */
export async function checkOutputTarget(path: string, what = ''): Promise<OutputTarget> {
  const name = what ? `${what} ${path}` : path;
  const refuse = (why: string) => new WebRnnError('BAD_FILE', `cannot write ${name}: ${why}`);
  let target = resolve(path);
  let st;
  try {
    st = await lstat(target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError(e, 'write', name);
  }
  if (st?.isSymbolicLink()) {
    try {
      target = await realpath(target);
      st = await stat(target);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw refuse('is a symbolic link to a missing file (remove the link or give another path)');
      throw fsError(e, 'write', name);
    }
    if (!st.isFile()) throw refuse(`is a symbolic link to ${target}, which is ${fileKind(st)}; webrnn replaces only regular files`);
  }
  if (st?.isDirectory()) throw refuse('is a directory (give a file name)');
  if (st && !st.isFile()) throw refuse(`is ${fileKind(st)}; webrnn replaces only regular files (give a file path)`);
  const dir = dirname(target);
  const d = await stat(dir).catch(() => undefined);
  if (!d?.isDirectory()) throw refuse(`directory ${dir} does not exist`);
  try {
    await access(dir, constants.W_OK);
  } catch (e) {
    throw fsError(e, 'write', name);
  }
  return st ? { path: target, mode: st.mode & 0o777 } : { path: target };
}

/**
 * Writes `data` to a temporary file in the target's directory (same file system, so the rename is
 * atomic), fsyncs it, renames it over `path`, then fsyncs the directory so the rename itself is
 * durable. On any failure the temporary file is removed and the target is left untouched.
 * The target is checked first ({@link checkOutputTarget}): a replaced file keeps its permission
 * bits, a symbolic link is written through, a folder, FIFO or device is refused. File-system
 * failures (ENOSPC, EROFS, EACCES …) are WebRnnError('BAD_FILE') naming `path`.
 *
 * @example
 * const bytes = serializeSafetensors({ weight: { dtype: 'F32', shape: [2, 3], data: new Float32Array(6) } });
 * await writeFileAtomic('result.safetensors', bytes);
 */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const target = await checkOutputTarget(path);
  const dir = dirname(target.path);
  const base = basename(target.path);
  const tmp = join(dir, `.${base}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    // 'wx': fail rather than follow a link or clobber a file someone else placed at the temp name.
    const fh = await open(tmp, 'wx', 0o666);
    try {
      try {
        if (target.mode !== undefined) await fh.chmod(target.mode);
        await fh.writeFile(data);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, target.path);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
  } catch (e) {
    throw fsError(e, 'write', path);
  }
  await syncDirectory(dir);
  await removeStaleTemps(dir, base);
}

/**
 * A process killed mid-write (SIGKILL, power loss) leaves its temporary file behind; a trainer saving
 * every few steps would collect them forever. After each successful write, temporary files of the
 * same target whose writer process is gone are removed. Files of live processes are kept, and so is
 * anything whose owner cannot be told (another user's process, a pid reused).
 */
async function removeStaleTemps(dir: string, base: string): Promise<void> {
  const prefix = `.${base}.`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const m = /^(\d+)\.[0-9a-f]{12}\.tmp$/.exec(name.slice(prefix.length));
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processExists(pid)) continue;
    await unlink(join(dir, name)).catch(() => undefined);
  }
}

/** Whether process `pid` is alive (one of another user counts as alive). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

async function syncDirectory(dir: string): Promise<void> {
  // Directories cannot be opened for fsync on every platform (Windows); the data is already safe
  // on disk, only the rename's durability is best-effort there.
  try {
    const dh = await open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch {
    /* best effort */
  }
}
