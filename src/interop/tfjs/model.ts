/**
 * A TensorFlow.js LayersModel (model.json + weights, as `model.save()` writes it or the tfjs converter
 * writes a Keras model) run with webrnn: recurrent layers (SimpleRNN, GRU, LSTM, Bidirectional) on
 * WebGPU, the layers around them (InputLayer, Embedding, Masking, Dense, Activation, Dropout) on the
 * CPU, with Keras's semantics:
 *  - masks (Embedding mask_zero, Masking) become per-row lengths; a row's mask must be 1…1 0…0
 *    (padding at the end), which is what webrnn's lengths express; at masked steps a forward layer
 *    outputs its last valid output and a backward one its initial state (0), as tfjs's rnn() does;
 *  - go_backwards reverses the whole padded sequence and returns outputs in processing order;
 *    Bidirectional reverses the backward outputs back and merges (concat, sum, mul, ave, or none);
 *  - return_sequences, return_state; Sequential and functional (Model) topologies.
 * Anything else is an error naming the layer and the option.
 */
import { WebRnnError } from '../../errors.js';
import type { Engine } from '../../gpu/engine.js';
import { Recurrent } from '../../layers/recurrent.js';
import type { SafeTensor } from '../../formats/safetensors.js';
import { toFloat32 } from '../../formats/safetensors.js';
import { weightSpecSize } from './manifest.js';
import { activationName, kerasRecurrent, kerasWeightsToWebrnn, recurrentConfigOf, type KerasRecurrent, type RecurrentClass } from './layers.js';

/** A host tensor (float32, row-major), with the Keras mask (B, T) that travels with sequence tensors. */
export interface TfjsTensor {
  shape: number[];
  data: Float32Array;
  mask?: Uint8Array;
}

/** What `model.save()` hands an IOHandler, or model.json's fields with the weight files concatenated. */
export interface TfjsArtifacts {
  modelTopology: unknown;
  weightSpecs: { name: string; shape: number[]; dtype: string; quantization?: unknown }[];
  weightData: ArrayBuffer | Uint8Array;
}

/** One layer of the topology (Sequential models become a chain from their implicit input). */
export interface LayerNode {
  name: string;
  cls: string;
  config: Record<string, unknown>;
  /** [layer, node index, tensor index] of each input */
  inbound: [string, number, number][];
}

const SUPPORTED = ['InputLayer', 'Embedding', 'Masking', 'Dense', 'Activation', 'Dropout', 'SpatialDropout1D', 'SimpleRNN', 'GRU', 'LSTM', 'Bidirectional'];
const RECURRENT: readonly string[] = ['SimpleRNN', 'GRU', 'LSTM'];

function bad(layer: string, msg: string, code: 'BAD_CONFIG' | 'BAD_SHAPE' | 'BAD_VALUE' | 'BAD_FILE' = 'BAD_CONFIG'): never {
  throw new WebRnnError(code, `tfjs layer "${layer}": ${msg}`);
}

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** The Dense / Activation layer activations (applied on the CPU, softmax over the last axis). */
function applyActivation(name: string, x: TfjsTensor, layer: string): TfjsTensor {
  const d = x.data;
  const out = new Float32Array(d.length);
  const f: Record<string, (v: number) => number> = {
    linear: (v) => v,
    relu: (v) => Math.max(v, 0),
    relu6: (v) => Math.min(Math.max(v, 0), 6),
    elu: (v) => (v > 0 ? v : Math.exp(v) - 1),
    selu: (v) => 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * (Math.exp(v) - 1)),
    sigmoid: (v) => 1 / (1 + Math.exp(-v)),
    hard_sigmoid: (v) => Math.min(Math.max(0.2 * v + 0.5, 0), 1),
    tanh: Math.tanh,
    softplus: (v) => Math.log1p(Math.exp(v)),
    softsign: (v) => v / (1 + Math.abs(v)),
    swish: (v) => v / (1 + Math.exp(-v)),
  };
  if (name === 'softmax' || name === 'log_softmax' || name === 'logSoftmax') {
    const n = x.shape[x.shape.length - 1];
    for (let r = 0; r < d.length / n; r++) {
      let m = -Infinity;
      for (let k = 0; k < n; k++) m = Math.max(m, d[r * n + k]);
      let s = 0;
      for (let k = 0; k < n; k++) s += Math.exp(d[r * n + k] - m);
      for (let k = 0; k < n; k++) out[r * n + k] = name === 'softmax' ? Math.exp(d[r * n + k] - m) / s : d[r * n + k] - m - Math.log(s);
    }
    return { ...x, data: out };
  }
  const g = f[name];
  if (!g) bad(layer, `activation "${name}" is not supported (supported: ${[...Object.keys(f), 'softmax', 'log_softmax'].join(', ')})`);
  for (let i = 0; i < d.length; i++) out[i] = g(d[i]);
  return { ...x, data: out };
}

