/**
 * `webrnn run`, before any GPU work: reads config.json, weights.safetensors and inputs.safetensors,
 * and checks every name, dtype and shape against the config, so a bad file fails fast with a message
 * naming the file, the tensor and what was expected.
 */
import { hiddenStateSize, parameterSpecs, resolveConfig, type RecurrentConfig, type ResolvedConfig } from '../layers/recurrent-config.js';
import { WebRnnError } from '../errors.js';
import { parseSafetensors, toInt32, type SafeTensor } from '../formats/safetensors.js';
import { MAX_JSON_BYTES, readSafetensorsFile } from '../formats/file-read.js';
import { checkOutputPath, floatTensor, fmt, parseJsonObject, readInput, sameShape } from './files.js';

/** A float32 tensor on the host. */
export interface HostTensor {
  data: Float32Array;
  shape: number[];
}

/** Everything `webrnn run` needs, validated. */
export interface RunJob {
  /** The config as given (minus PyTorch-only keys fixed at their neutral values), for engine.recurrent. */
  config: RecurrentConfig;
  resolved: ResolvedConfig;
  /** Every parameter, in parameterSpecs order. */
  weights: Record<string, Float32Array>;
  input: HostTensor;
  h0?: HostTensor;
  c0?: HostTensor;
  /** Valid steps per batch row, each in [1, T]. */
  lengths?: number[];
  /** Present when any upstream gradient was given: run the backward too. */
  upstream?: { grad_output?: HostTensor; grad_h_n?: HostTensor; grad_c_n?: HostTensor };
  /** Shapes PyTorch gives the results: output, h (h_n, h0) and c (c_n, c0; = state unless projected). */
  shapes: { output: number[]; state: number[]; cell: number[] };
  outPath: string;
}

export interface RunPaths {
  config: string;
  weights: string;
  input: string;
  out: string;
}

const INPUT_NAMES = ['input', 'h0', 'c0', 'lengths', 'grad_output', 'grad_h_n', 'grad_c_n'] as const;


/**
 * PyTorch constructor keys accepted only at the value that makes them no-ops here: dropout > 0 would
 * draw a random mask that no PyTorch run can be compared with.
 */
const NEUTRAL_TORCH_KEYS: Record<string, unknown> = { dropout: 0 };

/** Parses and resolves config.json; `file` names it in messages. */
export function parseConfigText(text: string, file: string): { config: RecurrentConfig; resolved: ResolvedConfig } {
  const raw = parseJsonObject(text, file, 'like {"mode": "LSTM", "input_size": 8, "hidden_size": 16}');
  const config: Record<string, unknown> = { ...raw };
  for (const [k, neutral] of Object.entries(NEUTRAL_TORCH_KEYS)) {
    if (!(k in config)) continue;
    if (config[k] !== neutral) throw new WebRnnError('BAD_CONFIG', `${file}: ${k} must be ${neutral} for \`webrnn run\`, got ${JSON.stringify(config[k])}`);
    delete config[k];
  }
  try {
    const resolved = resolveConfig(config as unknown as RecurrentConfig);
    return { config: config as unknown as RecurrentConfig, resolved };
  } catch (e) {
    if (e instanceof WebRnnError) throw new WebRnnError(e.code, `${file}: ${e.message}`);
    throw e;
  }
}

/** Checks the state_dict against the config: every parameter present with its exact shape, nothing else. */
export function checkWeights(tensors: Map<string, SafeTensor>, config: ResolvedConfig, file: string): Record<string, Float32Array> {
  const specs = parameterSpecs(config);
  const known = new Set(specs.map((s) => s.name));
  for (const name of tensors.keys()) {
    if (known.has(name)) continue;
    const dot = name.lastIndexOf('.');
    const hint = dot >= 0 && known.has(name.slice(dot + 1)) ? ` (strip the prefix "${name.slice(0, dot + 1)}")` : '';
    throw new WebRnnError('BAD_FILE', `${file}: unknown weight "${name}"${hint}; a ${describeConfig(config)} has ${specs.map((s) => s.name).join(', ')}`);
  }
  const out: Record<string, Float32Array> = {};
  for (const spec of specs) {
    const t = tensors.get(spec.name);
    if (!t) throw new WebRnnError('BAD_FILE', `${file}: missing weight "${spec.name}" of shape ${fmt(spec.shape)}`);
    if (!sameShape(t.shape, spec.shape)) {
      throw new WebRnnError('BAD_SHAPE', `${file}: weight "${spec.name}" has shape ${fmt(t.shape)}, expected ${fmt(spec.shape)} for ${describeConfig(config)}`);
    }
    out[spec.name] = floatTensor(t, `${file}: weight "${spec.name}"`);
  }
  return out;
}

function describeConfig(c: ResolvedConfig): string {
  const parts = [c.mode, `input_size=${c.input_size}`, `hidden_size=${c.hidden_size}`, `num_layers=${c.num_layers}`];
  if (c.bidirectional) parts.push('bidirectional');
  if (!c.bias) parts.push('bias=false');
  if (c.proj_size > 0) parts.push(`proj_size=${c.proj_size}`);
  return parts.join(' ');
}

