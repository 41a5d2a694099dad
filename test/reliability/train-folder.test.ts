// The run folder of `webrnn train` under careless use: an unrelated folder is refused (its files
// untouched), rejected settings leave no folder, two trainers never share a folder (lock file with the
// pid; a stale lock of a dead trainer is taken over), SIGTERM and SIGHUP stop with a saved checkpoint
// like Ctrl-C, and a --fresh run killed before its first save never pairs its model.json with the old
// checkpoint. Needs `npm run build` (scripts/test.sh does it): it runs bin/webrnn.js in child processes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { BIN, CLI_ENV, failsWithOneLine as fails, webrnn } from '../helpers/cli-run.js';


const dir = mkdtempSync(join(tmpdir(), 'webrnn-train-folder-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const data = join(dir, 'text.txt');
writeFileSync(data, 'hello world, this is a tiny training text. '.repeat(200));
const trainArgs = (out: string, more: string[] = []) => [
  'train', '--data', data, '--out', out, '--hidden', '8', '--embedding', '4', '--batch', '2', '--bptt', '8',
  '--eval-every', '1000000', '--sample-every', '1000000', ...more,
];

interface Child {
  proc: ChildProcess;
  stdout: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** resolves once stdout matches */
  until(re: RegExp): Promise<void>;
}

function start(args: string[]): Child {
  const proc = spawn(process.execPath, [BIN, ...args], { env: CLI_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(proc);
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  const c: Child = {
    proc,
    stdout: '',
    exit: new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal }))),
    until: (re) => new Promise((resolve, reject) => {
      if (re.test(c.stdout)) return resolve();
      waiters.push({ re, resolve });
      void c.exit.then(() => reject(new Error(`exited before ${re}: ${c.stdout}`)));
    }),
  };
  proc.stdout!.on('data', (d) => {
    c.stdout += d;
    for (const w of waiters) if (w.re.test(c.stdout)) w.resolve();
  });
  proc.stderr!.resume();
  return c;
}

