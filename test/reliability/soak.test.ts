// Leak detectors. (1) Thousands of forward/backward/optimizer steps over several layer kinds, losses
// and optimizers, with shape changes that force re-planning every few steps: engine.memory() (buffers
// and bytes) is back to the same value at the same point of every shape cycle, no pipeline is compiled
// after the first cycle, and steps that do not re-plan create no buffer and no bind group. (2) A longer
// training run (WEBRNN_SOAK_SECONDS, default 20; at most 60) keeps memory flat and does not slow down:
// the mean step time of the last quarter is at most 1.5× the first quarter's (a leak detector, not a
// speed test: the bound is generous and the slowest tenth of each quarter is dropped). A loaded CI
// machine drifts in speed over 20 s, so two more measures back it up: this process's CPU time per
// step (lavapipe's threads included), and a control run at the end that alternates steps of the
// long-lived model with a fresh identical one — both see the same machine, so a slowdown from state
// accumulated in the long-lived objects shows as a ratio while machine drift cancels. The test fails
// only when every measure says the last steps are more than 1.5× slower.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  Adam,
  AdamW,
  createEngine,
  Recurrent,
  CrossEntropyLoss,
  Dense,
  OneHot,
  SequenceModel,
  SGD,
  type Engine,
  type Optimizer,
  type RecurrentState,
  type SequenceBatch,
  type SequenceModelConfig,
} from '../../src/index.js';
import type { EngineCounters } from '../../src/gpu/engine.js';
import { Rng } from '../../src/random.js';

let engine: Engine;
beforeAll(async () => {
  // Tuning off: the counts below are what the library makes per step and per re-plan; the tuner's own
  // measurements (a first use of each shape class, in the background, bounded in time) would land in
  // them at moments that depend on the machine's load. test/tuner.test.ts covers the tuner's bound.
  engine = await createEngine({ tuning: 'off' });
});
afterAll(() => engine?.dispose());

const SHAPES: [B: number, T: number][] = [[4, 8], [3, 5], [2, 12]];
const PER_SHAPE = 10; // steps before the shape changes
const CYCLE = SHAPES.length * PER_SHAPE;

interface Part {
  name: string;
  step(i: number, B: number, T: number, rng: Rng): Promise<void>;
  dispose(): void;
}

function tokensBatch(rng: Rng, B: number, T: number, V: number, O: number): SequenceBatch {
  const lengths = Array.from({ length: B }, (_, b) => (b === 0 ? T : rng.int(1, T)));
  return { B, T, tokens: new Int32Array(B * T).map(() => rng.int(0, V - 1)), targets: new Int32Array(B * T).map(() => rng.int(0, O - 1)), lengths };
}

function featuresBatch(rng: Rng, B: number, T: number, I: number, O: number): SequenceBatch {
  return { B, T, input: Float32Array.from({ length: B * T * I }, () => rng.uniform(-1, 1)), targets: Float32Array.from({ length: B * O }, () => rng.uniform(0, 1)) };
}

