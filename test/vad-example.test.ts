// examples/vad (node examples/vad/run.mjs FILE.wav), run as a user runs it, against vad-web's own code:
// the reference is @ricky0123/vad-web 0.0.31's NonRealTimeVAD loop (non-real-time-vad.js) with the
// frame size of each model (real-time-vad.js: legacy 1536, v5/v6 512), its Resampler, its model
// wrappers (models/legacy.js, models/silero.js: state and v5/v6's 64-sample context) and its
// FrameProcessor with its default options — all of it vad-web's JavaScript, given onnxruntime-node
// as its `ort`. The example's speech probabilities (--json prints them) must be within 1e-5 of
// onnxruntime-node's, its segments must EQUAL the reference's (same frames, same ms), its
// audio start (pre-speech pad) must match the length of the audio vad-web returns, and the segments
// must cover the spoken sentences. Also: the shared module's resampler and segmenter equal vad-web's on
// their own (bit for bit, and on seeded random probability sequences), and bad files fail with a
// clear message and a non-zero exit status. Needs `npm run build` (the example imports 'webrnn',
// which is this package's dist/) and espeak-ng.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readWav, SILERO_VAD_MODELS, speechSegments, toFrames16k, VAD_DEFAULTS, writeWav } from '../examples/vad/silero-vad.mjs';
import { Rng } from '../src/random.js';
import { ROOT } from './helpers/cli-run.js';
import { speechRecording, type SpeechRecording } from './helpers/speech-recording.js';

const require = createRequire(import.meta.url);
const VAD_WEB = join(dirname(require.resolve('@ricky0123/vad-web/package.json')), 'dist');
const { FrameProcessor, defaultFrameProcessorOptions } = require(join(VAD_WEB, 'frame-processor.js'));
const { Message } = require(join(VAD_WEB, 'messages.js'));
const { Resampler } = require(join(VAD_WEB, 'resampler.js'));
const { Silero, SileroLegacy } = require(join(VAD_WEB, 'models', 'index.js'));

type ModelName = keyof typeof SILERO_VAD_MODELS;
interface Segment { startMs: number; endMs: number; audioStartMs: number }
interface ExampleJson { model: string; rate: number; channels: number; frames: number; segments: Segment[]; ms: number; rtf: number; probs: number[] }
/** Speech probabilities, webrnn (the example) against onnxruntime-node (in vad-web's wrapper): as test/interop-silero-vad.test.ts holds them. */
const PROB_TOL = 1e-5;

let dir = '';
let speech: SpeechRecording;
const seconds = 1000;

/** vad-web's NonRealTimeVAD.run, frame size per model, ort = onnxruntime-node; segments with the length of the audio it returns. */
async function vadWebSegments(samples: Float32Array, rate: number, model: ModelName): Promise<{ segments: { startMs: number; endMs: number; audioMs: number }[]; probs: number[] }> {
  const spec = SILERO_VAD_MODELS[model];
  const bytes = readFileSync(join(VAD_WEB, spec.file));
  const wrapper = await (model === 'legacy' ? SileroLegacy : Silero).new(ort, async () => bytes);
  const probs: number[] = [];
  const processFrame = async (frame: Float32Array) => {
    const p = await wrapper.process(frame);
    probs.push(p.isSpeech);
    return p;
  };
  const fp = new FrameProcessor(processFrame, wrapper.reset_state, { ...defaultFrameProcessorOptions }, spec.frameSamples / 16);
  fp.resume();
  const out: { startMs: number; endMs: number; audioMs: number }[] = [];
  let start = 0;
  let frameIndex = 0;
  const take = (events: { msg: string; audio?: Float32Array }[], end: number) => {
    for (const e of events) {
      if (e.msg === Message.SpeechStart) start = (frameIndex * spec.frameSamples) / 16;
      if (e.msg === Message.SpeechEnd) out.push({ startMs: start, endMs: end, audioMs: e.audio!.length / 16 });
    }
  };
  for await (const frame of new Resampler({ nativeSampleRate: rate, targetSampleRate: 16000, targetFrameSize: spec.frameSamples }).stream(samples)) {
    const events: { msg: string; audio?: Float32Array }[] = [];
    await fp.process(frame, (e: { msg: string }) => events.push(e));
    take(events, ((frameIndex + 1) * spec.frameSamples) / 16);
    frameIndex++;
  }
  const events: { msg: string; audio?: Float32Array }[] = [];
  fp.endSegment((e: { msg: string }) => events.push(e));
  take(events.filter((e) => e.msg === Message.SpeechEnd), (frameIndex * spec.frameSamples) / 16);
  await wrapper.release();
  return { segments: out, probs };
}