describe('webrnn train and its run folder', () => {
  test('a folder of something else is refused and left as it was', () => {
    const other = join(dir, 'tfjs-model');
    mkdirSync(other);
    writeFileSync(join(other, 'model.json'), '{"modelTopology": {}, "weightsManifest": []}');
    writeFileSync(join(other, 'vocab.json'), '["a", "b"]');
    fails(webrnn(trainArgs(other, ['--steps', '1'])), /--out .*tfjs-model is not a run folder of webrnn train \(.*model\.json.*\); give a new or empty folder/);
    expect(readFileSync(join(other, 'model.json'), 'utf8')).toBe('{"modelTopology": {}, "weightsManifest": []}');
    expect(readFileSync(join(other, 'vocab.json'), 'utf8')).toBe('["a", "b"]');
    expect(readdirSync(other).sort()).toEqual(['model.json', 'vocab.json']);

    const notes = join(dir, 'notes');
    mkdirSync(notes);
    writeFileSync(join(notes, 'todo.txt'), 'x');
    fails(webrnn(trainArgs(notes, ['--steps', '1'])), /holds files \(todo\.txt\) but no model\.json: it is not a run folder of webrnn train/);
    expect(readdirSync(notes)).toEqual(['todo.txt']);
  });

  test('a FIFO where the checkpoint goes is refused before any GPU work, and stays a FIFO', () => {
    const out = join(dir, 'fifo-checkpoint');
    expect(webrnn(trainArgs(out, ['--steps', '1'])).status).toBe(0);
    rmSync(join(out, 'checkpoint.safetensors'));
    expect(spawnSync('mkfifo', [join(out, 'checkpoint.safetensors')]).status).toBe(0);
    fails(webrnn(trainArgs(out, ['--steps', '1']), 20_000), /cannot write --out file .*checkpoint\.safetensors: is a named pipe/);
    expect(lstatSync(join(out, 'checkpoint.safetensors')).isFIFO()).toBe(true);
  });

  test('rejected settings leave no run folder; a path through a file is a one-line error', () => {
    for (const [flags, status] of [[['--hidden', '1e9'], 1], [['--batch', '1e5'], 1], [['--seed', '1e20'], 2]] as const) {
      const out = join(dir, `rejected-${flags[0].slice(2)}`);
      const r = webrnn(trainArgs(out, ['--steps', '1', ...flags]));
      expect(r.status, `${flags.join(' ')}: ${r.stderr}`).toBe(status);
      expect(existsSync(out), `${flags.join(' ')} leaves no folder`).toBe(false);
    }
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    fails(webrnn(trainArgs(join(file, 'run'), ['--steps', '1'])), /cannot use the run folder .*a-file\/run: a part of the path is not a folder \(ENOTDIR\)/);
  });

  test('one trainer per folder; SIGTERM and SIGHUP stop it with the checkpoint saved; a stale lock is taken over', async () => {
    const out = join(dir, 'run');
    const long = trainArgs(out, ['--steps', '1000000', '--minutes', '1000', '--checkpoint-every', '1000000']);
    for (const [signal, status] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
      const a = start(long);
      await a.until(/adapter: /);
      // the second trainer fails at once, naming the first one's pid
      fails(webrnn(trainArgs(out, ['--steps', '1'])), new RegExp(`run is in use by another webrnn train \\(pid ${a.proc.pid}\\)`));
      a.proc.kill(signal);
      const e = await a.exit;
      expect(e, a.stdout).toEqual({ code: status, signal: null });
      expect(a.stdout).toMatch(new RegExp(`stopped at step \\d+; checkpoint saved to .*checkpoint\\.safetensors`));
      expect(existsSync(join(out, 'checkpoint.safetensors'))).toBe(true);
      expect(existsSync(join(out, '.webrnn.lock')), 'the lock is released').toBe(false);
    }
    // a lock left by a trainer that is gone (SIGKILL): taken over
    const gone = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(join(out, '.webrnn.lock'), `${gone}\n`);
    const r = webrnn(trainArgs(out, ['--steps', '1']));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/resuming from step/);
    expect(existsSync(join(out, '.webrnn.lock'))).toBe(false);
  }, 120_000);

  test('two trainers racing to take over a stale lock: exactly one gets the folder', async () => {
    const out = join(dir, 'race');
    mkdirSync(out);
    const mod = pathToFileURL(join(BIN, '..', '..', 'dist', 'src', 'cli', 'run-folder.js')).href;
    const script = `const { claimRunFolder } = await import(${JSON.stringify(mod)});
      try { const c = await claimRunFolder(process.argv[1], 'train'); console.log('ok'); await new Promise((r) => setTimeout(r, 1000)); await c.release(); }
      catch (e) { console.log(e.code); }`;
    const gone = spawnSync(process.execPath, ['-e', '']).pid!;
    for (let round = 0; round < 3; round++) {
      writeFileSync(join(out, '.webrnn.lock'), `${gone}\n`);
      const runs = [0, 1].map(() => new Promise<string>((resolve) => {
        const p = spawn(process.execPath, ['--input-type=module', '-e', script, out], { stdio: ['ignore', 'pipe', 'inherit'] });
        let o = '';
        p.stdout!.on('data', (d) => (o += d));
        p.on('exit', () => resolve(o.trim()));
      }));
      expect((await Promise.all(runs)).sort(), `round ${round}`).toEqual(['BAD_STATE', 'ok']);
      expect(readdirSync(out), 'no lock left').toEqual([]);
    }
  }, 60_000);

  test('a --fresh run killed before its first save leaves no mix of old checkpoint and new model.json', async () => {
    const out = join(dir, 'fresh');
    expect(webrnn(trainArgs(out, ['--steps', '2'])).status).toBe(0);
    const a = start(trainArgs(out, ['--fresh', '--hidden', '12', '--steps', '1000000', '--minutes', '1000', '--checkpoint-every', '1000000']));
    await a.until(/adapter: /);
    a.proc.kill('SIGKILL');
    await a.exit;
    const r = webrnn(['sample', '--model', out, '--length', '5']);
    expect(r.stderr).not.toMatch(/mixes two runs/);
    fails(r, /has no checkpoint\.safetensors yet/);
  }, 120_000);

  test('tagger train, even with --fresh, refuses the run folder of webrnn train (its checkpoint is not overwritten)', () => {
    const out = join(dir, 'lm');
    expect(webrnn(trainArgs(out, ['--steps', '1'])).status).toBe(0);
    const before = readFileSync(join(out, 'checkpoint.safetensors'));
    fails(webrnn(['tagger', 'train', '--out', out, '--fresh', '--steps', '1', '--subset', '50']), /--out .*lm holds files \(.*\) but no|is not a run folder of webrnn tagger train/);
    expect(readFileSync(join(out, 'checkpoint.safetensors')).equals(before)).toBe(true);
  }, 120_000);
});
