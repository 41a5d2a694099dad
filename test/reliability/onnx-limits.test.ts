// The ONNX CPU executor against graphs that ask for absurd sizes or break the graph's rules: every
// output size is computed and checked before anything is allocated (a ~100-byte ConstantOfShape([3e9])
// once ran a minute and peaked at 23.6 GB), bad repeats/sizes/steps are typed errors, initializer
// dimensions are checked against what the file stores, and a value is written by one node only. Every
// model here is CPU-only (no recurrent node), so no engine is needed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { serializeSafetensors, WebRnnError, type Engine } from '../../src/index.js';
import { OnnxModel } from '../../src/interop/onnx/model.js';
import { DEFAULT_MAX_ELEMENTS, makeValue, type OnnxValue } from '../../src/interop/onnx/value.js';
import { encodeOnnx, type IoInput, type NodeInput } from '../../src/interop/onnx/write.js';

const NO_GPU = undefined as unknown as Engine; // CPU-only graphs never touch the engine
const i64 = (v: number[], shape = [v.length]): OnnxValue => makeValue('int64', shape, v);
const f32 = (v: number[], shape = [v.length]): OnnxValue => makeValue('float32', shape, v);

/** One node reading constant initializers (and optional graph inputs), one output y. */
function oneNode(op: string, init: Record<string, OnnxValue>, order: string[], attrs: NodeInput['attrs'] = {}, outputs = ['y'], inputs: IoInput[] = []): Uint8Array {
  return encodeOnnx({
    inputs,
    outputs: outputs.map((name) => ({ name, type: 'float32' })),
    initializers: init,
    nodes: [{ op, name: 'n0', inputs: order, outputs, attrs }],
  });
}

async function failure(p: Promise<unknown>): Promise<WebRnnError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e, 'expected a WebRnnError').toBeInstanceOf(WebRnnError);
  return e as WebRnnError;
}

async function runFails(bytes: Uint8Array, opts?: { maxElements?: number }): Promise<WebRnnError> {
  const model = await OnnxModel.load(bytes, 'm.onnx');
  return failure(model.run(NO_GPU, {}, opts));
}

