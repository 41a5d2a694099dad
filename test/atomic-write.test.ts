import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebRnnError } from '../src/errors.js';
import { writeFileAtomic } from '../src/formats/atomic-write.js';
import { fsFault as fault } from './helpers/fs-fault.js';

// A file-system failure on demand: open() of a path containing fault.match fails with fault.code.
vi.mock('node:fs/promises', (orig) => import('./helpers/fs-fault.js').then((m) => m.faultyFsPromises(orig)));
afterEach(() => {
  fault.code = undefined;
});

const bytes = (s: string) => new TextEncoder().encode(s);

describe('writeFileAtomic', () => {
  it('writes a new file and leaves no temporary file behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webrnn-atomic-'));
    await writeFileAtomic(join(dir, 'a.bin'), bytes('hello'));
    expect(readFileSync(join(dir, 'a.bin'), 'utf8')).toBe('hello');
    expect(readdirSync(dir)).toEqual(['a.bin']);
  });

  it('replaces an existing file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webrnn-atomic-'));
    writeFileSync(join(dir, 'a.bin'), 'old contents, longer than the new');
    await writeFileAtomic(join(dir, 'a.bin'), bytes('new'));
    expect(readFileSync(join(dir, 'a.bin'), 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['a.bin']);
  });

  it('fails without creating anything when the directory is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webrnn-atomic-'));
    await expect(writeFileAtomic(join(dir, 'nope', 'a.bin'), bytes('x'))).rejects.toThrow(/directory .*nope does not exist/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('removes its temporary file when the final rename fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webrnn-atomic-'));
    mkdirSync(join(dir, 'target'));
    writeFileSync(join(dir, 'target', 'keep'), 'k');
    await expect(writeFileAtomic(join(dir, 'target'), bytes('x'))).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['target']);
    expect(readdirSync(join(dir, 'target'))).toEqual(['keep']);
  });

  it('keeps the mode of the file it replaces (a new file gets the umask)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webrnn-atomic-'));
    const p = join(dir, 'secret.bin');
    writeFileSync(p, 'old');
    chmodSync(p, 0o600);
    await writeFileAtomic(p, bytes('new'));
    expect(statSync(p).mode & 0o777).toBe(0o600);
    const umask = process.umask();
    await writeFileAtomic(join(dir, 'fresh.bin'), bytes('x'));
    expect(statSync(join(dir, 'fresh.bin')).mode & 0o777).toBe(0o666 & ~umask);
  });

  it('refuses a FIFO, leaving it a FIFO (and a link to one)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webrnn-atomic-'));
    const p = join(dir, 'pipe');
    expect(spawnSync('mkfifo', [p]).status).toBe(0);
    await expect(writeFileAtomic(p, bytes('x'))).rejects.toThrow(/is a named pipe \(FIFO\); webrnn replaces only regular files/);
    expect(lstatSync(p).isFIFO()).toBe(true);
    symlinkSync(p, join(dir, 'link'));
    await expect(writeFileAtomic(join(dir, 'link'), bytes('x'))).rejects.toThrow(/symbolic link to .*pipe, which is a named pipe/);
    expect(lstatSync(join(dir, 'link')).isSymbolicLink()).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['link', 'pipe']);
  });

  it('writes through a symbolic link to a regular file (the link stays) and refuses a dangling one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webrnn-atomic-'));
    mkdirSync(join(dir, 'store'));
    writeFileSync(join(dir, 'store', 'real.bin'), 'old');
    symlinkSync(join(dir, 'store', 'real.bin'), join(dir, 'link.bin'));
    await writeFileAtomic(join(dir, 'link.bin'), bytes('new'));
    expect(readlinkSync(join(dir, 'link.bin'))).toBe(join(dir, 'store', 'real.bin'));
    expect(readFileSync(join(dir, 'store', 'real.bin'), 'utf8')).toBe('new');
    expect(readdirSync(join(dir, 'store'))).toEqual(['real.bin']);
    symlinkSync(join(dir, 'missing.bin'), join(dir, 'dangling.bin'));
    await expect(writeFileAtomic(join(dir, 'dangling.bin'), bytes('x'))).rejects.toThrow(/symbolic link to a missing file/);
    expect(lstatSync(join(dir, 'dangling.bin')).isSymbolicLink()).toBe(true);
  });

  it('a full disk (ENOSPC) is a BAD_FILE error naming the path; the old file stays', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webrnn-atomic-'));
    const p = join(dir, 'a.bin');
    writeFileSync(p, 'old');
    fault.code = 'ENOSPC';
    fault.match = '.a.bin.';
    const e = await writeFileAtomic(p, bytes('new')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WebRnnError);
    expect((e as WebRnnError).code).toBe('BAD_FILE');
    expect((e as WebRnnError).message).toMatch(/^cannot write .*a\.bin: no space left on the device \(free some space or write elsewhere\) \(ENOSPC\)$/);
    expect(readFileSync(p, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['a.bin']);
  });
});
