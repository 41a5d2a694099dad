// TensorFlow.js LayersModels built and saved in the test (tfjs 4, cpu backend; saved through an
// in-memory IOHandler, as tfjs-node is not installed), loaded into webrnn: outputs equal tfjs
// `predict` within 1e-5 of max |tfjs output|, for SimpleRNN / GRU / LSTM (default hard_sigmoid and
// other activations), return_sequences / return_state / go_backwards, Bidirectional in every merge
// mode, Embedding (mask_zero), Masking, Dense, Activation, Dropout, Sequential and functional models.
// GRU with reset_after (bias (2, 3H)) cannot be built by tfjs 4 ("GRUCell does not support
// reset_after"), so that model.json is written by hand as Keras's converter writes it, and checked
// against onnxruntime running the same weights as an ONNX GRU with linear_before_reset = 1.
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEngine, type Engine } from '../src/index.js';
import { makeValue } from '../src/interop/onnx/value.js';
import { encodeOnnx, floatsAttr } from '../src/interop/onnx/write.js';
import { TfjsModel, type TfjsArtifacts } from '../src/interop/tfjs/model.js';
import { Rng } from '../src/random.js';
import { relErr } from './gpu/check.js';

const TOL = 1e-5;
let engine: Engine;
beforeAll(async () => {
  await tf.setBackend('cpu');
  engine = await createEngine();
});
afterAll(() => engine?.dispose());

const rng = new Rng(4242);
let seed = 1;
const init = () => tf.initializers.randomUniform({ minval: -0.6, maxval: 0.6, seed: seed++ });

async function save(model: tf.LayersModel): Promise<TfjsArtifacts> {
  let art: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    art = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return { modelTopology: art!.modelTopology, weightSpecs: art!.weightSpecs!, weightData: art!.weightData as ArrayBuffer };
}

/** max |got − want| / max |want| (Infinity for a length mismatch): the GPU cases' measure. */
const maxRel = (got: ArrayLike<number>, want: ArrayLike<number>): number => relErr(got, want).err;

const worst: [string, number][] = [];
afterAll(() => {
  if (!worst.length) return;
  worst.sort((a, b) => b[1] - a[1]);
  console.log(`tfjs vs webrnn: ${worst.length} models, worst ${worst[0][1].toExponential(2)} (${worst[0][0]})`);
});

/** Saves, loads into webrnn, predicts both ways on `inputs` and compares every output. */
async function check(label: string, model: tf.LayersModel, inputs: { shape: number[]; data: Float32Array }[]) {
  const art = await save(model);
  const ours = TfjsModel.fromArtifacts(art, label);
  try {
    const feeds = Object.fromEntries(ours.inputNames.map((n, i) => [n, inputs[i]]));
    const got = await ours.predict(engine, feeds);
    const wantT = model.predict(inputs.map((x) => tf.tensor(x.data, x.shape))) as tf.Tensor | tf.Tensor[];
    const want = Array.isArray(wantT) ? wantT : [wantT];
    expect(ours.outputNames).toHaveLength(want.length);
    let w = 0;
    for (const [i, name] of ours.outputNames.entries()) {
      expect(got[name].shape, `${label} ${name}`).toEqual(want[i].shape);
      const e = maxRel(got[name].data, await want[i].data());
      expect(e, `${label} ${name}`).toBeLessThan(TOL);
      w = Math.max(w, e);
    }
    worst.push([label, w]);
    tf.dispose(want);
  } finally {
    ours.dispose();
  }
}

const seq = (B: number, T: number, F: number) => ({ shape: [B, T, F], data: Float32Array.from(rng.uniformArray(B * T * F, -1.5, 1.5)) });
/** Rows padded with zero vectors after `lengths[b]` steps (what Masking(0) masks). */
function padded(B: number, T: number, F: number, lengths: number[]) {
  const x = seq(B, T, F);
  for (let b = 0; b < B; b++) x.data.fill(0, (b * T + lengths[b]) * F, (b + 1) * T * F);
  return x;
}

