// What the Node examples share: option parsing with --help, a progress bar on stderr (the one
// `webrnn train` draws), and a small argmax. Not an example itself (the leading _ hides it from run.mjs).
import { ProgressBar } from '../src/cli/progress-bar.js';
import { parseArgs } from 'node:util';

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; default?: string | boolean; help: string }>;

/**
 * Parses `args` against `spec`; `--help` prints the usage and returns undefined. Numbers are given as
 * strings and read with num().
 */
export function parseOptions<S extends OptionSpec>(name: string, about: string, spec: S, args: string[]): Record<keyof S, string | boolean | undefined> | undefined {
  const options = Object.fromEntries(Object.entries(spec).map(([k, v]) => [k, { type: v.type, ...(v.default !== undefined ? { default: v.default } : {}) }]));
  const { values } = parseArgs({ args, options: { ...options, help: { type: 'boolean' } }, allowPositionals: false, strict: true });
  if (values.help) {
    const lines = Object.entries(spec).map(([k, v]) => `  --${k}${v.type === 'string' ? ' VALUE' : ''}`.padEnd(26) + `${v.help}${v.default !== undefined && v.type === 'string' ? ` (default ${v.default})` : ''}`);
    process.stdout.write(`node examples/run.mjs ${name} [options]\n\n${about}\n\n${lines.join('\n')}\n`);
    return undefined;
  }
  return values as Record<keyof S, string | boolean | undefined>;
}

/** A numeric option. */
export function num(v: string | boolean | undefined, name: string): number {
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isFinite(n)) throw new Error(`--${name} must be a number, got ${JSON.stringify(v)}`);
  return n;
}

/** A progress bar on stderr (a TTY redraws it; otherwise a line per update at most every 2 s). */
export class Progress {
  private readonly bar: ProgressBar | undefined;
  private lastLine = 0;

  constructor(
    private readonly total: number,
    private readonly format: string,
    private readonly enabled = true,
  ) {
    if (!enabled) return;
    if (process.stderr.isTTY) {
      this.bar = new ProgressBar({ format, total, etaWindow: 30 });
      this.bar.start(0);
    }
  }

  update(value: number, payload: Record<string, string | number>): void {
    if (!this.enabled) return;
    if (this.bar) {
      this.bar.update(value, payload);
      return;
    }
    const now = Date.now();
    if (now - this.lastLine < 2000 && value < this.total) return;
    this.lastLine = now;
    const text = this.format.replace(/\{(\w+)\}/g, (_, k: string) => String(payload[k] ?? ''));
    process.stderr.write(`${((100 * value) / this.total).toFixed(0).padStart(3)}% | ${text}\n`);
  }

  stop(): void {
    this.bar?.stop();
  }
}

/** argmax over the last axis of (rows, C) values. */
export function argmaxRows(x: ArrayLike<number>, C: number): Int32Array {
  const out = new Int32Array(x.length / C);
  for (let r = 0; r < out.length; r++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (x[r * C + c] > x[r * C + best]) best = c;
    out[r] = best;
  }
  return out;
}
