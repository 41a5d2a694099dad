// The VAD rows of one host process (Node worker or the Chromium page): the three silero VAD files that
// @ricky0123/vad-web ships, fed 16 kHz audio as vad-web feeds them (frames of 1536 samples for legacy,
// 512 for v5/v6; `sr` int64 [1]; the state outputs carried into the next call). Per model:
//   chunk                 per-chunk latency: consecutive chunks from the start of the recording, state
//                         carried, timed one call at a time with the row cap machinery (bench/lib/timing.mjs:
//                         a first call that compiles, a warm call, then up to `chunks` timed calls), median
//   recording-chunked     the ten-minute recording chunk by chunk from a zero state: wall time over the
//                         whole recording, or over the prefix that fits the recording cap (the row says
//                         how many chunks it measured; nothing is extrapolated)
//   recording-one-pass    webrnn only: the whole recording in one OnnxModel.runStream call (a warm call;
//                         the first, which compiles, is recorded as first_ms)
// The guard: every speech probability a row produced agrees with webrnn's for the same chunks (same
// audio, same zero start) within VAD_TOLERANCE absolute — chunk rows with webrnn's chunk row, recording
// rows with webrnn's one-pass probabilities (or its chunk-by-chunk prefix when one-pass did not run);
// webrnn's one-pass row is checked against its own chunk-by-chunk prefix.
// Host-agnostic: the Node worker and the page pass in engine factories (webrnnVadCase, ortVadCase).
import { timeCalls } from './timing.mjs';

export const VAD_RATE = 16000;
/** Issue 18's tolerance: speech probabilities within 1e-5 absolute of the reference runtime's. */
export const VAD_TOLERANCE = 1e-5;
export const VAD_TESTS = /** @type {const} */ (['chunk', 'recording-chunked', 'recording-one-pass']);

/** The files vad-web ships: frame size (samples per call) and the state it carries (input ← output). */
export const VAD_MODELS = [
  { file: 'silero_vad_legacy.onnx', frame: 1536, carry: [['h', 'hn'], ['c', 'cn']], stateShape: [2, 1, 64] },
  { file: 'silero_vad_v5.onnx', frame: 512, carry: [['state', 'stateN']], stateShape: [2, 1, 128] },
  { file: 'silero_vad_v6.onnx', frame: 512, carry: [['state', 'stateN']], stateShape: [2, 1, 128] },
];
/** @typedef {typeof VAD_MODELS[number]} VadSpec */

/** The key of a VAD row (one per host, engine, model file, test). */
export const vadRowKey = (/** @type {Record<string, any>} row with host, engine, model, test */ r) => `${r.host}|vad|${r.engine}|${r.model}|${r.test}`;
export function parseVadKey(/** @type {string} */ k) {
  const [host, , engine, model, test] = k.split('|');
  return { kind: 'vad', host, engine, model, test };
}

/** The rows a host plans for its engines (engines without one-pass get no one-pass row). */
export function vadExpected(/** @type {string} */ host, /** @type {string[]} */ engines, /** @type {string[]} */ models = VAD_MODELS.map((m) => m.file)) {
  const out = [];
  for (const model of models) for (const engine of engines) for (const test of VAD_TESTS) {
    if (test === 'recording-one-pass' && engine !== 'webrnn') continue;
    out.push({ key: vadRowKey({ host, engine, model, test }), host, engine, model, test });
  }
  return out;
}

/**
 * What an engine offers for one model.
 * @typedef {{
 *   chunk: (input: Float32Array) => Promise<number>,
 *   reset: () => void,
 *   stream?: (audio: Float32Array, chunks: number) => Promise<Float32Array>,
 *   info?: () => Record<string, unknown>,
 *   dispose: () => void,
 * }} VadCase
 *   chunk: one call with the carried state (then carried on), resolving to the speech probability on the CPU;
 *   reset: the state back to zeros; stream: the first `chunks` chunks of `audio` in one pass, from a zero state
 * @typedef {{ adapter: string, rowInfo?: Record<string, unknown>, make: (spec: VadSpec, bytes: Uint8Array) => Promise<VadCase> }} VadFactory
 */

/**
 * webrnn's OnnxModel, fed as vad-web feeds onnxruntime.
 * @param {any} I the 'webrnn/interop' namespace (dist/src/interop/index.js) @param {any} engine @param {VadSpec} spec @param {Uint8Array} bytes
 * @returns {Promise<VadCase>}
 */
