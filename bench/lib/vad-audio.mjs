// The VAD rows' recording (Node side; the Chromium page receives it as a file): ten minutes of
// speech-like audio at 16 kHz, made here with no download. Debian's espeak-ng (scripts/setup-system.sh
// installs it) speaks a handful of sentences once; the recording cycles through them at seeded gains
// with seeded silences (0.3–2.5 s) between them and seeded noise at about −46 dB, so it holds both
// speech and silence throughout, as a long meeting or podcast would. Without espeak-ng (another
// machine) a deterministic synthetic voice stands in: glottal pulse trains at a gliding pitch through
// three formant resonators, in syllable-length bursts — the rows' `audio` field says which was used.
import { spawnSync } from 'node:child_process';

export const VAD_RATE = 16000;
const SENTENCES = [
  'The quick brown fox jumps over the lazy dog.',
  'Voice activity detection runs chunk by chunk.',
  'A recurrent network carries its state from one frame to the next.',
  'Please leave a message after the tone.',
  'The meeting will start again in five minutes.',
  'Numbers like seventeen, forty two and ninety nine are spoken slowly.',
];

/** A small seeded generator (mulberry32) and its normal draws: the recording is the same on every run. */
function rng(seed) {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

/** espeak-ng's WAV on stdout (mono 16-bit PCM, data size unset on a pipe) as samples in [-1, 1) and its rate; undefined without espeak-ng. */
function espeak(/** @type {string} */ sentence) {
  const out = spawnSync('espeak-ng', ['--stdout', '-s', '150', '-v', 'en', sentence], { maxBuffer: 1 << 26 });
  if (out.error || out.status !== 0) return undefined;
  const wav = out.stdout;
  const rate = wav.readUInt32LE(24);
  let at = 12;
  while (at + 8 <= wav.length && wav.toString('ascii', at, at + 4) !== 'data') at += 8 + wav.readUInt32LE(at + 4);
  const start = at + 8;
  const samples = new Float32Array(Math.floor((wav.length - start) / 2));
  for (let i = 0; i < samples.length; i++) samples[i] = wav.readInt16LE(start + 2 * i) / 32768;
  return { samples, rate };
}

/** Linear interpolation from `from` Hz to VAD_RATE (speech at 22 kHz → 16 kHz; good enough for a benchmark's input). */
function to16k(/** @type {Float32Array} */ x, /** @type {number} */ from) {
  const y = new Float32Array(Math.floor((x.length * VAD_RATE) / from));
  for (let i = 0; i < y.length; i++) {
    const t = (i * from) / VAD_RATE;
    const k = Math.floor(t);
    y[i] = k + 1 < x.length ? x[k] + (t - k) * (x[k + 1] - x[k]) : x[x.length - 1];
  }
  return y;
}

/** A synthetic utterance: voiced syllables (pulse train at 100–180 Hz through formants) with short gaps. */
function syntheticUtterance(/** @type {ReturnType<typeof rng>} */ r) {
  const syllables = 4 + Math.floor(r.uniform() * 8);
  const parts = [];
  for (let s = 0; s < syllables; s++) {
    const n = Math.floor(VAD_RATE * (0.12 + 0.2 * r.uniform()));
    const f0 = 100 + 80 * r.uniform();
    const formants = [300 + 500 * r.uniform(), 900 + 1400 * r.uniform(), 2300 + 800 * r.uniform()];
    const y = new Float32Array(n + Math.floor(VAD_RATE * 0.05 * r.uniform()));
    // two-pole resonators on a glottal pulse train, under a raised-cosine envelope
    const state = formants.map(() => [0, 0]);
    let phase = 0;
    for (let i = 0; i < n; i++) {
      phase += (f0 * (1 + 0.1 * Math.sin((2 * Math.PI * i) / n))) / VAD_RATE;
      const pulse = phase >= 1 ? ((phase -= 1), 1) : 0;
      let v = 0;
      formants.forEach((f, k) => {
        const rad = 0.97, w = (2 * Math.PI * f) / VAD_RATE;
        const out = pulse + 2 * rad * Math.cos(w) * state[k][0] - rad * rad * state[k][1];
        state[k] = [out, state[k][0]];
        v += out / (k + 1);
      });
      y[i] = 0.05 * v * 0.5 * (1 - Math.cos((2 * Math.PI * i) / n));
    }
    parts.push(y);
  }
  return concat(parts);
}

function concat(/** @type {Float32Array[]} */ parts) {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/**
 * `seconds` of audio at 16 kHz (default ten minutes): 0.6 s of silence, then utterances and silences
 * cycling until the length is reached, noise throughout.
 * @returns {{ audio: Float32Array, source: string }} source: what made the speech (for the rows' notes)
 */
export function vadRecording(seconds = 600) {
  const r = rng(16000);
  const spoken = SENTENCES.map(espeak);
  const voice = spoken.every(Boolean)
    ? { utterances: spoken.map((s) => to16k(/** @type {any} */ (s).samples, /** @type {any} */ (s).rate)), source: `espeak-ng (${SENTENCES.length} English sentences at 150 wpm, resampled to 16 kHz), seeded gains and silences, noise at −46 dB` }
    : { utterances: Array.from({ length: 12 }, () => syntheticUtterance(r)), source: 'synthetic speech-like signal (espeak-ng not found): formant-filtered pulse trains in syllable bursts, seeded silences, noise at −46 dB' };
  const total = Math.floor(seconds * VAD_RATE);
  const audio = new Float32Array(total);
  let at = Math.floor(0.6 * VAD_RATE);
  for (let k = 0; at < total; k++) {
    const u = voice.utterances[k % voice.utterances.length];
    const gain = 0.5 + 0.4 * r.uniform();
    for (let i = 0; i < u.length && at + i < total; i++) audio[at + i] = gain * u[i];
    at += u.length + Math.floor(VAD_RATE * (0.3 + 2.2 * r.uniform()));
  }
  for (let i = 0; i < total; i++) audio[i] += 0.005 * r.normal();
  return { audio, source: voice.source };
}
