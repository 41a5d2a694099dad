/**
 * The model folders of the task commands (`webrnn tagger train`, `webrnn tag`, `webrnn classify`):
 * reading one, refusing an unrelated --out folder, keeping a resumed run's settings, and the line that
 * ends a run; and {@link trainTask}, the body of `webrnn tagger train` and `webrnn classify train` around
 * the shared training loop (./training-loop.ts).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readBrown, type BrownDocument } from '../data/brown.node.js';
import { createEngine, type Engine } from '../gpu/engine.js';
import { writeFileAtomic } from '../formats/atomic-write.js';
import { WebRnnError } from '../errors.js';
import { parseCheckpoint, type Checkpoint } from '../model/checkpoint.js';
import { readSafetensorsFile } from '../formats/file-read.js';
import { splitBrown } from '../tasks/brown-split.js';
import type { SequenceTask } from '../tasks/sequence-task.js';
import { positiveInt } from './flags.js';
import { CHECKPOINT_FILE } from './model-dir.js';
import { checkRunFolderKind, claimRunFolder } from './run-folder.js';
import { loopFlags, resumeLine, runTraining, type Cadence } from './training-loop.js';
import { UsageError } from './usage-error.js';

/**
 * Reads the checkpoint of a model folder. A missing folder or checkpoint says how to make one.
 */
export async function readModelFolder(dir: string, what: string, trainCommand: string): Promise<Checkpoint> {
  const path = join(dir, CHECKPOINT_FILE);
  if (!existsSync(path)) throw new WebRnnError('BAD_FILE', `no ${what} in ${dir} (no ${CHECKPOINT_FILE}): train one first with \`${trainCommand}\` (a few minutes)`);
  return parseCheckpoint(await readSafetensorsFile(path, 'checkpoint'), path);
}

/**
 * What `webrnn tag "TEXT"` / `webrnn classify "TEXT"` apply their model to: the text (the positionals
 * joined; none or a blank one is a UsageError) and the checkpoint of the --model folder (default
 * `defaultDir`; a missing one says how to train it with `trainCommand`).
 */
export async function readTaskInput(command: string, positionals: string[], missing: string, model: string | undefined, defaultDir: string, what: string, trainCommand: string): Promise<{ text: string; checkpoint: Checkpoint }> {
  if (positionals.length === 0) throw new UsageError(`${command}: missing text: ${missing} (see webrnn ${command} --help)`);
  const text = positionals.join(' ');
  if (text.trim() === '') throw new UsageError(`${command}: the text is empty`);
  const checkpoint = await readModelFolder(resolve(model ?? defaultDir), what, model === undefined ? trainCommand : `${trainCommand} --out ${model}`);
  return { text, checkpoint };
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

/** The line that ends a completed run. */
export function trainedLine(task: SequenceTask, checkpointPath: string): string {
  const p = task.position;
  return `trained ${p.step} steps (${p.epoch} epochs + ${p.batch}/${task.batchesPerEpoch} batches) in ${p.seconds.toFixed(0)} s; checkpoint: ${checkpointPath}\n`;
}

/** The flags of every task's training (besides its model settings): --out, --fresh, --subset and the loop's. */
export const TASK_TRAIN_FLAGS = { out: { type: 'string' }, fresh: { type: 'boolean' }, subset: { type: 'number', bounds: positiveInt, default: 1 }, ...loopFlags(4) } as const;

/** The model settings given as flags (`--word-dropout` → word_dropout, as `names` maps them); absent ones are left out. */
export function settingsFromFlags<T>(values: Record<string, unknown>, names: Record<string, keyof T>): Partial<T> {
  const s: Partial<T> = {};
  for (const [flag, key] of Object.entries(names)) if (values[flag] !== undefined) s[key] = values[flag] as T[keyof T];
  return s;
}

/** A trained application of src/tasks as {@link trainTask} needs it (NameTagger, GenreClassifier). */
export interface TaskModel<M> {
  readonly task: SequenceTask;
  trainStep(): Promise<number>;
  evaluate(docs: readonly BrownDocument[]): Promise<M>;
  checkpoint(metrics?: M): Promise<Uint8Array>;
  dispose(): void;
}

/** What differs between the task training commands. */
export interface TaskTraining<T extends TaskModel<M>, M> {
  /** 'tagger train' */
  command: string;
  /** the checkpoint's kind: 'brown-tagger' */
  kind: string;
  /** 'name tagger', for the messages */
  what: string;
  defaultDir: string;
  /** settings given on the command line (a resumed run must keep them) */
  given: Record<string, unknown>;
  create(engine: Engine, train: readonly BrownDocument[], checkpoint: Checkpoint | undefined): T;
  /** the header's first lines (the adapter, folder and resume lines follow) */
  header(model: T, train: readonly BrownDocument[], heldOut: readonly BrownDocument[]): string;
  /** sentences per held-out file for the quick evaluation, and its figure */
  quickSentences: number;
  quickMetric(m: M): string;
  metricName: string;
  unit: string;
  /** the lines after training, from the full held-out metrics */
  summary(model: T, metrics: M, heldOut: readonly BrownDocument[]): Promise<string>;
}

/**
 * Trains a task model in its folder (locked, resumed from its checkpoint unless --fresh) with the shared
 * training loop, then evaluates it on the held-out files and saves the metrics with the checkpoint.
 */
export async function trainTask<T extends TaskModel<M>, M>(o: TaskTraining<T, M>, values: Cadence & { out?: string; fresh?: boolean; subset: number }, out: (s: string) => void): Promise<number> {
  const dir = resolve(values.out ?? o.defaultDir);
  const ckptPath = join(dir, CHECKPOINT_FILE);
  await checkTaskFolder(dir, o.command, o.kind);
  const folder = await claimRunFolder(dir, o.command); // locked before the checkpoint is read: one trainer per folder
  let engine: Engine | undefined;
  let model: T | undefined;
  try {
    const checkpoint = existsSync(ckptPath) && !values.fresh ? await readModelFolder(dir, o.what, `webrnn ${o.command}`) : undefined;
    if (checkpoint) sameSettings(o.command, dir, checkpoint.position.settings, o.given);
    const { train, heldOut } = splitBrown(readBrown(), { subset: values.subset });
    engine = await createEngine();
    model = o.create(engine, train, checkpoint);
    const m = model;
    out(`${o.header(m, train, heldOut)}adapter: ${engine.adapterName}; model folder: ${dir}\n${resumeLine(m.task.position, Boolean(checkpoint))}`);
    // every held-out file's first sentences: a quick estimate across the held-out files
    const quick = heldOut.map((doc) => ({ ...doc, sentences: doc.sentences.slice(0, Math.ceil(o.quickSentences / heldOut.length)) }));
    const stopped = await runTraining(
      {
        position: m.task.position,
        trainStep: () => m.trainStep(),
        save: async () => writeFileAtomic(ckptPath, await m.checkpoint()),
        quickEval: async () => o.quickMetric(await m.evaluate(quick)),
        metricName: o.metricName,
        unit: o.unit,
        examplesPerStep: m.task.settings.batch,
      },
      values,
      ckptPath,
      out,
    );
    if (stopped) return stopped;
    const metrics = await m.evaluate(heldOut);
    await writeFileAtomic(ckptPath, await m.checkpoint(metrics));
    out(trainedLine(m.task, ckptPath));
    out(await o.summary(m, metrics, heldOut));
    return 0;
  } finally {
    model?.dispose();
    engine?.dispose();
    await folder.release();
  }
}
