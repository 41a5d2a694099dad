/**
 * One pass over a stream of chunks (OnnxModel.runStream): a graph that a caller runs once per chunk,
 * feeding each call the state outputs of the one before, run over N chunks at once. It is exact when
 * the state reaches the next chunk only through recurrent nodes' initial_h / initial_c and Y_h / Y_c:
 * then every other value depends on its own chunk alone, so N chunks go through the encoder as one
 * batch, through each recurrent node as one forward sweep of N·T steps (the GPU layer's fused
 * kernels), and through the head as one batch.
 *
 * The graph is interpreted once per window of chunks with every value held in one or more *views*:
 *   c     the same in every chunk (initializers, shape arithmetic, inputs such as silero's `sr`)
 *   b     per chunk, stacked on a leading chunk axis: [N, ...its shape in one call]
 *   init  a function of the state inputs alone, at the start of the window
 *   fin   a function of the recurrent nodes' final states alone, at the end of the window
 * A node whose inputs share a view computes it (b: the node lifted over the chunk axis — merged into
 * Conv's batch, elementwise with the chunk axis kept apart from broadcasting, axes of Transpose,
 * Slice, Pad and Concat moved past it, a reshape relabelled, any other operator once per chunk); a node
 * that mixes views has none, and whatever needs its value fails naming it. If's condition must be c,
 * a recurrent node's initial states init and its weights c.
 *
 * Before the first window a check pass runs one chunk with the recurrent nodes as identities
 * (Y_h = initial_h, Y_c = initial_c) and the state inputs filled with distinct numbers: a state
 * output whose fin value equals a state input exactly is that input's next value (state output =
 * f(final states), initial states = g(state inputs), and f∘g must be the identity for the sweep to carry
 * the state as the chunk loop does); every recurrent node's final states must reach a state output.
 * The inputs that a condition or a weight reads must hold equal values in every chunk.
 */
import { WebRnnError } from '../../errors.js';
import type { Engine } from '../../gpu/engine.js';
import { Scope, type OnnxNode, type OnnxSubgraph } from './graph.js';
import { CPU_OPS, type Inputs } from './ops.js';
import { RECURRENT_OPS, RecurrentNodeRunner } from './recurrent.js';
import { checkedSize, makeValue, sizeOf, withElementCap, type OnnxValue } from './value.js';

/** A GPU node of the executor (Conv, recurrent). */
export interface StreamNodeRunner {
  run(engine: Engine, x: Inputs, cap: number): Promise<OnnxValue[]>;
}

/** What the pass needs of the model. */
export interface StreamHost {
  opset: number;
  runner(n: OnnxNode): StreamNodeRunner | undefined;
}

/**
 * How a model streams (see OnnxModel.streamForm): each state input with the output that carries it to
 * the next chunk, the per-chunk outputs, the inputs that must be equal in every chunk, and the
 * recurrent nodes swept.
 */
export interface OnnxStreamForm {
  /** state input → the state output fed back as it */
  state: Record<string, string>;
  /** the graph's other outputs, one value per chunk */
  outputs: string[];
  /** non-state inputs whose value decides a branch or a weight: equal in every chunk */
  constant: string[];
  /** the recurrent nodes (by path) that sweep across chunks */
  recurrent: string[];
  /** elements of the largest tensor of one chunk (a window of W chunks holds W times as many) */
  chunkElements: number;
}

interface Views {
  c?: OnnxValue;
  /** [N, ...per-chunk shape] */
  b?: OnnxValue;
  init?: OnnxValue;
  fin?: OnnxValue;
  /** graph inputs (and `#final:<node>` for a recurrent node's final states) the value depends on */
  deps: ReadonlySet<string>;
  /** set when it has no view: why */
  broken?: string;
}

const NO_DEPS: ReadonlySet<string> = new Set();
const FINAL = '#final:';

/** Shape-preserving operators of one input (others are c-valued attributes or inputs). */
const UNARY = new Set(['Relu', 'Sigmoid', 'Tanh', 'Sqrt', 'Exp', 'Log', 'Neg', 'Abs', 'Reciprocal', 'Softplus', 'Softsign', 'LeakyRelu', 'Elu', 'HardSigmoid', 'Cast', 'Not', 'Clip', 'Identity']);
/** Broadcasting operators. */
const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Where']);
/** Operators that only relabel their data's shape. */
const RESHAPES = new Set(['Reshape', 'Squeeze', 'Unsqueeze', 'Flatten']);

