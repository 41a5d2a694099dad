// End-to-end learning on the GPU: tests that fail if training is broken anywhere (a kernel, a
// gradient, the optimizer, masking). Each trains a small model from a fixed seed on freshly generated
// batches and measures accuracy on held-out batches it never trained on.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEngine, type Engine } from '../src/index.js';
import { SequenceModel, type SequenceBatch } from '../src/model/sequence-model.js';
import { Rng } from '../src/random.js';
import { Adam } from '../src/optim/adam.js';
import { Vocab } from '../src/data/vocab.js';
import { Generator } from '../src/decode/generate.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => engine?.dispose());

async function train(model: SequenceModel, make: () => SequenceBatch, steps: number, lr: number): Promise<number[]> {
  const opt = new Adam(engine, model.blocks(), { lr });
  const losses: number[] = [];
  for (let i = 1; i <= steps; i++) {
    const loss = model.lossAndGrad(make());
    await opt.stepChecked(i);
    if (i === 1 || i === steps) losses.push((await loss.read())[0]);
  }
  opt.dispose();
  return losses;
}

/** argmax over the last axis of (rows, O) logits */
function argmax(logits: Float32Array, O: number): Int32Array {
  const out = new Int32Array(logits.length / O);
  for (let r = 0; r < out.length; r++) {
    let best = 0;
    for (let o = 1; o < O; o++) if (logits[r * O + o] > logits[r * O + best]) best = o;
    out[r] = best;
  }
  return out;
}

describe('models learn', () => {
  test('a bidirectional GRU tagger learns a rule that needs right context (> 99% token accuracy)', async () => {
    // tag(t) = 1 iff the next token is larger than this one: unknowable from the left context alone.
    const rng = new Rng(1);
    const V = 9, T = 12, B = 32;
    const make = (): SequenceBatch => {
      const tokens = new Int32Array(B * T);
      const targets = new Int32Array(B * T);
      const lengths = Array.from({ length: B }, () => rng.int(3, T));
      for (let i = 0; i < B * T; i++) tokens[i] = rng.int(1, V - 1);
      for (let b = 0; b < B; b++) for (let t = 0; t + 1 < lengths[b]; t++) targets[b * T + t] = +(tokens[b * T + t + 1] > tokens[b * T + t]);
      return { B, T, tokens, targets, lengths };
    };
    const model = new SequenceModel(engine, {
      embedding: { num_embeddings: V, embedding_dim: 8 },
      rnn: { mode: 'GRU', input_size: 8, hidden_size: 16, bidirectional: true },
      linear: { in_features: 32, out_features: 2 },
      loss: 'cross_entropy',
      target: 'all_steps',
    }, { seed: 1 });
    const [first, last] = await train(model, make, 300, 0.02);
    expect(last).toBeLessThan(first / 20);
    let right = 0, total = 0;
    for (let k = 0; k < 4; k++) {
      const batch = make();
      const pred = argmax(await model.predict(batch).read(), 2); // (T, B)
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < batch.lengths![b]; t++) {
          total++;
          if (pred[t * B + b] === batch.targets[b * T + t]) right++;
        }
      }
    }
    expect(right / total).toBeGreaterThan(0.99);
    model.dispose();
  });

  test('a many-to-one LSTM learns the parity of variable-length bit strings (> 99% accuracy)', async () => {
    const rng = new Rng(2);
    const T = 10, B = 64;
    const make = (): SequenceBatch => {
      const input = new Float32Array(B * T);
      const targets = new Int32Array(B);
      const lengths = Array.from({ length: B }, () => rng.int(1, T));
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < T; t++) {
          input[b * T + t] = rng.int(0, 1);
          if (t < lengths[b]) targets[b] ^= input[b * T + t];
        }
      }
      return { B, T, input, targets, lengths };
    };
    const model = new SequenceModel(engine, {
      embedding: null,
      rnn: { mode: 'LSTM', input_size: 1, hidden_size: 16 },
      linear: { in_features: 16, out_features: 2 },
      loss: 'cross_entropy',
      target: 'last_step',
    }, { seed: 2 });
    const [first, last] = await train(model, make, 600, 0.01);
    expect(last).toBeLessThan(first / 20);
    let right = 0;
    for (let k = 0; k < 4; k++) {
      const batch = make();
      const pred = argmax(await model.predict(batch).read(), 2);
      pred.forEach((p, b) => (right += +(p === batch.targets[b])));
    }
    expect(right / (4 * B)).toBeGreaterThan(0.99);
    model.dispose();
  });
});

describe('a character language model memorises a short text and samples it back', () => {
  test('Embedding → LSTM → Dense overfits to near-zero loss; greedy generation reproduces the text', async () => {
    const text = 'the quick brown fox jumps over the lazy dog. ';
    const vocab = Vocab.fromText(text, { level: 'char' });
    const ids = vocab.encode(text + text); // the text twice, so every position has a successor
    const T = text.length;
    const model = new SequenceModel(engine, {
      embedding: { num_embeddings: vocab.size, embedding_dim: 16 },
      rnn: { mode: 'LSTM', input_size: 16, hidden_size: 64 },
      linear: { in_features: 64, out_features: vocab.size },
      loss: 'cross_entropy',
      target: 'all_steps',
    }, { seed: 3 });
    // one batch row per starting offset: every window of the text, so the model sees each context
    const B = 8;
    const make = (): SequenceBatch => {
      const tokens = new Int32Array(B * T);
      const targets = new Int32Array(B * T);
      for (let b = 0; b < B; b++) {
        const o = (b * 5) % T;
        for (let t = 0; t < T; t++) {
          tokens[b * T + t] = ids[o + t];
          targets[b * T + t] = ids[(o + t + 1) % ids.length];
        }
      }
      return { B, T, tokens, targets };
    };
    const [first, last] = await train(model, make, 250, 0.01);
    expect(last).toBeLessThan(0.02); // nats per character, from ≈ ln(V) ≈ 3.3
    expect(first).toBeGreaterThan(2.5);
    const gen = new Generator(engine, { embedding: model.embedding, recurrent: model.rnn, head: model.linear });
    const prime = vocab.encode('the quick');
    const out = vocab.decode(await gen.generate({ prime, steps: 2 * T - prime.length, greedy: true }));
    expect('the quick' + out).toBe((text + text).slice(0, 2 * T));
    gen.dispose();
    model.dispose();
  });
});
