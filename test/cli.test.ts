/**
 * `webrnn run` as a user runs it: `node bin/webrnn.js` in a child process on the committed files.
 * Needs `npm run build` first (scripts/test.sh does it). The fixture comparisons need the engine and
 * a WebGPU adapter; the validation tests need neither (validation happens before the engine loads).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRunJob } from '../src/cli/run-job.js';
import { parseSafetensors, serializeSafetensors, toFloat64, type SafeTensor } from '../src/formats/safetensors.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'webrnn.js');
const FIXTURES = join(ROOT, 'test', 'fixtures');
const CASES = readdirSync(FIXTURES).filter((d) => statSync(join(FIXTURES, d)).isDirectory()).sort();

/** Tolerances, relative to the largest |expected| value of each tensor (expected values are float64). */
const FORWARD_RTOL = 2e-5; // output, h_n, c_n
const GRADIENT_RTOL = 1e-4; // grad.*

interface Run { status: number | null; stdout: string; stderr: string }

function webrnn(args: string[], timeout = 120_000): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout, env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function runArgs(dir: string, out: string, files: Partial<Record<'config' | 'weights' | 'input', string>> = {}): string[] {
  return [
    'run',
    '--config', files.config ?? join(dir, 'config.json'),
    '--weights', files.weights ?? join(dir, 'weights.safetensors'),
    '--input', files.input ?? join(dir, 'inputs.safetensors'),
    '--out', out,
  ];
}

const read = (path: string) => parseSafetensors(new Uint8Array(readFileSync(path))).tensors;

function unravel(i: number, shape: number[]): number[] {
  const idx: number[] = [];
  for (let k = shape.length - 1; k >= 0; k--) {
    idx.unshift(i % shape[k]);
    i = Math.floor(i / shape[k]);
  }
  return idx;
}

