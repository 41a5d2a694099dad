/**
 * `webrnn eval`: bits per character and perplexity of a character language model trained by
 * `webrnn train` on a text file, computed on the GPU exactly as the trainer's validation
 * (CharLm.evaluate: parallel streams, the state carried from window to window).
 */
import { createEngine } from '../gpu/engine.js';
import { WebRnnError } from '../errors.js';
import { MAX_TEXT_BYTES } from '../formats/file-read.js';
import { readText } from './files.js';
import { openCharLm, quoteChars, readRunFolder, unknownCharacters } from './model-dir.js';
import { parseFlags } from './flags.js';
import { UsageError } from './usage-error.js';

export const EVAL_HELP = `Usage: webrnn eval --model DIR --data FILE.txt

Scores a character-level language model trained by webrnn train on a UTF-8 text file, on WebGPU:
bits per character (the mean of −log₂ p over every predicted character) and perplexity per character
(2^bpc), reading the text as the trainer's validation does (parallel streams, the hidden state carried
from window to window). The last line is "bpc: X  perplexity: Y  characters: N" (N characters
predicted). Characters the model never saw count as <UNK> and are reported.

  --model DIR         run folder of webrnn train (checkpoint.safetensors, vocab.json, model.json)
  --data FILE         UTF-8 text to score (at least 2 characters)
  --debug             show stack traces on errors
  -h, --help          show this help

Example: webrnn eval --model runs/brown-char --data held-out.txt
`;

/** Characters CharLm.evaluate predicts in a text of n ids (its layout: B streams of L, L − 1 targets each). */
function scoredCharacters(n: number, batch: number, bptt: number): number {
  const B = Math.max(1, Math.min(batch, Math.floor(n / (bptt + 1))));
  return B * (Math.floor(n / B) - 1);
}

export const EVAL_FLAGS = { model: { type: 'string' }, data: { type: 'string' } } as const;

/** Runs `webrnn eval`; returns the exit status. */
export async function evalCommand(args: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseFlags('eval', args, EVAL_FLAGS);
  if (values.help) {
    out(EVAL_HELP);
    return 0;
  }
  const modelDir = values.model;
  const data = values.data;
  if (modelDir === undefined) throw new UsageError('eval: --model DIR is required: the run folder of webrnn train, e.g. runs/brown-char (see webrnn eval --help)');
  if (data === undefined) throw new UsageError('eval: --data FILE.txt is required: the text to score (see webrnn eval --help)');

  const run = await readRunFolder(modelDir);
  const text = await readText(data, '--data', MAX_TEXT_BYTES);
  const ids = run.vocab.encode(text);
  if (ids.length < 2) throw new WebRnnError('BAD_VALUE', `eval: ${data} has ${ids.length} character${ids.length === 1 ? '' : 's'}; scoring needs at least 2 (the first is only read, the rest are predicted)`);
  const unknown = unknownCharacters(run.vocab, text);
  let unknownCount = 0;
  for (const id of ids) if (id === run.vocab.unk_id) unknownCount++;
  const scored = scoredCharacters(ids.length, run.settings.batch, run.settings.bptt);

  const engine = await createEngine();
  let bpc: number;
  try {
    const lm = openCharLm(engine, run);
    try {
      bpc = await lm.evaluate(ids);
    } finally {
      lm.dispose();
    }
  } finally {
    engine.dispose();
  }
  const s = run.settings;
  out(`model: ${run.dir} (${s.cell} ${s.layers}×${s.hidden}, ${run.vocab.size} symbols, trained ${run.step} steps)\n`);
  out(`data: ${data}, ${ids.length.toLocaleString('en-US')} characters; ${scored.toLocaleString('en-US')} predicted (${ids.length - scored} at the stream ends only read or left over)\n`);
  if (unknownCount > 0) {
    out(`unknown characters: ${unknownCount.toLocaleString('en-US')} (${(100 * unknownCount / ids.length).toFixed(2)}%) not in the model's vocabulary, scored as <UNK>: ${quoteChars(unknown)}\n`);
  }
  out(`bpc: ${bpc.toFixed(4)}  perplexity: ${(2 ** bpc).toFixed(4)}  characters: ${scored}\n`);
  return 0;
}
