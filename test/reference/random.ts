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
