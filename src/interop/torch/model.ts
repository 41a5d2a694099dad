/**
 * PyTorch state_dicts (saved as safetensors) of whole models — embedding → nn.RNN/GRU/LSTM → nn.Linear,
 * with whatever attribute names the module used — read into a {@link SequenceModel} config plus weights,
 * and written back under the original names and dtypes, so `model.load_state_dict` accepts the file.
 *
 * A state_dict holds tensors, not the module's code, so the structure is read from names and shapes:
 * the recurrent layer from `<prefix>weight_ih_l{k}[_reverse]` & co (cell from the gate count: 4 LSTM,
 * 3 GRU, 1 RNN), the embedding as the 2-D `<name>.weight` without bias whose width is the RNN's input
 * size, the linear head as the `<name>.weight` (+ `.bias`) whose width is the RNN's output width D·H.
 * What names and shapes cannot say (tanh or relu RNN, loss, target) comes from options.
 */
import { gateCount, parameterSpecs, resolveConfig, type RecurrentConfig, type RecurrentMode } from '../../layers/recurrent-config.js';
import { WebRnnError } from '../../errors.js';
import type { Engine } from '../../gpu/engine.js';
import { SequenceModel, sequenceModelSpecs, type SequenceLoss, type SequenceModelConfig, type SequenceTarget } from '../../model/sequence-model.js';
import { parseSafetensors, serializeSafetensors, toFloat32, type SafeTensor } from '../../formats/safetensors.js';
import { encodeFloats, type TorchFloatDtype } from './dtypes.js';

/** Module prefixes of the three parts in the original state_dict ('' for a bare nn.LSTM's names). */
export interface TorchModelNames {
  embedding?: string;
  rnn: string;
  linear?: string;
}

export interface TorchImportOptions {
  /** nn.RNN's nonlinearity, which a state_dict does not record (default 'tanh'). */
  nonlinearity?: 'tanh' | 'relu';
  /** Module prefixes (e.g. { embedding: 'emb', rnn: 'encoder', linear: 'head' }) when the guess is ambiguous. */
  names?: Partial<TorchModelNames>;
  /** For the {@link SequenceModel} config (default 'cross_entropy'; only training uses it). */
  loss?: SequenceLoss;
  /** Where the head predicts (default 'all_steps'). */
  target?: SequenceTarget;
}

/** A PyTorch state_dict read for webrnn. */
export interface TorchStateDict {
  /** The recurrent layer's config (PyTorch's constructor arguments; batch_first is not recorded: false). */
  rnn: RecurrentConfig;
  /** The whole model's config, when the state_dict has a linear head (what {@link SequenceModel} needs). */
  model: SequenceModelConfig | undefined;
  names: TorchModelNames;
  /** float32 weights under webrnn's names: embedding.weight, rnn.weight_ih_l0, …, linear.bias (whole model) or weight_ih_l0, … (bare RNN). */
  weights: Record<string, Float32Array>;
  /** Per webrnn name: the original name, shape and dtype. */
  original: Map<string, { name: string; shape: number[]; dtype: TorchFloatDtype }>;
}

const RNN_PARAM = /^(?:(.*)\.)?(weight_ih|weight_hh|bias_ih|bias_hh|weight_ph|weight_hr)_l(\d+)(_reverse)?$/;
const FLOAT_DTYPES: readonly string[] = ['F32', 'F16', 'BF16', 'F64'];

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

/**
 * Reads a PyTorch state_dict (a parsed safetensors file, or its bytes) of a bare recurrent module or of
 * an embedding → recurrent → linear model. Throws WebRnnError('BAD_FILE') naming any tensor that does
 * not fit (with what would). An LSTM with `weight_hr_l*` tensors is read with its proj_size.
 *
 * @example
 * const sd = readTorchStateDict(readFileSync('model.safetensors'));
 * const model = new SequenceModel(engine, sd.model!);
 * model.loadStateDict(sd.weights);
 */
