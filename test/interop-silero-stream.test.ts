// A whole recording in one pass (OnnxModel.runStream) against onnxruntime-node's chunk-by-chunk loop,
// the independent reference: a ten-minute recording (espeak-ng's sentences repeated at seeded gains
// with seeded silences and noise, test/helpers/silero-audio.ts) through each of the three silero VAD
// files that @ricky0123/vad-web ships. Each chunk's speech probability must be within PROB_TOL absolute
// of onnxruntime's, and the final state within STATE_TOL of its largest magnitude (see both: where the
// issue's 1e-5 is not met, and by how much). webrnn runs the recording in windows of chunks (default
// size: 2²² elements for the largest tensor of a window — 10 windows for legacy, 4 for v5 and v6), the
// state carried between windows, so the windowing is checked too; one pass also equals webrnn's own
// chunk loop bit for bit. Also: the form each file
// streams in (state input → output, constant inputs), and the refusals — a constant input that differs
// between chunks, a state that reaches something other than a recurrent node. Timings are printed (the
// one-pass run is the cost of this file; lavapipe's Conv is most of it).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { OnnxModel } from '../src/interop/onnx/model.js';
import { makeValue, type OnnxValue } from '../src/interop/onnx/value.js';
import { encodeOnnx } from '../src/interop/onnx/write.js';
import { WebRnnError } from '../src/errors.js';
import { engine, useEngine } from './helpers/gpu-test.js';
import { recording } from './helpers/silero-audio.js';
import { ortStream } from './helpers/silero-ort.js';
import { SILERO_MODELS, SILERO_RATE as RATE, sileroCarry, SILERO_STATE_TOL, type SileroReference, type SileroSpec } from './hosts/silero-stream.js';

useEngine();

/** The WebRnnError `fn` throws (fails the test when it throws nothing or something else). */
async function thrown(fn: () => Promise<unknown>): Promise<WebRnnError> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WebRnnError);
    return e as WebRnnError;
  }
  throw new Error('expected a WebRnnError, nothing was thrown');
}

const DIST = join(dirname(createRequire(import.meta.url).resolve('@ricky0123/vad-web/package.json')), 'dist');
const bytesOf = (spec: SileroSpec) => new Uint8Array(readFileSync(join(DIST, spec.file)));
const SECONDS = Number(process.env.WEBRNN_STREAM_SECONDS ?? 600);
/**
 * Seconds of the recording each file runs: v5 (vad-web's default model in this repo's example, and the
 * largest state difference) the whole ten minutes; legacy and v6 two minutes unless WEBRNN_STREAM_ALL=1
 * — ten minutes of all three took 3.5 of a 2-core CI machine's minutes. Measured over ten minutes
 * (WEBRNN_STREAM_ALL=1): the figures in the header comments below.
 */
const secondsOf = (spec: SileroSpec) => (spec.file === 'silero_vad_v5.onnx' || process.env.WEBRNN_STREAM_ALL ? SECONDS : Math.min(SECONDS, 120));
/**
 * The issue's 1e-5 for probabilities and, of its largest magnitude, for the final state. Measured over
 * ten minutes (WEBRNN_STREAM_ALL=1; worst |Δprob|, then state): legacy 7.5e-7, 9.0e-6; v5 1.8e-6,
 * 4.8e-6; v6 8.7e-6 (frame 1208, 38.7 s in; the per-minute worst stays flat: no drift), 2.1e-7. In
 * the default run legacy and v6 cover two minutes. One pass is not the cause of any of it: it equals
 * webrnn's own chunk loop bit for bit (below). Two changes brought these under 1e-5 (before: v6's frame
 * 1.02e-5, v5's state 1.97e-5, legacy's 1.18e-5), both as accurate as what they replaced:
 *  - the gate σ rounded once near 1 (shaders/shared/onnx_activations.wgsl): v5's cell integrates to
 *    5,786 over the 18,750 steps, and a forget gate an ulp off on average drifted it; v5's LSTM alone
 *    (fed the same encoder outputs) is now 5.2e-6 from float64 where onnxruntime's is 9.0e-6;
 *  - Conv adding its bias after the sum, not before (shaders/conv2d_fwd.wgsl), as onnxruntime's GEMM
 *    epilogue does: silero's 1-D GEMM-shaped Convs are now onnxruntime's bit for bit, and at v6's frame
 *    1208 webrnn rounds as onnxruntime does (one step from the float64 state: onnxruntime −7.0e-6,
 *    webrnn +4.5e-7 before, −5.9e-6 with the bias last).
 */
