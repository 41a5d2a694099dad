// `webrnn convert` and the converters behind it, each checked against an independent runtime:
//  PyTorch → ONNX: onnxruntime on the converted graph equals PyTorch's logits (fixtures-torch, with
//    lengths) within 1e-5;
//  PyTorch → tfjs: tfjs itself (LSTM/RNN; tfjs 4 cannot build a reset-after GRU) and webrnn's tfjs
//    loader equal the PyTorch model run by webrnn on full-length rows;
//  tfjs → PyTorch: the state_dict loaded as a SequenceModel equals tfjs predict;
//  tfjs → ONNX: onnxruntime equals tfjs predict (hard_sigmoid cells, reset-before GRU);
//  refusals say why; the CLI writes files atomically and fails with one line.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEngine, Recurrent, type Engine } from '../src/index.js';
import { portableToOnnx } from '../src/interop/onnx/export.js';
import { parseSafetensors, toFloat64, toInt32, type SafeTensor } from '../src/formats/safetensors.js';
import { portableToTfjs, tfjsToPortable } from '../src/interop/tfjs/export.js';
import { TfjsModel, type TfjsArtifacts } from '../src/interop/tfjs/model.js';
import { loadTorchModel, readTorchStateDict } from '../src/interop/torch/model.js';
import { portableFromTorch, portableToTorch, type PortableModel } from '../src/interop/torch/portable.js';
import { Rng } from '../src/random.js';
import { relErr } from './gpu/check.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TORCH = join(ROOT, 'test', 'fixtures-torch');
const BIN = join(ROOT, 'bin', 'webrnn.js');
const TOL = 1e-5;
const FIXTURES: [string, { target: 'all_steps' | 'last_step'; nonlinearity?: 'relu' }][] = [
  ['lstm_embedding_bidir_2layer', { target: 'all_steps' }],
  ['gru_custom_names_last_step', { target: 'last_step' }],
  ['rnn_relu_features_f16', { target: 'all_steps', nonlinearity: 'relu' }],
  ['lstm_nobias_linear_nobias', { target: 'all_steps' }],
];

let engine: Engine;
beforeAll(async () => {
  await tf.setBackend('cpu');
  engine = await createEngine();
});
afterAll(() => engine?.dispose());

const rng = new Rng(99);
const read = (c: string, f: string) => parseSafetensors(readFileSync(join(TORCH, c, f)), { copy: true }).tensors;
/** max |got − want| / max |want| (Infinity for a length mismatch): the GPU cases' measure. */
const maxRel = (got: ArrayLike<number>, want: ArrayLike<number>): number => relErr(got, want).err;
const worst: [string, number][] = [];
afterAll(() => {
  worst.sort((a, b) => b[1] - a[1]);
  if (worst.length) console.log(`converted models vs their runtimes: ${worst.length} checks, worst ${worst[0][1].toExponential(2)} (${worst[0][0]})`);
});
const note = (label: string, e: number) => {
  worst.push([label, e]);
  expect(e, label).toBeLessThan(TOL);
};

/** (T, B, O) time-major → (B, T, O). */
function batchFirst(a: Float32Array, T: number, B: number): Float32Array {
  const O = a.length / (T * B);
  const out = new Float32Array(a.length);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) out.set(a.subarray((t * B + b) * O, (t * B + b + 1) * O), (b * T + t) * O);
  return out;
}

