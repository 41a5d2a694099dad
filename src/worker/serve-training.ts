/**
 * The worker side of a training worker: answers the commands of a {@link TrainingWorker} by running a
 * {@link TrainingJob} on this thread's own engine.
 */
import { WebRnnError } from '../errors.js';
import { createEngine, type Engine } from '../gpu/engine.js';
import { buffersOf, errorData, isMessage, PROTOCOL, type Command, type MessageEndpoint, type Reply } from './protocol.js';
import type { RunOptions, TrainingJob, TrainingProgress, TrainingResult, TrainingRun } from './training-job.js';

export interface ServeOptions {
  /** where commands come from (default: the worker's global scope, `self`) */
  endpoint?: MessageEndpoint;
  /** the engine to train on, or how to make it (default: `createEngine()` at the first start) */
  engine?: Engine | (() => Promise<Engine>);
}

/** Steps over which throughput is averaged. */
const RECENT = 20;

/**
 * Serves training commands on this thread: call it once in a dedicated worker module. The worker
 * creates its own engine (WebGPU works in dedicated workers) at the first `start`, builds runs with
 * `job`, and trains between commands; samples, evaluations and weight transfers wait for the current
 * step, never interleave with it.
 *
 * On the page's main thread (for comparison, or where workers are unavailable) serve one end of a
 * `MessageChannel` and give the other to {@link TrainingWorker}: the same code, without the worker.
 *
 * @example
 * // lm-worker.ts (imports charLmJob and serveTraining from 'webrnn'), started by the page with
 * // new Worker(new URL('./lm-worker.ts', import.meta.url), { type: 'module' }):
 * serveTraining(charLmJob);
 *
 * @example
 * // the same job on the main thread
 * const channel = new MessageChannel();
 * serveTraining(charLmJob, { endpoint: channel.port1, engine });
 * const trainer = new TrainingWorker<CharLmJobSettings>(channel.port2);
 */
export function serveTraining<S>(job: TrainingJob<S>, opts: ServeOptions = {}): void {
  const endpoint = opts.endpoint ?? (globalThis as unknown as MessageEndpoint);
  if (typeof endpoint?.postMessage !== 'function' || typeof endpoint.addEventListener !== 'function') {
    throw new WebRnnError('BAD_CONFIG', 'serveTraining: no endpoint to serve (call it in a dedicated worker, or pass { endpoint: port })');
  }
  new TrainingServer(job, endpoint, opts.engine).listen();
}

interface RunPlan {
  steps: number;
  every: number;
}

function runPlan(options: RunOptions | undefined): RunPlan {
  if (options === null || typeof options !== 'object') throw new WebRnnError('BAD_CONFIG', `run options must be an object, got ${String(options)}`);
  for (const k of Object.keys(options)) if (k !== 'steps' && k !== 'evaluateEvery') throw new WebRnnError('BAD_CONFIG', `unknown run option "${k}" (known: steps, evaluateEvery)`);
  const steps = options.steps ?? Infinity;
  const every = options.evaluateEvery ?? 0;
  if (!(steps === Infinity || (Number.isInteger(steps) && steps >= 1))) throw new WebRnnError('BAD_CONFIG', `steps must be an integer ≥ 1, got ${String(steps)}`);
  if (!(Number.isInteger(every) && every >= 0)) throw new WebRnnError('BAD_CONFIG', `evaluateEvery must be an integer ≥ 0, got ${String(every)}`);
  return { steps, every };
}

class TrainingServer<S> {
  private engine: Promise<Engine> | undefined;
  private run: TrainingRun | undefined;
  /** the training loop while one runs; its promise ends with the run's result */
  private loop: Promise<TrainingResult> | undefined;
  private training = false;
  /** a start is building its model */
  private starting = false;
  /** everything that touches the model, one after the other */
  private queue: Promise<unknown> = Promise.resolve();
  private step = 0;
  private epoch: number | undefined;
  private seconds = 0;
  private loss = NaN;
  private metrics: Record<string, number> | undefined;
  private recent: { seconds: number; items: number }[] = [];

  constructor(
    private readonly job: TrainingJob<S>,
    private readonly endpoint: MessageEndpoint,
    private readonly engineSource: Engine | (() => Promise<Engine>) | undefined,
  ) {}

  listen(): void {
    this.endpoint.addEventListener('message', (e) => {
      if (isMessage<Command>(e.data)) void this.answer(e.data);
    });
    this.endpoint.start?.();
  }

  private post(reply: Reply, transfer: ArrayBuffer[] = []): void {
    this.endpoint.postMessage(reply, transfer);
  }

  private async answer(c: Command): Promise<void> {
    try {
      const [value, transfer] = await this.handle(c);
      this.post({ webrnn: PROTOCOL, type: 'reply', id: c.id, value }, transfer);
    } catch (e) {
      this.post({ webrnn: PROTOCOL, type: 'failed', id: c.id, error: errorData(e) });
    }
  }

