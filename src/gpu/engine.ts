import { WebRnnError } from '../errors.js';
import { acquireDevice, type DeviceOptions, type Host } from './device.js';
import { Kernel } from './kernel.js';
import { Tensor } from './tensor.js';
import type { Program } from './program.js';
import { Recurrent, type RecurrentOptions } from '../layers/recurrent.js';
import type { RecurrentConfig } from '../config.js';

const USAGE_STORAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** What the engine holds on the GPU right now. */
export interface MemoryReport {
  buffers: number;
  bytes: number;
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
  private readonly keepAlive: unknown;
  private lostReason: string | undefined;

  /** @internal use createEngine() */
  constructor(device: GPUDevice, host: Host, adapter: GPUAdapter | undefined, keepAlive: unknown) {
    this.device = device;
    this.host = host;
    this.keepAlive = keepAlive;
    const info = adapter?.info;
    this.adapterInfo = {
      vendor: info?.vendor ?? '',
      architecture: info?.architecture ?? '',
      device: info?.device ?? '',
      description: info?.description ?? '',
    };
    void device.lost.then((l) => {
      this.lostReason = l.message || String(l.reason);
    });
  }

  /** The adapter's name as a person would say it (e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"). */
  get adapterName(): string {
    const i = this.adapterInfo;
    return i.description || [i.vendor, i.architecture, i.device].filter(Boolean).join(' ') || 'unknown adapter';
  }

  /** @internal a kernel by file name, compiled on first use. */
  kernel(name: string): Kernel {
    this.checkAlive();
    let k = this.kernels.get(name);
    if (!k) {
      k = new Kernel(this.device, name);
      this.kernels.set(name, k);
    }
    return k;
  }

  /** @internal a tracked storage buffer (zero-initialised by WebGPU). */
  createBuffer(bytes: number, label: string, usage = USAGE_STORAGE()): GPUBuffer {
    this.checkAlive();
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    const lim = this.device.limits;
    if (size > lim.maxBufferSize || ((usage & GPUBufferUsage.STORAGE) !== 0 && size > lim.maxStorageBufferBindingSize)) {
      throw new WebRnnError(
        'DEVICE_LIMIT',
        `${label} needs ${size} bytes, more than this adapter allows for one buffer (maxBufferSize ${lim.maxBufferSize}, maxStorageBufferBindingSize ${lim.maxStorageBufferBindingSize}); use a smaller batch or shorter sequences`,
      );
    }
    const b = this.device.createBuffer({ label, size, usage });
    this.live.set(b, size);
    return b;
  }

  /** @internal */
  releaseBuffer(b: GPUBuffer): void {
    if (this.live.delete(b)) b.destroy();
  }

  /** @internal a uniform buffer holding `data`, written once. */
  uniform(data: ArrayBuffer, label: string): GPUBuffer {
    const b = this.createBuffer(data.byteLength, label, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    this.device.queue.writeBuffer(b, 0, data);
    return b;
  }

  /**
   * Uploads data to a new tensor on the GPU.
   *
   * @example
   * const x = engine.tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [3, 1, 2]); // (T, B, I)
   */
  tensor(data: Float32Array | readonly number[], shape: readonly number[]): Tensor {
    checkShape(shape);
    const n = shape.reduce((a, b) => a * b, 1);
    if (data.length !== n) throw new WebRnnError('BAD_SHAPE', `tensor data has ${data.length} values, shape [${shape.join(', ')}] needs ${n}`);
    const t = this.empty(shape);
    const f = data instanceof Float32Array ? data : Float32Array.from(data);
    if (n > 0) this.device.queue.writeBuffer(t.buffer, 0, f.buffer, f.byteOffset, f.byteLength);
    return t;
  }

  /**
   * A recurrent layer stack (nn.RNN / nn.GRU / nn.LSTM semantics) on this engine's device, initialised
   * like PyTorch from a seed.
   *
   * @example
   * const lstm = engine.recurrent({ mode: 'LSTM', input_size: 32, hidden_size: 64, num_layers: 2 }, { seed: 1 });
   */
  recurrent(config: RecurrentConfig, opts?: RecurrentOptions): Recurrent {
    this.checkAlive();
    return new Recurrent(this, config, opts);
  }

  /** A new zero-filled tensor. */
  empty(shape: readonly number[]): Tensor {
    checkShape(shape);
    const n = shape.reduce((a, b) => a * b, 1);
    return new Tensor(this, this.createBuffer(n * 4, `tensor[${shape.join(',')}]`), shape, 0, true);
  }

  /** @internal copies bytes between buffers now (own submission). */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, size: number): void {
    const enc = this.device.createCommandEncoder();
    enc.copyBufferToBuffer(src, srcOffset, dst, dstOffset, size);
    this.device.queue.submit([enc.finish()]);
  }

  /** @internal encodes programs into one submission. */
  run(...programs: Program[]): void {
    this.checkAlive();
    const enc = this.device.createCommandEncoder({ label: 'webrnn' });
    for (const p of programs) p.encode(enc);
    this.device.queue.submit([enc.finish()]);
  }

  /** @internal reads float32 values back to the CPU. */
  async readBuffer(buffer: GPUBuffer, byteOffset: number, count: number): Promise<Float32Array> {
    this.checkAlive();
    if (count === 0) return new Float32Array(0);
    const bytes = Math.ceil((count * 4) / 4) * 4;
    const staging = this.device.createBuffer({ label: 'readback', size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      const enc = this.device.createCommandEncoder();
      enc.copyBufferToBuffer(buffer, byteOffset, staging, 0, bytes);
      this.device.queue.submit([enc.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      return new Float32Array(staging.getMappedRange().slice(0));
    } catch (e) {
      this.checkAlive();
      throw e;
    } finally {
      staging.destroy();
    }
  }

  /** GPU buffers this engine holds now (tensors, layer weights and workspaces, kernel parameters). */
  memory(): MemoryReport {
    let bytes = 0;
    for (const s of this.live.values()) bytes += s;
    return { buffers: this.live.size, bytes };
  }

  /** Frees every buffer and the device. The engine and everything made from it are unusable after. */
  dispose(): void {
    for (const b of this.live.keys()) b.destroy();
    this.live.clear();
    this.kernels.clear();
    this.device.destroy();
    void this.keepAlive;
  }

  private checkAlive(): void {
    if (this.lostReason !== undefined) throw new WebRnnError('DEVICE_LOST', `the GPU device was lost (${this.lostReason}); create a new engine`);
  }
}

function checkShape(shape: readonly number[]): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new WebRnnError('BAD_SHAPE', `a shape is a list of non-negative integers, got ${JSON.stringify(shape)}`);
  }
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
  const a = await acquireDevice(opts);
  return new Engine(a.device, a.host, a.adapter, a.keepAlive);
}