/** The example as a user runs it. */
function runExample(args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'examples', 'vad', 'run.mjs'), ...args], { encoding: 'utf8', timeout: 240 * seconds, env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `samples` as 16-bit PCM at `rate` with `channels` channels (channel c scaled by 1 − 0.25c, so the mix is not any one channel). */
function pcmFile(name: string, samples: Float32Array, rate: number, channels: number): { file: string; mono: Float32Array } {
  const q = (v: number) => Math.max(-32768, Math.min(32767, Math.round(v * 32768)));
  const bytes = new Uint8Array(44 + 2 * channels * samples.length);
  const mono = new Float32Array(samples.length);
  const v = new DataView(bytes.buffer);
  bytes.set(writeWav(new Float32Array(0), rate).subarray(0, 44));
  v.setUint32(4, 36 + 2 * channels * samples.length, true);
  v.setUint16(22, channels, true);
  v.setUint32(28, 2 * channels * rate, true);
  v.setUint16(32, 2 * channels, true);
  v.setUint32(40, 2 * channels * samples.length, true);
  for (let i = 0; i < samples.length; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) {
      const s = q(samples[i] * (1 - 0.25 * c));
      v.setInt16(44 + 2 * (i * channels + c), s, true);
      sum += s;
    }
    mono[i] = sum / channels / 32768;
  }
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return { file, mono };
}

