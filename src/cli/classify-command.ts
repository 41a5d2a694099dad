/**
 * `webrnn classify train` trains the Brown genre classifier (many-to-one GRU over a passage);
 * `webrnn classify "TEXT"` prints the most probable genres of a text.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readBrown } from '../data/brown.node.js';
import { createEngine, type Engine } from '../gpu/engine.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { GENRE_DEFAULTS, GENRE_LETTERS, GENRES, GenreClassifier, type GenreMetrics, type GenreSettings } from '../tasks/brown-genre.js';
import { splitBrown } from '../tasks/brown-split.js';
import { CHECKPOINT_FILE, checkTaskFolder, numberFlag, parseFlags, positiveInt, readModelFolder, resumeLine, runTraining, sameSettings, trainedLine, type Flags } from '../tasks/task-cli.node.js';
import { claimRunFolder } from './run-folder.js';
import { UsageError } from './usage-error.js';

const DEFAULT_DIR = join('runs', 'brown-genre');
const d = GENRE_DEFAULTS;
const GENRE_LIST = GENRE_LETTERS.map((g, i) => `${i % 3 ? '' : '  '}${g} ${GENRES[g]!.padEnd(i % 3 === 2 ? 0 : 22)}${i % 3 === 2 ? '\n' : ''}`).join('');

export const CLASSIFY_HELP = `Usage: webrnn classify "TEXT" [--model DIR] [--top N]
       webrnn classify train [options]

Genre classification on the Brown corpus (many-to-one): a GRU reads a passage word by word and
predicts, from its last step, the genre of the file it comes from. The 15 genres:
${GENRE_LIST}
webrnn classify "TEXT" prints the most probable genres of TEXT with their probabilities.
  --model DIR         model folder written by \`webrnn classify train\` [${DEFAULT_DIR}]
  --top N             how many genres to print [3]

webrnn classify train trains on passages (consecutive sentences of a file, at least
${d.passage_tokens} words) with every 10th file held out, and prints the held-out accuracy next to the
majority-class baseline. Options (defaults in brackets):
  --out DIR           model folder [${DEFAULT_DIR}]; holds ${CHECKPOINT_FILE}
  --fresh             ignore an existing checkpoint in --out and start over
  --minutes F         training time budget, summed over resumed runs [4]
  --steps N           stop after N optimizer steps instead (whichever comes first)
  --cell gru|lstm [${d.cell.toLowerCase()}]   --hidden N [${d.hidden}]   --embedding N [${d.embedding}]   --batch N [${d.batch}]   --lr F [${d.lr}]   --seed N [${d.seed}]
  --passage-words N   words per passage at least [${d.passage_tokens}] (at most ${d.max_len})
  --word-dropout F    chance a training word is shown as <UNK> [${d.word_dropout}]
  --subset N          train and evaluate on every N-th file only (quick runs) [1]
  --eval-every N      held-out accuracy on a sample of held-out passages every N steps [200]
  --checkpoint-every N  save every N steps [200] (and at the end, and on Ctrl-C)
  --debug             show stack traces on errors
  -h, --help          show this help

Ctrl-C (or SIGTERM, SIGHUP) stops after the current step with the checkpoint saved; the same command
resumes. The model folder is locked while training; --out must be new, empty or a folder of this command.
To classify the single word "train": webrnn classify -- train
`;

function settingsFrom(flags: Flags): Partial<GenreSettings> {
  const c = 'classify train';
  const s: Partial<GenreSettings> = {};
  const set = <K extends keyof GenreSettings>(k: K, v: GenreSettings[K] | undefined) => v !== undefined && (s[k] = v);
  const cell = flags.cell;
  if (cell !== undefined) {
    if (cell !== 'gru' && cell !== 'lstm') throw new UsageError(`classify train: --cell must be gru or lstm, got ${JSON.stringify(cell)}`);
    s.cell = cell === 'gru' ? 'GRU' : 'LSTM';
  }
  set('hidden', numberFlag(c, flags, 'hidden', positiveInt, 'a positive integer'));
  set('embedding', numberFlag(c, flags, 'embedding', positiveInt, 'a positive integer'));
  set('batch', numberFlag(c, flags, 'batch', positiveInt, 'a positive integer'));
  set('lr', numberFlag(c, flags, 'lr', (x) => x > 0, 'a positive number'));
  set('seed', numberFlag(c, flags, 'seed', (x) => Number.isInteger(x) && x >= 0, 'an integer ≥ 0'));
  set('passage_tokens', numberFlag(c, flags, 'passage-words', (x) => positiveInt(x) && x <= d.max_len, `an integer in 1..${d.max_len}`));
  set('word_dropout', numberFlag(c, flags, 'word-dropout', (x) => x >= 0 && x < 1, 'a number in [0, 1)'));
  return s;
}

/** The lines `webrnn classify train` ends with. */
export function accuracyLines(m: GenreMetrics, passageWords: number): string {
  return (
    `held-out accuracy: ${m.accuracy.toFixed(4)} (${m.passages.toLocaleString('en-US')} passages of ≥ ${passageWords} words, 15 genres)\n` +
    `majority-class baseline: ${m.majority_accuracy.toFixed(4)} (always "${m.majority}", ${GENRES[m.majority]})\n` +
    `held-out files: ${m.file_accuracy.toFixed(4)} of ${m.files} files right from the mean of their passages' probabilities (majority class: ${m.file_majority_accuracy.toFixed(4)})\n`
  );
}