const PROB_TOL = 1e-5;
const STATE_TOL = SILERO_STATE_TOL;

let audio: Float32Array;
const refs = new Map<string, { ref: SileroReference; ms: number }>();
const stats: string[] = [];

beforeAll(async () => {
  const t0 = performance.now();
  audio = recording(['The quick brown fox jumps over the lazy dog.', 'Voice activity detection runs chunk by chunk.', 'Seven silent swans swam south.', 'Is anybody there?'], SECONDS);
  stats.push(`recording: ${SECONDS} s made in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  for (const spec of SILERO_MODELS) {
    const t = performance.now();
    const ref = await ortStream(bytesOf(spec), spec, audio.subarray(0, secondsOf(spec) * RATE));
    refs.set(spec.file, { ref, ms: performance.now() - t });
  }
}, 300_000);

afterAll(() => {
  if (stats.length) console.log(`silero VAD in one pass vs onnxruntime-node chunk by chunk:\n  ${stats.join('\n  ')}`);
});

/** The recording as runStream's chunks (vad-web's frames, `sr` int64 [1]) and a zero initial state. */
function chunksOf(spec: SileroSpec, frames: number): { chunks: Record<string, OnnxValue>[]; state: Record<string, OnnxValue> } {
  const { carry, shape } = sileroCarry(spec);
  const sr = makeValue('int64', [1], [RATE]);
  const chunks = Array.from({ length: frames }, (_, f) => ({ input: { type: 'float32' as const, shape: [1, spec.frame], data: audio.slice(f * spec.frame, (f + 1) * spec.frame) }, sr }));
  return { chunks, state: Object.fromEntries(carry.map(([i]) => [i, makeValue('float32', shape)])) };
}

describe('silero VAD: a long recording (v5 ten minutes) in one pass equals onnxruntime chunk by chunk', () => {
  for (const spec of SILERO_MODELS) {
    test(`${spec.file} (Node)`, async () => {
      const { ref, ms: ortMs } = refs.get(spec.file)!;
      const frames = ref.probs.length;
      expect(frames).toBe(Math.floor((secondsOf(spec) * RATE) / spec.frame));
      // the recording crosses vad-web's thresholds both ways
      expect(Math.max(...ref.probs)).toBeGreaterThan(0.3);
      expect(Math.min(...ref.probs)).toBeLessThan(0.25);
      const model = await OnnxModel.load(bytesOf(spec), spec.file);
      try {
        const { chunks, state } = chunksOf(spec, frames);
        const { carry } = sileroCarry(spec);
        const form = await model.streamForm(chunks[0], state);
        expect(form.state).toEqual(Object.fromEntries(carry));
        expect(form.outputs).toEqual(['output']);
        expect(form.constant).toEqual(['sr']);
        expect(form.recurrent.length).toBe(spec.legacy ? 2 : 1);
        const t = performance.now();
        const got = await model.runStream(engine, chunks, state);
        const ms = performance.now() - t;
        expect(got.outputs.length).toBe(frames);
        let probDiff = 0;
        let first = -1;
        const perMinute = new Array<number>(Math.ceil(secondsOf(spec) / 60)).fill(0);
        got.outputs.forEach((o, f) => {
          const d = Math.abs(o.output.data[0] - ref.probs[f]);
          probDiff = Math.max(probDiff, d);
          const m = Math.floor((f * spec.frame) / RATE / 60);
          perMinute[m] = Math.max(perMinute[m], d);
          if (!(d <= PROB_TOL) && first < 0) first = f;
        });
        stats.push(`${spec.file}: max |Δprob| by minute ${perMinute.map((d) => d.toExponential(1)).join(' ')}`);
        let stateErr = 0;
        let finalFrameErr = 0;
        const size = got.state[carry[0][0]].data.length;
        carry.forEach(([input], k) => {
          const want = ref.states.subarray(((frames - 1) * carry.length + k) * size, ((frames - 1) * carry.length + k + 1) * size);
          let largest = 0;
          for (let f = 0; f < frames; f++) for (let i = 0; i < size; i++) largest = Math.max(largest, Math.abs(ref.states[(f * carry.length + k) * size + i]));
          const diff = Math.max(...Array.from(got.state[input].data, (v, i) => Math.abs(v - want[i])));
          stateErr = Math.max(stateErr, diff / largest);
          finalFrameErr = Math.max(finalFrameErr, diff / Math.max(...Array.from(want, Math.abs)));
          expect(got.state[input].shape).toEqual(sileroCarry(spec).shape);
        });
        const windows = Math.ceil(frames / Math.max(1, Math.floor(2 ** 22 / form.chunkElements)));
        stats.push(`${spec.file}: ${frames} chunks in ${windows} windows, max |Δprob| ${probDiff.toExponential(2)}, final state diff / max over the recording ${stateErr.toExponential(2)} (/ max of the final frame ${finalFrameErr.toExponential(2)}); ` +
          `one pass ${(ms / 1000).toFixed(1)} s (${(ms / frames).toFixed(2)} ms/chunk, ${((secondsOf(spec) * 1000) / ms).toFixed(1)}× real time) vs onnxruntime-node's loop ${(ortMs / frames).toFixed(2)} ms/chunk`);
        expect(first, first >= 0 ? `frame ${first}: ${got.outputs[first].output.data[0]}, onnxruntime ${ref.probs[first]}` : '').toBe(-1);
        expect(stateErr, 'final state: max difference / largest |onnxruntime state| over the recording').toBeLessThanOrEqual(STATE_TOL);
      } finally {
        model.dispose();
      }
    }, 900_000);
  }
});

