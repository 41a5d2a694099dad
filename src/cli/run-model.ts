/**
 * `webrnn run --model FILE`: a model from another framework — an ONNX graph (.onnx) or a TensorFlow.js
 * LayersModel (model.json, its weight files beside it) — run on the inputs of a safetensors file named
 * as the model's inputs; the result holds the model's outputs under their names.
 * Everything is read and checked before the engine is created.
 */
import { WebRnnError } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { OnnxModel, type OnnxOptions } from '../interop/onnx/model.js';
import { valueFromSafeTensor, valueToSafeTensor, type OnnxValue } from '../interop/onnx/value.js';
import { parseSafetensors, type SafeTensor } from '../formats/safetensors.js';
import { readSafetensorsFile } from '../formats/file-read.js';
import { checkOutputPath, readInput } from './files.js';

/** A model of another framework, checked, with its inputs. */
export interface ModelJob {
  kind: 'onnx' | 'tfjs';
  /** runs the model on `engine`, returning outputs by name */
  run(engine: Engine): Promise<Record<string, SafeTensor>>;
  dispose(): void;
}

async function loadTfjs(path: string, inputs: Map<string, SafeTensor>, inputPath: string): Promise<ModelJob> {
  const { readTfjsModelFromDisk } = await import('../interop/tfjs/files.node.js');
  const { TfjsModel } = await import('../interop/tfjs/model.js');
  const art = await readTfjsModelFromDisk(path, '--model');
  const model = TfjsModel.fromArtifacts(art, path);
  const feeds = model.feedsFromSafetensors(inputs, inputPath);
  for (const n of model.inputNames) if (!feeds[n]) throw new WebRnnError('BAD_FILE', `${inputPath}: missing model input "${n}"`);
  return {
    kind: 'tfjs',
    async run(engine) {
      const out = await model.predict(engine, feeds);
      const result: Record<string, SafeTensor> = {};
      for (const [k, v] of Object.entries(out)) result[k] = { dtype: 'F32', shape: v.shape, data: v.data };
      return result;
    },
    dispose: () => model.dispose(),
  };
}

/** Reads the model and the inputs and checks them against each other (no GPU). */
export async function loadModelJob(paths: { model: string; input: string; out: string }, onnx: OnnxOptions = {}): Promise<ModelJob> {
  await checkOutputPath(paths.out, [{ path: paths.model, what: '--model' }, { path: paths.input, what: '--input' }]);
  const isTfjs = paths.model.endsWith('.json');
  const [modelBytes, inputBytes] = await Promise.all([
    isTfjs ? undefined : readInput(paths.model, '--model'),
    readSafetensorsFile(paths.input, '--input'),
  ]);
  const inputs = parseSafetensors(inputBytes, { source: paths.input }).tensors;
  if (isTfjs) return loadTfjs(paths.model, inputs, paths.input);
  const model = await OnnxModel.load(modelBytes!, paths.model, onnx);
  const feeds: Record<string, OnnxValue> = {};
  for (const [name, t] of inputs) feeds[name] = valueFromSafeTensor(t, `${paths.input}: "${name}"`);
  model.checkFeeds(feeds, paths.input);
  return {
    kind: 'onnx',
    async run(engine) {
      const out = await model.run(engine, feeds);
      const result: Record<string, SafeTensor> = {};
      for (const [k, v] of Object.entries(out)) result[k] = valueToSafeTensor(v);
      return result;
    },
    dispose: () => model.dispose(),
  };
}