export function readTorchStateDict(file: Uint8Array | Map<string, SafeTensor>, opts: TorchImportOptions = {}): TorchStateDict {
  const tensors = file instanceof Uint8Array ? parseSafetensors(file, { source: 'state_dict' }).tensors : file;
  for (const [name, t] of tensors) {
    if (!FLOAT_DTYPES.includes(t.dtype)) throw new WebRnnError('BAD_FILE', `state_dict: "${name}" has dtype ${t.dtype}; parameters must be F32, F16, BF16 or F64`);
  }
  const rnnPrefix = findRnnPrefix(tensors, opts.names?.rnn);
  const p = rnnPrefix ? `${rnnPrefix}.` : '';
  const rnn = recurrentConfigOf(tensors, p, opts.nonlinearity ?? 'tanh');
  const D = rnn.bidirectional ? 2 : 1;
  const W = D * (rnn.proj_size || rnn.hidden_size); // the recurrent layer's output width
  const rnnNames = new Set(parameterSpecs(rnn).map((s) => p + s.name));

  // Everything else, grouped by module: prefix → leaf names.
  const modules = new Map<string, Map<string, SafeTensor>>();
  for (const [name, t] of tensors) {
    if (rnnNames.has(name)) continue;
    const dot = name.lastIndexOf('.');
    const mod = dot < 0 ? '' : name.slice(0, dot);
    if (!modules.has(mod)) modules.set(mod, new Map());
    modules.get(mod)!.set(name.slice(dot + 1), t);
  }
  const isEmbedding = (m: Map<string, SafeTensor>) => m.size === 1 && m.get('weight')?.shape.length === 2 && m.get('weight')!.shape[1] === rnn.input_size;
  const isLinear = (m: Map<string, SafeTensor>) => {
    const w = m.get('weight');
    const b = m.get('bias');
    if (!w || w.shape.length !== 2 || w.shape[1] !== W) return false;
    return m.size === 1 || (m.size === 2 && b !== undefined && b.shape.length === 1 && b.shape[0] === w.shape[0]);
  };
  // A bias-free linear head is also embedding-shaped when input_size = D·H: then names must say which is which.
  const pick = (role: 'embedding' | 'linear', test: (m: Map<string, SafeTensor>) => boolean, exclude?: string): string | undefined => {
    const given = opts.names?.[role];
    if (given !== undefined) {
      const m = modules.get(given);
      if (!m || !test(m)) throw new WebRnnError('BAD_FILE', `state_dict: names.${role} = "${given}" does not name ${role === 'embedding' ? `an embedding ("${given}.weight" of shape [V, ${rnn.input_size}])` : `a linear head ("${given}.weight" of shape [O, ${W}], optional "${given}.bias")`}`);
      return given;
    }
    const found = [...modules].filter(([k, m]) => k !== exclude && k !== opts.names?.embedding && test(m)).map(([k]) => k);
    if (found.length > 1) {
      throw new WebRnnError('BAD_FILE', `state_dict: ${found.map((f) => `"${f}"`).join(' and ')} could each be the ${role}; say which with names.${role}`);
    }
    return found[0];
  };
  const linear = pick('linear', isLinear);
  const embedding = pick('embedding', isEmbedding, linear);
  const unused = [...modules].filter(([k]) => k !== embedding && k !== linear).flatMap(([k, m]) => [...m.keys()].map((leaf) => (k ? `${k}.${leaf}` : leaf)));
  if (unused.length) {
    throw new WebRnnError('BAD_FILE', `state_dict: ${unused.map((u) => `"${u}" ${fmt(tensors.get(u)!.shape)}`).join(', ')} ${unused.length > 1 ? 'are' : 'is'} not part of an embedding → ${rnn.mode} → linear model (recurrent layer "${rnnPrefix}": input_size ${rnn.input_size}, output width ${W})`);
  }
  if (embedding !== undefined && linear === undefined) {
    throw new WebRnnError('BAD_FILE', `state_dict: has an embedding ("${embedding}") but no linear head of width ${W}; webrnn's SequenceModel is embedding → RNN → linear`);
  }

  const weights: Record<string, Float32Array> = {};
  const original: TorchStateDict['original'] = new Map();
  const take = (ours: string, theirs: string) => {
    const t = tensors.get(theirs)!;
    weights[ours] = toFloat32(t, theirs);
    original.set(ours, { name: theirs, shape: [...t.shape], dtype: t.dtype as TorchFloatDtype });
  };
  const whole = linear !== undefined;
  let model: SequenceModelConfig | undefined;
  if (whole) {
    const lw = modules.get(linear!)!.get('weight')!;
    model = {
      embedding: embedding === undefined ? null : { num_embeddings: modules.get(embedding)!.get('weight')!.shape[0], embedding_dim: rnn.input_size },
      rnn,
      linear: { in_features: W, out_features: lw.shape[0], bias: modules.get(linear!)!.has('bias') },
      loss: opts.loss ?? 'cross_entropy',
      target: opts.target ?? 'all_steps',
    };
    sequenceModelSpecs(model);
  }
  // In webrnn's parameter order: embedding, the RNN's parameterSpecs, linear weight and bias.
  const dotted = (mod: string, leaf: string) => (mod ? `${mod}.${leaf}` : leaf);
  if (embedding !== undefined) take('embedding.weight', dotted(embedding, 'weight'));
  for (const s of parameterSpecs(rnn)) take(whole ? `rnn.${s.name}` : s.name, p + s.name);
  if (linear !== undefined) for (const leaf of modules.get(linear)!.keys()) take(`linear.${leaf}`, dotted(linear, leaf));
  return { rnn, model, names: { rnn: rnnPrefix, ...(embedding !== undefined ? { embedding } : {}), ...(linear !== undefined ? { linear } : {}) }, weights, original };
}