export async function webrnnVadCase(I, engine, spec, bytes) {
  const model = await I.OnnxModel.load(bytes, spec.file);
  const sr = I.makeValue('int64', [1], [VAD_RATE]);
  const zero = () => Object.fromEntries(spec.carry.map(([i]) => [i, I.makeValue('float32', spec.stateShape)]));
  let state = zero();
  return {
    chunk: async (input) => {
      const out = await model.run(engine, { input: I.makeValue('float32', [1, spec.frame], input), sr, ...state });
      state = Object.fromEntries(spec.carry.map(([i, o]) => [i, out[o]]));
      return out.output.data[0];
    },
    reset: () => { state = zero(); },
    // One pass (OnnxModel.runStream): its default window, the state carried from window to window.
    stream: async (audio, chunks) => {
      const feeds = Array.from({ length: chunks }, (_, k) => ({ input: I.makeValue('float32', [1, spec.frame], audio.subarray(k * spec.frame, (k + 1) * spec.frame)), sr }));
      const { outputs } = await model.runStream(engine, feeds, zero());
      return Float32Array.from(outputs, (o) => o.output.data[0]);
    },
    dispose: () => model.dispose(),
  };
}

/**
 * onnxruntime (node or web: the same InferenceSession/Tensor API), fed as vad-web feeds it.
 * @param {any} ort @param {VadSpec} spec @param {Uint8Array} bytes @param {Record<string, unknown>} sessionOptions
 * @returns {Promise<VadCase>}
 */
export async function ortVadCase(ort, spec, bytes, sessionOptions) {
  const session = await ort.InferenceSession.create(bytes, sessionOptions);
  const size = spec.stateShape.reduce((a, b) => a * b, 1);
  const sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(VAD_RATE)]), [1]);
  const zero = () => Object.fromEntries(spec.carry.map(([i]) => [i, new ort.Tensor('float32', new Float32Array(size), spec.stateShape)]));
  let state = zero();
  return {
    chunk: async (input) => {
      const out = await session.run({ input: new ort.Tensor('float32', input, [1, spec.frame]), sr, ...state });
      state = Object.fromEntries(spec.carry.map(([i, o]) => [i, out[o]]));
      return out.output.data[0];
    },
    reset: () => { state = zero(); },
    dispose: () => void session.release(),
  };
}

/**
 * @param {{
 *   models: { spec: VadSpec, bytes: Uint8Array }[],
 *   audio: Float32Array,
 *   audioSource: string,
 *   engines: Record<string, VadFactory>,
 *   host: 'node' | 'chromium',
 *   chunks: number,
 *   capMs: number,
 *   recordingCapMs: number,
 *   omit?: string[],
 *   start?: (key: string) => void,
 *   emit: (row: Record<string, unknown>) => void,
 *   log?: (line: string) => void,
 * }} o
 *   chunks: timed calls per chunk row; capMs: the chunk rows' cap; recordingCapMs: the recording rows' cap
 */
export async function runVadSuite(o) {
  const log = o.log ?? (() => {});
  for (const { spec, bytes } of o.models) {
    const total = Math.floor(o.audio.length / spec.frame);
    const chunkAt = (/** @type {number} */ k) => o.audio.subarray((k % total) * spec.frame, ((k % total) + 1) * spec.frame);
    /** webrnn's probabilities, the guard's reference: chunk row, chunk-by-chunk prefix, one pass */
    /** @type {{ chunk?: Float32Array, prefix?: Float32Array, onePass?: Float32Array }} */
    const ref = {};
    for (const [engine, f] of Object.entries(o.engines)) {
      const base = (/** @type {string} */ test) => ({
        kind: 'vad', model: spec.file, frame: spec.frame, test, engine, host: o.host, adapter: f.adapter,
        chunk_ms_audio: (1000 * spec.frame) / VAD_RATE, audio: o.audioSource, ...f.rowInfo,
      });
      const tests = VAD_TESTS.filter((t) => (t !== 'recording-one-pass' || engine === 'webrnn') && !o.omit?.includes(vadRowKey(base(t))));
      if (!tests.length) continue;
      /** @type {VadCase | undefined} */
      let vc;
      try {
        o.start?.(vadRowKey(base(tests[0])));
        vc = await f.make(spec, bytes);
        for (const test of tests) {
          o.start?.(vadRowKey(base(test)));
          log(`${o.host} ${engine} ${spec.file} ${test}`);
          const row = await runVadRow(o, /** @type {VadCase} */ (vc), test, base(test), total, chunkAt, ref, engine === 'webrnn');
          o.emit({ ...row, ...vc.info?.() });
        }
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        log(`${engine} ${spec.file} failed: ${msg}`);
        for (const test of tests) o.emit({ ...base(test), ms: null, skipped: `failed: ${msg.split('\n')[0].slice(0, 300)}` });
      } finally {
        try { vc?.dispose(); } catch { /* a failed engine may not dispose cleanly */ }
      }
    }
  }
}

/**
 * @param {any} o @param {VadCase} vc @param {string} test @param {Record<string, any>} base
 * @param {number} total @param {(k: number) => Float32Array} chunkAt @param {any} ref @param {boolean} isRef
 */
