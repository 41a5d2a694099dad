/**
 * The `webrnn` command line. bin/webrnn.js calls {@link main} and exits with its status.
 * Every failure prints exactly one line, `webrnn: <message>`, on stderr (plus the stack with
 * --debug) and exits non-zero: 2 for a bad command line, 1 for everything else.
 */
import { WebRnnError } from '../errors.js';
import { CLASSIFY_HELP, classifyCommand, FLAGS as CLASSIFY_FLAGS } from './classify-command.js';
import { CONVERT_FLAGS, CONVERT_HELP, convertCommand } from './convert-command.js';
import { EVAL_FLAGS, EVAL_HELP, evalCommand } from './eval-command.js';
import { FIT_FLAGS, FIT_HELP, fitCommand } from './fit-command.js';
import { INFO_FLAGS, INFO_HELP, infoCommand } from './info-command.js';
import { RUN_FLAGS, RUN_HELP, runCommand } from './run-command.js';
import { SAMPLE_FLAGS, SAMPLE_HELP, sampleCommand } from './sample-command.js';
import { TAG_FLAGS, TAG_HELP, TAGGER_FLAGS, TAGGER_HELP, tagCommand, taggerCommand } from './tag-command.js';
import { TRAIN_FLAGS, TRAIN_HELP, trainCommand } from './train-command.js';
import type { FlagSpecs } from './flags.js';
import { UsageError } from './usage-error.js';

export const MAIN_HELP = `Usage: webrnn <command> [options]

Recurrent networks (RNN, GRU, LSTM) on WebGPU, matching PyTorch.

Commands:
  run      Forward (and backward) of a recurrent layer: safetensors in, safetensors out
  train    Train a character-level language model on a text file (default: the Brown corpus)
  sample   Generate text with a trained language model (temperature, top-k, top-p, greedy)
  eval     Bits per character and perplexity of a trained language model on a text file
  info     The WebGPU adapter, device limits and features webrnn runs on (--json)
  tagger   Train the name tagger on the Brown corpus (webrnn tagger train), or run it (webrnn tagger run "TEXT")
  tag      Mark the names in a sentence: webrnn tag "Yesterday, Harry Potter met Hermione Granger."
  classify Genre of a text (webrnn classify run "TEXT", or webrnn classify "TEXT"), or train the classifier (webrnn classify train)
  fit      Optimizer steps on one batch of an embedding → RNN → linear model (checks against PyTorch)
  convert  A model between PyTorch state_dicts, ONNX and TensorFlow.js: webrnn convert IN OUT
  help     Show help for a command: webrnn help run

Options:
  --debug      Show stack traces on errors
  -h, --help   Show this help
`;

/** The commands: their help, their flags (as the parser declares them; the help lists each) and what runs them. */
export const COMMANDS: Record<string, { help: string; flags: FlagSpecs; run: (args: string[], out: (s: string) => void) => Promise<number> }> = {
  run: { help: RUN_HELP, flags: RUN_FLAGS, run: runCommand },
  convert: { help: CONVERT_HELP, flags: CONVERT_FLAGS, run: convertCommand },
  fit: { help: FIT_HELP, flags: FIT_FLAGS, run: fitCommand },
  train: { help: TRAIN_HELP, flags: TRAIN_FLAGS, run: trainCommand },
  sample: { help: SAMPLE_HELP, flags: SAMPLE_FLAGS, run: sampleCommand },
  eval: { help: EVAL_HELP, flags: EVAL_FLAGS, run: evalCommand },
  info: { help: INFO_HELP, flags: INFO_FLAGS, run: infoCommand },
  tagger: { help: TAGGER_HELP, flags: TAGGER_FLAGS, run: taggerCommand },
  tag: { help: TAG_HELP, flags: TAG_FLAGS, run: tagCommand },
  classify: { help: CLASSIFY_HELP, flags: CLASSIFY_FLAGS, run: classifyCommand },
};

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const processIo: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
};

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

function describe(e: unknown): string {
  if (e instanceof UsageError || e instanceof WebRnnError) return e.message;
  if (e instanceof Error) return `internal error: ${e.name}: ${e.message} (run with --debug for the stack trace)`;
  return `internal error: ${String(e)}`;
}

/** Runs the command line `argv` (without node and the script); returns the exit status. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    // --debug is accepted before the command too; the command's own parser allows it after.
    const start = argv.findIndex((a) => a !== '--debug');
    const [command, ...rest] = start < 0 ? [] : argv.slice(start);
    if (command === undefined) throw new UsageError('missing command (see webrnn --help)');
    if (command === '-h' || command === '--help') {
      io.out(MAIN_HELP);
      return 0;
    }
    if (command === 'help') {
      const topic = rest.find((a) => !a.startsWith('-'));
      if (topic === undefined) {
        io.out(MAIN_HELP);
        return 0;
      }
      if (!Object.hasOwn(COMMANDS, topic)) throw new UsageError(`help: unknown command "${topic}" (commands: ${Object.keys(COMMANDS).join(', ')})`);
      io.out(COMMANDS[topic].help);
      return 0;
    }
    if (!Object.hasOwn(COMMANDS, command)) {
      throw new UsageError(`unknown command "${command}" (commands: ${Object.keys(COMMANDS).join(', ')}; see webrnn --help)`);
    }
    return await COMMANDS[command].run(rest, io.out);
  } catch (e) {
    io.err(`webrnn: ${oneLine(describe(e))}\n`);
    if (debug && e instanceof Error && e.stack) io.err(`${e.stack}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
}
