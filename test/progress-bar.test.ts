// The command line's progress bar: drawn in place on a terminal, silent elsewhere, log lines above it.
import { describe, expect, test } from 'vitest';
import { formatDuration, ProgressBar, type BarStream } from '../src/cli/progress-bar.js';

const stream = (isTTY: boolean, columns?: number) => {
  const writes: string[] = [];
  const s: BarStream & { writes: string[] } = { isTTY, columns, writes, write: (x: string) => writes.push(x) };
  return s;
};

describe('ProgressBar', () => {
  test('on a terminal: bar, percentage, placeholders, ETA; redrawn in place', () => {
    const s = stream(true);
    const bar = new ProgressBar({ format: 'step {step} | loss {loss}', total: 10, stream: s, width: 10 });
    bar.start(0, { step: 0, loss: '-' });
    bar.update(5, { step: 5, loss: '1.250' });
    expect(bar.line()).toMatch(/^ █{5}░{5} 50% \| step 5 \| loss 1\.250 \| ETA \S+$/);
    expect(s.writes[0]).toBe('\u001b[?25l'); // cursor hidden while drawing
    expect(s.writes.at(-1)).toBe(`\r\u001b[2K${bar.line()}`);
    bar.update(10, { step: 10 }); // loss keeps its last value
    expect(bar.line()).toContain('100% | step 10 | loss 1.250 | ETA 0s');
    bar.stop();
    expect(s.writes.slice(-2)).toEqual(['\n', '\u001b[?25h']);
    bar.update(3);
    expect(bar.line()).toContain('100%'); // updates after stop are ignored
  });

  test('log lines go above the bar, which is drawn again; long bars are cut to the terminal width', () => {
    const s = stream(true, 40);
    const bar = new ProgressBar({ format: 'a rather long description of the step {step}', total: 4, stream: s });
    bar.start(1, { step: 1 });
    bar.log('sample text\n');
    expect(s.writes.at(-2)).toBe('\r\u001b[2Ksample text\n');
    expect(s.writes.at(-1)?.length).toBe('\r\u001b[2K'.length + 39);
  });

  test('not a terminal: draws nothing, passes log lines through', () => {
    const s = stream(false);
    const bar = new ProgressBar({ format: 'step {step}', total: 3, stream: s });
    bar.start(0, { step: 0 });
    bar.update(2, { step: 2 });
    bar.log('line\n');
    bar.stop();
    expect(s.writes).toEqual(['line\n']);
  });

  test('placeholders never given stay visible rather than vanish', () => {
    const bar = new ProgressBar({ format: '{known} {unknown}', total: 1, stream: stream(false) });
    bar.update(0, { known: 'x' });
    expect(bar.line()).toContain('x {unknown}');
  });

  test('durations', () => {
    expect(formatDuration(12)).toBe('12s');
    expect(formatDuration(75)).toBe('1m15s');
    expect(formatDuration(3700)).toBe('1h01m');
    expect(formatDuration(Infinity)).toBe('-');
  });
});
