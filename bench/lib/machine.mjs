// The CPU's name for the rows of CPU engines (Node only).
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
