/**
 * A run folder written by `webrnn train` — checkpoint.safetensors, vocab.json, model.json — read and
 * checked on the CPU ({@link readRunFolder}), then turned into a ready {@link CharLm} on an engine
 * ({@link openCharLm}). Shared by `webrnn sample` and `webrnn eval`: every problem with the folder is
 * a one-line error naming the file, found before any GPU work.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { RecurrentMode } from '../layers/recurrent-config.js';
import { lowerChars } from '../data/tokenizer.js';
import { Vocab } from '../data/vocab.js';
import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { parseCheckpoint, type Checkpoint } from '../model/checkpoint.js';
import { CHAR_LM_DEFAULTS, CharLm, checkCharLmSettings, type CharLmSettings } from '../tasks/char-lm.js';
import { MAX_JSON_BYTES, readSafetensorsFile } from '../formats/file-read.js';
import { readText } from './files.js';

export const CHECKPOINT_FILE = 'checkpoint.safetensors';
export const VOCAB_FILE = 'vocab.json';
export const MODEL_FILE = 'model.json';

/** A run folder's contents, checked and consistent with each other. */
export interface RunFolder {
  /** absolute path of the folder */
  dir: string;
  settings: CharLmSettings;
  vocab: Vocab;
  checkpoint: Checkpoint;
  /** the checkpoint file's bytes (CharLm.restore reads them) */
  checkpointBytes: Uint8Array;
  /** optimizer steps the checkpoint was trained for */
  step: number;
}

const CELLS: readonly RecurrentMode[] = ['LSTM', 'GRU', 'RNN_TANH', 'RNN_RELU'];

function bad(path: string, message: string): never {
  throw new WebRnnError('BAD_FILE', `${path}: ${message}`);
}

function parseJson(path: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    return bad(path, `not valid JSON (${(e as Error).message})`);
  }
}

/** The most token slots one training window (batch × (bptt + 1)) may have: its ids are an Int32Array and i32 offsets. */
const MAX_WINDOW = 2 ** 31 - 1;

/**
 * Sizes model.json's settings imply, checked before any model is built: the window batch × (bptt + 1),
 * and the model and optimizer `webrnn train` would build from them (layers, parameters, lr).
 */
function checkSizes(path: string, s: CharLmSettings, V: number): void {
  if (s.batch * (s.bptt + 1) > MAX_WINDOW) bad(path, `settings.batch ${s.batch} × (settings.bptt ${s.bptt} + 1) = ${s.batch * (s.bptt + 1)} token slots, more than ${MAX_WINDOW}`);
  try {
    checkCharLmSettings(V, s);
  } catch (e) {
    if (e instanceof WebRnnError) bad(path, `settings: ${e.message}`);
    throw e;
  }
}

/** model.json's `settings`: every CharLm setting, with the type and range `webrnn train` allows. */
function checkSettings(path: string, value: unknown): CharLmSettings {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) bad(path, 'has no "settings" object (is it a model.json written by webrnn train?)');
  const s = value as Record<string, unknown>;
  for (const k of Object.keys(CHAR_LM_DEFAULTS) as (keyof CharLmSettings)[]) {
    const v = s[k];
    if (k === 'cell') {
      if (!CELLS.includes(v as RecurrentMode)) bad(path, `settings.cell must be one of ${CELLS.join(', ')}, got ${JSON.stringify(v)}`);
      continue;
    }
    const int = k === 'hidden' || k === 'layers' || k === 'embedding' || k === 'batch' || k === 'bptt';
    const ok = typeof v === 'number' && Number.isFinite(v) && (int ? Number.isInteger(v) && v >= 1 : k === 'seed' ? Number.isInteger(v) && v >= 0 : k === 'dropout' ? v >= 0 && v < 1 : v > 0);
    if (!ok) bad(path, `settings.${k} is ${JSON.stringify(v)}, not a valid value`);
  }
  const unknown = Object.keys(s).filter((k) => !(k in CHAR_LM_DEFAULTS));
  if (unknown.length) bad(path, `settings has unknown keys ${unknown.map((k) => JSON.stringify(k)).join(', ')}`);
  // Key order as CharLm builds it, so comparisons with the checkpoint's copy are exact.
  return Object.fromEntries(Object.keys(CHAR_LM_DEFAULTS).map((k) => [k, s[k]])) as unknown as CharLmSettings;
}

/** The settings in a run folder's model.json, checked (WebRnnError BAD_FILE naming the file otherwise). */
export async function readRunSettings(modelPath: string): Promise<CharLmSettings> {
  const model = parseJson(modelPath, await readText(modelPath, MODEL_FILE, MAX_JSON_BYTES)) as { settings?: unknown } | null;
  if (model === null || typeof model !== 'object' || Array.isArray(model)) bad(modelPath, 'must hold a JSON object with "settings"');
  return checkSettings(modelPath, model.settings);
}