export function refuse(msg: string): never {
  throw new WebRnnError('BAD_CONFIG', `one pass (runStream): ${msg}`);
}

const relabel = (v: OnnxValue, shape: number[]): OnnxValue => ({ type: v.type, shape, data: v.data });
const hasView = (v: Views) => !!(v.c || v.b || v.init || v.fin);
const names = (deps: ReadonlySet<string>) => [...deps].filter((d) => !d.startsWith(FINAL)).map((d) => `"${d}"`).join(', ') || 'nothing';

/** Chunk k of a stacked value [N, ...s]: a view of its data, shape s. */
export function chunkOf(v: OnnxValue, k: number): OnnxValue {
  const s = v.shape.slice(1);
  const size = sizeOf(s);
  return { type: v.type, shape: s, data: v.data.subarray(k * size, (k + 1) * size) };
}

/** Stacks equal-shaped values on a new leading axis, the size checked against `cap` first. */
export function stack(vs: readonly OnnxValue[], cap: number, what: string): OnnxValue {
  const s = vs[0].shape;
  const size = sizeOf(s);
  checkedSize([vs.length, ...s], what, cap);
  const out = makeValue(vs[0].type, [vs.length, ...s]);
  vs.forEach((v, k) => {
    if (v.shape.join() !== s.join()) refuse(`${what}: chunk ${k} has shape [${v.shape.join(', ')}], chunk 0 [${s.join(', ')}]`);
    out.data.set(v.data, k * size);
  });
  return out;
}

/** One interpretation of the graph over N chunks (or, with `check`, the check pass over one). */
export class StreamPass {
  /** non-state inputs that a branch or weight reads (check pass) */
  readonly constant = new Set<string>();
  readonly recurrent: OnnxNode[] = [];
  /** the largest per-chunk element count of a b view (and of a recurrent node's gates) */
  chunkElements = 0;

  constructor(
    private readonly host: StreamHost,
    private readonly engine: Engine | undefined,
    private readonly cap: number,
    private readonly N: number,
    private readonly check: boolean,
    /** the graph inputs that hold the state */
    private readonly stateInputs: ReadonlySet<string>,
  ) {}

  /** Runs the nodes of `g`, their output views written into `scope`. */
  async graph(g: OnnxSubgraph, scope: Scope<Views>): Promise<void> {
    for (const n of g.nodes) {
      const ins = scope.inputsOf(n);
      let outs: Views[];
      try {
        outs = await this.node(n, ins, scope);
      } catch (e) {
        if (e instanceof WebRnnError && !e.message.startsWith('ONNX node') && !e.message.startsWith('one pass')) throw new WebRnnError(e.code, `ONNX node "${n.name}" (${n.opType}): ${e.message}`);
        throw e;
      }
      n.outputs.forEach((name, k) => {
        if (name !== '') scope.set(name, outs[k] ?? { deps: NO_DEPS, broken: `node "${n.name}" (${n.opType}) has no output ${k}` });
      });
    }
  }

  private async node(n: OnnxNode, ins: (Views | undefined)[], scope: Scope<Views>): Promise<Views[]> {
    const present = ins.filter((v): v is Views => v !== undefined);
    const deps = new Set<string>();
    for (const v of present) for (const d of v.deps) deps.add(d);
    const lost = present.find((v) => !hasView(v));
    if (lost) return n.outputs.map(() => ({ deps, broken: lost.broken }));
    if (n.opType === 'Shape' || n.opType === 'Size') {
      return (await this.exact(n, ins.map((v) => v && this.representative(v)))).map((c) => ({ c, deps: NO_DEPS }));
    }
    if (n.opType === 'If') return this.branch(n, ins[0]!, scope);
    if (present.every((v) => v.c)) return (await this.exact(n, ins.map((v) => v?.c))).map((c) => ({ c, deps }));
    if ((RECURRENT_OPS as readonly string[]).includes(n.opType)) return this.sweep(n, ins, deps);
    const outs: Views[] = n.outputs.map(() => ({ deps }));
    const all = (view: 'b' | 'init' | 'fin') => present.every((v) => v[view] || v.c) && present.some((v) => v[view]);
    if (all('b')) {
      const b = await this.lifted(n, ins.map((v) => v && (v.b ? { v: v.b, b: true } : { v: v.c!, b: false })));
      b.forEach((v, k) => {
        outs[k].b = v;
        this.chunkElements = Math.max(this.chunkElements, v.data.length / this.N);
      });
    }
    for (const view of ['init', 'fin'] as const) {
      if (all(view)) (await this.exact(n, ins.map((v) => v && (v[view] ?? v.c)))).forEach((v, k) => (outs[k][view] = v));
    }
    if (!outs.some(hasView)) {
      const kinds = (v: Views) => (v.b ? 'a per-chunk value' : v.init ? 'the state inputs' : 'the final state');
      const mixed = [...new Set(present.filter((v) => !v.c).map(kinds))].join(' with ');
      for (const o of outs) o.broken = `node "${n.name}" (${n.opType}) combines ${mixed} (it reads ${names(deps)})`;
    }
    return outs;
  }

