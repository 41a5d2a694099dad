// Checkpoints: a run stopped after a checkpoint and resumed from it continues bit for bit as the
// uninterrupted run; damaged or foreign files are typed errors; files are replaced atomically.
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEngine, WebRnnError, type Engine } from '../src/index.js';
import { loadCheckpoint, saveCheckpoint } from '../src/model/checkpoint-file.js';
import { parseCheckpoint, restoreCheckpoint } from '../src/model/checkpoint.js';
import { SequenceModel, type SequenceBatch, type SequenceModelConfig } from '../src/model/sequence-model.js';
import { Rng } from '../src/random.js';
import { Adagrad } from '../src/optim/adagrad.js';
import { Adam } from '../src/optim/adam.js';
import type { Optimizer } from '../src/optim/optimizer.js';
import type { ParameterBlock } from '../src/layers/parameter-store.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => engine?.dispose());

const CONFIG: SequenceModelConfig = {
  embedding: { num_embeddings: 12, embedding_dim: 6 },
  rnn: { mode: 'LSTM', input_size: 6, hidden_size: 10, num_layers: 2, dropout: 0.2 },
  linear: { in_features: 10, out_features: 12 },
  loss: 'cross_entropy',
  target: 'all_steps',
};

function batches(seed: number, n: number): SequenceBatch[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const B = 3, T = 7;
    const tokens = new Int32Array(B * T).map(() => rng.int(0, 11));
    const targets = new Int32Array(B * T).map(() => rng.int(0, 11));
    return { B, T, tokens, targets, lengths: [7, 4, 5] };
  });
}

async function steps(model: SequenceModel, opt: Optimizer, data: SequenceBatch[], from: number): Promise<void> {
  for (let i = 0; i < data.length; i++) {
    model.lossAndGrad(data[i]);
    await opt.stepChecked(from + i + 1);
  }
}

describe('checkpoints', () => {
  const optimizers: [string, (blocks: ParameterBlock[]) => Optimizer][] = [
    ['Adam', (blocks) => new Adam(engine, blocks, { lr: 0.01, clip_norm: 1 })],
    ['Adagrad', (blocks) => new Adagrad(engine, blocks, { lr: 0.05, lr_decay: 0.01, initial_accumulator_value: 0.1, clip_norm: 1 })],
  ];
  test.each(optimizers)('resume from a checkpoint continues bit-exactly (weights, %s state, step count)', async (_, makeOpt) => {
    const dir = mkdtempSync(join(tmpdir(), 'webrnn-ckpt-'));
    const path = join(dir, 'checkpoint.safetensors');
    const data = batches(5, 10);
    const a = new SequenceModel(engine, CONFIG, { seed: 3 }); // training mode: dropout masks must resume too
    const optA = makeOpt(a.blocks());
    await steps(a, optA, data.slice(0, 5), 0);
    await saveCheckpoint(path, a, optA, { step: 5, note: 'half way' });
    await steps(a, optA, data.slice(5), 5);

    const c = await loadCheckpoint(path);
    expect(c.position).toEqual({ step: 5, note: 'half way' });
    expect(c.optimizer?.step).toBe(5);
    const b = new SequenceModel(engine, c.config, { seed: 99 }); // the checkpoint carries the mask stream
    const optB = makeOpt(b.blocks());
    restoreCheckpoint(c, b, optB);
    await steps(b, optB, data.slice(5), 5);

    const wa = await a.stateDict();
    const wb = await b.stateDict();
    for (const k of Object.keys(wa)) expect(Buffer.from(wb[k].buffer).equals(Buffer.from(wa[k].buffer)), k).toBe(true);
    expect(optB.stepCount).toBe(optA.stepCount);
    // no temporary files are left behind
    expect(readdirSync(dir)).toEqual(['checkpoint.safetensors']);
    for (const x of [a, b, optA, optB]) x.dispose();
  });

  test('damaged or foreign files are BAD_FILE errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webrnn-ckpt-bad-'));
    const path = join(dir, 'c.safetensors');
    const m = new SequenceModel(engine, CONFIG);
    await saveCheckpoint(path, m, undefined, { step: 0 });
    const good = readFileSync(path);
    expect(parseCheckpoint(good).optimizer).toBeUndefined();
    const bad = (bytes: Uint8Array) => {
      try {
        parseCheckpoint(bytes);
      } catch (e) {
        expect(e).toBeInstanceOf(WebRnnError);
        return (e as WebRnnError).code;
      }
      return 'loaded';
    };
    expect(bad(good.subarray(0, good.length - 10))).toBe('BAD_FILE'); // truncated
    expect(bad(Buffer.from(good.toString('latin1').replace('webrnn-checkpoint/1', 'webrnn-checkpoint/9'), 'latin1'))).toBe('BAD_FILE');
    expect(bad(Buffer.from(good.toString('latin1').replace('"hidden_size\\":10', '"hidden_size\\":11'), 'latin1'))).toBe('BAD_FILE'); // shapes no longer match
    writeFileSync(join(dir, 'x'), 'not a checkpoint');
    await expect(loadCheckpoint(join(dir, 'x'))).rejects.toThrow(WebRnnError);
    await expect(loadCheckpoint(join(dir, 'missing'))).rejects.toThrow(/cannot read checkpoint/);
    m.dispose();
  });
});
