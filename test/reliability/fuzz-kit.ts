// The mutation kit of the seeded fuzzers (fuzz.test.ts: safetensors, checkpoints, vocabularies;
// fuzz-interop.test.ts: ONNX and tfjs files): weird JSON values, in-place JSON edits, and the case runner
// that holds every outcome to "a correct load or a typed WebRnnError", each case timed and the
// ArrayBuffer growth watched. WEBRNN_FUZZ_N=100000 runs that many cases per kind with no time budget
// (`npm run fuzz`); without it, CI runs a seeded subset within each file's time budget.
import { WebRnnError } from '../../src/index.js';
import { Rng } from '../../src/random.js';

// A watchdog, not a speed claim: one case still running after this long is a hang (a loop over a
// size read from the file, say); typical cases take a few milliseconds, reported in the log.
export const CASE_MS = 10_000;
export const MB = 2 ** 20;

/** Cases per kind in long-run mode (WEBRNN_FUZZ_N), or undefined for CI's time-budgeted subset. */
export const LONG_RUN_CASES: number | undefined = process.env.WEBRNN_FUZZ_N ? Number(process.env.WEBRNN_FUZZ_N) : undefined;

export const WEIRD: unknown[] = [0, 1, -1, 1.5, 255, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 2 ** 64, 1e308, -1e308, null, '7', [], {}, [1], true];
export const NAMES = ['__proto__', 'constructor', 'prototype', 'toString', '__metadata__', '', 'optimizer.__proto__.0', 'optimizer.constructor.0', 'optimizer.exp_avg.999999999', 'optimizer.exp_avg.01', 'optimizer.exp_avg.1', 'optimizer.momentum_buffer.0', 'rnn.weight_ih_l0', 'x'.repeat(10_000)];
export const DTYPES = ['F32', 'F16', 'BF16', 'F64', 'I64', 'U64', 'I32', 'U8', 'BOOL', 'F8_E4M3', 'F4', 'f32', '', 'Q8'];

export function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(0, xs.length - 1)];
}

/** A weird JSON value, fresh each time (objects are never shared between places). */
export function weird(rng: Rng): unknown {
  return structuredClone(pick(rng, WEIRD));
}

/** Sets an own property, even one named "__proto__" (as JSON.parse does). */
export function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, configurable: true, writable: true });
}

/** Changes one leaf of a JSON value in place (numbers become weird ones, strings and keys too). */
export function mutateJson(rng: Rng, v: unknown, depth = 0, names: readonly string[] = NAMES, strings: readonly string[] = DTYPES): unknown {
  if (Array.isArray(v)) {
    if (v.length === 0 || rng.next() < 0.15) {
      v.push(weird(rng));
      return v;
    }
    const i = rng.int(0, v.length - 1);
    v[i] = mutateJson(rng, v[i], depth + 1, names, strings);
    return v;
  }
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    const r = rng.next();
    if (keys.length === 0 || r < 0.1) {
      setOwn(o, pick(rng, names), weird(rng));
    } else if (r < 0.2) {
      delete o[pick(rng, keys)];
    } else if (r < 0.35) {
      // a valid entry under another name (slot names that reach Object.prototype, huge block numbers …)
      const k = pick(rng, keys);
      const v = o[k];
      delete o[k];
      setOwn(o, pick(rng, names), v);
    } else if (r < 0.4) {
      // an own "__proto__" key, as JSON.parse would make it
      setOwn(o, '__proto__', { polluted: 1 });
    } else {
      const k = pick(rng, keys);
      setOwn(o, k, mutateJson(rng, o[k], depth + 1, names, strings));
    }
    return o;
  }
  if (typeof v === 'string') {
    // metadata strings hold JSON themselves: mutate inside them half of the time
    if (v.startsWith('{') && rng.next() < 0.7) {
      try {
        return JSON.stringify(mutateJson(rng, JSON.parse(v), depth + 1, names, strings));
      } catch {
        return v;
      }
    }
    return rng.next() < 0.5 ? pick(rng, strings) : v.slice(0, rng.int(0, v.length));
  }
  return weird(rng);
}

export interface Outcome {
  ok: number;
  typed: Map<string, number>;
  slowest: number;
}

export async function run(name: string, cases: number, deadline: number, make: (rng: Rng) => Uint8Array | string, check: (x: Uint8Array | string) => unknown, seed: number): Promise<Outcome & { ran: number }> {
  const rng = new Rng(seed);
  const out: Outcome = { ok: 0, typed: new Map(), slowest: 0 };
  const ab0 = process.memoryUsage().arrayBuffers;
  let ran = 0;
  for (; ran < cases && performance.now() < deadline; ran++) {
    const input = make(rng);
    const t0 = performance.now();
    try {
      await check(input);
      out.ok++;
    } catch (e) {
      if (!(e instanceof WebRnnError)) {
        const shown = typeof input === 'string' ? input.slice(0, 300) : new TextDecoder().decode(input.subarray(0, 300));
        throw new Error(`${name} case ${ran} (seed ${seed}): ${(e as Error)?.stack ?? e}\ninput starts: ${shown}`);
      }
      out.typed.set(e.code, (out.typed.get(e.code) ?? 0) + 1);
    }
    const ms = performance.now() - t0;
    out.slowest = Math.max(out.slowest, ms);
    if (ms > CASE_MS) throw new Error(`${name} case ${ran} (seed ${seed}) took ${ms.toFixed(0)} ms: a hang`);
    const grown = (process.memoryUsage().arrayBuffers - ab0) / MB;
    if (grown > 256) throw new Error(`${name} case ${ran} (seed ${seed}): ArrayBuffers grew by ${grown.toFixed(0)} MiB`);
  }
  return { ...out, ran };
}
