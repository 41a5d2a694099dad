import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { Program } from '../gpu/program.js';
import { Recorder } from '../gpu/recorder.js';
import { Tensor, type TokenDType } from '../gpu/tensor.js';
import { Rng } from '../random.js';
import { flag, intOption, knownKeys, optionsOf, seedOf } from '../checks.js';
import { expectShape, tokenTensor } from '../gpu/tensor-checks.js';
import { foldedGrid } from './grid.js';
import { ParameterLayer } from './layer.js';
import type { ParameterStore } from './parameter-store.js';
import { checkTokens, groupByToken, type TokenIds } from './tokens.js';
import * as shaders from '../gpu/shader-sources.gen.js';

/** Constructor arguments of an {@link Embedding}: PyTorch nn.Embedding's names. */
export interface EmbeddingConfig {
  /** Vocabulary size V. */
  num_embeddings: number;
  /** Embedding size E. */
  embedding_dim: number;
  /**
   * A token id whose row is initialised to 0 and never receives a gradient (PyTorch's padding_idx);
   * negative values count from the end (−1 is V − 1). Default: none.
   */
  padding_idx?: number;
}

export interface EmbeddingOptions {
  /** Seed of the N(0, 1) initialisation (default 0). */
  seed?: number;
}

export interface EmbeddingBackwardOptions {
  /** Add into the weight gradient instead of overwriting it (default false); see DenseBackwardOptions. */
  accumulate?: boolean;
}

export interface EmbeddingBackwardResult {
  /** dL/dW (V, E): for each id, the sum of dL/dy over the positions holding it; 0 for absent ids and padding_idx. */
  grads: { weight: Tensor };
}

const F32 = 4;
const NO_ID = 0xffffffff;

/**
 * A lookup table with PyTorch nn.Embedding semantics: token ids of any shape → their rows of W (V, E).
 * Token ids stay on the CPU, where they are checked (every id in [0, V)) before any GPU work; the
 * backward is deterministic: positions are grouped by id on the CPU and each gradient row is summed in
 * position order by one invocation per feature, with no atomics.
 *
 * forward/backward return views of the layer's workspace, valid until its next forward/backward.
 *
 * @example
 * const emb = new Embedding(engine, { num_embeddings: 100, embedding_dim: 16, padding_idx: 0 }, { seed: 1 });
 * const x = emb.forward(Int32Array.of(5, 7, 0, 5, 9, 0), [3, 2]); // (T=3, B=2) -> (3, 2, 16)
 * const { grads } = emb.backward(engine.tensor(new Float32Array(3 * 2 * 16).fill(1), [3, 2, 16]));
 * console.log(await grads.weight.read());
 * emb.dispose();
 */
export class Embedding extends ParameterLayer {
  readonly num_embeddings: number;
  readonly embedding_dim: number;
  /** The padding id, normalised to [0, V), or undefined. */
  readonly padding_idx: number | undefined;
  private plan: EmbeddingPlan | undefined;
  private last: { shape: readonly number[]; tokens: Uint32Array; grouped: boolean } | undefined;

  constructor(engine: Engine, config: EmbeddingConfig, opts: EmbeddingOptions = {}) {
    knownKeys('Embedding', config, ['num_embeddings', 'embedding_dim', 'padding_idx']);
    knownKeys('Embedding options', opts, ['seed']);
    const seed = seedOf('Embedding options', opts.seed);
    const V = intOption('Embedding', 'num_embeddings', config.num_embeddings);
    const E = intOption('Embedding', 'embedding_dim', config.embedding_dim);
    const p = config.padding_idx;
    if (p !== undefined && (typeof p !== 'number' || !Number.isInteger(p) || p < -V || p >= V)) {
      throw new WebRnnError('BAD_CONFIG', `Embedding: padding_idx must be an integer in [-${V}, ${V}), got ${JSON.stringify(p)}`);
    }
    super(engine, [{ name: 'weight', shape: [V, E] }], 'Embedding');
    this.num_embeddings = V;
    this.embedding_dim = E;
    this.padding_idx = p === undefined ? undefined : p < 0 ? p + V : p;
    const rng = new Rng(seed);
    const w = new Float32Array(V * E);
    for (let i = 0; i < w.length; i++) w[i] = rng.normal();
    if (this.padding_idx !== undefined) w.fill(0, this.padding_idx * E, (this.padding_idx + 1) * E);
    // The padding row is loaded as given by loadStateDict (PyTorch does not re-zero it either).
    this.store.load({ weight: w }, 'Embedding');
  }

