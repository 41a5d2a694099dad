/**
 * File-system failures on demand, for tests: with
 *   vi.mock('node:fs/promises', (orig) => import('./helpers/fs-fault.js').then((m) => m.faultyFsPromises(orig)));
 * every open() of a path containing `fsFault.match` fails with `fsFault.code` (e.g. ENOSPC) while
 * `fsFault.code` is set; everything else is the real module.
 */
export const fsFault = { code: undefined as string | undefined, match: '' };

export async function faultyFsPromises(importOriginal: <T>() => Promise<T>): Promise<typeof import('node:fs/promises')> {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const open = (async (...args: Parameters<typeof fs.open>) => {
    if (fsFault.code && String(args[0]).includes(fsFault.match)) throw Object.assign(new Error(`${fsFault.code}: injected, open '${String(args[0])}'`), { code: fsFault.code });
    return fs.open(...args);
  }) as typeof fs.open;
  return { ...fs, open, default: { ...fs, open } } as typeof import('node:fs/promises');
}
