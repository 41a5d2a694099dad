import { checkShape, describe, knownKeys, shapeSize } from '../checks.js';
import { WebRnnError } from '../errors.js';
import { acquireDevice, type DeviceOptions, type Host, type LimitOverrides } from './device.js';
import { checkKernelSource, Kernel, type KernelSource } from './kernel.js';
import { DTYPES, Tensor, type TensorDType, type TensorDTypeArray } from './tensor.js';
import type { EncodeTarget, Program } from './program.js';
import { checkKernelChoices, checkKernelVariants, type KernelChoices, type Precision } from './kernel-variants.js';
import { KernelTuner, type TuningReport } from './tuner.js';

const USAGE_STORAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** What the engine holds on the GPU right now. */
export interface MemoryReport {
  buffers: number;
  bytes: number;
}

/**
 * The limits webrnn plans for: the device's, or lower ones given to createEngine({ limits }).
 * A workspace that must be one binding is at most maxStorageBufferBindingSize bytes; a tensor, or a
 * workspace a layer binds in windows (Dense rows), at most maxBufferSize.
 */
export interface EngineLimits {
  readonly maxStorageBufferBindingSize: number;
  readonly maxBufferSize: number;
  readonly maxComputeWorkgroupsPerDimension: number;
  readonly minStorageBufferOffsetAlignment: number;
  readonly maxUniformBufferBindingSize: number;
}

/** @internal counts for leak tests: objects the engine caches or has created so far. */
export interface EngineCounters {
  /** compiled kernels (shader modules + layouts), cached for the engine's life */
  kernels: number;
  /** compute pipelines, cached per (kernel, constants) */
  pipelines: number;
  /** bind groups created so far (held by layer plans; freed with them by the garbage collector) */
  bindGroups: number;
  /** tracked buffers created so far (each freed by its owner's dispose) */
  buffersCreated: number;
}

/** @internal how a buffer will be bound: whole (must fit one binding) or in windows (Dense rows, tensors). */
export interface BufferOptions {
  windowed?: boolean;
}

/**
 * A WebGPU device with webrnn's kernels. Create one with {@link createEngine}; all layers and tensors
 * made from it live on its device. Free everything with `dispose()`.
 */
export class Engine {
  readonly device: GPUDevice;
  readonly host: Host;
  readonly adapterInfo: { vendor: string; architecture: string; device: string; description: string };
  private readonly kernels = new Map<string, Kernel>();
  private readonly live = new Map<GPUBuffer, number>();
  /** buffers of the tuner's measurements (scratch operands, workspaces): short-lived, not in memory() */
  private readonly scratch = new Set<GPUBuffer>();
  /** @internal set by the tuner while it builds a measurement: createBuffer makes scratch buffers */
  buildingScratch = false;
  private readonly keepAlive: unknown;
  private lostReason: string | undefined;
  private disposed = false;
  /** rejects the reads waiting on the GPU when the device is lost, so none of them can hang */
  private readonly pendingReads = new Set<(e: Error) => void>();
  private readonly lostSignal: Promise<void>;
  private buffersCreated = 0;
  /** bind groups of kernels dropped by dispose(), so counters() stays monotonic */
  private retiredBindGroups = 0;
  /** Limits webrnn plans for (the device's, or lower ones given to createEngine). */
  readonly limits: EngineLimits;
  /**
   * Check values uploaded from the CPU for NaN/±Infinity (see DeviceOptions.checkFinite). Off by
   * default; switch it on while debugging a run that diverges.
   */
  checkFinite = false;
  /** @internal picks kernel variants (forced, restored, measured or today's); see src/gpu/tuner.ts */
  readonly tuner: KernelTuner;

  /** @internal use createEngine() */
  constructor(device: GPUDevice, host: Host, adapter: GPUAdapter | undefined, keepAlive: unknown, limits: LimitOverrides = {}, tuning: Pick<DeviceOptions, 'tuning' | 'kernels' | 'kernelChoices'> = {}) {
    this.device = device;
    this.host = host;
    this.keepAlive = keepAlive;
    this.limits = effectiveLimits(device.limits, limits);
    const info = adapter?.info;
    this.adapterInfo = {
      vendor: info?.vendor ?? '',
      architecture: info?.architecture ?? '',
      device: info?.device ?? '',
      description: info?.description ?? '',
    };
    this.useSubgroups = device.features.has('subgroups');
    this.tuner = new KernelTuner(this, tuning.tuning ?? 'auto', tuning.kernels ?? {}, tuning.kernelChoices);
    this.lostSignal = device.lost.then((l) => {
      this.lostReason = l.message || String(l.reason);
      const e = this.lostError();
      for (const reject of this.pendingReads) reject(e);
      this.pendingReads.clear();
    });
  }