describe('ONNX executor: output sizes are checked before allocating', () => {
  test('ConstantOfShape([3e9]) and [1e5, 1e5] are DEVICE_LIMIT naming node, operator and shape', async () => {
    for (const shape of [[3e9], [1e5, 1e5], [5e8]]) {
      const e = await runFails(oneNode('ConstantOfShape', { s: i64(shape) }, ['s']));
      expect(e.code).toBe('DEVICE_LIMIT');
      expect(e.message).toContain('ONNX node "n0" (ConstantOfShape)');
      expect(e.message).toContain(`[${shape.join(', ')}]`);
      expect(e.message).toContain(String(DEFAULT_MAX_ELEMENTS));
    }
  });

  test('the cap is an option of load and run (a run option overrides the model)', async () => {
    const bytes = oneNode('ConstantOfShape', { s: i64([1000]) }, ['s']);
    expect((await runFails(bytes, { maxElements: 999 })).code).toBe('DEVICE_LIMIT');
    const small = await OnnxModel.load(bytes, 'm.onnx', { maxElements: 10 });
    expect((await failure(small.run(NO_GPU, {}))).code).toBe('DEVICE_LIMIT');
    expect((await small.run(NO_GPU, {}, { maxElements: 1000 })).y.shape).toEqual([1000]);
    for (const bad of [0, -1, 1.5, 2 ** 31, '9']) {
      expect((await failure(OnnxModel.load(bytes, 'm.onnx', { maxElements: bad as number }))).code).toBe('BAD_CONFIG');
    }
    expect((await failure(OnnxModel.load(bytes, 'm.onnx', { maxElement: 3 } as never))).code).toBe('BAD_CONFIG');
  });

  test('Tile, Expand, Range, Concat, Gather, MatMul and Gemm outputs beyond the cap', async () => {
    const cases: [string, Uint8Array][] = [
      ['Tile', oneNode('Tile', { x: f32([1, 2], [1, 2]), r: i64([1e5, 1e5]) }, ['x', 'r'])],
      ['Expand', oneNode('Expand', { x: f32([1]), s: i64([1e5, 1e5]) }, ['x', 's'])],
      ['Range', oneNode('Range', { a: f32([0], []), b: f32([1e12], []), c: f32([1], []) }, ['a', 'b', 'c'])],
      ['Concat', oneNode('Concat', { a: f32([1, 2]) }, ['a', 'a', 'a'], { axis: 0 })],
      ['Gather', oneNode('Gather', { x: f32([1, 2]), i: i64([0, 1, 1]) }, ['x', 'i'])],
      ['MatMul', oneNode('MatMul', { a: f32([1, 2, 3], [3, 1]), b: f32([1, 2, 3], [1, 3]) }, ['a', 'b'])],
      ['Gemm', oneNode('Gemm', { a: f32([1, 2, 3], [3, 1]), b: f32([1, 2, 3], [1, 3]) }, ['a', 'b'])],
    ];
    for (const [op, bytes] of cases) {
      // the small ones (Concat 6, Gather 3, MatMul 9) prove the check runs for every operator
      const e = await runFails(bytes, { maxElements: op === 'Concat' ? 5 : op === 'Gather' ? 2 : op === 'MatMul' || op === 'Gemm' ? 8 : undefined });
      expect(e.code, op).toBe('DEVICE_LIMIT');
      expect(e.message, op).toContain(`(${op})`);
    }
  });

  test('a MatMul of two capped tensors is refused before it spends minutes of CPU', async () => {
    const bytes = encodeOnnx({
      inputs: [],
      outputs: [{ name: 'y', type: 'float32' }],
      initializers: { s: i64([4096, 4096]) },
      nodes: [{ op: 'ConstantOfShape', name: 'k', inputs: ['s'], outputs: ['a'] }, { op: 'MatMul', name: 'n0', inputs: ['a', 'a'], outputs: ['y'] }],
    });
    const e = await runFails(bytes, { maxElements: 2 ** 24 });
    expect(e.code).toBe('DEVICE_LIMIT');
    expect(e.message).toMatch(/ONNX node "n0" \(MatMul\): \[4096, 4096\] × \[4096, 4096\] needs 6.872e\+10 multiply-adds/);
  });

  test('negative or fractional repeats, split sizes, shapes; zero or infinite Range steps', async () => {
    const cases: [string, Uint8Array][] = [
      ['Tile', oneNode('Tile', { x: f32([1, 2], [1, 2]), r: i64([-1, 2]) }, ['x', 'r'])],
      ['Tile', oneNode('Tile', { x: f32([1, 2], [1, 2]), r: f32([0.5, 2]) }, ['x', 'r'])],
      ['Split', oneNode('Split', { x: f32([1, 2, 3]), s: i64([5, -2]) }, ['x', 's'], {}, ['y', 'z'])],
      ['Range', oneNode('Range', { a: f32([0], []), b: f32([10], []), c: f32([0], []) }, ['a', 'b', 'c'])],
      ['Range', oneNode('Range', { a: f32([0], []), b: f32([10], []), c: f32([Infinity], []) }, ['a', 'b', 'c'])],
      ['Range', oneNode('Range', { a: f32([0], []), b: f32([Infinity], []), c: f32([1], []) }, ['a', 'b', 'c'])],
      ['ConstantOfShape', oneNode('ConstantOfShape', { s: i64([-3]) }, ['s'])],
      ['Expand', oneNode('Expand', { x: f32([1]), s: i64([-4]) }, ['x', 's'])],
    ];
    for (const [op, bytes] of cases) {
      const e = await runFails(bytes);
      expect(e.code, op).toBe('BAD_VALUE');
      expect(e.message, op).toContain(`ONNX node "n0" (${op})`);
    }
  });

  test('initializer dimensions: negative ones and more elements than the file stores are BAD_FILE at load', async () => {
    for (const [shape, data] of [[[-2, 3], 6], [[2 ** 32, 2 ** 32], 0], [[1e6, 1e6], 4]] as const) {
      const bytes = oneNode('Identity', { w: { type: 'float32', shape: [...shape], data: new Float32Array(data) } }, ['w']);
      const e = await failure(OnnxModel.load(bytes, 'm.onnx'));
      expect(e.code).toBe('BAD_FILE');
      expect(e.message).toContain('initializer "w"');
    }
  });
});

