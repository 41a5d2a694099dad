/**
 * The language-model commands as a user runs them (`node bin/webrnn.js` in child processes):
 * `train` (final line, resume, --fresh, Ctrl-C), `sample` (seeds, greedy, top-k, prime, count),
 * `eval` (bpc against the trainer's own validation figure), `info`, and every error path — one line
 * `webrnn: …` on stderr, nothing on stdout, status 2 for a bad command line and 1 otherwise.
 * One tiny model (LSTM 1×32, 30 steps on a generated text) is trained once and shared.
 * Needs `npm run build` first (scripts/test.sh does it).
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'webrnn.js');
const ENV = { ...process.env, NODE_NO_WARNINGS: '1', XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR || '/tmp' };
/** The tiny model's settings; a resumed run must repeat them (they are part of the checkpoint). */
const MODEL_FLAGS = ['--hidden', '32', '--batch', '8', '--bptt', '16', '--eval-every', '10', '--sample-every', '1000'];

interface Run { status: number | null; stdout: string; stderr: string }

function webrnn(args: string[], timeout = 120_000): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout, env: ENV });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Succeeds (status 0); stderr may hold driver noise, so only the status decides. */
function ok(args: string[]): string {
  const r = webrnn(args);
  expect(r.status, `webrnn ${args.join(' ')}\nstderr:\n${r.stderr}\nstdout:\n${r.stdout}`).toBe(0);
  return r.stdout;
}

/** Exits with `status`, prints one `webrnn: ` line on stderr matching `message`, and nothing on stdout. */
function fails(args: string[], message: RegExp, status = 1): string {
  const r = webrnn(args);
  const lines = r.stderr.split('\n').filter((l) => l !== '' && !/artificially reduced/.test(l));
  const where = `webrnn ${args.join(' ')}\nstderr:\n${r.stderr}`;
  expect(lines, where).toHaveLength(1);
  expect(lines[0], where).toMatch(/^webrnn: /);
  expect(lines[0], where).toMatch(message);
  expect(r.status, where).toBe(status);
  expect(r.stdout, where).toBe('');
  return lines[0];
}

/** A learnable text: sentences of a small grammar, drawn with a fixed LCG, 6 to a line. */
function makeText(chars: number): string {
  const subjects = ['the cat', 'a dog', 'the bird', 'my friend', 'the old man'];
  const verbs = ['sat on', 'ran to', 'looked at', 'sang to', 'walked past'];
  const objects = ['the mat', 'the park', 'a tree', 'the house', 'the river'];
  let x = 12345;
  const pick = (a: string[]) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return a[Math.floor(x / 65536) % a.length];
  };
  let s = '';
  for (let i = 0; s.length < chars; i++) s += `${pick(subjects)} ${pick(verbs)} ${pick(objects)}.${i % 6 === 5 ? '\n' : ' '}`;
  return s;
}

const bpcLine = /^validation bpc: (\d+(?:\.\d+)?)$/;
const lastLine = (s: string) => s.trimEnd().split('\n').at(-1) ?? '';

