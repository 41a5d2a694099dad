/**
 * Runs an ONNX graph: recurrent nodes (LSTM, GRU, RNN) on webrnn's GPU layers, float32 Conv on the
 * GPU kernel conv2d_fwd (conv-gpu.ts), `If` here (its
 * condition first, then the chosen branch with the outer scope visible), every other node on the CPU
 * executor (ops.ts). Loading checks the whole graph and every subgraph before any GPU work —
 * operators outside the supported set and unsupported recurrent attributes are errors that name the
 * node by its path (`If_3/then_branch/LSTM_1`).
 */
import { WebRnnError } from '../../errors.js';
import type { Engine } from '../../gpu/engine.js';
import { parseOnnx, Scope, type OnnxGraph, type OnnxIo, type OnnxNode, type OnnxSubgraph } from './graph.js';
import { CPU_OPS } from './ops.js';
import { aliasRunner, ConvNodeRunner, toHost, type Held } from './conv-gpu.js';
import { RECURRENT_OPS, RecurrentNodeRunner, recurrentAttrs } from './recurrent.js';
import { knownKeys } from '../../checks.js';
import { maxElementsOption, withElementCap, type OnnxValue } from './value.js';
import { refuse, streamForm, streamWindow, type OnnxStreamForm, type StreamHost } from './stream.js';

export type { OnnxStreamForm } from './stream.js';

/** Operators that run subgraphs: the executor itself runs them. */
const CONTROL_OPS = ['If'] as const;

/** Every operator the executor runs (default ONNX domain). */
export const SUPPORTED_ONNX_OPS: readonly string[] = [...RECURRENT_OPS, ...CONTROL_OPS, ...Object.keys(CPU_OPS)].sort();

/**
 * Options of {@link OnnxModel.load} and {@link OnnxModel.run}. `maxElements`: the most elements one
 * tensor of the CPU executor may have (default 2²⁷ = {@link DEFAULT_MAX_ELEMENTS}, at most 2³¹ − 1); an
 * operator whose output would be larger throws DEVICE_LIMIT naming the node, operator and shape before
 * allocating it. A run's option overrides the model's.
 */
export interface OnnxOptions {
  maxElements?: number;
}

/**
 * Options of {@link OnnxModel.runStream}: `windowChunks`, the most chunks one pass holds at once (default:
 * as many as keep the largest tensor of a window within 2²² elements, 16 MiB of float32, and within the
 * element cap and the device's largest storage binding); more chunks run window after window, the
 * state carried between them.
 */
export interface OnnxStreamOptions extends OnnxOptions {
  windowChunks?: number;
}

/** What {@link OnnxModel.runStream} returns. */
export interface OnnxStreamResult {
  /** per chunk, the graph's outputs other than the state outputs (silero: `output`) */
  outputs: Record<string, OnnxValue>[];
  /** the final state, keyed by the state INPUT names (silero legacy: h, c; v5/v6: state), ready to feed back */
  state: Record<string, OnnxValue>;
}

/** Default window: its largest tensor at most this many elements. */
const WINDOW_ELEMENTS = 2 ** 22;

/**
 * An ONNX model ready to run.
 *
 * @example
 * const model = await OnnxModel.load(readFileSync('lstm.onnx'));
 * const engine = await createEngine();
 * const out = await model.run(engine, { x: { type: 'float32', shape: [5, 2, 3], data: new Float32Array(30) } });
 * console.log(out.y.shape);
 * model.dispose();
 */
export class OnnxModel {
  readonly graph: OnnxGraph;
  private readonly runners = new Map<OnnxNode, NodeRunner>();
  private engine: Engine | undefined;
  private readonly maxElements: number;

  private constructor(graph: OnnxGraph, maxElements: number) {
    this.graph = graph;
    this.maxElements = maxElements;
    const unsupported = new Map<string, string[]>();
    this.checkGraph(graph, new Set(), unsupported);
    if (unsupported.size) {
      const list = [...unsupported].map(([op, nodes]) => `${op} (${nodes.slice(0, 3).map((s) => `"${s}"`).join(', ')}${nodes.length > 3 ? `, … ${nodes.length} nodes` : ''})`);
      throw new WebRnnError('BAD_FILE', `unsupported ONNX operator${unsupported.size > 1 ? 's' : ''}: ${list.join('; ')}. Supported: ${SUPPORTED_ONNX_OPS.join(', ')}`);
    }
    this.fuseConvRelu();
  }