type Rnn = 'simpleRNN' | 'gru' | 'lstm';
const cell = (kind: Rnn, units: number, opts: Record<string, unknown> = {}) =>
  tf.layers[kind]({ units, kernelInitializer: init(), recurrentInitializer: init(), biasInitializer: init(), ...opts } as never) as tf.layers.Layer;

describe('recurrent layers (Sequential, 3-D float input)', () => {
  const cases: [string, Rnn, Record<string, unknown>][] = [
    ['SimpleRNN tanh, return_sequences', 'simpleRNN', { returnSequences: true }],
    ['SimpleRNN relu, last step', 'simpleRNN', { activation: 'relu' }],
    ['SimpleRNN softsign, go_backwards, sequences', 'simpleRNN', { activation: 'softsign', goBackwards: true, returnSequences: true }],
    ['GRU (reset_after false, hard_sigmoid default), sequences', 'gru', { returnSequences: true }],
    ['GRU sigmoid recurrent activation, last step', 'gru', { recurrentActivation: 'sigmoid' }],
    ['GRU relu activation, go_backwards', 'gru', { activation: 'relu', goBackwards: true, returnSequences: true }],
    ['GRU no bias', 'gru', { useBias: false, returnSequences: true }],
    ['LSTM (hard_sigmoid default), sequences', 'lstm', { returnSequences: true }],
    ['LSTM sigmoid/tanh (PyTorch-like), last step', 'lstm', { recurrentActivation: 'sigmoid' }],
    ['LSTM elu activation, go_backwards, last step', 'lstm', { activation: 'elu', goBackwards: true }],
    ['LSTM no bias, softplus', 'lstm', { useBias: false, activation: 'softplus', returnSequences: true }],
  ];
  for (const [name, kind, opts] of cases) {
    test(name, async () => {
      const m = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [null, 3] }), cell(kind, 5, opts)] });
      await check(name, m, [seq(3, 6, 3)]);
    });
  }

  test('stacked LSTM → GRU → SimpleRNN → Dense softmax (time-distributed)', async () => {
    const m = tf.sequential({
      layers: [
        tf.layers.inputLayer({ inputShape: [7, 4] }),
        cell('lstm', 6, { returnSequences: true }),
        cell('gru', 5, { returnSequences: true }),
        cell('simpleRNN', 4, { returnSequences: true }),
        tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init(), biasInitializer: init() }),
      ],
    });
    await check('stacked', m, [seq(2, 7, 4)]);
  });
});

describe('Bidirectional', () => {
  for (const mergeMode of ['concat', 'sum', 'mul', 'ave'] as const) {
    for (const kind of ['lstm', 'gru', 'simpleRNN'] as Rnn[]) {
      test(`${kind} merge ${mergeMode}, sequences`, async () => {
        const m = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [null, 3] }), tf.layers.bidirectional({ layer: cell(kind, 4, { returnSequences: true }) as never, mergeMode })] });
        await check(`bidir ${kind} ${mergeMode}`, m, [seq(2, 5, 3)]);
      });
    }
  }

  test('merge null (two outputs) and return_state (functional)', async () => {
    const x = tf.input({ shape: [null, 3] });
    const outs = tf.layers.bidirectional({ layer: cell('lstm', 4, { returnSequences: true, returnState: true }) as never, mergeMode: null as never }).apply(x) as tf.SymbolicTensor[];
    const m = tf.model({ inputs: x, outputs: outs });
    await check('bidir lstm null + states', m, [seq(2, 5, 3)]);
  });

  test('GRU last step, concat, return_state', async () => {
    const x = tf.input({ shape: [6, 2] });
    const outs = tf.layers.bidirectional({ layer: cell('gru', 3, { returnState: true }) as never }).apply(x) as tf.SymbolicTensor[];
    const m = tf.model({ inputs: x, outputs: outs });
    await check('bidir gru last + states', m, [seq(3, 6, 2)]);
  });
});

