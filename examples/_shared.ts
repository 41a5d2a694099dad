// What the Node examples share: option parsing with --help, the options every training example takes,
// main() around an engine, the training loop, and a progress bar on stderr (the one `webrnn train` draws).
// Not an example itself (the leading _ hides it from run.mjs).
import { createEngine, type Engine } from 'webrnn';
import { ProgressBar } from '../src/cli/progress-bar.js';
import { parseArgs } from 'node:util';

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; default?: string | boolean; help: string }>;

/**
 * Parses `args` against `spec`; `--help` prints the usage and returns undefined. Numbers are given as
 * strings and read with num().
 */
export function parseOptions<S extends OptionSpec>(name: string, about: string, spec: S, args: string[]): Record<keyof S, string | boolean | undefined> | undefined {
  const options = Object.fromEntries(Object.entries(spec).map(([k, v]) => [k, { type: v.type, ...(v.default !== undefined ? { default: v.default } : {}) }]));
  const { values } = parseArgs({ args, options: { ...options, help: { type: 'boolean' } }, allowPositionals: false, strict: true });
  if (values.help) {
    const lines = Object.entries(spec).map(([k, v]) => `  --${k}${v.type === 'string' ? ' VALUE' : ''}`.padEnd(26) + `${v.help}${v.default !== undefined && v.type === 'string' ? ` (default ${v.default})` : ''}`);
    process.stdout.write(`node examples/run.mjs ${name} [options]\n\n${about}\n\n${lines.join('\n')}\n`);
    return undefined;
  }
  return values as Record<keyof S, string | boolean | undefined>;
}

/** A numeric option. */
export function num(v: string | boolean | undefined, name: string): number {
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isFinite(n)) throw new Error(`--${name} must be a number, got ${JSON.stringify(v)}`);
  return n;
}

/** Defaults and help of the options every training example takes (see {@link trainingOptions}). */
export interface TrainingDefaults {
  steps: string;
  batch: string;
  /** what one row of a batch is: "melodies" → "melodies per step" */
  rows: string;
  hidden: string;
  /** the recurrent layer, for the help of --hidden: "LSTM" → "LSTM hidden size" */
  cell: string;
  lr: string;
  /** what --quick does, for its help */
  quick?: string;
}

/** --steps, --batch, --hidden, --lr, --seed and --quick, with an example's defaults. */
export function trainingOptions(d: TrainingDefaults) {
  return {
    steps: { type: 'string', default: d.steps, help: 'training steps' },
    batch: { type: 'string', default: d.batch, help: `${d.rows} per step` },
    hidden: { type: 'string', default: d.hidden, help: `${d.cell} hidden size` },
    lr: { type: 'string', default: d.lr, help: 'Adam learning rate' },
    seed: { type: 'string', default: '1', help: 'seed' },
    quick: { type: 'boolean', help: d.quick ?? '20 steps (a smoke test)' },
  } satisfies OptionSpec;
}

/** The values of {@link trainingOptions}: `quickSteps` steps under --quick, a progress bar on. */
export function trainingValues(v: Record<string, string | boolean | undefined>, quickSteps = 20) {
  return {
    steps: v.quick ? quickSteps : num(v.steps, 'steps'),
    batch: num(v.batch, 'batch'),
    hidden: num(v.hidden, 'hidden'),
    lr: num(v.lr, 'lr'),
    seed: num(v.seed, 'seed'),
    progress: true,
  };
}

/**
 * An example's main(): parses `args` against `spec` (--help prints the usage and runs nothing), then
 * runs `body` with the option values on a fresh engine, disposed afterwards.
 */
export async function exampleMain<S extends OptionSpec>(
  name: string,
  about: string,
  spec: S,
  args: string[],
  body: (engine: Engine, v: Record<keyof S, string | boolean | undefined>) => Promise<unknown>,
): Promise<void> {
  const v = parseOptions(name, about, spec, args);
  if (!v) return;
  const engine = await createEngine();
  try {
    await body(engine, v);
  } finally {
    engine.dispose();
  }
}

/**
 * The examples' training loop: `step(k)` (k = 1 … o.steps) runs step k — forward, backward, the
 * optimizer's step — and returns its loss tensor, read every 25 steps and at the last one (a readback
 * per step would stall the GPU queue) to draw the progress bar (or its loss, read already). Logs the first and last loss read;
 * returns every loss read.
 */
export async function trainLoop(
  o: { steps: number; progress: boolean },
  log: (line: string) => void,
  step: (k: number) => Promise<number | { read(): Promise<ArrayLike<number>> }>,
  label = 'loss',
): Promise<number[]> {
  const losses: number[] = [];
  const bar = new Progress(o.steps, `step {step} | ${label} {loss}`, o.progress);
  for (let k = 1; k <= o.steps; k++) {
    const loss = await step(k);
    if (k % 25 === 0 || k === o.steps) {
      const l = typeof loss === 'number' ? loss : (await loss.read())[0]!;
      losses.push(l);
      bar.update(k, { step: k, loss: l.toFixed(4) });
    }
  }
  bar.stop();
  log(`${label} ${losses[0]?.toFixed(4)} → ${losses[losses.length - 1]?.toFixed(4)}`);
  return losses;
}

/** A progress bar on stderr (a TTY redraws it; otherwise a line per update at most every 2 s). */
export class Progress {
  private readonly bar: ProgressBar | undefined;
  private lastLine = 0;

  constructor(
    private readonly total: number,
    private readonly format: string,
    private readonly enabled = true,
  ) {
    if (!enabled) return;
    if (process.stderr.isTTY) {
      this.bar = new ProgressBar({ format, total, etaWindow: 30 });
      this.bar.start(0);
    }
  }

  update(value: number, payload: Record<string, string | number>): void {
    if (!this.enabled) return;
    if (this.bar) {
      this.bar.update(value, payload);
      return;
    }
    const now = Date.now();
    if (now - this.lastLine < 2000 && value < this.total) return;
    this.lastLine = now;
    const text = this.format.replace(/\{(\w+)\}/g, (_, k: string) => String(payload[k] ?? ''));
    process.stderr.write(`${((100 * value) / this.total).toFixed(0).padStart(3)}% | ${text}\n`);
  }

  stop(): void {
    this.bar?.stop();
  }
}
