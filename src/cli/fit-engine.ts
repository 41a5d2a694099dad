/**
 * `webrnn fit`, the GPU part: N optimizer steps on one batch, the loss before each step collected on
 * the GPU and read once at the end. Imported lazily after validation.
 */
import { createEngine } from '../gpu/engine.js';
import type { DeviceOptions } from '../gpu/device.js';
import type { Precision } from '../gpu/kernel-variants.js';
import { SequenceModel, sequenceModelSpecs } from '../model/sequence-model.js';
import { Adam, AdamW } from '../optim/adam.js';
import { SGD } from '../optim/sgd.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { SafeTensor } from '../formats/safetensors.js';
import type { FitJob } from './fit-job.js';

/** Runs the job; returns the trained parameters (prefixed PyTorch names) and `loss` (steps,). */
export async function executeFitJob(job: FitJob, engineOptions: DeviceOptions = {}, precision?: Precision): Promise<Record<string, SafeTensor>> {
  const engine = await createEngine(engineOptions);
  try {
    const model = new SequenceModel(engine, job.model, precision ? { precision } : {});
    model.loadStateDict(job.weights);
    const a = job.args;
    const clip = a.clip_norm !== undefined ? { clip_norm: a.clip_norm } : {};
    const opt: Optimizer =
      a.optimizer === 'sgd'
        ? new SGD(engine, model.blocks(), { lr: a.lr, momentum: a.momentum, weight_decay: a.weight_decay, ...clip })
        : new (a.optimizer === 'adam' ? Adam : AdamW)(engine, model.blocks(), { lr: a.lr, weight_decay: a.weight_decay, ...clip });
    const losses = engine.empty([a.steps]);
    for (let i = 0; i < a.steps; i++) {
      const loss = model.lossAndGrad(job.batch);
      engine.copy(loss.buffer, loss.byteOffset, losses.buffer, i * 4, 4);
      await opt.stepChecked(i + 1);
    }
    const result: Record<string, SafeTensor> = {};
    const trained = await model.stateDict();
    for (const s of sequenceModelSpecs(job.model)) result[s.name] = { dtype: 'F32', shape: [...s.shape], data: trained[s.name] };
    result.loss = { dtype: 'F32', shape: [a.steps], data: await losses.read() };
    return result;
  } finally {
    engine.dispose();
  }
}
