import { hiddenStateSize } from '../layers/recurrent-config.js';
import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import type { Tensor } from '../gpu/tensor.js';
import { intOption, knownKeys } from '../checks.js';
import { expectShape } from '../gpu/tensor-checks.js';
import type { ForwardResult, Recurrent } from '../layers/recurrent.js';

/**
 * Streaming inference over a recurrent stack: each forward() continues from the state the previous
 * one ended in (h_n / c_n carried on the GPU), so feeding a sequence in chunks gives the outputs of one
 * forward over the whole sequence. reset() starts a new stream (zeros, or a given state).
 *
 * The carried state is copied out of the layer's workspace after every call (the layer reuses its
 * workspace, and a new chunk length gives it a new one), so chunks may have any length.
 *
 * @example
 * const stream = new StatefulRecurrent(engine, lstm);
 * const chunks = [3, 5].map((T) => engine.tensor(new Float32Array(T * 1 * 8), [T, 1, 8])); // lstm's input_size 8
 * for (const chunk of chunks) {                        // each (T_i, B, I)
 *   const { output } = stream.forward(chunk);          // = that slice of lstm.forward(all).output
 *   console.log(await output.read());
 * }
 * stream.reset();
 */
export class StatefulRecurrent {
  private readonly h: Tensor;
  private readonly c: Tensor | undefined;
  private disposed = false;

  constructor(
    private readonly engine: Engine,
    readonly layer: Recurrent,
    /** Batch rows B of every chunk (default 1). */
    readonly batch = 1,
  ) {
    intOption('StatefulRecurrent', 'batch', batch);
    const c = layer.config;
    const LD = c.num_layers * (c.bidirectional ? 2 : 1);
    this.h = engine.empty([LD, batch, hiddenStateSize(c)]);
    this.c = c.mode === 'LSTM' ? engine.empty([LD, batch, c.hidden_size]) : undefined;
  }

  /**
   * Runs the layer over the next chunk, starting from the carried state (zeros after construction or
   * reset()); the result's views are the layer's, valid until its next call.
   * @param chunk (T, B, I), or (B, T, I) when batch_first
   */
  forward(chunk: Tensor): ForwardResult {
    this.check();
    const B = this.layer.config.batch_first ? chunk?.shape?.[0] : chunk?.shape?.[1];
    if (chunk?.shape?.length === 3 && B !== this.batch) {
      throw new WebRnnError('BAD_SHAPE', `StatefulRecurrent: every chunk needs batch = ${this.batch} rows, got shape [${chunk.shape.join(', ')}]`);
    }
    const r = this.layer.forward(chunk, { h0: this.h, ...(this.c ? { c0: this.c } : {}) });
    // The layer copied h0/c0 into its workspace at the start of this submission, so overwriting them
    // now (a later submission) is safe.
    expectShape(r.h_n, 'h_n', this.h.shape);
    this.engine.copy(r.h_n.buffer, r.h_n.byteOffset, this.h.buffer, 0, this.h.size * 4);
    if (this.c && r.c_n) this.engine.copy(r.c_n.buffer, r.c_n.byteOffset, this.c.buffer, 0, this.c.size * 4);
    return r;
  }

  /** Starts a new stream: zero state, or h0 / c0 ((L·D, B, H); h0 (L·D, B, proj_size) when projected) when given. */
  reset(state: { h0?: Tensor; c0?: Tensor } = {}): void {
    this.check();
    knownKeys('StatefulRecurrent reset', state, ['h0', 'c0'], { code: 'BAD_VALUE' });
    if (state.c0 !== undefined && !this.c) throw new WebRnnError('BAD_SHAPE', `c0 is for LSTM only; this layer is ${this.layer.config.mode}`);
    for (const [given, own, name] of [[state.h0, this.h, 'h0'], [state.c0, this.c, 'c0']] as const) {
      if (!own) continue;
      const bytes = own.size * 4; // h and c differ in width when the LSTM projects (proj_size)
      if (given) {
        expectShape(given, name, own.shape);
        this.engine.copy(given.buffer, given.byteOffset, own.buffer, 0, bytes);
      } else {
        this.engine.clear(own.buffer, 0, bytes);
      }
    }
  }

  /** The carried state (owned copies, (L·D, B, H)), valid until the next forward() or reset(). */
  get state(): { h: Tensor; c?: Tensor } {
    this.check();
    return this.c ? { h: this.h, c: this.c } : { h: this.h };
  }

  /** Frees the carried state (not the layer). */
  dispose(): void {
    if (this.disposed) return;
    this.h.dispose();
    this.c?.dispose();
    this.disposed = true;
  }

  private check(): void {
    if (this.disposed) throw new WebRnnError('DISPOSED', 'this StatefulRecurrent was disposed');
  }
}
