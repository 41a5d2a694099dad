import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { STEP_STRIDE, type Kernel } from '../gpu/kernel.js';
import { Program } from '../gpu/program.js';
import { Recorder } from '../gpu/recorder.js';
import { Tensor } from '../gpu/tensor.js';
import { knownKeys } from '../checks.js';
import { liveTensor } from '../gpu/tensor-checks.js';
import { foldedGrid } from '../layers/grid.js';
import * as shaders from '../gpu/shader-sources.gen.js';

/**
 * How a token is chosen from a row of logits, as Hugging Face's generate() does it: temperature, then
 * top-k, then top-p, then a draw from the softmax of what is left — or the argmax.
 */
export interface SamplingOptions {
  /** Argmax instead of a draw, lowest id on ties (default false); temperature, top_k, top_p unused. */
  greedy?: boolean;
  /** Logits are divided by it (> 0, default 1): below 1 sharpens, above 1 flattens. */
  temperature?: number;
  /** Keep the k most likely tokens (all tokens tied with the k-th are kept); 0 (default): off. */
  top_k?: number;
  /**
   * Nucleus: keep the smallest set of most likely tokens whose probability reaches top_p (all tokens tied
   * at the cut are kept; the most likely token always is), in (0, 1]; 1 (default): off.
   */
  top_p?: number;
  /** Seed of the counter-based RNG (an integer in [0, 2³²), default 0). */
  seed?: number;
}

/** {@link SamplingOptions} with every default filled in. */
export type ResolvedSampling = Required<SamplingOptions>;

export const SAMPLING_KEYS = ['greedy', 'temperature', 'top_k', 'top_p', 'seed'] as const;

/** Checks sampling options (BAD_VALUE naming the field) and fills defaults. */
export function resolveSampling(o: SamplingOptions, what: string): ResolvedSampling {
  const greedy = o.greedy ?? false;
  if (typeof greedy !== 'boolean') throw new WebRnnError('BAD_VALUE', `${what}: greedy must be true or false, got ${JSON.stringify(o.greedy)}`);
  const temperature = o.temperature ?? 1;
  if (typeof temperature !== 'number' || !(temperature > 0) || !Number.isFinite(temperature)) {
    throw new WebRnnError('BAD_VALUE', `${what}: temperature must be a finite number > 0 (use greedy: true for argmax), got ${JSON.stringify(o.temperature)}`);
  }
  const top_k = o.top_k ?? 0;
  if (typeof top_k !== 'number' || !Number.isInteger(top_k) || top_k < 0 || top_k > 0xffffffff) {
    throw new WebRnnError('BAD_VALUE', `${what}: top_k must be a non-negative integer (0 = off), got ${JSON.stringify(o.top_k)}`);
  }
  const top_p = o.top_p ?? 1;
  if (typeof top_p !== 'number' || !(top_p > 0 && top_p <= 1)) {
    throw new WebRnnError('BAD_VALUE', `${what}: top_p must be a number in (0, 1] (1 = off), got ${JSON.stringify(o.top_p)}`);
  }
  const seed = o.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new WebRnnError('BAD_VALUE', `${what}: seed must be an integer in [0, 2^32), got ${JSON.stringify(o.seed)}`);
  }
  // The shader compares in f32: keep a top_p below 1 below 1 after rounding (else it would switch off).
  return { greedy, temperature, top_k, top_p: top_p < 1 ? Math.min(Math.fround(top_p), 1 - 2 ** -24) : 1, seed };
}

/** Software adapters run a workgroup's invocations one after another, so barriers cost more than lanes help. */
const CPU_ADAPTER = /llvmpipe|lavapipe|swiftshader|softpipe/i;

/**
 * Invocations per row for sample_logits (its WG override): 256 on GPUs, where a row's sweep is spread
 * over many lanes; 8 on CPU adapters (one AVX2 vector), where every barrier round runs all invocations
 * in turn — measured on lavapipe, 8 was 1.1–8× faster than 32 for (20000, 10) and (64, 10000) logits.
 */
export function sampleWorkgroupSize(engine: Engine): number {
  return CPU_ADAPTER.test(engine.adapterName) ? 8 : 256;
}

/** Bytes of one step slot: (t, draw) at the start of a STEP_STRIDE-aligned window. */
export function stepSlots(entries: readonly { t: number; draw: number }[]): Uint32Array<ArrayBuffer> {
  const data = new Uint32Array((Math.max(1, entries.length) * STEP_STRIDE) / 4);
  entries.forEach((e, i) => {
    data[(i * STEP_STRIDE) / 4] = e.t >>> 0;
    data[(i * STEP_STRIDE) / 4 + 1] = e.draw >>> 0;
  });
  return data;
}

/**
 * sample_logits bound to one logits buffer (R, V) and one ids buffer: records a dispatch per step slot
 * (ids row t and RNG counter `draw` come from the slot) and writes the per-call sampling uniform.
 */
export class SampleBinding {
  private readonly k: Kernel;
  private readonly wg: number;
  private readonly params: GPUBuffer;
  private readonly sampling: GPUBuffer;
  private group0: GPUBindGroup;
  private readonly group1: GPUBindGroup;

  constructor(
    private readonly engine: Engine,
    rec: Recorder,
    readonly R: number,
    readonly V: number,
    private readonly logits: GPUBuffer,
    ids: GPUBuffer,
    outOff: number,
    steps: GPUBuffer,
    wg = sampleWorkgroupSize(engine),
  ) {
    this.k = engine.kernel(shaders.sample_logits);
    this.wg = wg;
    this.params = rec.uniform(this.k.packParams({ R, V, logits_off: 0, out_off: outOff }), 'sample_logits:params');
    this.sampling = rec.uniform(this.k.packUniform('S', { seed: 0, greedy: 1, top_k: 0, temperature: 1, top_p: 1 }), 'sample_logits:S');
    this.group0 = this.bindIds(ids);
    this.group1 = this.k.bindGroup(1, { step: steps }, 'sample_logits:steps');
  }

