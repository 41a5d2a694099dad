// PyTorch whole-model state_dicts (test/fixtures-torch, made by scripts/gen_torch_model_fixtures.py):
// read into a SequenceModel under the module's own names, predictions equal PyTorch's (float64 module)
// within 1e-5 of max |logit|, and state_dict → webrnn → state_dict is bit-exact (names, dtypes, bits).
// When /usr/bin/python3 has torch, PyTorch's load_state_dict(strict=True) also reads the export back.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEngine, type Engine } from '../src/index.js';
import { parseSafetensors, serializeSafetensors, toFloat64, toInt32, type SafeTensor } from '../src/formats/safetensors.js';
import { float32ToBf16Bits, float32ToF16Bits } from '../src/interop/torch/dtypes.js';
import { exportTorchModel, loadTorchModel, readTorchStateDict } from '../src/interop/torch/model.js';
import { relErr } from './gpu/check.js';

const ROOT = join(import.meta.dirname, 'fixtures-torch');
const CASES = readdirSync(ROOT).filter((d) => statSync(join(ROOT, d)).isDirectory()).sort();

function hasTorch(): boolean {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => engine?.dispose());

const read = (c: string, f: string) => parseSafetensors(readFileSync(join(ROOT, c, f)), { source: f, copy: true }).tensors;

/** max |got − want| / max |want| (Infinity for a length mismatch): the GPU cases' measure. */
const maxRel = (got: ArrayLike<number>, want: ArrayLike<number>): number => relErr(got, want).err;

const bytesOf = (t: SafeTensor) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

