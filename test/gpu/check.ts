// The harness every GPU case runs in, on every host (Node, Deno, headless Chromium): tolerances, the
// relative-error measure, and runCase(), which runs a case body inside WebGPU validation and
// out-of-memory error scopes, frees what the body owns, and turns checks, exceptions and WebGPU errors
// into a CaseResult — it never throws. No test framework and no node: imports (bundled by esbuild).
import type { Engine } from '../../src/gpu/engine.js';

/**
 * Tolerances, as max |gpu − ref| / max |ref| over each tensor (absolute when the reference is all 0):
 * - TOL_FORWARD: layer outputs, final states, loss values;
 * - TOL_GRAD: every gradient (of inputs, states, parameters; dloss/dlogits);
 * - TOL_WEIGHTS: weights and optimizer state after optimizer steps, relative to max |w|;
 * - TOL_NORM: the global gradient norm an optimizer step reports, relative to the float64 norm.
 */
export const TOL_FORWARD = 2e-5;
export const TOL_GRAD = 1e-4;
export const TOL_WEIGHTS = 1e-5;
export const TOL_NORM = 1e-6;

export interface CaseResult {
  name: string;
  pass: boolean;
  detail: string;
  /** worst relative error over forward tensors, gradients and optimizer weights/state */
  worstForward?: number;
  worstGrad?: number;
  worstWeights?: number;
  /** wall time of the case, set by runGpuCases */
  ms?: number;
}

/** What a tolerance applies to; decides which worst-error bucket a check lands in. */
export type CheckKind = 'forward' | 'grad' | 'weights' | 'norm';

const TOL: Record<CheckKind, number> = { forward: TOL_FORWARD, grad: TOL_GRAD, weights: TOL_WEIGHTS, norm: TOL_NORM };

/** max |got − want| / max |want| (absolute when want is all 0) and where the worst difference is. */
export function relErr(got: ArrayLike<number>, want: ArrayLike<number>): { err: number; index: number } {
  if (got.length !== want.length) return { err: Infinity, index: -1 };
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  let worst = 0;
  let index = -1;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]);
    if (!(e <= worst)) {
      worst = e;
      index = i;
    }
  }
  return { err: scale > 0 ? worst / scale : worst, index };
}

/** What a case body gets: checks against references, plain assertions, and ownership of GPU objects. */
export interface CaseContext {
  /** Frees `x` when the case ends, whatever happens. */
  own<T extends { dispose(): void }>(x: T): T;
  /** Compares a GPU result with its float64 reference under the tolerance of `kind`. */
  check(name: string, got: ArrayLike<number>, want: ArrayLike<number>, kind: CheckKind): void;
  /** Records a failure unless `ok`. */
  expect(ok: boolean, what: string): void;
  /** Adds a line to the result's detail (e.g. a loss curve), pass or fail. */
  note(s: string): void;
}

/**
 * Runs a case body inside validation and out-of-memory error scopes and reports it; never throws.
 * A case passes when the body returns without throwing, every check is within tolerance, every
 * expect() held and no WebGPU error was raised.
 */
export async function runCase(engine: Engine, name: string, body: (t: CaseContext) => Promise<void>): Promise<CaseResult> {
  const owned: { dispose(): void }[] = [];
  const bad: string[] = [];
  const notes: string[] = [];
  const worst: Record<CheckKind, number> = { forward: 0, grad: 0, weights: 0, norm: 0 };
  const seen = new Set<CheckKind>();
  const ctx: CaseContext = {
    own(x) {
      owned.push(x);
      return x;
    },
    check(what, got, want, kind) {
      const { err, index } = relErr(got, want);
      worst[kind] = Math.max(worst[kind], err);
      seen.add(kind);
      if (!(err <= TOL[kind])) {
        const at = index < 0 ? `length ${got.length}, want ${want.length}` : `[${index}] gpu ${got[index]} ref ${want[index]}`;
        bad.push(`${what}: rel err ${err.toExponential(2)} > ${TOL[kind]} at ${at}`);
      }
    },
    expect(ok, what) {
      if (!ok) bad.push(what);
    },
    note(s) {
      notes.push(s);
    },
  };
  let thrown: unknown;
  engine.device.pushErrorScope('validation');
  engine.device.pushErrorScope('out-of-memory');
  try {
    await body(ctx);
  } catch (e) {
    thrown = e;
  } finally {
    for (const o of owned.reverse()) {
      try {
        o.dispose();
      } catch (e) {
        thrown ??= e;
      }
    }
  }
  const oom = await engine.device.popErrorScope();
  const validation = await engine.device.popErrorScope();
  if (thrown) return { name, pass: false, detail: `threw: ${(thrown as Error).stack ?? thrown}` };
  if (validation || oom) return { name, pass: false, detail: `WebGPU error: ${(validation ?? oom)!.message}` };
  const label: Record<CheckKind, string> = { forward: 'forward', grad: 'grads', weights: 'weights', norm: 'norm' };
  const parts = (['forward', 'grad', 'weights', 'norm'] as const).filter((k) => seen.has(k)).map((k) => `${label[k]} ${worst[k].toExponential(2)}`);
  const summary = [parts.join(', ') || 'no numeric checks', ...notes].join('; ');
  return {
    name,
    pass: bad.length === 0,
    detail: bad.length ? `${bad.join('; ')} (${summary})` : summary,
    ...(seen.has('forward') ? { worstForward: worst.forward } : {}),
    ...(seen.has('grad') ? { worstGrad: worst.grad } : {}),
    ...(seen.has('weights') ? { worstWeights: worst.weights } : {}),
  };
}

/** float64 → float32 (what goes to the GPU). */
export const f32 = (a: ArrayLike<number>): Float32Array<ArrayBuffer> => Float32Array.from(a);
/** float64 values rounded to float32, kept as float64: references then see exactly what the GPU sees. */
export const rounded = (a: ArrayLike<number>): Float64Array => Float64Array.from(Float32Array.from(a));
