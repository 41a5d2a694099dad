// Builds the ONNX model onnxruntime runs: one LSTM or GRU node per layer (direction "bidirectional"
// when the shape is), each followed by Transpose (T, D, B, H) → (T, B, D, H) and Reshape → (T, B, D·H),
// the PyTorch output layout that the next layer (and the guard) reads. Weights are initializers, so the
// session sees constants, as it would for an exported model. GRU's form is linear_before_reset = 1
// (reset-after, PyTorch's) or 0 (reset-before).
import { createRequire } from 'node:module';
import { toOnnx } from './weights.mjs';

const require = createRequire(import.meta.url);
const { onnx } = require('onnx-proto');

/** @typedef {import('./shapes.mjs').Shape} Shape */
/** @typedef {import('./shapes.mjs').CellVariant} CellVariant */

const OPSET = 14;
const bytes = (/** @type {string} */ s) => new TextEncoder().encode(s);

function floatTensor(/** @type {string} */ name, /** @type {number[]} */ dims, /** @type {Float32Array} */ values) {
  return onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) });
}

function int64Tensor(/** @type {string} */ name, /** @type {number[]} */ values) {
  return onnx.TensorProto.create({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, int64Data: values });
}

const A = onnx.AttributeProto.AttributeType;
const attrInt = (/** @type {string} */ name, /** @type {number} */ i) => onnx.AttributeProto.create({ name, type: A.INT, i });
const attrInts = (/** @type {string} */ name, /** @type {number[]} */ ints) => onnx.AttributeProto.create({ name, type: A.INTS, ints });
const attrStr = (/** @type {string} */ name, /** @type {string} */ s) => onnx.AttributeProto.create({ name, type: A.STRING, s: bytes(s) });

function valueInfo(/** @type {string} */ name, /** @type {number[]} */ dims) {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({ tensorType: onnx.TypeProto.Tensor.create({ elemType: onnx.TensorProto.DataType.FLOAT, shape: onnx.TensorShapeProto.create({ dim: dims.map((d) => onnx.TensorShapeProto.Dimension.create({ dimValue: d })) }) }) }),
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
    nodes.push(onnx.NodeProto.create({ opType: c.cell === 'lstm' ? 'LSTM' : 'GRU', name: `rnn${l}`, input: [input, `W${l}`, `R${l}`, `B${l}`], output: [`Y${l}`], attribute: attrs }));
    nodes.push(onnx.NodeProto.create({ opType: 'Transpose', name: `tr${l}`, input: [`Y${l}`], output: [`Yt${l}`], attribute: [attrInts('perm', [0, 2, 1, 3])] }));
    const out = l === s.L - 1 ? 'y' : `h${l}`;
    nodes.push(onnx.NodeProto.create({ opType: 'Reshape', name: `rs${l}`, input: [`Yt${l}`, 'tbf'], output: [out] }));
    input = out;
  });
  const graph = onnx.GraphProto.create({
    name: `${c.cell}${c.variant ? `_${c.variant}` : ''}`,
    node: nodes,
    initializer: inits,
    input: [valueInfo('x', [s.T, s.B, s.I])],
    output: [valueInfo('y', [s.T, s.B, D * s.H])],
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'webrnn-bench',
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: OPSET })],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}
