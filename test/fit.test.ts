/**
 * `webrnn fit` against PyTorch: every case of test/fixtures-fit (scripts/gen_fit_fixtures.py: 4 modes ×
 * SGD / momentum / Adam / AdamW × with and without clip_grad_norm_, embeddings, all three losses, both
 * targets, variable lengths, bidirectional and stacked layers; two projected LSTMs, proj_size) run as a user
 * runs it, in a child process.
 * Tolerances (expected values are float64 PyTorch runs):
 *   loss before every step:  |got − torch| ≤ 1e-4 · |torch|
 *   parameters after the last step: max |got − torch| ≤ 1e-4 · max |torch| per tensor
 *     (the issue asks this of SGD and momentum; Adam and AdamW are held to it as well)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseSafetensors, toFloat64 } from '../src/formats/safetensors.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'webrnn.js');
const FIXTURES = join(ROOT, 'test', 'fixtures-fit');
const CASES = readdirSync(FIXTURES).filter((d) => statSync(join(FIXTURES, d)).isDirectory()).sort();
const LOSS_RTOL = 1e-4;
const PARAM_RTOL = 1e-4;

function webrnn(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function fitArgs(dir: string, out: string, over: Record<string, string | undefined> = {}): string[] {
  const a = JSON.parse(readFileSync(join(dir, 'args.json'), 'utf8'));
  const flags: Record<string, string | undefined> = {
    config: join(dir, 'model.json'),
    weights: join(dir, 'init.safetensors'),
    data: join(dir, 'batch.safetensors'),
    out,
    optimizer: a.optimizer,
    lr: String(a.lr),
    momentum: a.momentum !== undefined ? String(a.momentum) : undefined,
    'weight-decay': a.weight_decay !== undefined ? String(a.weight_decay) : undefined,
    'clip-norm': a.clip_norm !== undefined ? String(a.clip_norm) : undefined,
    steps: String(a.steps),
    ...over,
  };
  return ['fit', ...Object.entries(flags).flatMap(([k, v]) => (v === undefined ? [] : [`--${k}`, v]))];
}

const read = (p: string) => parseSafetensors(new Uint8Array(readFileSync(p))).tensors;

describe('webrnn fit reproduces PyTorch training', () => {
  it('has the full matrix of fixtures (and two projected LSTMs)', () => expect(CASES.length).toBe(34));
  for (const name of CASES) {
    it(name, () => {
      const dir = join(FIXTURES, name);
      const out = join(mkdtempSync(join(tmpdir(), 'webrnn-fit-')), 'trained.safetensors');
      const r = webrnn(fitArgs(dir, out));
      expect(r.status, r.stderr).toBe(0);
      const got = read(out);
      const expected = read(join(dir, 'expected.safetensors'));
      expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
      const lossG = toFloat64(got.get('loss')!);
      const lossE = toFloat64(expected.get('loss')!);
      lossE.forEach((v, i) => expect(Math.abs(lossG[i] - v), `loss at step ${i}: ${lossG[i]} vs torch ${v}`).toBeLessThanOrEqual(LOSS_RTOL * Math.abs(v)));
      for (const [k, e] of expected) {
        if (k === 'loss') continue;
        const g = got.get(k)!;
        expect(g.shape, k).toEqual(e.shape);
        const ev = toFloat64(e);
        const gv = toFloat64(g);
        const scale = ev.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        let worst = 0;
        let at = 0;
        ev.forEach((v, i) => {
          const d = Math.abs(gv[i] - v);
          if (!(d <= worst)) [worst, at] = [d, i];
        });
        expect(worst, `${k}[${at}]: ${gv[at]} vs torch ${ev[at]}`).toBeLessThanOrEqual(PARAM_RTOL * scale);
      }
    });
  }
});

describe('webrnn fit: bad input exits non-zero with one line and writes nothing', () => {
  const dir = join(FIXTURES, 'lstm_sgd');
  const tmp = mkdtempSync(join(tmpdir(), 'webrnn-fit-bad-'));
  const cases: [string, string[], RegExp][] = [
    ['unknown optimizer', fitArgs(dir, join(tmp, 'a.st'), { optimizer: 'rmsprop' }), /--optimizer must be sgd, adam or adamw/],
    ['bad lr', fitArgs(dir, join(tmp, 'b.st'), { lr: '0' }), /--lr must be a positive number/],
    ['bad steps', fitArgs(dir, join(tmp, 'c.st'), { steps: '2.5' }), /--steps must be a positive integer/],
    ['momentum with adam', fitArgs(dir, join(tmp, 'd.st'), { optimizer: 'adam', momentum: '0.9' }), /--momentum applies to sgd only/],
    ['missing data file', fitArgs(dir, join(tmp, 'e.st'), { data: join(tmp, 'nope.safetensors') }), /cannot read --data .*no such file/],
    ['weights of another model', fitArgs(dir, join(tmp, 'f.st'), { weights: join(FIXTURES, 'gru_sgd', 'init.safetensors') }), /weight "rnn\.weight_ih_l0" has shape|unknown weight|missing weight/],
    ['batch of another model', fitArgs(dir, join(tmp, 'g.st'), { data: join(FIXTURES, 'lstm_adam', 'batch.safetensors') }), /unexpected tensor|missing "tokens"|has shape/],
  ];
  for (const [what, args, message] of cases) {
    it(what, () => {
      const r = webrnn(args);
      expect(r.status).not.toBe(0);
      const lines = r.stderr.split('\n').filter((l) => l.startsWith('webrnn:'));
      expect(lines.length, r.stderr).toBe(1);
      expect(lines[0]).toMatch(message);
      const out = args[args.indexOf('--out') + 1];
      expect(existsSync(out)).toBe(false);
    });
  }

  it('a malformed model.json names the field', () => {
    const cfg = join(tmp, 'model.json');
    writeFileSync(cfg, JSON.stringify({ ...JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')), loss: 'hinge' }));
    const r = webrnn(fitArgs(dir, join(tmp, 'h.st'), { config: cfg }));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/loss must be one of cross_entropy, bce_with_logits, mse, got "hinge"/);
  });
});
