/**
 * The one training loop of the command line, used by `webrnn train`, `webrnn tagger train` and
 * `webrnn classify train`: a progress bar on stderr (one log line per evaluation when stderr is not a
 * terminal), a time budget summed over resumed runs, an optional step limit, a quick evaluation and an
 * atomic checkpoint at their cadences, and a clean stop on SIGINT/SIGTERM/SIGHUP ({@link StopSignals}):
 * the checkpoint is saved and the command exits 130/143/129.
 *
 * The loop knows nothing of the model: it drives a {@link Trainee}, the small interface each training
 * command builds around its application (src/tasks never imports src/cli).
 */
import { ProgressBar } from './progress-bar.js';
import { positiveInt, positiveNumber } from './flags.js';
import { StopSignals } from './stop-signals.js';

/** Where training stands; the loop adds the seconds of each step, the trainee counts steps and epochs. */
export interface TrainingPosition {
  step: number;
  epoch: number;
  seconds: number;
}

/** What the loop drives. */
export interface Trainee {
  /** the trainee's own position (step and epoch advanced by trainStep; the loop adds seconds) */
  readonly position: TrainingPosition;
  /** one optimizer step; returns its loss */
  trainStep(): Promise<number>;
  /** writes the checkpoint (atomically) */
  save(): Promise<void>;
  /** a short held-out figure for the progress bar, e.g. '0.873' */
  quickEval(): Promise<string>;
  /** what quickEval measures, e.g. 'held-out F1' */
  metricName: string;
  /** what one training example is, for the rate: 'sentences' */
  unit: string;
  /** examples per optimizer step, for the rate */
  examplesPerStep: number;
  /** after each step (after its evaluation and checkpoint): e.g. print a sample with `log` */
  afterStep?(log: (s: string) => void): Promise<void>;
}

/** How long and how often: the values of {@link loopFlags}. */
export interface Cadence {
  minutes: number;
  steps: number | undefined;
  'eval-every': number;
  'checkpoint-every': number;
}

/** The flags of every training command: --minutes (default `minutes`), --steps, --eval-every, --checkpoint-every. */
export function loopFlags(minutes: number) {
  return {
    minutes: { type: 'number', bounds: positiveNumber, default: minutes },
    steps: { type: 'number', bounds: positiveInt },
    'eval-every': { type: 'number', bounds: positiveInt, default: 200 },
    'checkpoint-every': { type: 'number', bounds: positiveInt, default: 200 },
  } as const;
}

/**
 * Trains until the time budget (summed over resumed runs) or the step limit is reached, or a stop
 * signal; saves a checkpoint every `checkpoint-every` steps and at the end. Returns 0, or the exit
 * status of the signal that stopped it (130 for Ctrl-C) after saying where the checkpoint is and how
 * to resume.
 */
export async function runTraining(t: Trainee, cadence: Cadence, checkpointPath: string, out: (s: string) => void): Promise<number> {
  const p = t.position;
  const stop = new StopSignals();
  const budget = cadence.minutes * 60;
  const maxSteps = cadence.steps ?? Infinity;
  const useSteps = Number.isFinite(maxSteps);
  const tty = process.stderr.isTTY === true;
  const bar = new ProgressBar({
    format: `step {step} | epoch {epoch} | loss {loss} | ${t.metricName} {metric} | {rate} ${t.unit}/s`,
    total: useSteps ? maxSteps : Math.round(budget),
  });
  const barValue = () => (useSteps ? p.step : Math.min(Math.round(p.seconds), Math.round(budget)));
  bar.start(barValue(), { step: p.step, epoch: p.epoch, loss: '-', metric: '-', rate: '-' });
  const log = (s: string) => {
    const line = s.endsWith('\n') ? s : `${s}\n`;
    if (tty) bar.log(line);
    else out(line);
  };
  let smooth = NaN;
  let metric = '-';
  const startStep = p.step;
  const startSeconds = p.seconds;
  try {
    while (!stop.signal && p.step < maxSteps && p.seconds < budget) {
      const t0 = performance.now();
      const loss = await t.trainStep();
      p.seconds += (performance.now() - t0) / 1000;
      smooth = Number.isNaN(smooth) ? loss : 0.98 * smooth + 0.02 * loss;
      const rate = (((p.step - startStep) * t.examplesPerStep) / Math.max(p.seconds - startSeconds, 1e-9)).toFixed(0);
      if (p.step % cadence['eval-every'] === 0) {
        metric = await t.quickEval();
        if (!tty) log(`step ${p.step} | epoch ${p.epoch} | loss ${smooth.toFixed(4)} | ${t.metricName} ${metric} | ${rate} ${t.unit}/s`);
      }
      if (p.step % cadence['checkpoint-every'] === 0) await t.save();
      await t.afterStep?.(log);
      bar.update(barValue(), { step: p.step, epoch: p.epoch, loss: smooth.toFixed(4), metric, rate });
    }
    await t.save();
  } finally {
    bar.stop();
    stop.dispose();
  }
  if (stop.signal) out(`stopped at step ${p.step}; checkpoint saved to ${checkpointPath} — run the same command to resume\n`);
  return stop.exitStatus;
}

/** The header line about a resumed run ('' for a fresh one). */
export function resumeLine(p: TrainingPosition, resumed: boolean): string {
  return resumed ? `resuming from step ${p.step} (epoch ${p.epoch}, ${p.seconds.toFixed(0)} s trained); --fresh starts over\n` : '';
}
