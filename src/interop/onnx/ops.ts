/**
 * The CPU half of the ONNX executor: the plain operators exporters put around recurrent nodes
 * (shape arithmetic, reshapes and transposes, embeddings as Gather, linear heads as MatMul/Gemm/Add,
 * activations, softmax, and the convolutional front ends of models like silero VAD: Pad, Conv). Each
 * kernel takes the node and its input values and returns its outputs, following the ONNX operator spec
 * for the model's opset (attribute-vs-input forms of Squeeze, Unsqueeze, Slice, Split, Reduce*, Clip,
 * Pad; Softmax's axis semantics before and after opset 13). Arithmetic runs in float64 and is stored in
 * the output's type (float32 rounds once per op), except Conv's float32 accumulation (see conv). float32
 * Conv nodes run on the GPU (conv-gpu.ts) with the same arithmetic; the CPU Conv is their reference.
 * test/interop-onnx.test.ts and interop-onnx-control.test.ts check every operator against onnxruntime.
 */
import { WebRnnError } from '../../errors.js';
import type { OnnxAttr, OnnxNode } from './graph.js';
import { checkedSize, checkWork, isFloat, makeValue, ONNX_DTYPE, sizeOf, type OnnxType, type OnnxValue } from './value.js';

export type Inputs = (OnnxValue | undefined)[];
type Kernel = (n: OnnxNode, x: Inputs, opset: number) => OnnxValue[];

// ---------------------------------------------------------------- helpers

function fail(n: OnnxNode, msg: string): never {
  throw new WebRnnError('BAD_VALUE', `ONNX node "${n.name}" (${n.opType}): ${msg}`);
}

function attr(n: OnnxNode, name: string): OnnxAttr | undefined {
  return n.attrs.get(name);
}
type AttrValues = { [A in OnnxAttr as A['kind']]: A['value'] };
/** The value of attribute `name` when it has the given kind (absent: undefined; another kind: BAD_VALUE). */
function attrOf<K extends OnnxAttr['kind']>(n: OnnxNode, name: string, kind: K, what: string): AttrValues[K] | undefined {
  const a = attr(n, name);
  if (!a) return undefined;
  if (a.kind !== kind) fail(n, `attribute ${name} must be ${what}`);
  return a.value as AttrValues[K];
}
const attrInt = (n: OnnxNode, name: string, dflt: number): number => attrOf(n, name, 'int', 'an int') ?? dflt;
const attrFloat = (n: OnnxNode, name: string, dflt: number): number => attrOf(n, name, 'float', 'a float') ?? dflt;
const attrString = (n: OnnxNode, name: string, dflt: string): string => attrOf(n, name, 'string', 'a string') ?? dflt;
const attrInts = (n: OnnxNode, name: string): number[] | undefined => attrOf(n, name, 'ints', 'a list of ints');

function need(n: OnnxNode, x: Inputs, i: number, what: string): OnnxValue {
  const v = x[i];
  if (!v) fail(n, `missing input ${i} (${what})`);
  return v;
}

/** Integer list from an int tensor input (shapes, axes, indices). */
function ints(v: OnnxValue): number[] {
  return Array.from(v.data);
}

/** A list input whose entries must be non-negative integers (repeats, split sizes). */
function counts(n: OnnxNode, v: number[], what: string): number[] {
  if (v.some((d) => !Number.isSafeInteger(d) || d < 0)) fail(n, `${what} [${v.join(', ')}] must be non-negative integers`);
  return v;
}

function normAxis(n: OnnxNode, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!(a >= 0 && a < rank)) fail(n, `axis ${axis} out of range for rank ${rank}`);
  return a;
}

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let k = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = k;
    k *= shape[i];
  }
  return s;
}

function broadcastShape(n: OnnxNode, shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i];
      if (out[o] === 1) out[o] = d;
      else if (d !== 1 && d !== out[o]) fail(n, `shapes ${shapes.map((x) => `[${x.join(', ')}]`).join(', ')} do not broadcast`);
    }
  }
  return out;
}

/** For each output element, the flat index into `shape` broadcast to `out`. */
function broadcastIndex(shape: number[], out: number[]): Int32Array {
  const n = checkedSize(out, 'broadcast output');
  const idx = new Int32Array(n);
  const st = strides(shape);
  const pad = out.length - shape.length;
  const os = strides(out);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let k = 0;
    for (let d = 0; d < out.length; d++) {
      const c = Math.floor(rem / os[d]);
      rem -= c * os[d];
      if (d >= pad && shape[d - pad] !== 1) k += c * st[d - pad];
    }
    idx[i] = k;
  }
  return idx;
}

function elementwise(n: OnnxNode, xs: OnnxValue[], type: OnnxType, f: (...v: number[]) => number): OnnxValue {
  const shape = broadcastShape(n, xs.map((x) => x.shape));
  const out = makeValue(type, shape);
  const idx = xs.map((x) => broadcastIndex(x.shape, shape));
  const args = new Array<number>(xs.length);
  for (let i = 0; i < out.data.length; i++) {
    for (let k = 0; k < xs.length; k++) args[k] = xs[k].data[idx[k][i]];
    out.data[i] = f(...args);
  }
  return type === 'bool' || !isFloat(type) ? fixInts(out) : out;
}

