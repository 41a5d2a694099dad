// order_key: a strict total order on (f32 value, u32 index) pairs that is the same on every device —
// value descending, then index ascending — through an order-preserving u32 key of the value, so
// reductions compare integers. Pure (needs nothing from the kernel).
// Included by topk_rows and sample_logits.

const NONE = 0xffffffffu;          // index of "no entry", after every entry in the order
const KEY_NEG_INF = 0x007fffffu;   // key_of(−∞)

// Order-preserving map f32 → u32 (a < b ⇔ key(a) < key(b)); −0 is +0, NaN is −∞.
fn key_of(x: f32) -> u32 {
  if (x != x) { return KEY_NEG_INF; }
  let b = bitcast<u32>(select(x, 0.0, x == 0.0));
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

// The value whose key is k (key_of's inverse, but for −0 and NaN).
fn value_of(k: u32) -> f32 {
  return bitcast<f32>(select(~k, k & 0x7fffffffu, (k & 0x80000000u) != 0u));
}

// a before b in the order (higher key, then lower index); index NONE = no entry, after everything.
fn before(ak: u32, ai: u32, bk: u32, bi: u32) -> bool {
  return ai != NONE && (bi == NONE || ak > bk || (ak == bk && ai < bi));
}
