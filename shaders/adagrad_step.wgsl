// adagrad_step: one torch.optim.Adagrad step (1.13, no weight decay) on one flat parameter block.
//
//   sum = sum + g²
//   p   = p − clr · g / (√sum + eps)          clr = lr / (1 + (t − 1) · lr_decay), from the host per step
//
// An entry whose gradient is 0 keeps its value and its sum exactly, so sparse gradients (embedding
// rows a batch did not touch) leave those rows alone — unlike Adam, whose moments keep moving them.
// Shapes: params, grads, sum (n) — one block, flat. Grid: x = groups (capped; grid-stride loop), 256 each.

struct Params {
  n: u32,
  eps: f32,
}
struct StepScalars {
  clr: f32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<uniform> S: StepScalars;
@group(0) @binding(2) var<storage, read> grads: array<f32>;           // (n)
@group(0) @binding(3) var<storage, read_write> params: array<f32>;    // (n)
@group(0) @binding(4) var<storage, read_write> sum: array<f32>;       // (n) state_sum

@compute @workgroup_size(256, 1, 1)
fn adagrad_step(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let stride = nwg.x * 256u;
  for (var i = gid.x; i < P.n; i += stride) {
    let g = grads[i];
    if (g == 0.0) { continue; }
    let s = sum[i] + g * g;
    sum[i] = s;
    params[i] = params[i] - S.clr * g / (sqrt(s) + P.eps);
  }
}
