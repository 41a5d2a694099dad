// A TypeScript project that installed webrnn: compiled with `tsc --strict --noEmit` and no
// skipLibCheck, so every .d.ts the package ships must type-check as a user's compiler sees it.
import { Adam, createEngine, Embedding, parameterSpecs, Recurrent, Sampler, SequenceModel, WebRnnError, type Engine, type ForwardResult, type RecurrentConfig, type SequenceModelConfig, type Tensor, type TensorDType, type TokenDType } from 'webrnn';
import { loadTorchModel, OnnxModel, TfjsModel } from 'webrnn/interop';
import { loadCheckpoint, readTextChunks, saveCheckpoint } from 'webrnn/node';
import { GenreClassifier, TokenTagger, type TagMetrics } from 'webrnn/tasks';

const config: RecurrentConfig = { mode: 'LSTM', input_size: 8, hidden_size: 16, num_layers: 2, bidirectional: true };

export async function forward(engine: Engine, x: Float32Array): Promise<Float32Array> {
  const lstm = new Recurrent(engine, config);
  const r: ForwardResult = lstm.forward(engine.tensor(x, [5, 3, 8]), { lengths: [5, 2, 4] });
  const out: Tensor = r.output;
  return out.read();
}

// Token ids on the GPU are a Tensor with an id dtype; read() gives the matching typed array.
export async function tokens(engine: Engine, logits: Tensor): Promise<[Uint32Array, Int32Array, Float32Array, TensorDType]> {
  const ids: Tensor<'uint32'> = new Sampler(engine).sample(logits, { seed: 1 });
  const given: Tensor<TokenDType> = engine.tensor(Int32Array.of(1, 2), [2]);
  const x: Tensor = new Embedding(engine, { num_embeddings: 4, embedding_dim: 2 }).forwardIds(given);
  const empty = engine.empty([2], 'int32');
  return [await ids.read(), await empty.read(), await x.read(), given.dtype];
}

export async function train(path: string): Promise<number> {
  const engine = await createEngine({ checkFinite: true });
  const model: SequenceModelConfig = {
    embedding: { num_embeddings: 50, embedding_dim: 16 },
    rnn: { mode: 'GRU', input_size: 16, hidden_size: 32 },
    linear: { in_features: 32, out_features: 5 },
    loss: 'cross_entropy',
    target: 'last_step',
  };
  const m = new SequenceModel(engine, model);
  const opt = new Adam(engine, m.blocks(), { lr: 1e-2, clip_norm: 5 });
  m.lossAndGrad({ B: 1, T: 2, tokens: new Int32Array([1, 2]), targets: new Int32Array([3]) });
  const norm: number = await opt.stepChecked(1);
  await saveCheckpoint(path, m, opt, { step: 1 });
  const c = await loadCheckpoint(path);
  for await (const chunk of readTextChunks(path)) void chunk;
  return norm + parameterSpecs(config).length + Object.keys(c).length;
}

export async function tag(engine: Engine): Promise<TagMetrics> {
  const examples = [{ ids: Int32Array.of(1, 2, 3), labels: Int32Array.of(0, 1, 0) }];
  const tagger = new TokenTagger(engine, { vocab_size: 4, cell: 'GRU', embedding: 4, hidden: 4 }, examples, { batch: 1, lr: 0.01, clip: 5, seed: 1, word_dropout: 0, bucket_pool: 1 });
  await tagger.trainStep();
  const m = await tagger.score(examples);
  await tagger.close();
  return { ...m, tokens: m.tokens + GenreClassifier.name.length };
}

export function kinds(e: unknown): string {
  const interop = [loadTorchModel, OnnxModel, TfjsModel].length;
  return e instanceof WebRnnError ? `${e.code} ${interop}` : 'other';
}
