// Careless and hostile file arguments: outputs that are FIFOs, symbolic links, read-only-mode files or
// the input itself; inputs that are pipes, devices or far too large; tfjs weight files that lead out of
// the model's folder. Every case ends in one line on stderr and a non-zero exit, with nothing damaged.
// Never touches /dev/null: non-regular outputs are FIFOs made in a temporary folder. Reading /dev/zero
// through a link is harmless (and refused before it is opened).
// Needs `npm run build` (scripts/test.sh does it): it runs bin/webrnn.js in child processes.
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { readTextChunks } from '../../src/data/text-stream.node.js';
import { failsWithOneLine as fails, ROOT, webrnn } from '../helpers/cli-run.js';

const RUN = join(ROOT, 'test', 'fixtures', 'lstm_basic');
const TORCH = join(ROOT, 'test', 'fixtures-torch', 'lstm_nobias_linear_nobias', 'state_dict.safetensors');

const dir = mkdtempSync(join(tmpdir(), 'webrnn-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fifo(name: string): string {
  const p = join(dir, name);
  const r = spawnSync('mkfifo', [p]);
  expect(r.status, 'mkfifo').toBe(0);
  return p;
}

/** A sparse file of `size` bytes starting with `head` (no disk space used for the rest). */
function sparse(name: string, size: number, head: Uint8Array = new Uint8Array(0)): string {
  const p = join(dir, name);
  const fd = openSync(p, 'w');
  writeSync(fd, head);
  ftruncateSync(fd, size);
  closeSync(fd);
  return p;
}

const runArgs = (out: string, over: Record<string, string> = {}) => [
  'run', '--config', over.config ?? join(RUN, 'config.json'), '--weights', over.weights ?? join(RUN, 'weights.safetensors'),
  '--input', over.input ?? join(RUN, 'inputs.safetensors'), '--out', out,
];

describe('outputs: only regular files are replaced', () => {
  test('a FIFO at --out (run, fit, convert) is refused and stays a FIFO', () => {
    const p = fifo('out.fifo');
    fails(webrnn(runArgs(p)), /cannot write --out .*out\.fifo: is a named pipe/);
    expect(lstatSync(p).isFIFO()).toBe(true);
    const FIT = join(ROOT, 'test', 'fixtures-fit', 'lstm_adam');
    const fit = ['fit', '--config', join(FIT, 'model.json'), '--weights', join(FIT, 'init.safetensors'), '--data', join(FIT, 'batch.safetensors'), '--optimizer', 'sgd', '--lr', '0.1', '--steps', '1'];
    fails(webrnn([...fit, '--out', p]), /cannot write --out .*out\.fifo: is a named pipe/);
    expect(lstatSync(p).isFIFO()).toBe(true);
    const q = fifo('out.onnx');
    fails(webrnn(['convert', TORCH, q]), /cannot write OUT .*out\.onnx: is a named pipe/);
    expect(lstatSync(q).isFIFO()).toBe(true);
  });

  test('a symbolic link to a FIFO, or to nothing, is refused and left as it is', () => {
    const target = fifo('target.fifo');
    const link = join(dir, 'link-to-fifo.safetensors');
    symlinkSync(target, link);
    fails(webrnn(runArgs(link)), /symbolic link to .*target\.fifo, which is a named pipe/);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(lstatSync(target).isFIFO()).toBe(true);
    const dangling = join(dir, 'dangling.safetensors');
    symlinkSync(join(dir, 'nothing-here'), dangling);
    fails(webrnn(runArgs(dangling)), /symbolic link to a missing file/);
    expect(existsSync(join(dir, 'nothing-here'))).toBe(false);
  });

  test('an existing output keeps its mode; a symbolic link to a regular file is written through', () => {
    const out = join(dir, 'private.safetensors');
    writeFileSync(out, 'old');
    chmodSync(out, 0o600);
    const r = webrnn(runArgs(out));
    expect(r.status, r.stderr).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readFileSync(out).length).toBeGreaterThan(100);

    mkdirSync(join(dir, 'real'));
    const real = join(dir, 'real', 'result.safetensors');
    writeFileSync(real, 'old');
    chmodSync(real, 0o640);
    const link = join(dir, 'latest.safetensors');
    symlinkSync(real, link);
    const s = webrnn(runArgs(link));
    expect(s.status, s.stderr).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(real);
    expect(readFileSync(real).length).toBeGreaterThan(100);
    expect(statSync(real).mode & 0o777).toBe(0o640);
  });

  test('--out equal to an input (also through a link) is refused; the input is untouched', () => {
    const input = join(dir, 'inputs-copy.safetensors');
    copyFileSync(join(RUN, 'inputs.safetensors'), input);
    const before = readFileSync(input);
    fails(webrnn(runArgs(input, { input })), /it is the --input file/);
    const link = join(dir, 'inputs-link.safetensors');
    symlinkSync(input, link);
    fails(webrnn(runArgs(link, { input })), /it is the --input file/);
    expect(readFileSync(input).equals(before)).toBe(true);
  });
});

