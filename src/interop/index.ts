/**
 * webrnn/interop: models trained elsewhere — PyTorch state_dicts, ONNX graphs, TensorFlow.js
 * LayersModels — run on webrnn, and converted between those formats. A separate entry point so that
 * `import 'webrnn'` never loads the protobuf code ONNX needs (@bufbuild/protobuf and src/interop/onnx/proto.gen.ts).
 *
 * @example
 * import { createEngine } from 'webrnn';
 * import { OnnxModel } from 'webrnn/interop';
 * const engine = await createEngine();
 * const model = await OnnxModel.load(new Uint8Array(await (await fetch('lstm.onnx')).arrayBuffer()));
 * const { y } = await model.run(engine, { x: { type: 'float32', shape: [5, 2, 3], data: new Float32Array(30) } });
 */
export { OnnxModel, SUPPORTED_ONNX_OPS, type OnnxOptions, type OnnxStreamForm, type OnnxStreamOptions, type OnnxStreamResult } from './onnx/model.js';
export { parseOnnx, type OnnxGraph, type OnnxNode, type OnnxIo, type OnnxAttr, type OnnxSubgraph } from './onnx/graph.js';
export { makeValue, valueFromSafeTensor, valueToSafeTensor, type OnnxType, type OnnxValue } from './onnx/value.js';
export { encodeOnnx, floatAttr, floatsAttr, type ModelInput as OnnxModelInput, type NodeInput as OnnxNodeInput, type GraphInput as OnnxGraphInput } from './onnx/write.js';
export { portableToOnnx } from './onnx/export.js';
export { TfjsModel, type TfjsArtifacts, type TfjsTensor } from './tfjs/model.js';
export { readTfjsModelFiles, tfjsModelJson } from './tfjs/files.js';
export { portableToTfjs, tfjsToPortable } from './tfjs/export.js';
export { exportTorchModel, loadTorchModel, readTorchStateDict, writeTorchStateDict, type TorchImportOptions, type TorchModelNames, type TorchStateDict } from './torch/model.js';
export { portableFromTorch, portableToTorch, torchConfigOf, type PortableModel } from './torch/portable.js';
export { float32ToBf16Bits, float32ToF16Bits } from './torch/dtypes.js';
