/**
 * The one flag parser of the command line. Each command declares its flags once — name, type,
 * numeric bounds, default — and gets parsed, checked values or a {@link UsageError} (exit status 2)
 * whose message names the command and says what to fix:
 *
 * - `<command>: Unknown option '--x' (see webrnn <command> --help)` (and node:util's other parse errors)
 * - `<command>: --<name> must be <need>, got "<text>"` for a numeric flag out of bounds or not a number
 *
 * `--help`/`-h` and `--debug` are accepted by every command. A numeric flag's negative value may follow
 * it as the next argument (`--seed -1`): the bounds check then says what is wrong with it.
 */
import { parseArgs } from 'node:util';
import { WebRnnError } from '../errors.js';
import { UsageError } from './usage-error.js';

/** What values a numeric flag accepts, and how its message says so ('a positive integer'). */
export interface Bounds {
  ok(x: number): boolean;
  need: string;
}

export const positiveInt: Bounds = { ok: (x) => Number.isInteger(x) && x >= 1, need: 'a positive integer' };
export const positiveNumber: Bounds = { ok: (x) => x > 0, need: 'a positive number' };
export const nonNegativeNumber: Bounds = { ok: (x) => x >= 0, need: 'a non-negative number' };
export const fraction: Bounds = { ok: (x) => x >= 0 && x < 1, need: 'a number in [0, 1)' };
/** An integer in [lo, hi]; `need` defaults to 'an integer in lo..hi'. */
export function intIn(lo: number, hi: number, need = `an integer in ${lo}..${hi}`): Bounds {
  return { ok: (x) => Number.isInteger(x) && x >= lo && x <= hi, need };
}

export type FlagSpec =
  | { type: 'boolean'; short?: string }
  | { type: 'string' }
  | { type: 'number'; bounds: Bounds; default?: number };

export type FlagSpecs = Record<string, FlagSpec>;

type ValueOf<S extends FlagSpec> = S extends { type: 'boolean' }
  ? boolean | undefined
  : S extends { type: 'number'; default: number }
    ? number
    : S extends { type: 'number' }
      ? number | undefined
      : string | undefined;

/** The parsed flags: numbers checked (or their default), strings as given, booleans true when given. */
export type FlagValues<S extends FlagSpecs> = { [K in keyof S]: ValueOf<S[K]> } & { help?: boolean; debug?: boolean };

/**
 * Checks one numeric value: a number within `bounds`, else a WebRnnError('BAD_VALUE') saying
 * `--<name> must be <need>, got "<text>"`.
 */
export function checkNumber(name: string, text: string, bounds: Bounds): number {
  const x = Number(text);
  if (text.trim() === '' || !Number.isFinite(x) || !bounds.ok(x)) throw new WebRnnError('BAD_VALUE', `--${name} must be ${bounds.need}, got ${JSON.stringify(text)}`);
  return x;
}

export interface ParseOptions {
  /** whether arguments that are not flags are allowed (default false) */
  positionals?: boolean;
  /**
   * The command named in the messages about values, when it depends on the positionals
   * (`tagger train`): parse errors name `command`, value errors name this.
   */
  valueCommand?: (positionals: string[]) => string;
}

/**
 * Parses `args` (the arguments after the command's name) against `specs`.
 *
 * @example
 * const FLAGS = { out: { type: 'string' }, steps: { type: 'number', bounds: positiveInt, default: 100 } } as const;
 * const { values } = parseFlags('train', args, FLAGS);
 * values.steps; // number, checked
 */
export function parseFlags<S extends FlagSpecs>(command: string, args: string[], specs: S, opts: ParseOptions = {}): { values: FlagValues<S>; positionals: string[]; given: Set<string> } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' }, debug: { type: 'boolean' } };
  for (const [name, spec] of Object.entries(specs)) options[name] = spec.type === 'boolean' ? { type: 'boolean', ...(spec.short ? { short: spec.short } : {}) } : { type: 'string' };
  // parseArgs takes "-1" after a flag for another flag; a numeric flag's negative value is its value.
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      joined.push(...args.slice(i));
      break;
    }
    if (a.startsWith('--') && specs[a.slice(2)]?.type === 'number' && /^-[\d.]/.test(args[i + 1] ?? '')) joined.push(`${a}=${args[++i]}`);
    else joined.push(a);
  }
  let raw: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values: raw, positionals } = parseArgs({ args: joined, options, strict: true, allowPositionals: opts.positionals ?? false }) as { values: Record<string, string | boolean | undefined>; positionals: string[] });
  } catch (e) {
    throw new UsageError(`${command}: ${(e as Error).message} (see webrnn ${command} --help)`);
  }
  const values: Record<string, unknown> = { ...raw };
  if (!raw.help) {
    const named = opts.valueCommand?.(positionals) ?? command;
    for (const [name, spec] of Object.entries(specs)) {
      if (spec.type !== 'number') continue;
      const text = raw[name] as string | undefined;
      try {
        values[name] = text === undefined ? spec.default : checkNumber(name, text, spec.bounds);
      } catch (e) {
        if (e instanceof WebRnnError) throw new UsageError(`${named}: ${e.message}`);
        throw e;
      }
    }
  }
  const given = new Set(Object.keys(raw).filter((k) => raw[k] !== undefined && k !== 'help' && k !== 'debug'));
  return { values: values as FlagValues<S>, positionals, given };
}

/** A UsageError when any of `names` was `given` (see parseFlags): `<command>: --x <why>` (flags of another mode). */
export function refuseFlags(command: string, given: Set<string>, names: readonly string[], why: string): void {
  for (const k of names) if (given.has(k)) throw new UsageError(`${command}: --${k} ${why}`);
}

/**
 * Returns `values` with the required flags `names` known to be there; a UsageError names the missing
 * ones (absent or empty): `<command>: missing --a, --b (see webrnn <command> --help)`.
 */
export function requireFlags<V extends object, K extends keyof V & string>(command: string, values: V, names: readonly K[]): V & { [P in K]-?: NonNullable<V[P]> } {
  const missing = names.filter((k) => values[k] === undefined || values[k] === '');
  if (missing.length) throw new UsageError(`${command}: missing ${missing.map((k) => `--${k}`).join(', ')} (see webrnn ${command} --help)`);
  return values as V & { [P in K]-?: NonNullable<V[P]> };
}