/** Linear upsampling of the 16 kHz recording to another rate (only to make a file at that rate). */
function atRate(x: Float32Array, to: number): Float32Array {
  return Float32Array.from({ length: Math.floor((x.length * to) / 16000) }, (_, i) => {
    const t = (i * 16000) / to;
    const k = Math.floor(t);
    return k + 1 < x.length ? x[k] + (t - k) * (x[k + 1] - x[k]) : x[k];
  });
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'src', 'index.js')) || !existsSync(join(ROOT, 'dist', 'src', 'interop', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` before this test (the example imports webrnn from it)');
  dir = mkdtempSync(join(tmpdir(), 'webrnn-vad-example-'));
  speech = speechRecording(['The quick brown fox jumps over the lazy dog.', 'Voice activity detection runs chunk by chunk.', 'Silence comes between the sentences.']);
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('examples/vad: speech segments of a WAV file', () => {
  const cases: { model: ModelName; rate: number; channels: number }[] = [
    { model: 'v5', rate: 16000, channels: 1 },
    { model: 'legacy', rate: 44100, channels: 2 },
    { model: 'v6', rate: 22050, channels: 1 },
  ];
  for (const c of cases) {
    test(`${c.model}, ${c.rate} Hz, ${c.channels} channel(s): the segments vad-web finds with onnxruntime-node, covering the sentences`, async () => {
      const { file, mono } = pcmFile(`speech-${c.model}.wav`, c.rate === 16000 ? speech.samples : atRate(speech.samples, c.rate), c.rate, c.channels);
      const { segments: want, probs } = await vadWebSegments(mono, c.rate, c.model);
      const r = runExample([file, '--model', c.model, '--json']);
      expect(r.status, r.stderr).toBe(0);
      const got = JSON.parse(r.stdout) as ExampleJson;
      console.log(`examples/vad ${c.model} on ${(mono.length / c.rate).toFixed(1)} s at ${c.rate} Hz: ${got.frames} frames in ${(got.ms / 1000).toFixed(2)} s, real-time factor ${got.rtf.toFixed(3)}; segments ${got.segments.map((s) => `${s.startMs / 1000}–${s.endMs / 1000}`).join(', ')}; sentences ${speech.sentences.map((s) => `${s.start.toFixed(2)}–${s.end.toFixed(2)}`).join(', ')}`);
      // the probabilities agree, and none sits so close to a threshold that the agreement could tip it
      expect(got.probs).toHaveLength(probs.length);
      let worst = 0;
      let margin = Infinity;
      probs.forEach((p, f) => {
        worst = Math.max(worst, Math.abs(got.probs[f] - p));
        for (const th of [VAD_DEFAULTS.positiveSpeechThreshold, VAD_DEFAULTS.negativeSpeechThreshold]) margin = Math.min(margin, Math.abs(p - th));
      });
      console.log(`  ${c.model}: max |probability − onnxruntime-node's| ${worst.toExponential(2)}, closest to a threshold ${margin.toExponential(2)}`);
      expect(worst, 'speech probabilities within 1e-5 of onnxruntime-node').toBeLessThanOrEqual(PROB_TOL);
      expect(got.segments.map((s) => [s.startMs, s.endMs]), 'segments (ms) equal vad-web with onnxruntime-node').toEqual(want.map((s) => [s.startMs, s.endMs]));
      expect(got.segments.map((s) => s.endMs - s.audioStartMs), 'the audio vad-web returns (pre-speech pad included)').toEqual(want.map((s) => s.audioMs));
      // one segment per sentence (the 2 s gaps are longer than vad-web's 1.4 s redemption), each
      // starting at most 0.3 s after its sentence does (the model needs to hear some speech) and ending after it
      expect(got.segments).toHaveLength(speech.sentences.length);
      speech.sentences.forEach((s, k) => {
        const g = got.segments[k];
        expect(g.startMs / 1000, `segment ${k} starts by "${s.text}"`).toBeLessThanOrEqual(s.start + 0.3);
        expect(g.startMs / 1000, `segment ${k} starts no earlier than a frame before "${s.text}"`).toBeGreaterThanOrEqual(s.start - SILERO_VAD_MODELS[c.model].frameSamples / 16000);
        expect(g.endMs / 1000, `segment ${k} lasts to the end of "${s.text}"`).toBeGreaterThanOrEqual(s.end);
      });
      if (c.model !== 'legacy') return;
      // the human-readable output says the same (one case is enough)
      const text = runExample([file, '--model', c.model]);
      expect(text.status, text.stderr).toBe(0);
      for (const s of got.segments) expect(text.stdout).toContain(`${(s.startMs / 1000).toFixed(3)} – ${(s.endMs / 1000).toFixed(3)}`);
      expect(text.stdout).toMatch(/real-time factor \d+\.\d+/);
    }, 300 * seconds);
  }
});

