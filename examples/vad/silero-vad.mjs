// @ts-check
// Voice activity detection with silero VAD on webrnn: what examples/vad/run.mjs (Node) and the demo's VAD
// page (demo/vad.ts, in the browser) share — one browser-safe module (no node: imports), plain
// JavaScript so that Node runs it as it is (TypeScript checks it through its JSDoc types: demo/tsconfig.json).
//
//   readWav(bytes)                     16-bit PCM RIFF/WAVE → mono float samples and their rate
//   toFrames16k(samples, rate, n)      vad-web's resampler: 16 kHz frames of n samples
//   sileroRun(engine, model, spec, frames, state?)  the model over the frames, state carried → probabilities
//   SpeechSegmenter / speechSegments   vad-web's frame logic: thresholds and hysteresis → speech segments
//
// Everything follows @ricky0123/vad-web 0.0.31 (node_modules/@ricky0123/vad-web/dist), which ships the
// three model files: the models and their frames (real-time-vad.js: 1536 samples for legacy, 512 for
// v5/v6; models/silero.js: v5/v6 see the last 64 samples of the previous frame before each frame),
// the defaults and the hysteresis (frame-processor.js), the segment times (non-real-time-vad.js) and the
// resampler (resampler.js). test/vad-example.test.ts checks the segments against vad-web's own code.
import { WebRnnError } from 'webrnn';
import { makeValue } from 'webrnn/interop';

/** @typedef {import('webrnn').Engine} Engine */
/** @typedef {import('webrnn/interop').OnnxModel} OnnxModel */
/** @typedef {import('webrnn/interop').OnnxValue} OnnxValue */

export const VAD_RATE = 16000;

/**
 * @typedef {object} SileroSpec
 * @property {string} file the model file (in the dist folder of the npm package ricky0123/vad-web)
 * @property {number} frameSamples 16 kHz samples per call (vad-web's frameSamples)
 * @property {number} contextSamples samples of the previous frame put before each frame (v5/v6: 64)
 * @property {[string, string][]} carry [state input, state output] pairs
 * @property {number[]} stateShape shape of each state tensor
 */

/** @type {Readonly<Record<'legacy' | 'v5' | 'v6', SileroSpec>>} */
export const SILERO_VAD_MODELS = {
  legacy: { file: 'silero_vad_legacy.onnx', frameSamples: 1536, contextSamples: 0, carry: [['h', 'hn'], ['c', 'cn']], stateShape: [2, 1, 64] },
  v5: { file: 'silero_vad_v5.onnx', frameSamples: 512, contextSamples: 64, carry: [['state', 'stateN']], stateShape: [2, 1, 128] },
  v6: { file: 'silero_vad_v6.onnx', frameSamples: 512, contextSamples: 64, carry: [['state', 'stateN']], stateShape: [2, 1, 128] },
};

/**
 * vad-web's defaults (defaultFrameProcessorOptions in frame-processor.js). The ms values become frames
 * by Math.floor(ms / msPerFrame), msPerFrame = frameSamples / 16: v5/v6 (32 ms) redemption 43 frames,
 * pre-speech pad 25, minimum speech 12; legacy (96 ms) 14, 8, 4.
 */
export const VAD_DEFAULTS = Object.freeze({ positiveSpeechThreshold: 0.3, negativeSpeechThreshold: 0.25, preSpeechPadMs: 800, redemptionMs: 1400, minSpeechMs: 400 });

// ---------------------------------------------------------------------------------------------- WAV

/** Longest recording read (samples per channel): 2 hours at 48 kHz. */
const MAX_WAV_FRAMES = 2 * 3600 * 48000;

/**
 * @typedef {object} Wav
 * @property {number} rate samples per second
 * @property {number} channels channels in the file (mixed down to one in `samples`)
 * @property {Float32Array} samples mono: the channels' mean, 16-bit values / 32768, in [-1, 1)
 */