function findRnnPrefix(tensors: Map<string, SafeTensor>, given: string | undefined): string {
  const prefixes = new Set<string>();
  for (const name of tensors.keys()) {
    const m = RNN_PARAM.exec(name);
    if (m) prefixes.add(m[1] ?? '');
  }
  if (given !== undefined) {
    if (!prefixes.has(given)) throw new WebRnnError('BAD_FILE', `state_dict: names.rnn = "${given}" has no "${given ? `${given}.` : ''}weight_ih_l0"`);
    return given;
  }
  if (prefixes.size === 0) throw new WebRnnError('BAD_FILE', 'state_dict: no recurrent layer (no tensor named like weight_ih_l0 / <module>.weight_ih_l0)');
  if (prefixes.size > 1) throw new WebRnnError('BAD_FILE', `state_dict: several recurrent modules (${[...prefixes].map((s) => `"${s}"`).join(', ')}); webrnn's SequenceModel has one — say which with names.rnn`);
  return [...prefixes][0];
}

/** The nn.RNN/GRU/LSTM constructor arguments its state_dict implies. */
function recurrentConfigOf(tensors: Map<string, SafeTensor>, p: string, nonlinearity: 'tanh' | 'relu'): RecurrentConfig {
  const shape = (n: string) => tensors.get(p + n)?.shape;
  const hh = shape('weight_hh_l0');
  const ih = shape('weight_ih_l0');
  if (!hh || !ih || hh.length !== 2 || ih.length !== 2) throw new WebRnnError('BAD_FILE', `state_dict: "${p}weight_ih_l0" and "${p}weight_hh_l0" must be 2-D`);
  // A projected LSTM's weight_hh is (4H, proj_size); its weight_hr (proj_size, H) gives both.
  const hr = shape('weight_hr_l0');
  if (hr && hr.length !== 2) throw new WebRnnError('BAD_FILE', `state_dict: "${p}weight_hr_l0" must be 2-D (proj_size, hidden_size), got ${fmt(hr)}`);
  const H = hr ? hr[1] : hh[1];
  const G = hh[0] / H;
  const mode: RecurrentMode | undefined = G === 4 ? 'LSTM' : G === 3 ? 'GRU' : G === 1 ? (nonlinearity === 'relu' ? 'RNN_RELU' : 'RNN_TANH') : undefined;
  if (!mode || !Number.isInteger(G)) throw new WebRnnError('BAD_FILE', `state_dict: "${p}weight_hh_l0" has shape ${fmt(hh)}: rows must be 1, 3 or 4 × hidden_size (RNN, GRU, LSTM)`);
  let L = 0;
  while (tensors.has(`${p}weight_ih_l${L}`)) L++;
  const config: RecurrentConfig = {
    mode,
    input_size: ih[1],
    hidden_size: H,
    num_layers: L,
    bias: tensors.has(`${p}bias_ih_l0`),
    bidirectional: tensors.has(`${p}weight_ih_l0_reverse`),
    ...(tensors.has(`${p}weight_ph_l0`) ? { peephole: true } : {}),
    ...(hr ? { proj_size: hr[0] } : {}),
  };
  try {
    resolveConfig(config);
  } catch (e) {
    // e.g. a weight_hr on a GRU, or proj_size ≥ hidden_size
    if (e instanceof WebRnnError) throw new WebRnnError('BAD_FILE', `state_dict: ${e.message} (from the shapes of "${p}weight_hh_l0" ${fmt(hh)} and "${p}weight_hr_l0" ${fmt(hr ?? [])})`);
    throw e;
  }
  // Every expected tensor with its exact shape; anything else with the RNN's prefix is an error.
  const specs = parameterSpecs(config);
  for (const s of specs) {
    const t = tensors.get(p + s.name);
    if (!t) throw new WebRnnError('BAD_FILE', `state_dict: missing "${p}${s.name}" of shape ${fmt(s.shape)} for a ${describe(config)}`);
    if (t.shape.join() !== s.shape.join()) throw new WebRnnError('BAD_FILE', `state_dict: "${p}${s.name}" has shape ${fmt(t.shape)}, expected ${fmt(s.shape)} for a ${describe(config)}`);
  }
  const expected = new Set(specs.map((s) => p + s.name));
  for (const name of tensors.keys()) {
    if (RNN_PARAM.test(name) && (RNN_PARAM.exec(name)![1] ?? '') === (p ? p.slice(0, -1) : '') && !expected.has(name)) {
      throw new WebRnnError('BAD_FILE', `state_dict: unexpected "${name}" for a ${describe(config)}`);
    }
  }
  return config;
}

