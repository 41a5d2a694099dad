import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';

/**
 * Token ids (u32) on the GPU with a shape, row-major — what the sampler and the generator write, and
 * what {@link Embedding.forwardIds} reads. Like layer outputs, the ones returned by a sampler or a
 * generator are views of its workspace: valid until its next call (read() what you keep).
 *
 * @example
 * const sampler = new Sampler(engine);
 * const logits = engine.tensor(new Float32Array(2 * 10), [2, 10]); // (B, V)
 * const ids = sampler.sample(logits, { seed: 7 }); // (B)
 * console.log(await ids.read());                   // Uint32Array(B)
 */
export class TokenTensor {
  readonly shape: readonly number[];
  readonly size: number;

  /** @internal */
  constructor(
    private readonly engine: Engine,
    /** The buffer holding the ids (u32). */ readonly buffer: GPUBuffer,
    shape: readonly number[],
    /** Byte offset of element 0 in buffer. */ readonly byteOffset: number,
    private readonly alive: () => boolean = () => true,
  ) {
    this.shape = Object.freeze([...shape]);
    this.size = shape.reduce((a, b) => a * b, 1);
  }

  /** Copies the ids to the CPU (one mapAsync). */
  async read(): Promise<Uint32Array> {
    if (!this.alive()) throw new WebRnnError('DISPOSED', 'the sampler or generator holding these ids was disposed');
    const f = await this.engine.readBuffer(this.buffer, this.byteOffset, this.size);
    return new Uint32Array(f.buffer, f.byteOffset, this.size);
  }
}
