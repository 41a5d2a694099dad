#!/usr/bin/python3
"""ONNX models exported by PyTorch (torch.onnx.export, Debian python3-torch 1.13): test/fixtures-onnx/.

Each case is <name>.onnx plus an entry in manifest.json:
  {"<name>": {"opset": N, "inputs": {"<graph input>": {"shape": [...], "dtype": "float32" | "int64",
                                                        "high": V (int64 inputs: ids in [0, V))}}}}
The test feeds random inputs of those shapes to webrnn and to onnxruntime-node and compares every
graph output (so no expected values are stored). The graphs hold what the exporter emits around the
recurrent nodes: Shape/Gather/Unsqueeze/Concat/Expand for zero initial states, Transpose/Reshape/
Squeeze between layers and directions, Gather for embeddings, MatMul/Add or Gemm for linear heads,
Slice/Gather for the last step, Softmax/LogSoftmax; opsets 9, 11, 13, 14 and 17 cover the attribute
and input forms of Squeeze/Unsqueeze/Slice and both Softmax semantics.

Run: /usr/bin/python3 scripts/gen_onnx_fixtures.py
"""
import io
import json
import os
import shutil
import warnings
import zlib

import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures-onnx')


class Recurrent(torch.nn.Module):
    """A bare nn.RNN/GRU/LSTM returning (output, h_n[, c_n]); initial states as inputs when `states`."""

    def __init__(self, cls, states, **kw):
        super().__init__()
        self.rnn = cls(**kw)
        self.states = states

    def forward(self, x, *s):
        if not self.states:
            out = self.rnn(x)
        elif isinstance(self.rnn, torch.nn.LSTM):
            out = self.rnn(x, (s[0], s[1]))
        else:
            out = self.rnn(x, s[0])
        y, st = out
        return (y, *st) if isinstance(st, tuple) else (y, st)


class LanguageModel(torch.nn.Module):
    """tokens (B, T) -> embedding -> LSTM (batch_first) -> linear -> log_softmax over the vocabulary."""

    def __init__(self, V, E, H, L):
        super().__init__()
        self.embedding = torch.nn.Embedding(V, E)
        self.rnn = torch.nn.LSTM(E, H, num_layers=L, batch_first=True)
        self.linear = torch.nn.Linear(H, V)

    def forward(self, tokens):
        y, _ = self.rnn(self.embedding(tokens))
        return torch.log_softmax(self.linear(y), dim=-1)


class Classifier(torch.nn.Module):
    """x (B, T, I) -> bidirectional GRU -> last step -> linear -> softmax."""

    def __init__(self, I, H, C):
        super().__init__()
        self.rnn = torch.nn.GRU(I, H, batch_first=True, bidirectional=True)
        self.head = torch.nn.Linear(2 * H, C)

    def forward(self, x):
        y, _ = self.rnn(x)
        return torch.softmax(self.head(y[:, -1]), dim=1)


class Tagger(torch.nn.Module):
    """tokens (T, B) -> embedding -> 2-layer bidirectional RNN (relu) -> linear -> argmax and logits."""

    def __init__(self, V, E, H, C):
        super().__init__()
        self.embedding = torch.nn.Embedding(V, E)
        self.rnn = torch.nn.RNN(E, H, num_layers=2, bidirectional=True, nonlinearity='relu')
        self.head = torch.nn.Linear(2 * H, C)

    def forward(self, tokens):
        y, _ = self.rnn(self.embedding(tokens))
        logits = self.head(y)
        return logits, logits.argmax(dim=-1)


def bare(cls, I, H, T, B, states=False, opset=14, dynamic=False, **kw):
    D = 2 if kw.get('bidirectional') else 1
    L = kw.get('num_layers', 1)
    bf = kw.get('batch_first', False)
    model = Recurrent(cls, states, input_size=I, hidden_size=H, **kw)
    inputs = {'x': [B, T, I] if bf else [T, B, I]}
    if states:
        inputs['h0'] = [L * D, B, H]
        if cls is torch.nn.LSTM:
            inputs['c0'] = [L * D, B, H]
    outputs = ['y', 'h_n'] + (['c_n'] if cls is torch.nn.LSTM else [])
    axes = None
    if dynamic:
        axes = {'x': {0: 'B', 1: 'T'} if bf else {0: 'T', 1: 'B'}, 'y': {0: 'B', 1: 'T'} if bf else {0: 'T', 1: 'B'}}
    return model, {k: {'shape': v, 'dtype': 'float32'} for k, v in inputs.items()}, outputs, opset, axes


