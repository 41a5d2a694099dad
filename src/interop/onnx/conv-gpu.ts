/**
 * ONNX Conv on the GPU (shaders/conv2d_fwd.wgsl) for float32 nodes. The executor (model.ts) calls
 * {@link ConvNodeRunner.runHeld}: its X may be a {@link DeviceValue} (another Conv's output, copied on
 * the GPU) and its output stays on the GPU until a CPU operator or a graph output needs it; a Relu that
 * is the only reader of a Conv's output is fused into it (`relu`, set at load) and becomes an
 * {@link aliasRunner}. {@link ConvNodeRunner.run} takes and gives CPU values (the one-pass executor,
 * tests). Per node, the buffers, parameters, bind group and recorded program are built once per input
 * shape and reused; the weights and bias are uploaded again only when their values change (an
 * initializer is the same object every call). float64 nodes, and empty tensors, run on the CPU kernel
 * (ops.ts), which is also the tests' reference.
 */
import type { Engine } from '../../gpu/engine.js';
import { Program } from '../../gpu/program.js';
import { Recorder } from '../../gpu/recorder.js';
import type { OnnxNode } from './graph.js';
import { convGeometry, CPU_OPS, type Inputs } from './ops.js';
import { sizeOf, withElementCap, type OnnxValue } from './value.js';
import * as shaders from '../../gpu/shader-sources.gen.js';

interface Plan {
  key: string;
  rec: Recorder;
  prog: Program;
  x: GPUBuffer;
  w: GPUBuffer;
  b: GPUBuffer | undefined;
  y: GPUBuffer;
  count: number;
  wFrom?: OnnxValue;
  bFrom?: OnnxValue;
}

/**
 * A float32 tensor a GPU operator left on the GPU (in its runner's output buffer, valid until that node
 * runs again — within one run of the graph, never): read back only where a CPU value is needed.
 */
export interface DeviceValue {
  type: 'float32';
  shape: number[];
  buffer: GPUBuffer;
  engine: Engine;
}

/** A value of the executor: on the CPU, or left on the GPU. */
export type Held = OnnxValue | DeviceValue;

export const onDevice = (v: Held | undefined): v is DeviceValue => v !== undefined && 'buffer' in v;

const hostCopies = new WeakMap<DeviceValue, Promise<OnnxValue>>();

/** A value on the CPU: a DeviceValue is read back (once, however many readers ask). */
export function toHost(v: Held): Promise<OnnxValue> {
  if (!onDevice(v)) return Promise.resolve(v);
  let p = hostCopies.get(v);
  if (!p) {
    p = v.engine.readBuffer(v.buffer, 0, sizeOf(v.shape)).then((data) => ({ type: 'float32', shape: v.shape, data }));
    hostCopies.set(v, p);
  }
  return p;
}

/** The runner of a Relu fused into the Conv before it: hands its input on. */
export const aliasRunner = {
  run: async (_e: Engine, x: Inputs): Promise<OnnxValue[]> => [x[0]!],
  runHeld: async (_e: Engine, x: (Held | undefined)[]): Promise<Held[]> => [x[0]!],
  dispose(): void {},
};

export class ConvNodeRunner {
  private plan: Plan | undefined;
  /** set at load when the node's only reader is a Relu (fused: conv2d_fwd's relu variant) */
  relu = false;

  constructor(readonly node: OnnxNode) {}

  dispose(): void {
    this.plan?.rec.dispose();
    this.plan = undefined;
  }

  /** Runs the node (inputs X, W, optional B) with tensors held to `cap` elements; CPU values in and out. */
  async run(engine: Engine, x: Inputs, cap: number): Promise<OnnxValue[]> {
    return [await toHost((await this.runHeld(engine, x, cap))[0])];
  }

  /** Runs the node; X may be on the GPU, and the output stays there (float32; CPU for the rest). */
  async runHeld(engine: Engine, x: (Held | undefined)[], cap: number): Promise<Held[]> {
    const n = this.node;
    const shapes = x.map((v) => v && (onDevice(v) ? { type: v.type, shape: v.shape, data: new Float32Array(0) } : v));
    const g = withElementCap(cap, () => convGeometry(n, shapes));
    const [X, Wh, Bh] = x as [Held, Held, Held | undefined];
    const count = g.N * g.M * g.oH * g.oW;
    if (onDevice(Wh) || onDevice(Bh) || X.type !== 'float32' || count === 0 || sizeOf(X.shape) === 0) {
      const host = await Promise.all(x.map((v) => v && toHost(v)));
      const [y] = withElementCap(cap, () => CPU_OPS.Conv(n, host, 0));
      if (this.relu) for (let i = 0; i < y.data.length; i++) y.data[i] = Math.max(y.data[i], 0);
      return [y];
    }
    const [W, B] = [Wh as OnnxValue, Bh as OnnxValue | undefined];
    const key = `${X.shape}|${W.shape}|${B ? B.shape : '-'}`;
    let p = this.plan;
    if (!p || p.key !== key) {
      this.dispose();
      const rec = new Recorder(engine, `onnx:${n.name}`);
      const buf = (elements: number, label: string) => rec.buffer(4 * Math.max(elements, 1), label);
      const xb = buf(sizeOf(X.shape), 'x');
      const wb = buf(W.data.length, 'w');
      const bb = B ? buf(B.data.length, 'bias') : undefined;
      const yb = buf(count, 'y');
      const k = engine.kernel(shaders.conv2d_fwd);
      const params = { N: g.N, C: g.C, H: g.H, W: g.W, M: g.M, kH: g.kH, kW: g.kW, oH: g.oH, oW: g.oW, sH: g.sH, sW: g.sW, dH: g.dH, dW: g.dW, pH: g.pH, pW: g.pW, Cg: g.Cg, Mg: g.Mg, has_bias: B ? 1 : 0, relu: this.relu ? 1 : 0, zero: 0 };
      const prog = new Program();
      const groups = Math.ceil((g.M * g.oH * g.oW) / 64);
      const gx = Math.min(groups, 65535);
      prog.dispatch(k, [rec.bind(k, params, { x: xb, w: wb, bias: bb ?? wb, y: yb }, 'conv')], [gx, Math.ceil(groups / gx), g.N]);
      p = this.plan = { key, rec, prog, x: xb, w: wb, b: bb, y: yb, count };
    }
    if (p.wFrom !== W) engine.writeBuffer(p.w, 0, f32(W));
    if (B && p.b && p.bFrom !== B) engine.writeBuffer(p.b, 0, f32(B));
    p.wFrom = W;
    p.bFrom = B;
    if (onDevice(X)) engine.copy(X.buffer, 0, p.x, 0, 4 * sizeOf(X.shape));
    else engine.writeBuffer(p.x, 0, f32(X));
    engine.run(p.prog);
    return [{ type: 'float32', shape: g.outShape, buffer: p.y, engine }];
  }
}

const f32 = (v: OnnxValue): Float32Array<ArrayBuffer> => (v.data instanceof Float32Array && v.data.buffer instanceof ArrayBuffer ? (v.data as Float32Array<ArrayBuffer>) : Float32Array.from(v.data));
