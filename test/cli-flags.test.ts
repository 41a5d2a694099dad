// The one flag parser of the command line (src/cli/flags.ts), without a GPU: every command's flags go
// through it, so its messages and exit status are the CLI contract for bad command lines (status 2).
import { describe, expect, test } from 'vitest';
import { checkNumber, fraction, intIn, parseFlags, positiveInt, positiveNumber, refuseFlags, requireFlags } from '../src/cli/flags.js';
import { COMMANDS, main } from '../src/cli/main.js';
import { loopFlags } from '../src/cli/training-loop.js';
import { UsageError } from '../src/cli/usage-error.js';
import { WebRnnError } from '../src/errors.js';

const FLAGS = {
  out: { type: 'string' },
  fresh: { type: 'boolean' },
  hidden: { type: 'number', bounds: positiveInt },
  dropout: { type: 'number', bounds: fraction },
  top: { type: 'number', bounds: intIn(1, 15), default: 3 },
  ...loopFlags(4),
} as const;

function usage(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('parseFlags', () => {
  test('values: strings as given, booleans, numbers checked, defaults where absent', () => {
    const { values, positionals, given } = parseFlags('x', ['--out', 'dir', '--fresh', '--hidden', '16', '--dropout=0.25', '--steps', '7'], FLAGS);
    expect(values).toMatchObject({ out: 'dir', fresh: true, hidden: 16, dropout: 0.25, top: 3, minutes: 4, steps: 7, 'eval-every': 200, 'checkpoint-every': 200 });
    expect(values.help).toBeUndefined();
    expect(positionals).toEqual([]);
    expect([...given].sort()).toEqual(['dropout', 'fresh', 'hidden', 'out', 'steps']);
  });

  test('bad numbers: the flag, what it must be and what was given', () => {
    const cases: [string[], string][] = [
      [['--hidden', 'many'], 'x: --hidden must be a positive integer, got "many"'],
      [['--hidden', '2.5'], 'x: --hidden must be a positive integer, got "2.5"'],
      [['--hidden', '0'], 'x: --hidden must be a positive integer, got "0"'],
      [['--hidden', '-3'], 'x: --hidden must be a positive integer, got "-3"'], // a negative value is the flag's value
      [['--hidden='], 'x: --hidden must be a positive integer, got ""'],
      [['--hidden', ' '], 'x: --hidden must be a positive integer, got " "'],
      [['--hidden', 'Infinity'], 'x: --hidden must be a positive integer, got "Infinity"'],
      [['--dropout', '1'], 'x: --dropout must be a number in [0, 1), got "1"'],
      [['--dropout', 'NaN'], 'x: --dropout must be a number in [0, 1), got "NaN"'],
      [['--top', '16'], 'x: --top must be an integer in 1..15, got "16"'],
      [['--minutes', '0'], 'x: --minutes must be a positive number, got "0"'],
    ];
    for (const [args, message] of cases) expect(usage(() => parseFlags('x', args, FLAGS))).toBe(message);
  });

  test('unknown flags, missing values, stray arguments: node:util\'s message, naming the command and its help', () => {
    expect(usage(() => parseFlags('x', ['--bogus'], FLAGS))).toMatch(/^x: Unknown option '--bogus'.* \(see webrnn x --help\)$/);
    expect(usage(() => parseFlags('x', ['--out'], FLAGS))).toMatch(/^x: Option '--out <value>' argument missing \(see webrnn x --help\)$/);
    expect(usage(() => parseFlags('x', ['--hidden'], FLAGS))).toMatch(/^x: Option '--hidden <value>' argument missing/);
    expect(usage(() => parseFlags('x', ['stray'], FLAGS))).toMatch(/^x: Unexpected argument 'stray'/);
    expect(parseFlags('x', ['a', '--fresh', 'b'], FLAGS, { positionals: true }).positionals).toEqual(['a', 'b']);
    // after --, everything is a positional (a text may start with a dash)
    expect(parseFlags('x', ['--', '--fresh', '-3'], FLAGS, { positionals: true }).positionals).toEqual(['--fresh', '-3']);
  });

  test('--help, -h and --debug belong to every command; with --help the values are not checked', () => {
    expect(parseFlags('x', ['-h', '--hidden', 'many'], FLAGS).values.help).toBe(true);
    expect(parseFlags('x', ['--debug'], FLAGS).values.debug).toBe(true);
  });

  test('the command named in value errors may depend on the positionals (tagger → tagger train)', () => {
    const opts = { positionals: true, valueCommand: (p: string[]) => (p[0] === 'train' ? 'x train' : 'x') };
    expect(usage(() => parseFlags('x', ['train', '--hidden', '0'], FLAGS, opts))).toMatch(/^x train: --hidden must be/);
    expect(usage(() => parseFlags('x', ['text', '--hidden', '0'], FLAGS, opts))).toMatch(/^x: --hidden must be/);
    expect(usage(() => parseFlags('x', ['train', '--nope'], FLAGS, opts))).toMatch(/^x: Unknown option '--nope'/);
  });

  test('requireFlags, refuseFlags, checkNumber', () => {
    const { values, given } = parseFlags('x', ['--out', 'dir', '--hidden', '8'], FLAGS);
    expect(requireFlags('x', values, ['out', 'hidden']).out).toBe('dir');
    expect(usage(() => requireFlags('x', values, ['out', 'dropout', 'steps']))).toBe('x: missing --dropout, --steps (see webrnn x --help)');
    expect(usage(() => requireFlags('x', { out: '' }, ['out']))).toBe('x: missing --out (see webrnn x --help)');
    expect(usage(() => refuseFlags('x', given, ['hidden'], 'is an option of x train'))).toBe('x: --hidden is an option of x train');
    refuseFlags('x', given, ['top', 'minutes'], 'never'); // defaults are not "given"
    expect(checkNumber('lr', '1e-3', positiveNumber)).toBe(0.001);
    expect(() => checkNumber('lr', '-1', positiveNumber)).toThrow(WebRnnError);
  });
});

describe('every command: a bad command line exits 2 with one line', () => {
  async function run(argv: string[]): Promise<{ status: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const status = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
    return { status, out, err };
  }
  test.each([
    [['train', '--steps', '0'], /^webrnn: train: --steps must be a positive integer, got "0"\n$/],
    [['train', '--seed', '-1'], /^webrnn: train: --seed must be an integer in \[0, 4294967293\), got "-1"\n$/],
    [['train', '--bogus'], /^webrnn: train: Unknown option '--bogus'/],
    [['tagger', 'train', '--eval-every', 'x'], /^webrnn: tagger train: --eval-every must be a positive integer, got "x"\n$/],
    [['tagger', 'train', '--minutes'], /^webrnn: tagger: Option '--minutes <value>' argument missing/],
    [['classify', 'train', '--passage-words', '0'], /^webrnn: classify train: --passage-words must be an integer in 1\.\.\d+, got "0"\n$/],
    [['classify', 'text', '--top', '0'], /^webrnn: classify: --top must be an integer in 1\.\.15, got "0"\n$/],
    [['classify', 'text', '--subset', '2'], /^webrnn: classify: --subset is an option of classify train\n$/],
    [['tag', 'text', '--probabilities=yes'], /^webrnn: tag: Option '--probabilities' does not take an argument/],
    [['fit', '--lr', 'fast'], /^webrnn: fit: --lr must be a positive number, got "fast"\n$/],
    [['fit', '--lr', '1'], /^webrnn: fit: missing --config, --weights, --data, --out, --optimizer, --steps \(see webrnn fit --help\)\n$/],
    [['run', '--max-elements', '0', '--model', 'm.onnx'], /^webrnn: run: --max-elements must be an integer in \[1, \d+\], got "0"\n$/],
    [['run', '--config', 'c.json'], /^webrnn: run: missing --weights, --input, --out \(see webrnn run --help\)\n$/],
    [['sample', '--model', 'm', '--count', '-2'], /^webrnn: sample: --count must be an integer in \[1, 256\], got "-2"\n$/],
    [['eval', 'stray'], /^webrnn: eval: Unexpected argument 'stray'/],
    [['info', '--verbose'], /^webrnn: info: Unknown option '--verbose'/],
    [['convert', '--names'], /^webrnn: convert: Option '--names <value>' argument missing/],
  ])('webrnn %j', async (argv, message) => {
    const r = await run(argv);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
    expect(r.status).toBe(2);
  });
});

describe('--help lists exactly the flags the parser declares', () => {
  test.each(Object.keys(COMMANDS))('webrnn %s --help', async (command) => {
    const { help, flags } = COMMANDS[command]!;
    // flags of another command the help refers to (`webrnn run --model`) are not this command's
    const own = help.replace(new RegExp(`webrnn (?!${command}\\b)[a-z]+( --[a-z-]+)+`, 'g'), '');
    const inHelp = new Set([...own.matchAll(/(?<![\w-])--([a-z][a-z-]*)/g)].map((m) => m[1]!));
    const declared = new Set([...Object.keys(flags), 'help', 'debug']);
    // the tagger's help names `webrnn tagger run`'s flags (those of `webrnn tag`) in its usage line
    if (command === 'tagger') for (const k of Object.keys(COMMANDS.tag!.flags)) declared.add(k);
    expect([...inHelp].filter((k) => !declared.has(k)), 'in the help, not declared').toEqual([]);
    expect([...declared].filter((k) => !inHelp.has(k)), 'declared, not in the help').toEqual([]);
    let out = '';
    expect(await main([command, '--help'], { out: (s) => (out += s), err: () => {} })).toBe(0);
    expect(out).toBe(help);
  });
});
