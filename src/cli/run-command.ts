/** `webrnn run`: argument parsing, validation, GPU execution, atomic write of the result. */
import { WebRnnError } from '../errors.js';
import { writeFileAtomic } from '../formats/atomic-write.js';
import { MAX_ELEMENTS_LIMIT } from '../interop/onnx/value.js';
import { serializeSafetensors } from '../formats/safetensors.js';
import { loadRunJob } from './run-job.js';
import { kernelsFlag, precisionFlag } from './kernels-flag.js';
import { intIn, parseFlags, requireFlags } from './flags.js';
import { UsageError } from './usage-error.js';

export const RUN_HELP = `Usage: webrnn run --config config.json --weights weights.safetensors --input inputs.safetensors --out result.safetensors
       webrnn run --model model.onnx|model.json --input inputs.safetensors --out result.safetensors

Runs one recurrent layer on WebGPU: the forward pass, and the backward pass when upstream
gradients are given. Tensor names and shapes follow PyTorch's nn.LSTM / nn.GRU / nn.RNN.

With --model, runs a model from another framework instead:
  model.onnx   an ONNX graph: its LSTM / GRU / RNN nodes on WebGPU, the operators around them
               (Gather, MatMul, Gemm, Softmax, Reshape, Transpose, …) on the CPU; inputs.safetensors
               holds one tensor per graph input, under its name, in the graph's element type (F32,
               I64, I32, …); the result holds every graph output under its name.
  model.json   a TensorFlow.js LayersModel (weight files beside it): SimpleRNN / GRU / LSTM /
               Bidirectional on WebGPU, Embedding, Masking, Dense, Activation, Dropout on the CPU;
               inputs named by the model's input layers (batch-first), outputs by its output layers
               (layer:index when a layer gives several).

Options:
  --model FILE     an ONNX model (.onnx) or a tfjs model.json; replaces --config and --weights
  --config FILE    JSON with PyTorch's constructor arguments:
                   {"mode": "LSTM" | "GRU" | "RNN_TANH" | "RNN_RELU", "input_size", "hidden_size",
                    "num_layers", "bias", "batch_first", "bidirectional", "proj_size" (LSTM)}
                   plus webrnn's "reset_after" (GRU) and "peephole" (LSTM).
  --weights FILE   safetensors with the module's state_dict: weight_ih_l{k}[_reverse],
                   weight_hh_l{k}[_reverse], bias_ih_l{k}[_reverse], bias_hh_l{k}[_reverse],
                   weight_hr_l{k}[_reverse] (proj_size > 0); every parameter, exact shapes,
                   no other names.
  --input FILE     safetensors with
                     input        (T, B, I), or (B, T, I) when batch_first
                     h0, c0       (L*D, B, H), optional (c0: LSTM only); h0, grad_h_n and the
                                  output are proj_size wide instead of H when projected
                     lengths      (B,) int64 or int32, optional: valid steps per row, each in [1, T]
                     grad_output  like the output, optional upstream gradients; any of
                     grad_h_n     (L*D, B, H)      these three runs the backward pass too
                     grad_c_n     (L*D, B, H)      (missing ones count as zeros)
  --out FILE       safetensors written with output, h_n, c_n (LSTM), and after a backward pass
                   grad.input, grad.h0 / grad.c0 (when h0 / c0 were given), grad.<parameter>.
                   All float32. Written atomically: on failure no file is left behind.
  --max-elements N the most elements one tensor of the ONNX CPU executor may have
                   [134217728 = 2^27]; a graph asking for more is rejected before allocating
  --kernels LIST   force kernel variants, e.g. matmul=tiled,lstm_step_fwd=persistent (the
                   kernels and their variants: webrnn info --kernels); others are chosen by timing
  --precision P    the recurrent layer's weights: f32 (default) or f16-weights (an f16 copy read
                   with f32 accumulation; needs shader-f16: webrnn info)
  --debug          Show stack traces on errors.
  -h, --help       Show this help.
`;

/** The GPU half, loaded only after validation so that bad input never waits for an adapter. */
async function loadEngineStep(): Promise<typeof import('./run-engine.js')> {
  try {
    return await import('./run-engine.js');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    throw new WebRnnError('BAD_STATE', `cannot load the engine (${(e as Error).message}); run \`npm run build\``);
  }
}

export const RUN_FLAGS = {
  config: { type: 'string' },
  weights: { type: 'string' },
  model: { type: 'string' },
  input: { type: 'string' },
  out: { type: 'string' },
  'max-elements': { type: 'number', bounds: intIn(1, MAX_ELEMENTS_LIMIT, `an integer in [1, ${MAX_ELEMENTS_LIMIT}]`) },
  kernels: { type: 'string' },
  precision: { type: 'string' },
} as const;

/** Runs `webrnn run` with the arguments after the command name; returns the exit status. */
export async function runCommand(args: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseFlags('run', args, RUN_FLAGS);
  if (values.help) {
    out(RUN_HELP);
    return 0;
  }
  const engineOptions = { kernels: kernelsFlag('run', values.kernels) };
  const precision = precisionFlag('run', values.precision);
  const maxElements = values['max-elements'];
  if (maxElements !== undefined && !values.model?.endsWith('.onnx')) throw new UsageError('run: --max-elements applies to ONNX models (--model model.onnx)');
  if (values.model !== undefined) {
    if (values.config !== undefined || values.weights !== undefined) throw new UsageError('run: --model replaces --config and --weights; give one form (see webrnn run --help)');
    const { model, input, out: outPath } = requireFlags('run', values, ['model', 'input', 'out']);
    const { loadModelJob } = await import('./run-model.js');
    const job = await loadModelJob({ model, input, out: outPath }, { maxElements });
    try {
      const { createEngine } = await import('../gpu/engine.js');
      const engine = await createEngine(engineOptions);
      try {
        const result = await job.run(engine);
        await writeFileAtomic(outPath, serializeSafetensors(result, { producer: 'webrnn run' }));
      } finally {
        engine.dispose();
      }
    } finally {
      job.dispose();
    }
    return 0;
  }
  const { config, weights, input, out: outPath } = requireFlags('run', values, ['config', 'weights', 'input', 'out']);
  const job = await loadRunJob({ config, weights, input, out: outPath });
  const { executeRunJob } = await loadEngineStep();
  if (precision !== undefined && values.model !== undefined) throw new UsageError('run: --precision applies to --config/--weights jobs');
  const result = await executeRunJob(job, engineOptions, precision);
  await writeFileAtomic(job.outPath, serializeSafetensors(result, { producer: 'webrnn run' }));
  return 0;
}