/** Every tensor of `expected` against `got`: one line per mismatch, empty when all agree. */
function compare(got: Map<string, SafeTensor>, expected: Map<string, SafeTensor>): string[] {
  const problems: string[] = [];
  const missing = [...expected.keys()].filter((k) => !got.has(k));
  const extra = [...got.keys()].filter((k) => !expected.has(k));
  if (missing.length) problems.push(`missing from the result: ${missing.join(', ')}`);
  if (extra.length) problems.push(`not expected in the result: ${extra.join(', ')}`);
  for (const [name, e] of expected) {
    const g = got.get(name);
    if (!g) continue;
    if (g.dtype !== 'F32') problems.push(`${name}: dtype ${g.dtype}, expected F32`);
    if (g.shape.join(',') !== e.shape.join(',')) {
      problems.push(`${name}: shape [${g.shape.join(', ')}], expected [${e.shape.join(', ')}]`);
      continue;
    }
    const gv = toFloat64(g);
    const ev = toFloat64(e);
    let scale = 0;
    for (const v of ev) scale = Math.max(scale, Math.abs(v));
    let worst = -1;
    let worstErr = 0;
    for (let i = 0; i < ev.length; i++) {
      const err = Number.isNaN(gv[i]) ? Infinity : Math.abs(gv[i] - ev[i]);
      if (err > worstErr) [worst, worstErr] = [i, err];
    }
    const rtol = name.startsWith('grad.') ? GRADIENT_RTOL : FORWARD_RTOL;
    const tol = rtol * scale;
    if (worstErr > tol) {
      problems.push(
        `${name}: max|err| ${worstErr.toExponential(3)} > ${rtol}·max|expected| = ${tol.toExponential(3)}, ` +
          `first worst at [${unravel(worst, e.shape).join(', ')}] (flat ${worst}): got ${gv[worst]}, expected ${ev[worst]}`,
      );
    }
  }
  return problems;
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` before these tests');
});

describe.skipIf(process.env.WEBRNN_SKIP_GPU === '1')('webrnn run matches PyTorch on every fixture (needs the engine and a WebGPU adapter)', () => {
  it('has fixtures', () => expect(CASES.length).toBeGreaterThanOrEqual(20));

  for (const name of CASES) {
    it(name, () => {
      const dir = join(FIXTURES, name);
      const out = join(mkdtempSync(join(tmpdir(), 'webrnn-cli-')), 'result.safetensors');
      const r = webrnn(runArgs(dir, out));
      // stderr may carry driver noise on success; only the status decides.
      expect(r.status, `exit status; stderr: ${r.stderr}`).toBe(0);
      const problems = compare(read(out), read(join(dir, 'expected.safetensors')));
      expect(problems, `${name}:\n  ${problems.join('\n  ')}`).toEqual([]);
    }, 180_000);
  }
});

describe('webrnn command line and input validation (no GPU needed)', () => {
  const BASE = join(FIXTURES, 'lstm_lengths_grad'); // LSTM I=4 H=8 T=8 B=4, h0, c0, lengths, all grads
  let tmp: string;
  let out: string;
  const fresh = () => {
    tmp = mkdtempSync(join(tmpdir(), 'webrnn-cli-'));
    out = join(tmp, 'result.safetensors');
    return tmp;
  };

  /** Exits non-zero with one `webrnn: ` line on stderr that matches `message`, and writes no output. */
  function fails(r: Run, message: RegExp, status = 1): void {
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines, `stderr:\n${r.stderr}`).toHaveLength(1);
    expect(lines[0]).toMatch(/^webrnn: /);
    expect(lines[0]).toMatch(message);
    expect(r.status).toBe(status);
    expect(r.stdout).toBe('');
    expect(readdirSync(tmp).filter((f) => f.startsWith('.') || f === 'result.safetensors'), 'no output or temp file').toEqual([]);
  }

  /** Writes inputs.safetensors (or weights) with some tensors changed; returns its path. */
  function edited(file: 'inputs' | 'weights', edit: (t: Map<string, SafeTensor>) => void): string {
    const tensors = read(join(BASE, `${file}.safetensors`));
    edit(tensors);
    const path = join(tmp, `${file}.safetensors`);
    writeFileSync(path, serializeSafetensors(tensors));
    return path;
  }
  const f32 = (shape: number[]): SafeTensor => ({ dtype: 'F32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
  const config = (obj: unknown) => {
    const path = join(tmp, 'config.json');
    writeFileSync(path, typeof obj === 'string' ? obj : JSON.stringify(obj));
    return path;
  };
  const LSTM = { mode: 'LSTM', input_size: 4, hidden_size: 8, num_layers: 1, bias: true, batch_first: false, bidirectional: false };

  it('the fixture comparison reports the tensor, the first worst index and both values', () => {
    const e = new Map<string, SafeTensor>([
      ['output', { dtype: 'F64', shape: [2, 3], data: Float64Array.of(1, 2, 3, 4, 5, 6) }],
      ['grad.input', { dtype: 'F64', shape: [2], data: Float64Array.of(1, -1) }],
      ['h_n', { dtype: 'F64', shape: [1], data: Float64Array.of(1) }],
    ]);
    const g = new Map<string, SafeTensor>([
      ['output', { dtype: 'F32', shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5.01, 6.01) }],
      ['grad.input', { dtype: 'F32', shape: [2], data: Float32Array.of(1 + 5e-5, -1) }], // within 1e-4
      ['extra', { dtype: 'F32', shape: [1], data: Float32Array.of(0) }],
    ]);
    expect(compare(g, e)).toEqual([
      'missing from the result: h_n',
      'not expected in the result: extra',
      'output: max|err| 1.000e-2 > 0.00002·max|expected| = 1.200e-4, first worst at [1, 1] (flat 4): got 5.010000228881836, expected 5',
    ]);
    g.delete('extra');
    g.set('grad.input', { dtype: 'F32', shape: [2], data: Float32Array.of(NaN, -1) });
    g.set('h_n', { dtype: 'F64', shape: [1, 1], data: Float64Array.of(1) });
    expect(compare(g, e).slice(1)).toEqual([
      'grad.input: max|err| Infinity > 0.0001·max|expected| = 1.000e-4, first worst at [0] (flat 0): got NaN, expected 1',
      'h_n: dtype F64, expected F32',
      'h_n: shape [1, 1], expected [1]',
    ]);
  });

  it('prints help for the program and for run, exit 0', () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const r = webrnn(args);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^Usage: webrnn <command>/);
    }
    for (const args of [['run', '--help'], ['help', 'run'], ['run', '-h', '--config', 'x']]) {
      const r = webrnn(args);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^Usage: webrnn run --config/);
      expect(r.stdout).toMatch(/grad_output/);
    }
  });

  it('rejects a bad command line with exit status 2', () => {
    fresh();
    fails(webrnn([]), /missing command/, 2);
    fails(webrnn(['frobnicate']), /unknown command "frobnicate"/, 2);
    fails(webrnn(['help', 'frobnicate']), /unknown command "frobnicate"/, 2);
    fails(webrnn(['run', '--config', 'c.json', '--bogus']), /--bogus/, 2);
    fails(webrnn(['run', 'positional']), /positional/, 2);
    fails(webrnn(['run', '--config', join(BASE, 'config.json')]), /missing --weights, --input, --out/, 2);
  });

  it('shows the stack trace only with --debug', () => {
    fresh();
    const r = webrnn([...runArgs(BASE, out, { config: join(tmp, 'none.json') }), '--debug']);
    expect(r.status).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(/^webrnn: cannot read --config/);
    expect(r.stderr).toMatch(/\n\s+at /);
    const before = webrnn(['--debug', 'run', '--config', 'c.json']);
    expect(before.status).toBe(2);
    expect(before.stderr.split('\n')[0]).toBe('webrnn: run: missing --weights, --input, --out (see webrnn run --help)');
    expect(before.stderr).toMatch(/\n\s+at /);
  });

  it('missing or unreadable files', () => {
    fresh();
    fails(webrnn(runArgs(BASE, out, { config: join(tmp, 'none.json') })), /cannot read --config .*none\.json: no such file/);
    fails(webrnn(runArgs(BASE, out, { weights: join(tmp, 'none.safetensors') })), /cannot read --weights .*: no such file/);
    fails(webrnn(runArgs(BASE, out, { input: tmp })), /cannot read --input .*: is a directory/);
    fails(webrnn(runArgs(BASE, join(tmp, 'no', 'dir', 'r.safetensors'))), /cannot write --out .*: directory .* does not exist/);
  });

  it('malformed or invalid config.json', () => {
    fresh();
    fails(webrnn(runArgs(BASE, out, { config: config('{"mode": "LSTM",') })), /config\.json: not valid JSON/);
    fails(webrnn(runArgs(BASE, out, { config: config('[1]') })), /config\.json: must be a JSON object/);
    fails(webrnn(runArgs(BASE, out, { config: config({ ...LSTM, mode: 'lstm' }) })), /config\.json: mode must be one of/);
    fails(webrnn(runArgs(BASE, out, { config: config({ ...LSTM, hidden_size: 0 }) })), /hidden_size must be a positive integer/);
    fails(webrnn(runArgs(BASE, out, { config: config({ ...LSTM, hiden_size: 8 }) })), /unknown config key "hiden_size"/);
    fails(webrnn(runArgs(BASE, out, { config: config({ ...LSTM, dropout: 0.5 }) })), /dropout must be 0 for `webrnn run`, got 0\.5/);
    fails(webrnn(runArgs(BASE, out, { config: config({ ...LSTM, proj_size: 8 }) })), /proj_size must be smaller than hidden_size = 8 \(as PyTorch\), got 8/);
    // a projected config with the unprojected fixture's weights: weight_hh's width and weight_hr are named
    fails(webrnn(runArgs(BASE, out, { config: config({ ...LSTM, proj_size: 3 }) })), /weight "weight_hh_l0" has shape \[32, 8\], expected \[32, 3\] for LSTM input_size=4 hidden_size=8 num_layers=1 proj_size=3/);
    fails(
      webrnn(runArgs(BASE, out, { config: config({ ...LSTM, proj_size: 3 }), weights: edited('weights', (t) => t.set('weight_hh_l0', f32([32, 3]))) })),
      /missing weight "weight_hr_l0" of shape \[3, 8\]/,
    );
  });

  it('weights that do not match the config', () => {
    fresh();
    fails(
      webrnn(runArgs(BASE, out, { weights: edited('weights', (t) => t.set('weight_ih_l1', f32([32, 8]))) })),
      /weights\.safetensors: unknown weight "weight_ih_l1"; a LSTM input_size=4 hidden_size=8 num_layers=1 has weight_ih_l0/,
    );
    fails(webrnn(runArgs(BASE, out, { weights: edited('weights', (t) => t.delete('bias_hh_l0')) })), /missing weight "bias_hh_l0" of shape \[32\]/);
    fails(
      webrnn(runArgs(BASE, out, { weights: edited('weights', (t) => t.set('weight_hh_l0', f32([32, 4]))) })),
      /weight "weight_hh_l0" has shape \[32, 4\], expected \[32, 8\]/,
    );
    fails(
      webrnn(runArgs(BASE, out, {
        weights: edited('weights', (t) => {
          const w = t.get('weight_ih_l0')!;
          t.delete('weight_ih_l0');
          t.set('rnn.weight_ih_l0', w);
        }),
      })),
      /unknown weight "rnn\.weight_ih_l0" \(strip the prefix "rnn\."\)/,
    );
    fails(
      webrnn(runArgs(BASE, out, { weights: edited('weights', (t) => t.set('bias_ih_l0', { dtype: 'I32', shape: [32], data: new Int32Array(32) })) })),
      /weight "bias_ih_l0" must be a floating-point tensor, got dtype I32/,
    );
    // A config that needs more weights than the file has.
    fails(webrnn(runArgs(BASE, out, { config: config({ ...LSTM, num_layers: 2 }) })), /missing weight "weight_ih_l1" of shape \[32, 8\]/);
  });

  it('corrupted safetensors files', () => {
    fresh();
    const truncated = join(tmp, 'weights.safetensors');
    writeFileSync(truncated, readFileSync(join(BASE, 'weights.safetensors')).subarray(0, 100));
    fails(webrnn(runArgs(BASE, out, { weights: truncated })), /weights\.safetensors: not a valid safetensors file: header length \d+ exceeds/);
    const garbage = join(tmp, 'inputs.safetensors');
    writeFileSync(garbage, 'this is not a safetensors file at all');
    fails(webrnn(runArgs(BASE, out, { input: garbage })), /inputs\.safetensors: not a valid safetensors file/);
  });

  it('inputs with wrong names or shapes', () => {
    fresh();
    fails(webrnn(runArgs(BASE, out, { input: edited('inputs', (t) => t.delete('input')) })), /missing tensor "input"/);
    fails(webrnn(runArgs(BASE, out, { input: edited('inputs', (t) => t.set('x', f32([1]))) })), /unknown tensor "x" \(known: input, h0, c0/);
    fails(
      webrnn(runArgs(BASE, out, { input: edited('inputs', (t) => t.set('input', f32([8, 4, 5]))) })),
      /"input" has shape \[8, 4, 5\], expected \(T, B, I\) with I = input_size = 4/,
    );
    fails(webrnn(runArgs(BASE, out, { input: edited('inputs', (t) => t.set('input', f32([8, 4]))) })), /"input" has shape \[8, 4\]/);
    fails(
      webrnn(runArgs(BASE, out, { input: edited('inputs', (t) => t.set('h0', f32([1, 3, 8]))) })),
      /"h0" has shape \[1, 3, 8\], expected \[1, 4, 8\] = \(L·D, B, H\)/,
    );
    fails(webrnn(runArgs(BASE, out, { input: edited('inputs', (t) => t.set('c0', f32([2, 4, 8]))) })), /"c0" has shape \[2, 4, 8\]/);
    fails(
      webrnn(runArgs(BASE, out, { input: edited('inputs', (t) => t.set('grad_output', f32([8, 4, 16]))) })),
      /"grad_output" has shape \[8, 4, 16\], expected \[8, 4, 8\]/,
    );
    fails(webrnn(runArgs(BASE, out, { input: edited('inputs', (t) => t.set('grad_h_n', f32([4, 8]))) })), /"grad_h_n" has shape \[4, 8\]/);
    // batch_first flips what "input" must look like.
    fails(webrnn(runArgs(BASE, out, { config: config({ ...LSTM, batch_first: true }) })), /"input" has shape|"lengths" has shape|"h0" has shape/);
  });

  it('cell-state tensors for a cell without one', () => {
    fresh();
    const gru = join(FIXTURES, 'gru_h0_bidir_grad');
    const input = join(tmp, 'inputs.safetensors');
    const t = read(join(gru, 'inputs.safetensors'));
    t.set('c0', t.get('h0')!);
    writeFileSync(input, serializeSafetensors(t));
    fails(webrnn(runArgs(gru, out, { input })), /"c0" is given but mode is GRU; only LSTM has a cell state/);
  });

  it('lengths out of range or of the wrong type or shape', () => {
    fresh();
    const lengths = (data: BigInt64Array | Int32Array | Float32Array, shape = [data.length]) =>
      edited('inputs', (t) => t.set('lengths', { dtype: data instanceof BigInt64Array ? 'I64' : data instanceof Int32Array ? 'I32' : 'F32', shape, data } as SafeTensor));
    fails(webrnn(runArgs(BASE, out, { input: lengths(BigInt64Array.of(5n, 0n, 1n, 3n)) })), /lengths\[1\] = 0, must be in \[1, T = 8\]/);
    fails(webrnn(runArgs(BASE, out, { input: lengths(Int32Array.of(5, 8, 9, 3)) })), /lengths\[2\] = 9, must be in \[1, T = 8\]/);
    fails(webrnn(runArgs(BASE, out, { input: lengths(BigInt64Array.of(5n, 8n, 2n ** 40n, 3n)) })), /lengths\[2\] = 1099511627776 does not fit/);
    fails(webrnn(runArgs(BASE, out, { input: lengths(Int32Array.of(5, 8, -1, 3)) })), /lengths\[2\] = -1/);
    fails(webrnn(runArgs(BASE, out, { input: lengths(Float32Array.of(5, 8, 1, 3)) })), /"lengths" must be int64 or int32, got F32/);
    fails(webrnn(runArgs(BASE, out, { input: lengths(Int32Array.of(5, 8, 1)) })), /"lengths" has shape \[3\], expected \[4\]/);
  });

  it('leaves an existing output file untouched on failure', () => {
    fresh();
    writeFileSync(out, 'previous result');
    const r = webrnn(runArgs(BASE, out, { input: edited('inputs', (t) => t.delete('input')) }));
    expect(r.status).toBe(1);
    expect(readFileSync(out, 'utf8')).toBe('previous result');
  });

  it('validation accepts every committed fixture', async () => {
    // In-process: whatever fails for a fixture after this must be the engine's doing.
    fresh();
    for (const name of CASES) {
      const dir = join(FIXTURES, name);
      const job = await loadRunJob({
        config: join(dir, 'config.json'),
        weights: join(dir, 'weights.safetensors'),
        input: join(dir, 'inputs.safetensors'),
        out,
      });
      const expected = read(join(dir, 'expected.safetensors'));
      expect(job.shapes.output, name).toEqual(expected.get('output')!.shape);
      expect(job.shapes.state, name).toEqual(expected.get('h_n')!.shape);
      expect(job.upstream !== undefined, name).toBe(expected.has('grad.input'));
    }
  });
});
