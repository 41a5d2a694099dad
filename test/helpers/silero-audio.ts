// Test audio for the silero VAD tests: espeak-ng (Debian's, scripts/setup-system.sh) speaking
// sentences, resampled to 16 kHz, with silences and seeded noise — made at test time, nothing downloaded.
import { spawnSync } from 'node:child_process';
import { Rng } from '../../src/random.js';
import { SILERO_RATE as RATE } from '../hosts/silero-stream.js';

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

/**
 * Test audio at 16 kHz: 0.6 s of silence, then each sentence followed by 0.8 s of silence, all with
 * noise at −46 dB (seeded). With `seconds`, the spoken sentences repeat — each time at a gain and
 * with silences drawn from the seed — until the recording is that long (cut there).
 */
export function recording(sentences: readonly string[], seconds?: number): Float32Array {
  const rng = new Rng(16000);
  const voices = sentences.map((s) => {
    const { samples, rate } = speak(s);
    return resample(samples, rate, RATE);
  });
  const parts: { x: Float64Array; gain: number }[] = [{ x: new Float64Array(RATE * 0.6), gain: 0 }];
  let total = parts[0].x.length;
  for (let k = 0; k === 0 || (seconds !== undefined && total < seconds * RATE); k++) {
    for (const v of voices) {
      const silence = new Float64Array(Math.round(RATE * (k === 0 ? 0.8 : 0.3 + 2 * rng.next())));
      parts.push({ x: v, gain: k === 0 ? 0.8 : 0.3 + 0.6 * rng.next() }, { x: silence, gain: 0 });
      total += v.length + silence.length;
    }
  }
  const out = new Float32Array(seconds === undefined ? total : seconds * RATE);
  let i = 0;
  for (const p of parts) for (const v of p.x) if (i < out.length) out[i++] = p.gain * v + 0.005 * rng.normal();
  return out;
}
