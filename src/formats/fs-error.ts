/**
 * Node-only: file-system failures (ENOSPC, EROFS, EACCES, ENOENT …) as WebRnnError('BAD_FILE') with a
 * message that names the path and says what to do, instead of a raw Node exception.
 */
import type { Stats } from 'node:fs';
import { WebRnnError } from '../errors.js';

const WHAT: Record<string, string> = {
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'is a folder',
  EACCES: 'permission denied (check the owner and mode of the file and its folder)',
  EPERM: 'operation not permitted (check the owner and mode of the file and its folder)',
  ENOSPC: 'no space left on the device (free some space or write elsewhere)',
  EDQUOT: 'disk quota exceeded (free some space or write elsewhere)',
  EROFS: 'read-only file system (write elsewhere)',
  EFBIG: 'file too large for this file system',
  EMFILE: 'too many open files (raise the limit with ulimit -n)',
  ENFILE: 'too many open files in the system',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EIO: 'input/output error (a failing disk or a lost network mount?)',
  EBUSY: 'resource busy',
  ETXTBSY: 'text file busy',
  EXDEV: 'cannot rename across file systems',
};

/** "no such file or folder (ENOENT)" for a Node fs error; its message for anything else. */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code && Object.hasOwn(WHAT, code)) return `${WHAT[code]} (${code})`;
  return (e as Error)?.message ?? String(e);
}

/**
 * `e` as WebRnnError('BAD_FILE'): "cannot <action> <path>: <what went wrong>". A WebRnnError passes
 * through unchanged.
 *
 * @example
 * try { await writeFile(p, data); } catch (e) { throw fsError(e, 'write', p); }
 */
export function fsError(e: unknown, action: string, path: string): WebRnnError {
  if (e instanceof WebRnnError) return e;
  return new WebRnnError('BAD_FILE', `cannot ${action} ${path}: ${describeFsError(e)}`);
}

/** What a file that is not a regular file is, for messages: "a named pipe (FIFO)", "a character device" … */
export function fileKind(st: Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}