describe('PyTorch → ONNX (onnxruntime vs PyTorch)', () => {
  for (const [name, info] of FIXTURES) {
    test(name, async () => {
      const sd = readTorchStateDict(read(name, 'state_dict.safetensors'), { nonlinearity: info.nonlinearity });
      const bytes = portableToOnnx(portableFromTorch(sd, info.target));
      const batch = read(name, 'batch.safetensors');
      const tok = batch.get('tokens');
      const inp = batch.get('input');
      const feeds: Record<string, ort.Tensor> = { lengths: new ort.Tensor('int32', toInt32(batch.get('lengths')!), batch.get('lengths')!.shape) };
      if (tok) feeds.tokens = new ort.Tensor('int64', tok.data as BigInt64Array, tok.shape);
      else feeds.input = new ort.Tensor('float32', inp!.data as Float32Array, inp!.shape);
      const s = await ort.InferenceSession.create(bytes);
      const y = (await s.run(feeds)).logits;
      const want = toFloat64(read(name, 'expected.safetensors').get('logits')!);
      expect([...y.dims]).toEqual(read(name, 'expected.safetensors').get('logits')!.shape);
      note(`torch→onnx ${name}`, maxRel(y.data as Float32Array, want));
    });
  }
});

/** A SequenceModel run on full-length rows (what a mask-free tfjs model computes). */
async function torchPredict(name: string, info: (typeof FIXTURES)[number][1], feed: Feed) {
  const { model } = loadTorchModel(engine, read(name, 'state_dict.safetensors'), info);
  try {
    const y = await model.predict({ B: feed.B, T: feed.T, ...(feed.tokens ? { tokens: feed.tokens } : { input: feed.input! }) }).read();
    return info.target === 'all_steps' ? batchFirst(y, feed.T, feed.B) : y;
  } finally {
    model.dispose();
  }
}

/** A fixture's batch: token ids (with an embedding) or features (without), batch-first. */
interface Feed {
  B: number;
  T: number;
  shape: number[];
  tokens?: Int32Array;
  input?: Float32Array;
}

function feedOf(name: string): Feed {
  const batch = read(name, 'batch.safetensors');
  const tok = batch.get('tokens');
  const inp = batch.get('input');
  const [B, T] = (tok ?? inp)!.shape;
  return { B, T, ...(tok ? { tokens: toInt32(tok) } : { input: inp!.data as Float32Array }), shape: (tok ?? inp)!.shape };
}

describe('webrnn\'s own options → ONNX (onnxruntime vs webrnn\'s layer on the same weights)', () => {
  const configs: [string, PortableModel['rnn']][] = [
    ['peephole LSTM, input_forget, clip, HardSigmoid/Elu/Softsign, 2 layers bidirectional', { mode: 'LSTM', input_size: 3, hidden_size: 4, num_layers: 2, bidirectional: true, peephole: true, input_forget: true, clip: 1.5, activations: [{ name: 'HardSigmoid', alpha: 0.3, beta: 0.45 }, { name: 'Elu', alpha: 0.8 }, { name: 'Softsign' }] }],
    ['reset-before GRU, no bias, ScaledTanh', { mode: 'GRU', input_size: 3, hidden_size: 5, reset_after: false, bias: false, activations: [{ name: 'Sigmoid' }, { name: 'ScaledTanh', alpha: 1.2, beta: 0.7 }] }],
    ['RNN relu, 3 layers', { mode: 'RNN_RELU', input_size: 2, hidden_size: 4, num_layers: 3 }],
  ];
  for (const [name, rnn] of configs) {
    test(name, async () => {
      const { randomParams } = await import('./reference/random.js');
      const params = randomParams(rnn, new Rng(5));
      const weights: Record<string, Float32Array> = {};
      for (const [k, v] of Object.entries(params)) weights[`rnn.${k}`] = Float32Array.from(v);
      const bytes = portableToOnnx({ rnn, target: 'all_steps', weights });
      const B = 3, T = 5, I = rnn.input_size;
      const lengths = [5, 2, 4];
      const x = Float32Array.from(rng.uniformArray(B * T * I, -1.5, 1.5));
      const s = await ort.InferenceSession.create(bytes);
      const y = (await s.run({ input: new ort.Tensor('float32', x, [B, T, I]), lengths: new ort.Tensor('int32', Int32Array.from(lengths), [B]) })).output;
      const layer = new Recurrent(engine, { ...rnn, batch_first: true });
      try {
        layer.loadStateDict(Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Float32Array.from(v)])));
        const input = engine.tensor(x, [B, T, I]);
        const want = await layer.forward(input, { lengths }).output.read();
        input.dispose();
        note(`webrnn→onnx ${name}`, maxRel(y.data as Float32Array, want));
      } finally {
        layer.dispose();
      }
    });
  }
});

