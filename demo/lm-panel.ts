/**
 * The training panel: a character-level language model (CharLm from the library) trained live on
 * the built-in text or the user's own, with a loss chart, throughput, validation bits per character,
 * and samples that refresh as it learns.
 */
import { CharLm, Vocab, type Engine, type RecurrentMode } from '../src/index.ts';
import { BUILT_IN_TEXT, BUILT_IN_TITLE } from './corpus.ts';
import type { DemoState } from './demo-state.ts';
import { LossChart } from './loss-chart.ts';

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
  lm: CharLm;
  vocab: Vocab;
  valid: Int32Array;
  /** what the model was built from: a change starts a new model */
  key: string;
}

export class LmPanel {
  private run: Run | undefined;
  private running = false;
  private starting = false;
  /** the last training loop stopped with an error (its message stays on screen) */
  private failed = false;
  private loop: Promise<void> | undefined;
  /** seconds of recent training steps, for characters per second */
  private recent: number[] = [];
  private trainSeconds = 0;
  private readonly chart: LossChart;
  private readonly el: ReturnType<typeof elements>;

  constructor(private readonly engine: Engine, private readonly state: DemoState) {
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
    if (this.running || this.starting) return;
    this.starting = true;
    try {
      // A pause lets the current step finish: never dispose or share a model that a step still uses.
      await this.idle();
      if (this.run && this.run.key !== this.settingsKey()) this.dropModel();
      this.run ??= this.build();
    } catch (e) {
      this.status(`Cannot start: ${(e as Error).message}`, true);
      return;
    } finally {
      this.starting = false;
    }
    const run = this.run;
    this.failed = false;
    this.setRunning(true);
    this.status(`Training a ${this.el.cell.selectedOptions[0]?.text ?? run.lm.settings.cell} with hidden size ${run.lm.settings.hidden} ` +
      `(batch ${BATCH} × ${BPTT} characters per step, Adam, learning rate ${LR}).`);
    this.loop = this.trainLoop(run).catch((e: unknown) => {
      console.error(e);
      this.failed = true;
      this.setRunning(false);
      this.status(`Training stopped: ${(e as Error).message}`, true);
      this.state.errors.push(String((e as Error).message));
    });
  }

  /** Stops after the current step. */
  async pause(): Promise<void> {
    if (!this.running) return;
    this.setRunning(false);
    await this.loop;
    if (!this.failed) this.status(`Paused at step ${this.state.steps}. Continue goes on; changing the text or settings starts a new model.`);
  }

  async reset(): Promise<void> {
    this.setRunning(false);
    await this.idle();
    this.dropModel();
    this.status('Reset. Start trains a new model.');
  }

  private build(): Run {
    const text = this.el.text.value.replace(/\r\n?/g, '\n');
    const need = Math.ceil((BATCH * (BPTT + 1)) / (1 - VALID_SHARE)) + BPTT + 2;
    if (text.length < need) throw new Error(`the text has ${text.length} characters; this model needs at least ${need}`);
    const cut = Math.floor(text.length * (1 - VALID_SHARE));
    // The vocabulary covers the whole text, so held-out characters are never unknown.
    const vocab = Vocab.fromText(text, { level: 'char' });
    const lm = new CharLm(this.engine, vocab, vocab.encode(text.slice(0, cut)), {
      cell: this.el.cell.value as RecurrentMode,
      hidden: Number(this.el.hidden.value),
      embedding: EMBEDDING,
      batch: BATCH,
      bptt: BPTT,
      lr: LR,
    });
    this.chart.clear();
    this.el.samples.replaceChildren();
    this.failed = false;
    Object.assign(this.state, { steps: 0, losses: [], validation: [], samples: [], charsPerSec: 0 });
    this.recent = [];
    this.trainSeconds = 0;
    this.renderStats();
    return { lm, vocab, valid: vocab.encode(text.slice(cut)), key: this.settingsKey() };
  }

  private async trainLoop(run: Run): Promise<void> {
    while (this.running && this.run === run) {
      const t0 = performance.now();
      const loss = await run.lm.trainStep();
      const dt = (performance.now() - t0) / 1000;
      this.trainSeconds += dt;
      this.recent.push(dt);
      if (this.recent.length > 20) this.recent.shift();
      const step = run.lm.position.step;
      this.state.steps = step;
      this.state.losses.push(loss);
      this.state.charsPerSec = (BATCH * BPTT * this.recent.length) / this.recent.reduce((a, b) => a + b, 0);
      this.chart.add(step, loss / Math.LN2);
      this.renderStats();
      if (step % VALID_EVERY === 0 || step === 1) {
        const bpc = await run.lm.evaluate(run.valid, VALID_WINDOWS);
        this.state.validation.push({ step, bpc });
        this.chart.setLatestValidation(bpc);
        this.renderStats();
      }
      if (step % SAMPLE_EVERY === 0 || step === 1) await this.addSample(run);
    }
  }

  /** A sample now (while paused), queued behind whatever the model is still doing. */
  private async sampleNow(): Promise<void> {
    if (this.running) return this.status(`A new sample comes every ${SAMPLE_EVERY} steps while training.`);
    const before = this.loop;
    // Chained onto `loop` at once, so Start, Reset and further samples wait for this one.
    this.loop = (async () => {
      await before;
      if (!this.run) return this.status('Start training first: there is no model yet.');
      await this.addSample(this.run);
    })().catch((e: unknown) => {
      this.status(`Sampling failed: ${(e as Error).message}`, true);
      this.state.errors.push(String((e as Error).message));
    });
    await this.loop;
  }

  /** Resolves once nothing uses the model: the last step after a pause, and samples queued meanwhile. */
  private async idle(): Promise<void> {
    let seen: Promise<void> | undefined;
    while (seen !== this.loop) {
      seen = this.loop;
      await seen;
    }
  }

  private async addSample(run: Run): Promise<void> {
    const prime = run.vocab.has('\n') ? '\n' : run.vocab.tokens[run.vocab.num_special]!;
    const temperature = this.temperature;
    const step = run.lm.position.step;
    // A different seed per sample: the same step sampled twice gives two different texts.
    const text = await run.lm.sample({ length: SAMPLE_LENGTH, prime, temperature, seed: step * 7919 + this.state.samples.length });
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

  private renderStats(): void {
    const s = this.state;
    const run = this.run;
    const last = s.losses.length ? s.losses[s.losses.length - 1]! / Math.LN2 : undefined;
    const valid = s.validation.length ? s.validation[s.validation.length - 1]!.bpc : undefined;
    this.el.step.textContent = String(s.steps);
    this.el.epoch.textContent = run ? `${run.lm.position.epoch} (${run.lm.windowsPerEpoch} steps each)` : '–';
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

  private dropModel(): void {
    this.run?.lm.dispose();
    this.run = undefined;
    this.setRunning(false);
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
  const q = <T extends HTMLElement>(id: string): T => {
    const e = document.getElementById(id);
    if (!e) throw new Error(`demo page is missing #${id}`);
    return e as T;
  };
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