  /** Points the dispatches at a new ids buffer (the generator grows its buffer). */
  rebind(ids: GPUBuffer): void {
    this.group0 = this.bindIds(ids);
  }

  /** Writes the sampling options; they apply to every dispatch submitted after this call. */
  setOptions(s: ResolvedSampling): void {
    const data = this.k.packUniform('S', { seed: s.seed, greedy: s.greedy ? 1 : 0, top_k: s.top_k, temperature: s.temperature, top_p: s.top_p });
    this.engine.writeBuffer(this.sampling, 0, data);
  }

  record(prog: Program, slot: number): void {
    prog.dispatch(this.k, [this.group0, this.group1], foldedGrid(this.engine, this.R), slot, { WG: this.wg });
  }

  private bindIds(ids: GPUBuffer): GPUBindGroup {
    return this.k.bindGroup(0, { P: this.params, S: this.sampling, logits: this.logits, ids }, 'sample_logits');
  }
}

/**
 * Samples one token id per row of a logits tensor on the GPU — greedy, or temperature / top-k / top-p
 * (nucleus) sampling with Hugging Face's semantics — into a GPU buffer, so the ids can feed the next
 * step (e.g. {@link Embedding.forwardIds}) without a CPU round trip. The draw for row r is a pure
 * function of (seed, draw, r) through a counter-based hash, so a seed gives the same ids on every run
 * and every host (up to the device's rounding of exp in the kept mass).
 *
 * @example
 * const sampler = new Sampler(engine);
 * const logits = head.forward(h);                                   // (B, V)
 * const ids = sampler.sample(logits, { temperature: 0.8, top_p: 0.9, seed: 42 });
 * console.log(await ids.read());                                    // Uint32Array(B)
 * sampler.dispose();
 */
export class Sampler {
  private plan: { R: number; V: number; rec: Recorder; logits: GPUBuffer; ids: GPUBuffer; steps: GPUBuffer; bind: SampleBinding; prog: Program } | undefined;
  private disposed = false;

  constructor(
    private readonly engine: Engine,
    private readonly opts: { workgroupSize?: number } = {},
  ) {
    knownKeys('Sampler options', opts, ['workgroupSize']);
    const wg = opts.workgroupSize;
    if (wg !== undefined && !(Number.isInteger(wg) && wg >= 1 && wg <= 256 && (wg & (wg - 1)) === 0)) {
      throw new WebRnnError('BAD_CONFIG', `Sampler: workgroupSize must be a power of two in [1, 256], got ${JSON.stringify(wg)}`);
    }
  }

  /**
   * One id per row of `logits` (…, V).
   * @param opts sampling options, plus `draw`: the RNG counter (default 0) — the same (seed, draw) gives
   *   the same ids; a generator passes its step number
   * @returns a view (…) of the ids, a uint32 Tensor, valid until the next sample() (or dispose())
   */
  sample(logits: Tensor, opts: SamplingOptions & { draw?: number } = {}): Tensor<'uint32'> {
    if (this.disposed) throw new WebRnnError('DISPOSED', 'this Sampler was disposed');
    knownKeys('sample options', opts, [...SAMPLING_KEYS, 'draw'], { code: 'BAD_VALUE' });
    liveTensor(logits, 'logits');
    const s = resolveSampling(opts, 'sample');
    const draw = opts.draw ?? 0;
    if (!Number.isInteger(draw) || draw < 0 || draw > 0xffffffff) throw new WebRnnError('BAD_VALUE', `sample: draw must be an integer in [0, 2^32), got ${JSON.stringify(opts.draw)}`);
    if (logits.shape.length < 1 || logits.shape[logits.shape.length - 1] < 1) {
      throw new WebRnnError('BAD_SHAPE', `logits must be (…, V) with V ≥ 1, got shape [${logits.shape.join(', ')}]`);
    }
    const V = logits.shape[logits.shape.length - 1];
    const R = logits.size / V;
    const plan = this.planFor(R, V);
    plan.bind.setOptions(s);
    this.engine.writeBuffer(plan.steps, 0, stepSlots([{ t: 0, draw }]));
    const pre = new Program();
    pre.copy(logits.buffer, logits.byteOffset, plan.logits, 0, logits.size * 4);
    this.engine.run(pre, plan.prog);
    return new Tensor(this.engine, plan.ids, logits.shape.slice(0, -1), 0, false, 'uint32');
  }

  /** Frees the workspace. */
  dispose(): void {
    this.plan?.rec.dispose();
    this.plan = undefined;
    this.disposed = true;
  }

  private planFor(R: number, V: number) {
    if (this.plan && this.plan.R === R && this.plan.V === V) return this.plan;
    this.plan?.rec.dispose();
    this.plan = undefined;
    const rec = new Recorder(this.engine, 'Sampler');
    // Anything built before a failure (e.g. a DEVICE_LIMIT error) is freed, not leaked.
    try {
      const logits = rec.buffer(R * V * 4, 'logits');
      const ids = rec.buffer(R * 4, 'ids');
      const steps = rec.uniform(stepSlots([{ t: 0, draw: 0 }]), 'steps');
      const bind = new SampleBinding(this.engine, rec, R, V, logits, ids, 0, steps, this.opts.workgroupSize);
      const prog = new Program();
      bind.record(prog, 0);
      this.plan = { R, V, rec, logits, ids, steps, bind, prog };
      return this.plan;
    } catch (e) {
      rec.dispose();
      throw e;
    }
  }
}
