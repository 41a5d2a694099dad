/**
 * A portable model (embedding → recurrent stack → linear head) as an ONNX graph, opset 17:
 *   inputs  tokens (B, T) int64 with an embedding, else input (B, T, I) float32; lengths (B,) int32
 *   outputs logits (B, T, O) for all_steps or (B, O) at each row's last valid step for last_step;
 *           output (B, T, D·H) for a bare recurrent stack
 * One LSTM/GRU/RNN node per layer with sequence_lens = lengths, which is pack_padded_sequence's
 * semantics (outputs 0 past each row's length, the reverse direction starting at its last valid step).
 * Gates are reordered to ONNX's (LSTM i, o, f, c; GRU z, r, h; P i, o, f); a PyTorch/reset-after GRU is
 * linear_before_reset = 1; activations, clip and input_forget become the node's attributes.
 */
import { recurrentParamName, resolveConfig, type ResolvedActivation } from '../../layers/recurrent-config.js';
import { WebRnnError } from '../../errors.js';
import { encodeOnnx, floatsAttr, type AttrInput, type IoInput, type NodeInput } from './write.js';
import { makeValue, type OnnxValue } from './value.js';
import type { PortableModel } from '../torch/portable.js';

/** webrnn gate q → ONNX block: LSTM i,f,g,o → i,o,f,c is blocks [0, 2, 3, 1]; GRU r,z,n → z,r,h is [1, 0, 2]. */
const TO_ONNX: Record<string, number[]> = { LSTM: [0, 2, 3, 1], GRU: [1, 0, 2], RNN: [0] };
const USES_ALPHA = new Set(['Affine', 'LeakyRelu', 'ThresholdedRelu', 'ScaledTanh', 'HardSigmoid', 'Elu']);
const USES_BETA = new Set(['Affine', 'ScaledTanh', 'HardSigmoid']);

/** Keras head activations → ONNX nodes. */
const HEAD_OPS: Record<string, (x: string, y: string) => NodeInput> = {
  softmax: (x, y) => ({ op: 'Softmax', inputs: [x], outputs: [y], attrs: { axis: -1 } }),
  log_softmax: (x, y) => ({ op: 'LogSoftmax', inputs: [x], outputs: [y], attrs: { axis: -1 } }),
  relu: (x, y) => ({ op: 'Relu', inputs: [x], outputs: [y] }),
  sigmoid: (x, y) => ({ op: 'Sigmoid', inputs: [x], outputs: [y] }),
  tanh: (x, y) => ({ op: 'Tanh', inputs: [x], outputs: [y] }),
  hard_sigmoid: (x, y) => ({ op: 'HardSigmoid', inputs: [x], outputs: [y], attrs: { alpha: { float: 0.2 }, beta: { float: 0.5 } } }),
  softplus: (x, y) => ({ op: 'Softplus', inputs: [x], outputs: [y] }),
  softsign: (x, y) => ({ op: 'Softsign', inputs: [x], outputs: [y] }),
  elu: (x, y) => ({ op: 'Elu', inputs: [x], outputs: [y], attrs: { alpha: { float: 1 } } }),
};

function reorder(src: Float32Array, H: number, cols: number, order: number[]): Float32Array {
  const out = new Float32Array(src.length);
  order.forEach((block, q) => out.set(src.subarray(q * H * cols, (q + 1) * H * cols), block * H * cols));
  return out;
}

const i64 = (v: number[], shape = [v.length]): OnnxValue => makeValue('int64', shape, v);