/** Runs `webrnn classify …`; returns the exit status. */
export async function classifyCommand(args: string[], out: (s: string) => void): Promise<number> {
  const dashes = args.indexOf('--');
  const { flags, positionals } = parseFlags(
    'classify',
    args,
    ['model', 'top', 'out', 'minutes', 'steps', 'subset', 'eval-every', 'checkpoint-every', 'cell', 'hidden', 'embedding', 'batch', 'lr', 'seed', 'passage-words', 'word-dropout'],
    ['fresh'],
  );
  if (flags.help) {
    out(CLASSIFY_HELP);
    return 0;
  }
  const isTrain = positionals[0] === 'train' && (dashes < 0 || args.indexOf('train') < dashes);
  if (isTrain) {
    if (positionals.length > 1) throw new UsageError(`classify train: unexpected argument "${positionals[1]}" (see webrnn classify --help)`);
    for (const k of ['model', 'top']) if (flags[k] !== undefined) throw new UsageError(`classify train: --${k} is for classifying text; the model folder of training is --out`);
    return train(flags, out);
  }
  for (const k of ['out', 'minutes', 'steps', 'subset', 'eval-every', 'checkpoint-every', 'cell', 'hidden', 'embedding', 'batch', 'lr', 'seed', 'passage-words', 'word-dropout', 'fresh']) {
    if (flags[k] !== undefined) throw new UsageError(`classify: --${k} is an option of classify train`);
  }
  if (positionals.length === 0) throw new UsageError('classify: missing text: webrnn classify "TEXT", or webrnn classify train (see webrnn classify --help)');
  const text = positionals.join(' ');
  if (text.trim() === '') throw new UsageError('classify: the text is empty');
  const top = numberFlag('classify', flags, 'top', (x) => positiveInt(x) && x <= GENRE_LETTERS.length, `an integer in 1..${GENRE_LETTERS.length}`) ?? 3;
  const dir = resolve((flags.model as string | undefined) ?? DEFAULT_DIR);
  const checkpoint = await readModelFolder(dir, 'genre classifier', flags.model === undefined ? 'webrnn classify train' : `webrnn classify train --out ${flags.model as string}`);
  const engine = await createEngine();
  let clf: GenreClassifier | undefined;
  try {
    clf = GenreClassifier.fromCheckpoint(engine, checkpoint);
    const genres = await clf.classify(text);
    for (const g of genres.slice(0, top)) out(`${g.genre} ${g.name.padEnd(20)} ${g.probability.toFixed(3)}\n`);
    return 0;
  } finally {
    clf?.dispose();
    engine.dispose();
  }
}

async function train(flags: Flags, out: (s: string) => void): Promise<number> {
  const c = 'classify train';
  const minutes = numberFlag(c, flags, 'minutes', (x) => x > 0, 'a positive number') ?? 4;
  const maxSteps = numberFlag(c, flags, 'steps', positiveInt, 'a positive integer') ?? Infinity;
  const subset = numberFlag(c, flags, 'subset', positiveInt, 'a positive integer') ?? 1;
  const evalEvery = numberFlag(c, flags, 'eval-every', positiveInt, 'a positive integer') ?? 200;
  const checkpointEvery = numberFlag(c, flags, 'checkpoint-every', positiveInt, 'a positive integer') ?? 200;
  const given = settingsFrom(flags);
  const dir = resolve((flags.out as string | undefined) ?? DEFAULT_DIR);
  const ckptPath = join(dir, CHECKPOINT_FILE);
  await checkTaskFolder(dir, c, 'brown-genre');
  const folder = await claimRunFolder(dir, c); // locked before the checkpoint is read: one trainer per folder
  let engine: Engine | undefined;
  let clf: GenreClassifier | undefined;
  try {
    const checkpoint = existsSync(ckptPath) && !flags.fresh ? await readModelFolder(dir, 'genre classifier', 'webrnn classify train') : undefined;
    if (checkpoint) sameSettings('classify train', dir, checkpoint.position.settings, given);
    const { train: trainDocs, heldOut } = splitBrown(readBrown(), { subset });
    engine = await createEngine();
    clf = checkpoint ? GenreClassifier.fromCheckpoint(engine, checkpoint, trainDocs) : GenreClassifier.create(engine, trainDocs, given);
    const m = clf;
    const s = m.settings;
    out(
      `webrnn classify train: ${m.task.examples.toLocaleString('en-US')} training passages of ≥ ${s.passage_tokens} words (${trainDocs.length} files), ${heldOut.length} held-out files\n` +
        `model: ${m.vocab.size.toLocaleString('en-US')} words × ${s.embedding} → ${s.cell} ${s.hidden} → 15 genres (last step), ${m.task.parameterCount.toLocaleString('en-US')} parameters; ` +
        `batch ${s.batch}, Adam lr ${s.lr}, word dropout ${s.word_dropout}\n` +
        `adapter: ${engine.adapterName}; model folder: ${dir}\n` +
        resumeLine(m.task, Boolean(checkpoint)),
    );
    // every k-th held-out file's first passages: a quick estimate across genres
    const quick = heldOut.map((doc) => ({ ...doc, sentences: doc.sentences.slice(0, Math.ceil(600 / heldOut.length)) }));
    const stopped = await runTraining({
      task: m.task,
      trainStep: () => m.trainStep(),
      checkpointPath: ckptPath,
      save: async () => writeFileAtomic(ckptPath, await m.checkpoint()),
      quickEval: async () => (await m.evaluate(quick)).accuracy.toFixed(3),
      metricName: 'held-out acc',
      unit: 'passages',
      minutes,
      maxSteps,
      evalEvery,
      checkpointEvery,
      out,
    });
    if (stopped) return stopped;
    const metrics = await m.evaluate(heldOut);
    await writeFileAtomic(ckptPath, await m.checkpoint(metrics));
    out(trainedLine(m.task, ckptPath));
    out(accuracyLines(metrics, s.passage_tokens));
    return 0;
  } finally {
    clf?.dispose();
    engine?.dispose();
    await folder.release();
  }
}