/** The parts of the soak: three models (three cells, three losses, three optimizers) and raw layers. */
function parts(e: Engine): Part[] {
  const m1cfg: SequenceModelConfig = {
    embedding: { num_embeddings: 20, embedding_dim: 6 },
    rnn: { mode: 'GRU', input_size: 6, hidden_size: 8, bidirectional: true, reset_after: false },
    linear: { in_features: 16, out_features: 20 },
    loss: 'cross_entropy',
    target: 'all_steps',
  };
  const m1 = new SequenceModel(e, m1cfg, { seed: 1 });
  const o1 = new Adam(e, m1.blocks(), { lr: 1e-2, clip_norm: 1 });

  const m2cfg: SequenceModelConfig = {
    embedding: null,
    rnn: { mode: 'LSTM', input_size: 3, hidden_size: 8, num_layers: 2, dropout: 0.1, peephole: true },
    linear: { in_features: 8, out_features: 2 },
    loss: 'mse',
    target: 'last_step',
  };
  const m2 = new SequenceModel(e, m2cfg, { seed: 2 });
  const o2 = new SGD(e, m2.blocks(), { lr: 0.05, momentum: 0.9, nesterov: true, clip_value: 1 });
  const states = new Map<number, RecurrentState>(SHAPES.map(([B]) => [B, m2.createState(B)]));

  const m3cfg: SequenceModelConfig = {
    embedding: null,
    rnn: { mode: 'RNN_RELU', input_size: 3, hidden_size: 6 },
    linear: { in_features: 6, out_features: 3 },
    loss: 'bce_with_logits',
    target: 'last_step',
  };
  const m3 = new SequenceModel(e, m3cfg, { seed: 3 });
  const o3: Optimizer = new AdamW(e, m3.blocks(), { lr: 1e-3, amsgrad: true });

  // raw layers: one-hot → recurrent (batch_first) → dense → cross-entropy, backward by hand
  const oh = new OneHot(e, { num_classes: 7 });
  const rnn = new Recurrent(e, { mode: 'RNN_TANH', input_size: 7, hidden_size: 5, batch_first: true }, { seed: 4 });
  const head = new Dense(e, { in_features: 5, out_features: 7 }, { seed: 5 });
  const ce = new CrossEntropyLoss(e);
  const o4 = new SGD(e, [rnn.store, head.store], { lr: 0.1 });

  return [
    {
      name: 'GRU tagger (embedding, CE, Adam)',
      async step(i, B, T, rng) {
        const batch = tokensBatch(rng, B, T, 20, 20);
        m1.lossAndGrad(batch);
        await o1.stepChecked();
        if (i % 7 === 0) m1.eval().loss(batch), m1.train();
      },
      dispose: () => (o1.dispose(), m1.dispose()),
    },
    {
      name: 'LSTM regressor (dropout, peephole, MSE, state carried, SGD)',
      async step(i, B, T, rng) {
        const st = states.get(B)!;
        if (i % 5 === 0) st.reset();
        m2.lossAndGrad(featuresBatch(rng, B, T, 3, 2), { state: st });
        o2.step();
        if (i % 9 === 0) await m2.predict({ B, T, input: new Float32Array(B * T * 3) }).read();
      },
      dispose: () => (o2.dispose(), states.forEach((s) => s.dispose()), m2.dispose()),
    },
    {
      name: 'ReLU RNN classifier (BCE, AdamW amsgrad)',
      async step(_i, B, T, rng) {
        const loss = m3.lossAndGrad(featuresBatch(rng, B, T, 3, 3));
        o3.step();
        await loss.read();
      },
      dispose: () => (o3.dispose(), m3.dispose()),
    },
    {
      name: 'one-hot → RNN → Dense → CE by hand',
      async step(_i, B, T, rng) {
        const ids = Array.from({ length: B * T }, () => rng.int(0, 6));
        const x = oh.forward(ids, [B, T]);
        const { output } = rnn.forward(x);
        const logits = head.forward(output);
        const { grad_input } = ce.forward(logits, ids);
        rnn.backward({ grad_output: head.backward(grad_input).grad_input });
        await o4.stepChecked();
      },
      dispose: () => (o4.dispose(), oh.dispose(), rnn.dispose(), head.dispose(), ce.dispose()),
    },
  ];
}