CASES = {
    'lstm_1layer': lambda: bare(torch.nn.LSTM, 3, 5, T=6, B=2),
    'lstm_2layer_bidir': lambda: bare(torch.nn.LSTM, 4, 6, T=5, B=3, num_layers=2, bidirectional=True),
    'lstm_3layer_batch_first_states': lambda: bare(torch.nn.LSTM, 3, 4, T=7, B=2, states=True, num_layers=3, batch_first=True),
    'lstm_2layer_bidir_opset9_dynamic': lambda: bare(torch.nn.LSTM, 3, 5, T=4, B=3, opset=9, dynamic=True, num_layers=2, bidirectional=True),
    'lstm_nobias_opset17': lambda: bare(torch.nn.LSTM, 2, 3, T=5, B=2, opset=17, bias=False),
    'gru_1layer': lambda: bare(torch.nn.GRU, 3, 5, T=6, B=2),
    'gru_3layer_bidir_states': lambda: bare(torch.nn.GRU, 4, 5, T=5, B=3, states=True, num_layers=3, bidirectional=True),
    'gru_2layer_batch_first_opset11_dynamic': lambda: bare(torch.nn.GRU, 3, 4, T=6, B=2, opset=11, dynamic=True, num_layers=2, batch_first=True),
    'rnn_tanh_2layer_bidir': lambda: bare(torch.nn.RNN, 3, 5, T=5, B=2, num_layers=2, bidirectional=True),
    'rnn_relu_1layer_states_opset13': lambda: bare(torch.nn.RNN, 4, 6, T=4, B=3, states=True, opset=13, nonlinearity='relu'),
    'rnn_relu_3layer_bidir_batch_first': lambda: bare(torch.nn.RNN, 2, 3, T=6, B=2, num_layers=3, bidirectional=True, batch_first=True, nonlinearity='relu'),
    'lm_embedding_lstm_linear_logsoftmax': lambda: (
        LanguageModel(11, 4, 6, 2), {'tokens': {'shape': [2, 7], 'dtype': 'int64', 'high': 11}}, ['log_probs'], 14,
        {'tokens': {0: 'B', 1: 'T'}, 'log_probs': {0: 'B', 1: 'T'}}),
    'classifier_gru_bidir_last_step_softmax': lambda: (
        Classifier(3, 5, 4), {'x': {'shape': [3, 6, 3], 'dtype': 'float32'}}, ['probs'], 11, {'x': {0: 'B', 1: 'T'}}),
    'tagger_embedding_rnn_relu_bidir_argmax': lambda: (
        Tagger(9, 3, 4, 5), {'tokens': {'shape': [5, 2], 'dtype': 'int64', 'high': 9}}, ['logits', 'tags'], 17, None),
}


def main():
    if os.path.isdir(ROOT):
        shutil.rmtree(ROOT)
    os.makedirs(ROOT)
    manifest = {}
    warnings.filterwarnings('ignore')
    for name, make in CASES.items():
        torch.manual_seed(zlib.crc32(name.encode()))
        model, inputs, outputs, opset, axes = make()
        model.eval()
        example = tuple(
            torch.randint(0, spec['high'], spec['shape']) if spec['dtype'] == 'int64' else torch.randn(spec['shape'])
            for spec in inputs.values())
        f = io.BytesIO()
        torch.onnx.export(model, example, f, input_names=list(inputs), output_names=outputs, opset_version=opset,
                          dynamic_axes=axes)
        with open(os.path.join(ROOT, f'{name}.onnx'), 'wb') as out:
            out.write(f.getvalue())
        manifest[name] = {'opset': opset, 'inputs': inputs}
    with open(os.path.join(ROOT, 'manifest.json'), 'w') as out:
        json.dump(manifest, out, indent=1)
    print(f'wrote {len(CASES)} models to {os.path.normpath(ROOT)}')


if __name__ == '__main__':
    main()
