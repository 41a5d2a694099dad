/**
 * Float64 reference of the Dense layer (PyTorch nn.Linear on every row), same shapes as
 * src/layers/dense.ts: x (rows, I) row-major, W (O, I), b (O).
 */

export interface RefDenseGradients {
  grad_input: Float64Array; // (rows, I)
  grads: { weight: Float64Array; bias?: Float64Array }; // (O, I), (O)
}

/**
 * y = x·Wᵀ + b for every row.
 *
 * @example
 * refDenseForward(Float64Array.of(1, 2), Float64Array.of(1, 0, 0, 1, 1, 1), Float64Array.of(0, 0, 10), 2, 3);
 * // (1 row) y = [1, 2, 13]
 */
export function refDenseForward(x: Float64Array, weight: Float64Array, bias: Float64Array | undefined, I: number, O: number): Float64Array {
  const rows = x.length / I;
  const y = new Float64Array(rows * O);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < O; o++) {
      let s = bias ? bias[o] : 0;
      for (let i = 0; i < I; i++) s += x[r * I + i] * weight[o * I + i];
      y[r * O + o] = s;
    }
  }
  return y;
}

/**
 * dX = dY·W, dW = dYᵀ·X, db = Σ_rows dY (db only when hasBias).
 *
 * @example
 * const g = refDenseBackward(Float64Array.of(1, 2), Float64Array.of(1, 0, 0, 1), Float64Array.of(1, 1), 2, 2, true);
 * // g.grad_input = [1, 1], g.grads.weight = [1, 2, 1, 2], g.grads.bias = [1, 1]
 */
export function refDenseBackward(x: Float64Array, weight: Float64Array, dy: Float64Array, I: number, O: number, hasBias: boolean): RefDenseGradients {
  const rows = x.length / I;
  const dx = new Float64Array(rows * I);
  const dW = new Float64Array(O * I);
  const db = hasBias ? new Float64Array(O) : undefined;
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < O; o++) {
      const g = dy[r * O + o];
      if (db) db[o] += g;
      for (let i = 0; i < I; i++) {
        dx[r * I + i] += g * weight[o * I + i];
        dW[o * I + i] += g * x[r * I + i];
      }
    }
  }
  return { grad_input: dx, grads: { weight: dW, ...(db ? { bias: db } : {}) } };
}
