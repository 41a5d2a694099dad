// The command line on a terminal (a pseudo-terminal from util-linux `script`): Dawn's native limit
// warnings do not reach the user, the progress bar is drawn, and one Ctrl-C typed on the terminal
// stops training after the current step with its checkpoint saved (bin/webrnn.js runs the CLI in a
// child there, filtering the native stderr; elsewhere it runs in-process, as the other CLI tests check).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parseCheckpoint } from '../src/model/checkpoint.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'webrnn.js');
const tmp = mkdtempSync(join(tmpdir(), 'webrnn-tty-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs `node bin/webrnn.js ARGS` on a pseudo-terminal; `type` is called with a function that types keys. */
function onTerminal(args: string[], type?: (keys: (s: string) => void, screen: () => string) => void): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, COLUMNS: '160', LINES: '40' } });
  let screen = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (screen += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (screen += s));
  type?.((s) => child.stdin.write(s), () => screen);
  return new Promise((done) => child.on('close', (code) => done({ code, screen })));
}

describe('webrnn on a terminal', () => {
  test('Dawn\'s native limit warnings are filtered; webrnn\'s own output is all there', async () => {
    const { code, screen } = await onTerminal(['info']);
    expect(code, screen).toBe(0);
    expect(screen).toMatch(/^adapter: /m);
    expect(screen).not.toMatch(/artificially reduced/);
  }, 60_000);

  test('errors still reach the terminal, with their exit status', async () => {
    const { code, screen } = await onTerminal(['run', '--config', join(tmp, 'missing.json')]);
    expect(code).toBe(2);
    expect(screen).toMatch(/^webrnn: run: missing --weights/m);
  }, 60_000);

  test('one Ctrl-C stops training after the step: checkpoint saved, status 130, progress bar drawn', async () => {
    const data = join(tmp, 'text.txt');
    writeFileSync(data, 'the quick brown fox jumps over the lazy dog. '.repeat(400));
    const out = join(tmp, 'run');
    const { code, screen } = await onTerminal(
      ['train', '--data', data, '--out', out, '--steps', '100000', '--hidden', '16', '--batch', '4', '--bptt', '8', '--checkpoint-every', '5', '--sample-every', '100000'],
      (keys, seen) => {
        const poll = setInterval(() => {
          if (/step [1-9]\d* \|/.test(seen())) {
            clearInterval(poll);
            keys('\u0003'); // Ctrl-C, as typed: the terminal signals the foreground process group
          }
        }, 50);
      },
    );
    expect(code, screen).toBe(130);
    expect(screen).toMatch(/█|░/); // the bar is drawn on a terminal
    expect(screen).not.toMatch(/artificially reduced/);
    const m = /stopped at step (\d+); checkpoint saved to/.exec(screen);
    expect(m, screen).not.toBeNull();
    const ckpt = join(out, 'checkpoint.safetensors');
    expect(existsSync(ckpt)).toBe(true);
    expect((parseCheckpoint(readFileSync(ckpt)).position as { step: number }).step).toBe(Number(m![1]));
  }, 120_000);
});