let tmp: string;
let data: string;
let model: string;
let trainOut: string;

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` before these tests');
  tmp = mkdtempSync(join(tmpdir(), 'webrnn-cli-lm-'));
  data = join(tmp, 'data.txt');
  writeFileSync(data, makeText(12_000));
  model = join(tmp, 'model');
  trainOut = ok(['train', '--data', data, '--out', model, '--steps', '30', ...MODEL_FLAGS]);
}, 120_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(process.env.WEBRNN_SKIP_GPU === '1')('webrnn train / sample / eval / info (tiny model, GPU)', () => {
  describe('train', () => {
    it('writes the run folder and ends with "validation bpc: <number>"', () => {
      expect(readdirSync(model).sort()).toEqual(['checkpoint.safetensors', 'model.json', 'vocab.json']);
      expect(trainOut.endsWith('\n')).toBe(true);
      const m = bpcLine.exec(lastLine(trainOut));
      expect(m, trainOut).not.toBeNull();
      expect(Number.isFinite(Number(m![1]))).toBe(true);
      expect(trainOut).toMatch(/^trained 30 steps /m);
    });

    it('resumes from the checkpoint in --out, and --fresh starts over', () => {
      const dir = join(tmp, 'resume');
      cpSync(model, dir, { recursive: true });
      const more = ok(['train', '--data', data, '--out', dir, '--steps', '36', ...MODEL_FLAGS]);
      expect(more).toMatch(/^resuming from step 30 /m);
      expect(more).toMatch(/^trained 36 steps /m);
      expect(lastLine(more)).toMatch(bpcLine);
      const again = ok(['train', '--data', data, '--out', dir, '--steps', '4', '--fresh', ...MODEL_FLAGS]);
      expect(again).not.toMatch(/resuming/);
      expect(again).toMatch(/^trained 4 steps /m);
      expect(lastLine(again)).toMatch(bpcLine);
    });

    it('Ctrl-C stops after a step with status 130, saves a checkpoint that loads, and the next run resumes from it', async () => {
      const dir = join(tmp, 'interrupted');
      const ckpt = join(dir, 'checkpoint.safetensors');
      const child = spawn(process.execPath, [BIN, 'train', '--data', data, '--out', dir, '--steps', '100000', '--checkpoint-every', '5', ...MODEL_FLAGS], { env: ENV });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
      child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })));
      const deadline = Date.now() + 60_000;
      while (!existsSync(ckpt) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect(existsSync(ckpt), `no checkpoint appeared\nstdout:\n${stdout}\nstderr:\n${stderr}`).toBe(true);
      child.kill('SIGINT');
      const { code, signal } = await exited;
      expect({ code, signal }, `stdout:\n${stdout}\nstderr:\n${stderr}`).toEqual({ code: 130, signal: null });
      const m = /^stopped at step (\d+); checkpoint saved to .*checkpoint\.safetensors — run the same command to resume$/m.exec(stdout);
      expect(m, stdout).not.toBeNull();
      const step = Number(m![1]);
      expect(step).toBeGreaterThanOrEqual(5);
      expect(readdirSync(dir).filter((f) => f.startsWith('.')), 'no temporary files left').toEqual([]);
      // The checkpoint loads: sampling works, and training resumes from exactly that step.
      expect(ok(['sample', '--model', dir, '--length', '20', '--seed', '1']).length).toBeGreaterThan(0);
      const resumed = ok(['train', '--data', data, '--out', dir, '--steps', String(step + 2), ...MODEL_FLAGS]);
      expect(resumed).toMatch(new RegExp(`^resuming from step ${step} `, 'm'));
      expect(resumed).toMatch(new RegExp(`^trained ${step + 2} steps `, 'm'));
    }, 120_000);
  });

  describe('sample', () => {
    it('is deterministic for a seed, and different seeds differ', () => {
      const a = ok(['sample', '--model', model, '--seed', '7', '--length', '200']);
      const b = ok(['sample', '--model', model, '--seed', '7', '--length', '200']);
      const c = ok(['sample', '--model', model, '--seed', '8', '--length', '200']);
      expect(a.length).toBeGreaterThan(150);
      expect(b).toBe(a);
      expect(c).not.toBe(a);
    });

    it('--greedy is deterministic, ignores the seed, and equals --top-k 1', () => {
      const a = ok(['sample', '--model', model, '--greedy', '--length', '120']);
      const b = ok(['sample', '--model', model, '--greedy', '--length', '120', '--seed', '99']);
      const k1 = ok(['sample', '--model', model, '--top-k', '1', '--temperature', '1.5', '--length', '120', '--seed', '3']);
      expect(b).toBe(a);
      expect(k1).toBe(a);
    });

    it('prints the prime, then --length characters continuing it', () => {
      const prime = 'the old man ';
      const out = ok(['sample', '--model', model, '--greedy', '--length', '60', '--prime', prime]);
      expect(out.startsWith(prime), out).toBe(true);
      expect(out.endsWith('\n')).toBe(true);
      // greedy never picks a special token it never saw, so every step is one character
      expect([...out.slice(prime.length).replace(/\n$/, '')]).toHaveLength(60);
      // the prime sets the state the continuation starts from: same seed, other prime, other text
      const x = ok(['sample', '--model', model, '--seed', '4', '--length', '100', '--prime', prime]);
      const y = ok(['sample', '--model', model, '--seed', '4', '--length', '100', '--prime', 'a dog ']);
      expect(x.startsWith(prime) && y.startsWith('a dog ')).toBe(true);
      expect(y.slice('a dog '.length)).not.toBe(x.slice(prime.length));
    });

    it('--count N prints N different samples, and top-p / temperature are accepted', () => {
      const out = ok(['sample', '--model', model, '--count', '3', '--length', '80', '--seed', '1', '--top-p', '0.9', '--temperature', '0.7']);
      const parts = out.split(/^--- sample \d of 3 ---\n/m);
      expect(parts[0]).toBe('');
      expect(parts).toHaveLength(4);
      expect(new Set(parts.slice(1)).size).toBe(3);
    });

    it('--help', () => {
      expect(ok(['sample', '--help'])).toMatch(/^Usage: webrnn sample --model DIR/);
      expect(ok(['help', 'sample'])).toMatch(/--temperature F/);
    });
  });

  describe('eval', () => {
    it("matches the trainer's final validation bpc on the same text, below log2(V)", () => {
      const text = readFileSync(data, 'utf8');
      const val = join(tmp, 'val.txt');
      writeFileSync(val, text.slice(Math.floor(text.length * 0.95))); // the trainer's split
      const out = ok(['eval', '--model', model, '--data', val]);
      const m = /^bpc: (\S+) {2}perplexity: (\S+) {2}characters: (\d+)$/.exec(lastLine(out));
      expect(m, out).not.toBeNull();
      const [bpc, ppl, n] = [Number(m![1]), Number(m![2]), Number(m![3])];
      const trainerBpc = Number(bpcLine.exec(lastLine(trainOut))![1]);
      expect(Math.abs(bpc - trainerBpc), `eval ${bpc} vs train ${trainerBpc}`).toBeLessThanOrEqual(1e-3);
      const V = (JSON.parse(readFileSync(join(model, 'vocab.json'), 'utf8')) as { tokens: string[] }).tokens.length;
      expect(bpc).toBeGreaterThan(0);
      expect(bpc).toBeLessThan(Math.log2(V) - 1);
      expect(Math.abs(ppl - 2 ** bpc)).toBeLessThan(1e-3 * ppl);
      expect(n).toBeGreaterThan(0.9 * (text.length - Math.floor(text.length * 0.95)));
      expect(out).not.toMatch(/unknown characters/);
    });

    it('counts characters outside the vocabulary as <UNK> and reports them', () => {
      const file = join(tmp, 'unknown.txt');
      writeFileSync(file, 'the cat sat on the mat. The Zebra sat on the mat. the dog ran to the park.\n');
      const out = ok(['eval', '--model', model, '--data', file]);
      expect(out).toMatch(/^unknown characters: 2 \(.*\) not in the model's vocabulary, scored as <UNK>: "T", "Z"$/m);
      expect(lastLine(out)).toMatch(/^bpc: \d+\.\d+ {2}perplexity: \d+\.\d+ {2}characters: \d+$/);
    });
  });

  describe('info', () => {
    it('--json describes the adapter, limits, features and version', () => {
      const r = JSON.parse(ok(['info', '--json'])) as {
        webrnn: string;
        host: { runtime: string };
        adapter: { name: string };
        limits: Record<string, number>;
        features: string[];
      };
      expect(r.webrnn).toBe((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
      expect(r.host.runtime).toBe('node');
      expect(r.adapter.name.length).toBeGreaterThan(0);
      for (const k of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupsPerDimension', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupStorageSize', 'maxStorageBuffersPerShaderStage']) {
        expect(r.limits[k], k).toBeGreaterThan(0);
      }
      expect(Array.isArray(r.features)).toBe(true);
    });

    it('prints the same as text', () => {
      const out = ok(['info']);
      expect(out).toMatch(/^webrnn \d+\.\d+\.\d+/);
      expect(out).toMatch(/^adapter: \S/m);
      expect(out).toMatch(/^ {2}maxStorageBufferBindingSize +[\d,]+/m);
      expect(out).toMatch(/^features: shader-f16 (yes|no), timestamp-query (yes|no), subgroups (yes|no)$/m);
    });
  });

  describe('errors: one line, nothing on stdout, before any GPU work', () => {
    /** A broken copy of the model folder. */
    function broken(name: string, edit: (dir: string) => void): string {
      const dir = join(tmp, `broken-${name}`);
      cpSync(model, dir, { recursive: true });
      edit(dir);
      return dir;
    }

    it('sample: the command line (status 2)', () => {
      fails(['sample'], /--model DIR is required/, 2);
      fails(['sample', '--model', model, '--bogus'], /sample: Unknown option '--bogus'/, 2);
      fails(['sample', '--model', model, 'extra'], /sample: .*positional/i, 2);
      fails(['sample', '--model', model, '--prime', ''], /--prime must not be empty/, 2);
      fails(['sample', '--model', model, '--greedy', '--temperature', '0.5'], /--greedy .* cannot be combined with --temperature/, 2);
      for (const [flag, value, need] of [
        ['--temperature', '0', /--temperature must be a number > 0 .*got "0"/],
        ['--temperature', 'hot', /--temperature must be a number > 0/],
        ['--top-k', '-1', /--top-k must be an integer ≥ 0/],
        ['--top-k', '2.5', /--top-k must be an integer ≥ 0/],
        ['--top-p', '0', /--top-p must be a number in \(0, 1\]/],
        ['--top-p', '1.5', /--top-p must be a number in \(0, 1\]/],
        ['--length', '0', /--length must be an integer in \[1, 1,000,000\]/],
        ['--length', '', /--length must be an integer/],
        ['--count', '1000', /--count must be an integer in \[1, 256\]/],
        ['--seed', '-1', /--seed must be an integer in \[0, 2\^32\)/],
        ['--seed', '4294967296', /--seed must be an integer in \[0, 2\^32\)/],
      ] as const) {
        fails(['sample', '--model', model, flag, value], need, 2);
      }
    });

    it('sample: the run folder (status 1)', () => {
      const empty = join(tmp, 'empty');
      mkdirSync(empty, { recursive: true });
      fails(['sample', '--model', join(tmp, 'nowhere')], /--model .*nowhere: no such folder/);
      fails(['sample', '--model', data], /--model .*data\.txt: not a folder/);
      fails(['sample', '--model', empty], /has no model\.json — is it a run folder of webrnn train/);
      fails(['sample', '--model', broken('no-vocab', (d) => writeFileSync(join(d, 'vocab.json'), '{"format": "webrnn-vocab"'))], /vocab\.json: not valid JSON/);
      fails(['sample', '--model', broken('bad-vocab', (d) => writeFileSync(join(d, 'vocab.json'), '{"format": "other"}'))], /vocab\.json: format must be "webrnn-vocab", got "other"/);
      fails(['sample', '--model', broken('empty-ckpt', (d) => writeFileSync(join(d, 'checkpoint.safetensors'), ''))], /checkpoint\.safetensors/);
      fails(['sample', '--model', broken('garbage-ckpt', (d) => writeFileSync(join(d, 'checkpoint.safetensors'), 'not a safetensors file at all'))], /checkpoint\.safetensors/);
      fails(['sample', '--model', broken('no-ckpt', (d) => rmSync(join(d, 'checkpoint.safetensors')))], /has no checkpoint\.safetensors yet/);
      fails(['sample', '--model', broken('model-json', (d) => writeFileSync(join(d, 'model.json'), '[1, 2]'))], /model\.json: must hold a JSON object/);
      fails(
        ['sample', '--model', broken('settings', (d) => writeFileSync(join(d, 'model.json'), JSON.stringify({ settings: { ...JSON.parse(readFileSync(join(d, 'model.json'), 'utf8')).settings, hidden: 64 } })))],
        /was trained with other settings than model\.json says/,
      );
      fails(
        ['sample', '--model', broken('vocab', (d) => {
          const v = JSON.parse(readFileSync(join(d, 'vocab.json'), 'utf8'));
          v.tokens = [...v.tokens.slice(0, -1), '@'];
          writeFileSync(join(d, 'vocab.json'), JSON.stringify(v));
        })],
        /trained with another vocabulary than vocab\.json/,
      );
    });

    it('sample: a prime with characters the model never saw names them (status 1)', () => {
      fails(['sample', '--model', model, '--prime', 'The Quiet\tcat'], /--prime has 3 characters the model never saw: "T", "Q", "\\t" \(its vocabulary: ".*"\)/);
      fails(['sample', '--model', model, '--prime', 'Z'], /--prime has a character the model never saw: "Z"/);
    });

    it('eval (status 2 for the command line, 1 for files)', () => {
      fails(['eval', '--data', data], /eval: --model DIR is required/, 2);
      fails(['eval', '--model', model], /eval: --data FILE\.txt is required/, 2);
      fails(['eval', '--model', model, '--data', data, '--seed', '1'], /eval: Unknown option '--seed'/, 2);
      fails(['eval', '--model', model, '--data', join(tmp, 'nothing.txt')], /cannot read --data .*nothing\.txt: no such file/);
      const one = join(tmp, 'one.txt');
      writeFileSync(one, 'a');
      fails(['eval', '--model', model, '--data', one], /has 1 character; scoring needs at least 2/);
      const latin1 = join(tmp, 'latin1.txt');
      writeFileSync(latin1, Buffer.from([0x63, 0x61, 0xe9, 0x74]));
      fails(['eval', '--model', model, '--data', latin1], /latin1\.txt: not valid UTF-8/);
      fails(['eval', '--model', join(tmp, 'nowhere'), '--data', data], /no such folder/);
    });

    it('info and the command registry', () => {
      fails(['info', '--verbose'], /info: Unknown option '--verbose'/, 2);
      fails(['help', 'nope'], /help: unknown command "nope" \(commands: .*sample, eval, info/, 2);
      expect(ok(['--help'])).toMatch(/^ {2}sample +Generate text/m);
      expect(ok(['eval', '--help'])).toMatch(/^Usage: webrnn eval --model DIR --data FILE\.txt/);
      expect(ok(['info', '--help'])).toMatch(/^Usage: webrnn info \[--json\]/);
    });
  });
});
