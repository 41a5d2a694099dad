// The shared argument checks (src/checks.ts): exact messages and codes in both voices. The expected
// texts are the ones users saw before the four families of checks merged (layers/checks.ts,
// data/checks.ts, engine.ts's and recurrent-config.ts's own), so a change of wording fails here.
import { expect, test } from 'vitest';
import { checkShape, describe, flag, intOption, knownKeys, multiIndex, optionsOf, seedOf, shapeSize, tokenIds } from '../src/checks.js';
import { WebRnnError } from '../src/errors.js';

/** The code and message `f` throws (it must throw a WebRnnError). */
function failure(f: () => unknown): [string, string] {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(WebRnnError);
    return [(e as WebRnnError).code, (e as WebRnnError).message];
  }
  throw new Error('expected a WebRnnError, nothing was thrown');
}

test.each<[string, () => unknown, string, string]>([
  // 'config' voice (layers, models, losses, decoders): values as JSON
  ['positive int', () => intOption('Dense', 'in_features', 0), 'BAD_CONFIG', 'Dense: in_features must be a positive integer, got 0'],
  ['positive int, NaN', () => intOption('Dense', 'in_features', NaN), 'BAD_CONFIG', 'Dense: in_features must be a positive integer, got null'],
  ['positive int, string', () => intOption('Seq2Seq', 'hidden_size', '4'), 'BAD_CONFIG', 'Seq2Seq: hidden_size must be a positive integer, got "4"'],
  ['config field without context', () => intOption('', 'hidden_size', -3), 'BAD_CONFIG', 'hidden_size must be a positive integer, got -3'],
  ['config int ≥ 0', () => intOption('', 'proj_size', 1.5, { min: 0, default: 0 }), 'BAD_CONFIG', 'proj_size must be an integer ≥ 0, got 1.5'],
  ['config flag', () => flag('Dense', 'bias', 1, true), 'BAD_CONFIG', 'Dense: bias must be true or false, got 1'],
  ['call-option flag', () => flag('Dense backward', 'accumulate', 'yes', false, { code: 'BAD_VALUE' }), 'BAD_VALUE', 'Dense backward: accumulate must be true or false, got "yes"'],
  ['config not an object', () => knownKeys('Dense', null, ['bias']), 'BAD_CONFIG', 'Dense: expected an object, got null'],
  ['config unknown key', () => knownKeys('Dense', { bais: true }, ['bias', 'seed']), 'BAD_CONFIG', 'Dense: unknown key "bais" (known: bias, seed)'],
  ['call options unknown key', () => optionsOf('forward options', { length: [5] } as object, ['lengths']), 'BAD_VALUE', 'forward options: unknown key "length" (known: lengths)'],
  ['seed', () => seedOf('SequenceModel options', -1, 3), 'BAD_CONFIG', 'SequenceModel options: seed must be an integer in [0, 4294967293), got -1'],
  ['shape with a name', () => checkShape([2, -1], 'Embedding: shape'), 'BAD_SHAPE', 'Embedding: shape must be a list of non-negative integers, got [2,-1]'],
  // the engine's wording
  ['shape, engine wording', () => checkShape([2, 1.5]), 'BAD_SHAPE', 'a shape is a list of non-negative integers, got [2, 1.5]'],
  // 'option' voice (data pipeline, embeddings' corpus): values through describe()
  ['option int ≥ 1', () => intOption('planBatches', 'batch_size', 0, { voice: 'option' }), 'BAD_VALUE', 'planBatches: batch_size must be an integer ≥ 1, got 0'],
  ['option int in range', () => intOption('padBatch', 'pad_id', [1], { default: 0, min: 0, max: 0x7fffffff, voice: 'option' }), 'BAD_VALUE', 'padBatch: pad_id must be an integer in [0, 2147483647], got an array of 1'],
  ['option flag', () => flag('Vocab.encode', 'eos', NaN, false, { voice: 'option' }), 'BAD_VALUE', 'Vocab.encode: eos must be true or false, got NaN'],
  ['option not an object', () => optionsOf('padBatch', [] as object, ['lm'], { voice: 'option' }), 'BAD_VALUE', 'padBatch: options must be an object, got an array of 0'],
  ['option unknown', () => optionsOf('padBatch', { batchFirst: true } as object, ['lm', 'pad_id'], { voice: 'option' }), 'BAD_VALUE', 'padBatch: unknown option "batchFirst" (known: lm, pad_id)'],
  ['option unknown, config code', () => knownKeys('Adagrad', { maximize: true }, ['lr'], { code: 'BAD_CONFIG', voice: 'option' }), 'BAD_CONFIG', 'Adagrad: unknown option "maximize" (known: lr)'],
  ['token ids: negative', () => tokenIds('padBatch', 'sequences[0]', Int32Array.of(1, -2)), 'BAD_VALUE', 'padBatch: sequences[0][1] is -2; token ids are ≥ 0'],
  ['token ids: not integers', () => tokenIds('bpttWindows', 'stream', [0, 2 ** 31]), 'BAD_VALUE', 'bpttWindows: stream[1] is 2147483648; token ids are integers in [0, 2^31)'],
  ['token ids: wrong type', () => tokenIds('bpttWindows', 'stream', new Float32Array(2)), 'BAD_VALUE', 'bpttWindows: stream must be an Int32Array, Uint32Array or array of token ids, got Float32Array(2)'],
])('%s', (_, f, code, message) => {
  expect(failure(f)).toEqual([code, message]);
});

test('defaults and accepted values pass through unchanged', () => {
  expect(intOption('Dense', 'in_features', 4)).toBe(4);
  expect(intOption('planBatches', 'bucket_pool', undefined, { default: 100, voice: 'option' })).toBe(100);
  expect(() => intOption('planBatches', 'batch_size', undefined, { voice: 'option' })).toThrow(/batch_size must be an integer ≥ 1, got undefined/);
  expect(flag('Dense', 'bias', undefined, true)).toBe(true);
  expect(flag('Vocab', 'bos', false, true, { voice: 'option' })).toBe(false);
  expect(optionsOf('forward options', undefined, ['lengths'])).toEqual({});
  expect(seedOf('Dense options', undefined)).toBe(0);
  const ids = Int32Array.of(3, 1);
  expect(tokenIds('w', 'ids', ids)).toBe(ids);
  expect(tokenIds('w', 'ids', [3, 1])).toEqual(ids);
  expect(shapeSize([])).toBe(1);
  expect(shapeSize([2, 3, 4])).toBe(24);
  expect(multiIndex(5, [2, 3])).toBe('[1, 2]');
  expect(multiIndex(23, [2, 3, 4])).toBe('[1, 2, 3]');
});

test('describe: kinds for the data pipeline, contents for the engine', () => {
  const long = 'x'.repeat(50);
  expect(describe(long)).toBe(JSON.stringify(`${'x'.repeat(40)}…`));
  expect(describe(long, 'contents')).toBe(describe(long));
  expect([describe(3n), describe(Uint32Array.of(1, 2)), describe({}), describe(null)]).toEqual(['3n', 'Uint32Array(2)', 'object', 'null']);
  expect([describe([1, 2], 'contents'), describe(new Array(9).fill(0), 'contents'), describe(new Float64Array(1), 'contents'), describe(undefined, 'contents')]).toEqual([
    '[1, 2]',
    'an array of 9',
    'a Float64Array',
    'undefined',
  ]);
});