/**
 * Reads a 16-bit PCM WAV file (RIFF/WAVE; format 1, or WAVE_FORMAT_EXTENSIBLE with the PCM subformat;
 * any rate and channel count). Every size is checked against the bytes there are before it is used; a
 * file that is not a WAV, is cut short, or holds another sample format throws WebRnnError BAD_FILE
 * saying what it found. A data chunk of declared size 0 or 0xFFFFFFFF (left so by programs that
 * stream a WAV before they know its length) is read to the end of the file.
 *
 * @param {Uint8Array} bytes the file
 * @param {string} [source] the file's name, for messages
 * @returns {Wav}
 */
export function readWav(bytes, source = 'WAV file') {
  const bad = (/** @type {string} */ why) => new WebRnnError('BAD_FILE', `${source}: ${why}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (/** @type {number} */ at) => String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') {
    throw bad(`not a WAV file (it does not start with a RIFF/WAVE header; ${bytes.length} bytes): give a 16-bit PCM .wav file`);
  }
  /** @type {{ format: number, channels: number, rate: number, blockAlign: number, bits: number } | undefined} */
  let fmt;
  let at = 12;
  while (at + 8 <= bytes.length) {
    const id = tag(at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'data') {
      if (!fmt) throw bad('the data chunk comes before any "fmt " chunk: the sample format is unknown');
      const streamed = size === 0 || size === 0xffffffff;
      if (!streamed && body + size > bytes.length) throw bad(`truncated: the data chunk declares ${size} bytes, the file holds ${bytes.length - body} after its header`);
      const end = streamed ? bytes.length : body + size;
      return pcm16(view, body, end, fmt.channels, fmt.rate, bad);
    }
    if (body + size > bytes.length) throw bad(`truncated: chunk "${id}" at byte ${at} declares ${size} bytes, the file holds ${bytes.length - body} after its header`);
    if (id === 'fmt ') fmt = readFmt(view, body, size, bad);
    at = body + size + (size & 1); // chunks are padded to an even length
  }
  throw bad(fmt ? 'truncated: no data chunk (the file ends before the samples)' : 'truncated: no "fmt " or data chunk');
}

/**
 * @param {DataView} view
 * @param {number} at
 * @param {number} size
 * @param {(why: string) => Error} bad
 */
function readFmt(view, at, size, bad) {
  if (size < 16) throw bad(`the "fmt " chunk is ${size} bytes, at least 16 are needed`);
  let format = view.getUint16(at, true);
  const channels = view.getUint16(at + 2, true);
  const rate = view.getUint32(at + 4, true);
  const blockAlign = view.getUint16(at + 12, true);
  const bits = view.getUint16(at + 14, true);
  // WAVE_FORMAT_EXTENSIBLE: the format is the first two bytes of the subformat GUID
  if (format === 0xfffe && size >= 26) format = view.getUint16(at + 24, true);
  const name = { 1: 'PCM', 3: 'IEEE float', 6: 'A-law', 7: 'µ-law', 0xfffe: 'extensible' }[format] ?? `format ${format}`;
  if (format !== 1 || bits !== 16) {
    throw bad(`${bits}-bit ${name} samples; only 16-bit PCM is read here: convert it, e.g. \`ffmpeg -i in.wav -c:a pcm_s16le out.wav\` or \`sox in.wav -b 16 -e signed-integer out.wav\``);
  }
  if (channels < 1) throw bad('the "fmt " chunk declares 0 channels');
  if (blockAlign !== 2 * channels) throw bad(`block align ${blockAlign} for ${channels} channel(s) of 16 bits: want ${2 * channels}`);
  if (rate < 1000 || rate > 768000) throw bad(`sample rate ${rate} Hz is outside 1000–768000`);
  return { format, channels, rate, blockAlign, bits };
}

/**
 * @param {DataView} view
 * @param {number} start
 * @param {number} end
 * @param {number} channels
 * @param {number} rate
 * @param {(why: string) => Error} bad
 * @returns {Wav}
 */
