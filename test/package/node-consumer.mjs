// A Node program that installed `webrnn` and `webgpu` from npm, doing what the README shows: a
// forward and backward with variable lengths, a training loop, and a checkpoint saved, loaded and
// resumed. Prints one JSON line with the numbers the test checks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Adam, createEngine, parameterSpecs, Recurrent, restoreCheckpoint, SequenceModel } from 'webrnn';
import { loadCheckpoint, saveCheckpoint } from 'webrnn/node';
import { runLstmCase } from './lstm-case.mjs';

const result = { lstm: await runLstmCase({ createEngine, parameterSpecs, Recurrent }) };

const engine = await createEngine();
const dir = mkdtempSync(join(tmpdir(), 'webrnn-consumer-'));
try {
  // Backward of the README's layer: gradients exist and have PyTorch's names.
  const gru = new Recurrent(engine, { mode: 'GRU', input_size: 4, hidden_size: 6, bidirectional: true }, { seed: 3 });
  gru.forward(engine.tensor(new Float32Array(5 * 2 * 4).fill(0.5), [5, 2, 4]), { lengths: [5, 3] });
  const g = gru.backward({ grad_output: engine.tensor(new Float32Array(5 * 2 * 12).fill(1), [5, 2, 12]) });
  result.gradNames = Object.keys(g.grads).sort();
  result.gradInputFinite = Array.from(await g.grad_input.read()).every(Number.isFinite);

  // A training loop, then a checkpoint: 3 steps + save + a fresh model restored from the file + 3 more
  // steps must give the same losses as 6 steps straight.
  const config = {
    embedding: { num_embeddings: 12, embedding_dim: 8 },
    rnn: { mode: 'LSTM', input_size: 8, hidden_size: 16 },
    linear: { in_features: 16, out_features: 12 },
    loss: 'cross_entropy',
    target: 'all_steps',
  };
  const B = 4;
  const T = 7;
  const tokens = Int32Array.from({ length: B * T }, (_, i) => (i * 5) % 12);
  const targets = Int32Array.from({ length: B * T }, (_, i) => (i * 5 + 1) % 12);
  const batch = { B, T, tokens, targets, lengths: [7, 5, 7, 3] };
  const train = async (model, opt, from, to) => {
    const losses = [];
    for (let step = from; step <= to; step++) {
      const loss = model.lossAndGrad(batch);
      losses.push((await loss.read())[0]);
      await opt.stepChecked(step);
    }
    return losses;
  };
  const straight = new SequenceModel(engine, config, { seed: 7 });
  result.straight = await train(straight, new Adam(engine, straight.blocks(), { lr: 0.05 }), 1, 6);

  const first = new SequenceModel(engine, config, { seed: 7 });
  const firstOpt = new Adam(engine, first.blocks(), { lr: 0.05 });
  const before = await train(first, firstOpt, 1, 3);
  const path = join(dir, 'checkpoint.safetensors');
  await saveCheckpoint(path, first, firstOpt, { step: 3 });
  const resumed = new SequenceModel(engine, config, { seed: 99 });
  const resumedOpt = new Adam(engine, resumed.blocks(), { lr: 0.05 });
  const checkpoint = await loadCheckpoint(path);
  restoreCheckpoint(checkpoint, resumed, resumedOpt);
  result.resumed = [...before, ...(await train(resumed, resumedOpt, 4, 6))];
  result.position = checkpoint.position;
} finally {
  engine.dispose();
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify(result));
