// sample_logits: one token id per row of logits — the argmax, or a draw from the temperature-scaled,
// top-k / top-p filtered softmax (Hugging Face's Temperature → TopK → TopP warpers, then a multinomial
// draw). One workgroup per row; the row is never sorted, copied or written.
//
//   z_i = x_i / temperature,   m = max_i z_i
//   top-k:  keep z_i ≥ (k-th largest z)                                  (ties at the cut all kept)
//   top-p:  of those, keep z_i ≥ τ, τ the largest value whose kept mass Σ_{z_j ≥ τ} e^(z_j − m)
//           reaches top_p · (mass kept by top-k): the smallest set of most likely tokens with
//           cumulative probability ≥ top_p (ties at the cut all kept; the argmax always kept)
//   draw:   u = hash(seed, draw, row) ∈ [0, 1) (24 bits);  id = the first kept i, in id order, with
//           Σ_{kept j ≤ i} e^(z_j − m) > u · Σ_{kept} e^(z_j − m)   (inverse CDF)
//   greedy: id = argmax_i x_i, lowest id on ties (temperature, top-k, top-p unused)
//   ids[out_off + t·R + r] = id          t = step.t; draw = step.draw (the RNG counter)
//
// Thresholds are exact: a binary search over the 32 bits of an order-preserving u32 key of z, each
// probe one sweep of the row (a count for top-k, a mass for top-p) and a fixed-order tree reduction,
// so the result is deterministic. NaN logits count as −∞; a row of only −∞ gives its argmax (id 0).
// Variants: WG (override) invocations per row; 256 on GPUs, fewer on CPU adapters (barriers are costly).
// Grid: one workgroup per row, folded: r = wid.y · num_workgroups.x + wid.x.

struct Params {
  R: u32,           // rows
  V: u32,           // vocabulary (row length)
  logits_off: u32,  // element of logits[0, 0]
  out_off: u32,     // element of ids for t = 0, r = 0
}
struct Sampling {   // per call, written before the submission
  seed: u32,
  greedy: u32,       // 1: argmax
  top_k: u32,        // 0 or ≥ V: off
  temperature: f32,  // > 0
  top_p: f32,        // (0, 1]; 1: off
}
struct Step { t: u32, draw: u32 }

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<uniform> S: Sampling;
@group(0) @binding(2) var<storage, read> logits: array<f32>;   // (R, V)
@group(0) @binding(3) var<storage, read_write> ids: array<u32>; // (…, R) token ids, row t = step.t
@group(1) @binding(0) var<uniform> step: Step;

override WG: u32 = 256u;

var<workgroup> red_u: array<u32, WG>;
var<workgroup> red_i: array<u32, WG>;
var<workgroup> red_f: array<f32, WG>;
var<workgroup> pick: atomic<u32>;
var<workgroup> last_kept: atomic<u32>;

//!include "shared/order_key.wgsl"
//!include "shared/counter_hash.wgsl"

fn sum_u(lid: u32, v: u32) -> u32 {
  workgroupBarrier();
  red_u[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red_u[lid] += red_u[lid + s]; }
    workgroupBarrier();
  }
  return workgroupUniformLoad(&red_u[0]);
}

fn sum_f(lid: u32, v: f32) -> f32 {
  workgroupBarrier();
  red_f[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red_f[lid] += red_f[lid + s]; }
    workgroupBarrier();
  }
  return workgroupUniformLoad(&red_f[0]);
}

// The (key, id) with the largest key, lowest id on ties; id NONE = no entry.
fn argmax_key(lid: u32, k: u32, i: u32) -> vec2<u32> {
  workgroupBarrier();
  red_u[lid] = k;
  red_i[lid] = i;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      let ok = red_u[lid + s];
      let oi = red_i[lid + s];
      let mi = red_i[lid];
      if (before(ok, oi, red_u[lid], mi)) {
        red_u[lid] = ok;
        red_i[lid] = oi;
      }
    }
    workgroupBarrier();
  }
  return vec2<u32>(workgroupUniformLoad(&red_u[0]), workgroupUniformLoad(&red_i[0]));
}

fn z_at(base: u32, i: u32) -> f32 {
  return logits[base + i] / S.temperature;
}