function pcm16(view, start, end, channels, rate, bad) {
  const n = Math.floor((end - start) / (2 * channels)); // a partial last sample frame is left out
  if (n > MAX_WAV_FRAMES) throw bad(`${(n / rate / 3600).toFixed(1)} hours of audio: at most ${MAX_WAV_FRAMES} samples per channel are read`);
  const samples = new Float32Array(n);
  for (let i = 0, p = start; i < n; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++, p += 2) sum += view.getInt16(p, true);
    samples[i] = sum / channels / 32768;
  }
  return { rate, channels, samples };
}

/**
 * Writes mono samples in [-1, 1] as a 16-bit PCM WAV file (clipped, rounded to nearest) — the
 * inverse of readWav, for tests and for saving a microphone recording.
 *
 * @param {ArrayLike<number>} samples
 * @param {number} rate
 * @returns {Uint8Array}
 */
export function writeWav(samples, rate) {
  const out = new Uint8Array(44 + 2 * samples.length);
  const v = new DataView(out.buffer);
  const put = (/** @type {number} */ at, /** @type {string} */ s) => { for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i); };
  put(0, 'RIFF');
  v.setUint32(4, 36 + 2 * samples.length, true);
  put(8, 'WAVE');
  put(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, rate, true);
  v.setUint32(28, 2 * rate, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  put(36, 'data');
  v.setUint32(40, 2 * samples.length, true);
  for (let i = 0; i < samples.length; i++) v.setInt16(44 + 2 * i, Math.max(-32768, Math.min(32767, Math.round(samples[i] * 32768))), true);
  return out;
}

// ----------------------------------------------------------------------------------------- resample

/**
 * The 16 kHz frames vad-web feeds its model, from samples at `rate`. At 16 kHz and above this is
 * vad-web's Resampler (resampler.js) step for step: each output sample is the mean of the input samples
 * in its 1/16000 s window, the windows restarting at each frame; only whole frames are kept (the tail
 * shorter than a frame is left out, as vad-web leaves it). Below 16 kHz, where vad-web's resampler
 * gives NaN (an empty window), samples are interpolated linearly instead.
 *
 * @param {Float32Array} samples mono samples
 * @param {number} rate their rate
 * @param {number} frameSamples samples per 16 kHz frame (SileroSpec.frameSamples)
 * @returns {Float32Array} whole frames, back to back (a multiple of frameSamples long)
 */
export function toFrames16k(samples, rate, frameSamples) {
  if (rate < VAD_RATE) return wholeFrames(linear(samples, rate, VAD_RATE), frameSamples);
  if (rate === VAD_RATE) return wholeFrames(samples, frameSamples);
  const frames = [];
  // vad-web pushes one sample at a time and emits a frame as soon as the buffer holds enough
  let start = 0;
  for (let len = 1; start + len <= samples.length; len++) {
    while ((len * VAD_RATE) / rate >= frameSamples) {
      const frame = new Float32Array(frameSamples);
      let i = 0;
      for (let o = 0; o < frameSamples; o++) {
        let sum = 0;
        let num = 0;
        for (; i < Math.min(len, ((o + 1) * rate) / VAD_RATE); i++) {
          sum += samples[start + i];
          num++;
        }
        frame[o] = sum / num;
      }
      frames.push(frame);
      start += i;
      len -= i;
    }
  }
  const out = new Float32Array(frames.length * frameSamples);
  frames.forEach((f, k) => out.set(f, k * frameSamples));
  return out;
}

/** @param {Float32Array} x @param {number} n */
const wholeFrames = (x, n) => x.subarray(0, x.length - (x.length % n));

/** @param {Float32Array} x @param {number} from @param {number} to */
function linear(x, from, to) {
  const y = new Float32Array(Math.floor((x.length * to) / from));
  for (let i = 0; i < y.length; i++) {
    const t = (i * from) / to;
    const k = Math.floor(t);
    y[i] = k + 1 < x.length ? x[k] + (t - k) * (x[k + 1] - x[k]) : x[x.length - 1];
  }
  return y;
}

