// Validation before any GPU work: every public entry point fed bad values throws a typed WebRnnError
// whose message says what was expected and what was given — with no GPU call made (spies on the
// device and queue) and no GPU error raised (validation/out-of-memory/internal error scopes empty).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  Adam,
  BCEWithLogitsLoss,
  createEngine,
  Recurrent,
  CrossEntropyLoss,
  Dense,
  Embedding,
  MSELoss,
  OneHot,
  parseCheckpoint,
  parseSafetensors,
  RowGather,
  restoreCheckpoint,
  SequenceModel,
  sequenceMask,
  SGD,
  WebRnnError,
  type Engine,
  type SequenceModelConfig,
  type Tensor,
} from '../../src/index.js';
import { checkpointBytes } from '../../src/model/checkpoint.js';
import { expectRejectedBeforeGpu, watchGpu } from './gpu-watch.js';

let engine: Engine;
let other: Engine;
beforeAll(async () => {
  engine = await createEngine();
  other = await createEngine();
});
afterAll(() => {
  engine?.dispose();
  other?.dispose();
});

const MODEL: SequenceModelConfig = {
  embedding: { num_embeddings: 10, embedding_dim: 4 },
  rnn: { mode: 'LSTM', input_size: 4, hidden_size: 5 },
  linear: { in_features: 5, out_features: 6 },
  loss: 'cross_entropy',
  target: 'all_steps',
};
const FEATURES: SequenceModelConfig = {
  embedding: null,
  rnn: { mode: 'GRU', input_size: 3, hidden_size: 4, num_layers: 2 },
  linear: { in_features: 4, out_features: 2 },
  loss: 'mse',
  target: 'last_step',
};

type Case = [name: string, code: string, fn: () => unknown, message?: RegExp];

