// Precision 'f16-weights' (shaders/pack_f16.wgsl and the `_f16` twins of the GEMM and step kernels) on a
// subset of the recurrent cases: LSTM (peepholes; proj_size, past a tile of k at R = 65), GRU both
// forms, RNN tanh and relu, bidirectional, 2 layers, variable lengths, h0, forward and BPTT gradients,
// the persistent sweep against the per-step one (LSTM with peepholes), each run twice and compared bit
// for bit.
// Two references (runRecurrentCase):
// - float64 on the weights the kernels read — every parameter rounded to f16 here, in JavaScript (round
//   to nearest even) — under the usual tolerances (check.ts: 2e-5 forward, 1e-4
//   gradients): the f16 kernels' arithmetic is the f32 kernels';
// - float64 on the unrounded weights: the error f16 storage costs, measured (noted in each result) and
//   bounded by TOL_F16_FORWARD / TOL_F16_GRAD.
// On an adapter without shader-f16 (SwiftShader in Chromium) each case checks the BAD_CONFIG refusal.
import { toFloat32 } from '../../src/formats/safetensors.js';
import { float32ToF16Bits } from '../../src/interop/torch/dtypes.js';
import type { RecurrentCase } from './recurrent-cases.js';

/**
 * Bounds on max |gpu − float64| / max |float64| with f16 weights against the unrounded weights. f16 keeps
 * 11 significant bits (relative rounding ≤ 2⁻¹¹ ≈ 4.9e-4 per weight); measured on lavapipe over these
 * cases: forward ≤ 3.9e-4, gradients ≤ 1.2e-3 (RNN tanh's), against ≤ 4.3e-7 on the rounded weights
 * (README "Precision"). About 5× margin.
 */
export const TOL_F16_FORWARD = 2e-3;
export const TOL_F16_GRAD = 5e-3;

/** The parameters as the f16 kernels read them: every one rounded to f16. */
export function f16Rounded(params: Record<string, Float64Array>): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  for (const [k, v] of Object.entries(params)) {
    const bits = Uint16Array.from(v, float32ToF16Bits);
    out[k] = Float64Array.from(toFloat32({ dtype: 'F16', shape: [bits.length], data: bits }));
  }
  return out;
}

// (each new pipeline costs seconds to compile in Deno's wgpu: one persistent case, and LSTM past the
// workgroup and batch tiles through the projected case only)
const CHOSEN = /^(lstm-peephole|gru|gru-reset-before|rnn-tanh|rnn-relu) 2-layer bidirectional, lengths, h0$|^lstm-proj (2-layer bidirectional|H=67 R=65)/;
/** this one also runs the persistent sweep, compared bit for bit with the per-step one */
const PERSISTENT = /^lstm-peephole 2-layer/;

/** The f16-weights cases: the chosen recurrent cases with precision 'f16-weights', each run twice. */
export function f16Cases(base: readonly { kind: string; name: string }[]): RecurrentCase[] {
  return base
    .filter((c): c is RecurrentCase => c.kind === 'recurrent' && CHOSEN.test(c.name))
    .map((c) => ({
      ...c,
      name: `f16-weights: ${c.name}${PERSISTENT.test(c.name) ? ', persistent = per-step' : ''}`,
      precision: 'f16-weights',
      twice: true,
      ...(PERSISTENT.test(c.name) ? { schedule: 'persistent' as const } : {}),
    }));
}
