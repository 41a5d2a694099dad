// silero VAD (legacy = v4, v5, v6; the ONNX files @ricky0123/vad-web ships, read from the
// devDependency) against onnxruntime-node, streamed as vad-web streams it: 16 kHz audio in frames of
// 1536 samples (legacy) or 512 (v5/v6), `sr` fed as int64 of shape [1], the state outputs carried
// into the next call (each runtime carries its own, so differences may accumulate).
// The recording is made here: Debian's espeak-ng (scripts/setup-system.sh installs it) speaks
// sentences, resampled from 22050 Hz to 16 kHz, with silences between them and seeded noise.
// Every frame: |speech probability − onnxruntime's| ≤ 1e-5, and the state within 1e-5 of its largest
// magnitude. The probabilities must also cross vad-web's thresholds both ways — some frame above its
// positiveSpeechThreshold 0.3, some below its negativeSpeechThreshold 0.25 — so the recording exercises
// speech and silence (v6 is the most conservative on espeak's voice: about 0.49 at most).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, test } from 'vitest';
import { OnnxModel } from '../src/io/onnx-model.js';
import { makeValue, type OnnxValue } from '../src/io/onnx-value.js';
import { Rng } from '../src/random.js';
import { engine, useEngine } from './helpers/gpu-test.js';
import { fromOrt, toOrt } from './helpers/onnx-vs-ort.js';

useEngine();

const RATE = 16000;
const MODELS = [
  { file: 'silero_vad_legacy.onnx', frame: 1536, legacy: true },
  { file: 'silero_vad_v5.onnx', frame: 512, legacy: false },
  { file: 'silero_vad_v6.onnx', frame: 512, legacy: false },
] as const;
const DIST = join(dirname(createRequire(import.meta.url).resolve('@ricky0123/vad-web/package.json')), 'dist');

/** espeak-ng's WAV (mono 16-bit PCM) as samples in [-1, 1) and its rate. */
function speak(sentence: string): { samples: Float64Array; rate: number } {
  const out = spawnSync('espeak-ng', ['--stdout', '-s', '150', '-v', 'en', sentence], { maxBuffer: 1 << 26 });
  if (out.error || out.status !== 0) throw new Error(`espeak-ng failed (install it: scripts/setup-system.sh): ${out.error?.message ?? out.stderr.toString()}`);
  const wav = out.stdout;
  const rate = wav.readUInt32LE(24);
  let at = 12;
  while (at + 8 <= wav.length && wav.toString('ascii', at, at + 4) !== 'data') at += 8 + wav.readUInt32LE(at + 4);
  // espeak writing to a pipe leaves the data size unset: read to the end of the stream
  const start = at + 8;
  const n = Math.floor((wav.length - start) / 2);
  const samples = new Float64Array(n);
  for (let i = 0; i < n; i++) samples[i] = wav.readInt16LE(start + 2 * i) / 32768;
  return { samples, rate };
}

/** Linear-interpolation resampling (test audio only). */
function resample(x: Float64Array, from: number, to: number): Float64Array {
  const n = Math.floor((x.length * to) / from);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = (i * from) / to;
    const k = Math.floor(t);
    y[i] = k + 1 < x.length ? x[k] + (t - k) * (x[k + 1] - x[k]) : x[x.length - 1];
  }
  return y;
}

/** About 6 s at 16 kHz: silence, sentence, silence, sentence, silence, plus noise at −46 dB. */
function recording(): Float32Array {
  const rng = new Rng(16000);
  const parts: Float64Array[] = [new Float64Array(RATE * 0.6)];
  for (const s of ['The quick brown fox jumps over the lazy dog.', 'Voice activity detection runs chunk by chunk.']) {
    const { samples, rate } = speak(s);
    parts.push(resample(samples, rate, RATE), new Float64Array(RATE * 0.8));
  }
  const total = parts.reduce((a, p) => a + p.length, 0);
  const out = new Float32Array(total);
  let k = 0;
  for (const p of parts) for (const v of p) out[k++] = 0.8 * v + 0.005 * rng.normal();
  return out;
}