function describe(c: RecurrentConfig): string {
  return `${c.mode} with input_size ${c.input_size}, hidden_size ${c.hidden_size}, num_layers ${c.num_layers}${c.bidirectional ? ', bidirectional' : ''}${c.bias === false ? ', bias=False' : ''}${c.proj_size ? `, proj_size ${c.proj_size}` : ''} (gates ${gateCount(c.mode)})`;
}

/**
 * Weights under webrnn's names → the original state_dict: names, shapes and dtypes as they were read
 * (F16/BF16 rounded to nearest even, which gives back the original bits for untouched weights).
 */
export function writeTorchStateDict(weights: Record<string, Float32Array>, from: TorchStateDict): Map<string, SafeTensor> {
  const out = new Map<string, SafeTensor>();
  for (const [ours, o] of from.original) {
    const w = weights[ours];
    if (!w) throw new WebRnnError('BAD_STATE', `writeTorchStateDict: no weight "${ours}" (for "${o.name}")`);
    if (w.length !== o.shape.reduce((a, b) => a * b, 1)) throw new WebRnnError('BAD_SHAPE', `writeTorchStateDict: "${ours}" has ${w.length} values, "${o.name}" needs ${fmt(o.shape)}`);
    out.set(o.name, encodeFloats(w, [...o.shape], o.dtype));
  }
  const extra = Object.keys(weights).filter((k) => !from.original.has(k));
  if (extra.length) throw new WebRnnError('BAD_STATE', `writeTorchStateDict: weights ${extra.join(', ')} have no place in the original state_dict`);
  return out;
}

/**
 * Loads a whole-model state_dict into a new {@link SequenceModel} on `engine`.
 *
 * @example
 * const { model, torch } = loadTorchModel(engine, readFileSync('model.safetensors'), { target: 'last_step' });
 * const logits = await model.predict({ B: 2, T: 3, tokens: Int32Array.of(1, 2, 3, 4, 5, 6) }).read(); // (B, T) ids
 * writeFileSync('trained.safetensors', await exportTorchModel(model, torch)); // PyTorch's names and dtypes
 */
export function loadTorchModel(engine: Engine, file: Uint8Array | Map<string, SafeTensor>, opts: TorchImportOptions = {}): { model: SequenceModel; torch: TorchStateDict } {
  const torch = readTorchStateDict(file, opts);
  if (!torch.model) throw new WebRnnError('BAD_FILE', `state_dict: a bare ${torch.rnn.mode} without a linear head; load it with new Recurrent(engine, config).loadStateDict(weights)`);
  const model = new SequenceModel(engine, torch.model);
  try {
    model.loadStateDict(torch.weights);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, torch };
}

/** The model's current parameters as safetensors bytes under the original PyTorch names and dtypes. */
export async function exportTorchModel(model: SequenceModel, torch: TorchStateDict): Promise<Uint8Array> {
  return serializeSafetensors(writeTorchStateDict(await model.stateDict(), torch), { format: 'pt' });
}
