#!/usr/bin/python3
"""PyTorch reference cases for CTC (test/fixtures-ctc/<case>.safetensors).

Each case applies torch.nn.CTCLoss to log_softmax(logits, dim=2) and differentiates with respect to the
logits (the gradient webrnn's CtcLoss returns). `__metadata__.case` is a JSON object
{"blank", "reduction", "zero_infinity"}; tensors:
  logits (T, B, C) float32 — what the GPU gets
  targets (sum of target lengths) int64 — concatenated, torch's 1-D form
  target_lengths (B) int64, input_lengths (B) int64
  expected.loss (0-d) float64, expected.losses (B) float64 (reduction='none'),
  expected.grad.logits (T, B, C) float64
Expected values come from the float64 module on the float32 logits upcast exactly.

Run with /usr/bin/python3 (Debian's python3-torch 1.13):
  /usr/bin/python3 scripts/gen_ctc_fixtures.py
Each case is seeded from its name (crc32), so adding a case leaves the others' bytes unchanged.
"""
import json
import os
import sys
import zlib

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_writer import write_safetensors  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures-ctc')


def case(name, T, C, targets, input_lengths=None, blank=0, reduction='mean', zero_infinity=False, scale=1.0):
    torch.manual_seed(zlib.crc32(name.encode()))
    B = len(targets)
    logits = (torch.randn(T, B, C) * scale).float()
    il = torch.tensor(input_lengths if input_lengths is not None else [T] * B, dtype=torch.int64)
    tl = torch.tensor([len(t) for t in targets], dtype=torch.int64)
    flat = torch.tensor([x for t in targets for x in t], dtype=torch.int64)
    x = logits.double().requires_grad_(True)
    lp = x.log_softmax(2)
    loss = torch.nn.CTCLoss(blank=blank, reduction=reduction, zero_infinity=zero_infinity)(lp, flat, il, tl)
    loss.backward()
    with torch.no_grad():
        none = torch.nn.CTCLoss(blank=blank, reduction='none', zero_infinity=zero_infinity)(logits.double().log_softmax(2), flat, il, tl)
    tensors = {
        'logits': logits.numpy(),
        'targets': flat.numpy(),
        'target_lengths': tl.numpy(),
        'input_lengths': il.numpy(),
        'expected.loss': loss.detach().numpy(),
        'expected.losses': none.numpy(),
        'expected.grad.logits': x.grad.numpy(),
    }
    meta = {'case': json.dumps(dict(blank=blank, reduction=reduction, zero_infinity=zero_infinity))}
    write_safetensors(os.path.join(ROOT, name + '.safetensors'), tensors, meta)
    print(name, 'loss', float(loss))


def main():
    os.makedirs(ROOT, exist_ok=True)
    case('basic_mean', 12, 5, [[1, 2], [3, 4, 1], [2, 2, 3, 1]])
    # repeated labels: each pair of equal neighbours needs a blank between them; the third row has
    # exactly T = L + repeats steps, so a single alignment exists
    case('repeats_sum', 10, 4, [[1, 1, 2], [3, 3, 3], [2, 2, 2, 1, 1, 3]], input_lengths=[10, 8, 9], reduction='sum')
    case('variable_lengths_mean', 30, 8, [[1, 2, 3, 4, 5, 6, 7, 1], [], [5], [2, 2, 6, 6, 7], [3, 1, 4, 1, 5, 1, 2]],
         input_lengths=[30, 11, 1, 23, 17])
    case('variable_lengths_sum', 30, 8, [[7, 7], [1, 2, 3], [4], [6, 5, 4, 3, 2, 1, 7, 6]], input_lengths=[5, 30, 12, 26], reduction='sum')
    case('blank_last', 15, 6, [[0, 1, 2, 3], [4, 4, 0], [2]], blank=5)
    case('peaky_long', 50, 20, [[(7 * i + 3) % 19 + 1 for i in range(12)], [5, 5, 5, 5], [1, 19, 2, 18, 3, 17, 4, 16], [9] * 10],
         input_lengths=[50, 37, 44, 29], scale=4.0)
    case('single_step', 1, 3, [[2], []])
    # the second row cannot be aligned (4 labels with one repeat need 5 steps, it has 4)
    case('impossible_zero_infinity', 6, 5, [[1, 2], [1, 3, 3, 4], [4]], input_lengths=[6, 4, 5], zero_infinity=True)
    case('impossible_inf', 6, 5, [[1, 2], [1, 3, 3, 4], [4]], input_lengths=[6, 4, 5], reduction='sum')


if __name__ == '__main__':
    main()