@compute @workgroup_size(WG, 1, 1)
fn sample_logits(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_index) lid: u32) {
  let r = wid.y * nwg.x + wid.x;
  if (r >= P.R) { return; }  // the same for the whole workgroup
  let V = P.V;
  let base = P.logits_off + r * V;
  let dst = P.out_off + step.t * P.R + r;

  // Argmax of x (the same id as of z, temperature > 0); strided ids rise, so `>` keeps the lowest.
  var bk = 0u;
  var bi = NONE;
  for (var i = lid; i < V; i += WG) {
    let k = key_of(logits[base + i]);
    if (bi == NONE || k > bk) { bk = k; bi = i; }
  }
  let best = argmax_key(lid, bk, bi);
  if (S.greedy != 0u || best.x <= KEY_NEG_INF) {
    if (lid == 0u) { ids[dst] = best.y; }
    return;
  }
  let m = z_at(base, best.y);

  // top-k: the largest key c with #{key ≥ c} ≥ k is the k-th largest key.
  var tk = 0u;
  if (S.top_k > 0u && S.top_k < V) {
    var c = 0u;
    for (var b = 0u; b < 32u; b++) {
      let cand = c | (0x80000000u >> b);
      var n = 0u;
      for (var i = lid; i < V; i += WG) { n += select(0u, 1u, key_of(z_at(base, i)) >= cand); }
      if (sum_u(lid, n) >= S.top_k) { c = cand; }
    }
    tk = c;
  }

  // top-p: the largest key c whose kept mass reaches top_p of the top-k mass (masses only shrink as c
  // grows: the same terms added in the same order, minus some).
  var tau = tk;
  if (S.top_p < 1.0) {
    var z_mass = 0.0;
    for (var i = lid; i < V; i += WG) {
      let z = z_at(base, i);
      if (key_of(z) >= tk) { z_mass += exp(z - m); }
    }
    let goal = S.top_p * sum_f(lid, z_mass);
    var c = 0u;
    for (var b = 0u; b < 32u; b++) {
      let cand = c | (0x80000000u >> b);
      let th = max(cand, tk);
      var s = 0.0;
      for (var i = lid; i < V; i += WG) {
        let z = z_at(base, i);
        if (key_of(z) >= th) { s += exp(z - m); }
      }
      if (sum_f(lid, s) >= goal) { c = cand; }
    }
    tau = min(max(c, tk), best.x);
  }

  // Inverse CDF in id order: invocation lid owns the contiguous ids [lo, hi); an inclusive scan of the
  // owners' masses splits [0, total) into consecutive intervals, exactly one of which holds u·total.
  let chunk = (V + WG - 1u) / WG;
  let lo = min(lid * chunk, V);
  let hi = min(lo + chunk, V);
  var part = 0.0;
  var mine = NONE;
  for (var i = lo; i < hi; i++) {
    let z = z_at(base, i);
    if (key_of(z) >= tau) { part += exp(z - m); mine = i; }
  }
  if (lid == 0u) { atomicStore(&pick, NONE); }
  if (mine != NONE) { atomicMax(&last_kept, mine); }
  workgroupBarrier();
  red_f[lid] = part;
  workgroupBarrier();
  for (var off = 1u; off < WG; off <<= 1u) {
    var v = red_f[lid];
    if (lid >= off) { v += red_f[lid - off]; }
    workgroupBarrier();
    red_f[lid] = v;
    workgroupBarrier();
  }
  let incl = red_f[lid];
  var excl = 0.0;
  if (lid > 0u) { excl = red_f[lid - 1u]; }
  let total = red_f[WG - 1u];
  let u = f32(counter_hash(S.seed, step.draw, 0u, r) >> 8u) * (1.0 / 16777216.0);
  let goal = u * total;
  if (mine != NONE && goal >= excl && goal < incl) {
    var acc = excl;
    var found = mine;  // if rounding leaves the walk short, the interval's last kept id
    for (var i = lo; i < hi; i++) {
      let z = z_at(base, i);
      if (key_of(z) >= tau) {
        acc += exp(z - m);
        if (acc > goal) { found = i; break; }
      }
    }
    atomicMin(&pick, found);
  }
  workgroupBarrier();
  if (lid == 0u) {
    var id = atomicLoad(&pick);
    if (id == NONE) { id = atomicLoad(&last_kept); }  // u·total rounded up to total
    ids[dst] = id;
  }
}
