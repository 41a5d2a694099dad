// What the vitest GPU test files share: one engine per file, WebGPU error scopes that fail the test,
// comparisons against float64 references that name the first worst index and both values, the code of
// a WebRnnError, and central finite differences. Unlike test/gpu/check.ts (which runs on every host,
// with no test framework) this module calls vitest's beforeAll/afterAll/expect; the error measure, the
// tolerances and f32 are check.ts's, re-exported, so both harnesses compare alike.
import { afterAll, beforeAll, expect } from 'vitest';
import { createEngine, WebRnnError, type Engine } from '../../src/index.js';
import { relErr } from '../gpu/check.js';

export { f32, relErr, TOL_FORWARD, TOL_GRAD, TOL_NORM, TOL_WEIGHTS } from '../gpu/check.js';

/** The file's engine, set by useEngine() before its first test. */
export let engine: Engine;

/** Creates the engine before the file's tests and disposes it after them; call once at top level. */
export function useEngine(): void {
  beforeAll(async () => {
    engine = await createEngine();
  });
  afterAll(() => engine?.dispose());
}

/** Runs fn inside validation + out-of-memory error scopes; fails on any WebGPU error. */
export async function scoped<T>(fn: () => Promise<T>): Promise<T> {
  engine.device.pushErrorScope('validation');
  engine.device.pushErrorScope('out-of-memory');
  let out: T;
  try {
    out = await fn();
  } finally {
    const oom = await engine.device.popErrorScope();
    const val = await engine.device.popErrorScope();
    expect(val?.message ?? null, 'validation error').toBeNull();
    expect(oom?.message ?? null, 'out-of-memory error').toBeNull();
  }
  return out;
}

/**
 * Expects max |got − want| / max |want| (absolute when want is all 0) ≤ tol; on failure says where the
 * first worst difference is and both values there. `record` sees the error first, even on failure.
 * Returns the error.
 */
export function expectClose(name: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number, record?: (err: number) => void): number {
  const { err, index } = relErr(got, want);
  record?.(err);
  expect(err, `${name}: rel err ${err.toExponential(2)} > ${tol} at [${index}] got ${got[index]} want ${want[index]}`).toBeLessThanOrEqual(tol);
  return err;
}

/**
 * expectClose that also keeps the worst error per `kind` (checks without a kind are not kept) and logs
 * them after the file's tests as `worst relative errors (<file>): {...}`; call once at top level.
 */
export function expectCloseLoggingWorst(file: string): (name: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number, kind?: string) => void {
  const worst: Record<string, number> = {};
  afterAll(() => console.log(`worst relative errors (${file}):`, JSON.stringify(worst)));
  return (name, got, want, tol, kind) => {
    expectClose(name, got, want, tol, kind ? (err) => (worst[kind] = Math.max(worst[kind] ?? 0, err)) : undefined);
  };
}

/** The code of the WebRnnError that fn throws (failing the test if it throws anything else); undefined if it returns. */
export function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WebRnnError);
    return (e as WebRnnError).code;
  }
  return undefined;
}

/** code() for a function whose error comes as a rejected promise. */
export async function asyncCode(fn: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WebRnnError);
    return (e as WebRnnError).code;
  }
  return undefined;
}

/** Central differences of f at every index of p (perturbed in place and restored) not skipped; skipped ones stay 0. */
export function numericGrad(p: Float64Array, f: () => number, h = 1e-6, skip?: (i: number) => boolean): Float64Array {
  const g = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    if (skip?.(i)) continue;
    const v = p[i];
    p[i] = v + h;
    const a = f();
    p[i] = v - h;
    const b = f();
    p[i] = v;
    g[i] = (a - b) / (2 * h);
  }
  return g;
}

/** float32 (or any) values widened to float64, for the references. */
export const f64 = (a: ArrayLike<number>): Float64Array => Float64Array.from(a);
/** Σ a[i]·b[i] in float64: a loss whose gradient with respect to a is b. */
export const dot = (a: Float64Array, b: Float64Array): number => a.reduce((s, v, i) => s + v * b[i], 0);