  /** One chunk's value (shape and shape-derived answers are the same in every chunk). */
  private representative(v: Views): OnnxValue {
    return v.c ?? v.init ?? v.fin ?? chunkOf(v.b!, 0);
  }

  /** A value that must be the same in every chunk; the check pass records which inputs it reads. */
  private constantOf(v: Views, what: string): OnnxValue {
    if (v.c) return v.c;
    const state = v.init || v.fin || [...v.deps].some((d) => d.startsWith(FINAL) || this.stateInputs.has(d));
    if (this.check && v.b && !state) {
      for (const d of v.deps) this.constant.add(d);
      return chunkOf(v.b, 0);
    }
    if (!hasView(v)) refuse(`${what} cannot be computed: ${v.broken}`);
    refuse(`${what} must be the same in every chunk, but it depends on ${state ? 'the state' : `${names(v.deps)}, which differ between chunks`}`);
  }

  /** A node on one set of values: its GPU runner (outside the check pass) or its CPU kernel. */
  private async exact(n: OnnxNode, xs: Inputs): Promise<OnnxValue[]> {
    const runner = this.check ? undefined : this.host.runner(n);
    if (runner) return runner.run(this.engine!, xs, this.cap);
    const kernel = CPU_OPS[n.opType];
    if (!kernel) refuse(`node "${n.name}" (${n.opType}) has no form here`);
    return withElementCap(this.cap, () => kernel(n, xs, this.host.opset));
  }

  private async branch(n: OnnxNode, cond: Views, outer: Scope<Views>): Promise<Views[]> {
    const c = this.constantOf(cond, `the condition of If "${n.name}"`);
    if (c.data.length !== 1) throw new WebRnnError('BAD_VALUE', `ONNX node "${n.name}" (If): the condition must hold one element, got shape [${c.shape.join(', ')}]`);
    const attr = n.attrs.get(c.data[0] ? 'then_branch' : 'else_branch');
    if (attr?.kind !== 'graph') throw new WebRnnError('BAD_FILE', `ONNX node "${n.name}" (If) has no branch graph`);
    const g = attr.value;
    const scope = new Scope<Views>(outer, constants(g));
    await this.graph(g, scope);
    return g.outputs.map((o) => scope.get(o.name) ?? { deps: NO_DEPS, broken: `If "${n.name}": branch output "${o.name}" is not provided` });
  }