  /**
   * A Relu whose input is a Conv's output that nothing else reads (no other node in any graph, no
   * graph output) runs inside that Conv (conv2d_fwd's relu variant); the Relu node hands its input on.
   */
  private fuseConvRelu(): void {
    const readers = new Map<string, { node: OnnxNode; graph: OnnxSubgraph }[]>();
    const outputs = new Set<string>();
    const walk = (g: OnnxSubgraph) => {
      for (const o of g.outputs) outputs.add(o.name);
      for (const n of g.nodes) {
        for (const i of n.inputs) if (i !== '') readers.set(i, [...(readers.get(i) ?? []), { node: n, graph: g }]);
        for (const a of n.attrs.values()) {
          if (a.kind === 'graph') walk(a.value);
          if (a.kind === 'graphs') a.value.forEach(walk);
        }
      }
    };
    walk(this.graph);
    for (const [n, runner] of this.runners) {
      if (!(runner instanceof ConvNodeRunner) || outputs.has(n.outputs[0])) continue;
      const r = readers.get(n.outputs[0]) ?? [];
      const relu = r[0]?.node;
      if (r.length !== 1 || relu.opType !== 'Relu' || relu.inputs.length !== 1 || !r[0].graph.nodes.includes(n)) continue;
      runner.relu = true;
      this.runners.set(relu, aliasRunner);
    }
  }

