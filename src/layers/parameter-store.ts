import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { Tensor } from '../gpu/tensor.js';
import { Rng } from '../random.js';

/** A named parameter tensor and its shape, in state_dict order. */
export interface NamedShape {
  readonly name: string;
  readonly shape: readonly number[];
}

/**
 * What optimizers and gradient clipping see of a layer: one flat float32 parameter buffer, a gradient
 * buffer of the same layout, and the names and shapes that lay them out (state_dict order).
 */
export interface ParameterBlock {
  readonly params: GPUBuffer;
  readonly grads: GPUBuffer;
  readonly parameterCount: number;
  readonly specs: readonly NamedShape[];
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * The parameters of one layer on the GPU: a flat buffer in state_dict order, its gradient twin, and
 * state_dict import/export by name. Every layer (recurrent, dense, embedding) keeps its weights in one
 * of these, so optimizers update a layer with one dispatch.
 */
export class ParameterStore implements ParameterBlock {
  readonly params: GPUBuffer;
  readonly grads: GPUBuffer;
  readonly parameterCount: number;
  readonly specs: readonly NamedShape[];
  /** Element offset of each spec in the flat buffers: specs[i] starts at specOffsets[i]. */
  readonly specOffsets: readonly number[];
  private readonly offsets = new Map<string, number>();

  constructor(
    private readonly engine: Engine,
    specs: readonly NamedShape[],
    label: string,
  ) {
    this.specs = specs;
    let n = 0;
    this.specOffsets = specs.map((s) => {
      this.offsets.set(s.name, n);
      n += size(s.shape);
      return n - size(s.shape);
    });
    this.parameterCount = n;
    this.params = engine.createBuffer(n * 4, `${label}:params`);
    this.grads = engine.createBuffer(n * 4, `${label}:grads`);
  }

  /** Element offset of a parameter in the flat buffers. */
  offset(name: string): number {
    const o = this.offsets.get(name);
    if (o === undefined) throw new WebRnnError('BAD_STATE', `no parameter named ${name}`);
    return o;
  }

  /** Fills every parameter with U(−k, k) from a seeded generator (PyTorch's default for RNN layers). */
  initUniform(seed: number, k: number | ((spec: NamedShape) => number)): void {
    const rng = new Rng(seed);
    const init = new Float32Array(this.parameterCount);
    this.specs.forEach((s, i) => {
      const bound = typeof k === 'number' ? k : k(s);
      const o = this.specOffsets[i];
      for (let j = 0; j < size(s.shape); j++) init[o + j] = rng.uniform(-bound, bound);
    });
    this.engine.writeBuffer(this.params, 0, init);
  }

  /**
   * Loads parameters by name; every one must be present with its exact size; unknown names are an
   * error. Everything is checked before anything is written (and, with engine.checkFinite, that every
   * value is finite).
   */
  load(sd: Record<string, Float32Array | Float64Array | readonly number[]>, what: string): void {
    this.validate(sd, what);
    const flat = new Float32Array(this.parameterCount);
    this.specs.forEach((s, i) => {
      const v = sd[s.name];
      flat.set(v instanceof Float32Array ? v : Float32Array.from(v), this.specOffsets[i]);
    });
    this.engine.writeBuffer(this.params, 0, flat);
  }

  /** Throws what {@link load} would throw for `sd`, touching nothing. */
  validate(sd: Record<string, Float32Array | Float64Array | readonly number[]>, what: string): void {
    if (sd === null || typeof sd !== 'object') throw new WebRnnError('BAD_VALUE', `a state_dict must be an object of parameter arrays by name, got ${String(sd)}`);
    const known = new Set(this.specs.map((s) => s.name));
    const unknown = Object.keys(sd).filter((k) => !known.has(k));
    if (unknown.length) throw new WebRnnError('BAD_SHAPE', `unknown parameter name(s) ${unknown.join(', ')}; this ${what} has ${[...known].join(', ')}`);
    for (const s of this.specs) {
      const v = Object.hasOwn(sd, s.name) ? sd[s.name] : undefined;
      const n = size(s.shape);
      if (!v) throw new WebRnnError('BAD_SHAPE', `missing parameter ${s.name} (shape [${s.shape.join(', ')}])`);
      if (!(v instanceof Float32Array || v instanceof Float64Array || Array.isArray(v))) {
        throw new WebRnnError('BAD_VALUE', `parameter ${s.name} must be a Float32Array, Float64Array or array of numbers, got ${typeof v === 'object' ? v.constructor?.name : typeof v}`);
      }
      if (v.length !== n) throw new WebRnnError('BAD_SHAPE', `parameter ${s.name} has ${v.length} values, shape [${s.shape.join(', ')}] needs ${n}`);
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'number') throw new WebRnnError('BAD_VALUE', `parameter ${s.name}[${i}] is ${String(v[i])}, not a number`);
      }
      this.engine.assertFinite(v, `parameter ${s.name}`);
    }
  }

  /** The parameters (or gradients) read back to the CPU, by name. */
  async read(which: 'params' | 'grads' = 'params'): Promise<Record<string, Float32Array>> {
    const flat = await this.engine.readBuffer(which === 'params' ? this.params : this.grads, 0, this.parameterCount);
    const out: Record<string, Float32Array> = {};
    this.specs.forEach((s, i) => {
      const o = this.specOffsets[i];
      out[s.name] = flat.slice(o, o + size(s.shape));
    });
    return out;
  }

  /** Tensor views of the parameters (or gradients), by name. */
  views(which: 'params' | 'grads' = 'params'): Record<string, Tensor> {
    const buffer = which === 'params' ? this.params : this.grads;
    const out: Record<string, Tensor> = {};
    this.specs.forEach((s, i) => (out[s.name] = new Tensor(this.engine, buffer, s.shape, this.specOffsets[i] * 4, false)));
    return out;
  }

  dispose(): void {
    this.engine.releaseBuffer(this.params);
    this.engine.releaseBuffer(this.grads);
  }
}
