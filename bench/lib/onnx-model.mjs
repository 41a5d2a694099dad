// Builds the ONNX model onnxruntime runs: one LSTM or GRU node per layer (direction "bidirectional"
// when the shape is), each followed by Transpose (T, D, B, H) → (T, B, D, H) and Reshape → (T, B, D·H),
// the PyTorch output layout that the next layer (and the guard) reads. Weights are initializers, so the
// session sees constants, as it would for an exported model. GRU's form is linear_before_reset = 1
// (reset-after, PyTorch's) or 0 (reset-before). Messages are the engine's generated ONNX code
// (src/interop/onnx/proto.gen.ts, built into dist/) on @bufbuild/protobuf.
import { create, toBinary } from '@bufbuild/protobuf';
import { AttributeProto_AttributeType as A, AttributeProtoSchema, GraphProtoSchema, ModelProtoSchema, NodeProtoSchema, OperatorSetIdProtoSchema, TensorProto_DataType as DataType, TensorProtoSchema, ValueInfoProtoSchema } from '../../dist/src/interop/onnx/proto.gen.js';
import { toOnnx } from './weights.mjs';

/** @typedef {import('./shapes.mjs').Shape} Shape */
/** @typedef {import('./shapes.mjs').CellVariant} CellVariant */

const OPSET = 14;
const bytes = (/** @type {string} */ s) => new TextEncoder().encode(s);

function floatTensor(/** @type {string} */ name, /** @type {number[]} */ dims, /** @type {Float32Array} */ values) {
  return create(TensorProtoSchema, { name, dims: dims.map(BigInt), dataType: DataType.FLOAT, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) });
}

function int64Tensor(/** @type {string} */ name, /** @type {number[]} */ values) {
  return create(TensorProtoSchema, { name, dims: [BigInt(values.length)], dataType: DataType.INT64, int64Data: values.map(BigInt) });
}

const attrInt = (/** @type {string} */ name, /** @type {number} */ i) => create(AttributeProtoSchema, { name, type: A.INT, i: BigInt(i) });
const attrInts = (/** @type {string} */ name, /** @type {number[]} */ ints) => create(AttributeProtoSchema, { name, type: A.INTS, ints: ints.map(BigInt) });
const attrStr = (/** @type {string} */ name, /** @type {string} */ s) => create(AttributeProtoSchema, { name, type: A.STRING, s: bytes(s) });

function valueInfo(/** @type {string} */ name, /** @type {number[]} */ dims) {
  return create(ValueInfoProtoSchema, {
    name,
    type: { value: { case: 'tensorType', value: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => ({ value: { case: 'dimValue', value: BigInt(d) } })) } } } },
  });
}

/**
 * @param {Shape} s @param {CellVariant} c @param {Record<string, Float32Array>} sd weights by PyTorch name
 * @returns {Uint8Array} the serialized ModelProto; input "x" (T, B, I), output "y" (T, B, D·H)
 */
export function buildOnnxModel(s, c, sd) {
  const D = s.bidirectional ? 2 : 1;
  const GH = c.G * s.H;
  const layers = toOnnx(sd, s, c);
  const nodes = [];
  const inits = [int64Tensor('tbf', [0, 0, -1])];
  let input = 'x';
  layers.forEach((w, l) => {
    inits.push(floatTensor(`W${l}`, [D, GH, w.I], w.W), floatTensor(`R${l}`, [D, GH, s.H], w.R), floatTensor(`B${l}`, [D, 2 * GH], w.B));
    const attrs = [attrInt('hidden_size', s.H), attrStr('direction', s.bidirectional ? 'bidirectional' : 'forward')];
    if (c.cell === 'gru') attrs.push(attrInt('linear_before_reset', c.variant === 'reset_before' ? 0 : 1));
    nodes.push(create(NodeProtoSchema, { opType: c.cell === 'lstm' ? 'LSTM' : 'GRU', name: `rnn${l}`, input: [input, `W${l}`, `R${l}`, `B${l}`], output: [`Y${l}`], attribute: attrs }));
    nodes.push(create(NodeProtoSchema, { opType: 'Transpose', name: `tr${l}`, input: [`Y${l}`], output: [`Yt${l}`], attribute: [attrInts('perm', [0, 2, 1, 3])] }));
    const out = l === s.L - 1 ? 'y' : `h${l}`;
    nodes.push(create(NodeProtoSchema, { opType: 'Reshape', name: `rs${l}`, input: [`Yt${l}`, 'tbf'], output: [out] }));
    input = out;
  });
  const graph = create(GraphProtoSchema, {
    name: `${c.cell}${c.variant ? `_${c.variant}` : ''}`,
    node: nodes,
    initializer: inits,
    input: [valueInfo('x', [s.T, s.B, s.I])],
    output: [valueInfo('y', [s.T, s.B, D * s.H])],
  });
  const model = create(ModelProtoSchema, {
    irVersion: 7n,
    producerName: 'webrnn-bench',
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(OPSET) })],
    graph,
  });
  return toBinary(ModelProtoSchema, model);
}
