/**
 * Node-only: checkpoints on disk, written atomically (temporary file, fsync, rename) so that the last
 * checkpoint is always complete, whenever the process is stopped.
 */
import type { SequenceModel } from './sequence-model.js';
import type { Optimizer } from '../optim/optimizer.js';
import { writeFileAtomic } from '../formats/atomic-write.js';
import { readSafetensorsFile } from '../formats/file-read.js';
import { checkpointBytes, parseCheckpoint, type Checkpoint, type TrainingPosition } from './checkpoint.js';

/**
 * @example
 * await saveCheckpoint('runs/lm/checkpoint.safetensors', model, opt, { step: 1200, epoch: 3 });
 */
export async function saveCheckpoint(path: string, model: SequenceModel, optimizer: Optimizer | undefined, position: TrainingPosition): Promise<void> {
  await writeFileAtomic(path, await checkpointBytes(model, optimizer, position));
}

/** Reads and checks a checkpoint file; restore with model.loadStateDict(c.params) and opt.loadState(c.optimizer). */
export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  return parseCheckpoint(await readSafetensorsFile(path, 'checkpoint'), path);
}
