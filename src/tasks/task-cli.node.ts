/**
 * Node-only pieces shared by the task commands (`webrnn tagger train`, `webrnn tag`,
 * `webrnn classify`): option parsing, the model folder, and the training loop with its progress bar,
 * periodic atomic checkpoints, time budget and a clean stop on Ctrl-C.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ProgressBar } from '../cli/progress-bar.js';
import { CHECKPOINT_FILE } from '../cli/model-dir.js';
import { checkRunFolderKind } from '../cli/run-folder.js';
import { StopSignals } from '../cli/stop-signals.js';
import { UsageError } from '../cli/usage-error.js';
import { WebRnnError } from '../errors.js';
import { parseCheckpoint, type Checkpoint } from '../io/checkpoint.js';
import { readSafetensorsFile } from '../io/file-read.js';
import type { SequenceTask } from './sequence-task.js';

export { CHECKPOINT_FILE };

export type Flags = Record<string, string | boolean | undefined>;

/**
 * Parses `args` with the given string and boolean options (plus --help/-h and --debug).
 * Mistakes are UsageErrors naming the command.
 */
export function parseFlags(command: string, args: string[], strings: readonly string[], booleans: readonly string[] = []): { flags: Flags; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' }, debug: { type: 'boolean' } };
  for (const k of strings) options[k] = { type: 'string' };
  for (const k of booleans) options[k] = { type: 'boolean' };
  try {
    const r = parseArgs({ args, options, strict: true, allowPositionals: true });
    return { flags: r.values as Flags, positionals: r.positionals };
  } catch (e) {
    throw new UsageError(`${command}: ${(e as Error).message} (see webrnn ${command} --help)`);
  }
}

/** A numeric flag, checked; undefined when absent. */
export function numberFlag(command: string, flags: Flags, name: string, ok: (x: number) => boolean, need: string): number | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  const x = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(x) || !ok(x)) throw new UsageError(`${command}: --${name} must be ${need}, got ${JSON.stringify(v)}`);
  return x;
}

export const positiveInt = (x: number) => Number.isInteger(x) && x >= 1;

/**
 * Reads the checkpoint of a model folder. A missing folder or checkpoint says how to make one.
 */
export async function readModelFolder(dir: string, what: string, trainCommand: string): Promise<Checkpoint> {
  const path = join(dir, CHECKPOINT_FILE);
  if (!existsSync(path)) throw new WebRnnError('BAD_FILE', `no ${what} in ${dir} (no ${CHECKPOINT_FILE}): train one first with \`${trainCommand}\` (a few minutes)`);
  return parseCheckpoint(await readSafetensorsFile(path, 'checkpoint'), path);
}

/**
 * Refuses an --out folder that is not a model folder of this task (`kind`, as its checkpoint's
 * position records it): an unrelated folder would have its checkpoint.safetensors overwritten.
 */
export async function checkTaskFolder(dir: string, command: string, kind: string): Promise<void> {
  await checkRunFolderKind(dir, command, CHECKPOINT_FILE, [CHECKPOINT_FILE], async (path) => {
    const found = parseCheckpoint(await readSafetensorsFile(path, 'checkpoint'), path).position.kind;
    if (found !== kind) throw new WebRnnError('BAD_FILE', `${path} is a checkpoint of ${found === undefined ? 'another kind of model' : JSON.stringify(found)}, not of ${JSON.stringify(kind)}`);
  });
}

/**
 * A resumed run keeps the settings it was started with: a setting given on the command line that
 * differs from the checkpoint's is a UsageError (checked before any GPU work).
 */
export function sameSettings(command: string, dir: string, saved: unknown, given: Record<string, unknown>): void {
  const s = (saved ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(given)) {
    if (s[k] !== v) throw new UsageError(`${command}: the checkpoint in ${dir} was trained with ${k} ${JSON.stringify(s[k])}, not ${JSON.stringify(v)}: add --fresh to start over`);
  }
}

