#!/usr/bin/env python3
"""Trains webrnn's character language model -- embedding -> LSTM -> linear, the SequenceModel that
CharLm and `webrnn train` build -- with PyTorch's DistributedDataParallel, and saves it as a
safetensors state_dict that webrnn's loadTorchModel reads as it is.

    torchrun --standalone --nproc_per_node=2 train_ddp.py --data brown-chars.safetensors --out model.safetensors
    torchrun --standalone --nproc_per_node=2 train_ddp.py --data brown-chars.safetensors \
        --init finetuned.safetensors --out continued.safetensors

Data: the file `node examples/run.mjs scale-out prepare` writes (token ids `train` and `val`, I32, and
the character vocabulary in its metadata), so both sides read the very same ids.

Training is webrnn's CharLm, spread over the processes: the training ids are cut into --batch parallel
streams read --bptt characters at a time (truncated BPTT, the hidden state carried from one window to
the next and reset at each epoch start); each of the W processes (gloo backend, CPU) takes --batch / W
of the streams, DDP averages the gradients (equal shards: the average of the shards' mean losses is
the whole batch's mean), then global gradient-norm clipping and Adam, as webrnn does.

The file written carries, besides the weights (names embedding.weight, rnn.weight_ih_l0 ...,
linear.weight, linear.bias; float32), metadata that lets the other side check it computes the same
numbers before it continues: `settings` (CharLm's), `vocab`, `window` (the next training window),
`val_loss` (mean cross-entropy in nats over the validation windows, defined below) and
`next_batch_loss` (the loss of that next window's whole batch from a zero state). With --init this
script recomputes both before its first step and stops if either differs by more than --tolerance
(relative).

Validation loss, as CharLm.evaluate computes it: B = min(batch, len(val) // (bptt + 1)) streams of
the validation ids, consecutive windows of up to bptt steps (the last may be shorter), the state
carried across windows, the first --val-windows windows; the mean cross-entropy over every predicted
character.
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

sys.dont_write_bytecode = True  # no __pycache__ left in the checkout by the helper modules
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402

# CharLm's defaults (src/tasks/char-lm.ts), so a model trained here continues there unchanged.
DEFAULTS = {'cell': 'LSTM', 'hidden': 128, 'layers': 1, 'embedding': 32, 'dropout': 0, 'batch': 32,
            'bptt': 32, 'lr': 4e-3, 'clip': 5, 'seed': 1}
SHAPE_SETTINGS = ('hidden', 'layers', 'embedding', 'batch', 'bptt')
ALL_WINDOWS = 1 << 30


class SequenceModel(nn.Module):
    """webrnn's SequenceModel for a character LM: children named embedding, rnn, linear."""

    def __init__(self, vocab_size, embedding, hidden, layers):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding)
        self.rnn = nn.LSTM(embedding, hidden, layers, batch_first=True)
        self.linear = nn.Linear(hidden, vocab_size)

    def forward(self, tokens, state=None):
        """tokens (B, T) -> logits (B, T, V), the final (h, c)."""
        out, state = self.rnn(self.embedding(tokens), state)
        return self.linear(out), state


def streams_of(ids, batch, bptt, drop_last):
    """webrnn's bpttLayout: (B, L) streams of the first B*L ids and the number of windows."""
    length = len(ids) // batch
    windows = 0 if length < 2 else (length - 1) // bptt if drop_last else math.ceil((length - 1) / bptt)
    if windows == 0:
        raise SystemExit(f'{len(ids)} tokens in {batch} streams give {length} per stream: too few for one window of {bptt}')
    return ids[:batch * length].view(batch, length), windows


def window(streams, k, bptt):
    """Inputs and targets (B, steps) of window k: steps = bptt, or fewer for the last one."""
    steps = min(bptt, streams.shape[1] - 1 - k * bptt)
    cols = streams[:, k * bptt:k * bptt + steps + 1].long()
    return cols[:, :-1], cols[:, 1:]


