/**
 * `webrnn run --model` and `webrnn convert` as a user runs them (`node bin/webrnn.js` in a child
 * process; needs `npm run build`, which scripts/test.sh does): outputs named by the graph's outputs,
 * equal to onnxruntime-node's within 1e-5 of max, and one-line errors for bad input.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { describe, expect, test } from 'vitest';
import { encodeOnnx } from '../src/interop/onnx/write.js';
import { tfjsModelJson } from '../src/interop/tfjs/files.js';
import { parseSafetensors, serializeSafetensors, toFloat64, type SafeTensor } from '../src/formats/safetensors.js';
import { Rng } from '../src/random.js';
import { relErr } from './gpu/check.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'webrnn.js');
const ONNX = join(ROOT, 'test', 'fixtures-onnx');

function webrnn(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'webrnn-interop-cli-'));
const rng = new Rng(77);

/** max |got − want| / max |want| (Infinity for a length mismatch): the GPU cases' measure. */
const maxRel = (got: ArrayLike<number>, want: ArrayLike<number>): number => relErr(got, want).err;

describe('webrnn run --model FILE.onnx', () => {
  test('an exported language model (int64 tokens in; log-probabilities out) equals onnxruntime', async () => {
    const dir = tmp();
    const model = join(ONNX, 'lm_embedding_lstm_linear_logsoftmax.onnx');
    const tokens = BigInt64Array.from({ length: 3 * 9 }, () => BigInt(rng.int(0, 10)));
    writeFileSync(join(dir, 'in.safetensors'), serializeSafetensors({ tokens: { dtype: 'I64', shape: [3, 9], data: tokens } }));
    const r = webrnn(['run', '--model', model, '--input', join(dir, 'in.safetensors'), '--out', join(dir, 'out.safetensors')]);
    expect(r.status, r.stderr).toBe(0);
    const got = parseSafetensors(readFileSync(join(dir, 'out.safetensors'))).tensors;
    expect([...got.keys()]).toEqual(['log_probs']);
    const s = await ort.InferenceSession.create(readFileSync(model));
    const want = (await s.run({ tokens: new ort.Tensor('int64', tokens, [3, 9]) })).log_probs;
    const lp = got.get('log_probs')!;
    expect(lp.dtype).toBe('F32');
    expect(lp.shape).toEqual([...want.dims]);
    expect(maxRel(toFloat64(lp), want.data as Float32Array)).toBeLessThan(1e-5);
  });

  test('every output of a multi-output graph, int64 outputs as I64', async () => {
    const dir = tmp();
    const model = join(ONNX, 'tagger_embedding_rnn_relu_bidir_argmax.onnx');
    const tokens = BigInt64Array.from({ length: 10 }, () => BigInt(rng.int(0, 8)));
    writeFileSync(join(dir, 'in.safetensors'), serializeSafetensors({ tokens: { dtype: 'I64', shape: [5, 2], data: tokens } }));
    const r = webrnn(['run', '--model', model, '--input', join(dir, 'in.safetensors'), '--out', join(dir, 'out.safetensors')]);
    expect(r.status, r.stderr).toBe(0);
    const got = parseSafetensors(readFileSync(join(dir, 'out.safetensors'))).tensors;
    const s = await ort.InferenceSession.create(readFileSync(model));
    const want = await s.run({ tokens: new ort.Tensor('int64', tokens, [5, 2]) });
    expect(got.get('tags')!.dtype).toBe('I64');
    expect(Array.from(got.get('tags')!.data as BigInt64Array)).toEqual(Array.from(want.tags.data as BigInt64Array));
    expect(maxRel(toFloat64(got.get('logits')!), want.logits.data as Float32Array)).toBeLessThan(1e-5);
  });

  test('bad inputs and models fail with one line naming the problem, and no output file', () => {
    const dir = tmp();
    const out = join(dir, 'out.safetensors');
    const model = join(ONNX, 'lstm_1layer.onnx');
    const put = (name: string, t: Record<string, SafeTensor>) => {
      writeFileSync(join(dir, name), serializeSafetensors(t));
      return join(dir, name);
    };
    const wrongName = put('a.safetensors', { input: { dtype: 'F32', shape: [6, 2, 3], data: new Float32Array(36) } });
    const wrongType = put('b.safetensors', { x: { dtype: 'I64', shape: [6, 2, 3], data: new BigInt64Array(36) } });
    const wrongShape = put('c.safetensors', { x: { dtype: 'F32', shape: [6, 2, 4], data: new Float32Array(48) } });
    const cases: [string[], RegExp][] = [
      [['--model', model, '--input', wrongName, '--out', out], /"input" is not an input of the graph \(inputs: x\)/],
      [['--model', model, '--input', wrongType, '--out', out], /"x" must be float32, got int64/],
      [['--model', model, '--input', wrongShape, '--out', out], /"x" has shape \[6, 2, 4\], the graph declares \[6, 2, 3\]/],
      [['--model', join(dir, 'none.onnx'), '--input', wrongName, '--out', out], /cannot read --model .*none.onnx: no such file/],
      [['--model', model, '--config', 'c.json', '--input', wrongName, '--out', out], /--model replaces --config and --weights/],
      [['--model', model, '--out', out], /missing --input/],
    ];
    const conv = join(dir, 'conv.onnx');
    writeFileSync(conv, encodeOnnx({ inputs: [{ name: 'x', type: 'float32', shape: [1, 1, 3, 3] }], outputs: [{ name: 'y', type: 'float32' }], nodes: [{ op: 'ConvTranspose', inputs: ['x', 'x'], outputs: ['y'], name: 'c1' }] }));
    cases.push([['--model', conv, '--input', wrongName, '--out', out], /unsupported ONNX operator: ConvTranspose \("c1"\)/]);
    for (const [args, re] of cases) {
      const r = webrnn(['run', ...args]);
      expect(r.status, args.join(' ')).not.toBe(0);
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(out)).toBe(false);
    }
  });

  test('a tfjs model.json + weights.bin (Embedding mask_zero → Bidirectional GRU → Dense softmax) equals tfjs predict', async () => {
    await tf.setBackend('cpu');
    const dir = tmp();
    const model = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: 10, outputDim: 3, maskZero: true, inputLength: 5 }),
        tf.layers.bidirectional({ layer: tf.layers.gru({ units: 4, returnSequences: true }) as never }),
        tf.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    let art: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => {
      art = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    writeFileSync(join(dir, 'model.json'), tfjsModelJson({ modelTopology: art!.modelTopology, weightSpecs: art!.weightSpecs!, weightData: art!.weightData as ArrayBuffer }));
    writeFileSync(join(dir, 'weights.bin'), new Uint8Array(art!.weightData as ArrayBuffer));
    const ids = [4, 2, 9, 0, 0, 1, 1, 3, 5, 8];
    const inputName = model.inputs[0].name; // embedding_Embedding1_input, as webrnn names it too
    writeFileSync(join(dir, 'in.safetensors'), serializeSafetensors({ [inputName]: { dtype: 'I64', shape: [2, 5], data: BigInt64Array.from(ids, BigInt) } }));
    const r = webrnn(['run', '--model', join(dir, 'model.json'), '--input', join(dir, 'in.safetensors'), '--out', join(dir, 'out.safetensors')]);
    expect(r.status, r.stderr).toBe(0);
    const got = parseSafetensors(readFileSync(join(dir, 'out.safetensors'))).tensors;
    const want = model.predict(tf.tensor(ids, [2, 5])) as tf.Tensor;
    const out = got.get(model.layers[2].name)!;
    expect(out.shape).toEqual(want.shape);
    expect(maxRel(toFloat64(out), await want.data())).toBeLessThan(1e-5);
    const bad = webrnn(['run', '--model', join(dir, 'model.json'), '--input', join(dir, 'in.safetensors').replace('in.', 'none.'), '--out', join(dir, 'o2.safetensors')]);
    expect(bad.stderr).toMatch(/cannot read --input/);
  });

  test('--help describes --model', () => {
    const r = webrnn(['run', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--model FILE/);
  });
});