describe('one pass equals webrnn\'s own chunk loop bit for bit', () => {
  for (const spec of SILERO_MODELS) {
    test(`${spec.file}: 60 chunks in windows of 25`, async () => {
      const model = await OnnxModel.load(bytesOf(spec), spec.file);
      try {
        // from the recording's 20th second: speech and silence
        const { chunks: all, state } = chunksOf(spec, Math.ceil((20 * RATE) / spec.frame) + 60);
        const chunks = all.slice(-60);
        const got = await model.runStream(engine, chunks, state, { windowChunks: 25 });
        const { carry } = sileroCarry(spec);
        let st = state;
        for (let k = 0; k < chunks.length; k++) {
          const o = await model.run(engine, { ...chunks[k], ...st });
          expect(got.outputs[k].output.data[0], `chunk ${k}`).toBe(o.output.data[0]);
          st = Object.fromEntries(carry.map(([i, out]) => [i, o[out]]));
        }
        for (const [i] of carry) expect(Array.from(got.state[i].data)).toEqual(Array.from(st[i].data));
      } finally {
        model.dispose();
      }
    }, 300_000);
  }
});

describe('runStream refuses what it cannot run in one pass', () => {
  const v5 = SILERO_MODELS.find((m) => !m.legacy)!;

  test('a constant input (sr decides the branch) that differs between chunks', async () => {
    const model = await OnnxModel.load(bytesOf(v5), v5.file);
    const { chunks, state } = chunksOf(v5, 3);
    chunks[2] = { ...chunks[2], sr: makeValue('int64', [1], [8000]) };
    const err = await thrown(() => model.runStream(engine, chunks, state));
    expect(err.code).toBe('BAD_CONFIG');
    expect(err.message).toMatch(/input "sr" differs between chunk 0 and chunk 2/);
    model.dispose();
  });

  test('option and argument checks', async () => {
    const model = await OnnxModel.load(bytesOf(v5), v5.file);
    const { chunks, state } = chunksOf(v5, 2);
    expect((await thrown(() => model.runStream(engine, [], state))).code).toBe('BAD_VALUE');
    expect((await thrown(() => model.runStream(engine, chunks, state, { windowChunks: 0 }))).code).toBe('BAD_CONFIG');
    expect((await thrown(() => model.runStream(engine, chunks, state, { maxElements: 100 }))).code).toBe('DEVICE_LIMIT');
    const bad = [chunks[0], { ...chunks[1], input: makeValue('float32', [1, 256]) }];
    expect((await thrown(() => model.runStream(engine, bad, state))).message).toMatch(/input "input" has shape \[1, 256\] in chunk 1/);
    model.dispose();
  });

  // a small LSTM whose state also reaches an output through arithmetic: not a carried state
  const H = 4;
  const lstm = (extra: 'none' | 'leak' | 'zeros') => encodeOnnx({
    opset: 17,
    inputs: [{ name: 'x', type: 'float32' as const, shape: [1, 1, 3] }, { name: 'h', type: 'float32' as const, shape: [1, 1, H] }, { name: 'c', type: 'float32' as const, shape: [1, 1, H] }].filter((i) => extra !== 'zeros' || i.name !== 'h'),
    outputs: [{ name: 'y', type: 'float32' }, { name: 'hn', type: 'float32' }, { name: 'cn', type: 'float32' }],
    initializers: {
      W: makeValue('float32', [1, 4 * H, 3], Array.from({ length: 12 * H }, (_, i) => Math.sin(i) / 2)),
      R: makeValue('float32', [1, 4 * H, H], Array.from({ length: 4 * H * H }, (_, i) => Math.cos(i) / 2)),
      two: makeValue('float32', [], [2]),
    },
    nodes: [
      { op: 'LSTM', inputs: ['x', 'W', 'R', '', '', extra === 'zeros' ? '' : 'h', 'c'], outputs: ['Y', 'Yh', 'Yc'], attrs: { hidden_size: H } },
      { op: extra === 'leak' ? 'Mul' : 'Identity', inputs: extra === 'leak' ? ['Y', 'h'] : ['Y'], outputs: ['y'] },
      { op: 'Identity', inputs: ['Yh'], outputs: ['hn'] },
      { op: 'Identity', inputs: ['Yc'], outputs: ['cn'] },
    ],
  });
  const feeds = (k: number) => ({ x: makeValue('float32', [1, 1, 3], [k, -k / 2, 1]) });
  const zero = () => ({ h: makeValue('float32', [1, 1, H]), c: makeValue('float32', [1, 1, H]) });

  test('a small LSTM streams in one pass as its chunk loop runs', async () => {
    const model = await OnnxModel.load(lstm('none'));
    const chunks = Array.from({ length: 7 }, (_, k) => feeds(k / 3));
    const got = await model.runStream(engine, chunks, zero(), { windowChunks: 3 });
    let st: Record<string, OnnxValue> = zero();
    for (let k = 0; k < chunks.length; k++) {
      const o = await model.run(engine, { ...chunks[k], ...st });
      expect(Array.from(got.outputs[k].y.data)).toEqual(Array.from(o.y.data));
      st = { h: o.hn, c: o.cn };
    }
    expect(Array.from(got.state.h.data)).toEqual(Array.from(st.h.data));
    expect(Array.from(got.state.c.data)).toEqual(Array.from(st.c.data));
    model.dispose();
  });

  test('a state that reaches an output other than through the recurrent node', async () => {
    const model = await OnnxModel.load(lstm('leak'));
    const err = await thrown(() => model.streamForm(feeds(1), zero()));
    expect(err.code).toBe('BAD_CONFIG');
    expect(err.message).toMatch(/graph output "y".*combines a per-chunk value with the state inputs/);
  });

  test('a recurrent node that starts each chunk from zeros', async () => {
    const model = await OnnxModel.load(lstm('zeros'));
    const err = await thrown(() => model.streamForm(feeds(1), { c: zero().c }));
    expect(err.message).toMatch(/has no initial_h: every chunk starts it from zeros/);
  });
});
