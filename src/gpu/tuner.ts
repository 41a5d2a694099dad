import { WebRnnError } from '../errors.js';
import type { Engine } from './engine.js';
import type { Program } from './program.js';
import { type KernelChoices, type KernelVariants, type TuningMode } from './kernel-variants.js';

/**
 * Bound on the time one engine spends measuring variants (wall clock, summed over every shape class):
 * TUNING_BUDGET_MS plus TUNING_SHARE of the engine's age. No measurement starts beyond it, so a short job
 * tunes for about 1 s at most and a long one (training for minutes) keeps tuning what it meets, at a
 * twentieth of its time; a class met while the bound is spent keeps today's choice until it is met
 * again under the bound. A measurement that has started is finished, so the total can pass the bound by
 * one class (CLASS_BUDGET_MS plus one warm-up and one timed run per variant).
 */
export const TUNING_BUDGET_MS = 1000;
/** The share of the engine's age added to the bound (see TUNING_BUDGET_MS). */
export const TUNING_SHARE = 0.05;
/** After this long on one class, no more repetitions are timed (each variant gets at least one). */
const CLASS_BUDGET_MS = 150;
/** Timed repetitions per variant (after one untimed warm-up run); the fastest one counts. */
const REPS = 3;
/**
 * A timed repetition runs the programs this many times over (at most 16) in one submission: GPU
 * timestamps may be quantised (Dawn rounds them to 2¹⁶ ns on lavapipe), so short work is repeated.
 */
const MIN_TIMED_MS = 2;
/** Another variant replaces today's choice only when it is faster by more than this fraction (timing noise). */
const MARGIN = 0.1;

/** One variant ready to time: the programs to run, built on scratch buffers, and how to free them. */
export interface Candidate {
  programs: Program[];
  /** false once something it reads is gone (its layer was disposed): timing stops */
  alive?: () => boolean;
  dispose(): void;
}

/** What the tuner measured for one (kernel, shape class). */
export interface TuningRecord {
  /** the kernel entry point with variants, e.g. 'matmul' */
  kernel: string;
  /** the shape class measured, e.g. 'A·Bᵀ 1024x512x64' (matmul) or 'H128 B16 D1' (step kernels) */
  shapeClass: string;
  /** best time per variant, ms */
  ms: Record<string, number>;
  /** the variant kept: the fastest, or today's when no other is faster by more than 10% */
  chosen: string;
  /** tuning time the engine had spent when this measurement started (always under the bound then), ms */
  startedMs: number;
  /** wall-clock time this measurement took, ms */
  tookMs: number;
}

/** How much tuning an engine did, and what it chose. */
export interface TuningReport {
  /** the engine's `tuning` option */
  mode: TuningMode;
  /** 'timestamp-query' (GPU timestamps around the work, plus the host's time to encode and submit it) or 'queue completion' (wall clock to onSubmittedWorkDone) */
  method: 'timestamp-query' | 'queue completion';
  /** wall-clock time spent measuring so far, ms */
  ms: number;
  /** the bound on `ms` now: 1 s plus 5% of the engine's age; no measurement starts once it is spent */
  budgetMs: number;
  /** every (kernel, shape class) measured so far, in order */
  measured: TuningRecord[];
  /** shape classes left at today's choice (for now) because the bound was spent */
  skipped: number;
  /** why restored kernelChoices were not used (another adapter), if they were not */
  ignored?: string;
}

/** A variant choice that recorded programs read each time they are encoded (so a later measurement needs no re-recording). */
export class ChoiceCell {
  constructor(
    public value: string,
    /** true while a measurement may still change value */
    public pending: boolean,
  ) {}
}

/**
 * Picks kernel variants per (kernel, shape class) for one engine: a variant forced by name, else a
 * restored or measured choice, else — with tuning 'auto' — today's choice while the variants are timed
 * in the background, one class at a time, within {@link TUNING_BUDGET_MS}; the winner then replaces it.
 */
export class KernelTuner {
  private readonly cells = new Map<string, ChoiceCell>();
  private readonly records: TuningRecord[] = [];
  private readonly restored = new Map<string, string>();
  private queue: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private spent = 0;
  private skipped = 0;
  private readonly ignored: string | undefined;
  private querySet: GPUQuerySet | undefined;
  private building = false;
  private readonly skippedCells = new Set<ChoiceCell>();
  private readonly created = performance.now();

  constructor(
    private readonly engine: Engine,
    readonly mode: TuningMode,
    private forced: KernelVariants,
    choices?: KernelChoices,
  ) {
    if (choices && choices.adapter !== engine.adapterName) {
      this.ignored = `kernelChoices were measured on "${choices.adapter}", this engine runs on "${engine.adapterName}": not used`;
    } else if (choices) {
      for (const [k, classes] of Object.entries(choices.choices)) for (const [cls, v] of Object.entries(classes)) this.restored.set(`${k}|${cls}`, v);
    }
  }