// ------------------------------------------------------------------------------------------- model

/**
 * What one frame leaves for the next: the model's state tensors and (v5/v6) the last samples of the frame.
 * @typedef {object} SileroState
 * @property {Record<string, OnnxValue>} tensors
 * @property {Float32Array} context
 */

/**
 * The state before the first frame (vad-web's reset_state: zeros).
 * @param {SileroSpec} spec
 * @returns {SileroState}
 */
export function sileroInitialState(spec) {
  return { tensors: Object.fromEntries(spec.carry.map(([i]) => [i, makeValue('float32', spec.stateShape)])), context: new Float32Array(spec.contextSamples) };
}

/**
 * Runs the model over whole 16 kHz frames as vad-web runs it — each call one frame (v5/v6: after the
 * previous frame's last 64 samples), `sr` int64 [1] = 16000, the state outputs fed to the next call —
 * and returns each frame's speech probability and the state after the last frame (pass it back in to
 * go on, as the microphone does).
 *
 * @param {Engine} engine
 * @param {OnnxModel} model the spec's file, loaded
 * @param {SileroSpec} spec
 * @param {Float32Array} frames whole frames back to back (toFrames16k)
 * @param {SileroState} [state] where the previous call left off (default: the initial state)
 * @param {(done: number, total: number) => void} [onFrame] progress
 * @returns {Promise<{ probs: Float32Array, state: SileroState }>}
 */
export async function sileroRun(engine, model, spec, frames, state = sileroInitialState(spec), onFrame) {
  const n = spec.frameSamples;
  if (frames.length % n !== 0) throw new WebRnnError('BAD_SHAPE', `sileroRun: ${frames.length} samples is not a whole number of ${n}-sample frames`);
  const count = frames.length / n;
  const sr = makeValue('int64', [1], [VAD_RATE]);
  const chunks = [];
  let context = state.context;
  for (let f = 0; f < count; f++) {
    const input = new Float32Array(spec.contextSamples + n);
    input.set(context, 0);
    input.set(frames.subarray(f * n, (f + 1) * n), spec.contextSamples);
    context = input.slice(input.length - spec.contextSamples);
    chunks.push({ input: makeValue('float32', [1, input.length], input), sr });
  }
  // One pass (OnnxModel.runStream: the encoder batched over many frames, one recurrent sweep, bit for
  // bit the chunk-by-chunk loop), a slice of frames per call so that progress can be reported.
  const outputs = [];
  let tensors = state.tensors;
  for (let s = 0; s < chunks.length; s += ONE_PASS_FRAMES) {
    const r = await model.runStream(engine, chunks.slice(s, s + ONE_PASS_FRAMES), tensors);
    outputs.push(...r.outputs);
    tensors = r.state;
    onFrame?.(outputs.length, chunks.length);
  }
  return { probs: Float32Array.from(outputs, (o) => o.output.data[0]), state: { tensors, context } };
}

/** Frames per runStream call in {@link sileroRun} (progress is reported between calls). */
const ONE_PASS_FRAMES = 512;

// ---------------------------------------------------------------------------------------- segments

/**
 * @typedef {object} SpeechSegment
 * @property {number} startMs where speech starts (vad-web's `start`: the first frame above the positive threshold)
 * @property {number} endMs where it ends (vad-web's `end`: the frame where the redemption ran out, or the end of the audio)
 * @property {number} audioStartMs where the audio vad-web hands back for it starts: up to preSpeechPadMs earlier
 */