/** Per-row lengths from a (B, T) mask that must be 1…1 0…0 per row. */
function lengthsOf(mask: Uint8Array, B: number, T: number, layer: string): number[] {
  const out: number[] = [];
  for (let b = 0; b < B; b++) {
    let len = 0;
    while (len < T && mask[b * T + len]) len++;
    for (let t = len; t < T; t++) {
      if (mask[b * T + t]) bad(layer, `row ${b} of the mask has a masked step (${len}) before an unmasked one (${t}); webrnn supports padding at the end of each row only`, 'BAD_VALUE');
    }
    out.push(len);
  }
  return out;
}

/** Keras recurrent layer (or a Bidirectional wrapper) on the GPU, weights loaded once. */
class RecurrentRunner {
  private layer: Recurrent | undefined;
  private engine: Engine | undefined;
  private inputSize = -1;

  constructor(
    readonly name: string,
    readonly k: KerasRecurrent,
    readonly bidirectional: boolean,
    readonly mergeMode: string | null,
    private readonly weights: { kernel: Float32Array; recurrent_kernel: Float32Array; bias?: Float32Array }[],
  ) {}

  dispose(): void {
    this.layer?.dispose();
    this.layer = undefined;
  }

  async run(engine: Engine, x: TfjsTensor): Promise<TfjsTensor[]> {
    const k = this.k;
    if (x.shape.length !== 3) bad(this.name, `needs a 3-D input (batch, steps, features), got [${x.shape.join(', ')}]`, 'BAD_SHAPE');
    const [B, T, I] = x.shape;
    if (!this.layer || this.engine !== engine || this.inputSize !== I) {
      this.dispose();
      const config = recurrentConfigOf(k, I, this.bidirectional);
      this.layer = new Recurrent(engine, config);
      const sd: Record<string, Float32Array> = {};
      this.weights.forEach((w, d) => Object.assign(sd, kerasWeightsToWebrnn(k, w, I, 0, d)));
      this.layer.loadStateDict(sd);
      this.engine = engine;
      this.inputSize = I;
    }
    const H = k.units;
    const D = this.bidirectional ? 2 : 1;
    const lens = x.mask ? lengthsOf(x.mask, B, T, this.name) : new Array<number>(B).fill(T);
    const runLens = lens.map((l) => Math.max(l, 1));
    // A standalone go_backwards layer: each row's valid steps reversed, run forward (see the header).
    const backwards = !this.bidirectional && k.goBackwards;
    let xin = x.data;
    if (backwards) {
      xin = Float32Array.from(x.data);
      for (let b = 0; b < B; b++) for (let t = 0; t < runLens[b]; t++) xin.set(x.data.subarray((b * T + runLens[b] - 1 - t) * I, (b * T + runLens[b] - t) * I), (b * T + t) * I);
    }
    const input = engine.tensor(xin, [B, T, I]);
    let y: Float32Array, hn: Float32Array, cn: Float32Array | undefined;
    try {
      const r = this.layer.forward(input, { lengths: runLens });
      y = await r.output.read(); // (B, T, D·H)
      hn = await r.h_n.read(); // (D, B, H)
      cn = r.c_n ? await r.c_n.read() : undefined;
    } finally {
      input.dispose();
    }
    // Rows with nothing valid: outputs and states are the initial state (0).
    lens.forEach((l, b) => {
      if (l > 0) return;
      y.fill(0, b * T * D * H, (b + 1) * T * D * H);
      for (let d = 0; d < D; d++) {
        hn.fill(0, (d * B + b) * H, (d * B + b + 1) * H);
        cn?.fill(0, (d * B + b) * H, (d * B + b + 1) * H);
      }
    });
    const dir = (d: number): Float32Array => {
      // one direction's (B, T, H) sequence as Keras returns it
      const out = new Float32Array(B * T * H);
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < T; t++) {
          let src = t;
          if (backwards) {
            // processing order over the whole reversed sequence: T − len masked steps (initial state) first
            const s = t - (T - lens[b]);
            if (s < 0) continue;
            src = s;
          } else if (d === 0 && t >= lens[b]) {
            // a masked forward step repeats the last valid output
            if (lens[b] === 0) continue;
            out.set(hn.subarray(b * H, (b + 1) * H), (b * T + t) * H);
            continue;
          }
          out.set(y.subarray((b * T + src) * D * H + d * H, (b * T + src) * D * H + (d + 1) * H), (b * T + t) * H);
        }
      }
      return out;
    };
    const last = (d: number) => hn.subarray(d * B * H, (d + 1) * B * H);
    const seqMask = k.returnSequences ? x.mask : undefined;
    const outs: TfjsTensor[] = [];
    const states = (d: number): TfjsTensor[] => [
      { shape: [B, H], data: Float32Array.from(last(d)) },
      ...(cn ? [{ shape: [B, H], data: Float32Array.from(cn.subarray(d * B * H, (d + 1) * B * H)) }] : []),
    ];
    const per = (d: number): TfjsTensor => (k.returnSequences ? { shape: [B, T, H], data: dir(d), mask: seqMask } : { shape: [B, H], data: Float32Array.from(last(d)) });
    if (!this.bidirectional) {
      outs.push(per(0));
      if (k.returnState) outs.push(...states(0));
      return outs;
    }
    const f = per(0);
    const r = per(1);
    if (this.mergeMode === null) outs.push(f, r);
    else outs.push(merge(f, r, this.mergeMode, this.name));
    if (k.returnState) outs.push(...states(0), ...states(1));
    return outs;
  }
}

