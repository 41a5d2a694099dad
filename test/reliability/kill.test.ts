// Nothing lost: `webrnn train` saving a checkpoint after every step is killed with SIGKILL at seeded
// random moments — half of them the instant a save creates its temporary file (fs.watch), so they land
// inside the write, fsync or rename; after every kill the checkpoint on disk loads and
// is at least as far as the one before, the next run resumes from exactly that step, temporary files
// of killed writers are cleaned up by the next save, and a final run completes normally.
// Needs `npm run build` (scripts/test.sh does it): it runs bin/webrnn.js in child processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { loadCheckpoint } from '../../src/model/checkpoint-file.js';
import { Rng } from '../../src/random.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'webrnn.js');
const KILLS = 10;

const dir = mkdtempSync(join(tmpdir(), 'webrnn-kill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function corpus(): string {
  const rng = new Rng(5);
  const words = 'the quick brown fox jumps over a lazy dog and then runs far away into the green hills where nobody sees it'.split(' ');
  return Array.from({ length: 5000 }, () => words[rng.int(0, words.length - 1)]).join(' ');
}

function trainArgs(data: string, out: string, steps: number): string[] {
  return [
    BIN, 'train', '--data', data, '--out', out, '--steps', String(steps), '--checkpoint-every', '1',
    '--hidden', '16', '--embedding', '8', '--batch', '4', '--bptt', '16', '--layers', '2', '--dropout', '0.1',
    '--eval-every', '1000000', '--sample-every', '1000000', '--minutes', '1000',
  ];
}

interface Child {
  proc: ChildProcess;
  stdout: string;
  stderr: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(args: string[]): Child {
  const proc = spawn(process.execPath, args, { env: { ...process.env, NODE_NO_WARNINGS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const c: Child = { proc, stdout: '', stderr: '', exit: new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal }))) };
  proc.stdout!.on('data', (d) => (c.stdout += d));
  proc.stderr!.on('data', (d) => (c.stderr += d));
  return c;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const temps = (out: string) => readdirSync(out).filter((n) => n.startsWith('.checkpoint.safetensors.') && n.endsWith('.tmp'));

describe('SIGKILL during training', () => {
  test(`${KILLS} kills at random moments: the last checkpoint always loads and the next run resumes from it`, async () => {
    const data = join(dir, 'small.txt');
    writeFileSync(data, corpus());
    const out = join(dir, 'run');
    const ckpt = join(out, 'checkpoint.safetensors');
    const rng = new Rng(2024);
    let last = 0;
    let midSave = 0;
    let maxLeft = 0;
    const log: string[] = [];
    for (let k = 0; k < KILLS; k++) {
      const child = start(trainArgs(data, out, 1_000_000));
      // wait until this run has saved at least once past where it started, then a random moment more
      const t0 = performance.now();
      while (!existsSync(ckpt) || (k > 0 && !child.stdout.includes('resuming'))) {
        if (performance.now() - t0 > 60_000) throw new Error(`run ${k} made no checkpoint in 60 s: ${child.stderr}`);
        if (child.proc.exitCode !== null) throw new Error(`run ${k} exited early (${child.proc.exitCode}): ${child.stderr}`);
        await sleep(5);
      }
      await sleep(rng.int(20, 400));
      if (k % 2 === 1) {
        // the next save's temporary file appearing: kill while it is being written
        await new Promise<void>((resolve) => {
          const w = watch(out, (_event, name) => {
            if (name && name.startsWith('.checkpoint.safetensors.') && name.endsWith('.tmp')) {
              child.proc.kill('SIGKILL');
              w.close();
              resolve();
            }
          });
        });
      }
      child.proc.kill('SIGKILL');
      const { signal } = await child.exit;
      expect(signal, `run ${k}: ${child.stderr}`).toBe('SIGKILL');
      if (k > 0) {
        // it resumed from exactly the step the previous kill left on disk
        const m = /resuming from step (\d+)/.exec(child.stdout);
        expect(m, child.stdout).not.toBeNull();
        expect(Number(m![1])).toBe(last);
      }
      // temporary files left by killed writers (removed by the next save that completes)
      const left = temps(out);
      if (left.length > 0) midSave++;
      maxLeft = Math.max(maxLeft, left.length);
      // the checkpoint on disk is complete and at least as far as before
      const c = await loadCheckpoint(ckpt);
      const step = (c.position as { step: number }).step;
      expect(step).toBeGreaterThanOrEqual(last);
      expect(c.optimizer?.step).toBe(step);
      log.push(`kill ${k}: step ${step}${left.length ? ` (mid-save: ${left.length} temporary file${left.length > 1 ? 's' : ''})` : ''}`);
      last = step;
    }
    console.log(`kills: ${log.join('; ')}; ${midSave} of ${KILLS} found partial writes on disk (at most ${maxLeft} at once)`);

    // a final run resumes, finishes and saves; the killed writers' temporary files are gone
    const final = start(trainArgs(data, out, last + 5));
    const { code } = await final.exit;
    expect(code, final.stderr).toBe(0);
    expect(final.stdout).toContain(`resuming from step ${last}`);
    expect(final.stdout).toContain(`trained ${last + 5} steps`);
    expect(((await loadCheckpoint(ckpt)).position as { step: number }).step).toBe(last + 5);
    expect(temps(out)).toEqual([]);
  }, 240_000);
});