describe('masks, embeddings, dense heads', () => {
  test('Masking(0) → LSTM sequences (masked steps repeat the last output) → Dense', async () => {
    const m = tf.sequential({
      layers: [
        tf.layers.masking({ maskValue: 0, inputShape: [6, 3] }),
        cell('lstm', 5, { returnSequences: true }),
        tf.layers.dense({ units: 2, kernelInitializer: init(), biasInitializer: init() }),
      ],
    });
    await check('masking lstm', m, [padded(4, 6, 3, [6, 2, 4, 1])]);
  });

  test('Masking → Bidirectional GRU sum, sequences, then GRU last step', async () => {
    const m = tf.sequential({
      layers: [
        tf.layers.masking({ maskValue: 0, inputShape: [7, 2] }),
        tf.layers.bidirectional({ layer: cell('gru', 4, { returnSequences: true }) as never, mergeMode: 'sum' }),
        cell('gru', 3),
      ],
    });
    await check('masking bigru', m, [padded(3, 7, 2, [3, 7, 5])]);
  });

  test('Masking → go_backwards SimpleRNN sequences, and an all-masked row', async () => {
    const m = tf.sequential({ layers: [tf.layers.masking({ maskValue: 0, inputShape: [5, 2] }), cell('simpleRNN', 4, { goBackwards: true, returnSequences: true })] });
    await check('masking backwards', m, [padded(3, 5, 2, [5, 2, 0])]);
  });

  test('Embedding(mask_zero) → Bidirectional LSTM concat → Dense relu → Dense softmax', async () => {
    const m = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: 12, outputDim: 4, maskZero: true, inputLength: 6, embeddingsInitializer: init() }),
        tf.layers.bidirectional({ layer: cell('lstm', 5, { returnSequences: true }) as never }),
        tf.layers.dense({ units: 6, activation: 'relu', kernelInitializer: init(), biasInitializer: init() }),
        tf.layers.activation({ activation: 'tanh' }),
        tf.layers.dropout({ rate: 0.3 }),
        tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init(), biasInitializer: init() }),
      ],
    });
    const ids = [3, 5, 1, 0, 0, 0, 7, 7, 2, 9, 11, 4, 6, 0, 0, 0, 0, 0];
    await check('embedding bilstm', m, [{ shape: [3, 6], data: Float32Array.from(ids) }]);
  });

  test('Embedding without mask → GRU last step → Dense sigmoid', async () => {
    const m = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: 9, outputDim: 3, inputLength: 5, embeddingsInitializer: init() }),
        cell('gru', 4),
        tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: init(), biasInitializer: init() }),
      ],
    });
    await check('embedding gru', m, [{ shape: [2, 5], data: Float32Array.from([0, 1, 2, 3, 8, 8, 7, 0, 0, 4]) }]);
  });

  test('a mask with a gap is refused, naming the layer and the row', async () => {
    const m = tf.sequential({ layers: [tf.layers.masking({ maskValue: 0, inputShape: [4, 2] }), cell('lstm', 3)] });
    const ours = TfjsModel.fromArtifacts(await save(m));
    const x = seq(2, 4, 2);
    x.data.fill(0, (1 * 4 + 1) * 2, (1 * 4 + 2) * 2); // row 1, step 1 masked, step 2 not
    await expect(ours.predict(engine, { [ours.inputNames[0]]: x })).rejects.toThrow(/row 1 of the mask has a masked step \(1\) before an unmasked one \(2\)/);
    ours.dispose();
  });
});