function merge(f: TfjsTensor, r: TfjsTensor, mode: string, layer: string): TfjsTensor {
  const n = f.data.length;
  if (mode === 'concat') {
    const H = f.shape[f.shape.length - 1];
    const rows = n / H;
    const out = new Float32Array(2 * n);
    for (let i = 0; i < rows; i++) {
      out.set(f.data.subarray(i * H, (i + 1) * H), 2 * i * H);
      out.set(r.data.subarray(i * H, (i + 1) * H), (2 * i + 1) * H);
    }
    return { shape: [...f.shape.slice(0, -1), 2 * H], data: out, mask: f.mask };
  }
  const op: Record<string, (a: number, b: number) => number> = { sum: (a, b) => a + b, mul: (a, b) => a * b, ave: (a, b) => 0.5 * (a + b) };
  const g = op[mode];
  if (!g) bad(layer, `merge_mode "${mode}" is not supported (concat, sum, mul, ave, null)`);
  return { shape: f.shape, data: f.data.map((v, i) => g(v, r.data[i])), mask: f.mask };
}

/**
 * A LayersModel ready to run.
 *
 * @example
 * // art: a model.json and its weights, or what tf.LayersModel.save(tf.io.withSaveHandler(…)) hands over
 * const art = await readTfjsModelFiles('model/model.json', async (p) => new Uint8Array(await (await fetch(p)).arrayBuffer()));
 * const model = TfjsModel.fromArtifacts(art);
 * const data = new Float32Array(2 * 5 * 3);
 * const out = await model.predict(engine, { [model.inputNames[0]]: { shape: [2, 5, 3], data } });
 */
