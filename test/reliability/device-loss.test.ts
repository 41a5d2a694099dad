// Device loss: destroying the device mid-training makes pending and later operations reject with
// WebRnnError('DEVICE_LOST') — never hang — leaves the last checkpoint on disk intact, and a new
// engine resumes from it bit-exactly (the same weights as a run that was never interrupted).
// The last case runs in a child process (needs `npm run build`; scripts/test.sh does it): a lost
// engine that is garbage-collected must not take the process down.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { Adam, createEngine, SequenceModel, WebRnnError, type Engine, type SequenceBatch, type SequenceModelConfig } from '../../src/index.js';
import { checkpointBytes, restoreCheckpoint } from '../../src/model/checkpoint.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/model/checkpoint-file.js';
import { Rng } from '../../src/random.js';
import { code } from '../helpers/gpu-test.js';

const CONFIG: SequenceModelConfig = {
  embedding: { num_embeddings: 12, embedding_dim: 6 },
  rnn: { mode: 'LSTM', input_size: 6, hidden_size: 10, num_layers: 2, dropout: 0.2 },
  linear: { in_features: 10, out_features: 12 },
  loss: 'cross_entropy',
  target: 'all_steps',
};
const ADAM = { lr: 0.01, clip_norm: 1 };

function batches(seed: number, n: number): SequenceBatch[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const B = 3;
    const T = 7;
    return { B, T, tokens: new Int32Array(B * T).map(() => rng.int(0, 11)), targets: new Int32Array(B * T).map(() => rng.int(0, 11)), lengths: [7, 4, 5] };
  });
}