  /** Whether the device was lost (destroyed, driver reset, …): every later call throws DEVICE_LOST. */
  get lost(): boolean {
    return this.lostReason !== undefined;
  }

  /** The adapter's name as a person would say it (e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"). */
  get adapterName(): string {
    const i = this.adapterInfo;
    return i.description || [i.vendor, i.architecture, i.device].filter(Boolean).join(' ') || 'unknown adapter';
  }

  /**
   * The recurrent layers' precisions this engine runs: 'f32' always, 'f16-weights' when the adapter has
   * shader-f16 (the device is created with it then).
   *
   * @example
   * const engine = await createEngine();
   * const precision = engine.precisions.includes('f16-weights') ? 'f16-weights' : 'f32';
   */
  get precisions(): Precision[] {
    return this.device.features.has('shader-f16') ? ['f32', 'f16-weights'] : ['f32'];
  }

  /**
   * Whether kernels with a `subgroups` form use it: the split-k step variant then adds its partial
   * sums with subgroupAdd (else by a tree in workgroup memory). True when the device has the
   * `subgroups` feature and createEngine's `subgroups` option was not false. Set it to false to run
   * the workgroup-memory sums on such a device (layers planned afterwards follow it); setting true on
   * a device without the feature is a BAD_CONFIG error.
   *
   * @example
   * console.log(engine.subgroups); // true on an adapter with `subgroups` (e.g. lavapipe through Dawn)
   * engine.subgroups = false;      // split-k layers planned from now on add their sums in workgroup memory
   */
  get subgroups(): boolean {
    return this.useSubgroups;
  }
  set subgroups(on: boolean) {
    if (typeof on !== 'boolean') throw new WebRnnError('BAD_CONFIG', `engine.subgroups must be true or false, got ${describe(on, 'contents')}`);
    if (on && !this.device.features.has('subgroups')) throw new WebRnnError('BAD_CONFIG', `engine.subgroups: this device has no \`subgroups\` feature (${this.adapterName}${this.device.features.size ? `; it has ${[...this.device.features].join(', ')}` : ''}), so only the workgroup-memory sums run`);
    this.useSubgroups = on;
  }
  private useSubgroups: boolean;

  /**
   * @internal a kernel (its descriptor, imported from shader-sources.gen.ts by the code that dispatches
   * it), compiled on first use and cached by name; `subgroups`: its form for the `subgroups` feature
   * (when engine.subgroups is on and the kernel has one; else the plain form).
   */
  kernel(source: KernelSource, subgroups = false): Kernel {
    this.checkAlive();
    checkKernelSource(source);
    const sub = subgroups && this.useSubgroups && source.subgroupEdits !== undefined;
    const key = sub ? `${source.name}+subgroups` : source.name;
    let k = this.kernels.get(key);
    if (!k) {
      k = new Kernel(this.device, source, this.limits, sub);
      this.kernels.set(key, k);
    }
    return k;
  }

  /**
   * @internal a tracked storage buffer (zero-initialised by WebGPU). A buffer bound whole must fit one
   * binding (maxStorageBufferBindingSize); one bound in windows (`windowed`) only maxBufferSize.
   */
  createBuffer(bytes: number, label: string, usage = USAGE_STORAGE(), opts: BufferOptions = {}): GPUBuffer {
    this.checkAlive();
    const size = this.checkBufferSize(bytes, label, usage, opts);
    const b = this.device.createBuffer({ label, size, usage });
    if (this.buildingScratch) {
      this.scratch.add(b);
      return b;
    }
    this.live.set(b, size);
    this.buffersCreated++;
    return b;
  }

