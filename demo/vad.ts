/**
 * The demo's VAD page (vad.html): silero VAD — the ONNX files @ricky0123/vad-web ships, served from that
 * devDependency by vite (`?url` imports: copied into the build, never committed) — run with webrnn's
 * OnnxModel on this page's GPU. A WAV file, or the microphone (getUserMedia, 16 kHz, frames processed as
 * they arrive), becomes a speech-probability timeline over the waveform with vad-web's segments marked,
 * and the time taken. The work is examples/vad/silero-vad.mjs, the module the Node example runs.
 * Progress is published on window.__vad for test/vad-demo.test.ts.
 */
/// <reference types="vite/client" />
import { createEngine, type Engine } from 'webrnn';
import { OnnxModel } from 'webrnn/interop';
import legacyUrl from '@ricky0123/vad-web/dist/silero_vad_legacy.onnx?url';
import v5Url from '@ricky0123/vad-web/dist/silero_vad_v5.onnx?url';
import v6Url from '@ricky0123/vad-web/dist/silero_vad_v6.onnx?url';
import { readWav, SILERO_VAD_MODELS, sileroInitialState, sileroRun, SpeechSegmenter, toFrames16k, VAD_DEFAULTS, VAD_RATE, type SileroSpec, type SileroState, type SpeechSegment } from '../examples/vad/silero-vad.mjs';
import { byId, fillStats, statusLine } from './dom.ts';
import './style.css';

type ModelName = keyof typeof SILERO_VAD_MODELS;
const MODEL_URLS: Record<ModelName, string> = { legacy: legacyUrl, v5: v5Url, v6: v6Url };

/** What the page publishes on window.__vad. */
export interface VadPageState {
  /** WebGPU started (or an error says why not) */
  ready: boolean;
  adapter: string;
  /** what was analysed last: 'file NAME' or 'microphone' */
  source: string;
  model: ModelName;
  /** true once a file's analysis (or a microphone session) has finished */
  done: boolean;
  /** frames analysed, their speech probabilities */
  probs: number[];
  segments: SpeechSegment[];
  /** time in the model, ms, and that over the audio's duration */
  ms: number;
  rtf: number;
  /** times the timeline canvas was drawn */
  draws: number;
  /** the microphone is listening */
  listening: boolean;
  errors: string[];
}

declare global {
  interface Window {
    __vad: VadPageState;
  }
}

const state: VadPageState = (window.__vad = { ready: false, adapter: '', source: '', model: 'v5', done: false, probs: [], segments: [], ms: 0, rtf: 0, draws: 0, listening: false, errors: [] });

const el = {
  model: byId<HTMLSelectElement>('vad-model'),
  file: byId<HTMLInputElement>('vad-file'),
  mic: byId<HTMLButtonElement>('vad-mic'),
  status: byId<HTMLParagraphElement>('vad-status'),
  canvas: byId<HTMLCanvasElement>('vad-timeline'),
  stats: byId<HTMLDListElement>('vad-stats'),
  segments: byId<HTMLOListElement>('vad-segments'),
};

const status = statusLine(el.status, state.errors);

const models = new Map<ModelName, Promise<OnnxModel>>();
/** The model file, fetched and parsed once per page. */
function modelOf(name: ModelName): Promise<OnnxModel> {
  let m = models.get(name);
  if (!m) {
    m = fetch(MODEL_URLS[name])
      .then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(`cannot fetch ${SILERO_VAD_MODELS[name].file}: HTTP ${r.status}`))))
      .then((b) => OnnxModel.load(new Uint8Array(b), SILERO_VAD_MODELS[name].file));
    m.catch(() => models.delete(name));
    models.set(name, m);
  }
  return m;
}

/** What the timeline shows: the 16 kHz audio analysed so far, each frame's probability, the segments. */
interface Timeline {
  spec: SileroSpec;
  audio: Float32Array;
  /** samples of `audio` in use (the microphone grows it) */
  length: number;
  probs: number[];
  segments: SpeechSegment[];
  /** the seconds the axis spans (at least the audio's) */
  seconds: number;
}

