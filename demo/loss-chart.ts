/**
 * The live chart: training loss and validation loss, both in bits per character, against the step.
 * uPlot draws on a canvas; new points are appended in place and the chart redrawn at most once per
 * animation frame (or every 250 ms in a hidden tab, where frames do not run).
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export class LossChart {
  private readonly plot: uPlot;
  private readonly steps: number[] = [];
  private readonly train: (number | null)[] = [];
  private readonly valid: (number | null)[] = [];
  private pending = false;
  /** shown over the empty chart, before the first step */
  private readonly hint: HTMLElement;

  constructor(host: HTMLElement) {
    this.hint = document.createElement('div');
    this.hint.className = 'chart-hint';
    this.hint.textContent = 'The loss chart fills in as the model trains.';
    this.plot = new uPlot(
      {
        width: Math.max(320, host.clientWidth || 640),
        height: 260,
        scales: { x: { time: false } },
        axes: [
          // Whole steps only on the x axis.
          { label: 'step', stroke: '#555', grid: { stroke: '#eee' }, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000] },
          { label: 'bits per character', stroke: '#555', grid: { stroke: '#eee' } },
        ],
        series: [
          { label: 'step' },
          { label: 'training', stroke: '#2b6cb0', width: 1.5, value: (_u, v) => (v == null ? '–' : v.toFixed(3)) },
          { label: 'validation', stroke: '#c05621', width: 2, spanGaps: true, points: { show: true, size: 5 }, value: (_u, v) => (v == null ? '–' : v.toFixed(3)) },
        ],
        legend: { live: true },
      },
      [[], [], []],
      host,
    );
    host.append(this.hint);
    // Resizing in the next frame, and only when the width changed, keeps the observer from re-firing
    // on the chart's own layout change ("ResizeObserver loop completed with undelivered notifications").
    let width = this.plot.width;
    new ResizeObserver(() => {
      const w = Math.max(320, host.clientWidth);
      if (w === width) return;
      width = w;
      requestAnimationFrame(() => this.plot.setSize({ width: w, height: 260 }));
    }).observe(host);
  }

  /** Adds a training point (bits/char) and optionally a validation point at the same step. */
  add(step: number, trainBpc: number, validBpc?: number): void {
    this.hint.hidden = true;
    this.steps.push(step);
    this.train.push(trainBpc);
    this.valid.push(validBpc ?? null);
    this.schedule();
  }

  /** Sets the validation point of the latest step (it arrives after the step's training loss). */
  setLatestValidation(validBpc: number): void {
    if (this.valid.length === 0) return;
    this.valid[this.valid.length - 1] = validBpc;
    this.schedule();
  }

  clear(): void {
    this.steps.length = this.train.length = this.valid.length = 0;
    this.plot.setData([[], [], []]);
    this.hint.hidden = false;
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    const draw = () => {
      if (!this.pending) return;
      this.pending = false;
      this.plot.setData([this.steps, this.train, this.valid]);
    };
    requestAnimationFrame(draw);
    setTimeout(draw, 250);
  }
}
