/**
 * Row-ranged affine maps y += W x + b and their adjoints, in float64: the one piece of linear
 * algebra every reference cell shares. W is row-major (rows, cols) with cols = x.length; a row
 * range lets a cell apply part of a stacked gate matrix to a different vector (GRU reset-before
 * applies the n rows of W_hh to r ⊙ h). Vectors are indexed by the full row number, so gate k of
 * a stacked (G·H) vector lives at [k·H, (k+1)·H).
 */

/**
 * y[r] += b[r] + Σ_j W[r, j]·x[j] for r in [r0, r1); an absent b counts as zero. Accumulating lets
 * a cell sum its input and recurrent products into one pre-activation vector.
 *
 * @example
 * const y = new Float64Array(2);
 * affineRows(Float64Array.of(1, 2, 3, 4), Float64Array.of(10, 20), Float64Array.of(1, 1), y, 0, 2); // y = [13, 27]
 */
export function affineRows(
  W: Float64Array,
  b: Float64Array | undefined,
  x: Float64Array,
  y: Float64Array,
  r0: number,
  r1: number,
): void {
  const cols = x.length;
  for (let r = r0; r < r1; r++) {
    let s = b === undefined ? 0 : b[r]!;
    const base = r * cols;
    for (let j = 0; j < cols; j++) s += W[base + j]! * x[j]!;
    y[r]! += s;
  }
}

/**
 * Adjoint of {@link affineRows} for rows [r0, r1), accumulating:
 * dW[r, :] += dy[r]·x, db[r] += dy[r], dx += W[r, :]ᵀ·dy[r]. Absent db is skipped (no bias).
 *
 * @example
 * const dW = new Float64Array(4), dx = new Float64Array(2);
 * affineRowsBackward(Float64Array.of(1, 2, 3, 4), Float64Array.of(1, 1), Float64Array.of(1, 0), 0, 2, dW, undefined, dx);
 * // dW = [1, 1, 0, 0], dx = [1, 2]
 */
export function affineRowsBackward(
  W: Float64Array,
  x: Float64Array,
  dy: Float64Array,
  r0: number,
  r1: number,
  dW: Float64Array,
  db: Float64Array | undefined,
  dx: Float64Array,
): void {
  const cols = x.length;
  for (let r = r0; r < r1; r++) {
    const g = dy[r]!;
    if (db !== undefined) db[r]! += g;
    const base = r * cols;
    for (let j = 0; j < cols; j++) {
      dW[base + j]! += g * x[j]!;
      dx[j]! += W[base + j]! * g;
    }
  }
}
