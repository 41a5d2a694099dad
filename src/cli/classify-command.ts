/**
 * `webrnn classify train` trains the Brown genre classifier (many-to-one GRU over a passage);
 * `webrnn classify "TEXT"` prints the most probable genres of a text.
 */
import { join } from 'node:path';
import { createEngine } from '../gpu/engine.js';
import { GENRE_DEFAULTS, GENRE_LETTERS, GENRES, GenreClassifier, type GenreMetrics, type GenreSettings } from '../tasks/brown-genre.js';
import { fraction, intIn, parseFlags, positiveInt, positiveNumber, refuseFlags, type FlagValues } from './flags.js';
import { CHECKPOINT_FILE } from './model-dir.js';
import { readTaskInput, settingsFromFlags, TASK_TRAIN_FLAGS, trainTask } from './task-folder.js';
import { UsageError } from './usage-error.js';

const DEFAULT_DIR = join('runs', 'brown-genre');
const d = GENRE_DEFAULTS;
const GENRE_LIST = GENRE_LETTERS.map((g, i) => `${i % 3 ? '' : '  '}${g} ${GENRES[g]!.padEnd(i % 3 === 2 ? 0 : 22)}${i % 3 === 2 ? '\n' : ''}`).join('');

export const CLASSIFY_HELP = `Usage: webrnn classify "TEXT" [--model DIR] [--top N]
       webrnn classify run "TEXT" [--model DIR] [--top N]   (the same)
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

const SETTING_FLAGS: Record<string, keyof GenreSettings> = { hidden: 'hidden', embedding: 'embedding', batch: 'batch', lr: 'lr', seed: 'seed', 'passage-words': 'passage_tokens', 'word-dropout': 'word_dropout' };

const TRAIN_FLAGS = {
  ...TASK_TRAIN_FLAGS,
  cell: { type: 'string' },
  hidden: { type: 'number', bounds: positiveInt },
  embedding: { type: 'number', bounds: positiveInt },
  batch: { type: 'number', bounds: positiveInt },
  lr: { type: 'number', bounds: positiveNumber },
  seed: { type: 'number', bounds: intIn(0, Number.MAX_SAFE_INTEGER, 'an integer ≥ 0') },
  'passage-words': { type: 'number', bounds: intIn(1, d.max_len) },
  'word-dropout': { type: 'number', bounds: fraction },
} as const;
const CLASSIFY_FLAGS = {
  model: { type: 'string' },
  top: { type: 'number', bounds: intIn(1, GENRE_LETTERS.length), default: 3 },
} as const;
export const FLAGS = { ...CLASSIFY_FLAGS, ...TRAIN_FLAGS } as const;

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
  const isVerb = (positionals: string[], verb: string) => positionals[0] === verb && (dashes < 0 || args.indexOf(verb) < dashes);
  const isTrainArg = (positionals: string[]) => isVerb(positionals, 'train');
  const { values, positionals, given } = parseFlags('classify', args, FLAGS, { positionals: true, valueCommand: (p) => (isTrainArg(p) ? 'classify train' : 'classify') });
  if (values.help) {
    out(CLASSIFY_HELP);
    return 0;
  }
  if (isTrainArg(positionals)) {
    if (positionals.length > 1) throw new UsageError(`classify train: unexpected argument "${positionals[1]}" (see webrnn classify --help)`);
    refuseFlags('classify train', given, Object.keys(CLASSIFY_FLAGS), 'is for classifying text; the model folder of training is --out');
    return train(values, out);
  }
  refuseFlags('classify', given, Object.keys(TRAIN_FLAGS), 'is an option of classify train');
  // `webrnn classify run "TEXT"`: the task's verbs train | run, as `webrnn tagger` has them
  const { text, checkpoint } = await readTaskInput('classify', isVerb(positionals, 'run') ? positionals.slice(1) : positionals, 'webrnn classify "TEXT", or webrnn classify train', values.model, DEFAULT_DIR, 'genre classifier', 'webrnn classify train');
  const engine = await createEngine();
  let clf: GenreClassifier | undefined;
  try {
    clf = GenreClassifier.fromCheckpoint(engine, checkpoint);
    const genres = await clf.classify(text);
    for (const g of genres.slice(0, values.top)) out(`${g.genre} ${g.name.padEnd(20)} ${g.probability.toFixed(3)}\n`);
    return 0;
  } finally {
    clf?.dispose();
    engine.dispose();
  }
}

function train(values: FlagValues<typeof FLAGS>, out: (s: string) => void): Promise<number> {
  const cell = values.cell;
  if (cell !== undefined && cell !== 'gru' && cell !== 'lstm') throw new UsageError(`classify train: --cell must be gru or lstm, got ${JSON.stringify(cell)}`);
  const given: Partial<GenreSettings> = { ...(cell ? { cell: cell === 'gru' ? 'GRU' : 'LSTM' } : {}), ...settingsFromFlags<GenreSettings>(values, SETTING_FLAGS) };
  return trainTask<GenreClassifier, GenreMetrics>(
    {
      command: 'classify train',
      kind: 'brown-genre',
      what: 'genre classifier',
      defaultDir: DEFAULT_DIR,
      given,
      create: (engine, train, checkpoint) => (checkpoint ? GenreClassifier.fromCheckpoint(engine, checkpoint, train) : GenreClassifier.create(engine, train, given)),
      header: (m, train, heldOut) => {
        const s = m.settings;
        return (
          `webrnn classify train: ${m.task.examples.toLocaleString('en-US')} training passages of ≥ ${s.passage_tokens} words (${train.length} files), ${heldOut.length} held-out files\n` +
          `model: ${m.vocab.size.toLocaleString('en-US')} words × ${s.embedding} → ${s.cell} ${s.hidden} → 15 genres (last step), ${m.task.parameterCount.toLocaleString('en-US')} parameters; ` +
          `batch ${s.batch}, Adam lr ${s.lr}, word dropout ${s.word_dropout}\n`
        );
      },
      quickSentences: 600,
      quickMetric: (m) => m.accuracy.toFixed(3),
      metricName: 'held-out acc',
      unit: 'passages',
      summary: async (m, metrics) => accuracyLines(metrics, m.settings.passage_tokens),
    },
    values,
    out,
  );
}