describe('GRU reset_after (bias (2, 3H)), written as Keras does', () => {
  test('equals onnxruntime\'s GRU with linear_before_reset = 1 and HardSigmoid on the same weights', async () => {
    const I = 3, H = 4, T = 5, B = 2;
    const u = (n: number) => Float32Array.from(rng.uniformArray(n, -0.7, 0.7));
    const kernel = u(I * 3 * H), rec = u(H * 3 * H), bias = u(2 * 3 * H);
    const art: TfjsArtifacts = {
      modelTopology: {
        class_name: 'Sequential',
        config: { name: 'seq', layers: [{ class_name: 'GRU', config: { name: 'gru', units: H, activation: 'tanh', recurrent_activation: 'hard_sigmoid', use_bias: true, reset_after: true, return_sequences: true, batch_input_shape: [null, T, I] } }] },
      },
      weightSpecs: [
        { name: 'gru/gru_cell/kernel', shape: [I, 3 * H], dtype: 'float32' },
        { name: 'gru/gru_cell/recurrent_kernel', shape: [H, 3 * H], dtype: 'float32' },
        { name: 'gru/gru_cell/bias', shape: [2, 3 * H], dtype: 'float32' },
      ],
      weightData: new Uint8Array([...new Uint8Array(kernel.buffer), ...new Uint8Array(rec.buffer), ...new Uint8Array(bias.buffer)]),
    };
    const x = seq(B, T, I);
    const ours = TfjsModel.fromArtifacts(art);
    const got = await ours.predict(engine, { [ours.inputNames[0]]: x });
    ours.dispose();
    // ONNX: W = kernelᵀ, R = recurrent_kernelᵀ (both already z, r, h), B = [input bias, recurrent bias]; X time-major.
    const t2 = (m: Float32Array, rows: number, cols: number) => Float32Array.from({ length: rows * cols }, (_, i) => m[(i % cols) * rows + Math.floor(i / cols)]);
    const xt = Float32Array.from({ length: T * B * I }, (_, i) => {
      const t = Math.floor(i / (B * I)), b = Math.floor(i / I) % B, k = i % I;
      return x.data[(b * T + t) * I + k];
    });
    const bytes = encodeOnnx({
      inputs: [{ name: 'X', type: 'float32', shape: [T, B, I] }],
      outputs: [{ name: 'Y', type: 'float32' }],
      initializers: {
        W: makeValue('float32', [1, 3 * H, I], t2(kernel, 3 * H, I)),
        R: makeValue('float32', [1, 3 * H, H], t2(rec, 3 * H, H)),
        B: makeValue('float32', [1, 6 * H], bias),
      },
      nodes: [{ op: 'GRU', inputs: ['X', 'W', 'R', 'B'], outputs: ['Y'], attrs: { hidden_size: H, linear_before_reset: 1, activations: ['HardSigmoid', 'Tanh'], activation_alpha: floatsAttr([0.2]), activation_beta: floatsAttr([0.5]) } }],
    });
    const s = await ort.InferenceSession.create(bytes);
    const y = (await s.run({ X: new ort.Tensor('float32', xt, [T, B, I]) })).Y.data as Float32Array; // (T, 1, B, H)
    const want = Float32Array.from({ length: B * T * H }, (_, i) => {
      const b = Math.floor(i / (T * H)), t = Math.floor(i / H) % T, j = i % H;
      return y[(t * B + b) * H + j];
    });
    const e = maxRel(got[ours.outputNames[0]].data, want);
    worst.push(['GRU reset_after vs onnxruntime', e]);
    expect(e).toBeLessThan(TOL);
  });
});

describe('errors name the layer and the option', () => {
  test('unsupported layers, options and activations', async () => {
    const conv = tf.sequential({ layers: [tf.layers.conv1d({ filters: 2, kernelSize: 2, inputShape: [5, 3] }), cell('lstm', 3)] });
    expect(() => TfjsModel.fromArtifacts(conv as never)).toThrow();
    const art = await save(conv);
    expect(() => TfjsModel.fromArtifacts(art)).toThrow(/unsupported tfjs layer: Conv1D \("conv1d_Conv1D\d+"\)/);
    const stateful = await save(tf.sequential({ layers: [cell('gru', 3, { stateful: true, batchInputShape: [2, 4, 3] })] }));
    expect(() => TfjsModel.fromArtifacts(stateful)).toThrow(/stateful: true is not supported/);
    const selu = await save(tf.sequential({ layers: [cell('lstm', 3, { activation: 'selu', inputShape: [4, 3] })] }));
    expect(() => TfjsModel.fromArtifacts(selu)).toThrow(/activation "selu" is not supported in a recurrent cell/);
    const quant = await save(tf.sequential({ layers: [cell('lstm', 3, { inputShape: [4, 3] })] }));
    quant.weightSpecs[0] = { ...quant.weightSpecs[0], dtype: 'int32' };
    expect(() => TfjsModel.fromArtifacts(quant)).toThrow(/only float32 weights are supported/);
  });
});
