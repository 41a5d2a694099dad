/**
 * A clean stop for training loops: SIGINT (Ctrl-C), SIGTERM (kill, systemd, docker stop) and SIGHUP
 * (the terminal closed) all ask the loop to stop after the current step and save its checkpoint; a
 * second signal exits at once (the last checkpoint on disk is intact: writes are atomic).
 */

const STATUS: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/**
 * @example
 * const stop = new StopSignals();
 * try { while (!stop.signal) await step(); await save(); } finally { stop.dispose(); }
 * if (stop.signal) return stop.exitStatus;
 */
export class StopSignals {
  /** The first signal received, if any. */
  signal: NodeJS.Signals | undefined;
  private readonly handler = (s: NodeJS.Signals): void => {
    if (this.signal) process.exit(STATUS[s] ?? 1);
    this.signal = s;
  };

  constructor() {
    for (const s of Object.keys(STATUS)) process.on(s as NodeJS.Signals, this.handler);
  }

  /** The exit status shells expect after the signal: 128 + its number (130 for Ctrl-C). */
  get exitStatus(): number {
    return this.signal ? STATUS[this.signal]! : 0;
  }

  dispose(): void {
    for (const s of Object.keys(STATUS)) process.off(s as NodeJS.Signals, this.handler);
  }
}