  /**
   * @internal the size {@link createBuffer} would allocate for `bytes`, or the DEVICE_LIMIT error it
   * would throw — so a layer can check a size computed from its config before building anything.
   */
  checkBufferSize(bytes: number, label: string, usage = USAGE_STORAGE(), opts: BufferOptions = {}): number {
    if (!Number.isFinite(bytes) || bytes < 0) throw new WebRnnError('BAD_SHAPE', `${label}: a buffer of ${bytes} bytes cannot exist`);
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    const lim = this.limits;
    if (size > lim.maxBufferSize) {
      throw new WebRnnError('DEVICE_LIMIT', `${label} needs ${size} bytes, more than one buffer may hold on this device (maxBufferSize = ${lim.maxBufferSize}); use a smaller batch, shorter sequences or smaller layers`);
    }
    if (!opts.windowed && (usage & GPUBufferUsage.STORAGE) !== 0 && size > lim.maxStorageBufferBindingSize) {
      throw new WebRnnError('DEVICE_LIMIT', `${label} needs ${size} bytes, more than one storage binding may cover on this device (maxStorageBufferBindingSize = ${lim.maxStorageBufferBindingSize}); use a smaller batch, shorter sequences or smaller layers`);
    }
    return size;
  }

  /** @internal whether `b` is a buffer this engine made and has not freed (a tensor's memory is still there). */
  isLive(b: GPUBuffer): boolean {
    return this.live.has(b) || this.scratch.has(b);
  }

  /** @internal */
  releaseBuffer(b: GPUBuffer): void {
    if (this.live.delete(b) || this.scratch.delete(b)) b.destroy();
  }

