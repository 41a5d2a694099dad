/** `webrnn fit`: argument parsing, validation, GPU training steps, atomic write of the result. */
import { writeFileAtomic } from '../formats/atomic-write.js';
import { serializeSafetensors } from '../formats/safetensors.js';
import { loadFitJob, resolveFitArgs } from './fit-job.js';
import { kernelsFlag, precisionFlag } from './kernels-flag.js';
import { nonNegativeNumber, parseFlags, positiveInt, positiveNumber, requireFlags } from './flags.js';
import { UsageError } from './usage-error.js';

export const FIT_HELP = `Usage: webrnn fit --config model.json --weights init.safetensors --data batch.safetensors --out trained.safetensors
                  --optimizer sgd|adam|adamw --lr F [--momentum F] [--weight-decay F] [--clip-norm F] --steps N

Takes N optimizer steps on one batch with an embedding → RNN → linear → loss model on WebGPU,
exactly as the same PyTorch module would (used to check training against PyTorch).

Options:
  --config FILE    model.json: {"embedding": {"num_embeddings", "embedding_dim"} | null,
                   "rnn": {<webrnn run's config>}, "linear": {"in_features", "out_features"},
                   "loss": "cross_entropy" | "bce_with_logits" | "mse",
                   "target": "all_steps" | "last_step"}
  --weights FILE   the module's state_dict: embedding.weight, rnn.weight_ih_l0, …, linear.weight,
                   linear.bias (every parameter, exact shapes)
  --data FILE      batch-first: tokens (B, T) int64/int32 with an embedding, else input (B, T, I)
                   float32; targets (B, T) / (B,) class ids or (B, T, O) / (B, O) floats;
                   lengths (B,) optional. The loss is the mean over valid positions.
  --out FILE       the trained parameters (same names) and loss (N,): the loss before each step.
                   Written atomically.
  --optimizer      sgd, adam or adamw (PyTorch's update rules and defaults)
  --lr F           learning rate
  --momentum F     SGD momentum (default 0)
  --weight-decay F L2 penalty for sgd/adam, decoupled decay for adamw (defaults 0, 0, 0.01)
  --clip-norm F    clip the global gradient norm to F before each step (clip_grad_norm_)
  --steps N        number of optimizer steps
  --kernels LIST   force kernel variants, e.g. matmul=tiled,lstm_step_fwd=persistent (the
                   kernels and their variants: webrnn info --kernels); others are chosen by timing
  --precision P    the recurrent layer's weights: f32 (default) or f16-weights (an f16 copy read
                   with f32 accumulation; needs shader-f16: webrnn info)
  --debug          Show stack traces on errors.
  -h, --help       Show this help.
`;

export const FIT_FLAGS = {
  config: { type: 'string' },
  weights: { type: 'string' },
  data: { type: 'string' },
  out: { type: 'string' },
  optimizer: { type: 'string' },
  lr: { type: 'number', bounds: positiveNumber },
  momentum: { type: 'number', bounds: nonNegativeNumber },
  'weight-decay': { type: 'number', bounds: nonNegativeNumber },
  'clip-norm': { type: 'number', bounds: positiveNumber },
  steps: { type: 'number', bounds: positiveInt },
  kernels: { type: 'string' },
  precision: { type: 'string' },
} as const;

/** Runs `webrnn fit` with the arguments after the command name; returns the exit status. */
export async function fitCommand(args: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseFlags('fit', args, FIT_FLAGS);
  if (values.help) {
    out(FIT_HELP);
    return 0;
  }
  const engineOptions = { kernels: kernelsFlag('fit', values.kernels) };
  const precision = precisionFlag('fit', values.precision);
  const { config, weights, data, out: outPath, optimizer, lr, steps } = requireFlags('fit', values, ['config', 'weights', 'data', 'out', 'optimizer', 'lr', 'steps']);
  let fitArgs: ReturnType<typeof resolveFitArgs>;
  try {
    fitArgs = resolveFitArgs({ optimizer, lr, momentum: values.momentum, weight_decay: values['weight-decay'], clip_norm: values['clip-norm'], steps });
  } catch (e) {
    // a bad combination of flags is a mistake in the command line (status 2, as for every command), not in a file
    throw new UsageError(`fit: ${(e as Error).message} (see webrnn fit --help)`);
  }
  const job = await loadFitJob({ config, weights, data, out: outPath }, fitArgs);
  const { executeFitJob } = await import('./fit-engine.js');
  const result = await executeFitJob(job, engineOptions, precision);
  await writeFileAtomic(job.outPath, serializeSafetensors(result, { producer: 'webrnn fit' }));
  return 0;
}