describe('inputs: regular files of a bounded size', () => {
  test('a FIFO or a device as --input, --config or train/eval --data fails at once', () => {
    const zero = join(dir, 'zero.safetensors');
    symlinkSync('/dev/zero', zero);
    const out = join(dir, 'never.safetensors');
    fails(webrnn(runArgs(out, { input: zero }), 10_000), /cannot read --input .*zero\.safetensors: is a character device, not a regular file/);
    fails(webrnn(runArgs(out, { input: fifo('in.fifo') }), 10_000), /cannot read --input .*in\.fifo: is a named pipe/);
    fails(webrnn(runArgs(out, { config: fifo('config.fifo') }), 10_000), /cannot read --config .*: is a named pipe/);
    expect(existsSync(out)).toBe(false);
    fails(webrnn(['train', '--data', zero, '--out', join(dir, 'never-run'), '--steps', '1'], 10_000), /cannot read --data .*: is a character device/);
    expect(existsSync(join(dir, 'never-run'))).toBe(false);
  });

  test('size bounds: a 65 MiB --config and a 5 GiB --weights are refused without being read', () => {
    const out = join(dir, 'never.safetensors');
    fails(webrnn(runArgs(out, { config: sparse('huge-config.json', 65 * 2 ** 20) }), 10_000), /is 65 MiB, more than the 64 MiB webrnn reads/);
    fails(webrnn(runArgs(out, { weights: sparse('huge.safetensors', 5 * 2 ** 30) }), 10_000), /is 5 GiB, more than the 4 GiB webrnn reads/);
  });

  test('safetensors: a 3 GiB file with a bad header fails on its header (the body is never read)', () => {
    const head = new Uint8Array(8);
    new DataView(head.buffer).setBigUint64(0, 1n, true); // header length 1: too short for a JSON object
    const out = join(dir, 'never.safetensors');
    fails(webrnn(runArgs(out, { weights: sparse('bad-header.safetensors', 3 * 2 ** 30, head) }), 10_000), /not a valid safetensors file: header length 1 is too short/);
  });

  test('streamed text (readTextChunks, openBpttFile) refuses a device too', async () => {
    const zero = join(dir, 'zero.txt');
    symlinkSync('/dev/zero', zero);
    const first = async () => {
      for await (const chunk of readTextChunks(zero)) return chunk;
    };
    await expect(first()).rejects.toThrow(/cannot read text file .*zero\.txt: is a character device, not a regular file/);
  });
});
describe('tfjs weight files stay in the model folder', () => {
  test('a weight file linked to a file outside (or to /proc/self/environ) is refused; links inside work', () => {
    const a = join(dir, 'tfjs-a');
    mkdirSync(a);
    const made = webrnn(['convert', TORCH, join(a, 'm.json')]);
    expect(made.status, made.stderr).toBe(0);
    const weights = readFileSync(join(a, 'm.json'), 'utf8').match(/"paths":\["([^"]+)"\]/)![1]!;

    const b = join(dir, 'tfjs-b');
    mkdirSync(b);
    copyFileSync(join(a, 'm.json'), join(b, 'm.json'));
    symlinkSync(join(a, weights), join(b, weights));
    const out = join(dir, 'stolen.safetensors');
    fails(webrnn(['convert', join(b, 'm.json'), out]), new RegExp(`weight file .*${weights.replace(/\./g, '\\.')} is .*tfjs-a.*, outside the model's folder`));
    expect(existsSync(out)).toBe(false);

    rmSync(join(b, weights));
    symlinkSync('/proc/self/environ', join(b, weights));
    fails(webrnn(['convert', join(b, 'm.json'), out]), /outside the model's folder/);
    expect(existsSync(out)).toBe(false);

    // a link that stays inside the folder is fine
    const c = join(dir, 'tfjs-c');
    mkdirSync(join(c, 'store'), { recursive: true });
    copyFileSync(join(a, 'm.json'), join(c, 'm.json'));
    copyFileSync(join(a, weights), join(c, 'store', 'w.bin'));
    symlinkSync(join(c, 'store', 'w.bin'), join(c, weights));
    const ok = webrnn(['convert', join(c, 'm.json'), join(dir, 'ok.safetensors')]);
    expect(ok.status, ok.stderr).toBe(0);
  });
});
