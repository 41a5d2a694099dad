// The command line under failure: every command exits non-zero with exactly one line on stderr
// ("webrnn: …", no stack trace unless --debug) and never leaves a partial or changed output file —
// for bad arguments, unreadable or damaged inputs, and failures in the middle of GPU work.
// Needs `npm run build` (scripts/test.sh does it): it runs bin/webrnn.js in child processes.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'webrnn.js');
const RUN = join(ROOT, 'test', 'fixtures', 'lstm_basic');
const FIT = join(ROOT, 'test', 'fixtures-fit', 'lstm_adam');

const dir = mkdtempSync(join(tmpdir(), 'webrnn-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function webrnn(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Exit status `status` ('nonzero': 1 or 2), one stderr line starting "webrnn: " matching `message`,
 * no stack trace.
 */
function expectOneLineFailure(r: ReturnType<typeof webrnn>, status: number | 'nonzero', message: RegExp, what: string): void {
  if (status === 'nonzero') expect([1, 2], `${what}: ${r.stderr}`).toContain(r.status);
  else expect(r.status, `${what}: ${r.stderr}`).toBe(status);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('Warning: max'));
  expect(lines, `${what}: stderr`).toHaveLength(1);
  expect(lines[0], what).toMatch(/^webrnn: /);
  expect(lines[0], what).toMatch(message);
  expect(r.stderr, what).not.toMatch(/^\s+at /m);
}

/** A copy of `file` with `n` bytes of its header flipped (still the right size: a damaged file). */
function damaged(file: string, name: string): string {
  const b = readFileSync(file);
  for (let i = 12; i < 40; i += 3) b[i] ^= 0x20;
  const p = join(dir, name);
  writeFileSync(p, b);
  return p;
}

const runArgs = (out: string, over: Record<string, string> = {}) => ['run', '--config', over.config ?? join(RUN, 'config.json'), '--weights', over.weights ?? join(RUN, 'weights.safetensors'), '--input', over.input ?? join(RUN, 'inputs.safetensors'), '--out', out];
const fitArgs = (out: string, over: Record<string, string> = {}) => [
  'fit', '--config', join(FIT, 'model.json'), '--weights', over.weights ?? join(FIT, 'init.safetensors'), '--data', join(FIT, 'batch.safetensors'),
  '--out', out, '--optimizer', over.optimizer ?? 'sgd', '--lr', over.lr ?? '0.1', '--steps', over.steps ?? '3',
];

describe('CLI failures: one line, non-zero, no partial output', () => {
  test('run', () => {
    const out = join(dir, 'run-out.safetensors');
    const cases: [string[], number, RegExp, string][] = [
      [['run', '--config', join(RUN, 'config.json')], 2, /missing --weights, --input, --out/, 'missing options'],
      [['run', '--bogus'], 2, /Unknown option '--bogus'/, 'unknown option'],
      [runArgs(out, { weights: join(dir, 'nope.safetensors') }), 1, /cannot read --weights .*no such file/, 'missing weights'],
      [runArgs(out, { weights: damaged(join(RUN, 'weights.safetensors'), 'w.safetensors') }), 1, /not a valid safetensors file/, 'damaged weights'],
      [runArgs(out, { input: damaged(join(RUN, 'inputs.safetensors'), 'i.safetensors') }), 1, /not a valid safetensors file/, 'damaged inputs'],
      [runArgs(out, { weights: join(RUN, 'inputs.safetensors') }), 1, /unknown weight "input"/, 'inputs given as weights'],
      [runArgs(join(dir, 'no-such-dir', 'x.safetensors')), 1, /directory .* does not exist/, 'output folder missing'],
      [runArgs(dir), 1, /is a directory/, 'output is a folder'],
    ];
    for (const [args, status, msg, what] of cases) {
      expectOneLineFailure(webrnn(args), status, msg, what);
      expect(existsSync(out), what).toBe(false);
    }
    // --debug adds the stack
    const r = webrnn([...runArgs(out, { weights: join(dir, 'nope.safetensors') }), '--debug']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^\s+at /m);
    // an existing output is left as it was by a failing run
    writeFileSync(out, 'previous result');
    expectOneLineFailure(webrnn(runArgs(out, { input: damaged(join(RUN, 'inputs.safetensors'), 'i2.safetensors') })), 1, /not a valid safetensors file/, 'over an existing output');
    expect(readFileSync(out, 'utf8')).toBe('previous result');
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  test('fit: bad flags, bad files, and a run that diverges half way write nothing', () => {
    const out = join(dir, 'fit-out.safetensors');
    // bad flag values are usage errors (status 2), as in every command; bad files and failed runs 1
    const cases: [string[], number | 'nonzero', RegExp, string][] = [
      [fitArgs(out, { lr: '-1' }), 2, /--lr/, 'negative lr'],
      [fitArgs(out, { optimizer: 'adagrad' }), 2, /--optimizer must be sgd, adam or adamw/, 'unknown optimizer'],
      [fitArgs(out, { steps: '0' }), 2, /--steps must be a positive integer/, 'zero steps'],
      [fitArgs(out, { weights: damaged(join(FIT, 'init.safetensors'), 'init.safetensors') }), 1, /not a valid safetensors file/, 'damaged weights'],
      // a learning rate that makes the weights overflow: the non-finite gradient stops the run
      [fitArgs(out, { lr: '1e38', steps: '50' }), 1, /non-finite gradient at step \d+/, 'diverging run'],
    ];
    for (const [args, status, msg, what] of cases) {
      expectOneLineFailure(webrnn(args), status, msg, what);
      expect(existsSync(out), what).toBe(false);
    }
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  test('train: bad flags, unreadable data, a damaged checkpoint (left untouched)', () => {
    const data = join(dir, 'text.txt');
    writeFileSync(data, 'hello world, this is a tiny training text. '.repeat(200));
    const outDir = join(dir, 'train-run');
    const train = (hidden = 8) => ['train', '--data', data, '--out', outDir, '--steps', '2', '--hidden', String(hidden), '--embedding', '4', '--batch', '2', '--bptt', '8', '--eval-every', '1000', '--sample-every', '1000'];
    const base = train();
    expectOneLineFailure(webrnn([...base, '--hidden', '0']), 2, /--hidden must be a positive integer, got "0"/, 'hidden 0');
    expectOneLineFailure(webrnn([...base, '--cell', 'transformer']), 2, /--cell must be lstm, gru or rnn/, 'bad cell');
    expectOneLineFailure(webrnn(['train', '--data', join(dir, 'missing.txt'), '--out', outDir]), 1, /cannot read --data .*no such file/, 'missing data');
    expectOneLineFailure(webrnn([...base, '--bptt', '5000']), 1, /validation text has \d+ characters; it needs more than --bptt = 5000/, 'bptt beyond the validation text');
    expect(existsSync(outDir), 'a rejected run creates no run folder').toBe(false);
    // a good run, then its checkpoint damaged: the next run refuses it and leaves it as it is
    const ok = webrnn(base);
    expect(ok.status, ok.stderr).toBe(0);
    const ckpt = join(outDir, 'checkpoint.safetensors');
    const bad = damaged(ckpt, 'damaged-checkpoint.safetensors');
    copyFileSync(bad, ckpt);
    const before = readFileSync(ckpt);
    expectOneLineFailure(webrnn(base), 1, /not a valid safetensors file/, 'damaged checkpoint');
    expect(readFileSync(ckpt).equals(before)).toBe(true);
    // other settings than the checkpoint's: refused, checkpoint untouched
    rmSync(ckpt);
    expect(webrnn(base).status).toBe(0);
    const good = readFileSync(ckpt);
    expectOneLineFailure(webrnn(train(12)), 1, /was made with other settings/, 'other settings');
    expect(readFileSync(ckpt).equals(good)).toBe(true);
    expect(readdirSync(outDir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  }, 120_000);
});
