import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { Program } from '../gpu/program.js';
import { Recorder } from '../gpu/recorder.js';
import { Tensor, type TokenDType } from '../gpu/tensor.js';
import { intOption, knownKeys } from '../checks.js';
import { tokenTensor } from '../gpu/tensor-checks.js';
import { foldedGrid } from './grid.js';
import { checkTokens, type TokenIds } from './tokens.js';
import * as shaders from '../gpu/shader-sources.gen.js';

/** Constructor arguments of a {@link OneHot} encoder. */
export interface OneHotConfig {
  /** Vocabulary size V: the length of each one-hot row. */
  num_classes: number;
}

/**
 * Token ids → float one-hot rows, `F.one_hot(tokens, V).float()`: the course's input encoding before
 * embeddings (x<t> is a V-vector with a single 1). No parameters and no backward. Ids on the CPU are
 * checked (each in [0, V)) before any GPU work; ids already on the GPU (a uint32 / int32 Tensor, e.g. a
 * sampler's output) are not: as in {@link Embedding.forwardIds}, an id ≥ V (a negative int32 id, read
 * as its u32 bits, included) is clamped to V − 1 in the shader (one_hot_ids). The result is a view,
 * valid until the next forward.
 *
 * @example
 * const oh = new OneHot(engine, { num_classes: 27 });
 * const x = oh.forward([3, 0, 26, 1], [2, 2]); // (T=2, B=2) -> (2, 2, 27)
 * const same = oh.forward(engine.tensor(Uint32Array.of(3, 0, 26, 1), [2, 2])); // ids on the GPU
 * const lstm = new Recurrent(engine, { mode: 'LSTM', input_size: 27, hidden_size: 64 });
 * lstm.forward(x);
 */
export class OneHot {
  readonly num_classes: number;
  private readonly engine: Engine;
  private plan: { N: number; rec: Recorder; tokens: GPUBuffer; out: GPUBuffer; prog: Program; idsProg?: Program } | undefined;
  private disposed = false;

  constructor(engine: Engine, config: OneHotConfig) {
    knownKeys('OneHot', config, ['num_classes']);
    this.engine = engine;
    this.num_classes = intOption('OneHot', 'num_classes', config.num_classes);
  }

  /**
   * @param tokens one id per element of `shape`, row-major, each in [0, num_classes)
   * @returns a view (…shape, num_classes) of 0s and 1s
   */
  forward(tokens: TokenIds, shape: readonly number[]): Tensor;
  /**
   * @param ids token ids on the GPU (uint32 or int32), of any shape
   * @returns a view (…ids.shape, num_classes) of 0s and 1s
   */
  forward(ids: Tensor<TokenDType>): Tensor;
  forward(tokens: TokenIds | Tensor<TokenDType>, shape?: readonly number[]): Tensor {
    if (this.disposed) throw new WebRnnError('DISPOSED', 'this OneHot layer was disposed');
    const V = this.num_classes;
    let ids: Tensor<TokenDType> | Uint32Array<ArrayBuffer>;
    let outShape: readonly number[];
    if (tokens instanceof Tensor) {
      tokenTensor(tokens, 'OneHot ids', this.engine);
      [ids, outShape] = [tokens, tokens.shape];
    } else [ids, outShape] = [checkTokens(tokens, shape as readonly number[], V, 'OneHot'), shape as readonly number[]];
    const N = ids instanceof Tensor ? ids.size : ids.length;
    const plan = this.planFor(N);
    if (ids instanceof Tensor) {
      const pre = new Program();
      pre.copy(ids.buffer, ids.byteOffset, plan.tokens, 0, N * 4);
      this.engine.run(pre, this.idsProgram(plan));
    } else {
      this.engine.writeBuffer(plan.tokens, 0, ids);
      this.engine.run(plan.prog);
    }
    return new Tensor(this.engine, plan.out, [...outShape, V], 0, false);
  }

  /** Frees the workspace. */
  dispose(): void {
    this.plan?.rec.dispose();
    this.plan = undefined;
    this.disposed = true;
  }

  /** The one-hot of unchecked GPU ids (clamped in-shader), read from the plan's tokens; built on first use. */
  private idsProgram(plan: NonNullable<OneHot['plan']>): Program {
    if (plan.idsProg) return plan.idsProg;
    const { N, rec } = plan;
    const V = this.num_classes;
    const k = this.engine.kernel(shaders.one_hot_ids);
    const g = rec.bind(k, { N, V, ids_off: 0 }, { ids: plan.tokens, out: plan.out }, 'one_hot_ids');
    const step = k.bindGroup(1, { step: rec.uniform(new Uint32Array(4), 'one_hot_ids:step') }, 'step 0');
    const prog = new Program();
    prog.dispatch(k, [g, step], foldedGrid(this.engine, Math.ceil((N * V) / 64)), 0);
    plan.idsProg = prog;
    return prog;
  }

  private planFor(N: number): NonNullable<OneHot['plan']> {
    if (this.plan?.N === N) return this.plan;
    const V = this.num_classes;
    this.plan?.rec.dispose();
    this.plan = undefined;
    const rec = new Recorder(this.engine, 'OneHot');
    // Anything built before a failure (e.g. a DEVICE_LIMIT error) is freed, not leaked.
    try {
      const t = rec.buffer(N * 4, 'tokens');
      const out = rec.buffer(N * V * 4, 'out');
      const k = this.engine.kernel(shaders.one_hot);
      const prog = new Program();
      prog.dispatch(k, [rec.bind(k, { N, V }, { tokens: t, out }, 'one_hot')], foldedGrid(this.engine, Math.ceil((N * V) / 64)));
      this.plan = { N, rec, tokens: t, out, prog };
    } catch (e) {
      rec.dispose();
      throw e;
    }
    return this.plan;
  }
}
