/**
 * Float64 references of the losses, same shapes and semantics as src/losses/: each returns the
 * reduced loss and its gradient with respect to the input. Masks are 0/1 per row or per element;
 * 'mean' divides by the number of counted rows/elements and is 0 (with zero gradient) when none count.
 */

export type RefReduction = 'mean' | 'sum';

export interface RefLoss {
  loss: number;
  grad_input: Float64Array; // the input's shape
}

export interface RefCrossEntropyOptions {
  reduction?: RefReduction;
  ignore_index?: number;
  mask?: ArrayLike<number | boolean>; // (N)
}

const scaleFor = (r: RefReduction, count: number) => (r === 'sum' ? 1 : count > 0 ? 1 / count : 0);

/**
 * Softmax cross-entropy over rows of logits (N, C): Σ_n w_n (log Σ_c e^{x_nc} − x_{n,t_n}),
 * dx_nc = w_n (softmax(x_n)_c − [c = t_n]).
 *
 * @example
 * refCrossEntropy(Float64Array.of(0, 0), [1], 2).loss; // log 2
 */
export function refCrossEntropy(logits: Float64Array, targets: ArrayLike<number>, C: number, opts: RefCrossEntropyOptions = {}): RefLoss {
  const N = targets.length;
  const ignore = opts.ignore_index ?? -100;
  const counted = (n: number) => targets[n] !== ignore && (opts.mask === undefined || Number(opts.mask[n]) !== 0);
  let count = 0;
  for (let n = 0; n < N; n++) if (counted(n)) count++;
  const w = scaleFor(opts.reduction ?? 'mean', count);
  const grad = new Float64Array(N * C);
  let loss = 0;
  for (let n = 0; n < N; n++) {
    if (!counted(n)) continue;
    const row = logits.subarray(n * C, (n + 1) * C);
    let m = -Infinity;
    for (const v of row) m = Math.max(m, v);
    let s = 0;
    for (const v of row) s += Math.exp(v - m);
    const lse = m + Math.log(s);
    const t = targets[n];
    loss += w * (lse - row[t]);
    for (let c = 0; c < C; c++) grad[n * C + c] = w * (Math.exp(row[c] - lse) - (c === t ? 1 : 0));
  }
  return { loss, grad_input: grad };
}

export interface RefElementwiseOptions {
  reduction?: RefReduction;
  /** (rows) broadcast over the last axis of length F, or (n) per element */
  mask?: ArrayLike<number | boolean>;
}

function elementwise(
  x: Float64Array,
  y: Float64Array,
  F: number,
  opts: RefElementwiseOptions,
  f: (x: number, y: number) => [loss: number, grad: number],
): RefLoss {
  const n = x.length;
  const m = opts.mask;
  const perRow = m !== undefined && m.length !== n;
  const weight = (i: number) => (m === undefined ? 1 : Number(m[perRow ? Math.floor(i / F) : i]) !== 0 ? 1 : 0);
  let count = 0;
  for (let i = 0; i < n; i++) count += weight(i);
  const s = scaleFor(opts.reduction ?? 'mean', count);
  const grad = new Float64Array(n);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    if (weight(i) === 0) continue;
    const [l, g] = f(x[i], y[i]);
    loss += s * l;
    grad[i] = s * g;
  }
  return { loss, grad_input: grad };
}

/**
 * Binary cross-entropy on logits: max(x, 0) − x·y + log(1 + e^(−|x|)), d/dx = σ(x) − y.
 * @param F the input's last axis (for a per-row mask)
 *
 * @example
 * refBceWithLogits(Float64Array.of(0), Float64Array.of(1), 1).loss; // log 2
 */
export function refBceWithLogits(x: Float64Array, y: Float64Array, F: number, opts: RefElementwiseOptions = {}): RefLoss {
  return elementwise(x, y, F, opts, (a, b) => [Math.max(a, 0) - a * b + Math.log1p(Math.exp(-Math.abs(a))), 1 / (1 + Math.exp(-a)) - b]);
}

/**
 * Squared error: (x − y)², d/dx = 2(x − y).
 * @param F the input's last axis (for a per-row mask)
 *
 * @example
 * refMse(Float64Array.of(1, 3), Float64Array.of(0, 0), 2).loss; // 5
 */
export function refMse(x: Float64Array, y: Float64Array, F: number, opts: RefElementwiseOptions = {}): RefLoss {
  return elementwise(x, y, F, opts, (a, b) => [(a - b) ** 2, 2 * (a - b)]);
}