  /**
   * The cell that programs recorded for (kernel, shapeClass) read: the forced variant; else a restored
   * or measured one; else `fallback` (today's choice), and with tuning 'auto' and `candidates` given, a
   * measurement of them is queued and the cell takes the fastest when it ends.
   */
  /** The variant of `kernel` forced by name (createEngine's `kernels`, or withForced), if any. */
  forcedVariant(kernel: string): string | undefined {
    return (this.forced as Record<string, string>)[kernel];
  }

  cell(kernel: string, shapeClass: string, fallback: string, candidates?: () => Record<string, Candidate>): ChoiceCell {
    const forced = (this.forced as Record<string, string>)[kernel];
    if (forced) return new ChoiceCell(forced, false);
    if (this.mode === 'off') return new ChoiceCell(fallback, false);
    const key = `${kernel}|${shapeClass}`;
    let c = this.cells.get(key);
    if (c && this.skippedCells.has(c) && candidates && this.spent < this.budget) {
      // met again now that the bound has grown: measure it after all
      this.skippedCells.delete(c);
      this.skipped--;
      c.pending = true;
      this.enqueue(kernel, shapeClass, c, candidates);
    }
    if (c) return c;
    // scratch programs built to time another kernel do not start measurements of their own
    if (this.building) return new ChoiceCell(this.restored.get(key) ?? fallback, false);
    const restored = this.restored.get(key);
    if (restored) c = new ChoiceCell(restored, false);
    else if (!candidates) c = new ChoiceCell(fallback, false);
    else if (this.spent >= this.budget) {
      this.skipped++;
      c = new ChoiceCell(fallback, false);
      this.skippedCells.add(c);
    } else {
      c = new ChoiceCell(fallback, true);
      this.enqueue(kernel, shapeClass, c, candidates);
    }
    this.cells.set(key, c);
    return c;
  }

  /**
   * Runs `fn` with `kernels` forced on top of the engine's own forced variants (the test harness runs
   * the same cases under each forced variant this way); programs recorded meanwhile keep their variant.
   */
  async withForced<T>(kernels: KernelVariants, fn: () => Promise<T>): Promise<T> {
    const before = this.forced;
    this.forced = { ...before, ...kernels };
    try {
      return await fn();
    } finally {
      this.forced = before;
    }
  }

  /** The bound on the tuning time now (see TUNING_BUDGET_MS). */
  get budget(): number {
    return TUNING_BUDGET_MS + TUNING_SHARE * (performance.now() - this.created);
  }

  /** Resolves once no measurement is queued or running. */
  async settled(): Promise<void> {
    while (this.inFlight > 0) await this.queue;
  }

  /** The choices made so far (measured or restored), keyed by adapter: see {@link KernelChoices}. */
  choices(): KernelChoices {
    const choices: KernelChoices['choices'] = {};
    for (const [key, c] of this.cells) {
      if (c.pending) continue;
      const [k, cls] = key.split('|');
      const measured = this.records.some((r) => r.kernel === k && r.shapeClass === cls) || this.restored.has(key);
      if (measured) (choices[k] ??= {})[cls] = c.value;
    }
    return { adapter: this.engine.adapterName, choices };
  }

  report(): TuningReport {
    return {
      mode: this.mode,
      method: this.timestamps ? 'timestamp-query' : 'queue completion',
      ms: this.spent,
      budgetMs: Math.round(this.budget),
      measured: this.records.map((r) => ({ ...r, ms: { ...r.ms } })),
      skipped: this.skipped,
      ...(this.ignored ? { ignored: this.ignored } : {}),
    };
  }

  private get timestamps(): boolean {
    return this.engine.device.features.has('timestamp-query');
  }