export class TfjsModel {
  readonly inputNames: string[];
  readonly outputNames: string[];
  /** declared input shapes (null = any) */
  readonly inputShapes: (number | null)[][];
  /** @internal the layers in execution order (what converters read) */
  readonly nodes: LayerNode[];
  private readonly outputs: [string, number, number][];
  /** @internal every weight by name (`:0` suffixes dropped) */
  readonly weights = new Map<string, Float32Array>();
  private readonly runners = new Map<string, RecurrentRunner>();
  private readonly source: string;

  private constructor(art: TfjsArtifacts, source: string) {
    this.source = source;
    const topo = art.modelTopology as { class_name?: string; config?: unknown; model_config?: unknown };
    const top = (topo && typeof topo === 'object' && 'model_config' in topo ? topo.model_config : topo) as { class_name?: string; config?: unknown };
    if (!top || typeof top !== 'object' || typeof top.class_name !== 'string') throw new WebRnnError('BAD_FILE', `${source}: modelTopology is not a Keras/tfjs model config`);
    // weights
    const bytes = art.weightData instanceof Uint8Array ? art.weightData : new Uint8Array(art.weightData);
    if (!Array.isArray(art.weightSpecs)) throw new WebRnnError('BAD_FILE', `${source}: the weight specs must be a list, got ${typeof art.weightSpecs}`);
    let off = 0;
    for (const [i, s] of art.weightSpecs.entries()) {
      const n = weightSpecSize(s, i, bytes.byteLength - off, source);
      if (s.quantization) throw new WebRnnError('BAD_FILE', `${source}: weight "${s.name}" is quantized, which is not supported (convert without --quantize)`);
      if (s.dtype !== 'float32') throw new WebRnnError('BAD_FILE', `${source}: weight "${s.name}" has dtype ${s.dtype}; only float32 weights are supported`);
      if (off + 4 * n > bytes.byteLength) throw new WebRnnError('BAD_FILE', `${source}: the weight data ends before weight "${s.name}" (${bytes.byteLength} bytes)`);
      const copy = bytes.slice(off, off + 4 * n);
      this.weights.set(s.name.replace(/:\d+$/, ''), new Float32Array(copy.buffer, copy.byteOffset, n));
      off += 4 * n;
    }
    if (off !== bytes.byteLength) throw new WebRnnError('BAD_FILE', `${source}: the weight data has ${bytes.byteLength} bytes, the manifest describes ${off}`);
    // topology → layer nodes
    const cls = top.class_name;
    const cfg = top.config as Record<string, unknown> | unknown[];
    if (cls === 'Sequential') {
      const layers = (Array.isArray(cfg) ? cfg : (cfg as { layers?: unknown[] }).layers ?? []) as { class_name: string; config: Record<string, unknown> }[];
      this.nodes = [];
      let prev: string | undefined;
      const first = layers[0]?.config ?? {};
      if (layers[0]?.class_name !== 'InputLayer') {
        const shape = first.batch_input_shape ?? (first.input_shape ? [null, ...(first.input_shape as number[])] : first.input_length !== undefined ? [null, first.input_length] : undefined);
        if (!shape) throw new WebRnnError('BAD_FILE', `${source}: the first layer declares no batch_input_shape`);
        // Named as tfjs and Keras name a Sequential model's implicit input.
        const name = `${String(first.name ?? layers[0]?.class_name)}_input`;
        this.nodes.push({ name, cls: 'InputLayer', config: { batch_input_shape: shape, dtype: first.dtype ?? 'float32' }, inbound: [] });
        prev = name;
      }
      for (const l of layers) {
        const name = String(l.config?.name ?? `${l.class_name}_${this.nodes.length}`);
        this.nodes.push({ name, cls: l.class_name, config: l.config ?? {}, inbound: prev ? [[prev, 0, 0]] : [] });
        prev = name;
      }
      this.inputNames = [this.nodes[0].name];
      this.outputs = [[prev!, 0, 0]];
    } else if (cls === 'Model' || cls === 'Functional') {
      const c = cfg as { layers: { name: string; class_name: string; config: Record<string, unknown>; inbound_nodes: unknown[] }[]; input_layers: [string, number, number][]; output_layers: [string, number, number][] };
      this.nodes = c.layers.map((l) => {
        if ((l.inbound_nodes ?? []).length > 1) throw new WebRnnError('BAD_CONFIG', `tfjs layer "${l.name}": is applied ${l.inbound_nodes.length} times (shared layers are not supported)`);
        const node = (l.inbound_nodes?.[0] ?? []) as unknown[];
        const inbound = node.map((e) => {
          const [n, i, t, kw] = e as [string, number, number, Record<string, unknown>?];
          if (kw && Object.keys(kw).length) throw new WebRnnError('BAD_CONFIG', `tfjs layer "${l.name}": call arguments ${Object.keys(kw).join(', ')} (e.g. initial_state) are not supported`);
          return [n, i, t] as [string, number, number];
        });
        return { name: l.name, cls: l.class_name, config: l.config ?? {}, inbound };
      });
      this.inputNames = c.input_layers.map((x) => x[0]);
      this.outputs = c.output_layers;
    } else {
      throw new WebRnnError('BAD_FILE', `${source}: model class "${cls}" is not supported (Sequential or Model)`);
    }
    const unsupported = this.nodes.filter((n) => !SUPPORTED.includes(n.cls));
    if (unsupported.length) {
      throw new WebRnnError('BAD_CONFIG', `unsupported tfjs layer${unsupported.length > 1 ? 's' : ''}: ${unsupported.map((n) => `${n.cls} ("${n.name}")`).join(', ')}. Supported: ${SUPPORTED.join(', ')}`);
    }
    this.inputShapes = this.inputNames.map((n) => {
      const node = this.nodes.find((x) => x.name === n)!;
      return ((node.config.batch_input_shape as (number | null)[]) ?? []).map((d) => d ?? null);
    });
    const counts = new Map<string, number>();
    for (const [n] of this.outputs) counts.set(n, (counts.get(n) ?? 0) + 1);
    this.outputNames = this.outputs.map(([n, , t]) => (counts.get(n)! > 1 ? `${n}:${t}` : n));
    for (const n of this.nodes) this.prepare(n);
  }