/** Integer outputs: truncate toward zero (C++'s integer division) and wrap nothing (values stay small). */
function fixInts(v: OnnxValue): OnnxValue {
  if (v.type === 'bool') for (let i = 0; i < v.data.length; i++) v.data[i] = v.data[i] ? 1 : 0;
  else for (let i = 0; i < v.data.length; i++) v.data[i] = Math.trunc(v.data[i]) + 0; // + 0: no integer −0
  return v;
}

function sameType(n: OnnxNode, xs: OnnxValue[]): OnnxType {
  const t = xs[0].type;
  for (const x of xs) if (x.type !== t) fail(n, `inputs have different types (${xs.map((v) => v.type).join(', ')})`);
  return t;
}

function unary(f: (v: number) => number, floatOnly = true): Kernel {
  return (n, x) => {
    const a = need(n, x, 0, 'X');
    if (floatOnly && !isFloat(a.type)) fail(n, `needs a float input, got ${a.type}`);
    return [elementwise(n, [a], a.type, f)];
  };
}

function binary(f: (a: number, b: number) => number): Kernel {
  return (n, x) => {
    const a = need(n, x, 0, 'A');
    const b = need(n, x, 1, 'B');
    return [elementwise(n, [a, b], sameType(n, [a, b]), f)];
  };
}

function compare(f: (a: number, b: number) => boolean): Kernel {
  return (n, x) => {
    const a = need(n, x, 0, 'A');
    const b = need(n, x, 1, 'B');
    sameType(n, [a, b]);
    return [elementwise(n, [a, b], 'bool', (p, q) => (f(p, q) ? 1 : 0))];
  };
}

function variadic(f: (a: number, b: number) => number): Kernel {
  return (n, x) => {
    const xs = x.filter((v): v is OnnxValue => v !== undefined);
    if (!xs.length) fail(n, 'needs at least one input');
    return [elementwise(n, xs, sameType(n, xs), (...v) => v.reduce(f))];
  };
}

/** Gathers `src` (shape) into `out` through a per-element index map. */
function permuted(src: OnnxValue, shape: number[], index: (outFlat: number[]) => number): OnnxValue {
  const out = makeValue(src.type, shape);
  const os = strides(shape);
  const coord = new Array<number>(shape.length);
  for (let i = 0; i < out.data.length; i++) {
    let rem = i;
    for (let d = 0; d < shape.length; d++) {
      coord[d] = Math.floor(rem / os[d]);
      rem -= coord[d] * os[d];
    }
    out.data[i] = src.data[index(coord)];
  }
  return out;
}

function reshaped(v: OnnxValue, shape: number[]): OnnxValue {
  return { type: v.type, shape, data: v.data };
}

// ---------------------------------------------------------------- shape and data movement

const transpose: Kernel = (n, x) => {
  const a = need(n, x, 0, 'data');
  const r = a.shape.length;
  const perm = attrInts(n, 'perm') ?? [...Array(r).keys()].reverse();
  if (perm.length !== r || [...perm].sort((p, q) => p - q).some((p, i) => p !== i)) fail(n, `perm [${perm}] is not a permutation of ${r} axes`);
  const st = strides(a.shape);
  return [permuted(a, perm.map((p) => a.shape[p]), (c) => c.reduce((k, ci, d) => k + ci * st[perm[d]], 0))];
};

