/**
 * The bias-corrected scalars of Adam step t, in float64 as torch computes them (Python floats) before
 * they are rounded to the kernel's float32: step_size = lr / (1 − β1ᵗ), bias_correction2_sqrt =
 * sqrt(1 − β2ᵗ), and AdamW's decay factor 1 − lr·weight_decay (1 for Adam).
 *
 * @example
 * adamScalars(1, 1e-3, [0.9, 0.999], 0, false); // { step_size: 0.01, bias_correction2_sqrt: 0.0316…, decay: 1 }
 */
export function adamScalars(t: number, lr: number, betas: readonly [number, number], weight_decay: number, decoupled: boolean) {
  const bias_correction1 = 1 - betas[0] ** t;
  const bias_correction2 = 1 - betas[1] ** t;
  return {
    step_size: lr / bias_correction1,
    bias_correction2_sqrt: Math.sqrt(bias_correction2),
    decay: decoupled ? 1 - lr * weight_decay : 1,
  };
}
