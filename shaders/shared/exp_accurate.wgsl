// exp_accurate: e^x and e^x − 1 to about one ulp on every adapter, from multiplies and adds only.
// Pure (needs nothing from the kernel). Included by shared/tanh_clamped.wgsl (so by every kernel
// that includes it) and shared/onnx_activations.wgsl.
// WGSL lets builtin exp and tanh be as loose as the adapter likes (SwiftShader's drift a recurrent
// state measurably further from onnxruntime's than lavapipe's over thousands of steps); these make
// every host compute the same function. x = n·ln2 + r with |r| ≤ ln2/2 (Cody–Waite: ln2 split in
// a 16-bit head, so n·head is exact, and a tail), e^r − 1 by its Taylor polynomial to r⁸ (the
// remainder is below 2e-10), then scaled by 2ⁿ.

// e^r − 1 for |r| ≤ 0.35 (Horner)
fn expm1_reduced(r: f32) -> f32 {
  return r * (1.0 + r * (0.5 + r * (1.6666667e-1 + r * (4.1666668e-2 + r * (8.3333338e-3 + r * (1.3888889e-3 + r * (1.9841270e-4 + r * 2.4801587e-5)))))));
}

// x = n·ln2 + r: (n, r)
fn exp_reduce(x: f32) -> vec2<f32> {
  let n = round(x * 1.4426950);
  return vec2<f32>(n, (x - n * 0.69314575) - n * 1.4286068e-6);
}

// e^x; x clamped to [−87, 88] (the f32 range, 2ⁿ stays a normal number)
fn exp_accurate(x: f32) -> f32 {
  let nr = exp_reduce(clamp(x, -87.0, 88.0));
  return ldexp(1.0 + expm1_reduced(nr.y), i32(nr.x));
}

// e^x − 1 without cancellation near 0: 2ⁿ·(e^r − 1) + (2ⁿ − 1); x clamped to [−87, 88]
fn expm1_accurate(x: f32) -> f32 {
  let nr = exp_reduce(clamp(x, -87.0, 88.0));
  let s = ldexp(1.0, i32(nr.x));
  return s * expm1_reduced(nr.y) + (s - 1.0);
}
