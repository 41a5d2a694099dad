// The page of test/worker-chromium.test.ts: trains a character model in a real dedicated Worker,
// brings its weights back by transfer into a model on this main thread, and compares the two models'
// samples and held-out bits per character; checks that errors keep their WebRnnError code. The
// findings go to window.__workerReport.
import { CharLm, createEngine, TrainingWorker, Vocab, WebRnnError, type CharLmJobInfo, type CharLmJobSettings, type TrainingProgress, type TrainingResult } from '../../src/index.js';
import { BUILT_IN_TEXT } from '../../demo/corpus.js';

export interface WorkerReport {
  progress: TrainingProgress[];
  result: TrainingResult;
  /** parameter names, each with its length, as they arrived; and whether each is a Float32Array */
  weights: { name: string; length: number; float32: boolean }[];
  pageNames: string[];
  workerSample: string;
  pageSample: string;
  workerBpc: number;
  pageBpc: number;
  /** the arrays sent by loadWeights, as left on this side */
  sentLengths: number[];
  /** weights read back after loadWeights equal those sent */
  roundTrip: boolean;
  errors: { name: string; code?: string; instance: boolean; message: string }[];
}

declare global {
  interface Window {
    __workerReport?: WorkerReport | { failed: string };
  }
}

const settings: CharLmJobSettings = {
  text: BUILT_IN_TEXT,
  evaluateWindows: 4,
  model: { cell: 'LSTM', hidden: 32, embedding: 16, batch: 8, bptt: 16, lr: 1e-2, seed: 5 },
};

async function caught(p: Promise<unknown>): Promise<WorkerReport['errors'][number]> {
  try {
    await p;
  } catch (e) {
    const err = e as Error & { code?: string };
    return { name: err.name, code: err.code, instance: e instanceof WebRnnError, message: err.message };
  }
  return { name: 'none', instance: false, message: 'did not fail' };
}

async function main(): Promise<WorkerReport> {
  const trainer = new TrainingWorker<CharLmJobSettings, CharLmJobInfo>(new Worker(new URL('./lm-worker.js', import.meta.url), { type: 'module' }));
  const progress: TrainingProgress[] = [];
  trainer.on('progress', (p) => progress.push(p));
  const ended = new Promise<TrainingResult>((done) => trainer.on('end', done));
  const info = (await trainer.start(settings, { steps: 12, evaluateEvery: 6 }));
  const result = await ended;

  const weights = await trainer.weights();
  const engine = await createEngine();
  const vocab = Vocab.fromJSON(info.vocab);
  const cut = Math.floor(BUILT_IN_TEXT.length * 0.9);
  const lm = new CharLm(engine, vocab, vocab.encode(BUILT_IN_TEXT.slice(0, cut)), info.settings);
  const initial = await lm.model.stateDict();
  lm.model.loadStateDict(weights);
  const request = { length: 150, temperature: 0.8, seed: 21 };
  const workerSample = await trainer.sample(request);
  const pageSample = await lm.sample(request);
  const workerBpc = (await trainer.evaluate()).bpc!;
  const pageBpc = await lm.evaluate(vocab.encode(BUILT_IN_TEXT.slice(cut)), 4);

  // The page's initial weights into the worker, by transfer, and back again.
  const sent: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(initial)) sent[k] = v.slice();
  await trainer.loadWeights(sent);
  const back = await trainer.weights();
  const roundTrip = Object.keys(initial).every((k) => back[k]!.length === initial[k]!.length && back[k]!.every((x, i) => x === initial[k]![i]));

  const errors = [
    await caught(trainer.loadWeights({ 'linear.weight': new Float32Array(2) })),
    // A failed start has dropped the previous model: nothing to resume.
    await caught(trainer.start({ ...settings, model: { layers: 0 } })),
    await caught(trainer.resume()),
  ];
  trainer.terminate();
  errors.push(await caught(trainer.weights()));
  const pageNames = lm.model.parameterNames();
  lm.dispose();
  engine.dispose();
  return {
    progress,
    result,
    weights: Object.entries(weights).map(([name, a]) => ({ name, length: a.length, float32: a instanceof Float32Array })),
    pageNames,
    workerSample,
    pageSample,
    workerBpc,
    pageBpc,
    sentLengths: Object.values(sent).map((a) => a.length),
    roundTrip,
    errors,
  };
}

main().then(
  (r) => (window.__workerReport = r),
  (e: unknown) => (window.__workerReport = { failed: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e) }),
);