  /**
   * A recurrent node over all N chunks: one forward sweep of N·T steps from the window's initial
   * states. Y per chunk; Y_h per chunk is Y's last step of that chunk; Y_c exists only as the final state.
   */
  private async sweep(n: OnnxNode, ins: (Views | undefined)[], deps: Set<string>): Promise<Views[]> {
    const runner = this.host.runner(n);
    if (!(runner instanceof RecurrentNodeRunner)) throw new WebRnnError('BAD_STATE', `no recurrent layer for node "${n.name}"`);
    const a = runner.attrs;
    const what = `recurrent node "${n.name}" (${n.opType})`;
    if (a.direction !== 'forward') refuse(`${what} runs ${a.direction}: only a forward recurrence carries across chunks in one sweep`);
    if (a.layout !== 0) refuse(`${what} has layout ${a.layout}: one pass handles layout 0 (time-major)`);
    const [X, W, R, B, seq, h0, c0, P] = ins;
    const states = n.opType === 'LSTM' ? [[h0, 'initial_h'], [c0, 'initial_c']] as const : [[h0, 'initial_h']] as const;
    for (const [v, name] of states) {
      if (!v) refuse(`${what} has no ${name}: every chunk starts it from zeros, so no state is carried`);
      if (!v.init) refuse(`${what}: ${name} must come from the state inputs alone (a carried state), but ${v.c ? 'it is the same constant in every chunk' : v.broken ?? `it depends on ${names(v.deps)}`}`);
    }
    const fixed = ([[W, 'W'], [R, 'R'], [B, 'B'], [P, 'P']] as const).map(([v, name]) => v && this.constantOf(v, `input ${name} of ${what}`));
    if (!X || !(X.b || X.c)) refuse(`${what}: X ${X ? `cannot be computed per chunk: ${X.broken ?? `it depends on the state (${names(X.deps)})`}` : 'is missing'}`);
    const x = X.b ?? stack(Array.from({ length: this.N }, () => X.c!), this.cap, `${what} X`);
    const [T, Bt, I] = x.shape.slice(1);
    if (x.shape.length !== 4) refuse(`${what}: X must be 3-D in each chunk, got [${x.shape.slice(1).join(', ')}]`);
    const lens = seq && this.constantOf(seq, `sequence_lens of ${what}`);
    if (lens && Array.from(lens.data).some((l) => l !== T)) refuse(`${what}: sequence_lens [${Array.from(lens.data).join(', ')}] is shorter than the chunk's ${T} steps; a sweep needs every step`);
    const R_ = fixed[1]!;
    const H = R_.shape[2];
    const G = n.opType === 'LSTM' ? 4 : n.opType === 'GRU' ? 3 : 1;
    this.chunkElements = Math.max(this.chunkElements, T * Bt * Math.max(I, G * H));
    this.recurrent.push(n);
    const final = (k: number) => new Set([...deps, `${FINAL}${n.name}:${k}`]);
    let y: OnnxValue;
    let fin: OnnxValue[];
    if (this.check) {
      y = makeValue('float32', [this.N * T, 1, Bt, H]);
      fin = states.map(([v]) => v!.init!);
    } else {
      const N = this.N;
      checkedSize([N * T, Bt, G * H], `${what}: ${N} chunks of ${T} steps`, this.cap);
      const out = await runner.run(this.engine!, [relabel(x, [N * T, Bt, I]), fixed[0], R_, fixed[2], undefined, h0!.init, c0?.init, fixed[3]]);
      y = out[0];
      fin = out.slice(1);
    }
    const yb = relabel(y, [this.N, T, 1, Bt, H]);
    const last = makeValue('float32', [this.N, 1, Bt, H]);
    for (let k = 0; k < this.N; k++) last.data.set(yb.data.subarray(((k * T + T - 1) * Bt) * H, ((k * T + T) * Bt) * H), k * Bt * H);
    const outs: Views[] = [{ b: yb, deps }, { b: last, fin: fin[0], deps: final(1) }];
    if (n.opType === 'LSTM') outs.push({ fin: fin[1], deps: final(2) });
    return outs.slice(0, n.outputs.length);
  }