describe('PyTorch whole-model state_dicts', () => {
  expect(CASES.length).toBeGreaterThanOrEqual(4);
  for (const name of CASES) {
    test(`${name}: PyTorch's logits within 1e-5, round trip bit-exact`, async () => {
      const info = JSON.parse(readFileSync(join(ROOT, name, 'info.json'), 'utf8')) as { target: 'all_steps' | 'last_step'; nonlinearity?: 'relu' };
      const sd = read(name, 'state_dict.safetensors');
      const batch = read(name, 'batch.safetensors');
      const want = toFloat64(read(name, 'expected.safetensors').get('logits')!);
      const { model, torch } = loadTorchModel(engine, sd, { target: info.target, nonlinearity: info.nonlinearity });
      try {
        const lengths = Array.from(toInt32(batch.get('lengths')!));
        const tok = batch.get('tokens');
        const inp = batch.get('input');
        const [B, T] = (tok ?? inp)!.shape;
        const logits = await model.predict({ B, T, lengths, ...(tok ? { tokens: toInt32(tok) } : { input: inp!.data as Float32Array }) }).read();
        // predict is time-major (T, B, O) for all_steps; PyTorch's batch-first (B, T, O).
        let got: Float32Array = logits;
        if (info.target === 'all_steps') {
          const O = logits.length / (B * T);
          got = new Float32Array(logits.length);
          for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) got.set(logits.subarray((t * B + b) * O, (t * B + b + 1) * O), (b * T + t) * O);
        }
        const err = maxRel(got, want);
        console.log(`${name}: logits vs PyTorch ${err.toExponential(2)} of max |logit|`);
        expect(err).toBeLessThan(1e-5);

        const exported = await exportTorchModel(model, torch);
        const back = parseSafetensors(exported, { copy: true }).tensors;
        expect([...back.keys()].sort()).toEqual([...sd.keys()].sort());
        for (const [k, t] of sd) {
          const u = back.get(k)!;
          expect(u.dtype, k).toBe(t.dtype);
          expect(u.shape, k).toEqual(t.shape);
          expect(Buffer.from(bytesOf(u)).equals(Buffer.from(bytesOf(t))), `${k} bits`).toBe(true);
        }
        if (hasTorch()) {
          const dir = mkdtempSync(join(tmpdir(), 'webrnn-torch-'));
          try {
            writeFileSync(join(dir, 'export.safetensors'), exported);
            const out = execFileSync('/usr/bin/python3', ['scripts/gen_torch_model_fixtures.py', '--check-export', name, join(dir, 'export.safetensors')], { encoding: 'utf8' });
            expect(out).toMatch(/bit-identical/);
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        }
      } finally {
        model.dispose();
      }
    });
  }

  test('module names are read from the state_dict and reported', () => {
    const sd = readTorchStateDict(read('gru_custom_names_last_step', 'state_dict.safetensors'));
    expect(sd.names).toEqual({ embedding: 'emb', rnn: 'encoder', linear: 'head' });
    expect(sd.model).toMatchObject({ embedding: { num_embeddings: 9, embedding_dim: 4 }, rnn: { mode: 'GRU', num_layers: 3, hidden_size: 5 }, linear: { in_features: 5, out_features: 3, bias: true } });
    expect(sd.original.get('rnn.weight_hh_l2')).toEqual({ name: 'encoder.weight_hh_l2', shape: [15, 5], dtype: 'F32' });
    const f16 = readTorchStateDict(read('rnn_relu_features_f16', 'state_dict.safetensors'), { nonlinearity: 'relu' });
    expect(f16.model?.embedding).toBeNull();
    expect(f16.rnn).toMatchObject({ mode: 'RNN_RELU', bidirectional: true });
    expect(f16.original.get('linear.bias')?.dtype).toBe('F16');
  });

  test('a projected nn.LSTM reads with its proj_size, and the head takes D·proj_size features', () => {
    const sd = readTorchStateDict(read('lstm_proj_embedding_bidir_2layer', 'state_dict.safetensors'));
    expect(sd.rnn).toEqual({ mode: 'LSTM', input_size: 4, hidden_size: 5, num_layers: 2, bias: true, bidirectional: true, proj_size: 3 });
    expect(sd.model?.linear.in_features).toBe(6);
    expect(sd.original.get('rnn.weight_hr_l1_reverse')).toEqual({ name: 'rnn.weight_hr_l1_reverse', shape: [3, 5], dtype: 'F32' });
    expect(sd.original.get('rnn.weight_hh_l0')?.shape).toEqual([20, 3]);
  });

  test('a bare nn.LSTM state_dict reads as a recurrent layer', () => {
    const sd = read('lstm_embedding_bidir_2layer', 'state_dict.safetensors');
    const bare = new Map([...sd].filter(([k]) => k.startsWith('rnn.')).map(([k, v]) => [k.slice(4), v]));
    const r = readTorchStateDict(bare);
    expect(r.model).toBeUndefined();
    expect(r.rnn).toEqual({ mode: 'LSTM', input_size: 5, hidden_size: 6, num_layers: 2, bias: true, bidirectional: true });
    expect(Object.keys(r.weights)[0]).toBe('weight_ih_l0');
    expect(() => loadTorchModel(engine, bare)).toThrow(/without a linear head/);
  });

  test('what does not fit is named', () => {
    const sd = read('lstm_embedding_bidir_2layer', 'state_dict.safetensors');
    const f = (m: Map<string, SafeTensor>) => () => readTorchStateDict(m);
    const extra = new Map(sd);
    extra.set('norm.weight', { dtype: 'F32', shape: [3], data: new Float32Array(3) });
    expect(f(extra)).toThrow(/"norm.weight" \[3\] is not part of an embedding → LSTM → linear model/);
    const missing = new Map(sd);
    missing.delete('rnn.bias_hh_l1_reverse');
    expect(f(missing)).toThrow(/missing "rnn.bias_hh_l1_reverse" of shape \[24\]/);
    // A weight_hr makes it a projected LSTM (proj_size 2), whose weight_hh must then be (4H, 2).
    const proj = new Map(sd);
    proj.set('rnn.weight_hr_l0', { dtype: 'F32', shape: [2, 6], data: new Float32Array(12) });
    expect(f(proj)).toThrow(/"rnn.weight_hh_l0" has shape \[24, 6\], expected \[24, 2\] for a LSTM with .*proj_size 2/);
    const projGru = new Map(read('gru_custom_names_last_step', 'state_dict.safetensors'));
    projGru.set('encoder.weight_hr_l0', { dtype: 'F32', shape: [2, 5], data: new Float32Array(10) });
    expect(f(projGru)).toThrow(/proj_size applies to LSTM only/);
    const ints = new Map(sd);
    ints.set('step', { dtype: 'I64', shape: [], data: new BigInt64Array(1) });
    expect(f(ints)).toThrow(/"step" has dtype I64/);
    expect(f(new Map([...sd].filter(([k]) => !k.startsWith('rnn.'))))).toThrow(/no recurrent layer/);
    expect(() => readTorchStateDict(sd, { names: { linear: 'embedding' } })).toThrow(/names.linear = "embedding" does not name a linear head/);
    // A bias-free head is embedding-shaped too when input_size = D·H: ambiguous without names.
    const square = new Map<string, SafeTensor>([
      ['a.weight', { dtype: 'F32', shape: [5, 2], data: new Float32Array(10) }],
      ['r.weight_ih_l0', { dtype: 'F32', shape: [2, 2], data: new Float32Array(4) }],
      ['r.weight_hh_l0', { dtype: 'F32', shape: [2, 2], data: new Float32Array(4) }],
      ['b.weight', { dtype: 'F32', shape: [3, 2], data: new Float32Array(6) }],
    ]);
    expect(f(square)).toThrow(/could each be the linear; say which with names.linear/);
    expect(readTorchStateDict(square, { names: { embedding: 'a', linear: 'b' } }).model?.linear.out_features).toBe(3);
    expect(serializeSafetensors(new Map())).toBeInstanceOf(Uint8Array);
  });

  test('F16/BF16 encoders round to nearest even and give back decoded bits', () => {
    expect(float32ToF16Bits(1)).toBe(0x3c00);
    expect(float32ToF16Bits(-2)).toBe(0xc000);
    expect(float32ToF16Bits(65504)).toBe(0x7bff);
    expect(float32ToF16Bits(65520)).toBe(0x7c00); // rounds up to Inf
    expect(float32ToF16Bits(2 ** -24)).toBe(0x0001);
    expect(float32ToF16Bits(2 ** -25)).toBe(0x0000); // tie to even
    expect(float32ToF16Bits(3 * 2 ** -25)).toBe(0x0002); // tie to even, upwards
    expect(float32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie to even
    expect(float32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(float32ToF16Bits(NaN) & 0x7c00).toBe(0x7c00);
    expect(float32ToBf16Bits(1)).toBe(0x3f80);
    expect(float32ToBf16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie to even
    expect(float32ToBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
    // Every finite half decodes (toFloat32) and encodes back to itself.
    const all = new Uint16Array(65536).map((_, i) => i).filter((h) => (h & 0x7c00) !== 0x7c00);
    const dec = parseSafetensors(serializeSafetensors({ h: { dtype: 'F16', shape: [all.length], data: all } })).tensors.get('h')!;
    const vals = toFloat64(dec);
    let bad = 0;
    all.forEach((h, i) => {
      if (float32ToF16Bits(vals[i]) !== h) bad++;
    });
    expect(bad).toBe(0);
  });
});