const stats: string[] = [];
afterAll(() => {
  if (stats.length) console.log(`silero VAD vs onnxruntime-node, chunk by chunk:\n  ${stats.join('\n  ')}`);
});

describe('silero VAD runs chunk by chunk as onnxruntime runs it', () => {
  const audio = recording();

  for (const spec of MODELS) {
    test(spec.file, async () => {
      const bytes = readFileSync(join(DIST, spec.file));
      const session = await ort.InferenceSession.create(bytes);
      const model = await OnnxModel.load(bytes, spec.file);
      const sr = makeValue('int64', [1], [RATE]);
      const zeros = (shape: number[]) => makeValue('float32', shape);
      // state names: legacy h, c → hn, cn; v5/v6 state → stateN
      const carry: [string, string][] = spec.legacy ? [['h', 'hn'], ['c', 'cn']] : [['state', 'stateN']];
      let ours: Record<string, OnnxValue> = Object.fromEntries(carry.map(([i]) => [i, zeros(spec.legacy ? [2, 1, 64] : [2, 1, 128])]));
      let theirs = { ...ours };
      let probDiff = 0;
      let stateErr = 0;
      const probs: number[] = [];
      const frames = Math.floor(audio.length / spec.frame);
      const t0 = performance.now();
      try {
        for (let f = 0; f < frames; f++) {
          const input = makeValue('float32', [1, spec.frame], audio.subarray(f * spec.frame, (f + 1) * spec.frame));
          const got = await model.run(engine, { input, sr, ...ours });
          const wantT = await session.run(Object.fromEntries(Object.entries({ input, sr, ...theirs }).map(([k, v]) => [k, toOrt(v)])));
          const want = Object.fromEntries(Object.entries(wantT).map(([k, v]) => [k, fromOrt(v)]));
          const d = Math.abs(got.output.data[0] - want.output.data[0]);
          if (!(d <= 1e-5)) throw new Error(`${spec.file} frame ${f}: speech probability ${got.output.data[0]}, onnxruntime ${want.output.data[0]}`);
          probDiff = Math.max(probDiff, d);
          probs.push(want.output.data[0]);
          for (const [, o] of carry) {
            expect(got[o].shape, `${spec.file} frame ${f}: shape of ${o}`).toEqual(want[o].shape);
            let scale = 0;
            let diff = 0;
            let at = 0;
            for (let i = 0; i < want[o].data.length; i++) {
              scale = Math.max(scale, Math.abs(want[o].data[i]));
              const di = Math.abs(got[o].data[i] - want[o].data[i]);
              if (di > diff) [diff, at] = [di, i];
            }
            const err = diff / (scale || 1);
            if (!(err <= 1e-5)) throw new Error(`${spec.file} frame ${f}: ${o}[${at}] = ${got[o].data[at]}, onnxruntime ${want[o].data[at]} (${err.toExponential(2)} of max |${o}|)`);
            stateErr = Math.max(stateErr, err);
          }
          ours = Object.fromEntries(carry.map(([i, o]) => [i, got[o]]));
          theirs = Object.fromEntries(carry.map(([i, o]) => [i, want[o]]));
        }
      } finally {
        model.dispose();
        await session.release();
      }
      const ms = (performance.now() - t0) / frames;
      stats.push(`${spec.file}: ${frames} frames of ${spec.frame}, max |Δprob| ${probDiff.toExponential(2)}, max state diff / max |state| ${stateErr.toExponential(2)}, probabilities ${Math.min(...probs).toFixed(3)}–${Math.max(...probs).toFixed(3)}, ${ms.toFixed(1)} ms/frame (both runtimes)`);
      expect(Math.max(...probs), 'the speech is found (vad-web positiveSpeechThreshold)').toBeGreaterThan(0.3);
      expect(Math.min(...probs), 'the silences are found (vad-web negativeSpeechThreshold)').toBeLessThan(0.25);
    }, 600_000);
  }
});
