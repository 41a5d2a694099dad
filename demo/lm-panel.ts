/**
 * The training panel: a character-level language model (the library's CharLm job) trained live on the
 * built-in text or the user's own, with a loss chart, throughput, validation bits per character, and
 * samples that refresh as it learns. Training runs in a dedicated worker (lm-trainer.ts): this page
 * only sends commands and draws the progress it gets back, so its UI never waits for a training step.
 */
import type { CharLmJobInfo, CharLmJobSettings, TrainingProgress, TrainingWorker } from 'webrnn';
import { BUILT_IN_TEXT, BUILT_IN_TITLE } from './corpus.ts';
import type { DemoState } from './demo-state.ts';
import { LossChart } from './loss-chart.ts';
import { byId } from './dom.ts';

/**
 * Small by default so a step is quick even on a software adapter (SwiftShader): B streams of T
 * characters per step. Hidden size and cell are the user's choice.
 */
const BATCH = 16;
const BPTT = 32;
const EMBEDDING = 32;
const LR = 1e-2;
/** A sample every this many steps (and at step 1, to show where it starts). */
export const SAMPLE_EVERY = 20;
/** Validation bits per character every this many steps, on up to VALID_WINDOWS windows. */
const VALID_EVERY = 10;
const VALID_WINDOWS = 4;
const SAMPLE_LENGTH = 240;
/** Samples kept on screen. */
const SAMPLES_SHOWN = 6;
/** Held-out share of the text, for validation. */
const VALID_SHARE = 0.1;
const MAX_FILE_BYTES = 4 << 20;

interface Run {
  info: CharLmJobInfo;
  /** what the model was built from: a change starts a new model */
  key: string;
}

export class LmPanel {
  private run: Run | undefined;
  private running = false;
  /** a start, pause or reset is on its way to the worker */
  private busy = false;
  private trainSeconds = 0;
  /** counts new models: a sample asked of an earlier model is not shown with this one's */
  private generation = 0;
  private readonly chart: LossChart;
  private readonly el: ReturnType<typeof elements>;

  constructor(private readonly trainer: TrainingWorker<CharLmJobSettings, CharLmJobInfo>, private readonly state: DemoState) {
    this.el = elements();
    this.chart = new LossChart(this.el.chart);
    this.el.text.value = BUILT_IN_TEXT;
    this.el.source.textContent = `Built-in: ${BUILT_IN_TITLE}.`;
    this.describeText();
    this.el.text.addEventListener('input', () => {
      this.el.source.textContent = 'Your text (edited).';
      this.describeText();
      this.markStale();
    });
    this.el.file.addEventListener('change', () => void this.loadFile());
    this.el.builtin.addEventListener('click', () => {
      this.el.text.value = BUILT_IN_TEXT;
      this.el.source.textContent = `Built-in: ${BUILT_IN_TITLE}.`;
      this.describeText();
      this.markStale();
    });
    for (const s of [this.el.cell, this.el.hidden]) s.addEventListener('change', () => this.markStale());
    this.el.start.addEventListener('click', () => void this.start());
    this.el.pause.addEventListener('click', () => void this.pause());
    this.el.reset.addEventListener('click', () => void this.reset());
    this.el.temp.addEventListener('input', () => (this.el.tempValue.textContent = this.temperature.toFixed(2)));
    // While paused, a new temperature shows its effect at once.
    this.el.temp.addEventListener('change', () => {
      if (this.run && !this.running) void this.sampleNow();
    });
    this.el.sampleNow.addEventListener('click', () => void this.sampleNow());
    this.el.tempValue.textContent = this.temperature.toFixed(2);
    trainer.on('progress', (p) => this.progress(p));
    trainer.on('error', (e) => {
      console.error(e);
      this.status(`Training stopped: ${e.message}`, true);
      this.state.errors.push(e.message);
    });
    trainer.on('end', () => this.setRunning(false));
    this.setRunning(false);
  }

  private get temperature(): number {
    return Number(this.el.temp.value);
  }

  private settingsKey(): string {
    return JSON.stringify([this.el.cell.value, this.el.hidden.value, this.el.text.value]);
  }

