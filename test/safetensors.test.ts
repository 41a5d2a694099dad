import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WebRnnError } from '../src/errors.js';
import {
  MAX_HEADER_BYTES,
  parseSafetensors,
  serializeSafetensors,
  toFloat32,
  toFloat64,
  toInt32,
  type SafeTensor,
} from '../src/formats/safetensors.js';

const fixture = (path: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${path}`, import.meta.url)));

/** A file from a raw header object and data bytes, bypassing the writer's checks. */
function rawFile(header: unknown, data: Uint8Array | number = 0, headerLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

function badFile(bytes: Uint8Array, message: RegExp): void {
  let err: unknown;
  try {
    parseSafetensors(bytes);
  } catch (e) {
    err = e;
  }
  expect(err, 'parse should throw').toBeInstanceOf(WebRnnError);
  expect((err as WebRnnError).code).toBe('BAD_FILE');
  expect((err as WebRnnError).message).toMatch(message);
}

const t = (dtype: string, shape: number[], begin: number, end: number) => ({ dtype, shape, data_offsets: [begin, end] });

describe('serializeSafetensors / parseSafetensors round trip', () => {
  const all: Record<string, SafeTensor> = {
    f64: { dtype: 'F64', shape: [2, 2], data: Float64Array.of(1.5, -2, Math.PI, 1e-300) },
    f32: { dtype: 'F32', shape: [3], data: Float32Array.of(0.1, -0, Infinity) },
    f16: { dtype: 'F16', shape: [2], data: Uint16Array.of(0x3c00, 0xc000) },
    bf16: { dtype: 'BF16', shape: [1], data: Uint16Array.of(0x3f80) },
    e4m3: { dtype: 'F8_E4M3', shape: [1], data: Uint8Array.of(0x38) },
    e5m2: { dtype: 'F8_E5M2', shape: [1], data: Uint8Array.of(0x3c) },
    i64: { dtype: 'I64', shape: [2], data: BigInt64Array.of(-(2n ** 62n), 7n) },
    u64: { dtype: 'U64', shape: [1], data: BigUint64Array.of(2n ** 64n - 1n) },
    i32: { dtype: 'I32', shape: [1, 1, 1], data: Int32Array.of(-5) },
    u32: { dtype: 'U32', shape: [1], data: Uint32Array.of(4e9) },
    i16: { dtype: 'I16', shape: [1], data: Int16Array.of(-300) },
    u16: { dtype: 'U16', shape: [1], data: Uint16Array.of(60000) },
    i8: { dtype: 'I8', shape: [1], data: Int8Array.of(-128) },
    u8: { dtype: 'U8', shape: [3], data: Uint8Array.of(1, 2, 255) },
    bool: { dtype: 'BOOL', shape: [2], data: Uint8Array.of(1, 0) },
    scalar: { dtype: 'F32', shape: [], data: Float32Array.of(42) },
    empty: { dtype: 'F32', shape: [0, 3], data: new Float32Array(0) },
  };

  it('keeps every dtype, shape and value, and the metadata', () => {
    const bytes = serializeSafetensors(all, { format: 'pt', note: 'ünïcode' });
    const { tensors, metadata } = parseSafetensors(bytes);
    expect(metadata).toEqual({ format: 'pt', note: 'ünïcode' });
    expect(new Set(tensors.keys())).toEqual(new Set(Object.keys(all)));
    for (const [name, want] of Object.entries(all)) {
      const got = tensors.get(name)!;
      expect(got.dtype, name).toBe(want.dtype);
      expect(got.shape, name).toEqual(want.shape);
      expect(got.data.constructor, name).toBe(want.data.constructor);
      expect(Array.from(got.data as ArrayLike<number | bigint>), name).toEqual(Array.from(want.data as ArrayLike<number | bigint>));
    }
  });

  it('is deterministic: insertion order does not matter, a Map works like a Record', () => {
    const reversed = Object.fromEntries(Object.entries(all).reverse());
    const a = serializeSafetensors(all, { b: '2', a: '1' });
    expect(serializeSafetensors(reversed, { a: '1', b: '2' })).toEqual(a);
    expect(serializeSafetensors(new Map(Object.entries(all)), { a: '1', b: '2' })).toEqual(a);
  });

  it('pads the header with spaces to 8 bytes and aligns every tensor to its element size', () => {
    const bytes = serializeSafetensors(all);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(text).toMatch(/^\{.*\} *$/);
    const header = JSON.parse(text) as Record<string, { dtype: string; data_offsets: [number, number] }>;
    const sizes: Record<string, number> = { F64: 8, I64: 8, U64: 8, F32: 4, I32: 4, U32: 4, F16: 2, BF16: 2, I16: 2, U16: 2 };
    for (const [name, info] of Object.entries(header)) expect(info.data_offsets[0] % (sizes[info.dtype] ?? 1), name).toBe(0);
    // Aligned, so parsing is zero-copy: views into the input.
    const { tensors } = parseSafetensors(bytes);
    expect(tensors.get('f64')!.data.buffer).toBe(bytes.buffer);
    expect(parseSafetensors(bytes, { copy: true }).tensors.get('f64')!.data.buffer).not.toBe(bytes.buffer);
  });

  it('copies tensors that are not aligned in the input', () => {
    const bytes = serializeSafetensors({ x: { dtype: 'F64', shape: [2], data: Float64Array.of(1, 2) } });
    const shifted = new Uint8Array(bytes.length + 1).subarray(1);
    shifted.set(bytes);
    const x = parseSafetensors(shifted).tensors.get('x')!;
    expect(Array.from(x.data as Float64Array)).toEqual([1, 2]);
    expect(x.data.buffer).not.toBe(shifted.buffer);
  });

  it('rejects tensors whose data does not match dtype or shape', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as WebRnnError).code;
      }
      return 'no error';
    };
    expect(code(() => serializeSafetensors({ x: { dtype: 'F32', shape: [2], data: Float64Array.of(1, 2) } as unknown as SafeTensor }))).toBe('BAD_VALUE');
    expect(code(() => serializeSafetensors({ x: { dtype: 'F32', shape: [3], data: Float32Array.of(1, 2) } }))).toBe('BAD_SHAPE');
    expect(code(() => serializeSafetensors({ x: { dtype: 'F32', shape: [-2], data: Float32Array.of(1, 2) } }))).toBe('BAD_SHAPE');
    expect(code(() => serializeSafetensors({ __metadata__: { dtype: 'F32', shape: [1], data: Float32Array.of(1) } }))).toBe('BAD_VALUE');
    expect(code(() => serializeSafetensors({ x: { dtype: 'F7', shape: [1], data: Float32Array.of(1) } as unknown as SafeTensor }))).toBe('BAD_VALUE');
    expect(code(() => serializeSafetensors({}, { n: 1 } as unknown as Record<string, string>))).toBe('BAD_VALUE');
  });
});

describe('files written by PyTorch (scripts/gen_fixtures.py)', () => {
  it('reads a state_dict with its names, shapes and dtypes', () => {
    const { tensors } = parseSafetensors(fixture('lstm_2layer_bidir_grad/weights.safetensors'));
    expect(tensors.size).toBe(16);
    expect(tensors.get('weight_ih_l0')).toMatchObject({ dtype: 'F32', shape: [24, 5] });
    expect(tensors.get('weight_ih_l1_reverse')).toMatchObject({ dtype: 'F32', shape: [24, 12] });
    expect(tensors.get('bias_hh_l1_reverse')).toMatchObject({ dtype: 'F32', shape: [24] });
  });

  it('reads int64 and int32 lengths, and the metadata', () => {
    const i64 = parseSafetensors(fixture('lstm_lengths_grad/inputs.safetensors')).tensors.get('lengths')!;
    expect(i64.dtype).toBe('I64');
    expect(Array.from(toInt32(i64))).toEqual([5, 8, 1, 3]);
    const i32 = parseSafetensors(fixture('rnn_relu_lengths_h0_grad/inputs.safetensors')).tensors.get('lengths')!;
    expect(i32.dtype).toBe('I32');
    expect(Array.from(toInt32(i32))).toEqual([7, 1, 4, 4, 2]);
    const { metadata } = parseSafetensors(fixture('lstm_lengths_grad/expected.safetensors'));
    expect(metadata.case).toBe('lstm_lengths_grad');
  });

  it('writes the same bytes as the Python writer for single-dtype files', () => {
    for (const path of ['gru_grad/weights.safetensors', 'gru_grad/expected.safetensors']) {
      const bytes = fixture(path);
      const { tensors, metadata } = parseSafetensors(bytes);
      const again = serializeSafetensors(tensors, Object.keys(metadata).length ? metadata : undefined);
      expect(Buffer.from(again).equals(Buffer.from(bytes)), path).toBe(true);
    }
  });

  it("reads values laid out as PyTorch's: an Elman RNN recomputed from the files matches expected h_n", () => {
    // h<t> = tanh(W_ih x<t> + b_ih + W_hh h<t-1> + b_hh), in float64 from the float32 files.
    const dir = 'rnn_tanh_h0_batch_first';
    const w = parseSafetensors(fixture(`${dir}/weights.safetensors`)).tensors;
    const inp = parseSafetensors(fixture(`${dir}/inputs.safetensors`)).tensors;
    const exp = parseSafetensors(fixture(`${dir}/expected.safetensors`)).tensors;
    const [Wih, Whh, bih, bhh] = ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0'].map((n) => toFloat64(w.get(n)!));
    const x = inp.get('input')!; // (B, T, I), batch_first
    const [B, T, I] = x.shape;
    const H = bih.length;
    const xs = toFloat64(x);
    const h = Float64Array.from(toFloat64(inp.get('h0')!)); // (1, B, H)
    for (let t = 0; t < T; t++) {
      const prev = Float64Array.from(h);
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < H; j++) {
          let s = bih[j] + bhh[j];
          for (let k = 0; k < I; k++) s += Wih[j * I + k] * xs[(b * T + t) * I + k];
          for (let k = 0; k < H; k++) s += Whh[j * H + k] * prev[b * H + k];
          h[b * H + j] = Math.tanh(s);
        }
      }
    }
    const want = exp.get('h_n')!;
    expect(want.dtype).toBe('F64');
    const got = toFloat64(want);
    for (let i = 0; i < h.length; i++) expect(Math.abs(h[i] - got[i])).toBeLessThan(1e-12);
  });
});

describe('conversions', () => {
  it('decodes F16, BF16 and F8 exactly', () => {
    const f16: SafeTensor = { dtype: 'F16', shape: [8], data: Uint16Array.of(0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0xfc00, 0x7e00, 0x8000) };
    expect(Array.from(toFloat32(f16))).toEqual([1, -2, 65504, 2 ** -24, Infinity, -Infinity, NaN, -0]);
    expect(Array.from(toFloat64({ dtype: 'BF16', shape: [3], data: Uint16Array.of(0x3f80, 0xc0a0, 0x7f80) }))).toEqual([1, -5, Infinity]);
    expect(Array.from(toFloat32({ dtype: 'F8_E4M3', shape: [5], data: Uint8Array.of(0x38, 0x7e, 0x7f, 0x01, 0xb8) }))).toEqual([1, 448, NaN, 2 ** -9, -1]);
    expect(Array.from(toFloat32({ dtype: 'F8_E5M2', shape: [4], data: Uint8Array.of(0x3c, 0x7b, 0x7c, 0x01) }))).toEqual([1, 57344, Infinity, 2 ** -16]);
  });

  it('rounds F64 to float32 and returns F32 data as is', () => {
    const f32 = Float32Array.of(1, 2);
    expect(toFloat32({ dtype: 'F32', shape: [2], data: f32 })).toBe(f32);
    expect(toFloat32({ dtype: 'F64', shape: [1], data: Float64Array.of(0.1) })[0]).toBe(Math.fround(0.1));
  });

  it('refuses to treat integers as floats and floats as integers', () => {
    expect(() => toFloat32({ dtype: 'I32', shape: [1], data: Int32Array.of(1) }, 'weights')).toThrow(/weights must be a floating-point tensor, got dtype I32/);
    expect(() => toInt32({ dtype: 'F32', shape: [1], data: Float32Array.of(1) }, 'lengths')).toThrow(/lengths must be an integer tensor/);
  });

  it('range-checks 64-bit and unsigned integers', () => {
    expect(Array.from(toInt32({ dtype: 'I64', shape: [3], data: BigInt64Array.of(-2147483648n, 0n, 2147483647n) }))).toEqual([-2147483648, 0, 2147483647]);
    expect(() => toInt32({ dtype: 'I64', shape: [2], data: BigInt64Array.of(1n, 2147483648n) }, 'lengths')).toThrow(/lengths\[1\] = 2147483648 does not fit/);
    expect(() => toInt32({ dtype: 'U64', shape: [1], data: BigUint64Array.of(2n ** 63n) })).toThrow(WebRnnError);
    expect(() => toInt32({ dtype: 'U32', shape: [1], data: Uint32Array.of(3e9) })).toThrow(/does not fit/);
    expect(Array.from(toInt32({ dtype: 'U8', shape: [2], data: Uint8Array.of(0, 255) }))).toEqual([0, 255]);
  });
});

describe('untrusted input: every corruption is BAD_FILE with a message naming what is wrong', () => {
  const ok = rawFile({ x: t('F32', [2], 0, 8) }, 8);

  it('accepts the well-formed base case', () => {
    expect(parseSafetensors(ok).tensors.get('x')!.shape).toEqual([2]);
  });

  it('file and header length', () => {
    badFile(new Uint8Array(5), /shorter than the 8-byte header length/);
    badFile(rawFile({ x: t('F32', [2], 0, 8) }, 8, 1000n), /header length 1000 exceeds the \d+ bytes after/);
    badFile(rawFile({}, 0, 2n ** 63n), new RegExp(`exceeds the ${MAX_HEADER_BYTES}-byte limit`));
    badFile(rawFile({}, 0, 2n ** 64n - 1n), /exceeds the 100000000-byte limit/);
    badFile(rawFile({}, 0, 0n), /too short/);
  });

  it('header encoding and JSON', () => {
    const invalidUtf8 = rawFile('{"a":1}');
    invalidUtf8[10] = 0xff;
    badFile(invalidUtf8, /not valid UTF-8/);
    badFile(rawFile('{"x": {"dtype": "F32",'), /not valid JSON/);
    badFile(rawFile('[1, 2, 3]'), /does not start with "\{"/);
    badFile(rawFile(' {}'), /does not start with "\{"/);
    badFile(rawFile('{"x": 5}'), /tensor "x": entry is not an object/);
  });

  it('prototype-polluting names', () => {
    badFile(rawFile('{"__proto__": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}}'), /forbidden tensor name "__proto__"/);
    badFile(rawFile({ constructor: t('F32', [0], 0, 0) }), /forbidden tensor name "constructor"/);
    badFile(rawFile({ prototype: t('F32', [0], 0, 0) }), /forbidden tensor name "prototype"/);
    badFile(rawFile('{"__metadata__": {"__proto__": "x"}}'), /forbidden metadata key "__proto__"/);
    expect(({} as Record<string, unknown>).dtype).toBeUndefined();
  });

  it('metadata', () => {
    badFile(rawFile({ __metadata__: { a: 1 } }), /metadata "a" is not a string/);
    badFile(rawFile({ __metadata__: ['a'] }), /"__metadata__" is not an object/);
  });

  it('dtype, shape and fields', () => {
    badFile(rawFile({ x: t('F31', [2], 0, 8) }, 8), /tensor "x": unknown dtype "F31"/);
    badFile(rawFile({ x: { shape: [2], data_offsets: [0, 8] } }, 8), /tensor "x": unknown dtype undefined/);
    badFile(rawFile({ x: t('F32', [-2], 0, 8) }, 8), /tensor "x": shape \[-2\] has an entry that is not a non-negative integer/);
    badFile(rawFile({ x: t('F32', [1.5], 0, 8) }, 8), /tensor "x": shape/);
    badFile(rawFile({ x: t('F32', ['2'] as unknown as number[], 0, 8) }, 8), /tensor "x": shape/);
    badFile(rawFile({ x: t('F32', [2 ** 53], 0, 8) }, 8), /tensor "x": shape/);
    badFile(rawFile({ x: { dtype: 'F32', shape: 2, data_offsets: [0, 8] } }, 8), /tensor "x": shape is not an array/);
    badFile(rawFile({ x: { ...t('F32', [2], 0, 8), offset: 3 } }, 8), /tensor "x": unknown field "offset"/);
  });

  it('size of shape × dtype against data_offsets, without overflow', () => {
    badFile(rawFile({ x: t('F32', [3], 0, 8) }, 8), /tensor "x": shape \[3\] of F32 needs 12 bytes but data_offsets \[0, 8\] span 8/);
    // 2^40 · 2^40 · 4 wraps to 0 in 64-bit and rounds to nonsense in float; BigInt keeps it exact.
    badFile(rawFile({ x: t('F32', [2 ** 40, 2 ** 40], 0, 0) }), /tensor "x": shape .* needs 4835703278458516698824704 bytes/);
    badFile(rawFile({ x: t('F64', [2 ** 30, 2 ** 23], 0, 8) }, 8), /tensor "x": shape/);
  });

  it('data_offsets: form, range, overlap, gaps, trailing bytes', () => {
    badFile(rawFile({ x: { dtype: 'F32', shape: [2], data_offsets: [0] } }, 8), /tensor "x": data_offsets is not a \[begin, end\] pair/);
    badFile(rawFile({ x: t('F32', [2], -8, 0) }, 8), /tensor "x": data_offsets \[-8,0\] are not non-negative integers/);
    badFile(rawFile({ x: t('F32', [0], 8, 0) }, 8), /tensor "x": data_offsets end 0 < begin 8/);
    badFile(rawFile({ x: t('F32', [2], 0, 8) }, 4), /tensor "x": data_offsets \[0, 8\] run past the 4-byte data buffer/);
    badFile(rawFile({ x: t('F32', [2], 0, 8), y: t('F32', [2], 4, 12) }, 12), /tensor "y": data_offsets \[4, 12\] overlap/);
    badFile(rawFile({ x: t('F32', [2], 0, 8), y: t('F32', [1], 12, 16) }, 16), /tensor "y": data_offsets \[12, 16\] leave a gap after byte 8/);
    badFile(rawFile({ x: t('F32', [2], 4, 12) }, 12), /tensor "x": .* leave a gap after byte 0/);
    badFile(rawFile({ x: t('F32', [2], 0, 8) }, 12), /the tensors cover 8 bytes of data but the file has 12/);
    badFile(rawFile({}, 4), /cover 0 bytes of data but the file has 4/);
  });

  it('accepts zero-size tensors sharing an offset and tensors listed out of data order', () => {
    const { tensors } = parseSafetensors(rawFile({ b: t('F32', [1], 4, 8), e: t('F32', [0], 4, 4), a: t('F32', [1], 0, 4) }, 8));
    expect([...tensors.keys()]).toEqual(['a', 'e', 'b']);
  });

  it('names the source in messages', () => {
    expect(() => parseSafetensors(new Uint8Array(3), { source: 'w.safetensors' })).toThrow(/^w\.safetensors: not a valid safetensors file/);
  });
});