describe('the shared module against vad-web', () => {
  test('toFrames16k is vad-web\'s Resampler bit for bit (44.1 kHz and 48 kHz, both frame sizes)', async () => {
    const rng = new Rng(7);
    const x = Float32Array.from({ length: 30_000 }, () => rng.normal() * 0.3);
    for (const rate of [44100, 48000, 22050, 16000]) {
      for (const frameSamples of [512, 1536]) {
        const want: number[] = [];
        for await (const f of new Resampler({ nativeSampleRate: rate, targetSampleRate: 16000, targetFrameSize: frameSamples }).stream(x)) want.push(...f);
        expect(Array.from(toFrames16k(x, rate, frameSamples)), `${rate} Hz, frames of ${frameSamples}`).toEqual(want);
      }
    }
  });

  test('speechSegments is vad-web\'s FrameProcessor on 200 seeded random probability sequences', async () => {
    const rng = new Rng(11);
    let segments = 0;
    for (let k = 0; k < 200; k++) {
      const frameSamples = k % 2 ? 512 : 1536;
      // runs of speech-like and silence-like probabilities, some between the thresholds
      const probs: number[] = [];
      while (probs.length < 400) {
        const level = [0.05, 0.27, 0.31, 0.9][rng.int(0, 3)];
        for (let n = rng.int(1, 40); n > 0; n--) probs.push(Math.min(1, Math.max(0, level + 0.05 * rng.normal())));
      }
      const fake = { i: 0 };
      const fp = new FrameProcessor(async () => ({ isSpeech: probs[fake.i++], notSpeech: 0 }), () => {}, { ...defaultFrameProcessorOptions }, frameSamples / 16);
      fp.resume();
      const want: [number, number][] = [];
      let start = 0;
      for (let f = 0; f < probs.length; f++) {
        await fp.process(new Float32Array(1), (e: { msg: string }) => {
          if (e.msg === Message.SpeechStart) start = (f * frameSamples) / 16;
          if (e.msg === Message.SpeechEnd) want.push([start, ((f + 1) * frameSamples) / 16]);
        });
      }
      fp.endSegment((e: { msg: string }) => { if (e.msg === Message.SpeechEnd) want.push([start, (probs.length * frameSamples) / 16]); });
      expect(speechSegments(probs, frameSamples).map((s) => [s.startMs, s.endMs]), `sequence ${k}`).toEqual(want);
      segments += want.length;
    }
    expect(segments, 'the sequences make segments').toBeGreaterThan(100);
  });

  test('VAD_DEFAULTS are vad-web\'s', () => {
    const { submitUserSpeechOnPause, ...rest } = defaultFrameProcessorOptions;
    expect(submitUserSpeechOnPause).toBe(false);
    expect({ ...VAD_DEFAULTS }).toEqual(rest);
  });
});

describe('bad input: a clear message and a non-zero exit status', () => {
  const header = (format: number, bits: number) => {
    const b = writeWav(new Float32Array(100), 16000);
    const v = new DataView(b.buffer);
    v.setUint16(20, format, true);
    v.setUint16(34, bits, true);
    v.setUint16(32, bits / 8, true);
    return b;
  };
  const wav = () => writeWav(new Float32Array(16000), 16000);
  const files: [string, () => Uint8Array, RegExp][] = [
    ['truncated.wav', () => wav().subarray(0, 1000), /truncated: the data chunk declares 32000 bytes, the file holds 956/],
    ['cut-header.wav', () => wav().subarray(0, 30), /truncated: chunk "fmt " at byte 12 declares 16 bytes, the file holds 10/],
    ['no-data.wav', () => wav().subarray(0, 36), /truncated: no data chunk/],
    ['text.wav', () => new TextEncoder().encode('hello, this is not audio\n'), /not a WAV file/],
    ['empty.wav', () => new Uint8Array(0), /not a WAV file/],
    ['8bit.wav', () => header(1, 8), /8-bit PCM samples; only 16-bit PCM is read here: convert it/],
    ['float.wav', () => header(3, 32), /32-bit IEEE float samples; only 16-bit PCM/],
  ];
  for (const [name, bytes, message] of files) {
    test(name, () => {
      // in process: the typed error
      expect(() => readWav(bytes(), name)).toThrow(expect.objectContaining({ name: 'WebRnnError', code: 'BAD_FILE', message: expect.stringMatching(message) }));
      // as a user sees it
      const file = join(dir, name);
      writeFileSync(file, bytes());
      const r = runExample([file]);
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toMatch(new RegExp(`^examples/vad: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${message.source}`));
    });
  }

  test('a missing file, no file, an unknown model', () => {
    const missing = runExample([join(dir, 'nope.wav')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^examples\/vad: cannot read .*nope\.wav: ENOENT/);
    const none = runExample([]);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/^no WAV file given\nusage: node examples\/vad\/run\.mjs/);
    const model = runExample([join(dir, 'x.wav'), '--model', 'v7']);
    expect(model.status).toBe(2);
    expect(model.stderr).toMatch(/^--model must be one of legacy, v5, v6, got "v7"/);
  });
});
