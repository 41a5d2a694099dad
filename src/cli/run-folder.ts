/**
 * The folder a training command writes (`train --out`, `tagger train --out`, `classify train --out`):
 * checked to be a folder of that command before anything is written, created if needed, and locked
 * for the run, so that two trainings never write one folder (the second fails at once, naming the
 * first one's pid). A run that fails before writing anything leaves no folder it created behind.
 */
import { existsSync, readFileSync, rmdirSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { WebRnnError } from '../errors.js';
import { checkOutputTarget, processExists } from '../formats/atomic-write.js';
import { fsError } from '../formats/fs-error.js';

/** The lock file in a run folder while a training runs in it; it holds the trainer's pid. */
export const LOCK_FILE = '.webrnn.lock';
/** How long a lock file without a pid counts as being written by a starting trainer. */
const YOUNG_MS = 10_000;

/** Temporary files of writeFileAtomic (".name.<pid>.<hex>.tmp") and the lock (and a stale one set aside) are not a folder's contents. */
function contents(names: string[]): string[] {
  return names.filter((n) => !n.startsWith(LOCK_FILE) && !/^\..+\.\d+\.[0-9a-f]{12}\.tmp$/.test(n));
}

/**
 * Refuses an --out folder that holds files but is not a run folder of `command`: it must hold
 * `marker` (model.json for train, checkpoint.safetensors for the task trainers) and `check(path of
 * marker)` must accept it (throw to refuse); each of the files the command writes there (`outputs`)
 * must be replaceable (see checkOutputTarget: not a FIFO, folder or dangling link). A missing or
 * empty folder is fine. Nothing is written: this runs before any GPU work.
 */
export async function checkRunFolderKind(dir: string, command: string, marker: string, outputs: readonly string[], check: (path: string) => Promise<void>): Promise<void> {
  let names: string[];
  try {
    names = contents(await readdir(dir));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    throw fsError(e, 'use the run folder', dir);
  }
  if (names.length === 0) return;
  const startOver = `give a new or empty folder with --out (to start over in ${dir}, empty it first)`;
  const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? ', …' : '');
  if (!names.includes(marker)) throw new WebRnnError('BAD_FILE', `--out ${dir} holds files (${shown}) but no ${marker}: it is not a run folder of webrnn ${command}, and they would be overwritten; ${startOver}`);
  try {
    await check(join(dir, marker));
  } catch (e) {
    if (!(e instanceof WebRnnError)) throw e;
    throw new WebRnnError('BAD_FILE', `--out ${dir} is not a run folder of webrnn ${command} (${e.message}); ${startOver}`);
  }
  for (const name of outputs) if (names.includes(name)) await checkOutputTarget(join(dir, name), '--out file');
}

/** A locked run folder; release() when the run ends, whatever the outcome. */
export interface RunFolderClaim {
  release(): Promise<void>;
}

/**
 * Removes a stale lock unless another trainer took the folder meanwhile: the lock is renamed aside
 * first (of two trainers removing the same stale lock, only one moves it) and its pid compared with
 * the stale one; a fresh lock moved by mistake is linked back (never over a newer one).
 */
async function removeStaleLock(lock: string, stale: number | undefined): Promise<void> {
  const aside = `${lock}.${process.pid}.${randomBytes(6).toString('hex')}.stale`;
  try {
    await rename(lock, aside);
  } catch {
    return; // gone: another trainer removed it, and the next attempt sees who holds the folder
  }
  // What was moved must still be the stale lock: the same dead pid, or (without one) an old empty file.
  // A starting trainer's lock is empty for a moment, between its O_EXCL create and its pid.
  const owner = await lockOwner(aside);
  const moved = owner === stale && (stale !== undefined || !(await isYoung(aside)));
  if (!moved) await link(aside, lock).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

/** A lock file written in the last few seconds (a trainer that has not written its pid yet). */
async function isYoung(path: string): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  return info !== undefined && Date.now() - info.mtimeMs < YOUNG_MS;
}

async function lockOwner(lock: string): Promise<number | undefined> {
  const text = await readFile(lock, 'utf8').catch(() => undefined);
  const pid = Number(text?.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Creates `dir` (and its parents) if needed and takes its lock: a file created with O_EXCL that holds
 * this process's pid. A lock whose pid is gone (a killed trainer) is stale and taken over; one of a
 * live process is a WebRnnError('BAD_STATE') naming the pid. release() removes the lock, and the
 * folders this call created when they are still empty (a run rejected before writing anything).
 * The lock is also removed when the process exits early (process.exit after a second Ctrl-C).
 */
export async function claimRunFolder(dir: string, command: string): Promise<RunFolderClaim> {
  let created: string | undefined;
  try {
    created = await mkdir(dir, { recursive: true });
  } catch (e) {
    throw fsError(e, 'create the run folder', dir);
  }
  const removeCreated = () => {
    // innermost first; rmdir refuses a folder that is not empty, which is what we want
    for (let d = dir; created && d.length >= created.length; d = dirname(d)) {
      try {
        rmdirSync(d);
      } catch {
        break;
      }
    }
  };
  const lock = join(dir, LOCK_FILE);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        const fh = await open(lock, 'wx', 0o644);
        try {
          await fh.writeFile(`${process.pid}\n`);
        } finally {
          await fh.close();
        }
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(e, 'lock the run folder', dir);
      }
      const pid = await lockOwner(lock);
      // Gone meanwhile (another trainer set a stale lock aside): try to create it again.
      if (pid === undefined && !existsSync(lock) && attempt < 2) continue;
      // A lock without a pid was just created by a starting trainer (it writes its pid at once),
      // unless it is old: then its writer died in between.
      const young = pid === undefined && (await isYoung(lock));
      if (attempt >= 2 || young || (pid !== undefined && pid !== process.pid && processExists(pid))) {
        throw new WebRnnError(
          'BAD_STATE',
          `${dir} is in use by another webrnn ${command}${pid ? ` (pid ${pid})` : ''}: wait for it to finish or stop it; if none runs, delete ${lock}`,
        );
      }
      await removeStaleLock(lock, pid); // its process is gone
    }
  } catch (e) {
    removeCreated();
    throw e;
  }
  const releaseSync = () => {
    try {
      if (readFileSync(lock, 'utf8').trim() === String(process.pid)) unlinkSync(lock);
    } catch {
      /* already gone */
    }
  };
  process.on('exit', releaseSync);
  return {
    async release() {
      process.off('exit', releaseSync);
      releaseSync();
      removeCreated();
    },
  };
}
