// counter_hash: a random u32 that is a pure function of (seed, counter, stream, index), so a kernel can
// redraw the same number later instead of storing it. Pure (needs nothing from the kernel).
// Included by dropout (counter = forward call, stream = layer, index = element) and sample_logits
// (counter = draw, stream 0, index = row). test/gpu/dropout-mask.ts computes the same on the CPU.
// fmix is murmur3's 32-bit finaliser; the odd constants spread neighbouring seeds and counters.
fn fmix(h0: u32) -> u32 {
  var h = h0;
  h ^= h >> 16u;
  h *= 0x85ebca6bu;
  h ^= h >> 13u;
  h *= 0xc2b2ae35u;
  h ^= h >> 16u;
  return h;
}

fn counter_hash(seed: u32, counter: u32, stream: u32, index: u32) -> u32 {
  return fmix(fmix(fmix(seed ^ 0x9e3779b9u) ^ (counter * 0x632be5abu + stream)) ^ index);
}