def cross_entropy(logits, targets):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


@torch.no_grad()
def validation_loss(model, val, s, max_windows):
    """Mean cross-entropy (nats) over the first max_windows validation windows (CharLm.evaluate's)."""
    batch = max(1, min(s['batch'], len(val) // (s['bptt'] + 1)))
    streams, windows = streams_of(val, batch, s['bptt'], drop_last=False)
    state, nats, count = None, 0.0, 0
    for k in range(min(windows, max_windows)):
        x, y = window(streams, k, s['bptt'])
        logits, state = model(x, state)
        nats += cross_entropy(logits, y).item() * y.numel()
        count += y.numel()
    return nats / count


@torch.no_grad()
def batch_loss(model, streams, k, bptt):
    """The loss of training window k from a zero state over these streams."""
    x, y = window(streams, k, bptt)
    return cross_entropy(model(x)[0], y).item()


def relative(a, b):
    return abs(a - b) / max(abs(b), 1e-30)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--data', required=True, help='brown-chars.safetensors from `node examples/run.mjs scale-out prepare`')
    p.add_argument('--out', required=True, help='where to save the trained state_dict (safetensors)')
    p.add_argument('--init', help='continue from this model (webrnn\'s export or this script\'s), after checking the losses it records')
    p.add_argument('--steps', type=int, default=200, help='optimizer steps (default 200)')
    for k in SHAPE_SETTINGS + ('lr', 'clip', 'seed'):
        p.add_argument(f'--{k}', type=type(DEFAULTS[k]) if k not in ('lr', 'clip') else float,
                       help=f'CharLm setting (default {DEFAULTS[k]}; with --init, the file\'s)')
    p.add_argument('--val-windows', type=int, help='validation windows to evaluate (default all; with --init, the file\'s)')
    p.add_argument('--tolerance', type=float, default=1e-5, help='largest relative difference accepted with --init (default 1e-5)')
    p.add_argument('--report', help='rank 0 writes a JSON summary here (losses, agreement)')
    return p.parse_args()


def main():
    args = parse_args()
    # One thread per process: torchrun starts one process per core's worth of work.
    torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', '1')))
    dist.init_process_group('gloo')
    rank, world = dist.get_rank(), dist.get_world_size()

    data, data_meta = read_safetensors(args.data)
    if 'train' not in data or 'val' not in data or 'vocab' not in data_meta:
        raise SystemExit(f'{args.data}: expected tensors train and val and a vocab in the metadata (made by `scale-out prepare`)')
    train_ids, val_ids = data['train'], data['val']
    vocab = json.loads(data_meta['vocab'])
    V = len(vocab['tokens'])

    s = dict(DEFAULTS)
    start_window, init_meta = 0, {}
    if args.init:
        init_sd, init_meta = read_safetensors(args.init)
        if 'settings' not in init_meta:
            raise SystemExit(f'{args.init}: no settings in its metadata (save it with `scale-out finetune` or this script)')
        s.update(json.loads(init_meta['settings']))
        if json.loads(init_meta.get('vocab', 'null')) != vocab:
            raise SystemExit(f'{args.init} was trained with another vocabulary than {args.data}')
        start_window = int(init_meta.get('window', 0))
        if args.val_windows is None and 'val_windows' in init_meta:
            args.val_windows = int(init_meta['val_windows'])
        fixed = [k for k in SHAPE_SETTINGS if getattr(args, k) is not None and getattr(args, k) != s[k]]
        if fixed:
            raise SystemExit(f'--{fixed[0]} {getattr(args, fixed[0])}: {args.init} was made with {fixed[0]} {s[fixed[0]]}; the model and its batches keep it')
    if args.val_windows is None:
        args.val_windows = ALL_WINDOWS
    for k in SHAPE_SETTINGS + ('lr', 'clip', 'seed'):
        if getattr(args, k) is not None:
            s[k] = getattr(args, k)
    if s['cell'] != 'LSTM' or s['dropout'] != 0:
        raise SystemExit(f'this script trains an LSTM without dropout; the settings say {s["cell"]}, dropout {s["dropout"]}')
    if s['batch'] % world:
        raise SystemExit(f'--batch {s["batch"]} must be a multiple of the {world} processes (each takes batch / {world} streams)')

    torch.manual_seed(s['seed'])
    model = SequenceModel(V, s['embedding'], s['hidden'], s['layers'])
    if args.init:
        model.load_state_dict(init_sd)  # strict: every name and shape as webrnn wrote them
    streams, windows = streams_of(train_ids, s['batch'], s['bptt'], drop_last=True)
    shard = streams[rank * s['batch'] // world:(rank + 1) * s['batch'] // world]
    report = {'settings': s, 'world_size': world, 'steps': args.steps}

    if args.init:
        # The first batch this run trains on, from a zero state, each process its shard: the mean of
        # the shards' losses is the whole batch's.
        model.eval()
        first = torch.tensor(batch_loss(model, shard, start_window % windows, s['bptt']), dtype=torch.float64)
        dist.all_reduce(first)
        checks = {'next_batch_loss': first.item() / world,
                  'val_loss': validation_loss(model, val_ids, s, args.val_windows)}
        report['agreement'] = {}
        for name, ours in checks.items():
            theirs = float(init_meta[name])
            rel = relative(ours, theirs)
            report['agreement'][name] = {'file': theirs, 'pytorch': ours, 'relative_difference': rel}
            if rank == 0:
                print(f'{name}: {args.init} says {theirs:.8f}, PyTorch computes {ours:.8f} (relative difference {rel:.2e})', flush=True)
            if not rel <= args.tolerance:
                raise SystemExit(f'{name} differs by {rel:.2e} relative (> {args.tolerance}): not the same model or data; stopping before training')

    ddp = DistributedDataParallel(model)
    opt = torch.optim.Adam(ddp.parameters(), lr=s['lr'])
    model.train()
    state, k, epoch, losses = None, start_window % windows, 0, []
    t0 = time.time()
    for step in range(1, args.steps + 1):
        if k == 0:
            state = None
        x, y = window(shard, k, s['bptt'])
        logits, state = ddp(x, state)
        state = tuple(h.detach() for h in state)
        loss = cross_entropy(logits, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()  # DDP all-reduces (averages) the gradients here
        torch.nn.utils.clip_grad_norm_(ddp.parameters(), s['clip'])
        opt.step()
        mean = loss.detach().clone()
        dist.all_reduce(mean)
        losses.append(mean.item() / world)
        k += 1
        if k >= windows:
            k, epoch = 0, epoch + 1
        if rank == 0 and (step % 50 == 0 or step == args.steps):
            print(f'step {step}: loss {losses[-1]:.4f} ({(time.time() - t0) / step * 1000:.0f} ms/step, {world} processes)', flush=True)

    if rank == 0:
        model.eval()
        val = validation_loss(model, val_ids, s, args.val_windows)
        nxt = batch_loss(model, streams, k, s['bptt'])
        meta = {'format': 'pt', 'trained_by': f'pytorch {torch.__version__} DistributedDataParallel ({world} processes, gloo)',
                'settings': json.dumps(s), 'vocab': data_meta['vocab'], 'window': str(k),
                'val_loss': repr(val), 'val_windows': str(args.val_windows), 'next_batch_loss': repr(nxt)}
        write_safetensors(args.out, model.state_dict(), meta)
        print(f'validation loss {val:.6f} nats/char ({val / math.log(2):.4f} bits/char); saved {args.out}', flush=True)
        report.update({'losses': losses, 'val_loss': val, 'next_batch_loss': nxt, 'window': k})
        if args.report:
            with open(args.report, 'w') as f:
                json.dump(report, f, indent=1)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == '__main__':
    main()