  /** A node over N chunks stacked on axis 0 (inputs flagged b), c inputs as they are. */
  private async lifted(n: OnnxNode, xs: ({ v: OnnxValue; b: boolean } | undefined)[]): Promise<OnnxValue[]> {
    const N = this.N;
    const op = n.opType;
    const stacked = xs.flatMap((x, i) => (x?.b ? [i] : []));
    const only0 = stacked.length === 1 && stacked[0] === 0;
    const vs = xs.map((x) => x?.v);
    const data = vs[0]!;
    const s = data.shape.slice(1);
    if (op === 'Conv' && only0) {
      // the chunk axis joins Conv's batch axis
      const [y] = await this.exact(n, [relabel(data, [N * s[0], ...s.slice(1)]), ...vs.slice(1)]);
      return [relabel(y, [N, s[0], ...y.shape.slice(1)])];
    }
    if (UNARY.has(op) && only0) return this.exact(n, vs);
    const probe = await this.exact(n, xs.map((x) => x && (x.b ? chunkOf(x.v, 0) : x.v)));
    const shaped = (out: OnnxValue[]) => {
      if (out.length !== probe.length || out.some((o, k) => o.shape.join() !== [N, ...probe[k].shape].join())) throw new WebRnnError('BAD_STATE', `node "${n.name}" (${op}) over ${N} chunks gave shape [${out[0]?.shape.join(', ')}], one chunk [${probe[0].shape.join(', ')}]`);
      return out;
    };
    const r = s.length;
    const axis = (a: number) => (a < 0 ? a + r : a) + 1;
    const ints = (v: number[]) => makeValue('int64', [v.length], v);
    const withAttr = (name: string, value: number | number[]): OnnxNode => {
      const attrs = new Map(n.attrs);
      attrs.set(name, typeof value === 'number' ? { kind: 'int', value } : { kind: 'ints', value });
      return { ...n, attrs };
    };
    const cpu = (m: OnnxNode, x: Inputs) => shaped(withElementCap(this.cap, () => CPU_OPS[op](m, x, this.host.opset)));
    if (RESHAPES.has(op) && only0) return [relabel(data, [N, ...probe[0].shape])];
    if (ELEMENTWISE.has(op)) {
      // keep the chunk axis out of broadcasting: a stacked input of lower rank gets 1s after it
      const rank = probe[0].shape.length;
      return cpu(n, xs.map((x) => x && (x.b ? relabel(x.v, [N, ...Array(rank - x.v.shape.length + 1).fill(1), ...x.v.shape.slice(1)]) : x.v)));
    }
    if (op === 'Transpose' && only0) {
      const a = n.attrs.get('perm');
      const perm = a?.kind === 'ints' ? a.value : [...Array(r).keys()].reverse();
      return cpu(withAttr('perm', [0, ...perm.map(axis)]), vs);
    }
    if (op === 'Slice' && only0 && this.host.opset >= 10) {
      const starts = vs[1]!.data;
      const axes = vs[3] ? Array.from(vs[3].data) : Array.from(starts, (_, i) => i);
      return cpu(n, [data, vs[1], vs[2], ints(axes.map(axis)), vs[4]]);
    }
    if (op === 'Pad' && only0 && this.host.opset >= 11) {
      if (vs[3]) return cpu(n, [data, vs[1], vs[2], ints(Array.from(vs[3].data, axis))]);
      const pads = Array.from(vs[1]!.data);
      return cpu(n, [data, ints([0, ...pads.slice(0, r), 0, ...pads.slice(r)]), vs[2]]);
    }
    if (op === 'Concat' && stacked.length === xs.filter(Boolean).length) {
      const a = n.attrs.get('axis');
      return cpu(withAttr('axis', axis(a?.kind === 'int' ? a.value : 0)), vs);
    }
    // any other operator: once per chunk
    const outs = probe.map((p, k) => {
      checkedSize([N, ...p.shape], `node "${n.name}" (${op}) output ${k} over ${N} chunks`, this.cap);
      const o = makeValue(p.type, [N, ...p.shape]);
      o.data.set(p.data);
      return o;
    });
    for (let c = 1; c < N; c++) {
      const got = await this.exact(n, xs.map((x) => x && (x.b ? chunkOf(x.v, c) : x.v)));
      got.forEach((g, k) => {
        if (g.shape.join() !== probe[k].shape.join()) refuse(`node "${n.name}" (${op}) gives shape [${g.shape.join(', ')}] in chunk ${c}, [${probe[k].shape.join(', ')}] in chunk 0`);
        outs[k].data.set(g.data, c * g.data.length);
      });
    }
    return outs;
  }
}

/** A graph's initializers as c views. */
export function constants(g: OnnxSubgraph): Map<string, Views> {
  return new Map([...g.initializers].map(([k, v]) => [k, { c: v, deps: NO_DEPS }]));
}