describe('every entry point rejects bad values before any GPU work', () => {
  test('engine, tensors, recurrent layers', async () => {
    const rnn = new Recurrent(engine, { mode: 'LSTM', input_size: 3, hidden_size: 4, num_layers: 2 });
    const gru = new Recurrent(engine, { mode: 'GRU', input_size: 3, hidden_size: 4 });
    const x = engine.tensor(new Float32Array(5 * 2 * 3), [5, 2, 3]);
    const h0 = engine.tensor(new Float32Array(2 * 2 * 4), [2, 2, 4]);
    const foreign = other.tensor(new Float32Array(5 * 2 * 3), [5, 2, 3]);
    const gone = engine.tensor(new Float32Array(6), [2, 3]);
    gone.dispose();
    const empty0 = engine.empty([0, 2, 3]);
    const h0small = engine.empty([1, 2, 4]);
    const h0other = other.empty([2, 2, 4]);
    const cases: Case[] = [
      ['tensor: data not numbers', 'BAD_VALUE', () => engine.tensor('abc' as never, [3]), /Float32Array or an array of numbers/],
      ['tensor: array holding a string', 'BAD_VALUE', () => engine.tensor([1, '2'] as never, [2]), /data\[1\]/],
      ['tensor: data/shape mismatch', 'BAD_SHAPE', () => engine.tensor([1, 2], [3]), /2 values, shape \[3\] needs 3/],
      ['tensor: negative dim', 'BAD_SHAPE', () => engine.tensor(new Float32Array(2), [2, -1])],
      ['tensor: NaN dim', 'BAD_SHAPE', () => engine.tensor(new Float32Array(2), [NaN])],
      ['tensor: fractional dim', 'BAD_SHAPE', () => engine.empty([1.5])],
      ['empty: beyond maxBufferSize', 'DEVICE_LIMIT', () => engine.empty([2 ** 31, 2 ** 31]), /maxBufferSize = \d+/],
      ['view: wrong size', 'BAD_SHAPE', () => x.view([7, 3])],
      ['view of a disposed tensor', 'DISPOSED', () => gone.view([6])],
      ['read of a disposed tensor', 'DISPOSED', () => gone.read()],
      ['recurrent: hidden_size 0', 'BAD_CONFIG', () => new Recurrent(engine, { mode: 'LSTM', input_size: 3, hidden_size: 0 }), /hidden_size must be a positive integer, got 0/],
      ['recurrent: unknown mode', 'BAD_CONFIG', () => new Recurrent(engine, { mode: 'LSTMX' as never, input_size: 3, hidden_size: 4 })],
      ['recurrent: dropout 1', 'BAD_CONFIG', () => new Recurrent(engine, { mode: 'GRU', input_size: 3, hidden_size: 4, num_layers: 2, dropout: 1 })],
      ['recurrent: negative seed', 'BAD_CONFIG', () => new Recurrent(engine, { mode: 'GRU', input_size: 3, hidden_size: 4 }, { seed: -1 }), /seed must be an integer/],
      ['recurrent: unknown option', 'BAD_CONFIG', () => new Recurrent(engine, { mode: 'GRU', input_size: 3, hidden_size: 4 }, { sead: 1 } as never)],
      ['forward: not a tensor', 'BAD_SHAPE', () => rnn.forward(new Float32Array(30) as never)],
      ['forward: 2-D input', 'BAD_SHAPE', () => rnn.forward(x.view([10, 3])), /3-D/],
      ['forward: wrong input_size', 'BAD_SHAPE', () => rnn.forward(x.view([5, 3, 2])), /input_size = 3/],
      ['forward: T = 0', 'BAD_SHAPE', () => rnn.forward(empty0)],
      ['forward: disposed input', 'DISPOSED', () => rnn.forward(gone.view([6]) as never)],
      ['forward: input of another engine', 'BAD_VALUE', () => rnn.forward(foreign), /another engine/],
      ['forward: lengths count', 'BAD_LENGTHS', () => rnn.forward(x, { lengths: [5] }), /B = 2/],
      ['forward: length 0', 'BAD_LENGTHS', () => rnn.forward(x, { lengths: [0, 5] }), /1\.\.T = 1\.\.5, got 0/],
      ['forward: length > T', 'BAD_LENGTHS', () => rnn.forward(x, { lengths: [6, 5] })],
      ['forward: fractional length', 'BAD_LENGTHS', () => rnn.forward(x, { lengths: [2.5, 5] })],
      ['forward: NaN length', 'BAD_LENGTHS', () => rnn.forward(x, { lengths: [NaN, 5] })],
      ['forward: string length', 'BAD_LENGTHS', () => rnn.forward(x, { lengths: ['3', 5] as never })],
      ['forward: null lengths', 'BAD_LENGTHS', () => rnn.forward(x, { lengths: null as never })],
      ['forward: misspelt option', 'BAD_VALUE', () => rnn.forward(x, { length: [5, 5] } as never), /unknown key "length"/],
      ['forward: null options', 'BAD_VALUE', () => rnn.forward(x, null as never)],
      ['forward: h0 shape', 'BAD_SHAPE', () => rnn.forward(x, { h0: h0small }), /h0 must have shape \[2, 2, 4\], got \[1, 2, 4\]/],
      ['forward: h0 of another engine', 'BAD_VALUE', () => rnn.forward(x, { h0: h0other })],
      ['forward: c0 for a GRU', 'BAD_SHAPE', () => gru.forward(x, { c0: h0small }), /LSTM only/],
      ['backward before forward', 'BAD_STATE', () => gru.backward({})],
      ['loadStateDict: wrong size', 'BAD_SHAPE', () => rnn.loadStateDict({ weight_ih_l0: new Float32Array(3) })],
      ['loadStateDict: unknown name', 'BAD_SHAPE', () => rnn.loadStateDict({ nope: new Float32Array(3) })],
      ['loadStateDict: null', 'BAD_VALUE', () => rnn.loadStateDict(null as never)],
      ['dropoutState: negative calls', 'BAD_VALUE', () => (rnn.dropoutState = { seed: 1, calls: -1 })],
    ];
    for (const [name, code, fn, msg] of cases) await expectRejectedBeforeGpu(engine, name, code, fn, msg);

    // after a forward: backward's upstream gradients
    rnn.forward(x, { h0 });
    const g523 = engine.empty([5, 2, 3]);
    const g524 = engine.empty([5, 2, 4]);
    const after: Case[] = [
      ['backward: grad_output shape', 'BAD_SHAPE', () => rnn.backward({ grad_output: g523 }), /grad_output must have shape \[5, 2, 4\]/],
      ['backward: grad_h_n of another engine', 'BAD_VALUE', () => rnn.backward({ grad_h_n: h0other })],
      ['backward: unknown key', 'BAD_VALUE', () => rnn.backward({ grad_out: g524 } as never)],
    ];
    for (const [name, code, fn, msg] of after) await expectRejectedBeforeGpu(engine, name, code, fn, msg);
    for (const t of [x, h0, empty0, h0small, h0other, g523, g524]) t.dispose();
    foreign.dispose();
    rnn.dispose();
    gru.dispose();
  });

  test('dense, embedding, one-hot, row gather, losses', async () => {
    const dense = new Dense(engine, { in_features: 3, out_features: 2 });
    const emb = new Embedding(engine, { num_embeddings: 10, embedding_dim: 4 });
    const oh = new OneHot(engine, { num_classes: 5 });
    const pick = new RowGather(engine);
    const ce = new CrossEntropyLoss(engine);
    const mse = new MSELoss(engine);
    const bce = new BCEWithLogitsLoss(engine);
    const x = engine.tensor(new Float32Array(12), [4, 3]);
    const logits = engine.tensor(new Float32Array(12), [2, 2, 3]);
    const foreign = other.tensor(new Float32Array(12), [4, 3]);
    const foreignIds = other.tensor(Uint32Array.of(1, 2), [2]);
    const goneIds = engine.tensor(Uint32Array.of(1, 2), [2]);
    goneIds.dispose();
    const ids34 = engine.empty([4, 3], 'uint32');
    const intLogits = engine.tensor(new Int32Array(12), [2, 2, 3]);
    const wide = engine.empty([4, 2]);
    const scalar = engine.empty([]);
    const g42 = engine.empty([4, 2]);
    const g24 = engine.empty([2, 4]);
    const t34 = engine.empty([3, 4]);
    const cases: Case[] = [
      ['Dense: in_features 0', 'BAD_CONFIG', () => new Dense(engine, { in_features: 0, out_features: 2 })],
      ['Dense: bias "yes"', 'BAD_CONFIG', () => new Dense(engine, { in_features: 2, out_features: 2, bias: 'yes' as never })],
      ['Dense: seed 1.5', 'BAD_CONFIG', () => new Dense(engine, { in_features: 2, out_features: 2 }, { seed: 1.5 })],
      ['Dense forward: wrong features', 'BAD_SHAPE', () => dense.forward(wide), /in_features = 3/],
      ['Dense forward: scalar', 'BAD_SHAPE', () => dense.forward(scalar)],
      ['Dense forward: foreign tensor', 'BAD_VALUE', () => dense.forward(foreign)],
      ['Dense backward before forward', 'BAD_STATE', () => dense.backward(g42)],
      ['Dense loadStateDict: strings', 'BAD_VALUE', () => dense.loadStateDict({ weight: ['a', 'b', 'c', 'd', 'e', 'f'] as never, bias: [0, 0] })],
      ['Embedding: padding_idx out of range', 'BAD_CONFIG', () => new Embedding(engine, { num_embeddings: 4, embedding_dim: 2, padding_idx: 4 })],
      ['Embedding forward: id = V', 'BAD_VALUE', () => emb.forward([1, 10], [2]), /index 1\) is 10, outside \[0, 10\)/],
      ['Embedding forward: negative id', 'BAD_VALUE', () => emb.forward(Int32Array.of(1, -1), [2])],
      ['Embedding forward: fractional id', 'BAD_VALUE', () => emb.forward([1.5], [1])],
      ['Embedding forward: count vs shape', 'BAD_SHAPE', () => emb.forward([1, 2, 3], [2, 2])],
      ['Embedding forward: bad shape', 'BAD_SHAPE', () => emb.forward([1, 2], [2, -1] as never)],
      ['Embedding forwardIds: not a tensor', 'BAD_SHAPE', () => emb.forwardIds(42 as never)],
      ['Embedding forwardIds: ids of another engine', 'BAD_VALUE', () => emb.forwardIds(foreignIds), /another engine/],
      ['Embedding forwardIds: a float32 tensor', 'BAD_VALUE', () => emb.forwardIds(x as never), /must be a uint32 or int32 tensor of token ids, got a float32 tensor/],
      ['Embedding forwardIds: disposed ids', 'DISPOSED', () => emb.forwardIds(goneIds)],
      ['Dense forward: a uint32 tensor', 'BAD_VALUE', () => dense.forward(ids34 as never), /must be a float32 tensor, got a uint32 tensor/],
      ['CrossEntropy: int32 logits', 'BAD_VALUE', () => ce.forward(intLogits as never, [0, 1, 2, 0]), /float32/],
      ['MSE: uint32 target tensor', 'BAD_VALUE', () => mse.forward(x, ids34 as never), /float32/],
      ['Embedding backward before forward', 'BAD_STATE', () => emb.backward(g24)],
      ['OneHot: id out of range', 'BAD_VALUE', () => oh.forward([0, 5], [2])],
      ['OneHot: num_classes 0', 'BAD_CONFIG', () => new OneHot(engine, { num_classes: 0 })],
      ['RowGather: row out of range', 'BAD_VALUE', () => pick.forward(x, [0, 4]), /rows\[1\] = 4/],
      ['RowGather: rows null', 'BAD_VALUE', () => pick.forward(x, null as never)],
      ['RowGather: foreign table', 'BAD_VALUE', () => pick.forward(foreign, [0])],
      ['CrossEntropy: target = C', 'BAD_VALUE', () => ce.forward(logits, [0, 1, 2, 3]), /outside \[0, 3\)/],
      ['CrossEntropy: target count', 'BAD_SHAPE', () => ce.forward(logits, [0, 1, 2])],
      ['CrossEntropy: mask length', 'BAD_SHAPE', () => ce.forward(logits, [0, 1, 2, 0], { mask: [1, 0, 1] })],
      ['CrossEntropy: mask value 2', 'BAD_VALUE', () => ce.forward(logits, [0, 1, 2, 0], { mask: [1, 0, 1, 2] })],
      ['CrossEntropy: reduction', 'BAD_VALUE', () => ce.forward(logits, [0, 1, 2, 0], { reduction: 'avg' as never })],
      ['CrossEntropy: ignore_index 1.5', 'BAD_VALUE', () => ce.forward(logits, [0, 1, 2, 0], { ignore_index: 1.5 })],
      ['CrossEntropy: variant', 'BAD_CONFIG', () => new CrossEntropyLoss(engine, { variant: 'fast' as never })],
      ['MSE: target count', 'BAD_SHAPE', () => mse.forward(x, new Float32Array(5))],
      ['MSE: target tensor shape', 'BAD_SHAPE', () => mse.forward(x, t34)],
      ['MSE: string targets', 'BAD_VALUE', () => mse.forward(x.view([12]), Array.from({ length: 12 }, () => 'a') as never)],
      ['BCE: target of another engine', 'BAD_VALUE', () => bce.forward(x, foreign)],
      ['sequenceMask: length > T', 'BAD_LENGTHS', () => sequenceMask([3, 5], 4)],
    ];
    for (const [name, code, fn, msg] of cases) await expectRejectedBeforeGpu(engine, name, code, fn, msg);
    for (const d of [dense, emb, oh, pick, ce, mse, bce, x, logits, foreign, foreignIds, ids34, intLogits, wide, scalar, g42, g24, t34]) d.dispose();
  });

  test('models, optimizers, checkpoints, files', async () => {
    const model = new SequenceModel(engine, MODEL, { seed: 1 });
    const feat = new SequenceModel(engine, FEATURES, { seed: 1 });
    const opt = new Adam(engine, model.blocks(), { lr: 1e-2 });
    const B = 2;
    const T = 3;
    const ok = { B, T, tokens: new Int32Array(B * T).fill(1), targets: new Int32Array(B * T).fill(2), lengths: [3, 2] };
    const state = model.createState(B);
    const state3 = model.createState(3);
    const featState = feat.createState(B);
    const goneState = model.createState(B);
    goneState.dispose();
    const good = await checkpointBytes(model, opt, { step: 0 });
    const otherCkpt = parseCheckpoint(await checkpointBytes(feat, undefined, {}));
    const sgd = new SGD(engine, model.blocks(), { lr: 0.1, momentum: 0.9 });
    const sgdState = await sgd.state();
    const cases: Case[] = [
      ['model: embedding_dim ≠ input_size', 'BAD_CONFIG', () => new SequenceModel(engine, { ...MODEL, embedding: { num_embeddings: 10, embedding_dim: 3 } }), /embedding_dim \(3\) must equal rnn.input_size \(4\)/],
      ['model: linear width', 'BAD_CONFIG', () => new SequenceModel(engine, { ...MODEL, linear: { in_features: 4, out_features: 6 } })],
      ['model: loss', 'BAD_CONFIG', () => new SequenceModel(engine, { ...MODEL, loss: 'hinge' as never })],
      ['model: seed', 'BAD_CONFIG', () => new SequenceModel(engine, MODEL, { seed: 2 ** 32 - 1 })],
      ['batch: null', 'BAD_VALUE', () => model.lossAndGrad(null as never)],
      ['batch: B = 0', 'BAD_SHAPE', () => model.lossAndGrad({ ...ok, B: 0 })],
      ['batch: unknown key', 'BAD_VALUE', () => model.lossAndGrad({ ...ok, lenghts: [3, 2] } as never)],
      ['batch: tokens as floats', 'BAD_SHAPE', () => model.lossAndGrad({ ...ok, tokens: new Float32Array(6) as never })],
      ['batch: token id = V', 'BAD_VALUE', () => model.lossAndGrad({ ...ok, tokens: Int32Array.of(1, 1, 1, 1, 1, 10) }), /tokens\[5\] \(row 1, step 2\) is 10/],
      ['batch: target id = O', 'BAD_VALUE', () => model.lossAndGrad({ ...ok, targets: Int32Array.of(2, 2, 2, 2, 2, 6) }), /targets\[5\] is 6, outside \[0, 6\)/],
      ['batch: target −1', 'BAD_VALUE', () => model.loss({ ...ok, targets: Int32Array.of(2, 2, 2, 2, 2, -1) })],
      ['batch: length 0', 'BAD_LENGTHS', () => model.lossAndGrad({ ...ok, lengths: [3, 0] })],
      ['batch: length > T', 'BAD_LENGTHS', () => model.lossAndGrad({ ...ok, lengths: [4, 1] })],
      ['batch: lengths count', 'BAD_LENGTHS', () => model.lossAndGrad({ ...ok, lengths: [3] })],
      ['batch: state for another B', 'BAD_SHAPE', () => model.lossAndGrad(ok, { state: state3 }), /B = 3 rows, the batch has 2/],
      ['batch: state of another model', 'BAD_SHAPE', () => model.lossAndGrad(ok, { state: featState })],
      ['batch: disposed state', 'DISPOSED', () => model.lossAndGrad(ok, { state: goneState })],
      ['batch: not a state', 'BAD_VALUE', () => model.lossAndGrad(ok, { state: {} as never })],
      ['predict: misspelt option', 'BAD_VALUE', () => model.predict(ok, { sate: state } as never)],
      ['features: input size', 'BAD_SHAPE', () => feat.lossAndGrad({ B, T, input: new Float32Array(5), targets: new Float32Array(4) })],
      ['features: targets as ints', 'BAD_SHAPE', () => feat.lossAndGrad({ B, T, input: new Float32Array(18), targets: new Int32Array(4) })],
      ['createState: B = 0', 'BAD_SHAPE', () => model.createState(0)],
      ['reset of a disposed state', 'DISPOSED', () => goneState.reset()],
      ['loadStateDict: one part bad', 'BAD_SHAPE', () => model.loadStateDict({ ...Object.fromEntries(model.parameterNames().map((n) => [n, new Float32Array(1)])) })],
      ['Adam: lr −1', 'BAD_CONFIG', () => new Adam(engine, model.blocks(), { lr: -1 }), /lr must be a finite number ≥ 0, got -1/],
      ['Adam: beta 1', 'BAD_CONFIG', () => new Adam(engine, model.blocks(), { betas: [1, 0.9] })],
      ['Adam: no blocks', 'BAD_CONFIG', () => new Adam(engine, [])],
      ['Adam: shared block', 'BAD_CONFIG', () => new Adam(engine, [model.blocks()[0], model.blocks()[0]])],
      ['SGD: nesterov without momentum', 'BAD_CONFIG', () => new SGD(engine, model.blocks(), { lr: 0.1, nesterov: true })],
      ['lr setter NaN', 'BAD_CONFIG', () => (opt.lr = NaN)],
      ['loadState: another kind', 'BAD_STATE', () => opt.loadState(sgdState)],
      ['stepChecked: step "3"', 'BAD_VALUE', () => opt.stepChecked('3' as never)],
      ['restoreCheckpoint: another model', 'BAD_SHAPE', () => restoreCheckpoint(otherCkpt, model)],
      ['restoreCheckpoint: no optimizer state', 'BAD_STATE', () => restoreCheckpoint(otherCkpt, model, opt)],
      ['parseCheckpoint: truncated', 'BAD_FILE', () => parseCheckpoint(good.subarray(0, good.length - 3))],
      ['parseSafetensors: not bytes', 'BAD_VALUE', () => parseSafetensors('hello' as never)],
      ['parseSafetensors: empty', 'BAD_FILE', () => parseSafetensors(new Uint8Array(0))],
    ];
    for (const [name, code, fn, msg] of cases) await expectRejectedBeforeGpu(engine, name, code, fn, msg);
    // the valid batch still trains after all that
    model.lossAndGrad(ok, { state });
    await opt.stepChecked();
    for (const d of [state, state3, featState, sgd, opt, model, feat]) d.dispose();
  });

  test('engine.checkFinite: NaN/Infinity in uploads are BAD_VALUE naming the first one, before any GPU work', async () => {
    const e = await createEngine({ checkFinite: true });
    try {
      const dense = new Dense(e, { in_features: 2, out_features: 1 });
      const mse = new MSELoss(e);
      const model = new SequenceModel(e, FEATURES, { seed: 1 });
      const x = e.tensor([1, 2], [1, 2]);
      const input = new Float32Array(2 * 3 * 3);
      input[7] = Infinity;
      const cases: Case[] = [
        ['tensor with NaN', 'BAD_VALUE', () => e.tensor([1, NaN], [2]), /tensor data\[1\] is NaN/],
        ['loadStateDict with Infinity', 'BAD_VALUE', () => dense.loadStateDict({ weight: [1, -Infinity], bias: [0] }), /weight\[1\] is -Infinity/],
        ['loss target with NaN', 'BAD_VALUE', () => mse.forward(x, [0, NaN])],
        ['model input with Infinity', 'BAD_VALUE', () => model.lossAndGrad({ B: 2, T: 3, input, targets: new Float32Array(4) }), /input\[7\] is Infinity/],
        ['model target with NaN', 'BAD_VALUE', () => model.loss({ B: 2, T: 3, input: new Float32Array(18), targets: Float32Array.of(0, 0, NaN, 0) })],
      ];
      for (const [name, code, fn, msg] of cases) await expectRejectedBeforeGpu(e, name, code, fn, msg);
      // off: the same upload is accepted (the default, no cost)
      e.checkFinite = false;
      expect(() => e.tensor([1, NaN], [2]).dispose()).not.toThrow();
      expect(await createEngine({ checkFinite: 'yes' as never }).catch((err: WebRnnError) => err.code)).toBe('BAD_CONFIG');
    } finally {
      e.dispose();
    }
  });

  test('views outliving their workspace, and a disposed engine, are typed errors (not GPU errors)', async () => {
    const dense = new Dense(engine, { in_features: 2, out_features: 3 });
    const y = dense.forward(engine.tensor([1, 2], [1, 2])); // a view of the plan for 1 row
    dense.forward(engine.tensor([1, 2, 3, 4], [2, 2])); // re-planned: the old workspace is freed
    let w = await watchGpu(engine, () => y.read());
    expect((w.thrown as WebRnnError).code).toBe('DISPOSED');
    expect(w.gpuErrors).toEqual([]);
    w = await watchGpu(engine, () => new Dense(engine, { in_features: 3, out_features: 1 }).forward(y));
    expect((w.thrown as WebRnnError).code).toBe('DISPOSED');
    expect(w.gpuErrors).toEqual([]);
    dense.dispose();

    const e = await createEngine();
    const t = e.tensor([1], [1]);
    e.dispose();
    for (const fn of [() => t.read(), () => e.tensor([1], [1]), () => new Recurrent(e, { mode: 'GRU', input_size: 1, hidden_size: 1 })]) {
      const err = await (async () => fn())().then(() => undefined, (x: unknown) => x);
      expect(err).toBeInstanceOf(WebRnnError);
      expect((err as WebRnnError).code).toBe('DISPOSED');
    }
    expect(() => e.dispose()).not.toThrow();
  });
});

// keep the import of Tensor used for types in some toolchains
export type { Tensor };