function draw(t: Timeline): void {
  const c = el.canvas;
  const g = c.getContext('2d')!;
  const W = c.width;
  const H = c.height;
  const axis = 18;
  const h = H - axis;
  g.clearRect(0, 0, W, H);
  const px = (s: number) => (s / t.seconds) * W;
  // segments
  g.fillStyle = 'rgba(40, 170, 80, 0.22)';
  for (const s of t.segments) g.fillRect(px(s.startMs / 1000), 0, Math.max(1, px((s.endMs - s.startMs) / 1000)), h);
  // waveform: min and max of each pixel column
  g.fillStyle = '#9a9a9a';
  const perPx = (t.seconds * VAD_RATE) / W;
  for (let x = 0; x < W; x++) {
    const a = Math.floor(x * perPx);
    const b = Math.min(t.length, Math.floor((x + 1) * perPx));
    if (a >= b) break;
    let lo = 0;
    let hi = 0;
    for (let i = a; i < b; i++) {
      lo = Math.min(lo, t.audio[i]);
      hi = Math.max(hi, t.audio[i]);
    }
    g.fillRect(x, h / 2 - hi * (h / 2), 1, Math.max(1, (hi - lo) * (h / 2)));
  }
  // thresholds
  g.setLineDash([4, 4]);
  g.strokeStyle = '#c44';
  for (const p of [VAD_DEFAULTS.positiveSpeechThreshold, VAD_DEFAULTS.negativeSpeechThreshold]) {
    g.beginPath();
    g.moveTo(0, h - p * h);
    g.lineTo(W, h - p * h);
    g.stroke();
  }
  g.setLineDash([]);
  // probabilities, one step per frame
  const frameS = t.spec.frameSamples / VAD_RATE;
  g.strokeStyle = '#2463c7';
  g.lineWidth = 1.5;
  g.beginPath();
  t.probs.forEach((p, f) => {
    const y = h - p * h;
    if (f === 0) g.moveTo(0, y);
    else g.lineTo(px(f * frameS), y);
    g.lineTo(px((f + 1) * frameS), y);
  });
  g.stroke();
  g.lineWidth = 1;
  // time axis
  g.fillStyle = '#333';
  g.font = '11px sans-serif';
  const step = Math.max(1, Math.ceil(t.seconds / 20));
  for (let s = 0; s <= t.seconds; s += step) g.fillText(`${s} s`, Math.min(W - 24, px(s) + 2), H - 4);
  state.draws++;
}

function showResult(t: Timeline, ms: number, adapter: string): void {
  const audioS = t.length / VAD_RATE;
  state.probs = t.probs.slice();
  state.segments = t.segments.slice();
  state.ms = ms;
  state.rtf = ms / 1000 / audioS;
  const rows: [string, string][] = [
    ['audio', `${audioS.toFixed(2)} s at 16 kHz, ${t.probs.length} frames of ${t.spec.frameSamples} samples`],
    ['model', `${t.spec.file} on ${adapter}`],
    ['time taken', `${(ms / 1000).toFixed(2)} s (${(ms / Math.max(1, t.probs.length)).toFixed(1)} ms a frame), real-time factor ${state.rtf.toFixed(3)}`],
    ['speech', t.segments.length ? `${t.segments.length} segment(s), ${(t.segments.reduce((a, s) => a + s.endMs - s.startMs, 0) / 1000).toFixed(2)} s` : 'none found'],
  ];
  fillStats(el.stats, rows);
  el.segments.replaceChildren(...t.segments.map((s) => {
    const li = document.createElement('li');
    li.textContent = `${(s.startMs / 1000).toFixed(3)} – ${(s.endMs / 1000).toFixed(3)} s`;
    return li;
  }));
}

/** A whole file: read, brought to 16 kHz, run frame by frame (the timeline drawn as it goes), segmented. */
async function analyseFile(engine: Engine, file: File): Promise<void> {
  const name = el.model.value as ModelName;
  const spec = SILERO_VAD_MODELS[name];
  Object.assign(state, { source: `file ${file.name}`, model: name, done: false });
  status(`Reading ${file.name}…`);
  const wav = readWav(new Uint8Array(await file.arrayBuffer()), file.name);
  const audio = toFrames16k(wav.samples, wav.rate, spec.frameSamples);
  const model = await modelOf(name);
  const t: Timeline = { spec, audio, length: audio.length, probs: [], segments: [], seconds: Math.max(1, audio.length / VAD_RATE) };
  const seg = new SpeechSegmenter(spec.frameSamples);
  let runState: SileroState = sileroInitialState(spec);
  let ms = 0;
  // in slices of about a second, so the page draws while it works
  const slice = spec.frameSamples * Math.ceil(VAD_RATE / spec.frameSamples);
  for (let at = 0; at < audio.length; at += slice) {
    const t0 = performance.now();
    const r = await sileroRun(engine, model, spec, audio.subarray(at, Math.min(audio.length, at + slice)), runState);
    ms += performance.now() - t0;
    runState = r.state;
    for (const p of r.probs) {
      t.probs.push(p);
      seg.push(p);
    }
    t.segments = seg.segments;
    draw(t);
    status(`${file.name}: ${(Math.min(audio.length, at + slice) / VAD_RATE).toFixed(1)} of ${(audio.length / VAD_RATE).toFixed(1)} s…`);
  }
  t.segments = seg.finish();
  draw(t);
  showResult(t, ms, engine.adapterName);
  status(`${file.name}: ${wav.rate} Hz, ${wav.channels} channel(s) — ${t.segments.length} speech segment(s).`);
  state.done = true;
}

/** The microphone, captured at 16 kHz; whole frames run as they arrive, until stopped. */
class Listener {
  private readonly chunks: Float32Array[] = [];
  private stopped = false;
  private constructor(
    private readonly stream: MediaStream,
    private readonly ctx: AudioContext,
    private readonly node: ScriptProcessorNode,
  ) {
    node.onaudioprocess = (e) => this.chunks.push(e.inputBuffer.getChannelData(0).slice());
  }