describe('soak', () => {
  test('thousands of steps with re-planning: memory, pipelines and bind groups do not grow', async () => {
    const baseline = engine.memory();
    const ps = parts(engine);
    const rng = new Rng(11);
    const CYCLES = 20; // 20 × 30 steps × 4 parts = 2400 steps, 60 re-plans of every part
    let atCycle: { memory: ReturnType<Engine['memory']>; counters: EngineCounters } | undefined;
    let perCycle: number | undefined;
    let quietSteps = 0;
    const t0 = performance.now();
    for (let i = 0; i < CYCLES * CYCLE; i++) {
      const [B, T] = SHAPES[Math.floor(i / PER_SHAPE) % SHAPES.length];
      const replans = i % PER_SHAPE === 0;
      const before = engine.counters();
      for (const p of ps) await p.step(i, B, T, rng);
      const after = engine.counters();
      if (!replans && i >= CYCLE) {
        // the same shape as the previous step: everything is replayed, nothing is made
        expect(after.buffersCreated - before.buffersCreated, `step ${i}: buffers created`).toBe(0);
        expect(after.bindGroups - before.bindGroups, `step ${i}: bind groups created`).toBe(0);
        quietSteps++;
      }
      if ((i + 1) % CYCLE === 0) {
        const now = { memory: engine.memory(), counters: engine.counters() };
        if (atCycle) {
          expect(now.memory, `memory after cycle ${(i + 1) / CYCLE}`).toEqual(atCycle.memory);
          expect(now.counters.pipelines, 'pipelines').toBe(atCycle.counters.pipelines);
          expect(now.counters.kernels, 'kernels').toBe(atCycle.counters.kernels);
          const made = now.counters.bindGroups - atCycle.counters.bindGroups;
          perCycle ??= made;
          expect(made, 'bind groups per cycle (only re-plans make them)').toBe(perCycle);
        }
        atCycle = now;
      }
    }
    const ms = performance.now() - t0;
    console.log(`soak: ${CYCLES * CYCLE * ps.length} steps in ${(ms / 1000).toFixed(1)} s, ${CYCLES * SHAPES.length} re-plans per part; memory ${JSON.stringify(atCycle!.memory)}; ${perCycle} bind groups per cycle, ${quietSteps} replayed steps made none`);
    for (const p of ps) p.dispose();
    expect(engine.memory()).toEqual(baseline);
  });

  test('a longer training run keeps memory flat and does not slow down', async () => {
    const seconds = Math.min(60, Number(process.env.WEBRNN_SOAK_SECONDS ?? 20));
    const V = 48;
    const B = 8;
    const T = 16;
    const model = new SequenceModel(engine, {
      embedding: { num_embeddings: V, embedding_dim: 16 },
      rnn: { mode: 'LSTM', input_size: 16, hidden_size: 32, num_layers: 2, dropout: 0.1 },
      linear: { in_features: 32, out_features: V },
      loss: 'cross_entropy',
      target: 'all_steps',
    }, { seed: 1 });
    const opt = new Adam(engine, model.blocks(), { lr: 3e-3, clip_norm: 5 });
    const state = model.createState(B);
    // a repetitive "text", so the loss falls and the run is a real one
    const rng = new Rng(3);
    const text = Int32Array.from({ length: 20_000 }, (_, i) => (i * 7 + (i % 13) + rng.int(0, 2)) % V);
    const window = (k: number): SequenceBatch => {
      const tokens = new Int32Array(B * T);
      const targets = new Int32Array(B * T);
      const stream = Math.floor(text.length / B);
      const at = (k * T) % (stream - T - 1);
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < T; t++) {
          tokens[b * T + t] = text[b * stream + at + t];
          targets[b * T + t] = text[b * stream + at + t + 1];
        }
      }
      return { B, T, tokens, targets };
    };
    const WARMUP = 20;
    const times: number[] = []; // CPU ms per step
    const wall: number[] = [];
    const losses: number[] = [];
    let memoryAtWarmup: ReturnType<Engine['memory']> | undefined;
    let countersAtWarmup: EngineCounters | undefined;
    const rssAtWarmup: number[] = [];
    const end = performance.now() + seconds * 1000;
    for (let k = 0; performance.now() < end || k < 4 * WARMUP; k++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      if (k % 100 === 0) state.reset();
      const loss = model.lossAndGrad(window(k), { state });
      await opt.stepChecked();
      if (k % 25 === 0) losses.push((await loss.read())[0]);
      if (k >= WARMUP) {
        const c = process.cpuUsage(c0);
        times.push((c.user + c.system) / 1000);
        wall.push(performance.now() - t0);
      }
      if (k === WARMUP) {
        memoryAtWarmup = engine.memory();
        countersAtWarmup = engine.counters();
        rssAtWarmup.push(process.memoryUsage().rss);
      }
    }
    const q = Math.floor(times.length / 4);
    const trimmedMean = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b).slice(0, Math.ceil(xs.length * 0.9));
      return s.reduce((a, b) => a + b, 0) / s.length;
    };
    const first = trimmedMean(times.slice(0, q));
    const last = trimmedMean(times.slice(times.length - q));
    const [wallFirst, wallLast] = [trimmedMean(wall.slice(0, q)), trimmedMean(wall.slice(wall.length - q))];
    const memoryAtEnd = engine.memory();
    const countersAtEnd = engine.counters();
    // control: the long-lived model against a fresh one, step for step, under the same conditions
    const fresh = new SequenceModel(engine, model.config, { seed: 2 });
    const freshOpt = new Adam(engine, fresh.blocks(), { lr: 3e-3, clip_norm: 5 });
    const freshState = fresh.createState(B);
    const [oldTimes, freshTimes]: number[][] = [[], []];
    for (let k = 0; k < 120; k++) {
      for (const [m, o, st, into] of [[model, opt, state, oldTimes], [fresh, freshOpt, freshState, freshTimes]] as const) {
        const t0 = performance.now();
        m.lossAndGrad(window(k), { state: st });
        await o.stepChecked();
        if (k >= 10) into.push(performance.now() - t0);
      }
    }
    const interleaved = trimmedMean(oldTimes) / trimmedMean(freshTimes);
    for (const x of [freshState, freshOpt, fresh]) x.dispose();
    const rssGrowthMb = (process.memoryUsage().rss - rssAtWarmup[0]) / 2 ** 20;
    console.log(
      `long soak: ${times.length + WARMUP} steps in ${seconds} s; mean step CPU ${first.toFixed(2)} ms (first quarter) → ${last.toFixed(2)} ms (last quarter), ` +
        `wall ${wallFirst.toFixed(2)} → ${wallLast.toFixed(2)} ms; long-lived / fresh model interleaved ${interleaved.toFixed(2)}×; ` +
        `loss ${losses[0].toFixed(3)} → ${losses[losses.length - 1].toFixed(3)}; memory ${JSON.stringify(memoryAtEnd)}; RSS ${rssGrowthMb >= 0 ? '+' : ''}${rssGrowthMb.toFixed(1)} MiB after warm-up`,
    );
    expect(memoryAtEnd).toEqual(memoryAtWarmup);
    const c = countersAtEnd;
    expect(c.buffersCreated).toBe(countersAtWarmup!.buffersCreated);
    expect(c.bindGroups).toBe(countersAtWarmup!.bindGroups);
    expect(c.pipelines).toBe(countersAtWarmup!.pipelines);
    expect(Math.min(wallLast / wallFirst, last / first, interleaved), 'slowdown: last/first quarter (wall, CPU), long-lived/fresh (interleaved)').toBeLessThanOrEqual(1.5);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    // Host memory: generous (the JS heap grows until a collection), but a leak per step would show.
    expect(rssGrowthMb).toBeLessThan(512);
    state.dispose();
    opt.dispose();
    model.dispose();
  }, 120_000);
});