/** The code `p` rejects with; fails (instead of hanging the suite) when it has not settled in `ms`. */
async function rejection(p: Promise<unknown>, ms = 10_000): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms: hung`)), ms)));
  try {
    await Promise.race([p, hang]);
  } catch (e) {
    if (e instanceof WebRnnError) return e.code;
    throw e;
  } finally {
    clearTimeout(timer);
  }
  throw new Error('expected a rejection, got a result');
}

const dir = mkdtempSync(join(tmpdir(), 'webrnn-loss-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function train(engine: Engine, model: SequenceModel, opt: Adam, data: SequenceBatch[], from: number): Promise<void> {
  for (let i = 0; i < data.length; i++) {
    model.lossAndGrad(data[i]);
    await opt.stepChecked(from + i + 1);
  }
  void engine;
}

describe('device loss', () => {
  test('destroyed mid-training: DEVICE_LOST everywhere, checkpoint intact, a new engine resumes bit-exactly', async () => {
    const path = join(dir, 'checkpoint.safetensors');
    const data = batches(5, 12);
    const K = 6; // the last checkpoint before the loss

    const a = await createEngine();
    const model = new SequenceModel(a, CONFIG, { seed: 3 });
    const opt = new Adam(a, model.blocks(), ADAM);
    await train(a, model, opt, data.slice(0, K), 0);
    await saveCheckpoint(path, model, opt, { step: K });
    const saved = readFileSync(path);

    // A step in flight: its gradient-norm readback is pending when the device goes.
    const loss = model.lossAndGrad(data[K]);
    const pending = opt.stepChecked(K + 1);
    const pendingRead = loss.read();
    a.device.destroy();
    expect(await rejection(pending)).toBe('DEVICE_LOST');
    expect(await rejection(pendingRead)).toBe('DEVICE_LOST');
    expect(a.lost).toBe(true);

    // Everything later: typed errors, synchronously for GPU work, as rejections for reads.
    expect(code(() => model.lossAndGrad(data[K + 1]))).toBe('DEVICE_LOST');
    expect(code(() => opt.step())).toBe('DEVICE_LOST');
    expect(code(() => a.tensor([1], [1]))).toBe('DEVICE_LOST');
    expect(code(() => new SequenceModel(a, CONFIG))).toBe('DEVICE_LOST');
    expect(await rejection(loss.read())).toBe('DEVICE_LOST');
    expect(await rejection(model.stateDict())).toBe('DEVICE_LOST');
    expect(await rejection(opt.state())).toBe('DEVICE_LOST');
    expect(await rejection(checkpointBytes(model, opt, { step: K + 1 }))).toBe('DEVICE_LOST');
    // a save after the loss fails without touching the last good checkpoint
    expect(await rejection(saveCheckpoint(path, model, opt, { step: K + 1 }))).toBe('DEVICE_LOST');
    expect(readFileSync(path).equals(saved)).toBe(true);
    // cleaning up a lost engine is allowed and quiet
    expect(() => {
      opt.dispose();
      model.dispose();
      a.dispose();
    }).not.toThrow();

    // A new engine resumes from the checkpoint ...
    const b = await createEngine();
    try {
      const c = await loadCheckpoint(path);
      expect(c.position).toEqual({ step: K });
      const resumed = new SequenceModel(b, c.config, { seed: 99 });
      const opt2 = new Adam(b, resumed.blocks(), ADAM);
      restoreCheckpoint(c, resumed, opt2);
      expect(opt2.stepCount).toBe(K);
      await train(b, resumed, opt2, data.slice(K), K);

      // ... and ends where a run that was never interrupted ends, bit for bit.
      const ref = new SequenceModel(b, CONFIG, { seed: 3 });
      const optRef = new Adam(b, ref.blocks(), ADAM);
      await train(b, ref, optRef, data, 0);
      const got = await resumed.stateDict();
      const want = await ref.stateDict();
      for (const k of Object.keys(want)) expect(Buffer.from(got[k].buffer).equals(Buffer.from(want[k].buffer)), k).toBe(true);
      const [sa, sb] = [await opt2.state(), await optRef.state()];
      expect(sa.step).toBe(sb.step);
      for (const k of Object.keys(sb.slots)) sb.slots[k].forEach((v, i) => expect(Buffer.from(sa.slots[k][i].buffer).equals(Buffer.from(v.buffer)), `${k}[${i}]`).toBe(true));
      for (const x of [opt2, resumed, optRef, ref]) x.dispose();
    } finally {
      b.dispose();
    }
  });

  test('lost during a checkpoint save: the save rejects DEVICE_LOST and the previous file stays', async () => {
    const path = join(dir, 'during-save.safetensors');
    const e = await createEngine();
    const model = new SequenceModel(e, CONFIG, { seed: 1 });
    const opt = new Adam(e, model.blocks(), ADAM);
    await train(e, model, opt, batches(8, 2), 0);
    await saveCheckpoint(path, model, opt, { step: 2 });
    const before = readFileSync(path);
    await train(e, model, opt, batches(9, 1), 2);
    const saving = saveCheckpoint(path, model, opt, { step: 3 }); // reads parameters, then Adam state
    e.device.destroy();
    expect(await rejection(saving)).toBe('DEVICE_LOST');
    expect(readFileSync(path).equals(before)).toBe(true);
    expect((await loadCheckpoint(path)).position).toEqual({ step: 2 });
    e.dispose();
  });

  test('a readback whose map never settles (as some implementations do on a lost device) still ends in DEVICE_LOST', async () => {
    const e = await createEngine();
    const t = e.tensor([1, 2, 3], [3]);
    const device = e.device as unknown as { createBuffer: (d: GPUBufferDescriptor) => GPUBuffer };
    const create = device.createBuffer;
    device.createBuffer = function (d: GPUBufferDescriptor) {
      const b = create.call(this, d);
      if (d.usage & GPUBufferUsage.MAP_READ) Object.defineProperty(b, 'mapAsync', { value: () => new Promise(() => undefined) });
      return b;
    };
    const pending = t.read();
    e.device.destroy();
    expect(await rejection(pending, 5_000)).toBe('DEVICE_LOST');
    device.createBuffer = create;
    e.dispose();
  });

  test('work submitted in the same tick as the loss also ends in DEVICE_LOST, not a hang', async () => {
    const e = await createEngine();
    const model = new SequenceModel(e, CONFIG, { seed: 1 });
    const opt = new Adam(e, model.blocks(), ADAM);
    const [batch] = batches(3, 1);
    e.device.destroy(); // device.lost has not settled yet: the engine cannot know
    let loss;
    try {
      loss = model.lossAndGrad(batch);
    } catch (err) {
      expect((err as WebRnnError).code).toBe('DEVICE_LOST');
    }
    expect(await rejection(opt.stepChecked(1))).toBe('DEVICE_LOST');
    if (loss) expect(await rejection(loss.read())).toBe('DEVICE_LOST');
    e.dispose();
  });

  test('engines lost with reads in flight, then garbage-collected: the process goes on and exits cleanly', () => {
    // Dawn keeps polling its instance while a map or a lost-callback is pending; an instance or a
    // mapped buffer collected in that state used to abort the process (std::system_error) or deadlock it.
    const dist = new URL('../../dist/src/index.js', import.meta.url).href;
    const script = `
      import { createEngine } from ${JSON.stringify(dist)};
      for (let i = 0; i < 4; i++) {
        const e = await createEngine();
        const t = e.tensor([1, 2, 3], [3]);
        const reads = [t.read(), t.read()];
        e.device.destroy();
        for (const r of reads) await r.then(() => { throw new Error('read after loss resolved'); }, (err) => { if (err.code !== 'DEVICE_LOST') throw err; });
        if (i % 2) e.dispose();
        globalThis.gc();
      }
      for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 50)); }
      console.log('clean');`;
    const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect({ status: r.status, signal: r.signal, stdout: r.stdout.trim() }, r.stderr).toEqual({ status: 0, signal: null, stdout: 'clean' });
  });
});
