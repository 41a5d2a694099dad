/**
 * float32 → the narrower float formats PyTorch state_dicts use (F16, BF16), rounding to nearest even
 * as torch's `.half()` / `.bfloat16()` do. A value read from F16/BF16 (which toFloat32 decodes
 * exactly) encodes back to the same bits, which is what makes a state_dict round trip bit-exact.
 */
import { WebRnnError } from '../../errors.js';
import type { SafeTensor } from '../../formats/safetensors.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE binary16 bits of a float32, round to nearest even; overflow → ±Inf, NaN stays NaN. @example float32ToF16Bits(1) // 0x3c00 */
export function float32ToF16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): shift the implicit-1 mantissa right, rounding to nearest even.
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let h = mant >>> shift;
    if (rest > half || (rest === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++; // a carry into the exponent is the right answer
  return sign | h;
}

/** bfloat16 bits of a float32, round to nearest even; NaN stays a quiet NaN. @example float32ToBf16Bits(1) // 0x3f80 */
export function float32ToBf16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** The float dtypes a PyTorch state_dict tensor may have here. */
export type TorchFloatDtype = 'F32' | 'F16' | 'BF16' | 'F64';

/** float32 values as a safetensors tensor of `dtype` (F64 widens exactly; F16/BF16 round to nearest even). */
export function encodeFloats(data: Float32Array, shape: number[], dtype: TorchFloatDtype): SafeTensor {
  switch (dtype) {
    case 'F32':
      return { dtype, shape, data: Float32Array.from(data) };
    case 'F64':
      return { dtype, shape, data: Float64Array.from(data) };
    case 'F16':
      return { dtype, shape, data: Uint16Array.from(data, float32ToF16Bits) };
    case 'BF16':
      return { dtype, shape, data: Uint16Array.from(data, float32ToBf16Bits) };
    default:
      throw new WebRnnError('BAD_VALUE', `cannot write dtype ${String(dtype)}; expected F32, F16, BF16 or F64`);
  }
}