  /** Starts (or resumes) training; a new model when the text or the settings changed. */
  async start(): Promise<void> {
    if (this.running || this.busy) return;
    this.busy = true;
    try {
      if (this.run && this.run.key === this.settingsKey()) {
        await this.trainer.resume({ evaluateEvery: VALID_EVERY });
      } else {
        const key = this.settingsKey();
        const text = this.el.text.value.replace(/\r\n?/g, '\n');
        const need = Math.ceil((BATCH * (BPTT + 1)) / (1 - VALID_SHARE)) + BPTT + 2;
        if (text.length < need) throw new Error(`the text has ${text.length} characters; this model needs at least ${need}`);
        this.clear();
        const info = (await this.trainer.start({
          text,
          validShare: VALID_SHARE,
          evaluateWindows: VALID_WINDOWS,
          model: { cell: this.el.cell.value as CharLmJobInfo['settings']['cell'], hidden: Number(this.el.hidden.value), embedding: EMBEDDING, batch: BATCH, bptt: BPTT, lr: LR },
        }, { evaluateEvery: VALID_EVERY }));
        this.run = { info, key };
      }
    } catch (e) {
      this.status(`Cannot start: ${(e as Error).message}`, true);
      return;
    } finally {
      this.busy = false;
    }
    this.setRunning(true);
    const where = this.state.trainer === 'worker' ? 'in a worker' : "on the page's main thread";
    this.status(`Training a ${this.el.cell.selectedOptions[0]?.text ?? this.run.info.settings.cell} with hidden size ${this.run.info.settings.hidden} ${where} ` +
      `(batch ${BATCH} × ${BPTT} characters per step, Adam, learning rate ${LR}).`);
  }

  /** Stops after the current step. */
  async pause(): Promise<void> {
    if (!this.running || this.busy) return;
    this.busy = true;
    try {
      const r = await this.trainer.stop();
      this.setRunning(false);
      if (r.reason !== 'error') this.status(`Paused at step ${r.step}. Continue goes on; changing the text or settings starts a new model.`);
    } finally {
      this.busy = false;
    }
  }