/** Checks inputs.safetensors against the config; returns the host tensors and the result shapes. */
export function checkInputs(
  tensors: Map<string, SafeTensor>,
  config: ResolvedConfig,
  file: string,
): Pick<RunJob, 'input' | 'h0' | 'c0' | 'lengths' | 'upstream' | 'shapes'> {
  for (const name of tensors.keys()) {
    if (!(INPUT_NAMES as readonly string[]).includes(name)) {
      throw new WebRnnError('BAD_FILE', `${file}: unknown tensor "${name}" (known: ${INPUT_NAMES.join(', ')})`);
    }
  }
  const isLstm = config.mode === 'LSTM';
  for (const name of ['c0', 'grad_c_n']) {
    if (!isLstm && tensors.has(name)) throw new WebRnnError('BAD_FILE', `${file}: "${name}" is given but mode is ${config.mode}; only LSTM has a cell state`);
  }
  const input = tensors.get('input');
  if (!input) throw new WebRnnError('BAD_FILE', `${file}: missing tensor "input"`);
  const layout = config.batch_first ? '(B, T, I)' : '(T, B, I)';
  if (input.shape.length !== 3 || input.shape[2] !== config.input_size || input.shape[0] < 1 || input.shape[1] < 1) {
    throw new WebRnnError(
      'BAD_SHAPE',
      `${file}: "input" has shape ${fmt(input.shape)}, expected ${layout} with I = input_size = ${config.input_size} and T, B ≥ 1`,
    );
  }
  const [T, B] = config.batch_first ? [input.shape[1], input.shape[0]] : [input.shape[0], input.shape[1]];
  const D = config.bidirectional ? 2 : 1;
  const H = config.hidden_size;
  const R = hiddenStateSize(config);
  const outputShape = config.batch_first ? [B, T, D * R] : [T, B, D * R];
  const stateShape = [config.num_layers * D, B, R];
  const cellShape = [config.num_layers * D, B, H];

  const host = (name: string, shape: number[], meaning: string): HostTensor | undefined => {
    const t = tensors.get(name);
    if (!t) return undefined;
    if (!sameShape(t.shape, shape)) {
      throw new WebRnnError('BAD_SHAPE', `${file}: "${name}" has shape ${fmt(t.shape)}, expected ${fmt(shape)} = ${meaning}`);
    }
    return { data: floatTensor(t, `${file}: "${name}"`), shape: [...shape] };
  };
  const w = R === H ? 'H' : 'proj_size';
  const stateMeaning = `(L·D, B, ${w}) = (${config.num_layers}·${D}, ${B}, ${R})`;
  const cellMeaning = `(L·D, B, H) = (${config.num_layers}·${D}, ${B}, ${H})`;
  const result: ReturnType<typeof checkInputs> = {
    input: { data: floatTensor(input, `${file}: "input"`), shape: [...input.shape] },
    h0: host('h0', stateShape, stateMeaning),
    c0: host('c0', cellShape, cellMeaning),
    shapes: { output: outputShape, state: stateShape, cell: cellShape },
  };

  const lengths = tensors.get('lengths');
  if (lengths) {
    if (!sameShape(lengths.shape, [B])) throw new WebRnnError('BAD_SHAPE', `${file}: "lengths" has shape ${fmt(lengths.shape)}, expected [${B}] (one length per batch row)`);
    if (lengths.dtype !== 'I64' && lengths.dtype !== 'I32') {
      throw new WebRnnError('BAD_FILE', `${file}: "lengths" must be int64 or int32, got ${lengths.dtype}`);
    }
    let ints: Int32Array;
    try {
      ints = toInt32(lengths, `${file}: lengths`);
    } catch (e) {
      if (e instanceof WebRnnError) throw new WebRnnError('BAD_LENGTHS', `${e.message}; each length must be in [1, ${T}]`);
      throw e;
    }
    ints.forEach((v, i) => {
      if (v < 1 || v > T) throw new WebRnnError('BAD_LENGTHS', `${file}: lengths[${i}] = ${v}, must be in [1, T = ${T}]`);
    });
    result.lengths = Array.from(ints);
  }

  const grad_output = host('grad_output', outputShape, `the output's shape ${config.batch_first ? `(B, T, D·${w})` : `(T, B, D·${w})`}`);
  const grad_h_n = host('grad_h_n', stateShape, stateMeaning);
  const grad_c_n = host('grad_c_n', cellShape, cellMeaning);
  if (grad_output || grad_h_n || grad_c_n) result.upstream = { grad_output, grad_h_n, grad_c_n };
  return result;
}

/** Reads and validates everything `webrnn run` needs; touches no GPU. */
export async function loadRunJob(paths: RunPaths): Promise<RunJob> {
  await checkOutputPath(paths.out, [{ path: paths.config, what: '--config' }, { path: paths.weights, what: '--weights' }, { path: paths.input, what: '--input' }]);
  const [configBytes, weightBytes, inputBytes] = await Promise.all([
    readInput(paths.config, '--config', MAX_JSON_BYTES),
    readSafetensorsFile(paths.weights, '--weights'),
    readSafetensorsFile(paths.input, '--input'),
  ]);
  let configText: string;
  try {
    configText = new TextDecoder('utf-8', { fatal: true }).decode(configBytes);
  } catch {
    throw new WebRnnError('BAD_CONFIG', `${paths.config}: not valid UTF-8`);
  }
  const { config, resolved } = parseConfigText(configText, paths.config);
  const weights = checkWeights(parseSafetensors(weightBytes, { source: paths.weights }).tensors, resolved, paths.weights);
  const inputs = checkInputs(parseSafetensors(inputBytes, { source: paths.input }).tensors, resolved, paths.input);
  return { config, resolved, weights, ...inputs, outPath: paths.out };
}
