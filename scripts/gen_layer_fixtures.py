#!/usr/bin/python3
"""PyTorch reference cases for the non-recurrent layers and the losses (test/fixtures-layers/<case>.safetensors).

One file per case; `__metadata__.case` is a JSON object with the case's "kind" and arguments:
  linear         in_features, out_features, bias   tensors: weight, bias?, input, grad_output
  embedding      num_embeddings, embedding_dim, padding_idx?   tensors: weight, tokens (I64), grad_output
  cross_entropy  reduction, ignore_index, mask?   tensors: logits (…, C), targets (I64), mask? (U8, per row)
  bce / mse      reduction, mask?   tensors: input, target, mask? (U8, per row or per element)
Inputs are float32 (what the GPU gets). Expected values are float64 tensors named expected.*: the
module run in float64 on the float32 values upcast exactly, gradients by autograd —
  linear: expected.output, expected.grad.input, expected.grad.weight, expected.grad.bias
          (loss = Σ output · grad_output)
  embedding: expected.output, expected.grad.weight (same loss; padding_idx row gets no gradient)
  losses: expected.loss (0-d), expected.grad.input (d loss / d input)
A mask is applied as PyTorch users do by hand: (loss(reduction='none') · mask).sum(), divided by the
number of counted rows/elements for 'mean'.

Run with /usr/bin/python3 (Debian's python3-torch 1.13):
  /usr/bin/python3 scripts/gen_layer_fixtures.py
Each case is seeded from its name (crc32), so adding a case leaves the others' bytes unchanged.
"""
import json
import os
import sys
import zlib

import numpy as np
import torch
import torch.nn.functional as Fn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_writer import write_safetensors  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures-layers')



def np64(t):
    return t.detach().to(torch.float64).numpy()


def np32(t):
    return t.detach().to(torch.float32).numpy()


def linear(I, O, lead, bias=True):
    lin = torch.nn.Linear(I, O, bias=bias)  # PyTorch's default init (seeded)
    x = torch.randn(*lead, I)
    gy = torch.randn(*lead, O)
    m = torch.nn.Linear(I, O, bias=bias).double()
    m.load_state_dict({k: v.double() for k, v in lin.state_dict().items()})
    xd = x.double().requires_grad_(True)
    y = m(xd)
    (y * gy.double()).sum().backward()
    t = {'weight': np32(lin.weight), 'input': np32(x), 'grad_output': np32(gy),
         'expected.output': np64(y), 'expected.grad.input': np64(xd.grad), 'expected.grad.weight': np64(m.weight.grad)}
    if bias:
        t['bias'] = np32(lin.bias)
        t['expected.grad.bias'] = np64(m.bias.grad)
    return t, dict(kind='linear', in_features=I, out_features=O, bias=bias)


def embedding(V, E, tokens, padding_idx=None):
    emb = torch.nn.Embedding(V, E, padding_idx=padding_idx)
    tok = torch.tensor(tokens, dtype=torch.int64)
    gy = torch.randn(*tok.shape, E)
    m = torch.nn.Embedding(V, E, padding_idx=padding_idx).double()
    m.load_state_dict({'weight': emb.weight.detach().double()})
    y = m(tok)
    (y * gy.double()).sum().backward()
    t = {'weight': np32(emb.weight), 'tokens': tok.numpy(), 'grad_output': np32(gy),
         'expected.output': np64(y), 'expected.grad.weight': np64(m.weight.grad)}
    cfg = dict(kind='embedding', num_embeddings=V, embedding_dim=E)
    if padding_idx is not None:
        cfg['padding_idx'] = padding_idx
    return t, cfg


def masked(per, mask, reduction):
    """(per · mask).sum(), / count for 'mean' (0 when nothing counts)."""
    s = (per * mask).sum()
    if reduction == 'sum':
        return s
    n = mask.sum()
    return s / n if n > 0 else s * 0


def cross_entropy(shape, reduction='mean', ignore_index=-100, ignored=(), lengths=None, scale=1.0):
    C = shape[-1]
    logits = torch.randn(*shape) * scale
    rows = int(np.prod(shape[:-1]))
    targets = torch.randint(0, C, (rows,))
    for r in ignored:
        targets[r] = ignore_index
    x = logits.double().reshape(rows, C).requires_grad_(True)
    t = {'logits': np32(logits), 'targets': targets.reshape(shape[:-1]).numpy()}
    cfg = dict(kind='cross_entropy', reduction=reduction, ignore_index=ignore_index)
    if lengths is None:
        loss = Fn.cross_entropy(x, targets, ignore_index=ignore_index, reduction=reduction)
    else:
        T, B = shape[0], shape[1]  # time-major (T, B, C)
        mask = torch.tensor([[1 if tt < lengths[b] else 0 for b in range(B)] for tt in range(T)], dtype=torch.uint8).reshape(-1)
        per = Fn.cross_entropy(x, targets, ignore_index=ignore_index, reduction='none')
        counted = mask.double() * (targets != ignore_index).double()
        loss = masked(per, counted, reduction)
        t['mask'] = mask.numpy()
        cfg['lengths'] = lengths
    loss.backward()
    t['expected.loss'] = np64(loss)
    t['expected.grad.input'] = np64(x.grad.reshape(shape))
    return t, cfg


