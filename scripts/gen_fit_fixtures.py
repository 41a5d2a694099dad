#!/usr/bin/python3
"""PyTorch reference training runs for `webrnn fit` (test/fixtures-fit/<case>/).

Each case directory holds the CLI's inputs and PyTorch's answer:
  model.json             {"embedding": {...} | null, "rnn": {...}, "linear": {...}, "loss", "target"}
  init.safetensors       the float32 module's state_dict (embedding.weight, rnn.weight_ih_l0, ..., linear.bias)
  batch.safetensors      tokens (B,T) int64 or input (B,T,I) float32 (batch-first); targets; lengths (B,)
  args.json              the optimizer flags: {"optimizer", "lr", "momentum"?, "weight_decay"?, "clip_norm"?, "steps"}
  expected.safetensors   `loss` (steps,) — the loss before each step — and every parameter after the last
                         step, computed by a float64 copy of the module (F64), so a float32 engine's error
                         can be judged.

The model: x = embedding(tokens) or input (B,T,F); pack_padded_sequence(enforce_sorted=False) when lengths
are given; out = rnn(x) padded back to T, (B,T,D*H); all_steps: logits = linear(out) at every valid (b,t);
last_step: logits = linear(out[b, lengths[b]-1]). Loss = mean over valid positions (PyTorch reduction
"mean"; for bce_with_logits and mse the mean over valid positions x out_features). Before each step:
clip_grad_norm_(all parameters, clip_norm) when clip_norm is given. Run with /usr/bin/python3:
  /usr/bin/python3 scripts/gen_fit_fixtures.py
"""
import json
import os
import shutil
import sys
import zlib

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_fixtures import MODULES  # noqa: E402
from safetensors_writer import write_safetensors  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures-fit')


class Model(torch.nn.Module):
    def __init__(self, spec):
        super().__init__()
        emb = spec['embedding']
        self.embedding = torch.nn.Embedding(emb['num_embeddings'], emb['embedding_dim']) if emb else None
        r = dict(spec['rnn'])
        cls, extra = MODULES[r.pop('mode')]
        self.rnn = cls(**r, **extra)
        self.linear = torch.nn.Linear(spec['linear']['in_features'], spec['linear']['out_features'])
        self.spec = spec

    def forward(self, x, lengths):
        if self.embedding is not None:
            x = self.embedding(x)
        bf = self.rnn.batch_first
        T = x.shape[1]
        if not bf:
            x = x.transpose(0, 1)
        if lengths is not None:
            x = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=bf, enforce_sorted=False)
        out, _ = self.rnn(x)
        if lengths is not None:
            out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=bf, total_length=T)
        if not bf:
            out = out.transpose(0, 1)
        return out  # (B, T, D*H)


def loss_of(model, out, targets, lengths, spec):
    B, T = out.shape[0], out.shape[1]
    L = lengths if lengths is not None else torch.full((B,), T, dtype=torch.int64)
    if spec['target'] == 'last_step':
        last = out[torch.arange(B), L - 1]
        logits = model.linear(last)
        t = targets
    else:
        mask = torch.arange(T)[None, :] < L[:, None]  # (B, T)
        logits = model.linear(out)[mask]
        t = targets[mask]
    if spec['loss'] == 'cross_entropy':
        return torch.nn.functional.cross_entropy(logits, t)
    if spec['loss'] == 'bce_with_logits':
        return torch.nn.functional.binary_cross_entropy_with_logits(logits, t)
    return torch.nn.functional.mse_loss(logits, t)


def make_optimizer(params, a):
    if a['optimizer'] == 'sgd':
        return torch.optim.SGD(params, lr=a['lr'], momentum=a.get('momentum', 0), weight_decay=a.get('weight_decay', 0))
    if a['optimizer'] == 'adam':
        return torch.optim.Adam(params, lr=a['lr'], weight_decay=a.get('weight_decay', 0))
    return torch.optim.AdamW(params, lr=a['lr'], weight_decay=a.get('weight_decay', 0.01))