/** Encodes a portable model as ONNX bytes. Throws WebRnnError('BAD_CONFIG') for a head activation ONNX lacks here, or a projected LSTM (proj_size). */
export function portableToOnnx(p: PortableModel): Uint8Array {
  const c = resolveConfig({ ...p.rnn, batch_first: false });
  if (c.proj_size > 0) throw new WebRnnError('BAD_CONFIG', `no ONNX equivalent: LSTM with proj_size ${c.proj_size} (the ONNX LSTM operator has no projected LSTM: weight_hr has nowhere to go)`);
  const H = c.hidden_size;
  const D = c.bidirectional ? 2 : 1;
  const op = c.mode === 'LSTM' ? 'LSTM' : c.mode === 'GRU' ? 'GRU' : 'RNN';
  const G = op === 'LSTM' ? 4 : op === 'GRU' ? 3 : 1;
  const w = (name: string) => {
    const v = p.weights[name];
    if (!v) throw new WebRnnError('BAD_STATE', `portable model: no weight ${name}`);
    return v;
  };
  const init: Record<string, OnnxValue> = {};
  const nodes: NodeInput[] = [];
  const inputs: IoInput[] = [
    p.embedding ? { name: 'tokens', type: 'int64', shape: ['B', 'T'] } : { name: 'input', type: 'float32', shape: ['B', 'T', c.input_size] },
    { name: 'lengths', type: 'int32', shape: ['B'] },
  ];

  // (B, T[, I]) → time-major (T, B, F)
  if (p.embedding) {
    init['embedding.weight'] = makeValue('float32', [p.embedding.num_embeddings, p.embedding.embedding_dim], w('embedding.weight'));
    nodes.push({ op: 'Transpose', inputs: ['tokens'], outputs: ['tokens_tb'], attrs: { perm: [1, 0] } });
    nodes.push({ op: 'Gather', inputs: ['embedding.weight', 'tokens_tb'], outputs: ['x0'], attrs: { axis: 0 } });
  } else {
    nodes.push({ op: 'Transpose', inputs: ['input'], outputs: ['x0'], attrs: { perm: [1, 0, 2] } });
  }
  init.shape_tb_ = i64([0, 0, -1]);

  // activations: defaults are omitted; otherwise the list for every direction, α/β in list order
  const defaults = op === 'LSTM' ? ['Sigmoid', 'Tanh', 'Tanh'] : op === 'GRU' ? ['Sigmoid', 'Tanh'] : ['Tanh'];
  const acts: ResolvedActivation[] = c.activations;
  const actAttrs: Record<string, AttrInput> = {};
  if (acts.some((a, i) => a.name !== defaults[i])) {
    const list = Array.from({ length: D }, () => acts).flat();
    actAttrs.activations = list.map((a) => a.name);
    const alphas = list.filter((a) => USES_ALPHA.has(a.name)).map((a) => a.alpha);
    const betas = list.filter((a) => USES_BETA.has(a.name)).map((a) => a.beta);
    if (alphas.length) actAttrs.activation_alpha = floatsAttr(alphas);
    if (betas.length) actAttrs.activation_beta = floatsAttr(betas);
  }
  let x = 'x0';
  for (let l = 0; l < c.num_layers; l++) {
    const I = l === 0 ? c.input_size : D * H;
    const cat = (rows: number, cols: number, pick: (d: number) => Float32Array) => {
      const out = new Float32Array(D * rows * cols);
      for (let d = 0; d < D; d++) out.set(pick(d), d * rows * cols);
      return out;
    };
    const p = (kind: 'weight_ih' | 'weight_hh' | 'bias_ih' | 'bias_hh' | 'weight_ph', d: number) => w(`rnn.${recurrentParamName(kind, l, d)}`);
    const order = TO_ONNX[op];
    init[`W${l}`] = makeValue('float32', [D, G * H, I], cat(G * H, I, (d) => reorder(p('weight_ih', d), H, I, order)));
    init[`R${l}`] = makeValue('float32', [D, G * H, H], cat(G * H, H, (d) => reorder(p('weight_hh', d), H, H, order)));
    const ins = [x, `W${l}`, `R${l}`, '', 'lengths'];
    if (c.bias) {
      init[`B${l}`] = makeValue('float32', [D, 2 * G * H], cat(2, G * H, (d) => {
        const b = new Float32Array(2 * G * H);
        b.set(reorder(p('bias_ih', d), H, 1, order));
        b.set(reorder(p('bias_hh', d), H, 1, order), G * H);
        return b;
      }));
      ins[3] = `B${l}`;
    }
    if (c.peephole) {
      init[`P${l}`] = makeValue('float32', [D, 3 * H], cat(3, H, (d) => reorder(p('weight_ph', d), H, 1, [0, 2, 1])));
      ins.push('', '', `P${l}`);
    }
    const attrs: Record<string, AttrInput> = { hidden_size: H, direction: D === 2 ? 'bidirectional' : 'forward', ...actAttrs };
    if (op === 'GRU') attrs.linear_before_reset = c.reset_after ? 1 : 0;
    if (c.clip > 0) attrs.clip = { float: c.clip };
    if (c.input_forget) attrs.input_forget = 1;
    nodes.push({ op, inputs: ins, outputs: [`y${l}`], attrs, name: `${op.toLowerCase()}_l${l}` });
    nodes.push({ op: 'Transpose', inputs: [`y${l}`], outputs: [`y${l}_tbdh`], attrs: { perm: [0, 2, 1, 3] } });
    nodes.push({ op: 'Reshape', inputs: [`y${l}_tbdh`, 'shape_tb_'], outputs: [`x${l + 1}`] });
    x = `x${l + 1}`;
  }
  const F = D * H;
  const outputs: IoInput[] = [];
  if (!p.linear) {
    nodes.push({ op: 'Transpose', inputs: [x], outputs: ['output'], attrs: { perm: [1, 0, 2] } });
    outputs.push({ name: 'output', type: 'float32', shape: ['B', 'T', F] });
  } else {
    const O = p.linear.out_features;
    const wt = new Float32Array(F * O); // (F, O) = linear.weightᵀ
    const lw = w('linear.weight');
    for (let o = 0; o < O; o++) for (let f = 0; f < F; f++) wt[f * O + o] = lw[o * F + f];
    init['linear.weight_t'] = makeValue('float32', [F, O], wt);
    let h: string;
    if (p.target === 'all_steps') {
      nodes.push({ op: 'Transpose', inputs: [x], outputs: ['h'], attrs: { perm: [1, 0, 2] } });
      h = 'h';
    } else {
      // row b's last valid step: flat row (lengths[b] − 1)·B + b of the (T·B, F) output
      init.one_ = i64([1], []);
      init.zero_ = i64([0], []);
      init.shape_rows_ = i64([-1, F]);
      nodes.push(
        { op: 'Shape', inputs: ['lengths'], outputs: ['b_shape'] },
        { op: 'Gather', inputs: ['b_shape', 'zero_'], outputs: ['b_count'], attrs: { axis: 0 } },
        { op: 'Range', inputs: ['zero_', 'b_count', 'one_'], outputs: ['b_index'] },
        { op: 'Cast', inputs: ['lengths'], outputs: ['lengths64'], attrs: { to: 7 } },
        { op: 'Sub', inputs: ['lengths64', 'one_'], outputs: ['last_t'] },
        { op: 'Mul', inputs: ['last_t', 'b_count'], outputs: ['last_off'] },
        { op: 'Add', inputs: ['last_off', 'b_index'], outputs: ['last_rows'] },
        { op: 'Reshape', inputs: [x, 'shape_rows_'], outputs: ['rows'] },
        { op: 'Gather', inputs: ['rows', 'last_rows'], outputs: ['h'], attrs: { axis: 0 } },
      );
      h = 'h';
    }
    nodes.push({ op: 'MatMul', inputs: [h, 'linear.weight_t'], outputs: ['head'] });
    let y = 'head';
    if (p.linear.bias) {
      init['linear.bias'] = makeValue('float32', [O], w('linear.bias'));
      nodes.push({ op: 'Add', inputs: ['head', 'linear.bias'], outputs: ['head_b'] });
      y = 'head_b';
    }
    const act = p.linear.activation ?? 'linear';
    if (act !== 'linear') {
      const mk = HEAD_OPS[act];
      if (!mk) throw new WebRnnError('BAD_CONFIG', `the head's activation "${act}" has no ONNX form here (supported: linear, ${Object.keys(HEAD_OPS).join(', ')})`);
      nodes.push(mk(y, 'logits'));
    } else {
      nodes.push({ op: 'Identity', inputs: [y], outputs: ['logits'] });
    }
    outputs.push({ name: 'logits', type: 'float32', shape: p.target === 'all_steps' ? ['B', 'T', O] : ['B', O] });
  }
  return encodeOnnx({ opset: 17, producer: 'webrnn convert', inputs, outputs, initializers: init, nodes });
}