  /**
   * Looks up the rows of `tokens`.
   * @param tokens one id per element of `shape`, row-major, each in [0, V)
   * @param shape e.g. (T, B) or (B, T)
   * @returns a view (…shape, E)
   */
  forward(tokens: TokenIds, shape: readonly number[]): Tensor {
    this.check();
    const ids = checkTokens(tokens, shape, this.num_embeddings, 'Embedding');
    const plan = this.planFor(ids.length);
    this.engine.writeBuffer(plan.index, 0, ids);
    this.engine.run(plan.forward);
    this.last = { shape: [...shape], tokens: ids, grouped: false };
    return new Tensor(this.engine, plan.y, [...shape, this.embedding_dim], 0, false);
  }

  /**
   * Looks up the rows of token ids that are already on the GPU — a uint32 or int32 {@link Tensor}, e.g.
   * the ids a sampler or a generator returned — with no CPU round trip. Only the tensor (live, of this
   * engine, an id dtype) is checked on the CPU: the ids themselves are not, so an id ≥ V is clamped to
   * V − 1 in the shader (embedding_gather_ids) and never reads outside W; a negative int32 id is read
   * as its u32 bits (≥ 2³¹), so it is clamped to V − 1 too. Forward only: a following backward() fails
   * with BAD_STATE (its deterministic gradient groups the ids on the CPU; use forward() for training).
   *
   * @example
   * const sampler = new Sampler(engine);
   * const logits = head.forward(h);                      // (B, V)
   * const ids = sampler.sample(logits, { seed: 1 });      // uint32 Tensor (B) on the GPU
   * const x = emb.forwardIds(ids.view([1, ids.size]));    // (1, B, E)
   * @param ids token ids of any shape, dtype uint32 or int32 (view() gives them another shape)
   * @returns a view (…ids.shape, E)
   */
  forwardIds(ids: Tensor<TokenDType>): Tensor {
    this.check();
    tokenTensor(ids, 'Embedding forwardIds: ids', this.engine);
    const N = ids.size;
    const plan = this.planFor(N);
    const pre = new Program();
    pre.copy(ids.buffer, ids.byteOffset, plan.index, 0, N * 4);
    this.engine.run(pre, plan.idsForward());
    this.last = undefined;
    return new Tensor(this.engine, plan.y, [...ids.shape, this.embedding_dim], 0, false);
  }

  /**
   * dL/dW for the most recent forward, given dL/dy (…shape, E).
   */
  backward(grad_y: Tensor, opts?: EmbeddingBackwardOptions): EmbeddingBackwardResult {
    this.check();
    optionsOf('Embedding backward options', opts, ['accumulate']);
    const accumulate = flag('Embedding backward', 'accumulate', opts?.accumulate, false, { code: 'BAD_VALUE' });
    const last = this.last;
    if (!last) throw new WebRnnError('BAD_STATE', 'Embedding backward needs a forward first');
    expectShape(grad_y, 'Embedding grad_y', [...last.shape, this.embedding_dim], this.engine);
    const plan = this.plan!;
    if (!last.grouped) {
      // Grouped on the first backward after a forward, so inference never pays for it.
      plan.uploadGroups(this.engine, last.tokens, this.padding_idx);
      last.grouped = true;
    }
    const pre = new Program();
    pre.copy(grad_y.buffer, grad_y.byteOffset, plan.dy(), 0, grad_y.size * F32);
    this.engine.run(pre, plan.backwardProgram(accumulate));
    return { grads: { weight: this.store.views('grads').weight } };
  }

  protected override releaseWorkspace(): void {
    this.plan?.dispose();
  }

  private planFor(N: number): EmbeddingPlan {
    if (this.plan?.N === N) return this.plan;
    this.plan?.dispose();
    this.plan = undefined;
    this.last = undefined;
    this.plan = new EmbeddingPlan(this.engine, this.store, this.num_embeddings, this.embedding_dim, N);
    return this.plan;
  }
}

