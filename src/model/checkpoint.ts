/**
 * Training checkpoints as one safetensors file: every model parameter under its prefixed PyTorch
 * name, the optimizer's state slots, and JSON metadata (format, model config, optimizer kind/step/lr/
 * options, the caller's training position). Host-agnostic bytes in and out; writing them atomically
 * is src/model/checkpoint-file.ts's job (Node).
 */
import { WebRnnError } from '../errors.js';
import type { SequenceModel, SequenceModelConfig } from './sequence-model.js';
import { sequenceModelSpecs } from './sequence-model.js';
import type { Optimizer, OptimizerState } from '../optim/optimizer.js';
import { parseSafetensors, serializeSafetensors, toFloat32, type SafeTensor } from '../formats/safetensors.js';

export const CHECKPOINT_FORMAT = 'webrnn-checkpoint/1';

/** JSON-serialisable training position (step, epoch, data cursor, RNG state, best loss …). */
export type TrainingPosition = Record<string, unknown>;

export interface Checkpoint {
  config: SequenceModelConfig;
  params: Record<string, Float32Array>;
  /** restore with {@link restoreCheckpoint} */
  modelState: { dropout: { seed: number; calls: number } };
  optimizer?: OptimizerState;
  position: TrainingPosition;
}

/** `optimizer.<slot>.<block>`: the block index in canonical decimal (no sign, no leading zeros). */
const SLOT = /^optimizer\.([a-z_]+)\.(0|[1-9][0-9]{0,8})$/;
/** The state slots each optimizer kind may hold (torch's names). */
const SLOTS_OF: Record<OptimizerState['kind'], readonly string[]> = {
  SGD: ['momentum_buffer'],
  Adam: ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'],
  AdamW: ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'],
  Adagrad: ['sum'],
};

/**
 * Reads the model (and optimizer) back from the GPU and encodes a checkpoint.
 *
 * @example
 * const bytes = await checkpointBytes(model, opt, { step: 1200, epoch: 3 });
 * await writeFileAtomic('run/checkpoint.safetensors', bytes);
 */
export async function checkpointBytes(model: SequenceModel, optimizer: Optimizer | undefined, position: TrainingPosition): Promise<Uint8Array> {
  const tensors: Record<string, SafeTensor> = {};
  const specs = sequenceModelSpecs(model.config);
  const params = await model.stateDict();
  for (const s of specs) tensors[s.name] = { dtype: 'F32', shape: [...s.shape], data: params[s.name] };
  const meta: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    model: JSON.stringify(model.config),
    // the dropout mask stream, so a resumed run draws the masks the uninterrupted one would have
    model_state: JSON.stringify({ dropout: model.rnn.dropoutState }),
    position: JSON.stringify(position),
  };
  if (optimizer) {
    const st = await optimizer.state();
    meta.optimizer = JSON.stringify({ kind: st.kind, step: st.step, lr: st.lr, options: st.options });
    for (const [slot, arrays] of Object.entries(st.slots)) {
      arrays.forEach((a, i) => (tensors[`optimizer.${slot}.${i}`] = { dtype: 'F32', shape: [a.length], data: a }));
    }
  }
  return serializeSafetensors(tensors, meta);
}

function json(meta: Record<string, string>, key: string): unknown {
  const text = meta[key];
  if (text === undefined) throw new WebRnnError('BAD_FILE', `checkpoint: metadata has no "${key}"`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new WebRnnError('BAD_FILE', `checkpoint: metadata "${key}" is not valid JSON (${(e as Error).message})`);
  }
}

/** A float tensor of the file as float32; an integer dtype is a bad file, not a bad argument. */
function floats(t: SafeTensor, name: string, source: string): Float32Array {
  try {
    return toFloat32(t, name);
  } catch (e) {
    if (e instanceof WebRnnError) throw new WebRnnError('BAD_FILE', `${source}: ${e.message}`);
    throw e;
  }
}

/**
 * Decodes and checks a checkpoint (untrusted bytes): the format tag, the model config, every parameter
 * present with its exact shape, optimizer slots consistent. Nothing touches the GPU.
 */
