// Training through the worker protocol (src/worker/), in Node on lavapipe: serveTraining on one end of
// a MessageChannel and TrainingWorker on the other — the messages, transfers and error codes a real
// dedicated worker sees (test/demo.test.ts runs it in a Worker in headless Chromium). Checks progress
// and results, weights that travel by transfer and give a page-side model the worker's exact output,
// and errors that keep their WebRnnError code.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  CharLm,
  charLmJob,
  createEngine,
  serveTraining,
  TrainingWorker,
  Vocab,
  WebRnnError,
  type CharLmJobInfo,
  type CharLmJobSettings,
  type Engine,
  type TrainingJob,
  type TrainingProgress,
  type TrainingResult,
} from '../src/index.js';
import { BUILT_IN_TEXT } from '../demo/corpus.ts';

let engine: Engine;
const channels: MessageChannel[] = [];
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => {
  for (const c of channels) c.port1.close();
  engine?.dispose();
});

/** A job served on this thread and its page-side handle, joined by a MessageChannel. */
function connect<S, I = Record<string, unknown>>(job: TrainingJob<S>, engineSource: Engine | (() => Promise<Engine>) = engine): TrainingWorker<S, I> {
  const channel = new MessageChannel();
  channels.push(channel);
  serveTraining(job, { endpoint: channel.port1, engine: engineSource });
  return new TrainingWorker<S, I>(channel.port2);
}

const settings: CharLmJobSettings = {
  text: BUILT_IN_TEXT,
  evaluateWindows: 4,
  model: { cell: 'GRU', hidden: 32, embedding: 16, batch: 8, bptt: 16, lr: 1e-2, seed: 3 },
};

