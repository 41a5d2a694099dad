/**
 * Float64 references of the token layers, same shapes as src/layers/embedding.ts and one-hot.ts:
 * tokens (N) (any shape flattened row-major), W (V, E), outputs (N, E) or (N, V).
 */

/**
 * y[n, :] = W[tokens[n], :].
 *
 * @example
 * refEmbeddingForward([1, 0], Float64Array.of(1, 2, 3, 4), 2); // [3, 4, 1, 2]
 */
export function refEmbeddingForward(tokens: ArrayLike<number>, weight: Float64Array, E: number): Float64Array {
  const y = new Float64Array(tokens.length * E);
  for (let n = 0; n < tokens.length; n++) y.set(weight.subarray(tokens[n] * E, (tokens[n] + 1) * E), n * E);
  return y;
}

/**
 * dW[v, :] = Σ_{n: tokens[n] = v} dy[n, :], summed in increasing n; the padding_idx row stays 0
 * (PyTorch's rule, which is not the true derivative when the padding row is non-zero).
 *
 * @example
 * refEmbeddingBackward([1, 1, 0], Float64Array.of(1, 2, 3), 2, 1, 0); // [0, 3] (row 0 is padding)
 */
export function refEmbeddingBackward(tokens: ArrayLike<number>, dy: Float64Array, V: number, E: number, padding_idx?: number): Float64Array {
  const dW = new Float64Array(V * E);
  for (let n = 0; n < tokens.length; n++) {
    const v = tokens[n];
    if (v === padding_idx) continue;
    for (let e = 0; e < E; e++) dW[v * E + e] += dy[n * E + e];
  }
  return dW;
}

/**
 * out[n, v] = 1 if tokens[n] = v else 0.
 *
 * @example
 * refOneHot([2, 0], 3); // [0, 0, 1, 1, 0, 0]
 */
export function refOneHot(tokens: ArrayLike<number>, V: number): Float64Array {
  const out = new Float64Array(tokens.length * V);
  for (let n = 0; n < tokens.length; n++) out[n * V + tokens[n]] = 1;
  return out;
}