async function runVadRow(o, vc, test, base, total, chunkAt, ref, isRef) {
  const audioS = (/** @type {number} */ n) => (n * base.frame) / VAD_RATE;
  if (test === 'chunk') {
    vc.reset();
    /** @type {number[]} */
    const probs = [];
    let k = 0;
    const timing = await timeCalls(async () => { probs.push(await vc.chunk(chunkAt(k++))); }, { reps: o.chunks, capMs: o.capMs });
    const p = Float32Array.from(probs);
    if (isRef) ref.chunk = p;
    const check = isRef ? { against: 'self (reference)' } : compare(p, ref.chunk, 'webrnn chunk row');
    if ('skipped' in timing) return { ...base, ms: null, first_ms: round(timing.firstMs), skipped: timing.skipped, check };
    return {
      ...base, ms: round(timing.ms), ms_per_chunk: round(timing.ms), realtime_x: sig(base.chunk_ms_audio / timing.ms), reps: timing.reps,
      chunks: probs.length, first_ms: round(timing.firstMs), samples_ms: timing.samples.map(round), check,
    };
  }
  if (test === 'recording-chunked') {
    // Chunk by chunk from a zero state until the recording ends or the next chunk would end past the cap.
    vc.reset();
    const probs = new Float32Array(total);
    let n = 0;
    let wall = 0;
    let last = 0;
    while (n < total && (n === 0 || wall + last <= o.recordingCapMs)) {
      const t = performance.now();
      probs[n] = await vc.chunk(chunkAt(n));
      last = performance.now() - t;
      wall += last;
      n++;
    }
    const p = probs.subarray(0, n);
    if (isRef) ref.prefix = p;
    const check = isRef ? { against: 'self (reference)' } : compare(p, ref.onePass ?? ref.prefix, ref.onePass ? 'webrnn one pass' : 'webrnn chunk-by-chunk prefix');
    return {
      ...base, ms: round(wall), wall_ms: round(wall), chunks: n, total_chunks: total, audio_s: sig(audioS(n)), recording_s: sig(audioS(total)),
      ms_per_chunk: round(wall / n), realtime_x: sig((1000 * audioS(n)) / wall),
      ...(n < total ? { prefix: `measured the first ${n} of ${total} chunks (${audioS(n).toFixed(1)} of ${audioS(total).toFixed(0)} s of audio): the next chunk would have ended past the recording cap of ${(o.recordingCapMs / 1000).toFixed(0)} s; the rate is the prefix's, not extrapolated to the whole recording` } : {}),
      check,
    };
  }
  // recording-one-pass (webrnn)
  if (!vc.stream) return { ...base, ms: null, skipped: 'this engine has no one-pass mode' };
  const t0 = performance.now();
  const first = await vc.stream(o.audio, total);
  const firstMs = performance.now() - t0;
  ref.onePass = first;
  const check = compare(first.subarray(0, ref.prefix?.length ?? 0), ref.prefix, 'webrnn chunk-by-chunk (its measured prefix)');
  let ms = firstMs;
  let calls = 1;
  // A warm call is the measurement, unless the first one (compilation included) already took over the cap.
  if (firstMs <= o.recordingCapMs) {
    const t1 = performance.now();
    await vc.stream(o.audio, total);
    ms = performance.now() - t1;
    calls = 2;
  }
  return {
    ...base, ms: round(ms), wall_ms: round(ms), first_ms: round(firstMs), calls, chunks: total, total_chunks: total, audio_s: sig(audioS(total)), recording_s: sig(audioS(total)),
    ms_per_chunk: round(ms / total), realtime_x: sig((1000 * audioS(total)) / ms),
    ...(calls === 1 ? { note: 'the first call (compilation included) took over the recording cap, so it is the measurement' } : {}),
    check,
  };
}

/** max |a − b| over the chunks both have, within VAD_TOLERANCE. */
function compare(/** @type {Float32Array} */ a, /** @type {Float32Array | undefined} */ b, /** @type {string} */ against) {
  if (!b) return { against, ok: null, note: 'no webrnn probabilities for this model (its row did not run)' };
  const n = Math.min(a.length, b.length);
  let diff = 0;
  let at = -1;
  for (let i = 0; i < n; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= diff)) { diff = d; at = i; }
  }
  const ok = n > 0 && diff <= VAD_TOLERANCE;
  return { against, chunks: n, max_abs: sig(diff), ok, ...(ok ? {} : { chunk: at, value: a[at], webrnn: b[at] }) };
}

const round = (/** @type {number} */ x) => +x.toFixed(x >= 100 ? 1 : x >= 1 ? 2 : 4);
const sig = (/** @type {number} */ x) => (Number.isFinite(x) ? +x.toPrecision(3) : x);