  /**
   * Checks one graph and, depth first, every subgraph its nodes hold: single writers, operators
   * (unsupported ones collected in `unsupported` by path), recurrent attributes, If's branches, and that
   * every output is produced in the graph or visible from an enclosing one (`outer`).
   */
  private checkGraph(g: OnnxSubgraph, outer: ReadonlySet<string>, unsupported: Map<string, string[]>, owner?: string): void {
    checkSingleWriters(g);
    const visible = new Set(outer);
    for (const i of g.inputs) visible.add(i.name);
    for (const k of g.initializers.keys()) visible.add(k);
    for (const n of g.nodes) for (const o of n.outputs) if (o !== '') visible.add(o);
    for (const n of g.nodes) {
      const op = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}:${n.opType}` : n.opType;
      if ((n.domain && n.domain !== 'ai.onnx') || !SUPPORTED_ONNX_OPS.includes(n.opType)) {
        if (!unsupported.has(op)) unsupported.set(op, []);
        unsupported.get(op)!.push(n.name);
        continue;
      }
      if ((RECURRENT_OPS as readonly string[]).includes(n.opType)) this.runners.set(n, new RecurrentNodeRunner(n, recurrentAttrs(n)));
      if (n.opType === 'Conv') this.runners.set(n, new ConvNodeRunner(n));
      if (n.opType === 'If') {
        for (const k of n.attrs.keys()) if (k !== 'then_branch' && k !== 'else_branch') throw new WebRnnError('BAD_FILE', `ONNX node "${n.name}" (If): unsupported attribute "${k}"`);
        for (const k of ['then_branch', 'else_branch']) {
          const b = n.attrs.get(k);
          if (b?.kind !== 'graph') throw new WebRnnError('BAD_FILE', `ONNX node "${n.name}" (If): attribute ${k} must be a graph`);
          if (b.value.inputs.length) throw new WebRnnError('BAD_FILE', `ONNX node "${n.name}" (If): ${k} declares inputs (${b.value.inputs.map((i) => i.name).join(', ')}); an If branch takes none`);
          if (b.value.outputs.length !== n.outputs.length) throw new WebRnnError('BAD_FILE', `ONNX node "${n.name}" (If): ${k} has ${b.value.outputs.length} outputs, the node ${n.outputs.length}`);
        }
      }
      for (const a of n.attrs.values()) {
        if (a.kind === 'graph') this.checkGraph(a.value, visible, unsupported, n.name);
        if (a.kind === 'graphs') for (const sub of a.value) this.checkGraph(sub, visible, unsupported, n.name);
      }
    }
    for (const o of g.outputs) {
      if (!visible.has(o.name)) throw new WebRnnError('BAD_FILE', `${owner ? `a subgraph of ONNX node "${owner}": ` : ''}graph output "${o.name}" is produced by no node`);
    }
  }

  /** Parses and checks a .onnx file (no GPU work). */
  static async load(bytes: Uint8Array, source = 'model', options?: OnnxOptions): Promise<OnnxModel> {
    const cap = capOf(options, 'OnnxModel.load options');
    return new OnnxModel(await parseOnnx(bytes, source), cap ?? maxElementsOption(undefined, ''));
  }

  /** The inputs a caller feeds (graph inputs that are not initializers). */
  get inputs(): readonly OnnxIo[] {
    return this.graph.inputs;
  }

  get outputs(): readonly OnnxIo[] {
    return this.graph.outputs;
  }

  /** Checks feeds against the graph's declared inputs: every one present, types equal, fixed dimensions equal (a declared scalar: one element, any rank). */
  checkFeeds(feeds: Record<string, OnnxValue>, source = 'inputs'): void {
    for (const k of Object.keys(feeds)) {
      if (!this.graph.inputs.some((i) => i.name === k)) throw new WebRnnError('BAD_FILE', `${source}: "${k}" is not an input of the graph (inputs: ${this.graph.inputs.map((i) => i.name).join(', ')})`);
    }
    for (const i of this.graph.inputs) {
      const v = feeds[i.name];
      if (!v) throw new WebRnnError('BAD_FILE', `${source}: missing graph input "${i.name}" (${i.typeName}${i.shape ? ` [${i.shape.map((d) => d ?? '?').join(', ')}]` : ''})`);
      if (i.type && v.type !== i.type) throw new WebRnnError('BAD_FILE', `${source}: "${i.name}" must be ${i.type}, got ${v.type}`);
      // A declared scalar takes any one-element tensor ([1], [1, 1]), as onnxruntime does (vad-web feeds
      // silero's scalar `sr` as [1]); onnxruntime skips the check for scalars entirely, webrnn still wants one element.
      if (i.shape && i.shape.length === 0) {
        if (v.data.length !== 1) throw new WebRnnError('BAD_SHAPE', `${source}: "${i.name}" has shape [${v.shape.join(', ')}], the graph declares a scalar (one element)`);
      } else if (i.shape) {
        const ok = v.shape.length === i.shape.length && i.shape.every((d, k) => typeof d !== 'number' || d === v.shape[k]);
        if (!ok) throw new WebRnnError('BAD_SHAPE', `${source}: "${i.name}" has shape [${v.shape.join(', ')}], the graph declares [${i.shape.map((d) => d ?? '?').join(', ')}]`);
      }
    }
  }

  /** Runs the graph; returns every graph output by name. */
  async run(engine: Engine, feeds: Record<string, OnnxValue>, options?: OnnxOptions): Promise<Record<string, OnnxValue>> {
    const cap = capOf(options, 'OnnxModel.run options') ?? this.maxElements;
    this.checkFeeds(feeds);
    this.bind(engine);
    const scope = new Scope<Held>(undefined, this.graph.initializers);
    for (const [k, v] of Object.entries(feeds)) scope.set(k, v);
    await this.runGraph(this.graph, scope, engine, cap);
    const result: Record<string, OnnxValue> = {};
    for (const o of this.graph.outputs) result[o.name] = await toHost(scope.get(o.name)!);
    return result;
  }

  /** The GPU runners belong to one engine at a time. */
  private bind(engine: Engine): void {
    if (this.engine !== engine) {
      for (const r of this.runners.values()) r.dispose();
      this.engine = engine;
    }
  }

  private get streamHost(): StreamHost {
    return { opset: this.graph.opset, runner: (n) => this.runners.get(n) };
  }

  /**
   * Whether (and how) the model runs a stream of chunks in one pass ({@link OnnxModel.runStream}): it
   * does when the state reaches the next call only through recurrent nodes' initial_h / initial_c and
   * Y_h / Y_c (reshaped, sliced, concatenated, inside If branches or not), and the branches taken and
   * the weights do not depend on the chunk's data. `chunk` holds one call's non-state inputs, `state`
   * the state inputs (their values do not matter: the check runs one chunk on the CPU with the
   * recurrent nodes as identities). Throws WebRnnError('BAD_CONFIG') naming what breaks the form.
   *
   * @example
   * const vad = await OnnxModel.load(readFileSync('silero_vad_v5.onnx'));
   * const input: OnnxValue = { type: 'float32', shape: [1, 512], data: new Float32Array(512) };
   * const sr = makeValue('int64', [1], [16000]);
   * const state: OnnxValue = { type: 'float32', shape: [2, 1, 128], data: new Float32Array(256) };
   * const form = await vad.streamForm({ input, sr }, { state });
   * // { state: { state: 'stateN' }, outputs: ['output'], constant: ['sr'], recurrent: [...], chunkElements: 774 }
   */
  async streamForm(chunk: Record<string, OnnxValue>, state: Record<string, OnnxValue>, options?: OnnxOptions): Promise<OnnxStreamForm> {
    const cap = capOf(options, 'OnnxModel.streamForm options') ?? this.maxElements;
    for (const k of Object.keys(state)) if (k in chunk) throw new WebRnnError('BAD_CONFIG', `streamForm: "${k}" is given both as a chunk input and as a state input`);
    this.checkFeeds({ ...chunk, ...state }, 'chunk 0 and the state');
    return streamForm(this.streamHost, this.graph, chunk, state, cap);
  }

  /**
   * Runs a whole stream of chunks in one pass — what a caller would get by calling {@link run} on each
   * chunk in turn with the state outputs of the previous call fed back, but with each window of chunks
   * run as one batch through the layers before and after the recurrent nodes and as one sweep through
   * each recurrent node (see {@link streamForm} for the condition; the chunks' constant inputs, such
   * as silero's `sr`, must be equal in all chunks). `chunks[i]`: call i's non-state inputs, all chunks
   * of equal shapes; `state`: the initial state inputs.
   *
   * @example
   * // silero VAD v5: 512 samples a chunk, state [2, 1, 128]; frames: Float32Array(512)[] of 16 kHz audio
   * const vad = await OnnxModel.load(readFileSync('silero_vad_v5.onnx'));
   * const frames = [new Float32Array(512), new Float32Array(512)];
   * const sr = makeValue('int64', [1], [16000]);
   * const chunks = frames.map((f): Record<string, OnnxValue> => ({ input: { type: 'float32', shape: [1, 512], data: f }, sr }));
   * const zeros: OnnxValue = { type: 'float32', shape: [2, 1, 128], data: new Float32Array(256) };
   * const { outputs, state } = await vad.runStream(engine, chunks, { state: zeros });
   * const probs = outputs.map((o) => o.output.data[0]);       // state.state: feed it to the next call
   */
  async runStream(engine: Engine, chunks: Record<string, OnnxValue>[], state: Record<string, OnnxValue>, options?: OnnxStreamOptions): Promise<OnnxStreamResult> {
    if (options !== undefined) knownKeys('OnnxModel.runStream options', options, ['maxElements', 'windowChunks']);
    const cap = capOf(options && { maxElements: options.maxElements }, 'OnnxModel.runStream options') ?? this.maxElements;
    const w = options?.windowChunks;
    if (w !== undefined && !(Number.isSafeInteger(w) && w >= 1)) throw new WebRnnError('BAD_CONFIG', `OnnxModel.runStream options: windowChunks must be a positive integer, got ${JSON.stringify(w)}`);
    if (!Array.isArray(chunks) || chunks.length === 0) throw new WebRnnError('BAD_VALUE', 'runStream: chunks must be a non-empty array of per-call inputs');
    const form = await this.streamForm(chunks[0], state, { maxElements: cap });
    const first = chunks[0];
    chunks.forEach((c, i) => {
      this.checkFeeds({ ...c, ...state }, `chunk ${i} and the state`);
      for (const k of Object.keys(first)) {
        if (c[k].shape.join() !== first[k].shape.join()) refuse(`input "${k}" has shape [${c[k].shape.join(', ')}] in chunk ${i}, [${first[k].shape.join(', ')}] in chunk 0; every chunk must have the same shapes`);
        if (form.constant.includes(k) && c[k].data.some((v, j) => v !== first[k].data[j])) refuse(`input "${k}" differs between chunk 0 and chunk ${i}; it decides a branch or a weight of the graph, so it must be equal in every chunk (run such chunks separately)`);
      }
    });
    const per = Math.max(1, form.chunkElements);
    const binding = Math.floor(engine.limits.maxStorageBufferBindingSize / 4 / per);
    const window = Math.min(w ?? Math.max(1, Math.floor(WINDOW_ELEMENTS / per)), Math.floor(cap / per), binding);
    if (window < 1) throw new WebRnnError('DEVICE_LIMIT', `runStream: one chunk needs a tensor of ${per} elements, more than the element cap (${cap}) or the device's largest storage binding allows`);
    this.bind(engine);
    const outputs: Record<string, OnnxValue>[] = [];
    let carried = state;
    for (let a = 0; a < chunks.length; a += window) {
      const r = await streamWindow(this.streamHost, engine, this.graph, form, chunks.slice(a, a + window), carried, cap);
      outputs.push(...r.outputs);
      carried = r.state;
    }
    return { outputs, state: carried };
  }