describe('PyTorch → tfjs (tfjs and webrnn\'s tfjs loader vs the PyTorch model)', () => {
  for (const [name, info] of FIXTURES) {
    test(name, async () => {
      const portable = portableFromTorch(readTorchStateDict(read(name, 'state_dict.safetensors'), { nonlinearity: info.nonlinearity }), info.target);
      const art = portableToTfjs(portable);
      const feed = feedOf(name);
      const want = await torchPredict(name, info, feed);
      const x = { shape: feed.shape, data: feed.tokens ? Float32Array.from(feed.tokens) : feed.input! };
      const ours = TfjsModel.fromArtifacts(art);
      const got = await ours.predict(engine, { [ours.inputNames[0]]: x });
      ours.dispose();
      note(`torch→tfjs (webrnn) ${name}`, maxRel(got[ours.outputNames[0]].data, want));
      if (portable.rnn.mode === 'GRU') return; // tfjs 4: "GRUCell does not support reset_after parameter set to true"
      const m = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: art.modelTopology as object, weightSpecs: art.weightSpecs as tf.io.WeightsManifestEntry[], weightData: (art.weightData as Uint8Array).slice().buffer }));
      const y = m.predict(tf.tensor(x.data, x.shape)) as tf.Tensor;
      note(`torch→tfjs (tfjs) ${name}`, maxRel(await y.data(), want));
      tf.dispose([y]);
      m.dispose();
    });
  }

  test('a bidirectional stack read at the last step is refused with the reason', () => {
    const p = portableFromTorch(readTorchStateDict(read('lstm_embedding_bidir_2layer', 'state_dict.safetensors')), 'last_step');
    expect(() => portableToTfjs(p)).toThrow(/no TensorFlow.js equivalent: a bidirectional stack read at each row's last step/);
    const q = portableFromTorch(readTorchStateDict(read('gru_custom_names_last_step', 'state_dict.safetensors')));
    expect(() => portableToTfjs({ ...q, rnn: { ...q.rnn, clip: 2 } })).toThrow(/clip 2/);
  });

  test('a projected LSTM (proj_size) is refused by ONNX and tfjs with the reason, and goes back to PyTorch whole', () => {
    const sd = read('lstm_proj_embedding_bidir_2layer', 'state_dict.safetensors');
    const p = portableFromTorch(readTorchStateDict(sd));
    expect(() => portableToOnnx(p)).toThrow(/no ONNX equivalent: LSTM with proj_size 3 \(the ONNX LSTM operator has no projected LSTM/);
    expect(() => portableToTfjs(p)).toThrow(/no TensorFlow.js equivalent: LSTM with proj_size 3 \(Keras has no projected LSTM/);
    const back = portableToTorch(p);
    expect([...back.keys()].sort()).toEqual([...sd.keys()].sort());
    for (const [k, t] of sd) expect(Array.from(toFloat64(back.get(k)!)), k).toEqual(Array.from(toFloat64(t)));
  });
});

async function save(model: tf.LayersModel): Promise<TfjsArtifacts> {
  let art: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    art = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return { modelTopology: art!.modelTopology, weightSpecs: art!.weightSpecs!, weightData: art!.weightData as ArrayBuffer };
}
let seed = 11;
const init = () => tf.initializers.randomUniform({ minval: -0.6, maxval: 0.6, seed: seed++ });
const rnnLayer = (kind: 'lstm' | 'gru' | 'simpleRNN', units: number, o: Record<string, unknown> = {}) =>
  tf.layers[kind]({ units, kernelInitializer: init(), recurrentInitializer: init(), biasInitializer: init(), ...o } as never) as tf.layers.Layer;

describe('tfjs → PyTorch (SequenceModel from the state_dict vs tfjs predict)', () => {
  const models: [string, () => tf.Sequential, 'tokens' | 'features'][] = [
    ['Embedding → Bidirectional LSTM (sigmoid) ×2 → Dense', () => tf.sequential({ layers: [
      tf.layers.embedding({ inputDim: 9, outputDim: 4, inputLength: 6, embeddingsInitializer: init() }),
      tf.layers.bidirectional({ layer: rnnLayer('lstm', 5, { recurrentActivation: 'sigmoid', returnSequences: true }) as never }),
      tf.layers.bidirectional({ layer: rnnLayer('lstm', 5, { recurrentActivation: 'sigmoid', returnSequences: true }) as never }),
      tf.layers.dense({ units: 3, kernelInitializer: init(), biasInitializer: init() }),
    ] }), 'tokens'],
    ['SimpleRNN relu → SimpleRNN relu (last step) → Dense', () => tf.sequential({ layers: [
      rnnLayer('simpleRNN', 4, { activation: 'relu', returnSequences: true, inputShape: [6, 3] }),
      rnnLayer('simpleRNN', 4, { activation: 'relu' }),
      tf.layers.dense({ units: 2, kernelInitializer: init(), biasInitializer: init() }),
    ] }), 'features'],
  ];
  for (const [name, make, kind] of models) {
    test(name, async () => {
      const m = make();
      const sd = portableToTorch(tfjsToPortable(TfjsModel.fromArtifacts(await save(m))));
      const p = tfjsToPortable(TfjsModel.fromArtifacts(await save(m)));
      // What a state_dict does not record: the head's target and nn.RNN's nonlinearity.
      const { model, torch } = loadTorchModel(engine, sd, { target: p.target, nonlinearity: p.rnn.mode === 'RNN_RELU' ? 'relu' : 'tanh' });
      try {
        const B = 3, T = 6;
        const xs = kind === 'tokens' ? Float32Array.from({ length: B * T }, () => rng.int(0, 8)) : Float32Array.from(rng.uniformArray(B * T * 3, -1, 1));
        const shape = kind === 'tokens' ? [B, T] : [B, T, 3];
        const want = await (m.predict(tf.tensor(xs, shape)) as tf.Tensor).data();
        const y = await model.predict({ B, T, ...(kind === 'tokens' ? { tokens: Int32Array.from(xs) } : { input: xs }) }).read();
        note(`tfjs→torch ${name}`, maxRel(torch.model!.target === 'all_steps' ? batchFirst(y, T, B) : y, want as Float32Array));
      } finally {
        model.dispose();
      }
    });
  }

  test('what PyTorch cannot express is refused with the reason', async () => {
    const hard = tf.sequential({ layers: [rnnLayer('lstm', 3, { inputShape: [4, 2] }), tf.layers.dense({ units: 2 })] });
    const hardModel = TfjsModel.fromArtifacts(await save(hard));
    expect(() => portableToTorch(tfjsToPortable(hardModel))).toThrow(/PyTorch has no cell with activations HardSigmoid, Tanh, Tanh/);
    const gru = tf.sequential({ layers: [rnnLayer('gru', 3, { recurrentActivation: 'sigmoid', inputShape: [4, 2] })] });
    const gruModel = TfjsModel.fromArtifacts(await save(gru));
    expect(() => portableToTorch(tfjsToPortable(gruModel))).toThrow(/PyTorch has no reset-before GRU/);
    const soft = tf.sequential({ layers: [rnnLayer('lstm', 3, { recurrentActivation: 'sigmoid', inputShape: [4, 2] }), tf.layers.dense({ units: 2, activation: 'softmax' })] });
    const softModel = TfjsModel.fromArtifacts(await save(soft));
    expect(() => portableToTorch(tfjsToPortable(softModel))).toThrow(/activation "softmax" after nn.Linear/);
    const masked = tf.sequential({ layers: [tf.layers.masking({ inputShape: [4, 2] }), rnnLayer('lstm', 3)] });
    const maskedModel = TfjsModel.fromArtifacts(await save(masked));
    expect(() => tfjsToPortable(maskedModel)).toThrow(/masking has no equivalent in a converted model/);
    const sum = tf.sequential({ layers: [tf.layers.bidirectional({ layer: rnnLayer('gru', 3, { returnSequences: true }) as never, mergeMode: 'sum', inputShape: [4, 2] })] });
    const sumModel = TfjsModel.fromArtifacts(await save(sum));
    expect(() => tfjsToPortable(sumModel)).toThrow(/merge_mode sum has no equivalent/);
    const mixed = tf.sequential({ layers: [rnnLayer('lstm', 3, { returnSequences: true, inputShape: [4, 2] }), rnnLayer('gru', 3)] });
    const mixedModel = TfjsModel.fromArtifacts(await save(mixed));
    expect(() => tfjsToPortable(mixedModel)).toThrow(/differs from/);
  });
});

describe('tfjs → ONNX (onnxruntime vs tfjs predict)', () => {
  const models: [string, () => tf.Sequential, number[]][] = [
    ['Bidirectional GRU (hard_sigmoid, reset-before) ×2 → Dense softmax', () => tf.sequential({ layers: [
      tf.layers.bidirectional({ layer: rnnLayer('gru', 4, { returnSequences: true }) as never, inputShape: [5, 3] }),
      tf.layers.bidirectional({ layer: rnnLayer('gru', 4, { returnSequences: true }) as never }),
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init(), biasInitializer: init() }),
    ] }), [2, 5, 3]],
    ['Embedding → LSTM (hard_sigmoid, elu) → LSTM last step → Dense sigmoid', () => tf.sequential({ layers: [
      tf.layers.embedding({ inputDim: 7, outputDim: 3, inputLength: 5, embeddingsInitializer: init() }),
      rnnLayer('lstm', 4, { activation: 'elu', returnSequences: true }),
      rnnLayer('lstm', 4, { activation: 'elu' }),
      tf.layers.dense({ units: 2, activation: 'sigmoid', kernelInitializer: init(), biasInitializer: init() }),
    ] }), [3, 5]],
    ['SimpleRNN softsign → Dense (no bias) → Activation tanh', () => tf.sequential({ layers: [
      rnnLayer('simpleRNN', 4, { activation: 'softsign', returnSequences: true, inputShape: [6, 2] }),
      tf.layers.dense({ units: 3, useBias: false, kernelInitializer: init() }),
      tf.layers.activation({ activation: 'tanh' }),
    ] }), [2, 6, 2]],
  ];
  for (const [name, make, shape] of models) {
    test(name, async () => {
      const m = make();
      const bytes = portableToOnnx(tfjsToPortable(TfjsModel.fromArtifacts(await save(m))));
      const n = shape.reduce((a, b) => a * b, 1);
      const tokens = shape.length === 2;
      const xs = tokens ? Float32Array.from({ length: n }, () => rng.int(0, 6)) : Float32Array.from(rng.uniformArray(n, -1.5, 1.5));
      const want = await (m.predict(tf.tensor(xs, shape)) as tf.Tensor).data();
      const s = await ort.InferenceSession.create(bytes);
      const feeds: Record<string, ort.Tensor> = { lengths: new ort.Tensor('int32', new Int32Array(shape[0]).fill(shape[1]), [shape[0]]) };
      if (tokens) feeds.tokens = new ort.Tensor('int64', BigInt64Array.from(xs, (v) => BigInt(v)), shape);
      else feeds.input = new ort.Tensor('float32', xs, shape);
      const y = (await s.run(feeds)).logits;
      note(`tfjs→onnx ${name}`, maxRel(y.data as Float32Array, want as Float32Array));
    });
  }
});