  /** @internal a uniform buffer holding `data`, written once. */
  uniform(data: ArrayBuffer, label: string): GPUBuffer {
    const b = this.createBuffer(data.byteLength, label, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    this.writeBuffer(b, 0, data);
    return b;
  }

  /**
   * Uploads data to a new tensor on the GPU. The dtype comes from the array — Float32Array or an
   * array of numbers: float32; Int32Array: int32; Uint32Array: uint32 (token ids) — or is given; an
   * explicit dtype takes its own typed array or an array of numbers (integers in the dtype's range for
   * int32 / uint32).
   *
   * @example
   * const x = engine.tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [3, 1, 2]); // (T, B, I), float32
   * const ids = engine.tensor(Uint32Array.of(5, 7, 0, 5), [2, 2]);           // (T, B), uint32
   * const same = engine.tensor([5, 7, 0, 5], [2, 2], 'uint32');
   */
  tensor(data: Float32Array | readonly number[], shape: readonly number[]): Tensor;
  /** Uploads int32 data (e.g. token ids) to a new tensor of dtype 'int32'. */
  tensor(data: Int32Array, shape: readonly number[]): Tensor<'int32'>;
  /** Uploads uint32 data (e.g. token ids) to a new tensor of dtype 'uint32'. */
  tensor(data: Uint32Array, shape: readonly number[]): Tensor<'uint32'>;
  /** Uploads data to a new tensor of the given dtype: its typed array, or numbers that fit it. */
  tensor<D extends TensorDType>(data: TensorDTypeArray[D] | readonly number[], shape: readonly number[], dtype: D): Tensor<D>;
  tensor(data: Float32Array | Int32Array | Uint32Array | readonly number[], shape: readonly number[], dtype?: TensorDType): Tensor<TensorDType> {
    const d = dtype ?? (data instanceof Int32Array ? 'int32' : data instanceof Uint32Array ? 'uint32' : 'float32');
    checkDType(d);
    const f = this.tensorData(data, shape, d);
    const t = this.empty(shape, d);
    if (f.length > 0) this.writeBuffer(t.buffer, 0, f.buffer, f.byteOffset, f.byteLength);
    return t;
  }

  /**
   * @internal `data` checked as the values of a tensor of `shape` and `dtype` (BAD_VALUE, BAD_SHAPE;
   * non-finite float values with checkFinite on; integers out of the dtype's range) and as its typed
   * array, before any GPU work.
   */
  tensorData(data: unknown, shape: readonly number[], dtype: TensorDType = 'float32'): Float32Array | Int32Array | Uint32Array {
    this.checkAlive();
    const Typed = dtype === 'int32' ? Int32Array : dtype === 'uint32' ? Uint32Array : Float32Array;
    if (!(data instanceof Typed) && !Array.isArray(data)) {
      throw new WebRnnError('BAD_VALUE', `${dtype} tensor data must be ${Typed === Int32Array ? 'an' : 'a'} ${Typed.name} or an array of numbers, got ${describe(data, 'contents')}`);
    }
    checkShape(shape);
    const n = shapeSize(shape);
    if (data.length !== n) throw new WebRnnError('BAD_SHAPE', `tensor data has ${data.length} values, shape [${shape.join(', ')}] needs ${n}`);
    if (Array.isArray(data)) {
      const [lo, hi] = dtype === 'int32' ? [-(2 ** 31), 2 ** 31] : [0, 2 ** 32];
      for (let i = 0; i < data.length; i++) {
        const v: unknown = data[i];
        if (typeof v !== 'number') throw new WebRnnError('BAD_VALUE', `tensor data[${i}] is ${describe(v, 'contents')}, not a number`);
        if (dtype !== 'float32' && (!Number.isInteger(v) || v < lo || v >= hi)) {
          throw new WebRnnError('BAD_VALUE', `${dtype} tensor data[${i}] is ${v}; expected an integer in [${lo}, ${hi})`);
        }
      }
    }
    if (dtype === 'float32') this.assertFinite(data as ArrayLike<number>, 'tensor data');
    return data instanceof Typed ? data : Typed.from(data as readonly number[]);
  }

  /**
   * @internal with engine.checkFinite on, throws BAD_VALUE naming the first NaN/±Infinity of `data`
   * (`what` names the values in the message). No-op when the flag is off.
   */
  assertFinite(data: ArrayLike<number>, what: string): void {
    if (!this.checkFinite) return;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) throw new WebRnnError('BAD_VALUE', `${what}[${i}] is ${data[i]}; expected finite values (engine.checkFinite is on)`);
    }
  }

  /**
   * A new zero-filled tensor, float32 unless `dtype` says otherwise.
   *
   * @example
   * const ids = engine.empty([4, 2], 'uint32'); // room for (T, B) token ids
   */
  empty(shape: readonly number[]): Tensor;
  /** A new zero-filled tensor of the given dtype. */
  empty<D extends TensorDType>(shape: readonly number[], dtype: D): Tensor<D>;
  empty(shape: readonly number[], dtype: TensorDType = 'float32'): Tensor<TensorDType> {
    checkShape(shape);
    checkDType(dtype);
    const n = shapeSize(shape);
    // Tensors are only copied (never bound whole), so one may exceed a single binding.
    return new Tensor(this, this.createBuffer(n * 4, `tensor[${shape.join(',')}]`, USAGE_STORAGE(), { windowed: true }), shape, 0, true, dtype);
  }

  /**
   * @internal writes CPU data into `buffer` at `offset` bytes (the queue's writeBuffer: ordered before
   * any later submission). `dataOffset` and `size` count elements of a typed array, bytes of an ArrayBuffer.
   */
  writeBuffer(buffer: GPUBuffer, offset: number, data: GPUAllowSharedBufferSource, dataOffset?: number, size?: number): void {
    this.device.queue.writeBuffer(buffer, offset, data, dataOffset, size);
  }

  /** @internal zeroes `size` bytes of `buffer` from `offset` now (own submission). */
  clear(buffer: GPUBuffer, offset: number, size: number): void {
    this.checkAlive();
    const enc = this.device.createCommandEncoder();
    enc.clearBuffer(buffer, offset, size);
    this.device.queue.submit([enc.finish()]);
  }

  /** @internal copies bytes between buffers now (own submission). */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, size: number): void {
    this.checkAlive();
    const enc = this.device.createCommandEncoder();
    enc.copyBufferToBuffer(src, srcOffset, dst, dstOffset, size);
    this.device.queue.submit([enc.finish()]);
  }

  /** @internal encodes programs into one submission. */
  run(...programs: Program[]): void {
    this.checkAlive();
    // Long recordings go out as several submissions of at most MAX_DISPATCHES_PER_SUBMIT dispatches
    // (see program.ts): submitted in order, so the work and its results are the same.
    const create = () => this.device.createCommandEncoder({ label: 'webrnn' });
    const target: EncodeTarget = {
      encoder: create(),
      dispatches: 0,
      next: () => {
        this.device.queue.submit([target.encoder.finish()]);
        return create();
      },
    };
    for (const p of programs) p.encode(target);
    this.device.queue.submit([target.encoder.finish()]);
  }

  /** @internal reads float32 values back to the CPU. */
  async readBuffer(buffer: GPUBuffer, byteOffset: number, count: number): Promise<Float32Array> {
    this.checkAlive();
    if (count === 0) return new Float32Array(0);
    if (!this.isLive(buffer)) throw new WebRnnError('DISPOSED', `cannot read ${buffer.label || 'a buffer'}: its memory was freed (disposed, or a layer view from before a re-plan)`);
    const bytes = count * 4;
    const staging = this.device.createBuffer({ label: 'readback', size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    // The map is raced against device loss: an implementation may leave mapAsync pending forever on a
    // lost device, and a caller awaiting it (a training loop, a checkpoint) must not hang.
    let abort!: (e: Error) => void;
    const lostWhileWaiting = new Promise<never>((_, reject) => (abort = reject));
    this.pendingReads.add(abort);
    let mapping: Promise<void> | undefined;
    try {
      const enc = this.device.createCommandEncoder();
      enc.copyBufferToBuffer(buffer, byteOffset, staging, 0, bytes);
      this.device.queue.submit([enc.finish()]);
      mapping = staging.mapAsync(GPUMapMode.READ);
      await Promise.race([mapping, lostWhileWaiting]);
      return new Float32Array(staging.getMappedRange().slice(0));
    } catch (e) {
      // A map aborted by a destroyed device may reject before device.lost has settled: give it a moment.
      if (!this.lost) await Promise.race([this.lostSignal, new Promise((r) => setTimeout(r, 250))]);
      this.checkAlive();
      throw e;
    } finally {
      this.pendingReads.delete(abort);
      // When device loss won the race, Dawn still owns a pending map of `staging`: destroying the buffer
      // (and letting it be garbage-collected) before that map settles crashes or deadlocks Dawn's Node
      // binding. So the buffer stays referenced until the map settles (never, on some lost devices).
      if (mapping) mapping.then(() => staging.destroy(), () => staging.destroy());
      else staging.destroy();
    }
  }

  /**
   * The kernel variants the tuner has chosen so far on this adapter (measured, or restored from
   * `createEngine({ kernelChoices })`), as JSON-able data to store and pass back to createEngine.
   *
   * @example
   * const engine = await createEngine({ kernelChoices: JSON.parse(localStorage.getItem('webrnn-kernels') ?? 'undefined') });
   * // … run the workload once, then:
   * await engine.tuned();
   * localStorage.setItem('webrnn-kernels', JSON.stringify(engine.kernelChoices()));
   */
  kernelChoices(): KernelChoices {
    return this.tuner.choices();
  }

  /**
   * What the tuner did: how it times ('timestamp-query' or 'queue completion'), the time spent (bounded
   * by budgetMs per engine), and per (kernel, shape class) each variant's best time and the winner.
   */
  tuningReport(): TuningReport {
    return this.tuner.report();
  }

  /**
   * Resolves when no variant measurement is queued or running (measurements run in the background;
   * work recorded before they end uses today's choice, and switches to the winner afterwards).
   *
   * @example
   * lstm.forward(x);             // first use at this shape: the variants are timed in the background
   * const report = await engine.tuned();
   * console.log(report.ms, report.measured);
   */
  async tuned(): Promise<TuningReport> {
    // a measurement cut short by a lost or destroyed device may never settle: don't wait for it then
    await Promise.race([this.tuner.settled(), this.lostSignal]);
    return this.tuner.report();
  }

  /**
   * GPU buffers this engine holds now (tensors, layer weights and workspaces, kernel parameters); the
   * tuner's short-lived measurement buffers are not counted.
   */
  memory(): MemoryReport {
    let bytes = 0;
    for (const s of this.live.values()) bytes += s;
    return { buffers: this.live.size, bytes };
  }

  /** @internal counts of cached and created GPU objects, for leak tests. */
  counters(): EngineCounters {
    let pipelines = 0;
    let bindGroups = 0;
    for (const k of this.kernels.values()) {
      pipelines += k.pipelineCount;
      bindGroups += k.bindGroupsCreated;
    }
    return { kernels: this.kernels.size, pipelines, bindGroups: bindGroups + this.retiredBindGroups, buffersCreated: this.buffersCreated };
  }

  /** Frees every buffer and the device. The engine and everything made from it are unusable after. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of this.live.keys()) b.destroy();
    this.live.clear();
    for (const b of this.scratch) b.destroy();
    this.scratch.clear();
    for (const k of this.kernels.values()) this.retiredBindGroups += k.bindGroupsCreated;
    this.kernels.clear();
    this.device.destroy();
    void this.keepAlive;
  }

  /** @internal throws DISPOSED after dispose(), DEVICE_LOST once the device is lost. */
  checkAlive(): void {
    if (this.disposed) throw new WebRnnError('DISPOSED', 'this engine was disposed');
    if (this.lostReason !== undefined) throw this.lostError();
  }

  private lostError(): WebRnnError {
    return new WebRnnError('DEVICE_LOST', `the GPU device was lost (${this.lostReason}); create a new engine and resume from the last checkpoint`);
  }
}

/** A dtype argument: one of DTYPES (BAD_VALUE naming them otherwise). */
function checkDType(d: unknown): asserts d is TensorDType {
  if (!DTYPES.includes(d as TensorDType)) throw new WebRnnError('BAD_VALUE', `dtype must be one of ${DTYPES.map((t) => `'${t}'`).join(', ')}, got ${describe(d, 'contents')}`);
}

function effectiveLimits(device: GPUSupportedLimits, o: LimitOverrides): EngineLimits {
  if (o === null || typeof o !== 'object') throw new WebRnnError('BAD_CONFIG', `limits must be an object, got ${describe(o, 'contents')}`);
  knownKeys('limits', o, ['maxStorageBufferBindingSize', 'maxBufferSize']);
  const pick = (name: 'maxStorageBufferBindingSize' | 'maxBufferSize'): number => {
    const v = o[name];
    if (v === undefined) return device[name];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 256) throw new WebRnnError('BAD_CONFIG', `limits.${name} must be an integer ≥ 256, got ${describe(v, 'contents')}`);
    return Math.min(v, device[name]);
  };
  const maxBufferSize = pick('maxBufferSize');
  return {
    // Binding sizes are multiples of 4; a binding never exceeds its buffer.
    maxStorageBufferBindingSize: Math.floor(Math.min(pick('maxStorageBufferBindingSize'), maxBufferSize) / 4) * 4,
    maxBufferSize,
    maxComputeWorkgroupsPerDimension: device.maxComputeWorkgroupsPerDimension,
    minStorageBufferOffsetAlignment: device.minStorageBufferOffsetAlignment,
    maxUniformBufferBindingSize: device.maxUniformBufferBindingSize,
  };
}

