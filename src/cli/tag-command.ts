/**
 * `webrnn tagger train` trains the Brown name tagger (a bidirectional LSTM marking proper nouns);
 * `webrnn tag "TEXT"` marks the names in a sentence with it.
 */
import { join } from 'node:path';
import { createEngine } from '../gpu/engine.js';
import { capitalisationBaseline, NameTagger, TAGGER_DEFAULTS, type NameMetrics, type TaggerSettings } from '../tasks/brown-tagger.js';
import { markSpans } from '../tasks/word-spans.js';
import { fraction, intIn, parseFlags, positiveInt, positiveNumber, type FlagValues } from './flags.js';
import { CHECKPOINT_FILE } from './model-dir.js';
import { readTaskInput, settingsFromFlags, TASK_TRAIN_FLAGS, trainTask } from './task-folder.js';
import { UsageError } from './usage-error.js';

const DEFAULT_DIR = join('runs', 'brown-tagger');
const EXAMPLE = 'Yesterday, Harry Potter met Hermione Granger.';
const d = TAGGER_DEFAULTS;

export const TAGGER_HELP = `Usage: webrnn tagger train [options]
       webrnn tagger run "TEXT" [--model DIR] [--probabilities]   (the same as webrnn tag "TEXT")

Trains the name tagger: a bidirectional LSTM that labels each word of a sentence 1 when it is a
proper noun (Brown tags np…, titles and possessives included), else 0. It reads one embedding per
word — the word itself when it is frequent in training, else a class of rare words with the same
shape and ending ("~Xer": capitalised, ending in "er") — so it marks names it has never seen.
Trains on the Brown corpus with every 10th file held out; prints held-out token accuracy and the
name class's precision, recall and F1.

Options (defaults in brackets):
  --out DIR           model folder [${DEFAULT_DIR}]; holds ${CHECKPOINT_FILE}
  --fresh             ignore an existing checkpoint in --out and start over
  --minutes F         training time budget, summed over resumed runs [4]
  --steps N           stop after N optimizer steps instead (whichever comes first)
  --hidden N [${d.hidden}]   --embedding N [${d.embedding}]   --batch N [${d.batch}]   --lr F [${d.lr}]   --seed N [${d.seed}]
  --word-dropout F    chance a training word is shown as unknown [${d.word_dropout}]
  --max-words N       most distinct known words [${d.max_keys}]
  --subset N          train and evaluate on every N-th file only (quick runs) [1]
  --eval-every N      held-out F1 on 300 sentences every N steps [200]
  --checkpoint-every N  save every N steps [200] (and at the end, and on Ctrl-C)
  --debug             show stack traces on errors
  -h, --help          show this help

Ctrl-C (or SIGTERM, SIGHUP) stops after the current step with the checkpoint saved; the same command
resumes. The model folder is locked while training; --out must be new, empty or a folder of this command.
Then: webrnn tag "${EXAMPLE}"
`;

export const TAG_HELP = `Usage: webrnn tag "TEXT" [--model DIR] [--probabilities]
       webrnn tagger run "TEXT" [--model DIR] [--probabilities]   (the same)

Prints TEXT with the names the tagger finds in square brackets:
  webrnn tag "${EXAMPLE}"
  Yesterday, [Harry Potter] met [Hermione Granger].

Options:
  --model DIR         model folder written by \`webrnn tagger train\` [${DEFAULT_DIR}]
  --probabilities     also print each word's name probability
  --debug             show stack traces on errors
  -h, --help          show this help
`;

const SETTING_FLAGS: Record<string, keyof TaggerSettings> = { hidden: 'hidden', embedding: 'embedding', batch: 'batch', lr: 'lr', seed: 'seed', 'word-dropout': 'word_dropout', 'max-words': 'max_keys' };

export const TAGGER_FLAGS = {
  ...TASK_TRAIN_FLAGS,
  hidden: { type: 'number', bounds: positiveInt },
  embedding: { type: 'number', bounds: positiveInt },
  batch: { type: 'number', bounds: positiveInt },
  lr: { type: 'number', bounds: positiveNumber },
  seed: { type: 'number', bounds: intIn(0, Number.MAX_SAFE_INTEGER, 'an integer ≥ 0') },
  'word-dropout': { type: 'number', bounds: fraction },
  'max-words': { type: 'number', bounds: positiveInt },
} as const;

