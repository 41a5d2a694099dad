/**
 * `webrnn sample`: generates text with a character language model trained by `webrnn train`, on the
 * GPU (temperature, top-k, top-p or greedy; one seeded draw per character, no readback until the end).
 */
import { Generator } from '../decode/generate.js';
import { WebRnnError } from '../errors.js';
import { createEngine } from '../gpu/engine.js';
import { openCharLm, quoteChars, readRunFolder, unknownCharacters } from './model-dir.js';
import { intIn, parseFlags, type FlagSpecs } from './flags.js';
import { UsageError } from './usage-error.js';

export const SAMPLE_DEFAULTS = { temperature: 0.8, length: 500, prime: '\n', count: 1 } as const;
const MAX_LENGTH = 1_000_000;
/** Steps generated per call: what is held in memory at once, whatever --length is. */
const SAMPLE_CHUNK = 1024;
const MAX_COUNT = 256;

export const SAMPLE_HELP = `Usage: webrnn sample --model DIR [options]

Generates text with a character-level language model trained by webrnn train, on WebGPU, and
prints it. Each character is drawn on the GPU and fed back without a round trip to the CPU.

  --model DIR         run folder of webrnn train (checkpoint.safetensors, vocab.json, model.json),
                      e.g. runs/brown-char
  --length N          characters to generate [${SAMPLE_DEFAULTS.length}]
  --prime TEXT        text the model reads first; it is printed, then its continuation
                      [a newline — or, if the training text had none, its most frequent
                      character — not printed]. Every character must be in the model's vocabulary.
  --temperature F     > 0: below 1 sharper and safer, above 1 more random [${SAMPLE_DEFAULTS.temperature}]
  --top-k K           draw only among the K most likely characters [0 = off]
  --top-p P           nucleus: draw among the fewest most likely characters whose probability
                      reaches P, in (0, 1] [1 = off]
  --greedy            always the most likely character (deterministic; excludes the three above)
  --seed N            integer in [0, 2^32): the same seed gives the same text [random]
  --count N           independent samples, generated side by side [${SAMPLE_DEFAULTS.count}]
  --debug             show stack traces on errors
  -h, --help          show this help

Example: webrnn sample --model runs/brown-char --prime "The " --length 300 --temperature 0.6 --seed 1
`;

export const SAMPLE_FLAGS = {
  model: { type: 'string' },
  prime: { type: 'string' },
  greedy: { type: 'boolean' },
  temperature: { type: 'number', bounds: { ok: (x) => x > 0, need: 'a number > 0 (use --greedy for the most likely character)' } },
  'top-k': { type: 'number', bounds: intIn(0, 0xffffffff, 'an integer ≥ 0 (0 = off)') },
  'top-p': { type: 'number', bounds: { ok: (x) => x > 0 && x <= 1, need: 'a number in (0, 1] (1 = off)' } },
  length: { type: 'number', bounds: intIn(1, MAX_LENGTH, `an integer in [1, ${MAX_LENGTH.toLocaleString('en-US')}]`), default: SAMPLE_DEFAULTS.length },
  count: { type: 'number', bounds: intIn(1, MAX_COUNT, `an integer in [1, ${MAX_COUNT}]`), default: SAMPLE_DEFAULTS.count },
  seed: { type: 'number', bounds: intIn(0, 0xffffffff, 'an integer in [0, 2^32)') },
} as const satisfies FlagSpecs;

/** Runs `webrnn sample`; returns the exit status. */
export async function sampleCommand(args: string[], out: (s: string) => void): Promise<number> {
  const { values, given } = parseFlags('sample', args, SAMPLE_FLAGS);
  if (values.help) {
    out(SAMPLE_HELP);
    return 0;
  }
  const modelDir = values.model;
  if (modelDir === undefined) throw new UsageError('sample: --model DIR is required: the run folder of webrnn train, e.g. runs/brown-char (see webrnn sample --help)');
  const greedy = values.greedy === true;
  const { temperature, 'top-k': top_k, 'top-p': top_p, length, count } = values;
  if (greedy) {
    const clash = ['temperature', 'top-k', 'top-p'].filter((k) => given.has(k));
    if (clash.length) throw new UsageError(`sample: --greedy takes the most likely character; it cannot be combined with ${clash.map((k) => `--${k}`).join(', ')}`);
  }
  const seed = values.seed ?? crypto.getRandomValues(new Uint32Array(1))[0]!;
  const primeFlag = values.prime;
  if (primeFlag === '') throw new UsageError('sample: --prime must not be empty (leave it out to start from a newline)');

  // Everything about the folder and the prime is checked before the GPU is touched.
  const run = await readRunFolder(modelDir);
  // A text without newlines starts from its most frequent character (the first regular id) instead.
  const prime = primeFlag ?? (run.vocab.has(SAMPLE_DEFAULTS.prime) ? SAMPLE_DEFAULTS.prime : run.vocab.tokens[run.vocab.num_special]);
  const unknown = unknownCharacters(run.vocab, prime);
  if (unknown.length) {
    const known = run.vocab.tokens.slice(run.vocab.num_special).join('');
    throw new WebRnnError(
      'BAD_VALUE',
      `sample: --prime has ${unknown.length === 1 ? 'a character' : `${unknown.length} characters`} the model never saw: ${quoteChars(unknown)} ` +
        `(its vocabulary: ${JSON.stringify(known.length > 120 ? `${known.slice(0, 120)}…` : known)})`,
    );
  }
  const primeIds = run.vocab.encode(prime);

  const engine = await createEngine();
  try {
    const lm = openCharLm(engine, run);
    let gen: Generator | undefined;
    try {
      const m = lm.model;
      if (!m.embedding) throw new WebRnnError('BAD_FILE', 'sample: this model has no embedding layer'); // webrnn train always makes one
      gen = new Generator(engine, { embedding: m.embedding, recurrent: m.rnn, head: m.linear }, { batch: count });
      // (P, B) row-major: every row reads the same prime.
      const primeRows = new Int32Array(primeIds.length * count);
      primeIds.forEach((id, t) => primeRows.fill(id, t * count, (t + 1) * count));
      const sampling = greedy ? { greedy: true } : { temperature: temperature ?? SAMPLE_DEFAULTS.temperature, top_k: top_k ?? 0, top_p: top_p ?? 1 };
      const shownPrime = primeFlag ?? '';
      // Generated in chunks (one long call and several short ones give the same ids), so memory stays
      // bounded whatever --length is; a single sample is written as it comes.
      const rows = count > 1 ? Array.from({ length: count }, () => new Uint32Array(length)) : [];
      let last = '';
      if (count === 1) out(shownPrime);
      for (let done = 0; done < length; done += SAMPLE_CHUNK) {
        const n = Math.min(SAMPLE_CHUNK, length - done);
        const ids = await gen.generate({ ...(done === 0 ? { prime: primeRows } : {}), steps: n, seed, ...sampling });
        if (count === 1) {
          const text = run.vocab.decode(ids, { skip_special: true });
          if (text) last = text;
          out(text);
        } else for (let b = 0; b < count; b++) for (let t = 0; t < n; t++) rows[b][done + t] = ids[t * count + b];
      }
      if (count === 1 && !(last || shownPrime).endsWith('\n')) out('\n');
      for (let b = 0; b < rows.length; b++) {
        const text = shownPrime + run.vocab.decode(rows[b], { skip_special: true });
        out(`--- sample ${b + 1} of ${count} ---\n`);
        out(text.endsWith('\n') ? text : `${text}\n`);
      }
    } finally {
      gen?.dispose();
      lm.dispose();
    }
  } finally {
    engine.dispose();
  }
  return 0;
}
