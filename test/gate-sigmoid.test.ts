// The gate sigmoid of every recurrent forward kernel (shaders/shared/onnx_activations.wgsl, `fn
// sigmoid_accurate`) against σ computed in float64 and rounded once to float32. A forget gate just
// below 1 multiplies a cell that may integrate for thousands of steps, so a bias of an ulp there
// becomes a drift: silero VAD v5's cell reaches 5,786 over ten minutes (18,750 steps), and the former
// 1/(1 + e^−x) — which rounds 1 + e^−x first — left its state 9.4e-6 of that magnitude from float64,
// 1.8e-5 from onnxruntime's; this form leaves 5.2e-6 and 3.8e-6 (README, "Against float64").
//
// One LSTM step isolates σ: W = R = 0, the input gate's bias −100 (i = 0 exactly after the multiply by
// g = tanh(0) = 0), the cell starting at 1, so the new cell state is σ(forget bias) exactly as the
// kernel computed it. Bounds: every value within two ulps (the smallest values: e^−|x| is good to about
// an ulp); for x ≥ 2 (the gate near 1) at most 1% of values off the correctly rounded one and a signed
// mean error of at most 0.02 ulp. Measured: 4 of 768 off, +0.003 ulp; the former form: 356 of 768 off,
// +0.055 ulp.
import { describe, expect, test } from 'vitest';
import { OnnxModel } from '../src/interop/onnx/model.js';
import { makeValue } from '../src/interop/onnx/value.js';
import { encodeOnnx } from '../src/interop/onnx/write.js';
import { engine, useEngine } from './helpers/gpu-test.js';
import { Rng } from './reference/random.js';

useEngine();

const H = 1024;

/** One float32 spacing at |v| (v in (0, 1]: the spacing just below v when v is a power of two). */
function ulp(v: number): number {
  const e = Math.floor(Math.log2(Math.abs(v)));
  const below = Math.abs(v) === 2 ** e ? e - 1 : e;
  return 2 ** (below - 23);
}

/** σ at each of `xs` as the LSTM kernel computes it (float32 forget-gate biases). */
async function kernelSigmoid(xs: Float32Array): Promise<Float32Array> {
  const bias = new Float32Array(8 * H);
  bias.fill(-100, 0, H); // input gate: 0
  bias.set(xs, 2 * H); // forget gate (ONNX order i, o, f, c)
  const bytes = encodeOnnx({
    opset: 17,
    inputs: [{ name: 'x', type: 'float32', shape: [1, 1, 1] }],
    outputs: [{ name: 'cn', type: 'float32' }],
    initializers: {
      W: makeValue('float32', [1, 4 * H, 1]),
      R: makeValue('float32', [1, 4 * H, H]),
      B: makeValue('float32', [1, 8 * H], bias),
      c0: makeValue('float32', [1, 1, H], new Float32Array(H).fill(1)),
    },
    nodes: [{ op: 'LSTM', inputs: ['x', 'W', 'R', 'B', '', '', 'c0'], outputs: ['', '', 'cn'], attrs: { hidden_size: H } }],
  });
  const model = await OnnxModel.load(bytes, 'one LSTM step');
  try {
    const out = await model.run(engine, { x: makeValue('float32', [1, 1, 1]) });
    return Float32Array.from(out.cn.data);
  } finally {
    model.dispose();
  }
}

describe('gate sigmoid', () => {
  test('within two ulps everywhere; near 1 correctly rounded and unbiased', async () => {
    const rng = new Rng(7);
    const xs = new Float32Array(H);
    for (let j = 0; j < H; j++) xs[j] = j < H / 4 ? -20 + (j / (H / 4)) * 22 : 2 + rng.uniform() * 16; // [−20, 2) evenly, then [2, 18) at random
    const got = await kernelSigmoid(xs);
    let worst = 0;
    let off = 0;
    let signed = 0;
    let near = 0;
    xs.forEach((x, j) => {
      const want = Math.fround(1 / (1 + Math.exp(-x)));
      const err = (got[j] - want) / ulp(want);
      worst = Math.max(worst, Math.abs(err));
      if (x >= 2) {
        near++;
        signed += err;
        if (err !== 0) off++;
      }
    });
    console.log(`gate σ: worst ${worst.toFixed(2)} ulp; x ≥ 2: ${off} of ${near} off the correctly rounded value, mean signed error ${(signed / near).toFixed(3)} ulp`);
    expect(worst).toBeLessThanOrEqual(2);
    expect(off / near).toBeLessThanOrEqual(0.01);
    expect(Math.abs(signed / near)).toBeLessThanOrEqual(0.02);
  });
});
