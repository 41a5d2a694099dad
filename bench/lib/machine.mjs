// The CPU's name for the rows of CPU engines, and the checkout's commit (Node only).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

export function cpuName() {
  let name = cpus()[0]?.model ?? '';
  try {
    const m = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) name = m[1].trim();
  } catch { /* not Linux */ }
  return `CPU: ${name || 'unknown'}, ${cpus().length} cores`;
}

/** The checkout's commit (short hash, "+ changes" when the tree differs from it), for the results' meta. */
export function gitCommit(/** @type {string} */ dir) {
  try {
    const run = (/** @type {string[]} */ a) => execFileSync('git', a, { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    return `${run(['rev-parse', '--short', 'HEAD'])}${run(['status', '--porcelain', '--untracked-files=no']) ? ' + changes' : ''}`;
  } catch {
    return 'unknown';
  }
}
