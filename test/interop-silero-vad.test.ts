// silero VAD (legacy = v4, v5, v6; the ONNX files @ricky0123/vad-web ships, read from the
// devDependency) against onnxruntime-node, streamed as vad-web streams it: 16 kHz audio in frames of
// 1536 samples (legacy) or 512 (v5/v6), `sr` fed as int64 of shape [1], the state outputs carried
// into the next call (each runtime carries its own, so differences may accumulate). onnxruntime-node's
// stream is computed once; webrnn's is compared with it in Node, Deno and headless Chromium
// (test/hosts/silero-stream.ts, silero-entry.ts).
// The recording is made here: Debian's espeak-ng (scripts/setup-system.sh installs it) speaks
// sentences, resampled from 22050 Hz to 16 kHz, with silences between them and seeded noise.
// Every frame, in every host: |speech probability − onnxruntime's| ≤ 1e-5, and the state within 1e-5 of
// its largest magnitude — except in Chromium, whose SwiftShader adapter holds the state to 2e-5: there
// legacy's hn drifts to 1.01e-5 by the last frame (its Conv output is bit for bit Node's, see
// test/gpu/conv-cases.ts, and every CPU operator is the same code: the difference is the LSTM kernels on
// SwiftShader — their transcendentals, or the kernel variant chosen for that adapter). onnxruntime's
// probabilities must also cross vad-web's thresholds both ways — some frame above its
// positiveSpeechThreshold 0.3, some below its negativeSpeechThreshold 0.25 — so the recording
// exercises speech and silence (v6 is the most conservative on espeak's voice: about 0.49 at most).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeValue, type OnnxValue } from '../src/io/onnx-value.js';
import { Rng } from '../src/random.js';
import { engine, useEngine } from './helpers/gpu-test.js';
import { fromOrt, toOrt } from './helpers/onnx-vs-ort.js';
import { runInChromium } from './hosts/run-chromium.mjs';
import { runInDeno } from './hosts/run-deno.mjs';
import { describeAgreement, SILERO_MODELS, SILERO_RATE as RATE, sileroCarry, streamSilero, type SileroReference, type SileroSpec } from './hosts/silero-stream.js';

useEngine();

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

/** onnxruntime-node's stream: each frame run with the state of its previous frame, probabilities and states kept. */
async function ortStream(bytes: Uint8Array, spec: SileroSpec, audio: Float32Array): Promise<SileroReference> {
  const session = await ort.InferenceSession.create(bytes);
  const { carry, shape } = sileroCarry(spec);
  const size = shape.reduce((a, b) => a * b, 1);
  const frames = Math.floor(audio.length / spec.frame);
  const ref: SileroReference = { probs: new Float32Array(frames), states: new Float32Array(frames * carry.length * size) };
  let state: Record<string, OnnxValue> = Object.fromEntries(carry.map(([i]) => [i, makeValue('float32', shape)]));
  const sr = makeValue('int64', [1], [RATE]);
  try {
    for (let f = 0; f < frames; f++) {
      const input = makeValue('float32', [1, spec.frame], audio.subarray(f * spec.frame, (f + 1) * spec.frame));
      const out = await session.run(Object.fromEntries(Object.entries({ input, sr, ...state }).map(([k, v]) => [k, toOrt(v)])));
      const got = Object.fromEntries(Object.entries(out).map(([k, v]) => [k, fromOrt(v)]));
      ref.probs[f] = got.output.data[0];
      carry.forEach(([, o], k) => ref.states.set(got[o].data, (f * carry.length + k) * size));
      state = Object.fromEntries(carry.map(([i, o]) => [i, got[o]]));
    }
  } finally {
    await session.release();
  }
  return ref;
}

const audio = recording();
const refs = new Map<string, SileroReference>();
const bytesOf = (spec: SileroSpec) => new Uint8Array(readFileSync(join(DIST, spec.file)));
/** Where the host runs read the recording, the models and onnxruntime's streams. */
const DATA = join(import.meta.dirname, 'hosts', 'out', 'silero-data');
const DATA_FILES = ['audio.f32', ...SILERO_MODELS.flatMap((m) => [m.file, `${m.file}.probs.f32`, `${m.file}.states.f32`])];

beforeAll(async () => {
  mkdirSync(DATA, { recursive: true });
  writeFileSync(join(DATA, 'audio.f32'), new Uint8Array(audio.buffer));
  for (const spec of SILERO_MODELS) {
    const ref = await ortStream(bytesOf(spec), spec, audio);
    refs.set(spec.file, ref);
    copyFileSync(join(DIST, spec.file), join(DATA, spec.file));
    writeFileSync(join(DATA, `${spec.file}.probs.f32`), new Uint8Array(ref.probs.buffer));
    writeFileSync(join(DATA, `${spec.file}.states.f32`), new Uint8Array(ref.states.buffer));
  }
}, 300_000);

const stats: string[] = [];
afterAll(() => {
  if (stats.length) console.log(`silero VAD vs onnxruntime-node, chunk by chunk:\n  ${stats.join('\n  ')}`);
});

describe('silero VAD runs chunk by chunk as onnxruntime runs it', () => {
  for (const spec of SILERO_MODELS) {
    test(`${spec.file} (Node)`, async () => {
      const ref = refs.get(spec.file)!;
      // the recording crosses vad-web's thresholds both ways
      expect(Math.max(...ref.probs), 'the speech is found (vad-web positiveSpeechThreshold)').toBeGreaterThan(0.3);
      expect(Math.min(...ref.probs), 'the silences are found (vad-web negativeSpeechThreshold)').toBeLessThan(0.25);
      const a = await streamSilero(engine, bytesOf(spec), spec, audio, ref);
      stats.push(`Node: ${describeAgreement(spec, a)}, onnxruntime's probabilities ${Math.min(...ref.probs).toFixed(3)}–${Math.max(...ref.probs).toFixed(3)}`);
      expect(a.failure, `${spec.file}`).toBeUndefined();
    }, 600_000);
  }

  type HostRun = Awaited<ReturnType<typeof runInDeno>>;
  const checkHost = (name: string, run: HostRun) => {
    const { report, logs } = run;
    if (report.error || report.cases.some((c) => !c.pass)) console.log(`--- ${name} log ---\n${logs.join('\n')}`);
    expect(report.error, `${name} run broke`).toBeUndefined();
    for (const c of report.cases) stats.push(`${name} (${report.adapter}): ${c.detail}`);
    expect(report.cases.filter((c) => !c.pass).map((c) => c.detail), `${name}: failing models`).toEqual([]);
    expect(report.cases.map((c) => c.name)).toEqual(SILERO_MODELS.map((m) => m.file));
  };

  test('in Deno (navigator.gpu)', async () => {
    checkHost('deno', await runInDeno({ entry: 'silero-entry.ts', env: { WEBRNN_SILERO_DIR: DATA }, timeoutMs: 9 * 60_000 }));
  }, 10 * 60_000);

  test('in headless Chromium (SwiftShader)', async () => {
    const prepare = (dir: string) => { for (const f of DATA_FILES) copyFileSync(join(DATA, f), join(dir, f)); };
    checkHost('chromium', await runInChromium({ entry: 'silero-entry.ts', prepare, query: { stateTol: '2e-5' }, timeoutMs: 19 * 60_000 }));
  }, 20 * 60_000);
});
