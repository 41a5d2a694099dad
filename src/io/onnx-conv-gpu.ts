/**
 * ONNX Conv on the GPU (shaders/conv2d_fwd.wgsl) for float32 nodes: the executor hands each Conv
 * node's inputs here, and gets the output back on the CPU (the executor's values live there; keeping
 * them on the GPU between GPU operators is future work). Per node, the buffers, parameters, bind group
 * and recorded program are built once per input shape and reused; the weights and bias are uploaded
 * again only when their values change (an initializer is the same object every call). float64 nodes,
 * and empty tensors, run on the CPU kernel (onnx-ops.ts), which is also the tests' reference.
 */
import type { Engine } from '../gpu/engine.js';
import { Program } from '../gpu/program.js';
import { Recorder } from '../gpu/recorder.js';
import type { OnnxNode } from './onnx-graph.js';
import { convGeometry, CPU_OPS, type Inputs } from './onnx-ops.js';
import { withElementCap, type OnnxValue } from './onnx-value.js';

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

export class ConvNodeRunner {
  private plan: Plan | undefined;

  constructor(readonly node: OnnxNode) {}

  dispose(): void {
    this.plan?.rec.dispose();
    this.plan = undefined;
  }

  /** Runs the node (inputs X, W, optional B) with tensors held to `cap` elements. */
  async run(engine: Engine, x: Inputs, cap: number): Promise<OnnxValue[]> {
    const n = this.node;
    const g = withElementCap(cap, () => convGeometry(n, x));
    const [X, W, B] = x as [OnnxValue, OnnxValue, OnnxValue | undefined];
    const count = g.N * g.M * g.oH * g.oW;
    if (X.type !== 'float32' || count === 0 || X.data.length === 0) return withElementCap(cap, () => CPU_OPS.Conv(n, x, 0));
    const key = `${X.shape}|${W.shape}|${B ? B.shape : '-'}`;
    let p = this.plan;
    if (!p || p.key !== key) {
      this.dispose();
      const rec = new Recorder(engine, `onnx:${n.name}`);
      const buf = (elements: number, label: string) => rec.buffer(4 * Math.max(elements, 1), label);
      const xb = buf(X.data.length, 'x');
      const wb = buf(W.data.length, 'w');
      const bb = B ? buf(B.data.length, 'bias') : undefined;
      const yb = buf(count, 'y');
      const k = engine.kernel('conv2d_fwd');
      const params = { N: g.N, C: g.C, H: g.H, W: g.W, M: g.M, kH: g.kH, kW: g.kW, oH: g.oH, oW: g.oW, sH: g.sH, sW: g.sW, dH: g.dH, dW: g.dW, pH: g.pH, pW: g.pW, Cg: g.Cg, Mg: g.Mg, has_bias: B ? 1 : 0, zero: 0 };
      const prog = new Program();
      const groups = Math.ceil((g.M * g.oH * g.oW) / 64);
      const gx = Math.min(groups, 65535);
      prog.dispatch(k, [rec.bind(k, params, { x: xb, w: wb, bias: bb ?? wb, y: yb }, 'conv')], [gx, Math.ceil(groups / gx), g.N]);
      p = this.plan = { key, rec, prog, x: xb, w: wb, b: bb, y: yb, count };
    }
    const q = engine.device.queue;
    if (p.wFrom !== W) q.writeBuffer(p.w, 0, f32(W));
    if (B && p.b && p.bFrom !== B) q.writeBuffer(p.b, 0, f32(B));
    p.wFrom = W;
    p.bFrom = B;
    q.writeBuffer(p.x, 0, f32(X));
    engine.run(p.prog);
    const data = await engine.readBuffer(p.y, 0, count);
    return [{ type: 'float32', shape: g.outShape, data }];
  }
}

const f32 = (v: OnnxValue): Float32Array<ArrayBuffer> => (v.data instanceof Float32Array && v.data.buffer instanceof ArrayBuffer ? (v.data as Float32Array<ArrayBuffer>) : Float32Array.from(v.data));