const reshape: Kernel = (n, x) => {
  const a = need(n, x, 0, 'data');
  const want = ints(need(n, x, 1, 'shape'));
  const allowzero = attrInt(n, 'allowzero', 0);
  const shape = want.map((d, i) => (d === 0 && !allowzero ? a.shape[i] : d));
  const minus = shape.indexOf(-1);
  if (minus >= 0) {
    const rest = shape.reduce((p, d, i) => (i === minus ? p : p * d), 1);
    shape[minus] = rest ? sizeOf(a.shape) / rest : 0;
  }
  if (sizeOf(shape) !== sizeOf(a.shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) fail(n, `cannot reshape [${a.shape.join(', ')}] to [${want.join(', ')}]`);
  return [reshaped(a, shape)];
};

const flatten: Kernel = (n, x) => {
  const a = need(n, x, 0, 'input');
  let axis = attrInt(n, 'axis', 1);
  if (axis < 0) axis += a.shape.length;
  return [reshaped(a, [sizeOf(a.shape.slice(0, axis)), sizeOf(a.shape.slice(axis))])];
};

function axesOf(n: OnnxNode, x: Inputs, opset: number, inputFrom: number): number[] | undefined {
  if (opset >= inputFrom) return x[1] ? ints(x[1]) : undefined;
  return attrInts(n, 'axes');
}

const squeeze: Kernel = (n, x, opset) => {
  const a = need(n, x, 0, 'data');
  const r = a.shape.length;
  const axes = axesOf(n, x, opset, 13)?.map((ax) => normAxis(n, ax, r));
  for (const ax of axes ?? []) if (a.shape[ax] !== 1) fail(n, `cannot squeeze axis ${ax} of size ${a.shape[ax]}`);
  return [reshaped(a, a.shape.filter((d, i) => (axes ? !axes.includes(i) : d !== 1)))];
};

const unsqueeze: Kernel = (n, x, opset) => {
  const a = need(n, x, 0, 'data');
  const axes = axesOf(n, x, opset, 13);
  if (!axes) fail(n, 'needs axes');
  const r = a.shape.length + axes.length;
  const ax = axes.map((v) => normAxis(n, v, r));
  const shape: number[] = [];
  let k = 0;
  for (let i = 0; i < r; i++) shape.push(ax.includes(i) ? 1 : a.shape[k++]);
  return [reshaped(a, shape)];
};

const concat: Kernel = (n, x) => {
  const xs = x.filter((v): v is OnnxValue => v !== undefined);
  if (!xs.length) fail(n, 'needs inputs');
  const r = xs[0].shape.length;
  const axis = normAxis(n, attrInt(n, 'axis', 0), r);
  const type = sameType(n, xs);
  for (const v of xs) {
    if (v.shape.length !== r || v.shape.some((d, i) => i !== axis && d !== xs[0].shape[i])) fail(n, `shapes ${xs.map((q) => `[${q.shape.join(', ')}]`).join(', ')} differ off axis ${axis}`);
  }
  const shape = [...xs[0].shape];
  shape[axis] = xs.reduce((s, v) => s + v.shape[axis], 0);
  const out = makeValue(type, shape);
  const outer = sizeOf(shape.slice(0, axis));
  const inner = sizeOf(shape.slice(axis + 1));
  let off = 0;
  for (const v of xs) {
    const w = v.shape[axis] * inner;
    for (let o = 0; o < outer; o++) out.data.set(v.data.subarray(o * w, (o + 1) * w), o * shape[axis] * inner + off);
    off += w;
  }
  return [out];
};

const split: Kernel = (n, x, opset) => {
  const a = need(n, x, 0, 'input');
  const axis = normAxis(n, attrInt(n, 'axis', 0), a.shape.length);
  let sizes = opset >= 13 ? (x[1] ? ints(x[1]) : undefined) : attrInts(n, 'split');
  const count = n.outputs.length;
  if (!sizes) {
    const len = a.shape[axis];
    const each = Math.ceil(len / count);
    sizes = Array.from({ length: count }, (_, i) => Math.max(0, Math.min(each, len - i * each)));
  }
  counts(n, sizes, 'split sizes');
  if (sizes.length !== count || sizes.reduce((p, q) => p + q, 0) !== a.shape[axis]) fail(n, `split sizes [${sizes}] do not cover axis ${axis} of size ${a.shape[axis]} in ${count} outputs`);
  const st = strides(a.shape);
  let start = 0;
  return sizes.map((s) => {
    const shape = [...a.shape];
    shape[axis] = s;
    const begin = start;
    start += s;
    return permuted(a, shape, (c) => c.reduce((k, ci, d) => k + (d === axis ? ci + begin : ci) * st[d], 0));
  });
};

const slice: Kernel = (n, x, opset) => {
  const a = need(n, x, 0, 'data');
  const r = a.shape.length;
  let starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined;
  if (opset < 10) {
    starts = attrInts(n, 'starts') ?? fail(n, 'needs starts');
    ends = attrInts(n, 'ends') ?? fail(n, 'needs ends');
    axes = attrInts(n, 'axes');
  } else {
    starts = ints(need(n, x, 1, 'starts'));
    ends = ints(need(n, x, 2, 'ends'));
    axes = x[3] ? ints(x[3]) : undefined;
    steps = x[4] ? ints(x[4]) : undefined;
  }
  const begin = new Array<number>(r).fill(0);
  const step = new Array<number>(r).fill(1);
  const shape = [...a.shape];
  (axes ?? starts.map((_, i) => i)).forEach((ax0, i) => {
    const ax = normAxis(n, ax0, r);
    const dim = a.shape[ax];
    const s = steps?.[i] ?? 1;
    if (s === 0) fail(n, 'step 0');
    const clampTo = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
    let b = starts[i] < 0 ? starts[i] + dim : starts[i];
    let e = ends[i] < 0 ? ends[i] + dim : ends[i];
    if (s > 0) {
      b = clampTo(b, 0, dim);
      e = clampTo(e, 0, dim);
      shape[ax] = Math.max(0, Math.ceil((e - b) / s));
    } else {
      b = clampTo(b, 0, dim - 1);
      e = clampTo(e, -1, dim - 1);
      shape[ax] = Math.max(0, Math.ceil((b - e) / -s));
    }
    begin[ax] = b;
    step[ax] = s;
  });
  const st = strides(a.shape);
  return [permuted(a, shape, (c) => c.reduce((k, ci, d) => k + (begin[d] + ci * step[d]) * st[d], 0))];
};

const gather: Kernel = (n, x) => {
  const a = need(n, x, 0, 'data');
  const ind = need(n, x, 1, 'indices');
  if (isFloat(ind.type)) fail(n, `indices must be integers, got ${ind.type}`);
  const axis = normAxis(n, attrInt(n, 'axis', 0), a.shape.length);
  const dim = a.shape[axis];
  const idx = ints(ind).map((i) => {
    const j = i < 0 ? i + dim : i;
    if (!(j >= 0 && j < dim)) fail(n, `index ${i} out of range for axis ${axis} of size ${dim}`);
    return j;
  });
  const shape = [...a.shape.slice(0, axis), ...ind.shape, ...a.shape.slice(axis + 1)];
  const outer = sizeOf(a.shape.slice(0, axis));
  const inner = sizeOf(a.shape.slice(axis + 1));
  const out = makeValue(a.type, shape);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < idx.length; k++) {
      const src = (o * dim + idx[k]) * inner;
      out.data.set(a.data.subarray(src, src + inner), (o * idx.length + k) * inner);
    }
  }
  return [out];
};