def build(name, spec, args, B, T, lengths):
    seed = zlib.crc32(name.encode())
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = Model(spec)
    init = {k: v.detach().clone() for k, v in model.state_dict().items()}
    batch = {}
    if spec['embedding']:
        batch['tokens'] = rng.integers(0, spec['embedding']['num_embeddings'], size=(B, T)).astype(np.int64)
        x = torch.from_numpy(batch['tokens'])
    else:
        batch['input'] = rng.uniform(-1, 1, size=(B, T, spec['rnn']['input_size'])).astype(np.float32)
        x = torch.from_numpy(batch['input']).double()
    O = spec['linear']['out_features']
    tshape = (B,) if spec['target'] == 'last_step' else (B, T)
    if spec['loss'] == 'cross_entropy':
        batch['targets'] = rng.integers(0, O, size=tshape).astype(np.int64)
        targets = torch.from_numpy(batch['targets'])
    else:
        vals = rng.uniform(0, 1, size=tshape + (O,)) if spec['loss'] == 'bce_with_logits' else rng.normal(size=tshape + (O,))
        batch['targets'] = vals.astype(np.float32)
        targets = torch.from_numpy(batch['targets']).double()
    L = None
    if lengths is not None:
        batch['lengths'] = np.array(lengths, dtype=np.int64)
        L = torch.tensor(lengths, dtype=torch.int64)

    model = model.double()
    opt = make_optimizer(model.parameters(), args)
    losses = []
    for _ in range(args['steps']):
        opt.zero_grad()
        loss = loss_of(model, model(x, L), targets, L, spec)
        losses.append(loss.item())
        loss.backward()
        if 'clip_norm' in args:
            torch.nn.utils.clip_grad_norm_(model.parameters(), args['clip_norm'])
        opt.step()

    d = os.path.join(ROOT, name)
    os.makedirs(d)
    with open(os.path.join(d, 'model.json'), 'w') as f:
        json.dump(spec, f, indent=2)
    with open(os.path.join(d, 'args.json'), 'w') as f:
        json.dump(args, f, indent=2)
    write_safetensors(os.path.join(d, 'init.safetensors'), {k: v.float().numpy() for k, v in init.items()})
    write_safetensors(os.path.join(d, 'batch.safetensors'), batch)
    expected = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    expected['loss'] = np.array(losses, dtype=np.float64)
    write_safetensors(os.path.join(d, 'expected.safetensors'), expected)


MODES = ['LSTM', 'GRU', 'RNN_TANH', 'RNN_RELU']
OPTIMIZERS = [
    {'optimizer': 'sgd', 'lr': 0.1},
    {'optimizer': 'sgd', 'lr': 0.05, 'momentum': 0.9, 'weight_decay': 0.01},
    {'optimizer': 'adam', 'lr': 0.01},
    {'optimizer': 'adamw', 'lr': 0.01, 'weight_decay': 0.05},
]
# Model shapes rotate over the cases so that every mode meets embeddings, every loss and both targets.
SHAPES = [
    dict(embedding={'num_embeddings': 11, 'embedding_dim': 5}, loss='cross_entropy', target='all_steps', O=11,
         bidir=False, layers=1, batch_first=True, lengths=[5, 3, 1]),
    dict(embedding=None, loss='bce_with_logits', target='all_steps', O=3, bidir=True, layers=1, batch_first=False,
         lengths=[2, 5, 4]),
    dict(embedding=None, loss='mse', target='last_step', O=2, bidir=False, layers=2, batch_first=True,
         lengths=[4, 5, 2]),
    dict(embedding={'num_embeddings': 7, 'embedding_dim': 4}, loss='cross_entropy', target='last_step', O=4,
         bidir=True, layers=2, batch_first=False, lengths=None),
]


def main():
    if os.path.isdir(ROOT):
        shutil.rmtree(ROOT)
    os.makedirs(ROOT)
    H, I, B, T = 6, 4, 3, 5
    n = 0
    for mi, mode in enumerate(MODES):
        for oi, opt in enumerate(OPTIMIZERS):
            for clip in (False, True):
                s = SHAPES[(mi + oi + clip) % len(SHAPES)]
                D = 2 if s['bidir'] else 1
                F = s['embedding']['embedding_dim'] if s['embedding'] else I
                spec = {
                    'embedding': s['embedding'],
                    'rnn': {'mode': mode, 'input_size': F, 'hidden_size': H, 'num_layers': s['layers'], 'bias': True,
                            'batch_first': s['batch_first'], 'bidirectional': s['bidir']},
                    'linear': {'in_features': D * H, 'out_features': s['O']},
                    'loss': s['loss'],
                    'target': s['target'],
                }
                args = dict(opt, steps=20)
                if clip:
                    args['clip_norm'] = 0.5
                name = f"{mode.lower()}_{opt['optimizer']}{'_momentum' if opt.get('momentum') else ''}{'_clip' if clip else ''}"
                build(name, spec, args, B, T, s['lengths'])
                n += 1
    # Projected LSTMs (proj_size P): the linear head reads D·P features.
    for name, s, P, opt in [('lstm_proj_adam', SHAPES[1], 3, OPTIMIZERS[2]), ('lstm_proj_sgd_clip', SHAPES[2], 2, OPTIMIZERS[0])]:
        D = 2 if s['bidir'] else 1
        spec = {
            'embedding': s['embedding'],
            'rnn': {'mode': 'LSTM', 'input_size': I, 'hidden_size': H, 'num_layers': s['layers'], 'bias': True,
                    'batch_first': s['batch_first'], 'bidirectional': s['bidir'], 'proj_size': P},
            'linear': {'in_features': D * P, 'out_features': s['O']},
            'loss': s['loss'],
            'target': s['target'],
        }
        args = dict(opt, steps=20)
        if name.endswith('_clip'):
            args['clip_norm'] = 0.5
        build(name, spec, args, B, T, s['lengths'])
        n += 1
    print(f'wrote {n} cases to {os.path.relpath(ROOT)}')


if __name__ == '__main__':
    main()
