// onnxruntime-node as the reference of the ONNX executor: feeds and outputs converted both ways, and
// one graph run by both with every output compared (shape and type exactly, integers exactly, floats
// within `tol` of the largest |onnxruntime output|). The first mismatch is reported with both values.
import * as ort from 'onnxruntime-node';
import { expect } from 'vitest';
import type { Engine } from '../../src/index.js';
import { OnnxModel } from '../../src/interop/onnx/model.js';
import { makeValue, type OnnxType, type OnnxValue } from '../../src/interop/onnx/value.js';

const ORT_TYPE: Record<string, OnnxType> = { float32: 'float32', float64: 'float64', int64: 'int64', int32: 'int32', bool: 'bool', uint8: 'uint8', int8: 'int8' };

export function toOrt(v: OnnxValue): ort.Tensor {
  switch (v.type) {
    case 'float32': return new ort.Tensor('float32', Float32Array.from(v.data), v.shape);
    case 'float64': return new ort.Tensor('float64', Float64Array.from(v.data), v.shape);
    case 'int64': return new ort.Tensor('int64', BigInt64Array.from(v.data, (x) => BigInt(x)), v.shape);
    case 'int32': return new ort.Tensor('int32', Int32Array.from(v.data), v.shape);
    case 'bool': return new ort.Tensor('bool', Uint8Array.from(v.data), v.shape);
    default: throw new Error(`no ort type for ${v.type}`);
  }
}

export function fromOrt(t: ort.Tensor): OnnxValue {
  const type = ORT_TYPE[t.type];
  if (!type) throw new Error(`ort type ${t.type}`);
  const src = t.data as ArrayLike<number | bigint | boolean>;
  return makeValue(type, [...t.dims], Array.from({ length: src.length }, (_, i) => Number(src[i])));
}

/** Runs both; returns the worst relative error over all outputs (throws on shape/type mismatch or an error above `tol`). */
export async function compareWithOrt(engine: Engine, bytes: Uint8Array, feeds: Record<string, OnnxValue>, label: string, tol = 1e-5): Promise<number> {
  const session = await ort.InferenceSession.create(bytes);
  const want = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toOrt(v)])));
  const model = await OnnxModel.load(bytes, label);
  try {
    const got = await model.run(engine, feeds);
    let worst = 0;
    for (const [name, t] of Object.entries(want)) {
      const w = fromOrt(t);
      const g = got[name];
      expect(g, `${label}: output ${name}`).toBeDefined();
      expect(g.shape, `${label}: shape of ${name}`).toEqual(w.shape);
      expect(g.type, `${label}: type of ${name}`).toBe(w.type);
      if (w.type !== 'float32' && w.type !== 'float64') {
        expect(Array.from(g.data), `${label}: ${name}`).toEqual(Array.from(w.data));
        continue;
      }
      let scale = 0;
      let diff = 0;
      let at = -1;
      for (let i = 0; i < w.data.length; i++) {
        scale = Math.max(scale, Math.abs(w.data[i]));
        const d = Math.abs(g.data[i] - w.data[i]);
        if (!(d <= diff)) {
          diff = d;
          at = i;
        }
      }
      const err = diff / (scale || 1);
      if (!(err <= tol)) throw new Error(`${label}: output ${name} differs by ${err.toExponential(2)} of max at index ${at}: webrnn ${g.data[at]}, onnxruntime ${w.data[at]}`);
      worst = Math.max(worst, err);
    }
    return worst;
  } finally {
    model.dispose();
    await session.release();
  }
}

