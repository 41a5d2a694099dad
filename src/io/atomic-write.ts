/**
 * Node-only: replace a file so that readers see either the old contents or the complete new ones,
 * never a partial file — even if the process dies or the machine loses power mid-write.
 * Kept apart from the rest of src/io so browser bundles never import node:fs.
 */
import { open, rename, unlink } from 'node:fs/promises';
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