describe('webrnn convert (CLI)', () => {
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, 'convert', ...args], { encoding: 'utf8', timeout: 120_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  test('PyTorch → ONNX → (refused back); PyTorch → tfjs → PyTorch round trip keeps every value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webrnn-convert-'));
    const src = join(TORCH, 'lstm_nobias_linear_nobias', 'state_dict.safetensors');
    let r = run([src, join(dir, 'm.onnx')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/PyTorch → ONNX: LSTM 1 layer\(s\) × 1 direction\(s\), input 3, hidden 4, embedding 7×3, linear 4→7, all_steps; wrote/);
    expect(existsSync(join(dir, 'm.onnx'))).toBe(true);
    r = run([join(dir, 'm.onnx'), join(dir, 'back.safetensors')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/converting from ONNX is not supported/);
    r = run([src, join(dir, 'm.json')]);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(dir, 'm.weights.bin'))).toBe(true);
    r = run([join(dir, 'm.json'), join(dir, 'back.safetensors')]);
    expect(r.status, r.stderr).toBe(0);
    const a = read('lstm_nobias_linear_nobias', 'state_dict.safetensors');
    const b = parseSafetensors(readFileSync(join(dir, 'back.safetensors'))).tensors;
    const rename: Record<string, string> = { 'embed.weight': 'embedding.weight', 'fc.weight': 'linear.weight' };
    for (const [k, t] of a) {
      const u = b.get(rename[k] ?? k.replace(/^lstm\./, 'rnn.')) as SafeTensor;
      expect(u, k).toBeDefined();
      expect(Array.from(toFloat64(u))).toEqual(Array.from(toFloat64(t)));
    }
  });

  test('options and errors: one line, exit status, nothing written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'webrnn-convert-'));
    const src = join(TORCH, 'rnn_relu_features_f16', 'state_dict.safetensors');
    const ok = run([src, join(dir, 'r.onnx'), '--nonlinearity', 'relu']);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/RNN_RELU/);
    const cases: [string[], number, RegExp][] = [
      [[src], 2, /needs IN and OUT, got 1 path/],
      [[src, join(dir, 'x.txt')], 2, /unknown format/],
      [[src, join(dir, 'x.safetensors')], 1, /both PyTorch: nothing to convert/],
      [[src, join(dir, 'x.onnx'), '--target', 'middle'], 2, /--target must be all_steps or last_step/],
      [[join(dir, 'none.safetensors'), join(dir, 'x.onnx')], 1, /cannot read IN .*none.safetensors: no such file/],
      [[join(TORCH, 'lstm_embedding_bidir_2layer', 'state_dict.safetensors'), join(dir, 'x.json'), '--target', 'last_step'], 1, /a bidirectional stack read at each row's last step/],
      [[join(TORCH, 'lstm_proj_embedding_bidir_2layer', 'state_dict.safetensors'), join(dir, 'x.onnx')], 1, /no ONNX equivalent: LSTM with proj_size 3/],
      [[join(TORCH, 'lstm_proj_embedding_bidir_2layer', 'state_dict.safetensors'), join(dir, 'x.json')], 1, /no TensorFlow.js equivalent: LSTM with proj_size 3/],
    ];
    for (const [args, status, re] of cases) {
      const r = run(args);
      expect(r.status, args.join(' ')).toBe(status);
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(existsSync(join(dir, 'x.onnx')) || existsSync(join(dir, 'x.json')) || existsSync(join(dir, 'x.safetensors'))).toBe(false);
  });

  test('help', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/PyTorch → ONNX, PyTorch → tfjs, tfjs → PyTorch, tfjs → ONNX/);
  });
});

// Keep the portable type referenced for readers of this file.
export type { PortableModel };
