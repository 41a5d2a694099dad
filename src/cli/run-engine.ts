/**
 * `webrnn run`, the GPU part: one forward (and backward when upstream gradients were given) of a
 * validated RunJob. Imported lazily by run-command.ts so that validation errors never wait for, or
 * depend on, a WebGPU adapter.
 */
import { createEngine, Recurrent, type DeviceOptions, type Tensor } from '../index.js';
import type { Precision } from '../gpu/kernel-variants.js';
import { WebRnnError } from '../errors.js';
import { parameterSpecs } from '../layers/recurrent-config.js';
import type { SafeTensor } from '../formats/safetensors.js';
import type { HostTensor, RunJob } from './run-job.js';

/** Runs the job; returns the result tensors under the names of the `webrnn run` contract. */
export async function executeRunJob(job: RunJob, engineOptions: DeviceOptions = {}, precision?: Precision): Promise<Record<string, SafeTensor>> {
  const engine = await createEngine(engineOptions);
  const owned: Tensor[] = [];
  const keep = <T extends Tensor | undefined>(t: T): T => {
    if (t) owned.push(t);
    return t;
  };
  const upload = (t: HostTensor | undefined) => (t ? keep(engine.tensor(t.data, t.shape)) : undefined);
  const result: Record<string, SafeTensor> = {};
  const download = async (name: string, t: Tensor | undefined, shape: number[]) => {
    if (!t) throw new WebRnnError('BAD_STATE', `the engine returned no ${name}`);
    const data = await t.read();
    const n = shape.reduce((a, b) => a * b, 1);
    if (t.shape.join(',') !== shape.join(',') || data.length !== n) {
      throw new WebRnnError('BAD_STATE', `the engine returned ${name} of shape [${t.shape.join(', ')}] (${data.length} values), expected [${shape.join(', ')}]`);
    }
    result[name] = { dtype: 'F32', shape, data };
  };

  try {
    const rnn = new Recurrent(engine, job.config, precision ? { precision } : {});
    try {
      rnn.loadStateDict(job.weights);
      const out = rnn.forward(upload(job.input)!, { h0: upload(job.h0), c0: upload(job.c0), lengths: job.lengths });
      keep(out.output);
      keep(out.h_n);
      keep(out.c_n);
      await download('output', out.output, job.shapes.output);
      await download('h_n', out.h_n, job.shapes.state);
      if (job.resolved.mode === 'LSTM') await download('c_n', out.c_n, job.shapes.cell);

      if (job.upstream) {
        const g = rnn.backward({
          grad_output: upload(job.upstream.grad_output),
          grad_h_n: upload(job.upstream.grad_h_n),
          grad_c_n: upload(job.upstream.grad_c_n),
        });
        keep(g.grad_input);
        keep(g.grad_h0);
        keep(g.grad_c0);
        for (const t of Object.values(g.grads)) keep(t);
        await download('grad.input', g.grad_input, job.input.shape);
        if (job.h0) await download('grad.h0', g.grad_h0, job.shapes.state);
        if (job.c0) await download('grad.c0', g.grad_c0, job.shapes.cell);
        for (const spec of parameterSpecs(job.config)) await download(`grad.${spec.name}`, g.grads[spec.name], spec.shape);
      }
    } finally {
      rnn.dispose();
    }
  } finally {
    for (const t of owned) t.dispose();
    engine.dispose();
  }
  return result;
}