/**
 * Creates an engine on the best WebGPU device this host offers: navigator.gpu in browsers and Deno,
 * the `webgpu` npm package (Dawn) in Node.
 *
 * @example
 * import { createEngine } from 'webrnn';
 * const engine = await createEngine();
 * console.log(engine.adapterName);
 */
export async function createEngine(opts: DeviceOptions = {}): Promise<Engine> {
  if (opts === null || typeof opts !== 'object') throw new WebRnnError('BAD_CONFIG', `createEngine options must be an object, got ${describe(opts, 'contents')}`);
  knownKeys('createEngine', opts, ['device', 'powerPreference', 'limits', 'checkFinite', 'tuning', 'kernels', 'kernelChoices', 'subgroups'], { code: 'BAD_CONFIG', voice: 'option' });
  if (opts.checkFinite !== undefined && typeof opts.checkFinite !== 'boolean') throw new WebRnnError('BAD_CONFIG', `createEngine: checkFinite must be true or false, got ${describe(opts.checkFinite, 'contents')}`);
  if (opts.subgroups !== undefined && typeof opts.subgroups !== 'boolean') throw new WebRnnError('BAD_CONFIG', `createEngine: subgroups must be true or false, got ${describe(opts.subgroups, 'contents')}`);
  if (opts.tuning !== undefined && opts.tuning !== 'auto' && opts.tuning !== 'off') throw new WebRnnError('BAD_CONFIG', `createEngine: tuning must be 'auto' or 'off', got ${describe(opts.tuning, 'contents')}`);
  const kernels = checkKernelVariants('createEngine', opts.kernels);
  const kernelChoices = checkKernelChoices('createEngine', opts.kernelChoices);
  const a = await acquireDevice(opts);
  let engine: Engine;
  try {
    engine = new Engine(a.device, a.host, a.adapter, a.keepAlive, opts.limits ?? {}, { tuning: opts.tuning, kernels, kernelChoices });
  } catch (e) {
    if (!opts.device) a.device.destroy();
    throw e;
  }
  engine.checkFinite = opts.checkFinite ?? false;
  // a device given by the caller may have the feature; subgroups: false still keeps it unused
  if (opts.subgroups === false) engine.subgroups = false;
  return engine;
}