export function parseCheckpoint(bytes: Uint8Array, source = 'checkpoint'): Checkpoint {
  const file = parseSafetensors(bytes, { source, copy: true });
  const meta = file.metadata ?? {};
  if (meta.format !== CHECKPOINT_FORMAT) throw new WebRnnError('BAD_FILE', `${source}: not a webrnn checkpoint (format ${JSON.stringify(meta.format)}, expected ${CHECKPOINT_FORMAT})`);
  const config = json(meta, 'model') as SequenceModelConfig;
  let specs;
  try {
    specs = sequenceModelSpecs(config);
  } catch (e) {
    if (e instanceof WebRnnError) throw new WebRnnError('BAD_FILE', `${source}: model config: ${e.message}`);
    throw e;
  }
  const ms = json(meta, 'model_state') as { dropout?: { seed?: unknown; calls?: unknown } };
  const u32 = (n: unknown) => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xffffffff;
  if (ms === null || typeof ms !== 'object' || !ms.dropout || !u32(ms.dropout.seed) || !u32(ms.dropout.calls)) {
    throw new WebRnnError('BAD_FILE', `${source}: model_state must be {"dropout": {"seed": <u32>, "calls": <u32>}}`);
  }
  const position = json(meta, 'position');
  if (position === null || typeof position !== 'object' || Array.isArray(position)) throw new WebRnnError('BAD_FILE', `${source}: position must be a JSON object`);
  const params: Record<string, Float32Array> = Object.create(null) as Record<string, Float32Array>;
  for (const s of specs) {
    const t = file.tensors.get(s.name);
    if (!t) throw new WebRnnError('BAD_FILE', `${source}: missing parameter ${s.name}`);
    if (t.shape.length !== s.shape.length || t.shape.some((d, i) => d !== s.shape[i])) {
      throw new WebRnnError('BAD_FILE', `${source}: parameter ${s.name} has shape [${t.shape.join(', ')}], expected [${s.shape.join(', ')}]`);
    }
    params[s.name] = floats(t, s.name, source);
  }
  const known = new Set(specs.map((s) => s.name));
  // A Map, not an object: slot names come from the file and must not reach Object.prototype.
  const slotTensors = new Map<string, Map<number, { name: string; t: SafeTensor }>>();
  for (const [name, t] of file.tensors) {
    if (known.has(name)) continue;
    const m = SLOT.exec(name);
    if (!m) throw new WebRnnError('BAD_FILE', `${source}: unexpected tensor ${JSON.stringify(name)}`);
    const block = Number(m[2]);
    if (!slotTensors.has(m[1])) slotTensors.set(m[1], new Map());
    slotTensors.get(m[1])!.set(block, { name, t });
  }
  let optimizer: OptimizerState | undefined;
  if (meta.optimizer !== undefined) {
    const o = json(meta, 'optimizer') as Record<string, unknown>;
    const bad = (m: string) => new WebRnnError('BAD_FILE', `${source}: optimizer metadata: ${m}`);
    if (o === null || typeof o !== 'object' || Array.isArray(o)) throw bad('must be an object {kind, step, lr, options}');
    const kind = o.kind as OptimizerState['kind'];
    if (!Object.hasOwn(SLOTS_OF, kind as string)) throw bad(`kind must be ${Object.keys(SLOTS_OF).join(', ')}, got ${JSON.stringify(o.kind)}`);
    if (typeof o.step !== 'number' || !Number.isSafeInteger(o.step) || o.step < 0) throw bad(`step must be an integer ≥ 0, got ${JSON.stringify(o.step)}`);
    if (typeof o.lr !== 'number' || !Number.isFinite(o.lr) || o.lr < 0) throw bad(`lr must be a finite number ≥ 0, got ${JSON.stringify(o.lr)}`);
    if (o.options === null || typeof o.options !== 'object' || Array.isArray(o.options)) throw bad(`options must be an object, got ${JSON.stringify(o.options)}`);
    const slots: Record<string, Float32Array[]> = Object.create(null) as Record<string, Float32Array[]>;
    // Every slot holds one 1-D tensor per optimized block, blocks 0..n−1, the same sizes in every slot.
    // (Which blocks they are is the optimizer's business: loadState checks the sizes against it.)
    let sizes: number[] | undefined;
    for (const [slot, blocks] of slotTensors) {
      if (!SLOTS_OF[kind].includes(slot)) throw new WebRnnError('BAD_FILE', `${source}: ${kind} has no state slot "${slot}" (it has ${SLOTS_OF[kind].join(', ')})`);
      const arrays: Float32Array[] = [];
      for (let i = 0; i < blocks.size; i++) {
        const e = blocks.get(i);
        if (!e) throw new WebRnnError('BAD_FILE', `${source}: optimizer slot ${slot} is missing block ${i}`);
        if (e.t.shape.length !== 1) throw new WebRnnError('BAD_FILE', `${source}: ${e.name} has shape [${e.t.shape.join(', ')}]; optimizer slots are 1-D`);
        if (sizes && (sizes.length !== blocks.size || sizes[i] !== e.t.shape[0])) throw new WebRnnError('BAD_FILE', `${source}: optimizer slots disagree on the blocks' sizes (${e.name} has ${e.t.shape[0]} values)`);
        arrays.push(floats(e.t, e.name, source));
      }
      sizes ??= arrays.map((a) => a.length);
      slots[slot] = arrays;
    }
    optimizer = { kind, step: o.step, lr: o.lr, options: o.options as OptimizerState['options'], slots: { ...slots } };
  } else if (slotTensors.size) {
    throw new WebRnnError('BAD_FILE', `${source}: optimizer tensors without optimizer metadata`);
  }
  return { config, params: { ...params }, modelState: { dropout: { seed: ms.dropout.seed as number, calls: ms.dropout.calls as number } }, optimizer, position: position as TrainingPosition };
}

/**
 * Puts a checkpoint's parameters, model state and (when given) optimizer state back on the GPU.
 *
 * @example
 * const c = await loadCheckpoint('runs/lm/checkpoint.safetensors');
 * const model = new SequenceModel(engine, c.config);
 * const opt = new Adam(engine, model.blocks(), { lr: 1e-3 });
 * restoreCheckpoint(c, model, opt);
 */
export function restoreCheckpoint(c: Checkpoint, model: SequenceModel, optimizer?: Optimizer): void {
  // Everything is checked before anything is restored: a mismatch leaves model and optimizer as they were.
  if (c === null || typeof c !== 'object' || !c.params || !c.modelState) throw new WebRnnError('BAD_VALUE', 'restoreCheckpoint needs a checkpoint from parseCheckpoint/loadCheckpoint');
  if (optimizer) {
    if (!c.optimizer) throw new WebRnnError('BAD_STATE', 'this checkpoint has no optimizer state');
    optimizer.validateState(c.optimizer);
  }
  const d = c.modelState.dropout;
  const u32 = (n: unknown) => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xffffffff;
  if (!d || !u32(d.seed) || !u32(d.calls)) throw new WebRnnError('BAD_VALUE', `checkpoint model_state.dropout must be { seed, calls } with integers in [0, 2³²), got ${JSON.stringify(d)}`);
  model.loadStateDict(c.params);
  model.rnn.dropoutState = d;
  if (optimizer) optimizer.loadState(c.optimizer!);
}
