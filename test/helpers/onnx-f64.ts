// An ONNX graph evaluated in float64 throughout: the independent reference that says, for a float32
// model, which of two float32 runtimes (webrnn, onnxruntime) is nearer the exact result and by how
// much. Every float32 initializer, constant and feed is widened to float64 (exactly), webrnn's CPU
// operators (src/interop/onnx/ops.ts) then compute in float64 and store float64 (Conv sums in float64 for
// float64 inputs), a Cast to float32 keeps float64, `If` runs its chosen branch, and the LSTM is the
// ONNX operator's equations written out here in float64 (forward direction, default activations, no
// peepholes: what the silero VAD files use; anything else is refused). Nothing here runs on a GPU or
// shares code with webrnn's recurrent kernels or with onnxruntime.
import { Scope, type OnnxGraph, type OnnxNode, type OnnxSubgraph } from '../../src/interop/onnx/graph.js';
import { CPU_OPS } from '../../src/interop/onnx/ops.js';
import type { OnnxValue } from '../../src/interop/onnx/value.js';

/** A value in float64 when it is a float32 one (exact), else as it is. */
export function widen(v: OnnxValue): OnnxValue {
  return v.type === 'float32' ? { type: 'float64', shape: v.shape, data: Float64Array.from(v.data) } : v;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** ONNX LSTM in float64: inputs X, W, R, B, sequence_lens, initial_h, initial_c (forward, one direction). */
export function lstmF64(n: OnnxNode, x: (OnnxValue | undefined)[]): OnnxValue[] {
  for (const [k, a] of n.attrs) {
    const dflt = k === 'hidden_size' || ((k === 'input_forget' || k === 'layout') && a.value === 0) || (k === 'direction' && a.value === 'forward');
    if (!dflt) throw new Error(`lstmF64: attribute ${k} is not handled (${n.name})`);
  }
  const [X, W, R, Bv, seq, h0, c0, P] = x;
  if (!X || !W || !R || seq || P || X.shape.length !== 3 || W.shape[0] !== 1) throw new Error(`lstmF64: only forward LSTMs without sequence_lens or peepholes (${n.name})`);
  const [T, B, I] = X.shape;
  const H = R.shape[2];
  const h = new Float64Array(B * H);
  const c = new Float64Array(B * H);
  if (h0) h.set(h0.data);
  if (c0) c.set(c0.data);
  const Y = new Float64Array(T * B * H);
  const g = new Float64Array(4 * H);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      // gate blocks in ONNX's order i, o, f, c
      for (let r = 0; r < 4 * H; r++) {
        let s = Bv ? Bv.data[r] + Bv.data[4 * H + r] : 0;
        for (let k = 0; k < I; k++) s += W.data[r * I + k] * X.data[(t * B + b) * I + k];
        for (let k = 0; k < H; k++) s += R.data[r * H + k] * h[b * H + k];
        g[r] = s;
      }
      for (let j = 0; j < H; j++) {
        const i = sigmoid(g[j]);
        const o = sigmoid(g[H + j]);
        const f = sigmoid(g[2 * H + j]);
        const cc = Math.tanh(g[3 * H + j]);
        c[b * H + j] = f * c[b * H + j] + i * cc;
        h[b * H + j] = o * Math.tanh(c[b * H + j]);
      }
    }
    Y.set(h, t * B * H);
  }
  return [
    { type: 'float64', shape: [T, 1, B, H], data: Y },
    { type: 'float64', shape: [1, B, H], data: Float64Array.from(h) },
    { type: 'float64', shape: [1, B, H], data: Float64Array.from(c) },
  ];
}

/** Every float32 initializer of `g` and of its subgraphs widened, once per graph object. */
const widened = new WeakMap<OnnxSubgraph, Map<string, OnnxValue>>();
function initializers(g: OnnxSubgraph): Map<string, OnnxValue> {
  let m = widened.get(g);
  if (!m) {
    m = new Map([...g.initializers].map(([k, v]) => [k, widen(v)]));
    widened.set(g, m);
  }
  return m;
}

/**
 * Runs `graph` on `feeds` in float64. `seen`, when given, receives every value computed (by name, in
 * any subgraph) for comparing intermediate tensors. `float32`, when given, picks nodes to run as webrnn's
 * CPU executor runs them in float32 (inputs rounded to float32, the float32 kernel, output widened) —
 * to find which operators' float32 arithmetic moves an output: e.g. `(n) => n.opType === 'Conv'` gives
 * the graph with webrnn's float32 Conv (bit for bit its GPU kernel) and everything else exact.
 */
export function runF64(graph: OnnxGraph, feeds: Record<string, OnnxValue>, seen?: Map<string, OnnxValue>, float32?: (n: OnnxNode) => boolean): Record<string, OnnxValue> {
  const scope = new Scope<OnnxValue>(undefined, initializers(graph));
  for (const [k, v] of Object.entries(feeds)) scope.set(k, widen(v));
  runNodes(graph, scope, graph.opset, seen, float32);
  return Object.fromEntries(graph.outputs.map((o) => [o.name, scope.get(o.name)!]));
}

/**
 * Outputs of nodes that read only initializers and constants (silero's weight slicing), computed once:
 * they are the same every call.
 */
const fixed = new WeakMap<OnnxNode, OnnxValue[]>();
const constants = new WeakSet<OnnxValue>();

function runNodes(g: OnnxSubgraph, scope: Scope<OnnxValue>, opset: number, seen?: Map<string, OnnxValue>, float32?: (n: OnnxNode) => boolean): void {
  for (const v of initializers(g).values()) constants.add(v);
  for (const n of g.nodes) {
    const x = n.inputs.map((name) => (name === '' ? undefined : scope.get(name)));
    const constant = n.opType !== 'If' && x.every((v) => v === undefined || constants.has(v));
    let outs: OnnxValue[];
    const known = constant ? fixed.get(n) : undefined;
    if (known) {
      outs = known;
    } else if (n.opType === 'If') {
      const a = n.attrs.get(x[0]!.data[0] ? 'then_branch' : 'else_branch');
      if (a?.kind !== 'graph') throw new Error(`${n.name}: no branch`);
      const inner = new Scope<OnnxValue>(scope, initializers(a.value));
      runNodes(a.value, inner, opset, seen, float32);
      outs = a.value.outputs.map((o) => inner.get(o.name)!);
    } else if (float32?.(n)) {
      const narrow = (v: OnnxValue | undefined) => (v?.type === 'float64' ? { type: 'float32' as const, shape: v.shape, data: Float32Array.from(v.data) } : v);
      outs = CPU_OPS[n.opType](n, x.map(narrow), opset).map(widen);
    } else if (n.opType === 'LSTM') {
      outs = lstmF64(n, x);
    } else if (n.opType === 'Cast' && x[0] && (x[0].type === 'float64' || x[0].type === 'float32') && n.attrs.get('to')?.value === 1) {
      outs = [widen(x[0])];
    } else {
      if (n.opType === 'Constant' || n.opType === 'ConstantOfShape') outs = CPU_OPS[n.opType](n, x, opset).map(widen);
      else {
        outs = CPU_OPS[n.opType](n, x, opset);
        for (const o of outs) if (o.type === 'float32') throw new Error(`${n.name} (${n.opType}) gave float32 from float64 inputs`);
      }
    }
    if (constant) {
      fixed.set(n, outs);
      for (const o of outs) constants.add(o);
    }
    n.outputs.forEach((name, k) => {
      if (name === '') return;
      scope.set(name, outs[k]);
      seen?.set(name, outs[k]);
    });
  }
}