describe('ONNX graphs: every value is written once', () => {
  const io = { inputs: [{ name: 'x', type: 'float32' as const, shape: [2] }], outputs: [{ name: 'y', type: 'float32' as const }] };
  test('two nodes writing one output are BAD_FILE at load', async () => {
    const bytes = encodeOnnx({ ...io, nodes: [{ op: 'Neg', name: 'a', inputs: ['x'], outputs: ['y'] }, { op: 'Abs', name: 'b', inputs: ['x'], outputs: ['y'] }] });
    const e = await failure(OnnxModel.load(bytes, 'm.onnx'));
    expect(e.code).toBe('BAD_FILE');
    expect(e.message).toContain('"b" (Abs) writes "y", which node "a" (Neg) already provides');
  });
  test('a node overwriting a graph input or an initializer is BAD_FILE at load', async () => {
    const overInput = encodeOnnx({ ...io, nodes: [{ op: 'Neg', name: 'a', inputs: ['x'], outputs: ['x'] }, { op: 'Abs', name: 'b', inputs: ['x'], outputs: ['y'] }] });
    expect((await failure(OnnxModel.load(overInput, 'm.onnx'))).message).toContain('which a graph input already provides');
    const overInit = encodeOnnx({ ...io, initializers: { w: f32([1, 2]) }, nodes: [{ op: 'Neg', name: 'a', inputs: ['x'], outputs: ['w'] }, { op: 'Add', name: 'b', inputs: ['x', 'w'], outputs: ['y'] }] });
    expect((await failure(OnnxModel.load(overInit, 'm.onnx'))).message).toContain('which an initializer already provides');
  });
});

describe('webrnn run --model: the cap on the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'webrnn-onnx-limits-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const BIN = join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'webrnn.js');
  const run = (model: string, extra: string[] = []) => {
    const out = join(dir, 'out.safetensors');
    rmSync(out, { force: true });
    const r = spawnSync(process.execPath, [BIN, 'run', '--model', model, '--input', join(dir, 'none.safetensors'), '--out', out, ...extra], { encoding: 'utf8', timeout: 120_000 });
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('Warning: max'));
    return { status: r.status, lines, wrote: existsSync(out) };
  };

  test('a ConstantOfShape([3e9]) model exits 1 with one line; --max-elements lowers or raises the cap', () => {
    writeFileSync(join(dir, 'none.safetensors'), serializeSafetensors({}));
    writeFileSync(join(dir, 'huge.onnx'), oneNode('ConstantOfShape', { s: i64([3e9]) }, ['s']));
    writeFileSync(join(dir, 'small.onnx'), oneNode('ConstantOfShape', { s: i64([1000]) }, ['s']));
    const huge = run(join(dir, 'huge.onnx'));
    expect(huge.status).toBe(1);
    expect(huge.lines).toHaveLength(1);
    expect(huge.lines[0]).toMatch(/^webrnn: ONNX node "n0" \(ConstantOfShape\): .*\[3000000000\].*cap of 134217728 elements/);
    expect(huge.wrote).toBe(false);
    expect(run(join(dir, 'small.onnx'))).toMatchObject({ status: 0, wrote: true });
    const lowered = run(join(dir, 'small.onnx'), ['--max-elements', '999']);
    expect(lowered.status).toBe(1);
    expect(lowered.lines[0]).toMatch(/cap of 999 elements/);
    const bad = run(join(dir, 'small.onnx'), ['--max-elements', '1e10']);
    expect(bad.status).toBe(2);
    expect(bad.lines[0]).toMatch(/--max-elements must be an integer in \[1, 2147483647\]/);
  }, 120_000);
});