  /** From what `model.save()` passes an IOHandler (or model.json's `modelTopology` + weightsManifest specs + the concatenated weight files). */
  static fromArtifacts(art: TfjsArtifacts, source = 'model.json'): TfjsModel {
    if (art === null || typeof art !== 'object') throw new WebRnnError('BAD_FILE', `${source}: expected tfjs artifacts { modelTopology, weightSpecs, weightData }, got ${String(art)}`);
    try {
      return new TfjsModel(art, source);
    } catch (e) {
      // The topology is free-form JSON read field by field; a field of the wrong kind (a layer list
      // that is a number, a config that is null …) surfaces as a JS TypeError/RangeError while it is
      // read. That is a malformed file, reported as one — with what JS said, so it can be found.
      if (e instanceof TypeError || e instanceof RangeError) throw new WebRnnError('BAD_FILE', `${source}: malformed model (a field is not what tfjs writes: ${e.message})`);
      throw e;
    }
  }

  /** Checks the layer's options and its weights (everything but sizes that depend on the input). */
  private prepare(n: LayerNode): void {
    const w = (suffix: string, prefix = n.name) => {
      for (const [k, v] of this.weights) if (k.startsWith(`${prefix}/`) && k.split('/').pop() === suffix) return v;
      return undefined;
    };
    if (RECURRENT.includes(n.cls) || n.cls === 'Bidirectional') {
      const bi = n.cls === 'Bidirectional';
      const inner = bi ? (n.config.layer as { class_name: string; config: Record<string, unknown> }) : { class_name: n.cls, config: n.config };
      if (bi && !RECURRENT.includes(inner?.class_name)) bad(n.name, `wraps ${inner?.class_name}; Bidirectional is supported around SimpleRNN, GRU, LSTM`);
      const k = kerasRecurrent(inner.class_name as RecurrentClass, bi ? { ...inner.config, backward_layer: n.config.backward_layer } : inner.config);
      const dirs = bi ? ['forward', 'backward'] : [''];
      const weights = dirs.map((d) => {
        const scope = [...this.weights.keys()].filter((key) => key.startsWith(`${n.name}/`) && (!d || key.slice(n.name.length + 1).startsWith(`${d}_`)));
        const get = (leaf: string) => {
          const key = scope.find((s) => s.split('/').pop() === leaf);
          return key ? this.weights.get(key) : undefined;
        };
        const kernel = get('kernel');
        const rec = get('recurrent_kernel');
        if (!kernel || !rec) bad(n.name, `missing ${d ? `${d} ` : ''}kernel / recurrent_kernel weights (names starting "${n.name}/${d ? `${d}_` : ''}")`, 'BAD_FILE');
        return { kernel, recurrent_kernel: rec, bias: get('bias') };
      });
      const merge = bi ? (n.config.merge_mode === undefined ? 'concat' : (n.config.merge_mode as string | null)) : null;
      if (merge !== null && !['concat', 'sum', 'mul', 'ave'].includes(merge)) bad(n.name, `merge_mode "${merge}" is not supported (concat, sum, mul, ave, null)`);
      this.runners.set(n.name, new RecurrentRunner(n.name, k, bi, merge, weights));
    } else if (n.cls === 'Dense') {
      if (!w('kernel')) bad(n.name, 'missing kernel weight', 'BAD_FILE');
      if (n.config.use_bias !== false && !w('bias')) bad(n.name, 'missing bias weight', 'BAD_FILE');
      applyActivation(activationName(n.config.activation, 'linear'), { shape: [0], data: new Float32Array(0) }, n.name);
    } else if (n.cls === 'Activation') {
      applyActivation(activationName(n.config.activation, 'linear'), { shape: [0], data: new Float32Array(0) }, n.name);
    } else if (n.cls === 'Embedding') {
      if (!w('embeddings')) bad(n.name, 'missing embeddings weight', 'BAD_FILE');
    }
  }