  /** Runs the nodes of `g` in order, writing their outputs into `scope` (the graph's own). */
  private async runGraph(g: OnnxSubgraph, scope: Scope<Held>, engine: Engine, cap: number): Promise<void> {
    const { opset } = this.graph;
    for (const n of g.nodes) {
      const inputs = scope.inputsOf(n);
      let outs: Held[];
      try {
        const runner = this.runners.get(n);
        // GPU operators that take GPU values get them as they are; everything else reads them back
        const host = () => Promise.all(inputs.map((v) => v && toHost(v)));
        if (runner?.runHeld) outs = await runner.runHeld(engine, inputs, cap);
        else if (runner) outs = await runner.run(engine, await host(), cap);
        else if (n.opType === 'If') outs = await this.runIf(n, await host(), scope, engine, cap);
        else {
          const x = await host();
          outs = withElementCap(cap, () => CPU_OPS[n.opType](n, x, opset));
        }
      } catch (e) {
        if (e instanceof WebRnnError && !e.message.startsWith('ONNX node')) throw new WebRnnError(e.code, `ONNX node "${n.name}" (${n.opType}): ${e.message}`);
        throw e;
      }
      n.outputs.forEach((name, k) => {
        if (name === '') return;
        if (!outs[k]) throw new WebRnnError('BAD_FILE', `ONNX node "${n.name}" (${n.opType}) has no output ${k} ("${name}")`);
        scope.set(name, outs[k]);
      });
    }
  }