function ended(trainer: TrainingWorker<never, unknown>): Promise<TrainingResult> {
  return new Promise((done) => {
    const off = trainer.on('end', (r) => {
      off();
      done(r);
    });
  });
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('training worker protocol (MessageChannel, lavapipe)', () => {
  test('trains a character model: progress every step, evaluations, a result at the step count', async () => {
    const trainer = connect<CharLmJobSettings, CharLmJobInfo>(charLmJob);
    const progress: TrainingProgress[] = [];
    trainer.on('progress', (p) => progress.push(p));
    const end = ended(trainer);
    const info = (await trainer.start(settings, { steps: 24, evaluateEvery: 10 }));
    expect(info.settings.hidden).toBe(32);
    expect(info.windowsPerEpoch).toBeGreaterThan(1);
    const result = await end;
    console.log(`worker protocol: ${result.step} steps, loss ${progress[0]!.loss.toFixed(3)} → ${result.loss.toFixed(3)} nats/char, ` +
      `bpc ${progress.filter((p) => p.metrics).map((p) => `${p.step}:${p.metrics!.bpc!.toFixed(3)}`).join(' ')} → ${result.metrics?.bpc?.toFixed(3)}, ` +
      `${Math.round(progress[progress.length - 1]!.itemsPerSecond)} chars/s`);
    expect(progress.map((p) => p.step)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(result).toMatchObject({ reason: 'steps', step: 24 });
    expect(result.loss).toBe(progress[23]!.loss);
    expect(progress.every((p) => Number.isFinite(p.loss) && p.itemsPerSecond > 0 && p.seconds > 0)).toBe(true);
    expect(progress.filter((p) => p.metrics).map((p) => p.step)).toEqual([1, 10, 20]);
    const mean = (xs: TrainingProgress[]) => xs.reduce((a, p) => a + p.loss, 0) / xs.length;
    expect(mean(progress.slice(-4))).toBeLessThan(mean(progress.slice(0, 4)));
    // The final evaluation, after step 24, is newer than step 20's.
    expect(result.metrics!.bpc).toBeLessThan(progress[0]!.metrics!.bpc!);
    expect(result.metrics!.bpc).not.toBe(progress[19]!.metrics!.bpc);
    trainer.terminate();
  });

  test('weights come back by transfer and give a page-side model the worker\'s exact samples and bpc', async () => {
    const trainer = connect<CharLmJobSettings, CharLmJobInfo>(charLmJob);
    const info = (await trainer.start(settings, { steps: 8 }));
    await trainer.stop();
    const weights = await trainer.weights();
    // A page-side model of the same settings and vocabulary, loaded with the worker's weights.
    const vocab = Vocab.fromJSON(info.vocab);
    const cut = Math.floor(BUILT_IN_TEXT.length * 0.9);
    const page = new CharLm(engine, vocab, vocab.encode(BUILT_IN_TEXT.slice(0, cut)), info.settings);
    try {
      expect(Object.keys(weights).sort()).toEqual(page.model.parameterNames().sort());
      const fresh = await page.model.stateDict();
      // Trained weights, not the initial ones (the page model was built with the same seed).
      expect(weights['rnn.weight_hh_l0']).not.toEqual(fresh['rnn.weight_hh_l0']);
      page.model.loadStateDict(weights);
      const request = { length: 120, temperature: 0.8, seed: 11 };
      const [remote, local] = [await trainer.sample(request), await page.sample(request)];
      expect(remote.length).toBeGreaterThan(50);
      expect(local).toBe(remote);
      const valid = vocab.encode(BUILT_IN_TEXT.slice(cut));
      const [remoteBpc, localBpc] = [(await trainer.evaluate()).bpc!, await page.evaluate(valid, 4)];
      expect(Math.abs(remoteBpc - localBpc)).toBeLessThanOrEqual(1e-6 * remoteBpc);

      // And back: loadWeights transfers the page's arrays (detached here afterwards) into the worker.
      const sent: Record<string, Float32Array> = {};
      for (const [k, v] of Object.entries(fresh)) sent[k] = v.slice();
      await trainer.loadWeights(sent);
      expect(Object.values(sent).every((a) => a.length === 0 && a.buffer.byteLength === 0)).toBe(true);
      const back = await trainer.weights();
      for (const k of Object.keys(fresh)) expect(back[k]).toEqual(fresh[k]);
    } finally {
      page.dispose();
      trainer.terminate();
    }
  });

  test('stop() ends after the current step, resume() continues the same model', async () => {
    const trainer = connect<CharLmJobSettings, CharLmJobInfo>(charLmJob);
    const steps: number[] = [];
    trainer.on('progress', (p) => steps.push(p.step));
    await trainer.start(settings);
    while (steps.length < 3) await new Promise((r) => setTimeout(r, 10));
    const stopped = await trainer.stop();
    expect(stopped.reason).toBe('stopped');
    expect(stopped.step).toBe(steps[steps.length - 1]);
    expect(await rejection(trainer.resume({ steps: 0 }))).toMatchObject({ code: 'BAD_CONFIG' });
    const end = ended(trainer);
    await trainer.resume({ steps: 2 });
    expect(await end).toMatchObject({ reason: 'steps', step: stopped.step + 2 });
    expect(steps.slice(-2)).toEqual([stopped.step + 1, stopped.step + 2]);
    await trainer.reset();
    expect(await rejection(trainer.sample({ length: 5 }))).toMatchObject({ code: 'BAD_STATE' });
    trainer.terminate();
    expect(await rejection(trainer.stop())).toMatchObject({ code: 'DISPOSED' });
  });

  test('errors reach the page as WebRnnError with the worker\'s code', async () => {
    const trainer = connect<CharLmJobSettings, CharLmJobInfo>(charLmJob);
    const bad = await rejection(trainer.start({ ...settings, model: { hiden: 8 } as never }));
    expect(bad).toBeInstanceOf(WebRnnError);
    expect(bad).toMatchObject({ code: 'BAD_CONFIG', message: expect.stringContaining('"hiden"') });
    expect(await rejection(trainer.weights())).toMatchObject({ code: 'BAD_STATE' });
    await trainer.start(settings);
    expect(await rejection(trainer.start(settings))).toMatchObject({ code: 'BAD_STATE', message: expect.stringContaining('stop() first') });
    await trainer.stop();
    const weights = await trainer.weights();
    weights['linear.bias'] = new Float32Array(3);
    expect(await rejection(trainer.loadWeights(weights))).toMatchObject({ code: 'BAD_SHAPE' });
    trainer.terminate();

    // An engine still on its way (a worker's first start): stop and reset refuse rather than race it.
    const slow = connect<CharLmJobSettings, CharLmJobInfo>(charLmJob, () => new Promise((ok) => setTimeout(() => ok(engine), 200)));
    const starting = slow.start(settings, { steps: 1 });
    expect(await rejection(slow.reset())).toMatchObject({ code: 'BAD_STATE', message: expect.stringContaining('cannot reset: a start is building its model') });
    expect(await rejection(slow.stop())).toMatchObject({ code: 'BAD_STATE', message: expect.stringContaining('cannot stop: a start is building its model') });
    expect((await starting).windowsPerEpoch).toBeGreaterThan(0);
    slow.terminate();

    // A failure inside the training loop: an 'error' event with the code, then the end of the run.
    let calls = 0;
    const failing: TrainingJob<null> = {
      create: (e) => {
        const run = charLmJob.create(e, settings) as Awaited<ReturnType<typeof charLmJob.create>>;
        return { ...run, step: () => (++calls === 3 ? Promise.reject(new WebRnnError('DEVICE_LOST', 'the device went away')) : run.step()) };
      },
    };
    const t2 = connect(failing);
    const errors: Error[] = [];
    t2.on('error', (e) => errors.push(e));
    const end = ended(t2);
    await t2.start(null);
    expect(await end).toMatchObject({ reason: 'error', step: 2 });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(WebRnnError);
    expect(errors[0]).toMatchObject({ code: 'DEVICE_LOST', message: 'the device went away' });
    t2.terminate();
  });
});

describe('the library runs in a dedicated worker', () => {
  test('no source under src/ uses window, document or other page-only globals (a worker has none of them)', () => {
    const src = fileURLToPath(new URL('../src/', import.meta.url));
    const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(50);
    const pageOnly = /(?<![.\w])(window|document|localStorage|sessionStorage|self\.document)\s*[.[]|(?<![.\w])requestAnimationFrame\s*\(|\bglobalThis\.(window|document)\b/;
    const uses: string[] = [];
    for (const f of files) {
      // Comments and messages may mention a "window" of BPTT steps (and CharLm has a window() method);
      // code may not touch the page's.
      const code = readFileSync(src + f, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '')
        .replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g, "''");
      code.split('\n').forEach((line, i) => {
        if (pageOnly.test(line)) uses.push(`src/${f}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(uses).toEqual([]);
  });
});