  private async handle(c: Command): Promise<[unknown, ArrayBuffer[]?]> {
    switch (c.type) {
      case 'start': {
        this.idleOrThrow('start');
        const plan = runPlan(c.options);
        this.starting = true;
        try {
          const engine = await this.getEngine();
          await this.exclusive(async () => {
            this.dropRun();
            this.run = await this.job.create(engine, c.settings as S);
            Object.assign(this, { step: 0, epoch: undefined, seconds: 0, loss: NaN, metrics: undefined, recent: [] });
          });
          this.begin(plan);
        } finally {
          this.starting = false;
        }
        return [this.run!.info ?? {}];
      }
      case 'resume':
        this.idleOrThrow('resume');
        this.current('resume');
        this.begin(runPlan(c.options));
        return [undefined];
      case 'stop':
        this.settledOrThrow('stop');
        this.training = false;
        return [this.loop ? await this.loop : this.result('stopped')];
      case 'reset':
        this.settledOrThrow('reset');
        this.training = false;
        await this.loop;
        this.loop = undefined;
        await this.exclusive(async () => this.dropRun());
        return [undefined];
      case 'sample': {
        const run = this.current('sample');
        if (!run.sample) throw new WebRnnError('BAD_STATE', 'this training job does not sample');
        return [await this.exclusive(() => run.sample!(c.options))];
      }
      case 'evaluate': {
        const run = this.current('evaluate');
        if (!run.evaluate) throw new WebRnnError('BAD_STATE', 'this training job does not evaluate');
        return [await this.exclusive(() => run.evaluate!())];
      }
      case 'weights': {
        const run = this.current('weights');
        const weights = await this.exclusive(() => run.model.stateDict());
        return [weights, buffersOf(weights)];
      }
      case 'load': {
        const run = this.current('loadWeights');
        await this.exclusive(async () => run.model.loadStateDict(c.weights));
        return [undefined];
      }
      default:
        throw new WebRnnError('BAD_VALUE', `unknown training command "${(c as { type: string }).type}"`);
    }
  }

  private begin({ steps, every }: RunPlan): void {
    this.training = true;
    this.loop = this.train(this.run!, steps, every);
  }

  private async train(run: TrainingRun, steps: number, every: number): Promise<TrainingResult> {
    let error: unknown;
    try {
      for (let k = 0; k < steps && this.training; k++) {
        const progress = await this.exclusive(async () => {
          const t0 = performance.now();
          const r = await run.step();
          const dt = (performance.now() - t0) / 1000;
          this.step++;
          this.seconds += dt;
          this.loss = r.loss;
          this.epoch = r.epoch;
          this.recent.push({ seconds: dt, items: r.items });
          if (this.recent.length > RECENT) this.recent.shift();
          const p: TrainingProgress = { step: this.step, loss: r.loss, seconds: this.seconds, itemsPerSecond: this.throughput() };
          if (r.epoch !== undefined) p.epoch = r.epoch;
          if (run.evaluate && every > 0 && (this.step % every === 0 || this.step === 1)) p.metrics = this.metrics = await run.evaluate();
          return p;
        });
        this.post({ webrnn: PROTOCOL, type: 'progress', progress });
      }
      // A final evaluation, unless the last step just made one.
      if (run.evaluate && every > 0 && this.step % every !== 0) this.metrics = await this.exclusive(() => run.evaluate!());
    } catch (e) {
      error = e;
    }
    const reason = error !== undefined ? 'error' : this.training ? 'steps' : 'stopped';
    this.training = false;
    const result = this.result(reason);
    this.post({ webrnn: PROTOCOL, type: 'end', result, ...(error !== undefined ? { error: errorData(error) } : {}) });
    return result;
  }

  private result(reason: TrainingResult['reason']): TrainingResult {
    const r: TrainingResult = { reason, step: this.step, loss: this.loss, seconds: this.seconds };
    if (this.epoch !== undefined) r.epoch = this.epoch;
    if (this.metrics) r.metrics = this.metrics;
    return r;
  }

  private throughput(): number {
    const s = this.recent.reduce((a, r) => a + r.seconds, 0);
    return s > 0 ? this.recent.reduce((a, r) => a + r.items, 0) / s : 0;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private getEngine(): Promise<Engine> {
    const src = this.engineSource;
    this.engine ??= src === undefined ? createEngine() : typeof src === 'function' ? src() : Promise.resolve(src);
    // A failed start (no adapter) may be retried.
    this.engine.catch(() => (this.engine = undefined));
    return this.engine;
  }

  private idleOrThrow(what: string): void {
    if (this.training || this.starting) throw new WebRnnError('BAD_STATE', `cannot ${what}: the worker is training (stop() first)`);
  }

  /** stop and reset act on a run that exists: a start still building its model has none yet. */
  private settledOrThrow(what: string): void {
    if (this.starting) throw new WebRnnError('BAD_STATE', `cannot ${what}: a start is building its model (wait for start() to resolve)`);
  }

  private current(what: string): TrainingRun {
    if (!this.run) throw new WebRnnError('BAD_STATE', `cannot ${what}: no model (start() first)`);
    return this.run;
  }

  private dropRun(): void {
    this.run?.dispose();
    this.run = undefined;
  }
}
