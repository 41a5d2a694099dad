// onnxruntime-node running a silero VAD model chunk by chunk, as vad-web does: the independent
// reference of test/interop-silero-vad.test.ts and interop-silero-stream.test.ts.
import * as ort from 'onnxruntime-node';
import { makeValue, type OnnxValue } from '../../src/interop/onnx/value.js';
import { SILERO_RATE as RATE, sileroCarry, type SileroReference, type SileroSpec } from '../hosts/silero-stream.js';
import { fromOrt, toOrt } from './onnx-vs-ort.js';

/** onnxruntime-node's stream: each frame run with the state of its previous frame, probabilities and states kept. */
export async function ortStream(bytes: Uint8Array, spec: SileroSpec, audio: Float32Array): Promise<SileroReference> {
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
