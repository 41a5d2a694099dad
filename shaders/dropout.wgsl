// dropout: inverted dropout with a counter-based mask, applied in place — between stacked recurrent
// layers in training mode (PyTorch's `dropout` argument of nn.RNN/GRU/LSTM).
//
//   keep(i) = hash(seed, call, i) ≥ p·2³²;   x[off + i] ← keep(i) ? x[off + i] / (1 − p) : 0     for i < n
//
// The mask is a pure function of (seed, call, i), so the backward multiplies the incoming gradient by
// exactly the forward's mask without storing it; `call` changes at every forward, giving fresh masks.
// hash = shared/counter_hash.wgsl's, with the layer as its stream. Grid: x = ceil(n / 64).

struct Params {
  n: u32,
  off: u32,        // first element
  threshold: u32,  // round(p · 2³²), saturated
  layer: u32,      // mixed into the hash so stacked layers draw independent masks
  scale: f32,      // 1 / (1 − p)
}
struct Call { seed: u32, call: u32, enabled: u32 }  // enabled = 0: evaluation mode, x unchanged

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<uniform> C: Call;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;  // (T, B, F) activations or their gradients

//!include "shared/counter_hash.wgsl"

@compute @workgroup_size(64, 1, 1)
fn dropout(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * 65535u * 64u;
  if (i >= P.n || C.enabled == 0u) { return; }
  let h = counter_hash(C.seed, C.call, P.layer, i);
  let k = P.off + i;
  x[k] = select(0.0, x[k] * P.scale, h >= P.threshold);
}
