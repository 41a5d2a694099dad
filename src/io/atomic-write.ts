/**
 * Node-only: replace a file so that readers see either the old contents or the complete new ones,
 * never a partial file — even if the process dies or the machine loses power mid-write.
 * Kept apart from the rest of src/io so browser bundles never import node:fs.
 */
import { open, readdir, rename, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `data` to a temporary file in the target's directory (same file system, so the rename is
 * atomic), fsyncs it, renames it over `path`, then fsyncs the directory so the rename itself is
 * durable. On any failure the temporary file is removed and the target is left untouched.
 *
 * @example
 * await writeFileAtomic('result.safetensors', serializeSafetensors(tensors));
 */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  // 'wx': fail rather than follow a link or clobber a file someone else placed at the temp name.
  const fh = await open(tmp, 'wx', 0o666);
  try {
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await syncDirectory(dir);
  await removeStaleTemps(dir, basename(path));
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

function processExists(pid: number): boolean {
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
