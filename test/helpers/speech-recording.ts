// A test recording of speech: Debian's espeak-ng (scripts/setup-system.sh installs it) speaks
// sentences, which are resampled to 16 kHz and laid out with silences between them, plus seeded noise.
// Returns the samples and where each sentence is, so tests can check what a VAD finds.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/random.js';

export interface SpeechRecording {
  rate: number;
  /** mono, in [-1, 1) */
  samples: Float32Array;
  /** each sentence's first and last sample above the noise, in seconds */
  sentences: { text: string; start: number; end: number }[];
}

/** espeak-ng's voice at its own rate (22050 Hz), written to a file (so the WAV's sizes are filled in). */
function espeak(text: string): { samples: Float64Array; rate: number } {
  const dir = mkdtempSync(join(tmpdir(), 'webrnn-espeak-'));
  try {
    const file = join(dir, 'speech.wav');
    const run = spawnSync('espeak-ng', ['-w', file, '-s', '150', '-v', 'en', text]);
    if (run.error || run.status !== 0) throw new Error(`espeak-ng failed (install it: scripts/setup-system.sh): ${run.error?.message ?? run.stderr.toString()}`);
    const wav = readFileSync(file);
    let at = 12;
    while (wav.toString('ascii', at, at + 4) !== 'data') at += 8 + wav.readUInt32LE(at + 4);
    const n = wav.readUInt32LE(at + 4) >> 1;
    return { rate: wav.readUInt32LE(24), samples: Float64Array.from({ length: n }, (_, i) => wav.readInt16LE(at + 8 + 2 * i) / 32768) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Band-limited resampling: a Hann-windowed sinc, cut off at the lower rate's Nyquist frequency, 2·16 + 1 taps. */
function sincResample(x: Float64Array, from: number, to: number): Float64Array {
  const cut = Math.min(1, to / from);
  const half = 16;
  const y = new Float64Array(Math.floor((x.length * to) / from));
  for (let i = 0; i < y.length; i++) {
    const t = (i * from) / to;
    const k0 = Math.floor(t);
    let acc = 0;
    for (let k = k0 - half + 1; k <= k0 + half; k++) {
      if (k < 0 || k >= x.length) continue;
      const d = t - k;
      const sinc = d === 0 ? 1 : Math.sin(Math.PI * cut * d) / (Math.PI * cut * d);
      acc += x[k] * cut * sinc * (0.5 + 0.5 * Math.cos((Math.PI * d) / half));
    }
    y[i] = acc;
  }
  return y;
}

/**
 * `sentences` spoken with `gap` seconds of silence before, between and after them, at 16 kHz, scaled by
 * 0.8, with Gaussian noise of standard deviation `noise` (seeded) over everything.
 */
export function speechRecording(sentences: string[], { gap = 2, lead = 0.6, noise = 0.005, seed = 16000 } = {}): SpeechRecording {
  const rate = 16000;
  const rng = new Rng(seed);
  const parts: Float64Array[] = [new Float64Array(Math.round(rate * lead))];
  const placed: SpeechRecording['sentences'] = [];
  let at = parts[0].length;
  for (const text of sentences) {
    const spoken = espeak(text);
    const voice = sincResample(spoken.samples, spoken.rate, rate);
    // espeak pads its output with silence: the sentence is where the voice is
    let first = voice.findIndex((v) => Math.abs(v) > 1e-3);
    let last = voice.length - 1;
    while (last > 0 && Math.abs(voice[last]) <= 1e-3) last--;
    if (first < 0) first = last = 0;
    placed.push({ text, start: (at + first) / rate, end: (at + last + 1) / rate });
    parts.push(voice, new Float64Array(Math.round(rate * gap)));
    at += voice.length + Math.round(rate * gap);
  }
  const samples = new Float32Array(at);
  let k = 0;
  for (const p of parts) for (const v of p) samples[k++] = 0.8 * v + noise * rng.normal();
  return { rate, samples, sentences: placed };
}
