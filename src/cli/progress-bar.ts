/**
 * A one-line progress bar on a terminal: `{bar} {percentage}% | <format> | ETA {eta}`, redrawn in place,
 * with log lines printed above it. Where the stream is not a terminal it draws nothing (the callers
 * print their own periodic lines there). Written here rather than taken from a package so that the
 * library's users do not install a progress-bar dependency they never run.
 */

/** Where the bar is drawn: process.stderr, or anything with the same shape (tests). */
export interface BarStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressBarOptions {
  /** The text after the percentage, with `{name}` placeholders filled from each update's payload. */
  format: string;
  /** Value at 100%. */
  total: number;
  stream?: BarStream;
  /** Characters of the bar itself (default 24). */
  width?: number;
  /** Updates the ETA is averaged over (default 50). */
  etaWindow?: number;
}

export type BarPayload = Record<string, string | number>;

const FULL = '\u2588';
const EMPTY = '\u2591';

export class ProgressBar {
  private readonly stream: BarStream;
  private readonly tty: boolean;
  private readonly width: number;
  private readonly etaWindow: number;
  private readonly history: { value: number; at: number }[] = [];
  private value = 0;
  private payload: BarPayload = {};
  private drawn = false;
  private stopped = false;

  constructor(private readonly opts: ProgressBarOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = this.stream.isTTY === true;
    this.width = opts.width ?? 24;
    this.etaWindow = opts.etaWindow ?? 50;
  }

  /** Shows the bar at `value` (hides the cursor while it is drawn). */
  start(value: number, payload: BarPayload = {}): void {
    if (this.tty) this.stream.write('\u001b[?25l');
    this.update(value, payload);
  }

  /** Moves the bar to `value`, with new placeholder values (missing ones keep their last value). */
  update(value: number, payload: BarPayload = {}): void {
    if (this.stopped) return;
    this.value = value;
    this.payload = { ...this.payload, ...payload };
    this.history.push({ value, at: performance.now() });
    if (this.history.length > this.etaWindow) this.history.shift();
    this.draw();
  }

  /** Prints `text` (ending in a newline) above the bar, then redraws the bar. */
  log(text: string): void {
    if (!this.tty) {
      this.stream.write(text);
      return;
    }
    this.stream.write(`\r\u001b[2K${text}`);
    this.drawn = false;
    if (!this.stopped) this.draw();
  }

  /** Leaves the bar as it is on its own line and shows the cursor again. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.tty && this.drawn) this.stream.write('\n');
    if (this.tty) this.stream.write('\u001b[?25h');
  }

  /** The bar's text for the current value (what a terminal shows). */
  line(): string {
    const total = this.opts.total;
    const fraction = total > 0 ? Math.min(1, Math.max(0, this.value / total)) : 1;
    const filled = Math.round(fraction * this.width);
    const text = this.opts.format.replace(/\{(\w+)\}/g, (m, k: string) => (k in this.payload ? String(this.payload[k]) : m));
    return ` ${FULL.repeat(filled)}${EMPTY.repeat(this.width - filled)} ${Math.floor(fraction * 100)}% | ${text} | ETA ${this.eta()}`;
  }

  private draw(): void {
    if (!this.tty) return;
    let s = this.line();
    const cols = this.stream.columns;
    if (cols && s.length >= cols) s = s.slice(0, cols - 1);
    this.stream.write(`\r\u001b[2K${s}`);
    this.drawn = true;
  }

  private eta(): string {
    const first = this.history[0];
    const last = this.history[this.history.length - 1];
    if (!first || !last || last.value <= first.value || last.at <= first.at) return this.value >= this.opts.total ? '0s' : '-';
    const rate = (last.value - first.value) / (last.at - first.at); // per millisecond
    return formatDuration(Math.max(0, this.opts.total - this.value) / rate / 1000);
  }
}

/** 75 → '1m15s', 3700 → '1h01m', 12 → '12s'. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '-';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