const expand: Kernel = (n, x) => {
  const a = need(n, x, 0, 'input');
  const shape = broadcastShape(n, [a.shape, counts(n, ints(need(n, x, 1, 'shape')), 'shape')]);
  const idx = broadcastIndex(a.shape, shape);
  const out = makeValue(a.type, shape);
  for (let i = 0; i < idx.length; i++) out.data[i] = a.data[idx[i]];
  return [out];
};

const tile: Kernel = (n, x) => {
  const a = need(n, x, 0, 'input');
  const reps = counts(n, ints(need(n, x, 1, 'repeats')), 'repeats');
  if (reps.length !== a.shape.length) fail(n, `repeats has ${reps.length} entries for rank ${a.shape.length}`);
  const st = strides(a.shape);
  return [permuted(a, a.shape.map((d, i) => d * reps[i]), (c) => c.reduce((k, ci, d) => k + (ci % a.shape[d]) * st[d], 0))];
};

const shapeOp: Kernel = (n, x) => {
  const a = need(n, x, 0, 'data');
  const r = a.shape.length;
  const norm = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  const start = norm(attrInt(n, 'start', 0));
  const end = norm(attrInt(n, 'end', r));
  const dims = a.shape.slice(start, Math.max(start, end));
  return [makeValue('int64', [dims.length], dims)];
};

const constant: Kernel = (n) => {
  for (const [k, a] of n.attrs) {
    if (k === 'value' && a.kind === 'tensor') return [a.value];
    if (k === 'value_float' && a.kind === 'float') return [makeValue('float32', [], [a.value])];
    if (k === 'value_floats' && a.kind === 'floats') return [makeValue('float32', [a.value.length], a.value)];
    if (k === 'value_int' && a.kind === 'int') return [makeValue('int64', [], [a.value])];
    if (k === 'value_ints' && a.kind === 'ints') return [makeValue('int64', [a.value.length], a.value)];
  }
  return fail(n, `no supported value attribute (has ${[...n.attrs.keys()].join(', ') || 'none'}; sparse and string constants are not supported)`);
};

const constantOfShape: Kernel = (n, x) => {
  const shape = counts(n, ints(need(n, x, 0, 'input')), 'shape');
  const a = attr(n, 'value');
  const v = a && a.kind === 'tensor' ? a.value : makeValue('float32', [1], [0]);
  const out = makeValue(v.type, shape);
  out.data.fill(v.data[0]);
  return [out];
};

const cast: Kernel = (n, x) => {
  const a = need(n, x, 0, 'input');
  const to = attrInt(n, 'to', 0);
  const type = ONNX_DTYPE[to];
  if (!type) fail(n, `cast to element type ${to} is not supported`);
  return [makeValue(type, a.shape, a.data)];
};

const range: Kernel = (n, x) => {
  const [s, l, d] = [0, 1, 2].map((i) => need(n, x, i, ['start', 'limit', 'delta'][i]));
  const [start, limit, delta] = [s.data[0], l.data[0], d.data[0]];
  if (![start, limit, delta].every(Number.isFinite) || delta === 0) fail(n, `start ${start}, limit ${limit} and delta ${delta} must be finite, delta non-zero`);
  const count = Math.max(Math.ceil((limit - start) / delta), 0);
  checkedSize([count], 'output');
  const out = makeValue(s.type, [count]);
  for (let i = 0; i < count; i++) out.data[i] = start + i * delta;
  return [isFloat(s.type) ? out : fixInts(out)];
};

const where: Kernel = (n, x) => {
  const c = need(n, x, 0, 'condition');
  const a = need(n, x, 1, 'X');
  const b = need(n, x, 2, 'Y');
  return [elementwise(n, [c, a, b], sameType(n, [a, b]), (p, q, r) => (p ? q : r))];
};

// ---------------------------------------------------------------- linear algebra

/** numpy matmul: 1-D operands promoted and their axis removed, batch axes broadcast. */
function matmulValues(n: OnnxNode, a: OnnxValue, b: OnnxValue): OnnxValue {
  const type = sameType(n, [a, b]);
  const as = a.shape.length === 1 ? [1, a.shape[0]] : a.shape;
  const bs = b.shape.length === 1 ? [b.shape[0], 1] : b.shape;
  const [M, K] = as.slice(-2);
  const [K2, N] = bs.slice(-2);
  if (K !== K2) fail(n, `inner dimensions differ: [${a.shape.join(', ')}] × [${b.shape.join(', ')}]`);
  const batch = broadcastShape(n, [as.slice(0, -2), bs.slice(0, -2)]);
  checkWork(sizeOf(batch) * M * N * K, `[${a.shape.join(', ')}] × [${b.shape.join(', ')}]`);
  const ai = broadcastIndex(as.slice(0, -2), batch);
  const bi = broadcastIndex(bs.slice(0, -2), batch);
  const out = makeValue(type, [...batch, M, N]);
  for (let z = 0; z < ai.length; z++) {
    const ao = ai[z] * M * K;
    const bo = bi[z] * K * N;
    const oo = z * M * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a.data[ao + i * K + k] * b.data[bo + k * N + j];
        out.data[oo + i * N + j] = s;
      }
    }
  }
  const shape = [...batch, ...(a.shape.length === 1 ? [] : [M]), ...(b.shape.length === 1 ? [] : [N])];
  return reshaped(isFloat(type) ? out : fixInts(out), shape);
}

