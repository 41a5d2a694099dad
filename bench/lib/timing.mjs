// How every row is timed, in every host: a first call (which also compiles shaders and pipelines), a
// warm call, then timed calls until `reps` or until the next call would end past the row's time cap,
// and their median. The cap is on warm calls: a first call over twice the cap, or a warm call over the
// cap, ends the row as skipped with the measured time, so a slow engine cannot stall the run.
// Besides the median, the fastest timed call (minMs): on a shared machine the load from other processes
// only ever adds time, and rows run one after the other, so two rows' medians of a few calls can differ
// several-fold with identical kernels (S1 LSTM on lavapipe at a load average of 6: the same engine
// options gave medians 1.5–3× apart, their fastest calls within 2%); compare rows' min_ms under load.

/**
 * @typedef {{ reps: number, capMs: number, doneMs?: number[] }} TimingOptions
 *   doneMs: calls the caller already made (e.g. the correctness guard's), in order, and their times
 * @typedef {{ ms: number, minMs: number, reps: number, samples: number[], firstMs: number, calls: number }} Timed
 * @typedef {{ skipped: string, firstMs: number, calls: number }} Skipped
 */

export const median = (/** @type {number[]} */ xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const now = () => performance.now();

/**
 * @param {() => Promise<unknown>} call one complete call, resolving when its results are on the CPU
 * @param {TimingOptions} o
 * @param {() => void} [afterEach] e.g. sample memory; runs outside the timed region
 * @returns {Promise<Timed | Skipped>}
 */
export async function timeCalls(call, o, afterEach) {
  let calls = 0;
  const done = [...(o.doneMs ?? [])];
  const once = async () => {
    const t = now();
    await call();
    done.push(now() - t);
    calls++;
    afterEach?.();
  };
  const secs = (/** @type {number} */ ms) => `${(ms / 1000).toFixed(1)} s`;
  if (!done.length) await once();
  const firstMs = done[0];
  if (firstMs > 2 * o.capMs) return { skipped: `the first call took ${secs(firstMs)} (compilation included), over twice the row's cap of ${secs(o.capMs)}`, firstMs, calls };
  if (done.length < 2) await once();
  const warm = done[done.length - 1];
  if (warm > o.capMs) return { skipped: `a warm call took ${secs(warm)}, over the row's cap of ${secs(o.capMs)}`, firstMs, calls };
  const spent = done.slice(1).reduce((a, b) => a + b, 0);
  // Timed calls until `reps`, or until the next call would end past the cap (at least one).
  /** @type {number[]} */
  const samples = [];
  const start = now();
  while (samples.length < o.reps) {
    const t = now();
    await call();
    samples.push(now() - t);
    calls++;
    afterEach?.();
    if (spent + (now() - start) + samples[samples.length - 1] > o.capMs) break;
  }
  return { ms: median(samples), minMs: Math.min(...samples), reps: samples.length, samples, firstMs, calls };
}
