/**
 * `webrnn fit`, before any GPU work: reads model.json, the initial weights and the batch, checks every
 * name, dtype, shape and id range, and resolves the optimizer flags with PyTorch's defaults.
 */
import { WebRnnError } from '../errors.js';
import { parseSafetensors, toInt32, type SafeTensor } from '../formats/safetensors.js';
import { sequenceModelSpecs, type SequenceBatch, type SequenceModelConfig } from '../model/sequence-model.js';
import { resolveConfig } from '../layers/recurrent-config.js';
import { MAX_JSON_BYTES, readSafetensorsFile } from '../formats/file-read.js';
import { checkOutputPath, floatTensor, fmt, parseJsonObject, readText, sameShape } from './files.js';

export type FitOptimizer = 'sgd' | 'adam' | 'adamw';

export interface FitArgs {
  optimizer: FitOptimizer;
  lr: number;
  momentum: number;
  weight_decay: number;
  clip_norm?: number;
  steps: number;
}

/** Everything `webrnn fit` needs, validated. */
export interface FitJob {
  model: SequenceModelConfig;
  weights: Record<string, Float32Array>;
  batch: SequenceBatch;
  args: FitArgs;
  outPath: string;
}

export interface FitPaths {
  config: string;
  weights: string;
  data: string;
  out: string;
}

/** Parses model.json; `file` names it in messages. */
export function parseModelConfig(text: string, file: string): SequenceModelConfig {
  const config = parseJsonObject(text, file, '{"embedding", "rnn", "linear", "loss", "target"}') as unknown as SequenceModelConfig;
  try {
    sequenceModelSpecs(config);
  } catch (e) {
    if (e instanceof WebRnnError) throw new WebRnnError(e.code, `${file}: ${e.message}`);
    throw e;
  }
  return config;
}

/** The initial state_dict: every prefixed parameter with its exact shape, nothing else. */
export function checkModelWeights(tensors: Map<string, SafeTensor>, model: SequenceModelConfig, file: string): Record<string, Float32Array> {
  const specs = sequenceModelSpecs(model);
  const known = new Set(specs.map((s) => s.name));
  for (const name of tensors.keys()) {
    if (!known.has(name)) throw new WebRnnError('BAD_FILE', `${file}: unknown weight "${name}"; this model has ${specs.map((s) => s.name).join(', ')}`);
  }
  const out: Record<string, Float32Array> = {};
  for (const s of specs) {
    const t = tensors.get(s.name);
    if (!t) throw new WebRnnError('BAD_FILE', `${file}: missing weight "${s.name}" of shape ${fmt(s.shape)}`);
    if (!sameShape(t.shape, s.shape)) throw new WebRnnError('BAD_SHAPE', `${file}: weight "${s.name}" has shape ${fmt(t.shape)}, expected ${fmt(s.shape)}`);
    out[s.name] = floatTensor(t, `${file}: weight "${s.name}"`);
  }
  return out;
}

function ints(t: SafeTensor, what: string): Int32Array {
  if (t.dtype !== 'I64' && t.dtype !== 'I32') throw new WebRnnError('BAD_FILE', `${what} must be int64 or int32, got ${t.dtype}`);
  try {
    return toInt32(t, what);
  } catch (e) {
    if (e instanceof WebRnnError) throw new WebRnnError('BAD_VALUE', e.message);
    throw e;
  }
}