  static async start(): Promise<Listener> {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, autoGainControl: true, noiseSuppression: true } });
    // The browser resamples the microphone to the context's rate: 16 kHz, what the models take.
    const ctx = new AudioContext({ sampleRate: VAD_RATE });
    const source = ctx.createMediaStreamSource(stream);
    const node = ctx.createScriptProcessor(4096, 1, 1);
    const mute = ctx.createGain();
    mute.gain.value = 0;
    source.connect(node).connect(mute).connect(ctx.destination);
    await ctx.resume();
    return new Listener(stream, ctx, node);
  }

  /** Samples captured since the last call (empty when none), or undefined once stopped and drained. */
  take(): Float32Array | undefined {
    if (this.chunks.length === 0) return this.stopped ? undefined : new Float32Array(0);
    const n = this.chunks.reduce((a, c) => a + c.length, 0);
    const out = new Float32Array(n);
    let at = 0;
    for (const c of this.chunks.splice(0)) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  stop(): void {
    this.stopped = true;
    this.node.onaudioprocess = null;
    this.stream.getTracks().forEach((t) => t.stop());
    void this.ctx.close();
  }
}

let listener: Listener | undefined;

async function listen(engine: Engine): Promise<void> {
  const name = el.model.value as ModelName;
  const spec = SILERO_VAD_MODELS[name];
  Object.assign(state, { source: 'microphone', model: name, done: false });
  status('Asking for the microphone…');
  const model = await modelOf(name);
  const mic = await Listener.start();
  listener = mic;
  state.listening = true;
  el.mic.textContent = 'Stop listening';
  status('Listening: speak. The timeline grows as the frames are analysed.');
  let audio = new Float32Array(VAD_RATE * 30);
  let length = 0;
  let analysed = 0;
  const t: Timeline = { spec, audio, length: 0, probs: [], segments: [], seconds: 10 };
  const seg = new SpeechSegmenter(spec.frameSamples);
  let runState: SileroState = sileroInitialState(spec);
  let ms = 0;
  for (;;) {
    const got = mic.take();
    if (got === undefined) break;
    if (length + got.length > audio.length) {
      const grown = new Float32Array(Math.max(2 * audio.length, length + got.length));
      grown.set(audio.subarray(0, length));
      audio = grown;
    }
    audio.set(got, length);
    length += got.length;
    const whole = analysed + Math.floor((length - analysed) / spec.frameSamples) * spec.frameSamples;
    if (whole === analysed) {
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    const t0 = performance.now();
    const r = await sileroRun(engine, model, spec, audio.subarray(analysed, whole), runState);
    ms += performance.now() - t0;
    runState = r.state;
    analysed = whole;
    for (const p of r.probs) {
      t.probs.push(p);
      seg.push(p);
    }
    Object.assign(t, { audio, length: analysed, segments: seg.segments, seconds: Math.max(10, Math.ceil(analysed / VAD_RATE / 10) * 10) });
    draw(t);
    state.probs = t.probs.slice();
  }
  t.segments = seg.finish();
  draw(t);
  showResult(t, ms, engine.adapterName);
  status(`Microphone: ${(analysed / VAD_RATE).toFixed(1)} s — ${t.segments.length} speech segment(s).`);
  state.done = true;
}

async function main(): Promise<void> {
  if (!navigator.gpu) {
    status('This browser has no WebGPU (navigator.gpu); open the page in Chrome or Edge 113+, Safari 26+ or Firefox 141+ on Windows, over https or localhost.', true);
    state.ready = true;
    return;
  }
  const engine = await createEngine();
  state.adapter = engine.adapterName;
  status(`WebGPU on ${engine.adapterName}. Open a WAV file, or listen to the microphone.`);
  let busy = false;
  const run = (what: string, job: () => Promise<void>) => {
    if (busy) return;
    busy = true;
    el.file.disabled = el.model.disabled = true;
    void job()
      .catch((e: unknown) => status(`${what}: ${(e as Error).message}`, true))
      .finally(() => {
        busy = false;
        state.listening = false;
        listener = undefined;
        el.file.disabled = el.model.disabled = false;
        el.mic.textContent = 'Listen to the microphone';
      });
  };
  el.file.addEventListener('change', () => {
    const f = el.file.files?.[0];
    if (f) run(`Cannot analyse ${f.name}`, () => analyseFile(engine, f));
  });
  el.mic.disabled = !navigator.mediaDevices?.getUserMedia;
  if (el.mic.disabled) el.mic.title = 'this page cannot use a microphone here (it needs https or localhost)';
  el.mic.addEventListener('click', () => {
    if (listener) listener.stop();
    else run('The microphone', () => listen(engine));
  });
  state.ready = true;
}

void main().catch((e: unknown) => {
  status(`Something went wrong: ${(e as Error).message}`, true);
  state.ready = true;
});
