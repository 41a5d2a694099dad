/** The `webrnn` command line in a child process, for tests (needs `npm run build`). */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'webrnn.js');
export const CLI_ENV = { ...process.env, NODE_NO_WARNINGS: '1' };

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs webrnn with `args`, killed after `timeout` ms (a run that never ends shows up as status null). */
export function webrnn(args: string[], timeout = 120_000): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout, env: CLI_ENV });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Exit status `status` and exactly one stderr line, "webrnn: …", matching `message`. */
export function failsWithOneLine(r: CliResult, message: RegExp, status = 1): void {
  expect(r.status, r.stderr).toBe(status);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('Warning: max'));
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^webrnn: /);
  expect(lines[0]).toMatch(message);
}