def elementwise(kind, shape, reduction='mean', mask=None, extreme=False):
    x = torch.randn(*shape) * 3
    if extreme:
        flat = x.view(-1)
        flat[0], flat[1], flat[2] = 40.0, -40.0, 88.0
    y = torch.rand(*shape) if kind == 'bce' else torch.randn(*shape)
    xd = x.double().requires_grad_(True)
    f = Fn.binary_cross_entropy_with_logits if kind == 'bce' else Fn.mse_loss
    t = {'input': np32(x), 'target': np32(y)}
    cfg = dict(kind=kind, reduction=reduction)
    if mask is None:
        loss = f(xd, y.double(), reduction=reduction)
    else:
        per = f(xd, y.double(), reduction='none')
        if mask == 'row':
            m = (torch.rand(*shape[:-1]) < 0.6).to(torch.uint8)
            md = m.double().unsqueeze(-1).expand(*shape)
        else:
            m = (torch.rand(*shape) < 0.6).to(torch.uint8)
            md = m.double()
        loss = masked(per, md, reduction)
        t['mask'] = m.numpy()
        cfg['mask'] = mask
    loss.backward()
    t['expected.loss'] = np64(loss)
    t['expected.grad.input'] = np64(xd.grad)
    return t, cfg


CASES = [
    ('linear_bias', lambda: linear(5, 3, (4, 2))),
    ('linear_nobias', lambda: linear(7, 1, (3,), bias=False)),
    ('linear_in1_out67', lambda: linear(1, 67, (5,))),
    ('linear_3d_odd', lambda: linear(13, 9, (3, 5, 2))),
    ('embedding_padding', lambda: embedding(11, 4,
                                            [[2, 5, 5, 0, 2], [10, 5, 1, 2, 3], [5, 5, 7, 9, 2]], padding_idx=2)),
    ('embedding_repeats', lambda: embedding(6, 3, [4] * 9 + [1, 4, 0])),
    ('embedding_negative_padding', lambda: embedding(7, 5,
                                                     [[6, 0, 3], [6, 6, 1]], padding_idx=-1)),
    ('cross_entropy_mean_ignore', lambda: cross_entropy((7, 5), ignored=(1, 4))),
    ('cross_entropy_sum_ignore3', lambda: cross_entropy((9, 4), reduction='sum',
                                                       ignore_index=3)),
    ('cross_entropy_mask_time_major', lambda: cross_entropy((4, 3, 6),
                                                           lengths=[4, 1, 3], ignored=(0,))),
    ('cross_entropy_c300_large_logits', lambda: cross_entropy((3, 300), scale=30.0)),
    ('cross_entropy_c1', lambda: cross_entropy((5, 1), reduction='sum')),
    ('bce_mean_extreme', lambda: elementwise('bce', (4, 6), extreme=True)),
    ('bce_sum_element_mask', lambda: elementwise('bce', (3, 7), reduction='sum', mask='element')),
    ('bce_mean_row_mask', lambda: elementwise('bce', (5, 2, 3), mask='row')),
    ('mse_mean', lambda: elementwise('mse', (6, 5))),
    ('mse_sum_row_mask', lambda: elementwise('mse', (4, 3, 2), reduction='sum', mask='row')),
    ('mse_mean_element_mask', lambda: elementwise('mse', (67,), mask='element')),
]


def main():
    os.makedirs(ROOT, exist_ok=True)
    names = set()
    for name, make in CASES:
        torch.manual_seed(zlib.crc32(name.encode()))
        tensors, cfg = make()
        write_safetensors(os.path.join(ROOT, name + '.safetensors'), tensors, {'case': json.dumps(cfg, sort_keys=True)})
        names.add(name + '.safetensors')
    for f in os.listdir(ROOT):
        if f.endswith('.safetensors') and f not in names:
            os.remove(os.path.join(ROOT, f))
    print(f'{len(CASES)} cases in {os.path.normpath(ROOT)}')


if __name__ == '__main__':
    main()