/** batch.safetensors: tokens or input (batch-first), targets, optional lengths — shapes and ranges checked. */
export function checkBatch(tensors: Map<string, SafeTensor>, model: SequenceModelConfig, file: string): SequenceBatch {
  const names = model.embedding ? ['tokens', 'targets', 'lengths'] : ['input', 'targets', 'lengths'];
  for (const name of tensors.keys()) {
    if (!names.includes(name)) throw new WebRnnError('BAD_FILE', `${file}: unexpected tensor "${name}" (this model takes ${names.join(', ')})`);
  }
  const rnn = resolveConfig(model.rnn);
  let B: number;
  let T: number;
  const batch: Partial<SequenceBatch> = {};
  if (model.embedding) {
    const t = tensors.get('tokens');
    if (!t) throw new WebRnnError('BAD_FILE', `${file}: missing "tokens" (B, T) int64/int32`);
    if (t.shape.length !== 2 || t.shape[0] < 1 || t.shape[1] < 1) throw new WebRnnError('BAD_SHAPE', `${file}: "tokens" has shape ${fmt(t.shape)}, expected (B, T) with B, T ≥ 1`);
    [B, T] = t.shape;
    const ids = ints(t, `${file}: "tokens"`);
    const V = model.embedding.num_embeddings;
    ids.forEach((v, i) => {
      if (v < 0 || v >= V) throw new WebRnnError('BAD_VALUE', `${file}: tokens[${Math.floor(i / T)}, ${i % T}] = ${v}, must be in [0, num_embeddings = ${V})`);
    });
    batch.tokens = ids;
  } else {
    const t = tensors.get('input');
    if (!t) throw new WebRnnError('BAD_FILE', `${file}: missing "input" (B, T, I) float32`);
    if (t.shape.length !== 3 || t.shape[2] !== rnn.input_size || t.shape[0] < 1 || t.shape[1] < 1) {
      throw new WebRnnError('BAD_SHAPE', `${file}: "input" has shape ${fmt(t.shape)}, expected (B, T, I) with I = rnn.input_size = ${rnn.input_size}`);
    }
    [B, T] = t.shape;
    batch.input = floatTensor(t, `${file}: "input"`);
  }
  const O = model.linear.out_features;
  const lengthsT = tensors.get('lengths');
  if (lengthsT) {
    if (!sameShape(lengthsT.shape, [B])) throw new WebRnnError('BAD_SHAPE', `${file}: "lengths" has shape ${fmt(lengthsT.shape)}, expected [${B}]`);
    const l = ints(lengthsT, `${file}: "lengths"`);
    l.forEach((v, i) => {
      if (v < 1 || v > T) throw new WebRnnError('BAD_LENGTHS', `${file}: lengths[${i}] = ${v}, must be in [1, T = ${T}]`);
    });
    batch.lengths = Array.from(l);
  }
  const targets = tensors.get('targets');
  if (!targets) throw new WebRnnError('BAD_FILE', `${file}: missing "targets"`);
  const lead = model.target === 'all_steps' ? [B, T] : [B];
  if (model.loss === 'cross_entropy') {
    if (!sameShape(targets.shape, lead)) throw new WebRnnError('BAD_SHAPE', `${file}: "targets" has shape ${fmt(targets.shape)}, expected ${fmt(lead)} class ids for ${model.target}`);
    const ids = ints(targets, `${file}: "targets"`);
    const mask = model.target === 'all_steps' ? (i: number) => (batch.lengths ? i % T < batch.lengths[Math.floor(i / T)] : true) : () => true;
    ids.forEach((v, i) => {
      if (mask(i) && (v < 0 || v >= O)) throw new WebRnnError('BAD_VALUE', `${file}: targets[${i}] = ${v}, must be a class in [0, out_features = ${O})`);
    });
    // Padded steps are masked out of the loss; their ids only need to be valid indices.
    batch.targets = ids.map((v) => (v < 0 || v >= O ? 0 : v));
  } else {
    if (!sameShape(targets.shape, [...lead, O])) throw new WebRnnError('BAD_SHAPE', `${file}: "targets" has shape ${fmt(targets.shape)}, expected ${fmt([...lead, O])} for ${model.loss} with ${model.target}`);
    batch.targets = floatTensor(targets, `${file}: "targets"`);
  }
  return { ...batch, B, T } as SequenceBatch;
}

/** Resolves the optimizer flags (their numbers already checked by the flag parser; PyTorch's defaults where absent). */
export function resolveFitArgs(a: { optimizer: string; lr: number; momentum?: number; weight_decay?: number; clip_norm?: number; steps: number }): FitArgs {
  const { optimizer, lr, steps, momentum, clip_norm } = a;
  if (optimizer !== 'sgd' && optimizer !== 'adam' && optimizer !== 'adamw') throw new WebRnnError('BAD_VALUE', `--optimizer must be sgd, adam or adamw, got ${JSON.stringify(optimizer)}`);
  if (momentum !== undefined && optimizer !== 'sgd') throw new WebRnnError('BAD_VALUE', `--momentum applies to sgd only (use adam's betas), optimizer is ${optimizer}`);
  const weight_decay = a.weight_decay ?? (optimizer === 'adamw' ? 0.01 : 0);
  return { optimizer, lr, momentum: momentum ?? 0, weight_decay, steps, ...(clip_norm !== undefined ? { clip_norm } : {}) };
}

/** Reads and validates everything `webrnn fit` needs; touches no GPU. */
export async function loadFitJob(paths: FitPaths, args: FitArgs): Promise<FitJob> {
  await checkOutputPath(paths.out, [{ path: paths.config, what: '--config' }, { path: paths.weights, what: '--weights' }, { path: paths.data, what: '--data' }]);
  const [configText, weightBytes, dataBytes] = await Promise.all([
    readText(paths.config, '--config', MAX_JSON_BYTES),
    readSafetensorsFile(paths.weights, '--weights'),
    readSafetensorsFile(paths.data, '--data'),
  ]);
  const model = parseModelConfig(configText, paths.config);
  const weights = checkModelWeights(parseSafetensors(weightBytes, { source: paths.weights }).tensors, model, paths.weights);
  const batch = checkBatch(parseSafetensors(dataBytes, { source: paths.data }).tensors, model, paths.data);
  return { model, weights, batch, args, outPath: paths.out };
}