  /** ONNX If: the condition (one element) picks a branch, which runs in a scope that sees `outer`. */
  private async runIf(n: OnnxNode, inputs: (OnnxValue | undefined)[], outer: Scope<Held>, engine: Engine, cap: number): Promise<Held[]> {
    const cond = inputs[0];
    if (!cond) throw new WebRnnError('BAD_FILE', 'missing input 0 (cond)');
    if (cond.data.length !== 1) throw new WebRnnError('BAD_VALUE', `the condition must hold one element, got shape [${cond.shape.join(', ')}]`);
    const attr = n.attrs.get(cond.data[0] ? 'then_branch' : 'else_branch');
    if (attr?.kind !== 'graph') throw new WebRnnError('BAD_FILE', 'has no branch graph');
    const branch = attr.value;
    const scope = new Scope<Held>(outer, branch.initializers);
    await this.runGraph(branch, scope, engine, cap);
    return branch.outputs.map((o) => {
      const v = scope.get(o.name);
      if (!v) throw new WebRnnError('BAD_FILE', `branch output "${o.name}" is not provided`);
      return v;
    });
  }

  /** Frees the GPU layers of the recurrent nodes. */
  dispose(): void {
    for (const r of this.runners.values()) r.dispose();
    this.engine = undefined;
  }
}

/**
 * A node that runs on the GPU (recurrent layers, Conv, a Relu fused into its Conv), built once and
 * reused across runs; `runHeld`, where present, takes and gives values left on the GPU.
 */
interface NodeRunner {
  run(engine: Engine, x: (OnnxValue | undefined)[], cap: number): Promise<OnnxValue[]>;
  runHeld?(engine: Engine, x: (Held | undefined)[], cap: number): Promise<Held[]>;
  dispose(): void;
}

function capOf(options: OnnxOptions | undefined, what: string): number | undefined {
  if (options === undefined) return undefined;
  knownKeys(what, options, ['maxElements']);
  return options.maxElements === undefined ? undefined : maxElementsOption(options.maxElements, what);
}

/**
 * SSA, as ONNX requires: every value is written once — no two nodes write one name, and no node
 * overwrites a graph input or an initializer (the executor would otherwise let the last writer win).
 */
function checkSingleWriters(graph: OnnxSubgraph): void {
  const writer = new Map<string, string>();
  for (const i of graph.inputs) writer.set(i.name, 'a graph input');
  for (const k of graph.initializers.keys()) writer.set(k, 'an initializer');
  for (const n of graph.nodes) {
    for (const o of n.outputs) {
      if (o === '') continue;
      const before = writer.get(o);
      if (before) throw new WebRnnError('BAD_FILE', `ONNX node "${n.name}" (${n.opType}) writes "${o}", which ${before} already provides (every value must be written once)`);
      writer.set(o, `node "${n.name}" (${n.opType})`);
    }
  }
}
