#!/usr/bin/python3
"""Whole PyTorch models (embedding -> RNN -> linear) saved as state_dicts (test/fixtures-torch/<case>/).

Each case directory holds:
  state_dict.safetensors  the module's state_dict() exactly as PyTorch holds it (names with the module's
                          own attribute names, e.g. emb.weight / encoder.weight_ih_l0 / head.bias; the
                          dtype the module has: float32, or float16 for *_f16)
  batch.safetensors       tokens (B, T) int64 or input (B, T, I) float32, batch-first; lengths (B,) int64
  expected.safetensors    logits: the linear head at every step of the padded RNN output (B, T, O) for
                          all_steps (padded steps hold the head's bias: the RNN output is 0 there), or
                          (B, O) from each row's last valid step for last_step; float64, from a float64
                          copy of the module (the stored weights upcast exactly)
  info.json               {"target": "all_steps" | "last_step", "nonlinearity"?: "relu"}: what a state_dict
                          cannot say

Run with Debian's python3-torch: /usr/bin/python3 scripts/gen_torch_model_fixtures.py
`--check-export CASE FILE` loads a state_dict exported by webrnn into the case's module with
load_state_dict(strict=True) and checks every tensor is bit-identical to the fixture's (what
test/interop-torch.test.ts runs when /usr/bin/python3 has torch).
"""
import json
import os
import shutil
import sys
import zlib

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_writer import write_safetensors  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures-torch')


class Model(torch.nn.Module):
    """embedding (optional) -> recurrent stack (batch_first) -> linear, attribute names chosen per case."""

    def __init__(self, names, emb, rnn_cls, rnn_kw, linear):
        super().__init__()
        self.names = names
        if emb:
            setattr(self, names['embedding'], torch.nn.Embedding(*emb))
        setattr(self, names['rnn'], rnn_cls(batch_first=True, **rnn_kw))
        setattr(self, names['linear'], torch.nn.Linear(*linear))

    def forward(self, x, lengths, target):
        if 'embedding' in self.names and hasattr(self, self.names['embedding']):
            x = getattr(self, self.names['embedding'])(x)
        T = x.shape[1]
        packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = getattr(self, self.names['rnn'])(packed)
        out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=T)
        head = getattr(self, self.names['linear'])
        if target == 'last_step':
            return head(out[torch.arange(out.shape[0]), lengths - 1])
        return head(out)


CASES = [
    # name, module names, embedding (V, E) or None, rnn class + kwargs, linear (in, out), target, dtype, B, T, lengths
    dict(name='lstm_embedding_bidir_2layer', names=dict(embedding='embedding', rnn='rnn', linear='linear'),
         emb=(11, 5), rnn=(torch.nn.LSTM, dict(input_size=5, hidden_size=6, num_layers=2, bidirectional=True)),
         linear=(12, 4), target='all_steps', dtype=torch.float32, B=3, T=7, lengths=[7, 4, 2]),
    dict(name='gru_custom_names_last_step', names=dict(embedding='emb', rnn='encoder', linear='head'),
         emb=(9, 4), rnn=(torch.nn.GRU, dict(input_size=4, hidden_size=5, num_layers=3)),
         linear=(5, 3), target='last_step', dtype=torch.float32, B=4, T=6, lengths=[6, 1, 3, 5]),
    dict(name='rnn_relu_features_f16', names=dict(rnn='rnn', linear='out'),
         emb=None, rnn=(torch.nn.RNN, dict(input_size=3, hidden_size=4, nonlinearity='relu', bidirectional=True)),
         linear=(8, 2), target='all_steps', dtype=torch.float16, B=2, T=5, lengths=[5, 3]),
    dict(name='lstm_nobias_linear_nobias', names=dict(embedding='embed', rnn='lstm', linear='fc'),
         emb=(7, 3), rnn=(torch.nn.LSTM, dict(input_size=3, hidden_size=4, bias=False)),
         linear=(4, 7, False), target='all_steps', dtype=torch.float32, B=2, T=4, lengths=[4, 2]),
    # a projected LSTM (proj_size 3): weight_hr_l*, the head reads D·proj_size features
    dict(name='lstm_proj_embedding_bidir_2layer', names=dict(embedding='embedding', rnn='rnn', linear='linear'),
         emb=(9, 4), rnn=(torch.nn.LSTM, dict(input_size=4, hidden_size=5, num_layers=2, bidirectional=True, proj_size=3)),
         linear=(6, 4), target='all_steps', dtype=torch.float32, B=3, T=6, lengths=[6, 2, 4]),
]