  /**
   * Checks and converts the tensors of a safetensors file (named by the model's input names) to
   * model inputs: float32, or integer ids for an Embedding input.
   */
  feedsFromSafetensors(tensors: Map<string, SafeTensor>, source: string): Record<string, TfjsTensor> {
    const feeds: Record<string, TfjsTensor> = {};
    for (const [k, t] of tensors) {
      if (!this.inputNames.includes(k)) throw new WebRnnError('BAD_FILE', `${source}: "${k}" is not an input of the model (inputs: ${this.inputNames.join(', ')})`);
      let data: Float32Array;
      if (t.dtype === 'I64' || t.dtype === 'I32' || t.dtype === 'I16' || t.dtype === 'I8' || t.dtype === 'U8' || t.dtype === 'U16' || t.dtype === 'U32') {
        const src = t.data as ArrayLike<number | bigint>;
        data = Float32Array.from({ length: src.length }, (_, i) => Number(src[i]));
      } else {
        data = Float32Array.from(toFloat32(t, `${source}: "${k}"`));
      }
      feeds[k] = { shape: [...t.shape], data };
    }
    return feeds;
  }

  /** Runs the model; returns its outputs by {@link outputNames}. Inputs are batch-first, as in tfjs. */
  async predict(engine: Engine, feeds: Record<string, TfjsTensor>): Promise<Record<string, TfjsTensor>> {
    const values = new Map<string, TfjsTensor[]>();
    for (const [i, name] of this.inputNames.entries()) {
      const v = feeds[name];
      if (!v) throw new WebRnnError('BAD_FILE', `${this.source}: missing model input "${name}"`);
      const want = this.inputShapes[i];
      if (want.length && (v.shape.length !== want.length || want.some((d, k) => d !== null && d !== v.shape[k]))) {
        throw new WebRnnError('BAD_SHAPE', `input "${name}" has shape [${v.shape.join(', ')}], the model declares [${want.map((d) => d ?? 'null').join(', ')}]`);
      }
      if (v.data.length !== size(v.shape)) throw new WebRnnError('BAD_SHAPE', `input "${name}": ${v.data.length} values for shape [${v.shape.join(', ')}]`);
    }
    for (const k of Object.keys(feeds)) if (!this.inputNames.includes(k)) throw new WebRnnError('BAD_FILE', `"${k}" is not an input of the model (inputs: ${this.inputNames.join(', ')})`);
    for (const n of this.nodes) {
      const ins = n.inbound.map(([name, , t]) => {
        const v = values.get(name)?.[t];
        if (!v) bad(n.name, `reads "${name}" output ${t}, which is not computed before it`, 'BAD_FILE');
        return v;
      });
      values.set(n.name, await this.apply(engine, n, ins, feeds));
    }
    const out: Record<string, TfjsTensor> = {};
    this.outputs.forEach(([n, , t], i) => {
      const v = values.get(n)![t];
      out[this.outputNames[i]] = { shape: v.shape, data: v.data };
    });
    return out;
  }