async function requireFile(dir: string, name: string, hint: string): Promise<string> {
  const path = join(dir, name);
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new WebRnnError('BAD_FILE', `${dir} has no ${name}${hint}`);
  if (!st.isFile()) throw new WebRnnError('BAD_FILE', `${path} is not a file`);
  return path;
}

/**
 * Reads and checks a run folder (CPU only): the three files exist and parse, the vocabulary is a
 * character vocabulary, and the checkpoint was made by this folder's settings and vocabulary.
 * `what` names the option in messages (e.g. "--model").
 */
export async function readRunFolder(dirArg: string, what = '--model'): Promise<RunFolder> {
  const dir = resolve(dirArg);
  const st = await stat(dir).catch(() => undefined);
  if (!st) throw new WebRnnError('BAD_FILE', `${what} ${dirArg}: no such folder (a run folder of webrnn train, e.g. runs/brown-char)`);
  if (!st.isDirectory()) throw new WebRnnError('BAD_FILE', `${what} ${dirArg}: not a folder (give the run folder of webrnn train, which holds ${CHECKPOINT_FILE}, ${VOCAB_FILE} and ${MODEL_FILE})`);
  const trainHint = ` — is it a run folder of webrnn train (webrnn train --out ${dirArg})?`;
  const modelPath = await requireFile(dir, MODEL_FILE, trainHint);
  const vocabPath = await requireFile(dir, VOCAB_FILE, trainHint);
  const ckptPath = await requireFile(dir, CHECKPOINT_FILE, ` yet: training saves it every --checkpoint-every steps, at the end and on Ctrl-C (webrnn train --out ${dirArg})`);

  const settings = await readRunSettings(modelPath);

  let vocab: Vocab;
  try {
    vocab = Vocab.fromJSON(parseJson(vocabPath, await readText(vocabPath, VOCAB_FILE, MAX_JSON_BYTES)) as never);
  } catch (e) {
    if (e instanceof WebRnnError && !e.message.startsWith(vocabPath)) bad(vocabPath, e.message.replace(/^vocabulary JSON: /, ''));
    throw e;
  }
  if (vocab.level !== 'char') bad(vocabPath, `is a ${vocab.level}-level vocabulary; this command needs the character model of webrnn train`);
  checkSizes(modelPath, settings, vocab.size);

  const checkpointBytes = await readSafetensorsFile(ckptPath, CHECKPOINT_FILE);
  const checkpoint = parseCheckpoint(checkpointBytes, ckptPath);
  const pos = checkpoint.position as { settings?: unknown; vocab?: unknown; step?: unknown };
  if (pos.settings === undefined || pos.vocab === undefined) bad(ckptPath, 'is a webrnn checkpoint, but not of webrnn train (its position has no settings or vocabulary)');
  if (JSON.stringify(pos.settings) !== JSON.stringify(settings)) {
    bad(ckptPath, `was trained with other settings than ${MODEL_FILE} says (${JSON.stringify(pos.settings)}); the folder mixes two runs`);
  }
  if (JSON.stringify(pos.vocab) !== JSON.stringify(vocab.toJSON())) bad(ckptPath, `was trained with another vocabulary than ${VOCAB_FILE}; the folder mixes two runs`);
  const V = checkpoint.config.embedding?.num_embeddings;
  if (V !== vocab.size) bad(ckptPath, `has an embedding for ${V} symbols, ${VOCAB_FILE} has ${vocab.size}`);
  const step = typeof pos.step === 'number' ? pos.step : 0;
  return { dir, settings, vocab, checkpoint, checkpointBytes, step };
}

/**
 * The run folder's model on `engine`, in evaluation mode, ready for {@link CharLm.evaluate},
 * {@link CharLm.sample} or a Generator over `lm.model`. Dispose it when done.
 */
export function openCharLm(engine: Engine, run: RunFolder): CharLm {
  const { batch, bptt } = run.settings;
  // CharLm sizes its training windows from the training ids; inference never reads them, so a
  // placeholder of one window's length stands in for the training text.
  const lm = new CharLm(engine, run.vocab, new Int32Array(batch * (bptt + 1)), run.settings);
  try {
    lm.restore(run.checkpointBytes, join(run.dir, CHECKPOINT_FILE));
  } catch (e) {
    lm.dispose();
    throw e;
  }
  lm.model.eval();
  return lm;
}

/** The characters of `text` that `vocab` has no id for (distinct, in order of appearance). */
export function unknownCharacters(vocab: Vocab, text: string): string[] {
  const seen = new Set<string>();
  for (const ch of vocab.lowercase ? lowerChars(text) : text) if (!vocab.has(ch)) seen.add(ch);
  return [...seen];
}

/** A list of characters for a message: JSON-quoted (so a tab or newline is visible), at most `max`. */
export function quoteChars(chars: readonly string[], max = 20): string {
  const shown = chars.slice(0, max).map((c) => JSON.stringify(c));
  return shown.join(', ') + (chars.length > max ? ` and ${chars.length - max} more` : '');
}