/**
 * The GPU work of an Embedding for N tokens. `index` (u32) holds, at fixed element offsets:
 * tokens (N) | positions (N) | offsets (U_max + 1) | ids (U_max), U_max = min(N, V); unused id slots
 * hold 0xffffffff. Workspaces y and dy are (N, E).
 */
class EmbeddingPlan {
  readonly forward = new Program();
  readonly index: GPUBuffer;
  readonly y: GPUBuffer;
  private dyBuf: GPUBuffer | undefined;
  private idsProgram: Program | undefined;
  private readonly backward: (Program | undefined)[] = [undefined, undefined];
  private readonly rec: Recorder;
  private readonly Umax: number;

  constructor(
    private readonly engine: Engine,
    private readonly store: ParameterStore,
    private readonly V: number,
    private readonly E: number,
    readonly N: number,
  ) {
    this.rec = new Recorder(engine, 'Embedding');
    this.Umax = Math.min(N, V);
    // Anything built before a failure (e.g. a DEVICE_LIMIT error) is freed, not leaked.
    try {
      this.index = this.rec.buffer((2 * N + 2 * this.Umax + 1) * 4, 'index');
      this.y = this.rec.buffer(N * E * F32, 'y');
      const k = engine.kernel(shaders.embedding_gather);
      const g = this.rec.bind(k, { N, E, w_off: store.offset('weight') }, { index: this.index, w: store.params, out: this.y }, 'gather');
      this.forward.dispatch(k, [g], foldedGrid(engine, Math.ceil((N * E) / 64)));
    } catch (e) {
      this.rec.dispose();
      throw e;
    }
  }

  /** The gather of GPU-resident ids (tokens region of `index`), clamped in-shader; built on first use. */
  idsForward(): Program {
    if (this.idsProgram) return this.idsProgram;
    const { N, E, V, engine, store } = this;
    const k = engine.kernel(shaders.embedding_gather_ids);
    const g = this.rec.bind(k, { N, E, V, w_off: store.offset('weight'), ids_off: 0 }, { ids: this.index, w: store.params, out: this.y }, 'gather ids');
    const step = k.bindGroup(1, { step: this.rec.uniform(new Uint32Array(4), 'gather ids:step') }, 'step 0');
    const prog = new Program();
    prog.dispatch(k, [g, step], foldedGrid(engine, Math.ceil((N * E) / 64)), 0);
    this.idsProgram = prog;
    return prog;
  }

  dy(): GPUBuffer {
    this.dyBuf ??= this.rec.buffer(this.N * this.E * F32, 'dy');
    return this.dyBuf;
  }

  /** Writes positions, offsets and ids (after the tokens) into `index`. */
  uploadGroups(engine: Engine, tokens: Uint32Array, padding: number | undefined): void {
    const { N, Umax } = this;
    const g = groupByToken(tokens, padding ?? -1);
    const tail = new Uint32Array(N + 2 * Umax + 1);
    tail.set(g.positions, 0);
    tail.set(g.offsets, N);
    tail.fill(NO_ID, N + Umax + 1 + g.ids.length);
    tail.set(g.ids, N + Umax + 1);
    engine.writeBuffer(this.index, N * 4, tail);
  }

  backwardProgram(accumulate: boolean): Program {
    const a = accumulate ? 1 : 0;
    const have = this.backward[a];
    if (have) return have;
    const { N, E, V, Umax, engine, store } = this;
    const prog = new Program();
    const wOff = store.offset('weight');
    if (!accumulate) prog.clear(store.grads, wOff * F32, V * E * F32);
    const k = engine.kernel(shaders.embedding_grad);
    const g = this.rec.bind(k, {
      E, U_max: Umax, pos_off: N, offs_off: 2 * N, ids_off: 2 * N + Umax + 1, w_off: wOff, accumulate: a,
    }, { index: this.index, dy: this.dy(), grads: store.grads }, `grad${accumulate ? ' accumulate' : ''}`);
    prog.dispatch(k, [g], foldedGrid(engine, Math.ceil((Umax * E) / 64)));
    this.backward[a] = prog;
    return prog;
  }

  dispose(): void {
    this.rec.dispose();
  }
}