def build(c):
    seed = zlib.crc32(c['name'].encode())
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    cls, kw = c['rnn']
    model = Model(c['names'], c['emb'], cls, kw, c['linear']).to(c['dtype'])
    sd = {k: v.detach().clone() for k, v in model.state_dict().items()}
    B, T = c['B'], c['T']
    batch = {'lengths': np.array(c['lengths'], dtype=np.int64)}
    if c['emb']:
        batch['tokens'] = rng.integers(0, c['emb'][0], size=(B, T)).astype(np.int64)
        x = torch.from_numpy(batch['tokens'])
    else:
        batch['input'] = rng.uniform(-1, 1, size=(B, T, kw['input_size'])).astype(np.float32)
        x = torch.from_numpy(batch['input']).double()
    with torch.no_grad():
        logits = model.double()(x, torch.tensor(c['lengths']), c['target'])
    d = os.path.join(ROOT, c['name'])
    os.makedirs(d)
    np_sd = {k: v.numpy() for k, v in sd.items()}
    write_safetensors(os.path.join(d, 'state_dict.safetensors'), np_sd)
    write_safetensors(os.path.join(d, 'batch.safetensors'), batch)
    write_safetensors(os.path.join(d, 'expected.safetensors'), {'logits': logits.numpy()})
    info = {'target': c['target']}
    if kw.get('nonlinearity') == 'relu':
        info['nonlinearity'] = 'relu'
    with open(os.path.join(d, 'info.json'), 'w') as f:
        json.dump(info, f, indent=2)
    # The exported file must load back into the same module class.
    check = Model(c['names'], c['emb'], cls, kw, c['linear']).to(c['dtype'])
    check.load_state_dict(sd)


def read_safetensors(path):
    with open(path, 'rb') as f:
        raw = f.read()
    n = int.from_bytes(raw[:8], 'little')
    header = json.loads(raw[8:8 + n])
    header.pop('__metadata__', None)
    kinds = {'F32': np.float32, 'F16': np.float16, 'F64': np.float64, 'I64': np.int64}
    out = {}
    for name, h in header.items():
        b, e = h['data_offsets']
        out[name] = np.frombuffer(raw[8 + n + b:8 + n + e], dtype=kinds[h['dtype']]).reshape(h['shape'])
    return out


def check_export(name, path):
    c = next(c for c in CASES if c['name'] == name)
    cls, kw = c['rnn']
    model = Model(c['names'], c['emb'], cls, kw, c['linear']).to(c['dtype'])
    exported = {k: torch.from_numpy(v.copy()) for k, v in read_safetensors(path).items()}
    model.load_state_dict(exported, strict=True)
    original = read_safetensors(os.path.join(ROOT, name, 'state_dict.safetensors'))
    for k, v in model.state_dict().items():
        a = v.numpy()
        assert a.dtype == original[k].dtype and a.shape == original[k].shape, k
        assert a.tobytes() == original[k].tobytes(), f'{k} differs'
    print(f'{name}: load_state_dict(strict=True) accepted {len(exported)} tensors, all bit-identical')


def main():
    if len(sys.argv) == 4 and sys.argv[1] == '--check-export':
        check_export(sys.argv[2], sys.argv[3])
        return
    if os.path.isdir(ROOT):
        shutil.rmtree(ROOT)
    os.makedirs(ROOT)
    for c in CASES:
        build(c)
    print(f'wrote {len(CASES)} cases to {os.path.normpath(ROOT)}')


if __name__ == '__main__':
    main()
