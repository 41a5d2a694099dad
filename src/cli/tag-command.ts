/**
 * `webrnn tagger train` trains the Brown name tagger (a bidirectional LSTM marking proper nouns);
 * `webrnn tag "TEXT"` marks the names in a sentence with it.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readBrown } from '../data/brown.node.js';
import { createEngine, type Engine } from '../gpu/engine.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { splitBrown } from '../tasks/brown-split.js';
import { capitalisationBaseline, NameTagger, TAGGER_DEFAULTS, type NameMetrics, type TaggerSettings } from '../tasks/brown-tagger.js';
import { CHECKPOINT_FILE, checkTaskFolder, numberFlag, parseFlags, positiveInt, readModelFolder, resumeLine, runTraining, sameSettings, trainedLine, type Flags } from '../tasks/task-cli.node.js';
import { markSpans } from '../tasks/word-spans.js';
import { claimRunFolder } from './run-folder.js';
import { UsageError } from './usage-error.js';

const DEFAULT_DIR = join('runs', 'brown-tagger');
const EXAMPLE = 'Yesterday, Harry Potter met Hermione Granger.';
const d = TAGGER_DEFAULTS;

export const TAGGER_HELP = `Usage: webrnn tagger train [options]

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

export const TAG_HELP = `Usage: webrnn tag "TEXT" [--model DIR]

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

function settingsFrom(flags: Flags): Partial<TaggerSettings> {
  const c = 'tagger train';
  const s: Partial<TaggerSettings> = {};
  const set = <K extends keyof TaggerSettings>(k: K, v: TaggerSettings[K] | undefined) => v !== undefined && (s[k] = v);
  set('hidden', numberFlag(c, flags, 'hidden', positiveInt, 'a positive integer'));
  set('embedding', numberFlag(c, flags, 'embedding', positiveInt, 'a positive integer'));
  set('batch', numberFlag(c, flags, 'batch', positiveInt, 'a positive integer'));
  set('lr', numberFlag(c, flags, 'lr', (x) => x > 0, 'a positive number'));
  set('seed', numberFlag(c, flags, 'seed', (x) => Number.isInteger(x) && x >= 0, 'an integer ≥ 0'));
  set('word_dropout', numberFlag(c, flags, 'word-dropout', (x) => x >= 0 && x < 1, 'a number in [0, 1)'));
  set('max_keys', numberFlag(c, flags, 'max-words', positiveInt, 'a positive integer'));
  return s;
}

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
  const { flags, positionals } = parseFlags('tagger', args, ['out', 'minutes', 'steps', 'subset', 'eval-every', 'checkpoint-every', ...Object.keys(SETTING_FLAGS)], ['fresh']);
  if (flags.help) {
    out(TAGGER_HELP);
    return 0;
  }
  if (positionals[0] !== 'train' || positionals.length > 1) {
    throw new UsageError(positionals.length === 0 ? 'tagger: missing subcommand: webrnn tagger train (see webrnn tagger --help)' : `tagger: unknown subcommand "${positionals.join(' ')}" (the only one is train; to tag text: webrnn tag "TEXT")`);
  }
  const c = 'tagger train';
  const minutes = numberFlag(c, flags, 'minutes', (x) => x > 0, 'a positive number') ?? 4;
  const maxSteps = numberFlag(c, flags, 'steps', positiveInt, 'a positive integer') ?? Infinity;
  const subset = numberFlag(c, flags, 'subset', positiveInt, 'a positive integer') ?? 1;
  const evalEvery = numberFlag(c, flags, 'eval-every', positiveInt, 'a positive integer') ?? 200;
  const checkpointEvery = numberFlag(c, flags, 'checkpoint-every', positiveInt, 'a positive integer') ?? 200;
  const given = settingsFrom(flags);
  const dir = resolve((flags.out as string | undefined) ?? DEFAULT_DIR);
  const ckptPath = join(dir, CHECKPOINT_FILE);
  await checkTaskFolder(dir, c, 'brown-tagger');
  const folder = await claimRunFolder(dir, c); // locked before the checkpoint is read: one trainer per folder
  let engine: Engine | undefined;
  let tagger: NameTagger | undefined;
  try {
    const resume = existsSync(ckptPath) && !flags.fresh;
    const checkpoint = resume ? await readModelFolder(dir, 'name tagger', 'webrnn tagger train') : undefined;
    if (checkpoint) sameSettings('tagger train', dir, checkpoint.position.settings, given);
    const { train, heldOut } = splitBrown(readBrown(), { subset });
    engine = await createEngine();
    tagger = checkpoint ? NameTagger.fromCheckpoint(engine, checkpoint, train) : NameTagger.create(engine, train, given);
    const t = tagger;
    const s = t.settings;
    out(
      `webrnn tagger train: ${t.task.examples.toLocaleString('en-US')} training sentences (${train.length} files), ${heldOut.length} held-out files\n` +
        `model: ${t.features.size.toLocaleString('en-US')} word ids × ${s.embedding} → bidirectional LSTM 2×${s.hidden} → 2 classes, ${t.task.parameterCount.toLocaleString('en-US')} parameters; ` +
        `batch ${s.batch}, Adam lr ${s.lr}, word dropout ${s.word_dropout}\n` +
        `adapter: ${engine.adapterName}; model folder: ${dir}\n` +
        resumeLine(t.task, Boolean(checkpoint)),
    );
    const quick = heldOut.map((doc) => ({ ...doc, sentences: doc.sentences.slice(0, Math.ceil(300 / heldOut.length)) }));
    const stopped = await runTraining({
      task: t.task,
      trainStep: () => t.trainStep(),
      checkpointPath: ckptPath,
      save: async () => writeFileAtomic(ckptPath, await t.checkpoint()),
      quickEval: async () => (await t.evaluate(quick)).f1.toFixed(3),
      metricName: 'held-out F1',
      unit: 'sentences',
      minutes,
      maxSteps,
      evalEvery,
      checkpointEvery,
      out,
    });
    if (stopped) return stopped;
    const m = await t.evaluate(heldOut);
    await writeFileAtomic(ckptPath, await t.checkpoint(m));
    out(trainedLine(t.task, ckptPath));
    out(`example: ${await t.mark(EXAMPLE)}\n`);
    out(metricLines(m, capitalisationBaseline(heldOut).f1, 1 - (m.tp + m.fn) / m.tokens));
    return 0;
  } finally {
    tagger?.dispose();
    engine?.dispose();
    await folder.release();
  }
}

/** Runs `webrnn tag "TEXT"`; returns the exit status. */
export async function tagCommand(args: string[], out: (s: string) => void): Promise<number> {
  const { flags, positionals } = parseFlags('tag', args, ['model'], ['probabilities']);
  if (flags.help) {
    out(TAG_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('tag: missing text: webrnn tag "TEXT" (see webrnn tag --help)');
  const text = positionals.join(' ');
  if (text.trim() === '') throw new UsageError('tag: the text is empty');
  const dir = resolve((flags.model as string | undefined) ?? DEFAULT_DIR);
  const checkpoint = await readModelFolder(dir, 'name tagger', flags.model === undefined ? 'webrnn tagger train' : `webrnn tagger train --out ${flags.model as string}`);
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