  private enqueue(kernel: string, shapeClass: string, cell: ChoiceCell, candidates: () => Record<string, Candidate>): void {
    this.inFlight++;
    this.queue = this.queue.then(async () => {
      const t0 = performance.now();
      const startedMs = this.spent;
      try {
        if (this.spent >= this.budget) {
          this.skipped++;
          this.skippedCells.add(cell);
          return;
        }
        let built: Record<string, Candidate>;
        this.building = true;
        this.engine.buildingScratch = true;
        try {
          built = candidates();
        } finally {
          this.building = false;
          this.engine.buildingScratch = false;
        }
        const ms = await this.measure(built);
        if (!ms) return;
        // today's choice stays unless another variant is faster by more than the noise margin
        let chosen = cell.value;
        for (const [name, t] of Object.entries(ms)) if (t < (ms[chosen] ?? Infinity) * (chosen === cell.value ? 1 - MARGIN : 1)) chosen = name;
        this.records.push({ kernel, shapeClass, ms, chosen, startedMs, tookMs: performance.now() - t0 });
        cell.value = chosen;
      } catch (e) {
        // A measurement that cannot run (device lost, engine disposed, a limit) leaves today's choice.
        if (!(e instanceof WebRnnError)) throw e;
      } finally {
        cell.pending = false;
        this.spent += performance.now() - t0;
        this.inFlight--;
      }
    });
    // an unexpected failure must not break later measurements or reach the caller as an unhandled rejection
    this.queue = this.queue.catch(() => undefined);
  }

  /** Best time of each candidate, or undefined when one stopped being runnable. */
  private async measure(cands: Record<string, Candidate>): Promise<Record<string, number> | undefined> {
    const t0 = performance.now();
    const best: Record<string, number> = {};
    const alive = () => Object.values(cands).every((c) => c.alive?.() ?? true);
    try {
      const times: Record<string, number> = {};
      for (let rep = 0; rep <= REPS; rep++) {
        if (rep > 1 && performance.now() - t0 > CLASS_BUDGET_MS) break;
        for (const [name, c] of Object.entries(cands)) {
          const t = await this.time(c.programs, rep === 0 ? 1 : times[name], alive);
          if (t === undefined) return undefined;
          // the warm-up run (pipelines, first-touch memory) sets the repetitions per timed run
          if (rep === 0) times[name] = Math.min(16, Math.max(1, Math.ceil(MIN_TIMED_MS / Math.max(t, 0.05))));
          else best[name] = Math.min(best[name] ?? Infinity, t / times[name]);
        }
      }
      return best;
    } finally {
      for (const c of Object.values(cands)) c.dispose();
    }
  }

  /**
   * Runs the programs `repeat` times in one submission and returns how long a call takes, ms: the host's
   * encoding and submission plus the GPU's time (timestamps), or the wall clock from encoding to queue
   * completion; undefined when what they read went away meanwhile (`alive`).
   */
  private async time(programs: Program[], repeat: number, alive: () => boolean): Promise<number | undefined> {
    const device = this.engine.device;
    // what was queued before (other work) must not count
    await device.queue.onSubmittedWorkDone();
    this.engine.checkAlive();
    if (!alive()) return undefined;
    if (!this.timestamps) {
      const t0 = performance.now();
      for (let i = 0; i < repeat; i++) this.engine.run(...programs);
      await device.queue.onSubmittedWorkDone();
      return performance.now() - t0;
    }
    this.querySet ??= device.createQuerySet({ label: 'webrnn:tuner', type: 'timestamp', count: 2 });
    const resolved = device.createBuffer({ label: 'webrnn:tuner:resolved', size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const read = device.createBuffer({ label: 'webrnn:tuner:read', size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    // A real call pays the host's encoding and submission before the GPU starts (a per-step schedule
    // encodes a dispatch per step, a persistent one a few): the timestamps do not see it, so it is
    // timed on the host and added, as queue completion includes it. On lavapipe an S1 LSTM forward and
    // BPTT takes the host 1.4 ms to encode and submit per step against 0.35 ms persistent (the fastest
    // of 10 calls; 7 ms against 3.6 ms in the median at a load average of 20), which GPU time alone
    // left out of the comparison.
    const hostStart = performance.now();
    const enc = device.createCommandEncoder({ label: 'webrnn:tuner' });
    // empty passes that write the timestamps before and after the programs' passes
    enc.beginComputePass({ timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 0 } }).end();
    for (let i = 0; i < repeat; i++) for (const p of programs) p.encode(enc);
    enc.beginComputePass({ timestampWrites: { querySet: this.querySet, endOfPassWriteIndex: 1 } }).end();
    enc.resolveQuerySet(this.querySet, 0, 2, resolved, 0);
    enc.copyBufferToBuffer(resolved, 0, read, 0, 16);
    device.queue.submit([enc.finish()]);
    const hostMs = performance.now() - hostStart;
    const mapping = read.mapAsync(GPUMapMode.READ);
    try {
      await mapping;
      const [a, b] = new BigUint64Array(read.getMappedRange().slice(0));
      return hostMs + (b > a ? Number(b - a) / 1e6 : 0);
    } finally {
      resolved.destroy();
      // never destroy a buffer whose map is still pending (Dawn's Node binding crashes): see Engine.readBuffer
      mapping.then(() => read.destroy(), () => read.destroy());
    }
  }
}
