/**
 * The page side of a training worker: commands out, progress and results back.
 */
import { WebRnnError } from '../errors.js';
import { buffersOf, errorFrom, isMessage, PROTOCOL, type CommandBody, type MessageEndpoint, type Reply } from './protocol.js';
import type { RunOptions, SampleRequest, TrainingProgress, TrainingResult } from './training-job.js';

/** The events of a {@link TrainingWorker}, by name. */
export interface TrainingEvents {
  /** after every optimizer step */
  progress: TrainingProgress;
  /** a run ended: stop(), its step count reached, or an error (which `error` also reports) */
  end: TrainingResult;
  /** the training loop failed (a WebRnnError keeps its code), or the worker itself did */
  error: Error;
}

/** A Worker or MessagePort as the page holds it: an endpoint that may also report errors and close. */
export type TrainerEndpoint = MessageEndpoint & {
  addEventListener(type: 'error' | 'messageerror', listener: (event: unknown) => void): void;
  terminate?(): void;
  close?(): void;
};

type Pending = { resolve: (value: unknown) => void; reject: (e: Error) => void };

/**
 * Drives a training job in a dedicated worker (served there by {@link serveTraining}) so the page's
 * main thread stays free for the UI. Only job commands and results cross: settings to `start`,
 * progress after every step, samples and metrics on request, and weights as a state_dict
 * (PyTorch names → Float32Array) whose buffers are transferred, not copied.
 *
 * Commands are answered in order; `sample`, `evaluate`, `weights` and `loadWeights` run between two
 * training steps. A failed command rejects with the worker's error — a {@link WebRnnError} keeps its
 * code.
 *
 * @example
 * const trainer = new TrainingWorker<CharLmJobSettings, CharLmJobInfo>(new Worker(new URL('./lm-worker.ts', import.meta.url), { type: 'module' }));
 * trainer.on('progress', (p) => console.log(p.step, p.loss));
 * trainer.on('error', (e) => console.error(e.message));
 * const info = await trainer.start({ text, model: { hidden: 128 } }, { evaluateEvery: 20 });
 * const poem = await trainer.sample({ length: 200, temperature: 0.7 }); // while it trains
 * const result = await trainer.stop();           // after the current step: { step, loss, metrics }
 * const weights = await trainer.weights();       // transferred: the worker keeps its own copy on the GPU
 * model.loadStateDict(weights);                  // a SequenceModel of the same config on the page: same names
 * trainer.terminate();
 */
export class TrainingWorker<S = unknown, Info = Record<string, unknown>> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners: { [K in keyof TrainingEvents]: Set<(e: TrainingEvents[K]) => void> } = { progress: new Set(), end: new Set(), error: new Set() };
  private closed = false;

  constructor(private readonly endpoint: TrainerEndpoint) {
    if (typeof endpoint?.postMessage !== 'function' || typeof endpoint.addEventListener !== 'function') {
      throw new WebRnnError('BAD_CONFIG', 'TrainingWorker needs a Worker or a MessagePort');
    }
    endpoint.addEventListener('message', (e) => {
      if (isMessage<Reply>(e.data)) this.receive(e.data);
    });
    // A worker whose module fails to load, or throws outside a command, reports here.
    endpoint.addEventListener('error', (e) => this.fail(new Error(`training worker failed: ${(e as { message?: string }).message || 'its script did not load or threw'}`)));
    endpoint.addEventListener('messageerror', () => this.fail(new Error('training worker: a message could not be deserialized')));
    endpoint.start?.();
  }

  /**
   * Builds a new model from `settings` in the worker (dropping any previous one) and starts training
   * it. Resolves once training has begun, with the job's facts about the run (its TrainingRun.info,
   * e.g. CharLmJobInfo). A start that fails (bad settings) has still dropped the previous model.
   */
  start(settings: S, options: RunOptions = {}): Promise<Info> {
    return this.call({ type: 'start', settings, options }) as Promise<Info>;
  }

  /** Continues training the current model (after stop() or a finished run). */
  async resume(options: RunOptions = {}): Promise<void> {
    await this.call({ type: 'resume', options });
  }

  /**
   * Stops after the current step; resolves with where the run stands (its last result when idle).
   * Rejects with BAD_STATE while a start() is still building its model: await the start first.
   */
  stop(): Promise<TrainingResult> {
    return this.call({ type: 'stop' }) as Promise<TrainingResult>;
  }

  /** Stops and frees the model (the worker and its engine stay, ready for the next start); not during a start(). */
  async reset(): Promise<void> {
    await this.call({ type: 'reset' });
  }

  /** Generated text from the current model (between steps while training). */
  sample(request: SampleRequest): Promise<string> {
    return this.call({ type: 'sample', options: request }) as Promise<string>;
  }

  /** The job's held-out metrics for the current model (e.g. `{ bpc }`). */
  evaluate(): Promise<Record<string, number>> {
    return this.call({ type: 'evaluate' }) as Promise<Record<string, number>>;
  }

  /** The current model's parameters by PyTorch name; their buffers are transferred to this side. */
  weights(): Promise<Record<string, Float32Array>> {
    return this.call({ type: 'weights' }) as Promise<Record<string, Float32Array>>;
  }

  /**
   * Replaces the current model's parameters (every one, exact sizes, checked before anything is
   * loaded). The arrays' buffers are transferred: they are detached (empty) here afterwards — pass
   * copies to keep them.
   */
  async loadWeights(weights: Record<string, Float32Array>): Promise<void> {
    if (weights === null || typeof weights !== 'object') throw new WebRnnError('BAD_VALUE', `loadWeights: expected an object of Float32Array by name, got ${String(weights)}`);
    for (const [k, v] of Object.entries(weights)) if (!(v instanceof Float32Array)) throw new WebRnnError('BAD_VALUE', `loadWeights: ${k} is not a Float32Array`);
    await this.call({ type: 'load', weights }, buffersOf(weights));
  }

  /** Listens to an event; returns the function that stops listening. */
  on<K extends keyof TrainingEvents>(type: K, listener: (event: TrainingEvents[K]) => void): () => void {
    const set = this.listeners[type] as Set<(e: TrainingEvents[K]) => void>;
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Ends the worker at once (the GPU memory it held goes with it); pending commands reject with DISPOSED. */
  terminate(): void {
    if (this.closed) return;
    this.closed = true;
    this.endpoint.terminate?.();
    this.endpoint.close?.();
    this.rejectAll(new WebRnnError('DISPOSED', 'the training worker was terminated'));
  }

  private call(command: CommandBody, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.closed) return Promise.reject(new WebRnnError('DISPOSED', 'the training worker was terminated'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        this.endpoint.postMessage({ ...command, webrnn: PROTOCOL, id }, transfer);
      } catch (e) {
        this.pending.delete(id);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  private receive(m: Reply): void {
    switch (m.type) {
      case 'reply':
      case 'failed': {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.type === 'reply') p.resolve(m.value);
        else p.reject(errorFrom(m.error));
        return;
      }
      case 'progress':
        return this.emit('progress', m.progress);
      case 'end':
        if (m.error) this.emit('error', errorFrom(m.error));
        return this.emit('end', m.result);
    }
  }

  private emit<K extends keyof TrainingEvents>(type: K, event: TrainingEvents[K]): void {
    for (const l of this.listeners[type] as Set<(e: TrainingEvents[K]) => void>) l(event);
  }

  private fail(e: Error): void {
    this.emit('error', e);
    this.rejectAll(e);
  }

  private rejectAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}