const matmul: Kernel = (n, x) => [matmulValues(n, need(n, x, 0, 'A'), need(n, x, 1, 'B'))];

const gemm: Kernel = (n, x) => {
  let a = need(n, x, 0, 'A');
  let b = need(n, x, 1, 'B');
  if (a.shape.length !== 2 || b.shape.length !== 2) fail(n, 'A and B must be 2-D');
  const t2 = (v: OnnxValue) => transpose({ ...n, attrs: new Map([['perm', { kind: 'ints', value: [1, 0] }]]) }, [v], 0)[0];
  if (attrInt(n, 'transA', 0)) a = t2(a);
  if (attrInt(n, 'transB', 0)) b = t2(b);
  const alpha = attrFloat(n, 'alpha', 1);
  const beta = attrFloat(n, 'beta', 1);
  const y = matmulValues(n, a, b);
  const c = x[2];
  return [c ? elementwise(n, [y, c], y.type, (p, q) => alpha * p + beta * q) : elementwise(n, [y], y.type, (p) => alpha * p)];
};

// ---------------------------------------------------------------- padding and convolution

/** Where output coordinate `c - begin` reads along an axis of length `dim` outside it, per Pad mode; -1 = the constant. */
function padSource(c: number, dim: number, mode: string): number {
  if (c >= 0 && c < dim) return c;
  if (mode === 'constant' || dim === 0) return -1;
  if (mode === 'edge') return c < 0 ? 0 : dim - 1;
  if (mode === 'wrap') return ((c % dim) + dim) % dim;
  if (dim === 1) return 0;
  const period = 2 * (dim - 1); // reflect: mirror without repeating the edge
  const m = ((c % period) + period) % period;
  return m < dim ? m : period - m;
}

/**
 * Pad: `pads` as attribute (opset < 11; `paddings` before opset 2) or input, [x1_begin, x2_begin, …,
 * x1_end, …], negative entries crop; constant_value input (≥ 11) or `value` attribute; the axes input
 * of opset 18; modes constant, reflect, edge and wrap (opset 19).
 */
const pad: Kernel = (n, x, opset) => {
  const a = need(n, x, 0, 'data');
  const r = a.shape.length;
  const mode = attrString(n, 'mode', 'constant');
  if (!['constant', 'reflect', 'edge', 'wrap'].includes(mode)) fail(n, `mode "${mode}" is not constant, reflect, edge or wrap`);
  let pads: number[];
  let value: number;
  let axes = [...Array(r).keys()];
  if (opset >= 11) {
    pads = ints(need(n, x, 1, 'pads'));
    value = x[2]?.data[0] ?? 0;
    if (x[3]) axes = ints(x[3]).map((ax) => normAxis(n, ax, r));
  } else {
    pads = attrInts(n, opset < 2 ? 'paddings' : 'pads') ?? fail(n, 'needs pads');
    value = attrFloat(n, 'value', 0);
  }
  if (pads.length !== 2 * axes.length || pads.some((p) => !Number.isSafeInteger(p))) fail(n, `pads [${pads.join(', ')}] must be ${2 * axes.length} integers (begin and end for each of ${axes.length} axes)`);
  const begin = new Array<number>(r).fill(0);
  const end = new Array<number>(r).fill(0);
  axes.forEach((ax, i) => {
    begin[ax] = pads[i];
    end[ax] = pads[i + axes.length];
  });
  const shape = a.shape.map((d, i) => d + begin[i] + end[i]);
  if (shape.some((d) => d < 0)) fail(n, `pads [${pads.join(', ')}] crop [${a.shape.join(', ')}] below zero`);
  if (mode !== 'constant' && a.shape.some((d, i) => d === 0 && shape[i] > 0)) fail(n, `mode ${mode} cannot pad an empty axis of [${a.shape.join(', ')}]`);
  const out = makeValue(a.type, shape);
  const os = strides(shape);
  const st = strides(a.shape);
  for (let i = 0; i < out.data.length; i++) {
    let rem = i;
    let k = 0;
    for (let d = 0; d < r && k >= 0; d++) {
      const c = Math.floor(rem / os[d]);
      rem -= c * os[d];
      const s = padSource(c - begin[d], a.shape[d], mode);
      k = s < 0 ? -1 : k + s * st[d];
    }
    out.data[i] = k < 0 ? value : a.data[k];
  }
  return [out];
};

/**
 * A Conv node's geometry, checked: every size as 2-D (1-D has H = kH = oH = 1), and the output shape.
 * Shared by the CPU kernel below and the WGSL one (conv-gpu.ts, shaders/conv2d_fwd.wgsl).
 */
