import { WebRnnError } from '../errors.js';
import type { Engine } from './engine.js';

/** The element type of a {@link Tensor}: float32 values, or int32 / uint32 integers (token ids). */
export type TensorDType = 'float32' | 'int32' | 'uint32';

/** The dtypes token ids may have on the GPU (what samplers return; what Embedding.forwardIds, OneHot and CrossEntropyLoss targets read). */
export type TokenDType = 'int32' | 'uint32';

/** The typed array that holds a tensor's values on the CPU, by dtype. */
export interface TensorDTypeArray {
  /** float32 values. */
  float32: Float32Array;
  /** int32 integers. */
  int32: Int32Array;
  /** uint32 integers. */
  uint32: Uint32Array;
}

/** @internal every dtype, for checks and messages. */
export const DTYPES: readonly TensorDType[] = ['float32', 'int32', 'uint32'];

/**
 * An array on the GPU with a shape (row-major) and a dtype: float32 (the default, what layers compute
 * on) or int32 / uint32 (token ids: what samplers and generators return, what
 * {@link Embedding.forwardIds}, {@link OneHot} and {@link CrossEntropyLoss} (as targets)
 * read). Every dtype has 4-byte elements. Tensors made by `engine.tensor()` own their buffer and are
 * freed by `dispose()`. Tensors returned by a layer's forward/backward are views of the layer's
 * workspace: they stay valid until the layer's next forward/backward (or its dispose) — copy with
 * `clone()` to keep one longer.
 *
 * @example
 * const x = engine.tensor(new Float32Array(6), [3, 2, 1]);
 * console.log(await x.read()); // Float32Array(6)
 * x.dispose();
 * const ids = engine.tensor(Uint32Array.of(3, 1, 4), [3]); // dtype 'uint32', inferred from the array
 * console.log(ids.dtype, await ids.read());              // uint32 Uint32Array(3)
 * ids.dispose();
 */
export class Tensor<D extends TensorDType = 'float32'> {
  readonly shape: readonly number[];
  readonly size: number;
  private disposed = false;

  /** @internal */
  constructor(
    /** @internal the engine whose device holds the memory */ readonly engine: Engine,
    /** @internal */ readonly buffer: GPUBuffer,
    shape: readonly number[],
    /** @internal byte offset of element 0 in buffer */ readonly byteOffset: number,
    private readonly owned: boolean,
    /** The element type; float32 unless made as ids. */ readonly dtype: D = 'float32' as D,
  ) {
    this.shape = Object.freeze([...shape]);
    this.size = shape.reduce((a, b) => a * b, 1);
  }

  /** Copies the data to the CPU, as the typed array of the dtype (Float32Array for float32). */
  async read(): Promise<TensorDTypeArray[D]> {
    this.check();
    const f = await this.engine.readBuffer(this.buffer, this.byteOffset, this.size);
    if (this.dtype === 'int32') return new Int32Array(f.buffer, f.byteOffset, f.length) as TensorDTypeArray[D];
    if (this.dtype === 'uint32') return new Uint32Array(f.buffer, f.byteOffset, f.length) as TensorDTypeArray[D];
    return f as TensorDTypeArray[D];
  }

  /**
   * Overwrites the tensor's values with `data` (as many values as the tensor has, of its dtype: the
   * matching typed array or an array of numbers, checked like engine.tensor's), e.g. to feed each batch
   * into the same input tensor.
   *
   * @example
   * const x = engine.empty([5, 2, 8]);                 // (T, B, I), allocated once
   * for (let step = 0; step < 3; step++) {
   *   x.write(new Float32Array(5 * 2 * 8).fill(step));   // this step's batch
   *   lstm.forward(x);
   * }
   */
  write(data: TensorDTypeArray[D] | readonly number[]): void {
    this.check();
    const f = this.engine.tensorData(data, this.shape, this.dtype);
    if (f.length > 0) this.engine.writeBuffer(this.buffer, this.byteOffset, f.buffer, f.byteOffset, f.byteLength);
  }

  /**
   * The same memory under another shape with the same number of elements (a view: it owns nothing
   * and lives as long as this tensor's memory), of the same dtype.
   *
   * @example
   * const { output } = lstm.forward(x);
   * const [T, B, H] = output.shape;
   * const rows = output.view([T * B, H]); // (T, B, H) as T·B rows
   */
  view(shape: readonly number[]): Tensor<D> {
    this.check();
    const n = shape.reduce((a, b) => a * b, 1);
    if (shape.some((d) => !Number.isInteger(d) || d < 0) || n !== this.size) {
      throw new WebRnnError('BAD_SHAPE', `cannot view a tensor of shape [${this.shape.join(', ')}] (${this.size} values) as [${shape.join(', ')}]`);
    }
    return new Tensor(this.engine, this.buffer, shape, this.byteOffset, false, this.dtype);
  }

  /** A new tensor owning a copy of this one's data (same shape and dtype). */
  clone(): Tensor<D> {
    this.check();
    const t = this.engine.empty(this.shape, this.dtype);
    this.engine.copy(this.buffer, this.byteOffset, t.buffer, 0, this.size * 4);
    return t;
  }

  /** Releases the GPU memory of a tensor made by engine.tensor()/empty(); no-op for layer views. */
  dispose(): void {
    if (this.owned && !this.disposed) this.engine.releaseBuffer(this.buffer);
    this.disposed = true;
  }

  /**
   * True after dispose(), and for a view whose memory is gone: its layer was disposed, or re-planned
   * for another shape (results are views of a workspace, valid until the layer's next call).
   */
  get isDisposed(): boolean {
    return this.disposed || !this.engine.isLive(this.buffer);
  }

  private check(): void {
    if (this.disposed) throw new WebRnnError('DISPOSED', 'this tensor was disposed');
    if (!this.engine.isLive(this.buffer)) {
      throw new WebRnnError('DISPOSED', `this tensor's memory was freed: it is a view of a layer's workspace, and the layer was disposed or re-planned for another shape (clone() results you keep)`);
    }
  }
}
