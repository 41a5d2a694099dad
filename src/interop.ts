/**
 * webrnn/interop: models trained elsewhere — PyTorch state_dicts, ONNX graphs, TensorFlow.js
 * LayersModels — run on webrnn, and converted between those formats. A separate entry point so that
 * `import 'webrnn'` never loads the protobuf code ONNX needs (@bufbuild/protobuf and src/io/onnx-proto.gen.ts).
 *
 * @example
 * import { createEngine } from 'webrnn';
 * import { OnnxModel } from 'webrnn/interop';
 * const engine = await createEngine();
 * const model = await OnnxModel.load(new Uint8Array(await (await fetch('lstm.onnx')).arrayBuffer()));
 * const { y } = await model.run(engine, { x: { type: 'float32', shape: [5, 2, 3], data: new Float32Array(30) } });
 */
export { OnnxModel, SUPPORTED_ONNX_OPS, type OnnxOptions, type OnnxStreamForm, type OnnxStreamOptions, type OnnxStreamResult } from './io/onnx-model.js';
export { parseOnnx, type OnnxGraph, type OnnxNode, type OnnxIo, type OnnxAttr, type OnnxSubgraph } from './io/onnx-graph.js';
export { makeValue, valueFromSafeTensor, valueToSafeTensor, type OnnxType, type OnnxValue } from './io/onnx-value.js';
export { encodeOnnx, floatAttr, floatsAttr, type ModelInput as OnnxModelInput, type NodeInput as OnnxNodeInput, type GraphInput as OnnxGraphInput } from './io/onnx-write.js';
export { portableToOnnx } from './io/onnx-export.js';
export { TfjsModel, type TfjsArtifacts, type TfjsTensor } from './io/tfjs-model.js';
export { readTfjsModelFiles, tfjsModelJson } from './io/tfjs-files.js';
export { portableToTfjs, tfjsToPortable } from './io/tfjs-export.js';
export { exportTorchModel, loadTorchModel, readTorchStateDict, writeTorchStateDict, type TorchImportOptions, type TorchModelNames, type TorchStateDict } from './io/torch.js';
export { portableFromTorch, portableToTorch, torchConfigOf, type PortableModel } from './io/torch-portable.js';
export { float32ToBf16Bits, float32ToF16Bits } from './io/torch-dtypes.js';
