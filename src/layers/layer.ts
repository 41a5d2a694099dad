import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import type { Tensor } from '../gpu/tensor.js';
import { ParameterStore, type NamedShape, type ParameterBlock } from './parameter-store.js';

/** Parameter values by state_dict name, as {@link ParameterLayer.loadStateDict} takes them. */
export type StateDictValues = Record<string, Float32Array | Float64Array | readonly number[]>;

/**
 * The contract every layer with parameters keeps (Dense, Embedding, the recurrent stack, the attention
 * decoder, the word-vector models): its parameters live in one {@link ParameterStore} (a flat GPU buffer
 * in state_dict order and a gradient twin); `blocks()` is what optimizers and gradient clipping take;
 * state_dicts load and read by PyTorch name; `dispose()` frees the workspace and then the parameters,
 * and any later call throws DISPOSED.
 *
 * @example
 * const engine = await createEngine();
 * const head = new Dense(engine, { in_features: 16, out_features: 4 });
 * const opt = new Adam(engine, head.blocks(), { lr: 1e-3 });
 * console.log(head.specs, head.parameterCount, Object.keys(await head.stateDict()));
 * opt.dispose();
 * head.dispose();
 */
export abstract class ParameterLayer {
  /** The flat parameter and gradient buffers (what optimizers update). */
  readonly store: ParameterStore;
  protected readonly engine: Engine;
  private disposed = false;

  /** @param kind the layer's name in messages ("Dense", "LSTM", …) */
  protected constructor(engine: Engine, specs: readonly NamedShape[], protected readonly kind: string) {
    this.engine = engine;
    this.store = new ParameterStore(engine, specs, kind);
  }

  /** Names and shapes of the parameters, in state_dict order. */
  get specs(): readonly NamedShape[] {
    return this.store.specs;
  }

  /** Total number of parameters. */
  get parameterCount(): number {
    return this.store.parameterCount;
  }

  /** The parameter blocks an optimizer or {@link GradNorm} updates: `new Adam(engine, layer.blocks())`. */
  blocks(): ParameterBlock[] {
    this.check();
    return [this.store];
  }

  /**
   * Loads every parameter by PyTorch state_dict name (e.g. from `torch.save(m.state_dict())` converted to
   * safetensors). Every parameter must be present with its exact size; unknown names are an error;
   * nothing is written unless everything is valid.
   */
  loadStateDict(sd: StateDictValues): void {
    this.check();
    this.store.load(sd, this.kind);
  }

  /** The parameters, by state_dict name, read back to the CPU. */
  async stateDict(): Promise<Record<string, Float32Array>> {
    this.check();
    return this.store.read('params');
  }

  /** The parameters as tensors (views of the flat parameter buffer), by state_dict name. */
  parameters(): Record<string, Tensor> {
    this.check();
    return this.store.views('params');
  }

  /** Frees the layer's workspace and parameters; idempotent. Any later call throws DISPOSED. */
  dispose(): void {
    if (this.disposed) return;
    this.releaseWorkspace();
    this.store.dispose();
    this.disposed = true;
  }

  /** Frees what the layer allocated besides its parameters (plans, workspaces); called once by dispose(). */
  protected releaseWorkspace(): void {}

  /** Whether dispose() has run (for work that finishes later, e.g. a background measurement). */
  protected get isDisposed(): boolean {
    return this.disposed;
  }

  /** Throws DISPOSED after dispose(). */
  protected check(): void {
    if (this.disposed) throw new WebRnnError('DISPOSED', `this ${this.kind} was disposed`);
  }
}