/** The check pass: one chunk, the recurrent nodes as identities, the state inputs distinct numbers. */
export async function streamForm(host: StreamHost, g: OnnxSubgraph, chunk: Record<string, OnnxValue>, state: Record<string, OnnxValue>, cap: number): Promise<OnnxStreamForm> {
  const pass = new StreamPass(host, undefined, cap, 1, true, new Set(Object.keys(state)));
  const scope = new Scope<Views>(undefined, constants(g));
  let next = 1;
  const marked: Record<string, OnnxValue> = {};
  for (const [k, v] of Object.entries(state)) {
    if (next + v.data.length > 2 ** 24) refuse(`the state inputs hold more than 2^24 elements`);
    marked[k] = makeValue(v.type, v.shape, Array.from(v.data, () => next++));
    scope.set(k, { init: marked[k], deps: new Set([k]) });
  }
  for (const [k, v] of Object.entries(chunk)) scope.set(k, { b: relabel(v, [1, ...v.shape]), deps: new Set([k]) });
  await pass.graph(g, scope);
  const form: OnnxStreamForm = { state: {}, outputs: [], constant: [], recurrent: pass.recurrent.map((n) => n.name), chunkElements: pass.chunkElements };
  if (!pass.recurrent.length) refuse('the graph has no recurrent node to carry a state');
  const carried = new Set<string>();
  for (const o of g.outputs) {
    const v = scope.get(o.name)!;
    const input = v.fin && Object.keys(marked).find((k) => !(k in form.state) && sameValue(v.fin!, marked[k]));
    if (input) {
      form.state[input] = o.name;
      for (const d of v.deps) carried.add(d);
    } else if (v.b || v.c) form.outputs.push(o.name);
    else refuse(`graph output "${o.name}" is neither computed per chunk nor a state input's next value: ${v.broken ?? (v.fin ? 'it is computed from the final state but does not give back any state input' : `it depends on the state inputs (${names(v.deps)})`)}`);
  }
  for (const k of Object.keys(state)) if (!(k in form.state)) refuse(`no graph output gives back the state input "${k}" (the recurrent nodes' final states, sliced and reshaped, must reproduce it for the next chunk)`);
  for (const n of pass.recurrent) {
    const count = n.opType === 'LSTM' ? 2 : 1;
    for (let k = 1; k <= count; k++) if (!carried.has(`${FINAL}${n.name}:${k}`)) refuse(`the final ${k === 1 ? 'Y_h' : 'Y_c'} of recurrent node "${n.name}" reaches no state output, so the next chunk would not start from it`);
  }
  form.constant = [...pass.constant].filter((k) => k in chunk).sort();
  return form;
}

function sameValue(a: OnnxValue, b: OnnxValue): boolean {
  return a.shape.join() === b.shape.join() && a.data.every((v, i) => v === b.data[i]);
}

/** Runs one window of chunks from `state`; returns each chunk's outputs and the next state. */
export async function streamWindow(host: StreamHost, engine: Engine, g: OnnxSubgraph, form: OnnxStreamForm, chunks: readonly Record<string, OnnxValue>[], state: Record<string, OnnxValue>, cap: number): Promise<{ outputs: Record<string, OnnxValue>[]; state: Record<string, OnnxValue> }> {
  const N = chunks.length;
  const pass = new StreamPass(host, engine, cap, N, false, new Set(Object.keys(state)));
  const scope = new Scope<Views>(undefined, constants(g));
  for (const [k, v] of Object.entries(state)) scope.set(k, { init: v, deps: new Set([k]) });
  for (const k of Object.keys(chunks[0])) {
    if (form.constant.includes(k)) scope.set(k, { c: chunks[0][k], deps: NO_DEPS });
    else scope.set(k, { b: stack(chunks.map((c) => c[k]), cap, `input "${k}" of ${N} chunks`), deps: new Set([k]) });
  }
  await pass.graph(g, scope);
  const outputs = chunks.map(() => ({}) as Record<string, OnnxValue>);
  for (const o of form.outputs) {
    const v = scope.get(o)!;
    if (!v.b && !v.c) refuse(`graph output "${o}": ${v.broken ?? 'not computed per chunk'}`);
    outputs.forEach((out, k) => {
      const x = v.b ? chunkOf(v.b, k) : v.c!;
      out[o] = { type: x.type, shape: [...x.shape], data: x.data.slice() };
    });
  }
  const next: Record<string, OnnxValue> = {};
  for (const [input, output] of Object.entries(form.state)) {
    const fin = scope.get(output)?.fin;
    if (!fin) refuse(`state output "${output}" has no final value`);
    next[input] = fin;
  }
  return { outputs, state: next };
}