/**
 * vad-web's FrameProcessor (frame-processor.js) and NonRealTimeVAD's segment times
 * (non-real-time-vad.js), fed one probability per frame. A frame is speech when its probability is
 * ≥ positiveSpeechThreshold; speech starts at the first such frame; it ends after redemptionFrames frames
 * below negativeSpeechThreshold (frames between the thresholds neither end it nor count towards the
 * end; a speech frame restarts the count), and counts as a segment when at least minSpeechFrames of
 * its frames were speech (otherwise vad-web calls it a misfire). Times in ms as vad-web gives them:
 * start = frame × msPerFrame, end = (frame + 1) × msPerFrame, msPerFrame = frameSamples / 16.
 *
 * @example
 * const seg = new SpeechSegmenter(512);
 * for (const p of probs) seg.push(p);
 * const segments = seg.finish();
 */
export class SpeechSegmenter {
  /**
   * @param {number} frameSamples
   * @param {Partial<typeof VAD_DEFAULTS>} [options] vad-web's FrameProcessor options (VAD_DEFAULTS for the rest)
   */
  constructor(frameSamples, options = {}) {
    const o = { ...VAD_DEFAULTS, ...options };
    this.msPerFrame = frameSamples / 16;
    this.positive = o.positiveSpeechThreshold;
    this.negative = o.negativeSpeechThreshold;
    this.redemptionFrames = Math.floor(o.redemptionMs / this.msPerFrame);
    this.preSpeechPadFrames = Math.floor(o.preSpeechPadMs / this.msPerFrame);
    this.minSpeechFrames = Math.floor(o.minSpeechMs / this.msPerFrame);
    /** @type {SpeechSegment[]} */
    this.segments = [];
    this.frame = 0;
    this.speaking = false;
    this.redemptionCounter = 0;
    this.startMs = 0;
    this.audioStartMs = 0;
    /** isSpeech of the frames vad-web keeps in its audio buffer */
    /** @type {boolean[]} */
    this.buffer = [];
  }

  /**
   * One frame's speech probability; returns the segment it ends, if any.
   * @param {number} p
   * @returns {SpeechSegment | undefined}
   */
  push(p) {
    /** @type {SpeechSegment | undefined} */
    let ended;
    const isSpeech = p >= this.positive;
    this.buffer.push(isSpeech);
    if (isSpeech) this.redemptionCounter = 0;
    if (isSpeech && !this.speaking) {
      this.speaking = true;
      this.startMs = this.frame * this.msPerFrame;
      this.audioStartMs = (this.frame + 1 - this.buffer.length) * this.msPerFrame;
    }
    if (p < this.negative && this.speaking && ++this.redemptionCounter >= this.redemptionFrames) {
      this.redemptionCounter = 0;
      this.speaking = false;
      ended = this.close((this.frame + 1) * this.msPerFrame);
    }
    if (!this.speaking) while (this.buffer.length > this.preSpeechPadFrames) this.buffer.shift();
    this.frame++;
    return ended;
  }

  /**
   * The end of the audio (vad-web's endSegment): closes the segment in progress, if any, and returns all segments.
   * @returns {SpeechSegment[]}
   */
  finish() {
    if (this.speaking) this.close(this.frame * this.msPerFrame);
    this.speaking = false;
    this.redemptionCounter = 0;
    return this.segments;
  }

  /** @param {number} endMs */
  close(endMs) {
    const speechFrames = this.buffer.filter(Boolean).length;
    this.buffer = [];
    if (speechFrames < this.minSpeechFrames) return undefined; // vad-web's VADMisfire
    const segment = { startMs: this.startMs, endMs, audioStartMs: this.audioStartMs };
    this.segments.push(segment);
    return segment;
  }
}

/**
 * The speech segments of a whole recording's frame probabilities (SpeechSegmenter over all of them).
 * @param {ArrayLike<number>} probs
 * @param {number} frameSamples
 * @param {Partial<typeof VAD_DEFAULTS>} [options]
 * @returns {SpeechSegment[]}
 */
export function speechSegments(probs, frameSamples, options) {
  const seg = new SpeechSegmenter(frameSamples, options);
  for (let i = 0; i < probs.length; i++) seg.push(probs[i]);
  return seg.finish();
}