export interface ConvGeometry {
  N: number; C: number; H: number; W: number; M: number; kH: number; kW: number; oH: number; oW: number;
  sH: number; sW: number; dH: number; dW: number; pH: number; pW: number; Cg: number; Mg: number;
  /** [N, M, (oH,) oW] */
  outShape: number[];
}

/**
 * Checks a Conv node's inputs and attributes — X [N, C, (H,) W], W [M, C/group, (kH,) kW], optional
 * B [M]; strides, dilations, pads [begin…, end…] or auto_pad (SAME_UPPER/SAME_LOWER/VALID), group,
 * kernel_shape — and the work against the cap (1024 multiply-adds per element of maxElements).
 */
export function convGeometry(n: OnnxNode, x: Inputs): ConvGeometry {
  const X = need(n, x, 0, 'X');
  const Wt = need(n, x, 1, 'W');
  const B = x[2];
  if (!isFloat(X.type)) fail(n, `needs a float input, got ${X.type}`);
  sameType(n, B ? [X, Wt, B] : [X, Wt]);
  const sd = X.shape.length - 2;
  if (sd !== 1 && sd !== 2) fail(n, `runs 1-D and 2-D convolutions; X has shape [${X.shape.join(', ')}]`);
  if (Wt.shape.length !== X.shape.length) fail(n, `W [${Wt.shape.join(', ')}] must have the rank of X [${X.shape.join(', ')}]`);
  const group = attrInt(n, 'group', 1);
  const [N, C] = X.shape;
  const M = Wt.shape[0];
  if (!(group >= 1) || C % group || M % group || Wt.shape[1] !== C / group) fail(n, `X [${X.shape.join(', ')}], W [${Wt.shape.join(', ')}] and group ${group} do not fit (W's second axis must be C / group, M a multiple of group)`);
  if (B && (B.shape.length !== 1 || B.shape[0] !== M)) fail(n, `B has shape [${B.shape.join(', ')}], needs [${M}]`);
  const kernel = Wt.shape.slice(2);
  const ks = attrInts(n, 'kernel_shape');
  if (ks && (ks.length !== sd || ks.some((k, i) => k !== kernel[i]))) fail(n, `kernel_shape [${ks.join(', ')}] differs from W's [${kernel.join(', ')}]`);
  const list = (name: string, dflt: number, len: number): number[] => {
    const v = attrInts(n, name) ?? new Array<number>(len).fill(dflt);
    if (v.length !== len || v.some((d) => !Number.isSafeInteger(d) || d < (name === 'pads' ? 0 : 1))) fail(n, `${name} [${v.join(', ')}] must be ${len} ${name === 'pads' ? 'non-negative' : 'positive'} integers`);
    return v;
  };
  const stride = list('strides', 1, sd);
  const dil = list('dilations', 1, sd);
  const autoPad = attrString(n, 'auto_pad', 'NOTSET');
  const inSp = X.shape.slice(2);
  const span = kernel.map((k, i) => dil[i] * (k - 1) + 1);
  let pb: number[], pe: number[];
  if (autoPad === 'NOTSET') {
    const p = list('pads', 0, 2 * sd);
    [pb, pe] = [p.slice(0, sd), p.slice(sd)];
  } else if (autoPad === 'VALID') {
    [pb, pe] = [new Array<number>(sd).fill(0), new Array<number>(sd).fill(0)];
  } else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const total = inSp.map((d, i) => Math.max(0, (Math.ceil(d / stride[i]) - 1) * stride[i] + span[i] - d));
    pb = total.map((t) => (autoPad === 'SAME_UPPER' ? Math.floor(t / 2) : Math.ceil(t / 2)));
    pe = total.map((t, i) => t - pb[i]);
  } else fail(n, `auto_pad "${autoPad}" is not NOTSET, SAME_UPPER, SAME_LOWER or VALID`);
  const outSp = inSp.map((d, i) => Math.floor((d + pb[i] + pe[i] - span[i]) / stride[i]) + 1);
  if (outSp.some((d) => d < 1)) fail(n, `kernel span [${span.join(', ')}] exceeds the padded input [${inSp.map((d, i) => d + pb[i] + pe[i]).join(', ')}]`);
  const two = (v: number[], one: number): [number, number] => (sd === 2 ? [v[0], v[1]] : [one, v[0]]);
  const [H, W] = two(inSp, 1);
  const [kH, kW] = two(kernel, 1);
  const [oH, oW] = two(outSp, 1);
  const [sH, sW] = two(stride, 1);
  const [dH, dW] = two(dil, 1);
  const [pH, pW] = two(pb, 0);
  const Cg = C / group;
  checkWork(N * M * oH * oW * Cg * kH * kW, `convolution of X [${X.shape.join(', ')}] with W [${Wt.shape.join(', ')}]`);
  const outShape = [N, M, ...outSp];
  checkedSize(outShape, 'Conv output');
  return { N, C, H, W, M, kH, kW, oH, oW, sH, sW, dH, dW, pH, pW, Cg, Mg: M / group, outShape };
}