  async reset(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await this.trainer.reset();
    } finally {
      this.busy = false;
    }
    this.run = undefined;
    this.setRunning(false);
    this.status('Reset. Start trains a new model.');
  }

  /** A new model's empty chart, samples and counters. */
  private clear(): void {
    this.chart.clear();
    this.el.samples.replaceChildren();
    this.generation++;
    Object.assign(this.state, { steps: 0, losses: [], validation: [], samples: [], charsPerSec: 0 });
    this.trainSeconds = 0;
    this.run = undefined;
    this.renderStats();
  }

  private progress(p: TrainingProgress): void {
    this.trainSeconds = p.seconds;
    this.state.steps = p.step;
    this.state.losses.push(p.loss);
    this.state.charsPerSec = p.itemsPerSecond;
    this.chart.add(p.step, p.loss / Math.LN2);
    if (p.metrics?.bpc !== undefined) {
      this.state.validation.push({ step: p.step, bpc: p.metrics.bpc });
      this.chart.setLatestValidation(p.metrics.bpc);
    }
    this.renderStats(p.epoch);
    if (p.step % SAMPLE_EVERY === 0 || p.step === 1) void this.addSample(p.step).catch((e: unknown) => this.sampleFailed(e));
  }

  /** A sample now (while paused). */
  private async sampleNow(): Promise<void> {
    if (this.running) return this.status(`A new sample comes every ${SAMPLE_EVERY} steps while training.`);
    if (!this.run) return this.status('Start training first: there is no model yet.');
    await this.addSample(this.state.steps).catch((e: unknown) => this.sampleFailed(e));
  }

  private sampleFailed(e: unknown): void {
    this.status(`Sampling failed: ${(e as Error).message}`, true);
    this.state.errors.push(String((e as Error).message));
  }

  /** Asks the worker for a sample; it is drawn between two training steps. */
  private async addSample(step: number): Promise<void> {
    const temperature = this.temperature;
    const generation = this.generation;
    // A different seed per sample: the same step sampled twice gives two different texts.
    const text = await this.trainer.sample({ length: SAMPLE_LENGTH, temperature, seed: step * 7919 + this.state.samples.length });
    if (generation !== this.generation) return;
    this.state.samples.push({ step, temperature, text });
    const li = document.createElement('li');
    li.className = 'sample';
    const head = document.createElement('div');
    head.className = 'sample-head';
    head.textContent = `step ${step} · temperature ${temperature.toFixed(2)}`;
    const body = document.createElement('pre');
    body.textContent = text.trim();
    li.append(head, body);
    this.el.samples.prepend(li);
    while (this.el.samples.children.length > SAMPLES_SHOWN) this.el.samples.lastElementChild!.remove();
  }

  private renderStats(epoch?: number): void {
    const s = this.state;
    const run = this.run;
    const last = s.losses.length ? s.losses[s.losses.length - 1]! / Math.LN2 : undefined;
    const valid = s.validation.length ? s.validation[s.validation.length - 1]!.bpc : undefined;
    this.el.step.textContent = String(s.steps);
    if (!run || epoch !== undefined) this.el.epoch.textContent = run ? `${epoch} (${run.info.windowsPerEpoch} steps each)` : '–';
    this.el.loss.textContent = last === undefined ? '–' : `${last.toFixed(3)} bits/char`;
    this.el.valid.textContent = valid === undefined ? '–' : `${valid.toFixed(3)} bits/char`;
    this.el.speed.textContent = s.charsPerSec ? `${Math.round(s.charsPerSec).toLocaleString('en')} chars/s` : '–';
    this.el.time.textContent = `${this.trainSeconds.toFixed(1)} s`;
  }

  private setRunning(on: boolean): void {
    this.running = on;
    this.state.running = on;
    this.el.start.disabled = on;
    this.el.pause.disabled = !on;
    for (const x of [this.el.cell, this.el.hidden, this.el.text, this.el.file, this.el.builtin]) x.disabled = on;
    this.el.start.textContent = this.run && !on && this.run.key === this.settingsKey() ? 'Continue' : 'Start';
  }

  private markStale(): void {
    if (this.run && this.run.key !== this.settingsKey()) this.el.start.textContent = 'Start (new model)';
    else this.setRunning(this.running);
  }

  private async loadFile(): Promise<void> {
    const f = this.el.file.files?.[0];
    if (!f) return;
    if (f.size > MAX_FILE_BYTES) return this.status(`${f.name} is ${(f.size / 1e6).toFixed(1)} MB; this demo takes files up to ${MAX_FILE_BYTES >> 20} MB.`, true);
    this.el.text.value = await f.text();
    this.el.source.textContent = `Your file: ${f.name}.`;
    this.describeText();
    this.markStale();
  }

  private describeText(): void {
    const t = this.el.text.value;
    this.el.textInfo.textContent = `${t.length.toLocaleString('en')} characters, ${new Set(t).size} distinct`;
  }

  private status(msg: string, error = false): void {
    this.el.status.textContent = msg;
    this.el.status.classList.toggle('error', error);
  }
}

function elements() {
  const q = byId;
  return {
    text: q<HTMLTextAreaElement>('lm-text'),
    textInfo: q('lm-text-info'),
    source: q('lm-source'),
    file: q<HTMLInputElement>('lm-file'),
    builtin: q<HTMLButtonElement>('lm-builtin'),
    cell: q<HTMLSelectElement>('lm-cell'),
    hidden: q<HTMLSelectElement>('lm-hidden'),
    start: q<HTMLButtonElement>('lm-start'),
    pause: q<HTMLButtonElement>('lm-pause'),
    reset: q<HTMLButtonElement>('lm-reset'),
    status: q('lm-status'),
    step: q('lm-step'),
    epoch: q('lm-epoch'),
    loss: q('lm-loss'),
    valid: q('lm-valid'),
    speed: q('lm-speed'),
    time: q('lm-time'),
    chart: q('lm-chart'),
    temp: q<HTMLInputElement>('lm-temp'),
    tempValue: q('lm-temp-value'),
    sampleNow: q<HTMLButtonElement>('lm-sample-now'),
    samples: q<HTMLOListElement>('lm-samples'),
  };
}
