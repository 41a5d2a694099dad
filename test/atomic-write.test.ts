import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../src/io/atomic-write.js';

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
    await expect(writeFileAtomic(join(dir, 'nope', 'a.bin'), bytes('x'))).rejects.toThrow(/ENOENT/);
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
});