/** What {@link runTraining} drives. */
export interface TrainingLoop {
  task: SequenceTask;
  trainStep(): Promise<number>;
  /** writes the checkpoint (atomically) */
  save(): Promise<void>;
  /** where save() writes, for the messages */
  checkpointPath: string;
  /** a short held-out figure for the progress bar, e.g. '0.873' */
  quickEval(): Promise<string>;
  /** what quickEval measures, e.g. 'held-out F1' */
  metricName: string;
  /** what one training example is, for the rate: 'sentences' */
  unit: string;
  minutes: number;
  maxSteps: number;
  evalEvery: number;
  checkpointEvery: number;
  out: (s: string) => void;
}

/**
 * Trains until the time budget (summed over resumed runs) or the step limit is reached, or Ctrl-C
 * (SIGINT, SIGTERM or SIGHUP: see StopSignals);
 * shows a progress bar on stderr (one log line per evaluation when stderr is not a terminal), saves a
 * checkpoint every `checkpointEvery` steps and at the end. Returns 0, or the exit status of the
 * signal that stopped it (130 for Ctrl-C) after saying where the checkpoint is and how to resume.
 */
export async function runTraining(l: TrainingLoop): Promise<number> {
  const p = l.task.position;
  const stop = new StopSignals();
  const budget = l.minutes * 60;
  const useSteps = Number.isFinite(l.maxSteps);
  const tty = process.stderr.isTTY === true;
  const bar = new ProgressBar({
    format: `step {step} | epoch {epoch} | loss {loss} | ${l.metricName} {metric} | {rate} ${l.unit}/s`,
    total: useSteps ? l.maxSteps : Math.round(budget),
  });
  bar.start(useSteps ? p.step : Math.min(Math.round(p.seconds), Math.round(budget)), { step: p.step, epoch: p.epoch, loss: '-', metric: '-', rate: '-' });
  let smooth = NaN;
  let metric = '-';
  const perStep = l.task.settings.batch;
  const startStep = p.step;
  const startSeconds = p.seconds;
  try {
    while (!stop.signal && p.step < l.maxSteps && p.seconds < budget) {
      const t0 = performance.now();
      const loss = await l.trainStep();
      p.seconds += (performance.now() - t0) / 1000;
      smooth = Number.isNaN(smooth) ? loss : 0.98 * smooth + 0.02 * loss;
      if (p.step % l.evalEvery === 0) {
        metric = await l.quickEval();
        if (!tty) l.out(`step ${p.step} | epoch ${p.epoch} | loss ${smooth.toFixed(4)} | ${l.metricName} ${metric}\n`);
      }
      if (p.step % l.checkpointEvery === 0) await l.save();
      bar.update(useSteps ? p.step : Math.min(Math.round(p.seconds), Math.round(budget)), {
        step: p.step,
        epoch: p.epoch,
        loss: smooth.toFixed(4),
        metric,
        rate: (((p.step - startStep) * perStep) / Math.max(p.seconds - startSeconds, 1e-9)).toFixed(0),
      });
    }
    await l.save();
  } finally {
    bar.stop();
    stop.dispose();
  }
  if (stop.signal) l.out(`stopped at step ${p.step}; checkpoint saved to ${l.checkpointPath} — run the same command to resume\n`);
  return stop.exitStatus;
}

/** The header line about a resumed run ('' for a fresh one). */
export function resumeLine(task: SequenceTask, resumed: boolean): string {
  const p = task.position;
  return resumed ? `resuming from step ${p.step} (epoch ${p.epoch}, ${p.seconds.toFixed(0)} s trained); --fresh starts over\n` : '';
}

/** The line that ends a completed run. */
export function trainedLine(task: SequenceTask, checkpointPath: string): string {
  const p = task.position;
  return `trained ${p.step} steps (${p.epoch} epochs + ${p.batch}/${task.batchesPerEpoch} batches) in ${p.seconds.toFixed(0)} s; checkpoint: ${checkpointPath}\n`;
}
