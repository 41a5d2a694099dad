/** `webrnn convert IN OUT`: a model between PyTorch state_dicts, ONNX and TensorFlow.js, where the semantics allow. */
import { WebRnnError } from '../errors.js';
import { writeFileAtomic } from '../formats/atomic-write.js';
import { serializeSafetensors } from '../formats/safetensors.js';
import { readSafetensorsFile } from '../formats/file-read.js';
import { checkOutputPath } from './files.js';
import { parseFlags } from './flags.js';
import { UsageError } from './usage-error.js';

export const CONVERT_HELP = `Usage: webrnn convert IN OUT [--nonlinearity tanh|relu] [--target all_steps|last_step]
                      [--names embedding=NAME,rnn=NAME,linear=NAME]

Converts an embedding → RNN/GRU/LSTM stack → linear model between formats (no GPU needed). The
format is the file's extension:
  .safetensors  a PyTorch state_dict (whole model, any module names, or a bare nn.LSTM/GRU/RNN)
  .onnx         ONNX (opset 17): inputs tokens (B, T) int64 or input (B, T, I) float32, and
                lengths (B,) int32; output logits (B, T, O), or (B, O) at each row's last step
                (output (B, T, D·H) for a bare recurrent stack). Write only.
  .json         a TensorFlow.js LayersModel: OUT.json plus its weights in OUT.weights.bin (or
                OUT.weights.1.bin when replacing a model that uses that name: the pair is replaced atomically).
                Inputs are full-length sequences (no mask).

  PyTorch → ONNX, PyTorch → tfjs, tfjs → PyTorch, tfjs → ONNX. What a target cannot express is an
  error that says why (PyTorch has no hard_sigmoid cells or reset-before GRU; Keras has no lengths
  input, clip or peepholes; neither ONNX nor Keras has nn.LSTM's proj_size; reading ONNX back into
  layers is not supported: run it with webrnn run --model instead).

Options:
  --nonlinearity   nn.RNN's nonlinearity for a PyTorch input (a state_dict does not record it; default tanh)
  --target         where a PyTorch model's head predicts: all_steps (default) or last_step
  --names          module names of a PyTorch input when names and shapes are ambiguous
  --debug          Show stack traces on errors.
  -h, --help       Show this help.
`;

type Format = 'torch' | 'onnx' | 'tfjs';

function formatOf(path: string, what: string): Format {
  if (path.endsWith('.safetensors')) return 'torch';
  if (path.endsWith('.onnx')) return 'onnx';
  if (path.endsWith('.json')) return 'tfjs';
  throw new UsageError(`convert: ${what} ${path}: unknown format (use .safetensors for PyTorch, .onnx, or .json for TensorFlow.js)`);
}

const NAMES: Record<Format, string> = { torch: 'PyTorch', onnx: 'ONNX', tfjs: 'TensorFlow.js' };

export const CONVERT_FLAGS = { nonlinearity: { type: 'string' }, target: { type: 'string' }, names: { type: 'string' } } as const;

/** Runs `webrnn convert`; returns the exit status. */
export async function convertCommand(args: string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parseFlags('convert', args, CONVERT_FLAGS, { positionals: true });
  if (values.help) {
    out(CONVERT_HELP);
    return 0;
  }
  if (positionals.length !== 2) throw new UsageError(`convert: needs IN and OUT, got ${positionals.length} path${positionals.length === 1 ? '' : 's'} (see webrnn convert --help)`);
  const [inPath, outPath] = positionals;
  const from = formatOf(inPath, 'IN');
  const to = formatOf(outPath, 'OUT');
  if (values.nonlinearity !== undefined && !['tanh', 'relu'].includes(values.nonlinearity)) throw new UsageError(`convert: --nonlinearity must be tanh or relu, got ${values.nonlinearity}`);
  if (values.target !== undefined && !['all_steps', 'last_step'].includes(values.target)) throw new UsageError(`convert: --target must be all_steps or last_step, got ${values.target}`);
  const names: Record<string, string> = {};
  for (const part of values.names ? values.names.split(',') : []) {
    const [k, v] = part.split('=');
    if (!['embedding', 'rnn', 'linear'].includes(k) || v === undefined) throw new UsageError(`convert: --names takes embedding=NAME,rnn=NAME,linear=NAME, got "${part}"`);
    names[k] = v;
  }
  if (from === 'onnx') throw new WebRnnError('BAD_CONFIG', `converting from ONNX is not supported: a graph is a program of operators, not a list of layers; convert from the framework the model was trained in, or run ${inPath} with webrnn run --model`);
  if (from === to) throw new WebRnnError('BAD_CONFIG', `${inPath} and ${outPath} are both ${NAMES[from]}: nothing to convert`);
  if ((from !== 'torch') && (values.nonlinearity || values.target || values.names)) throw new UsageError('convert: --nonlinearity, --target and --names apply to a PyTorch input only');
  await checkOutputPath(outPath, [{ path: inPath, what: 'IN' }], 'OUT');

  const { portableFromTorch, portableToTorch } = await import('../interop/torch/portable.js');
  let portable;
  if (from === 'torch') {
    const { readTorchStateDict } = await import('../interop/torch/model.js');
    const sd = readTorchStateDict(await readSafetensorsFile(inPath, 'IN'), { nonlinearity: values.nonlinearity as 'tanh' | 'relu' | undefined, names });
    portable = portableFromTorch(sd, (values.target ?? 'all_steps') as 'all_steps' | 'last_step');
  } else {
    const { readTfjsModelFromDisk } = await import('../interop/tfjs/files.node.js');
    const { TfjsModel } = await import('../interop/tfjs/model.js');
    const { tfjsToPortable } = await import('../interop/tfjs/export.js');
    const art = await readTfjsModelFromDisk(inPath, 'IN');
    portable = tfjsToPortable(TfjsModel.fromArtifacts(art, inPath));
  }

  const D = portable.rnn.bidirectional ? 2 : 1;
  const summary = `${portable.rnn.mode} ${portable.rnn.num_layers ?? 1} layer(s) × ${D} direction(s), input ${portable.rnn.input_size}, hidden ${portable.rnn.hidden_size}` +
    `${portable.embedding ? `, embedding ${portable.embedding.num_embeddings}×${portable.embedding.embedding_dim}` : ''}` +
    `${portable.linear ? `, linear ${portable.linear.in_features}→${portable.linear.out_features}${portable.linear.activation && portable.linear.activation !== 'linear' ? ` (${portable.linear.activation})` : ''}` : ''}, ${portable.target}`;
  if (to === 'torch') {
    await writeFileAtomic(outPath, serializeSafetensors(portableToTorch(portable), { format: 'pt' }));
  } else if (to === 'onnx') {
    const { portableToOnnx } = await import('../interop/onnx/export.js');
    await writeFileAtomic(outPath, portableToOnnx(portable));
  } else {
    const { portableToTfjs } = await import('../interop/tfjs/export.js');
    const { writeTfjsModelFiles } = await import('../interop/tfjs/files.node.js');
    await writeTfjsModelFiles(outPath, portableToTfjs(portable));
  }
  out(`${NAMES[from]} → ${NAMES[to]}: ${summary}; wrote ${outPath}\n`);
  return 0;
}
