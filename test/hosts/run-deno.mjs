// Runs the GPU cases in Deno (navigator.gpu, wgpu): bundles entry.ts, runs it with the deno binary
// from npm, and reads back the one JSON line it prints. Progress goes to the child's stderr.
// Standalone: node test/hosts/run.mjs deno
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleFor } from './bundle.mjs';
import { asHostReport, hostEnv } from './host-report.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// npm 11 does not run the `deno` package's postinstall, so node_modules/.bin/deno is only a shim:
// call the platform package's binary directly.
const denoTarget = `${process.platform}-${process.arch}${process.platform === 'linux' ? '-glibc' : ''}`;
export const denoBinary = join(root, 'node_modules', '@deno', denoTarget, process.platform === 'win32' ? 'deno.exe' : 'deno');

/**
 * @param {{ filter?: string, timeoutMs?: number, onLog?: (line: string) => void, entry?: string, env?: Record<string, string> }} [opts]
 *   entry: the file of test/hosts/ to bundle and run (default entry.ts); env: more environment for it
 * @returns {Promise<import('./host-report.mjs').HostRun>}
 */
export async function runInDeno(opts = {}) {
  const t0 = performance.now();
  if (!existsSync(denoBinary)) throw new Error(`deno binary missing at ${denoBinary} (run npm run setup)`);
  const { file, ms: bundleMs } = await bundleFor('deno', opts.entry);
  const env = { ...hostEnv(), DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1', WEBRNN_CASES: opts.filter ?? '', ...opts.env };
  // --no-config: the bundle is self-contained; keep Deno from reading the repo's package.json.
  const args = ['run', '--no-config', '--allow-read', '--allow-env', file];
  /** @type {string[]} */
  const logs = [];
  const child = spawn(denoBinary, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderrTail = '';
  child.stdout.setEncoding('utf8').on('data', (s) => { stdout += s; });
  child.stderr.setEncoding('utf8').on('data', (s) => {
    const lines = (stderrTail + s).split('\n');
    stderrTail = lines.pop() ?? '';
    for (const l of lines) { logs.push(l); opts.onLog?.(l); }
  });
  const timeoutMs = opts.timeoutMs ?? 15 * 60_000;
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
  try {
    const [code, signal] = await new Promise((ok, fail) => {
      child.once('error', fail);
      child.once('close', (c, s) => ok([c, s]));
    });
    if (stderrTail) { logs.push(stderrTail); opts.onLog?.(stderrTail); }
    if (timedOut) throw new Error(`deno run timed out after ${timeoutMs} ms\n${logs.slice(-20).join('\n')}`);
    const line = stdout.split('\n').reverse().find((l) => l.startsWith('{'));
    if (!line) throw new Error(`deno exited (code ${code}, signal ${signal}) without a report\nstdout: ${stdout.slice(-2000)}\nstderr: ${logs.slice(-30).join('\n')}`);
    const report = asHostReport(JSON.parse(line));
    if (code !== 0 && !report.error) report.error = `deno exited with code ${code}`;
    return { report, logs, bundleMs, totalMs: performance.now() - t0 };
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
