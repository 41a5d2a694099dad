// The dropout keep-mask of shaders/dropout.wgsl, re-implemented on the CPU so tests can compose the
// float64 reference with exactly the mask the GPU draws (test/gpu/dropout-cases.ts, test/dropout.test.ts).

import { fmix } from '../reference/random.js';

/**
 * The mask dropout.wgsl applies to element i < n of layer `layer`'s output at forward number `call`
 * (1-based, counted per layer object) of a layer seeded with `seed`: 1/(1 − p) where kept, 0 where dropped.
 *
 * @example
 * const m = dropoutMask(T * B * D * H, 0.3, seed, 1, 0); // the first forward's mask on layer 0's output
 */
export function dropoutMask(n: number, p: number, seed: number, call: number, layer: number): Float64Array {
  const threshold = Math.min(0xffffffff, Math.round(p * 2 ** 32));
  const scale = Math.fround(1 / (1 - p)); // the kernel's Params.scale is f32
  const mix = fmix(fmix((seed ^ 0x9e3779b9) >>> 0) ^ ((Math.imul(call, 0x632be5ab) + layer) >>> 0));
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = fmix((mix ^ i) >>> 0) >= threshold ? scale : 0;
  return out;
}