/**
 * Conv on the CPU: float32 accumulates from 0 as a fused multiply-add does (exact product, one rounding
 * per add, over c, ky, kx in order), then adds the bias, as onnxruntime's float32 GEMM and its bias
 * epilogue and the WGSL kernel do — bit for bit onnxruntime's on every silero Conv that is a true GEMM
 * (one group, an output of more than one channel and position; its depthwise and matrix-vector Convs
 * round otherwise). On silero's STFT convolution, whose quiet frames `Log` amplifies, summing in float64
 * and rounding once instead puts the LSTM state 1.0e-5 from onnxruntime's, rounding every product too
 * 2.3e-5 (one step from the same state). float64 inputs sum in float64: the reference of the GPU tests.
 */
const conv: Kernel = (n, x) => {
  const g = convGeometry(n, x);
  const { N, C, H, W: Wd, M, kH, kW, oH, oW, sH, sW, dH, dW, pH, pW, Cg, Mg } = g;
  const X = x[0]!;
  const B = x[2];
  const out = makeValue(X.type, g.outShape);
  const xd = X.data;
  const wd = x[1]!.data;
  const round = X.type === 'float32' ? Math.fround : (v: number) => v;
  for (let b = 0; b < N; b++) {
    for (let m = 0; m < M; m++) {
      const grp = Math.floor(m / Mg);
      for (let oy = 0; oy < oH; oy++) {
        for (let ox = 0; ox < oW; ox++) {
          let s = 0;
          for (let c = 0; c < Cg; c++) {
            const xc = ((b * C + grp * Cg + c) * H) * Wd;
            const wc = ((m * Cg + c) * kH) * kW;
            for (let ky = 0; ky < kH; ky++) {
              const iy = oy * sH - pH + ky * dH;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < kW; kx++) {
                const ix = ox * sW - pW + kx * dW;
                if (ix < 0 || ix >= Wd) continue;
                s = round(s + xd[xc + iy * Wd + ix] * wd[wc + ky * kW + kx]); // float32 × float32 is exact in float64
              }
            }
          }
          out.data[((b * M + m) * oH + oy) * oW + ox] = B ? round(s + B.data[m]) : s;
        }
      }
    }
  }
  return [out];
};

// ---------------------------------------------------------------- reductions and normalisations

function softmaxLike(log: boolean): Kernel {
  return (n, x, opset) => {
    const a = need(n, x, 0, 'input');
    const r = a.shape.length;
    const axis = normAxis(n, attrInt(n, 'axis', opset >= 13 ? -1 : 1), r);
    // opset < 13: the input is flattened to 2-D at axis; ≥ 13: along one axis.
    const outer = sizeOf(a.shape.slice(0, axis));
    const len = opset >= 13 ? a.shape[axis] : sizeOf(a.shape.slice(axis));
    const inner = opset >= 13 ? sizeOf(a.shape.slice(axis + 1)) : 1;
    const out = makeValue(a.type, a.shape);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const at = (k: number) => (o * len + k) * inner + i;
        let m = -Infinity;
        for (let k = 0; k < len; k++) m = Math.max(m, a.data[at(k)]);
        let s = 0;
        for (let k = 0; k < len; k++) s += Math.exp(a.data[at(k)] - m);
        for (let k = 0; k < len; k++) out.data[at(k)] = log ? a.data[at(k)] - m - Math.log(s) : Math.exp(a.data[at(k)] - m) / s;
      }
    }
    return [out];
  };
}

function reduce(kind: 'sum' | 'mean' | 'max' | 'min' | 'prod', axesInputFrom: number): Kernel {
  return (n, x, opset) => {
    const a = need(n, x, 0, 'data');
    const r = a.shape.length;
    const given = axesOf(n, x, opset, axesInputFrom);
    const keep = attrInt(n, 'keepdims', 1);
    const noop = attrInt(n, 'noop_with_empty_axes', 0);
    if ((!given || !given.length) && noop) return [a];
    const axes = given && given.length ? given.map((v) => normAxis(n, v, r)) : [...Array(r).keys()];
    const shape = a.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const init = kind === 'max' ? -Infinity : kind === 'min' ? Infinity : kind === 'prod' ? 1 : 0;
    const acc = new Float64Array(sizeOf(shape)).fill(init);
    const st = strides(a.shape);
    const os = strides(shape);
    for (let i = 0; i < a.data.length; i++) {
      let rem = i;
      let k = 0;
      for (let d = 0; d < r; d++) {
        const c = Math.floor(rem / st[d]);
        rem -= c * st[d];
        if (!axes.includes(d)) k += c * os[d];
      }
      const v = a.data[i];
      acc[k] = kind === 'max' ? Math.max(acc[k], v) : kind === 'min' ? Math.min(acc[k], v) : kind === 'prod' ? acc[k] * v : acc[k] + v;
    }
    const count = axes.reduce((p, ax) => p * a.shape[ax], 1);
    const out = makeValue(a.type, keep ? shape : a.shape.filter((_, i) => !axes.includes(i)), kind === 'mean' ? acc.map((v) => v / count) : acc);
    return [out];
  };
}

