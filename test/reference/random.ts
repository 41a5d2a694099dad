import type { RecurrentConfig } from '../../src/layers/recurrent-config.js';
import { parameterSpecs } from '../../src/layers/recurrent-config.js';
import { Rng } from '../../src/random.js';

export { Rng, mulberry32 } from '../../src/random.js';

/**
 * Random parameters for a recurrent layer, keyed by parameterSpecs(config) names, drawn uniform in
 * [−scale, scale] (default 1/√H, PyTorch's nn.RNNBase initialisation).
 *
 * @example
 * const params = randomParams({ mode: 'LSTM', input_size: 3, hidden_size: 4 }, new Rng(7));
 * params['weight_ih_l0'].length; // 16 · 3
 */
export function randomParams(config: RecurrentConfig, rng: Rng, scale?: number): Record<string, Float64Array> {
  const k = scale ?? 1 / Math.sqrt(config.hidden_size);
  const out: Record<string, Float64Array> = {};
  for (const s of parameterSpecs(config)) out[s.name] = rng.uniformArray(s.shape.reduce((a, b) => a * b, 1), -k, k);
  return out;
}

/**
 * murmur3's 32-bit finaliser, as shaders/shared/counter_hash.wgsl's fmix (u32 wrap-around arithmetic):
 * the CPU side of the GPU's counter-based draws (sampling in decode.ts, dropout masks in
 * test/gpu/dropout-mask.ts).
 *
 * @example
 * fmix(0); // 0
 */
export function fmix(h0: number): number {
  let h = h0 >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}