  private async apply(engine: Engine, n: LayerNode, ins: TfjsTensor[], feeds: Record<string, TfjsTensor>): Promise<TfjsTensor[]> {
    const w = (leaf: string) => {
      for (const [k, v] of this.weights) if (k.startsWith(`${n.name}/`) && k.split('/').pop() === leaf) return v;
      return undefined;
    };
    const x = ins[0];
    switch (n.cls) {
      case 'InputLayer':
        return [{ ...feeds[n.name] }];
      case 'Dropout':
      case 'SpatialDropout1D':
        return [x];
      case 'Activation':
        return [applyActivation(activationName(n.config.activation, 'linear'), x, n.name)];
      case 'Masking': {
        const mv = Number(n.config.mask_value ?? 0);
        if (x.shape.length !== 3) bad(n.name, `needs (batch, steps, features), got [${x.shape.join(', ')}]`, 'BAD_SHAPE');
        const [B, T, F] = x.shape;
        const mask = new Uint8Array(B * T);
        const data = Float32Array.from(x.data);
        for (let i = 0; i < B * T; i++) {
          for (let f = 0; f < F; f++) if (x.data[i * F + f] !== mv) mask[i] = 1;
          if (!mask[i]) data.fill(0, i * F, (i + 1) * F);
        }
        return [{ shape: x.shape, data, mask }];
      }
      case 'Embedding': {
        const E = w('embeddings')!;
        const V = Number(n.config.input_dim);
        const D = Number(n.config.output_dim);
        if (E.length !== V * D) bad(n.name, `embeddings has ${E.length} values, input_dim × output_dim = ${V * D}`, 'BAD_FILE');
        const out = new Float32Array(x.data.length * D);
        const mask = n.config.mask_zero ? new Uint8Array(x.data.length) : undefined;
        x.data.forEach((v, i) => {
          if (!Number.isInteger(v) || v < 0 || v >= V) bad(n.name, `id ${v} at position ${i} is not an integer in [0, ${V})`, 'BAD_VALUE');
          out.set(E.subarray(v * D, (v + 1) * D), i * D);
          if (mask) mask[i] = v !== 0 ? 1 : 0;
        });
        return [{ shape: [...x.shape, D], data: out, ...(mask ? { mask } : x.mask ? { mask: x.mask } : {}) }];
      }
      case 'Dense': {
        const K = w('kernel')!;
        const bias = n.config.use_bias === false ? undefined : w('bias');
        const In = x.shape[x.shape.length - 1];
        const O = Number(n.config.units);
        if (K.length !== In * O) bad(n.name, `kernel has ${K.length} values, expected ${In} × ${O} for an input of width ${In}`, 'BAD_SHAPE');
        const rows = x.data.length / In;
        const out = new Float32Array(rows * O);
        for (let r = 0; r < rows; r++) {
          for (let o = 0; o < O; o++) {
            let s = bias ? bias[o] : 0;
            for (let i = 0; i < In; i++) s += x.data[r * In + i] * K[i * O + o];
            out[r * O + o] = s;
          }
        }
        return [applyActivation(activationName(n.config.activation, 'linear'), { shape: [...x.shape.slice(0, -1), O], data: out, mask: x.mask }, n.name)];
      }
      default:
        return this.runners.get(n.name)!.run(engine, x);
    }
  }

  /** Frees the GPU layers. */
  dispose(): void {
    for (const r of this.runners.values()) r.dispose();
  }
}