const argmax: Kernel = (n, x) => {
  const a = need(n, x, 0, 'data');
  const r = a.shape.length;
  const axis = normAxis(n, attrInt(n, 'axis', 0), r);
  const keep = attrInt(n, 'keepdims', 1);
  const last = attrInt(n, 'select_last_index', 0);
  const outer = sizeOf(a.shape.slice(0, axis));
  const len = a.shape[axis];
  const inner = sizeOf(a.shape.slice(axis + 1));
  const vals: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let best = 0;
      for (let k = 1; k < len; k++) {
        const v = a.data[(o * len + k) * inner + i];
        const b = a.data[(o * len + best) * inner + i];
        if (v > b || (last && v === b)) best = k;
      }
      vals.push(best);
    }
  }
  const shape = keep ? a.shape.map((d, i) => (i === axis ? 1 : d)) : a.shape.filter((_, i) => i !== axis);
  return [makeValue('int64', shape, vals)];
};

const clip: Kernel = (n, x, opset) => {
  const a = need(n, x, 0, 'input');
  const lo = opset >= 11 ? (x[1]?.data[0] ?? -Infinity) : attrFloat(n, 'min', -Infinity);
  const hi = opset >= 11 ? (x[2]?.data[0] ?? Infinity) : attrFloat(n, 'max', Infinity);
  return [elementwise(n, [a], a.type, (v) => Math.min(Math.max(v, lo), hi))];
};

const dropout: Kernel = (n, x) => {
  const a = need(n, x, 0, 'data');
  const outs = [a];
  if (n.outputs.length > 1) outs.push(makeValue('bool', a.shape, new Array(sizeOf(a.shape)).fill(1)));
  return outs;
};

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** The plain operators the executor runs on the CPU, by ONNX op type (default domain). */
export const CPU_OPS: Readonly<Record<string, Kernel>> = {
  Identity: (n, x) => [need(n, x, 0, 'input')],
  Dropout: dropout,
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Shape: shapeOp,
  Size: (n, x) => [makeValue('int64', [], [sizeOf(need(n, x, 0, 'data').shape)])],
  Gather: gather,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Concat: concat,
  Split: split,
  Slice: slice,
  Transpose: transpose,
  Reshape: reshape,
  Flatten: flatten,
  Expand: expand,
  Tile: tile,
  Cast: cast,
  Range: range,
  Where: where,
  MatMul: matmul,
  Gemm: gemm,
  Add: binary((a, b) => a + b),
  Sub: binary((a, b) => a - b),
  Mul: binary((a, b) => a * b),
  Div: binary((a, b) => a / b),
  Pow: (n, x) => {
    const a = need(n, x, 0, 'X');
    return [elementwise(n, [a, need(n, x, 1, 'Y')], a.type, (p, q) => p ** q)];
  },
  Max: variadic((a, b) => Math.max(a, b)),
  Min: variadic((a, b) => Math.min(a, b)),
  Sum: variadic((a, b) => a + b),
  Equal: compare((a, b) => a === b),
  Less: compare((a, b) => a < b),
  LessOrEqual: compare((a, b) => a <= b),
  Greater: compare((a, b) => a > b),
  GreaterOrEqual: compare((a, b) => a >= b),
  Not: (n, x) => [elementwise(n, [need(n, x, 0, 'X')], 'bool', (v) => (v ? 0 : 1))],
  And: (n, x) => [elementwise(n, [need(n, x, 0, 'A'), need(n, x, 1, 'B')], 'bool', (a, b) => (a && b ? 1 : 0))],
  Or: (n, x) => [elementwise(n, [need(n, x, 0, 'A'), need(n, x, 1, 'B')], 'bool', (a, b) => (a || b ? 1 : 0))],
  Neg: unary((v) => -v, false),
  Abs: unary(Math.abs, false),
  Exp: unary(Math.exp),
  Log: unary(Math.log),
  Sqrt: unary(Math.sqrt),
  Reciprocal: unary((v) => 1 / v),
  Relu: unary((v) => Math.max(v, 0)),
  LeakyRelu: (n, x) => {
    const alpha = attrFloat(n, 'alpha', 0.01);
    return unary((v) => (v >= 0 ? v : alpha * v))(n, x, 0);
  },
  Elu: (n, x) => {
    const alpha = attrFloat(n, 'alpha', 1);
    return unary((v) => (v >= 0 ? v : alpha * (Math.exp(v) - 1)))(n, x, 0);
  },
  HardSigmoid: (n, x) => {
    const alpha = attrFloat(n, 'alpha', 0.2);
    const beta = attrFloat(n, 'beta', 0.5);
    return unary((v) => Math.min(Math.max(alpha * v + beta, 0), 1))(n, x, 0);
  },
  Tanh: unary(Math.tanh),
  Sigmoid: unary(sigmoid),
  Softplus: unary((v) => (v > 30 ? v : Math.log1p(Math.exp(v)))),
  Softsign: unary((v) => v / (1 + Math.abs(v))),
  Clip: clip,
  Softmax: softmaxLike(false),
  LogSoftmax: softmaxLike(true),
  ReduceSum: reduce('sum', 13),
  ReduceMean: reduce('mean', 18),
  ReduceMax: reduce('max', 18),
  ReduceMin: reduce('min', 18),
  ReduceProd: reduce('prod', 18),
  ArgMax: argmax,
  Pad: pad,
  Conv: conv,
};
