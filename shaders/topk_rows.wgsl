// topk_rows: the M best entries of every row, by value descending then index ascending (a strict total
// order, so ties break the same way on every device and every run).
//
//   out[r, j] = (bits of value, index) of the j-th entry of row r in that order      j < M
//   pairs = 0: row r is vals[vals_off + r·C + c], index = r·C + c (the flat index over all rows)
//   pairs = 1: row r is pairs_in[(r·C + c)·2 + {0: value bits, 1: index}] (a previous topk_rows output)
//   Rows with fewer than M entries pad with (−∞, 0xffffffff). NaN values count as −∞.
//
// Beam search uses it twice: K rows of V log-probabilities → K·M candidates (one workgroup per row),
// then one row of K·M → the global top M (the global best M lie among the rows' best M).
// Method: M rounds; round j finds the best entry strictly after round j−1's in the order (one sweep
// of the row and a fixed-order (key, index) tree reduction). Cost O(M·C / WG) per row.
// Grid: one workgroup of 64 per row, folded: r = wid.y · num_workgroups.x + wid.x.

struct Params {
  R: u32,          // rows
  C: u32,          // entries per row
  M: u32,          // entries kept per row
  pairs: u32,      // input layout, see above
  vals_off: u32,   // element of vals[0, 0]
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> vals: array<f32>;          // (R, C) when pairs = 0
@group(0) @binding(2) var<storage, read> pairs_in: array<u32>;      // (R, C, 2) when pairs = 1
@group(0) @binding(3) var<storage, read_write> out: array<u32>;     // (R, M, 2) value bits, index

const WG = 64u;

var<workgroup> red_k: array<u32, WG>;
var<workgroup> red_i: array<u32, WG>;

//!include "shared/order_key.wgsl"

@compute @workgroup_size(64, 1, 1)
fn topk_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let r = wid.y * nwg.x + wid.x;
  if (r >= P.R) { return; }  // the same for the whole workgroup
  let C = P.C;
  var pk = 0u;      // previous round's pick (pi = NONE after the row ran out)
  var pi = NONE;
  var started = false;
  for (var j = 0u; j < P.M; j++) {
    var bk = 0u;
    var bi = NONE;
    for (var c = lid; c < C; c += WG) {
      var k: u32;
      var i: u32;
      if (P.pairs == 0u) {
        k = key_of(vals[P.vals_off + r * C + c]);
        i = r * C + c;
      } else {
        let e = (r * C + c) * 2u;
        k = key_of(bitcast<f32>(pairs_in[e]));
        i = pairs_in[e + 1u];
      }
      let after_prev = !started || before(pk, pi, k, i);
      if (i != NONE && after_prev && before(k, i, bk, bi)) { bk = k; bi = i; }
    }
    workgroupBarrier();
    red_k[lid] = bk;
    red_i[lid] = bi;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
      if (lid < s && before(red_k[lid + s], red_i[lid + s], red_k[lid], red_i[lid])) {
        red_k[lid] = red_k[lid + s];
        red_i[lid] = red_i[lid + s];
      }
      workgroupBarrier();
    }
    pk = red_k[0];
    pi = red_i[0];
    started = true;
    if (lid == 0u) {
      let o = (r * P.M + j) * 2u;
      out[o] = bitcast<u32>(value_of(select(pk, KEY_NEG_INF, pi == NONE)));
      out[o + 1u] = pi;
    }
  }
}
