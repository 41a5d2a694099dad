// conv2d_fwd: ONNX Conv forward, 2-D (1-D runs with H = kH = oH = 1), grouped, strided, dilated, padded.
//
//   y[b, m, oy, ox] = (Σ_{c < Cg, ky < kH, kx < kW} x[b, g·Cg + c, iy, ix] · w[m, c, ky, kx]) + bias[m]
//     g = m / Mg,  iy = oy·sH − pH + ky·dH,  ix = ox·sW − pW + kx·dW  (taps outside the input read 0)
//
// Accumulates from 0 in the order c, ky, kx, each step rounded once as a fused multiply-add rounds it
// (exact product, one rounding per add), then adds the bias — as onnxruntime's float32 GEMM and its
// bias epilogue do (bit for bit on every silero Conv that is a true GEMM: output with more than one
// channel and position, one group) and webrnn's CPU Conv (src/interop/onnx/ops.ts) does. WGSL's fma()
// may round the product first (lavapipe does, and silero's STFT convolution then misses onnxruntime's
// state by 2.4e-5), so the step is fma_exact below: Dekker's exact product plus Knuth's two-sum. One invocation per output element of one batch row, the
// (m, oy, ox) elements numbered across the grid's x and y (x·64 + y·64·num_workgroups.x), so a
// small output (silero's encoder: 4 columns a chunk) still fills every workgroup.
// Grid: x = min(ceil(M·oH·oW / 64), 65535), y = ceil(ceil(M·oH·oW / 64) / x), z = N.
// Variant (Params.relu): y = max(y, 0), an ONNX Relu that reads only this Conv's output, fused.

struct Params {
  N: u32, C: u32, H: u32, W: u32,
  M: u32, kH: u32, kW: u32, oH: u32, oW: u32,
  sH: u32, sW: u32, dH: u32, dW: u32, pH: u32, pW: u32,
  Cg: u32, Mg: u32, has_bias: u32,
  relu: u32, // 1: the output goes through max(·, 0)
  zero: u32, // always 0: see opaque()
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;          // (N, C, H, W)
@group(0) @binding(2) var<storage, read> w: array<f32>;          // (M, Cg, kH, kW)
@group(0) @binding(3) var<storage, read> bias: array<f32>;       // (M); any buffer when has_bias = 0
@group(0) @binding(4) var<storage, read_write> y: array<f32>;    // (N, M, oH, oW)

/**
 * a = hi + lo exactly, hi = a's sign, exponent and top 12 significand bits (masked, not Veltkamp's
 * arithmetic split, which a compiler free to reassociate folds away), so hi·hi, hi·lo, lo·lo are exact.
 */
fn split_f32(a: f32) -> vec2<f32> {
  let hi = bitcast<f32>(bitcast<u32>(a) & 0xfffff000u);
  return vec2<f32>(hi, a - hi);
}

/**
 * v, hidden from the compiler's algebra: ORing in a uniform it cannot know is 0 stops it folding
 * (c + p) − c to p, which would zero the two-sum's error term.
 */
fn opaque(v: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(v) | P.zero);
}

/** c + a·b with the product exact and (nearly always) one rounding: a·b = p + e (Dekker), c + p = s + t (two-sum). */
fn fma_exact(a: f32, b: f32, c: f32) -> f32 {
  let p = a * b;
  let sa = split_f32(a);
  let sb = split_f32(b);
  let e = ((sa.x * sb.x - p) + sa.x * sb.y + sa.y * sb.x) + sa.y * sb.y;
  let s = opaque(c + p);
  let bp = s - c;
  let t = (c - (s - bp)) + (p - bp);
  return s + (t + e);
}

@compute @workgroup_size(64, 1, 1)
fn conv2d_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.y * groups.x * 64u + gid.x;
  let b = gid.z;
  if (i >= P.M * P.oH * P.oW || b >= P.N) { return; }
  let m = i / (P.oH * P.oW);
  let p = i % (P.oH * P.oW);
  let oy = p / P.oW;
  let ox = p % P.oW;
  let g = m / P.Mg;
  var acc = 0.0;
  for (var c = 0u; c < P.Cg; c++) {
    let xc = ((b * P.C + g * P.Cg + c) * P.H) * P.W;
    let wc = ((m * P.Cg + c) * P.kH) * P.kW;
    for (var ky = 0u; ky < P.kH; ky++) {
      let iy = i32(oy * P.sH + ky * P.dH) - i32(P.pH);
      if (iy < 0 || iy >= i32(P.H)) { continue; }
      for (var kx = 0u; kx < P.kW; kx++) {
        let ix = i32(ox * P.sW + kx * P.dW) - i32(P.pW);
        if (ix < 0 || ix >= i32(P.W)) { continue; }
        acc = fma_exact(x[xc + u32(iy) * P.W + u32(ix)], w[wc + ky * P.kW + kx], acc);
      }
    }
  }
  if (P.has_bias != 0u) { acc += bias[m]; }
  if (P.relu != 0u) { acc = max(acc, 0.0); }
  y[((b * P.M + m) * P.oH + oy) * P.oW + ox] = acc;
}
