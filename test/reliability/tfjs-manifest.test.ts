// tfjs model.json manifests as untrusted input: a weightsManifest that is not a list of groups, paths
// that are not file names, shapes that are not lists of non-negative integers (even when their product
// matches the byte count, as [−10, −4] and [2.5, 16] do) are BAD_FILE — never a JS TypeError reported
// as "internal error", never a model that loads with nonsense shapes.
import { describe, expect, test } from 'vitest';
import { WebRnnError } from '../../src/index.js';
import { readTfjsModelFiles } from '../../src/interop/tfjs/files.js';
import { TfjsModel } from '../../src/interop/tfjs/model.js';

/** A Dense(2 → 3) Sequential model: model.json (with `manifest` as its weightsManifest when given) and w.bin (kernel 2×3, bias 3). */
export function denseModelFiles(manifest?: unknown): Map<string, Uint8Array> {
  const topology = {
    class_name: 'Sequential',
    config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'd', units: 3, activation: 'linear', use_bias: true, batch_input_shape: [null, 2] } }] },
  };
  const weights = manifest !== undefined ? manifest : [{ paths: ['w.bin'], weights: [{ name: 'd/kernel', shape: [2, 3], dtype: 'float32' }, { name: 'd/bias', shape: [3], dtype: 'float32' }] }];
  const w = new Float32Array(9).map((_, i) => i / 10);
  return new Map([
    ['m/model.json', new TextEncoder().encode(JSON.stringify({ modelTopology: topology, weightsManifest: weights }))],
    ['m/w.bin', new Uint8Array(w.buffer)],
  ]);
}

async function load(files: Map<string, Uint8Array>): Promise<TfjsModel> {
  const read = async (p: string) => {
    const f = files.get(p);
    if (!f) throw new WebRnnError('BAD_FILE', `no file ${p}`);
    return f;
  };
  return TfjsModel.fromArtifacts(await readTfjsModelFiles('m/model.json', read), 'm/model.json');
}

async function fails(files: Map<string, Uint8Array>, message: RegExp): Promise<void> {
  const e = await load(files).then(() => undefined, (err: unknown) => err);
  expect(e, 'expected a WebRnnError').toBeInstanceOf(WebRnnError);
  expect((e as WebRnnError).code).toBe('BAD_FILE');
  expect((e as WebRnnError).message).toMatch(message);
}

const group = (weights: unknown, paths: unknown = ['w.bin']) => [{ paths, weights }];

describe('tfjs weight manifests', () => {
  test('the valid model loads', async () => {
    const m = await load(denseModelFiles());
    expect([...m.weights.keys()]).toEqual(['d/kernel', 'd/bias']);
  });

  test('a weightsManifest that is not a list of groups, and paths that are not file names', async () => {
    await fails(denseModelFiles(null), /weightsManifest must be a list of \{ paths, weights \} groups, got null/);
    await fails(denseModelFiles({ paths: ['w.bin'] }), /weightsManifest must be a list/);
    await fails(denseModelFiles([7]), /weightsManifest\[0\] must be an object/);
    await fails(denseModelFiles(group([], [null])), /weightsManifest\[0\]\.paths must be a list of file names, got \[null\]/);
    await fails(denseModelFiles(group([], [123])), /paths must be a list of file names, got \[123\]/);
    await fails(denseModelFiles(group([], 'w.bin')), /paths must be a list of file names/);
    await fails(denseModelFiles(group({ name: 'x' })), /weights must be a list of weight specs/);
  });

  test('shapes that are not lists of non-negative integers, even when the product matches the bytes', async () => {
    const kernel = (shape: unknown) => group([{ name: 'd/kernel', shape, dtype: 'float32' }, { name: 'd/bias', shape: [3], dtype: 'float32' }]);
    await fails(denseModelFiles(kernel([-2, -3])), /weight "d\/kernel": shape \[-2, -3\] has dimension -2; dimensions must be non-negative integers/);
    await fails(denseModelFiles(kernel([1.5, 4])), /shape \[1.5, 4\] has dimension 1.5/);
    await fails(denseModelFiles(kernel('2,3')), /weight "d\/kernel" has shape "2,3"; a shape is a list/);
    await fails(denseModelFiles(kernel([2, '3'])), /has dimension 3; dimensions must be non-negative integers/);
    await fails(denseModelFiles(kernel([2 ** 32, 2 ** 32])), /more than the 36 bytes of weight data left/);
    await fails(denseModelFiles(group([null])), /weight spec 0 must be an object \{ name, shape, dtype \}, got null/);
    await fails(denseModelFiles(group([{ name: 5, shape: [2, 3], dtype: 'float32' }])), /weight spec 0 must be an object/);
  });
});
