// conv: cases — the ONNX Conv kernel (shaders/conv2d_fwd.wgsl, through src/interop/onnx/conv-gpu.ts)
// against the float64 CPU Conv of src/interop/onnx/ops.ts as the reference: 1-D and 2-D, groups, strides,
// dilations, explicit pads and every auto_pad, with and without bias, and silero VAD's STFT shape
// (one channel, 258 filters of 256 taps, stride 128). Beyond the shared forward tolerance, each must be
// within 2e-6 of max |reference| and bit for bit the CPU float32 Conv (all but 0.1 % of elements, for
// the CPU's float64-then-float32 double rounding), which is what makes silero match onnxruntime.
import type { Engine } from '../../src/gpu/engine.js';
import { ConvNodeRunner } from '../../src/interop/onnx/conv-gpu.js';
import type { OnnxAttr, OnnxNode } from '../../src/interop/onnx/graph.js';
import { CPU_OPS } from '../../src/interop/onnx/ops.js';
import { makeValue, type OnnxValue } from '../../src/interop/onnx/value.js';
import { Rng } from '../../src/random.js';
import { relErr, runCase, type CaseResult } from './check.js';

export interface ConvCase {
  kind: 'conv';
  name: string;
  x: number[];
  w: number[];
  bias: boolean;
  attrs: Record<string, number | number[] | string>;
  seed: number;
}

/** Every conv case, in a fixed order. */
export function convCases(): ConvCase[] {
  let seed = 900;
  const c = (x: number[], w: number[], bias: boolean, attrs: ConvCase['attrs']): ConvCase => ({
    kind: 'conv', x, w, bias, attrs, seed: seed++,
    name: `conv: X [${x}] W [${w}]${bias ? ' bias' : ''} ${Object.entries(attrs).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(' ')}`.trim(),
  });
  return [
    c([1, 1, 1664], [258, 1, 256], false, { strides: [128] }),
    c([2, 4, 37], [6, 2, 5], true, { group: 2, strides: [2], dilations: [3], pads: [2, 1] }),
    c([1, 3, 20], [4, 3, 4], true, { auto_pad: 'SAME_UPPER', strides: [3] }),
    c([1, 6, 9, 11], [6, 1, 3, 3], true, { group: 6, auto_pad: 'SAME_LOWER', dilations: [2, 1] }),
    c([2, 4, 12, 7], [8, 2, 2, 3], false, { group: 2, strides: [2, 1], pads: [1, 0, 0, 2] }),
    c([1, 2, 5, 5], [3, 2, 5, 5], true, { auto_pad: 'VALID' }),
  ];
}

export function runConvCase(engine: Engine, c: ConvCase): Promise<CaseResult> {
  return runCase(engine, c.name, async (t) => {
    const rng = new Rng(c.seed);
    const attr = (v: number | number[] | string): OnnxAttr => (typeof v === 'string' ? { kind: 'string', value: v } : typeof v === 'number' ? { kind: 'int', value: v } : { kind: 'ints', value: v });
    const node: OnnxNode = { opType: 'Conv', domain: '', name: 'conv', inputs: [], outputs: [], attrs: new Map(Object.entries(c.attrs).map(([k, v]) => [k, attr(v)])) };
    const value = (shape: number[], lo: number, hi: number) => makeValue('float32', shape, rng.uniformArray(shape.reduce((a, b) => a * b, 1), lo, hi));
    const x = value(c.x, -2, 2);
    const w = value(c.w, -1, 1);
    const b = c.bias ? value([c.w[0]], -1, 1) : undefined;
    const as64 = (v: OnnxValue | undefined) => v && makeValue('float64', v.shape, v.data);
    const ref = CPU_OPS.Conv(node, [as64(x), as64(w), as64(b)], 17)[0];
    const runner = t.own(new ConvNodeRunner(node));
    const [got] = await runner.run(engine, [x, w, b], 1 << 27);
    t.expect(got.shape.join() === ref.shape.join(), `output shape [${got.shape}], want [${ref.shape}]`);
    t.check('y', got.data, ref.data, 'forward');
    const { err } = relErr(got.data, ref.data);
    t.expect(err <= 2e-6, `y: ${err.toExponential(2)} of max |reference|, more than 2e-6`);
    const cpu = CPU_OPS.Conv(node, [x, w, b], 17)[0];
    const differ = cpu.data.filter((v, i) => v !== got.data[i]).length;
    t.expect(differ <= Math.floor(cpu.data.length / 1000), `${differ} of ${cpu.data.length} elements differ from the CPU float32 Conv`);
    t.note(`${differ} elements differ from the CPU float32 Conv`);
  });
}
