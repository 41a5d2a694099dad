/**
 * Runs an ONNX graph: recurrent nodes (LSTM, GRU, RNN) on webrnn's GPU layers, every other node on
 * the CPU executor (onnx-ops.ts). Loading checks the whole graph before any GPU work — operators
 * outside the supported set and unsupported recurrent attributes are errors that name them.
 */
import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { parseOnnx, type OnnxGraph, type OnnxIo } from './onnx-graph.js';
import { CPU_OPS } from './onnx-ops.js';
import { RECURRENT_OPS, RecurrentNodeRunner, recurrentAttrs } from './onnx-recurrent.js';
import { knownKeys } from '../layers/checks.js';
import { maxElementsOption, withElementCap, type OnnxValue } from './onnx-value.js';

/** Every operator the executor runs (default ONNX domain). */
export const SUPPORTED_ONNX_OPS: readonly string[] = [...RECURRENT_OPS, ...Object.keys(CPU_OPS)].sort();

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
  private readonly runners = new Map<number, RecurrentNodeRunner>();
  private engine: Engine | undefined;
  private readonly maxElements: number;

  private constructor(graph: OnnxGraph, maxElements: number) {
    this.graph = graph;
    this.maxElements = maxElements;
    checkSingleWriters(graph);
    const unsupported = new Map<string, string[]>();
    graph.nodes.forEach((n, i) => {
      const op = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}:${n.opType}` : n.opType;
      if ((n.domain && n.domain !== 'ai.onnx') || !SUPPORTED_ONNX_OPS.includes(n.opType)) {
        if (!unsupported.has(op)) unsupported.set(op, []);
        unsupported.get(op)!.push(n.name);
        return;
      }
      if ((RECURRENT_OPS as readonly string[]).includes(n.opType)) this.runners.set(i, new RecurrentNodeRunner(n, recurrentAttrs(n)));
    });
    if (unsupported.size) {
      const list = [...unsupported].map(([op, nodes]) => `${op} (${nodes.slice(0, 3).map((s) => `"${s}"`).join(', ')}${nodes.length > 3 ? `, … ${nodes.length} nodes` : ''})`);
      throw new WebRnnError('BAD_FILE', `unsupported ONNX operator${unsupported.size > 1 ? 's' : ''}: ${list.join('; ')}. Supported: ${SUPPORTED_ONNX_OPS.join(', ')}`);
    }
    for (const o of graph.outputs) {
      if (!graph.initializers.has(o.name) && !graph.inputs.some((i) => i.name === o.name) && !graph.nodes.some((n) => n.outputs.includes(o.name))) {
        throw new WebRnnError('BAD_FILE', `graph output "${o.name}" is produced by no node`);
      }
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

  /** Checks feeds against the graph's declared inputs: every one present, types equal, fixed dimensions equal. */
  checkFeeds(feeds: Record<string, OnnxValue>, source = 'inputs'): void {
    for (const k of Object.keys(feeds)) {
      if (!this.graph.inputs.some((i) => i.name === k)) throw new WebRnnError('BAD_FILE', `${source}: "${k}" is not an input of the graph (inputs: ${this.graph.inputs.map((i) => i.name).join(', ')})`);
    }
    for (const i of this.graph.inputs) {
      const v = feeds[i.name];
      if (!v) throw new WebRnnError('BAD_FILE', `${source}: missing graph input "${i.name}" (${i.typeName}${i.shape ? ` [${i.shape.map((d) => d ?? '?').join(', ')}]` : ''})`);
      if (i.type && v.type !== i.type) throw new WebRnnError('BAD_FILE', `${source}: "${i.name}" must be ${i.type}, got ${v.type}`);
      if (i.shape) {
        const ok = v.shape.length === i.shape.length && i.shape.every((d, k) => typeof d !== 'number' || d === v.shape[k]);
        if (!ok) throw new WebRnnError('BAD_SHAPE', `${source}: "${i.name}" has shape [${v.shape.join(', ')}], the graph declares [${i.shape.map((d) => d ?? '?').join(', ')}]`);
      }
    }
  }

  /** Runs the graph; returns every graph output by name. */
  async run(engine: Engine, feeds: Record<string, OnnxValue>, options?: OnnxOptions): Promise<Record<string, OnnxValue>> {
    const cap = capOf(options, 'OnnxModel.run options') ?? this.maxElements;
    this.checkFeeds(feeds);
    if (this.engine !== engine) {
      for (const r of this.runners.values()) r.dispose();
      this.engine = engine;
    }
    const values = new Map<string, OnnxValue>(this.graph.initializers);
    for (const [k, v] of Object.entries(feeds)) values.set(k, v);
    const { opset } = this.graph;
    for (let i = 0; i < this.graph.nodes.length; i++) {
      const n = this.graph.nodes[i];
      const inputs = n.inputs.map((name) => {
        if (name === '') return undefined;
        const v = values.get(name);
        if (!v) throw new WebRnnError('BAD_FILE', `ONNX node "${n.name}" (${n.opType}) reads "${name}", which no earlier node, input or initializer provides`);
        return v;
      });
      let outs: OnnxValue[];
      try {
        const runner = this.runners.get(i);
        outs = runner ? await runner.run(engine, inputs) : withElementCap(cap, () => CPU_OPS[n.opType](n, inputs, opset));
      } catch (e) {
        if (e instanceof WebRnnError && !e.message.startsWith('ONNX node')) throw new WebRnnError(e.code, `ONNX node "${n.name}" (${n.opType}): ${e.message}`);
        throw e;
      }
      n.outputs.forEach((name, k) => {
        if (name === '') return;
        if (!outs[k]) throw new WebRnnError('BAD_FILE', `ONNX node "${n.name}" (${n.opType}) has no output ${k} ("${name}")`);
        values.set(name, outs[k]);
      });
    }
    const result: Record<string, OnnxValue> = {};
    for (const o of this.graph.outputs) result[o.name] = values.get(o.name)!;
    return result;
  }

  /** Frees the GPU layers of the recurrent nodes. */
  dispose(): void {
    for (const r of this.runners.values()) r.dispose();
    this.engine = undefined;
  }
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
function checkSingleWriters(graph: OnnxGraph): void {
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