export const TAG_FLAGS = { model: { type: 'string' }, probabilities: { type: 'boolean' } } as const;

const pct = (x: number) => x.toFixed(4);

/** The lines `webrnn tagger train` ends with. */
export function metricLines(m: NameMetrics, baselineF1: number, noNames: number): string {
  return (
    `held-out token accuracy: ${pct(m.accuracy)} (${m.tokens.toLocaleString('en-US')} tokens; marking no names: ${pct(noNames)})\n` +
    `held-out names: precision ${pct(m.precision)}, recall ${pct(m.recall)}, F1: ${pct(m.f1)} (capitalised words not opening a sentence: F1 ${pct(baselineF1)})\n`
  );
}

/** Runs `webrnn tagger …`; returns the exit status. */
export async function taggerCommand(args: string[], out: (s: string) => void): Promise<number> {
  // `webrnn tagger run "TEXT"`: the task's own verb for `webrnn tag "TEXT"` (train | run, as `webrnn run`)
  if (args[0] === 'run') return tagCommand(args.slice(1), out);
  const { values, positionals } = parseFlags('tagger', args, TAGGER_FLAGS, { positionals: true, valueCommand: () => 'tagger train' });
  if (values.help) {
    out(TAGGER_HELP);
    return 0;
  }
  if (positionals[0] !== 'train' || positionals.length > 1) {
    throw new UsageError(positionals.length === 0 ? 'tagger: missing subcommand: webrnn tagger train, or webrnn tagger run "TEXT" (see webrnn tagger --help)' : `tagger: unknown subcommand "${positionals.join(' ')}" (the subcommands are train and run; to tag text: webrnn tagger run "TEXT", or webrnn tag "TEXT")`);
  }
  return trainTagger(values, out);
}

function trainTagger(values: FlagValues<typeof TAGGER_FLAGS>, out: (s: string) => void): Promise<number> {
  const given = settingsFromFlags<TaggerSettings>(values, SETTING_FLAGS);
  return trainTask<NameTagger, NameMetrics>(
    {
      command: 'tagger train',
      kind: 'brown-tagger',
      what: 'name tagger',
      defaultDir: DEFAULT_DIR,
      given,
      create: (engine, train, checkpoint) => (checkpoint ? NameTagger.fromCheckpoint(engine, checkpoint, train) : NameTagger.create(engine, train, given)),
      header: (t, train, heldOut) => {
        const s = t.settings;
        return (
          `webrnn tagger train: ${t.task.examples.toLocaleString('en-US')} training sentences (${train.length} files), ${heldOut.length} held-out files\n` +
          `model: ${t.features.size.toLocaleString('en-US')} word ids × ${s.embedding} → bidirectional LSTM 2×${s.hidden} → 2 classes, ${t.task.parameterCount.toLocaleString('en-US')} parameters; ` +
          `batch ${s.batch}, Adam lr ${s.lr}, word dropout ${s.word_dropout}\n`
        );
      },
      quickSentences: 300,
      quickMetric: (m) => m.f1.toFixed(3),
      metricName: 'held-out F1',
      unit: 'sentences',
      summary: async (t, m, heldOut) => `example: ${await t.mark(EXAMPLE)}\n${metricLines(m, capitalisationBaseline(heldOut).f1, 1 - (m.tp + m.fn) / m.tokens)}`,
    },
    values,
    out,
  );
}

/** Runs `webrnn tag "TEXT"`; returns the exit status. */
export async function tagCommand(args: string[], out: (s: string) => void): Promise<number> {
  const { values: flags, positionals } = parseFlags('tag', args, TAG_FLAGS, { positionals: true });
  if (flags.help) {
    out(TAG_HELP);
    return 0;
  }
  const { text, checkpoint } = await readTaskInput('tag', positionals, 'webrnn tag "TEXT"', flags.model, DEFAULT_DIR, 'name tagger', 'webrnn tagger train');
  const engine = await createEngine();
  let tagger: NameTagger | undefined;
  try {
    tagger = NameTagger.fromCheckpoint(engine, checkpoint);
    const r = await tagger.tag(text);
    out(`${markSpans(text, r.spans, r.names)}\n`);
    if (flags.probabilities) for (const [i, s] of r.spans.entries()) out(`${s.word}\t${r.probabilities[i]!.toFixed(3)}\n`);
    return 0;
  } finally {
    tagger?.dispose();
    engine.dispose();
  }
}
