#!/usr/bin/python3
"""PyTorch reference trajectories for webrnn's optimizers (test/fixtures-optim/).

<case>.safetensors, one per optimizer configuration: three parameter tensors of sizes 1, 7 and 40
(float32, torch's own arithmetic), a fixed sequence of gradients, and what torch.optim does with them:
  sizes   I32 (3)          element counts of the parameter tensors, in order
  grads   F32 (S, N)       the gradient of every step, tensors concatenated (N = sum(sizes))
  params  F32 (S + 1, N)   the parameters before step 1 (row 0) and after every step
  lr      F64 (S)          the learning rate each step used (schedulers step after the optimizer)
  norm    F32 (S)          the global gradient norm of each step: clip_grad_norm_'s return value
                           (after clip_grad_value_ when both are set), or the same formula without clipping
  metadata: optimizer (SGD | Adam | AdamW | Adagrad), options (JSON of the torch keyword arguments plus
            clip_norm / clip_value), schedule (JSON or "none"), torch version.
schedules.safetensors: lr sequences (F64, 40 values = lr of steps 1..40) of torch.optim.lr_scheduler
chains, metadata: one JSON description per tensor name.

Per step: p.grad = grads[s]; clip_grad_value_ (if clip_value); clip_grad_norm_ (if clip_norm);
optimizer.step() (foreach=False, the single-tensor path); scheduler.step().
Run with /usr/bin/python3 (Debian python3-torch 1.13): /usr/bin/python3 scripts/gen_optim_fixtures.py
"""
import json
import math
import os
import sys
import zlib

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_writer import write_safetensors  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures-optim')
SIZES = [1, 7, 40]
STEPS = 12


OPT = {'SGD': torch.optim.SGD, 'Adam': torch.optim.Adam, 'AdamW': torch.optim.AdamW, 'Adagrad': torch.optim.Adagrad}

# name, optimizer, options (torch kwargs + clip_norm/clip_value), schedule
CASES = [
    ('sgd', 'SGD', dict(lr=0.1), None),
    ('sgd_weight_decay', 'SGD', dict(lr=0.05, weight_decay=0.1), None),
    ('sgd_momentum_dampening', 'SGD', dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01), None),
    ('sgd_nesterov', 'SGD', dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3), None),
    ('sgd_momentum_clip_norm', 'SGD', dict(lr=0.1, momentum=0.8, clip_norm=1.0), None),
    ('sgd_momentum_steplr', 'SGD', dict(lr=0.1, momentum=0.9), dict(kind='StepLR', step_size=4, gamma=0.5)),
    ('adam', 'Adam', dict(lr=1e-2), None),
    ('adam_weight_decay_amsgrad', 'Adam', dict(lr=1e-2, betas=[0.9, 0.9], weight_decay=0.05, amsgrad=True), None),
    ('adam_clip_norm_betas', 'Adam', dict(lr=1e-2, betas=[0.8, 0.99], clip_norm=1.0), None),
    ('adam_clip_value', 'Adam', dict(lr=1e-2, clip_value=0.5), None),
    ('adam_clip_value_and_norm', 'Adam', dict(lr=1e-2, eps=1e-6, clip_value=1.0, clip_norm=1.5), None),
    ('adamw', 'AdamW', dict(lr=1e-2), None),
    ('adamw_amsgrad_clip_norm', 'AdamW', dict(lr=1e-2, betas=[0.9, 0.8], weight_decay=0.1, amsgrad=True, clip_norm=2.0), None),
    ('adamw_warmup_cosine', 'AdamW', dict(lr=1e-2, weight_decay=0.05),
     dict(kind='chain', warmup_steps=4, start_factor=0.25, T_max=12, eta_min=0.0)),
    ('adagrad', 'Adagrad', dict(lr=0.1), None),
    ('adagrad_lr_decay_initial_accumulator_eps', 'Adagrad', dict(lr=0.1, lr_decay=0.05, initial_accumulator_value=0.1, eps=1e-6), None),
    ('adagrad_clip_norm', 'Adagrad', dict(lr=0.1, lr_decay=0.01, clip_norm=1.0), None),
    ('adagrad_clip_value', 'Adagrad', dict(lr=0.05, clip_value=0.5), None),
    ('adagrad_clip_value_and_norm', 'Adagrad', dict(lr=0.1, initial_accumulator_value=0.5, clip_value=1.0, clip_norm=1.5), None),
    ('adagrad_weight_decay', 'Adagrad', dict(lr=0.1, lr_decay=0.02, weight_decay=0.1), None),
    ('adagrad_weight_decay_clip_value_and_norm', 'Adagrad', dict(lr=0.1, initial_accumulator_value=0.1, weight_decay=0.3, clip_value=1.0, clip_norm=1.5), None),
]


def make_scheduler(opt, s):
    if s is None:
        return None
    if s['kind'] == 'StepLR':
        return torch.optim.lr_scheduler.StepLR(opt, step_size=s['step_size'], gamma=s['gamma'])
    if s['kind'] == 'chain':
        return torch.optim.lr_scheduler.ChainedScheduler([
            torch.optim.lr_scheduler.LinearLR(opt, start_factor=s['start_factor'], end_factor=1.0, total_iters=s['warmup_steps']),
            torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=s['T_max'], eta_min=s['eta_min'])])
    raise ValueError(s)


def build(name, kind, options, schedule):
    torch.manual_seed(zlib.crc32(name.encode()))
    params = [torch.nn.Parameter(0.5 * torch.randn(n, dtype=torch.float32)) for n in SIZES]
    N = sum(SIZES)
    # gradients: mostly N(0, 1) (global norm ≈ 7: clip_norm cases clip), some steps small (not clipped),
    # one step large, and exact zeros in one tensor once
    scales = [1.0, 0.05, 1.0, 3.0, 0.1, 1.0, 1.0, 0.02, 2.0, 1.0, 0.5, 1.0]
    grads = torch.randn(STEPS, N, dtype=torch.float32) * torch.tensor(scales, dtype=torch.float32)[:, None]
    grads[5, 1:8] = 0.0
    kw = {k: v for k, v in options.items() if k not in ('clip_norm', 'clip_value')}
    if 'betas' in kw:
        kw['betas'] = tuple(kw['betas'])
    opt = OPT[kind](params, foreach=False, **kw)
    sched = make_scheduler(opt, schedule)
    traj = [torch.cat([p.detach().clone() for p in params])]
    lrs, norms = [], []
    for s in range(STEPS):
        off = 0
        for p, n in zip(params, SIZES):
            p.grad = grads[s, off:off + n].clone()
            off += n
        if 'clip_value' in options:
            torch.nn.utils.clip_grad_value_(params, options['clip_value'])
        if 'clip_norm' in options:
            norm = torch.nn.utils.clip_grad_norm_(params, options['clip_norm'])
        else:
            norm = torch.norm(torch.stack([torch.norm(p.grad.detach(), 2.0) for p in params]), 2.0)
        norms.append(float(norm))
        lrs.append(opt.param_groups[0]['lr'])
        opt.step()
        if sched is not None:
            sched.step()
        traj.append(torch.cat([p.detach().clone() for p in params]))
    tensors = {
        'sizes': np.array(SIZES, dtype=np.int32),
        'grads': grads.numpy(),
        'params': torch.stack(traj).numpy(),
        'lr': np.array(lrs, dtype=np.float64),
        'norm': np.array(norms, dtype=np.float32),
    }
    meta = {'case': name, 'optimizer': kind, 'options': json.dumps(options), 'schedule': json.dumps(schedule) if schedule else 'none',
            'torch': torch.__version__}
    return tensors, meta


def schedule_fixture():
    """lr sequences of torch schedulers over 40 steps (lr used by steps 1..40), base lr 0.1."""
    L = torch.optim.lr_scheduler
    specs = {
        'step_lr': (dict(kind='StepLR', step_size=7, gamma=0.5), lambda o: L.StepLR(o, step_size=7, gamma=0.5)),
        'cosine': (dict(kind='CosineAnnealingLR', T_max=25, eta_min=1e-3), lambda o: L.CosineAnnealingLR(o, T_max=25, eta_min=1e-3)),
        'linear_warmup': (dict(kind='LinearLR', start_factor=0.1, total_iters=5), lambda o: L.LinearLR(o, start_factor=0.1, total_iters=5)),
        'warmup_step_lr_chained': (dict(kind='Chained', warmup_steps=5, start_factor=0.2, step_size=6, gamma=0.7),
                                   lambda o: L.ChainedScheduler([L.LinearLR(o, start_factor=0.2, total_iters=5), L.StepLR(o, step_size=6, gamma=0.7)])),
        'warmup_cosine_chained': (dict(kind='Chained', warmup_steps=6, start_factor=0.5, T_max=30, eta_min=0.0),
                                  lambda o: L.ChainedScheduler([L.LinearLR(o, start_factor=0.5, total_iters=6), L.CosineAnnealingLR(o, T_max=30)])),
        'warmup_cosine_sequential': (dict(kind='Sequential', warmup_steps=5, start_factor=0.1, T_max=30, eta_min=1e-3),
                                     lambda o: L.SequentialLR(o, [L.LinearLR(o, start_factor=0.1, total_iters=5), L.CosineAnnealingLR(o, T_max=30, eta_min=1e-3)], milestones=[5])),
    }
    tensors, meta = {}, {'torch': torch.__version__, 'base_lr': '0.1'}
    import warnings
    for name, (desc, make) in specs.items():
        p = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([p], lr=0.1)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            sched = make(opt)
            lrs = []
            for _ in range(40):
                lrs.append(opt.param_groups[0]['lr'])
                opt.step()
                sched.step()
        tensors[name] = np.array(lrs, dtype=np.float64)
        meta[name] = json.dumps(desc)
    return tensors, meta


def main():
    os.makedirs(ROOT, exist_ok=True)
    names = {c[0] + '.safetensors' for c in CASES} | {'schedules.safetensors', 'README.md'}
    for old in os.listdir(ROOT):
        if old not in names:
            os.remove(os.path.join(ROOT, old))
    total = 0
    for name, kind, options, schedule in CASES:
        tensors, meta = build(name, kind, options, schedule)
        path = os.path.join(ROOT, name + '.safetensors')
        write_safetensors(path, tensors, meta)
        total += os.path.getsize(path)
        print(f'{name:32s} {os.path.getsize(path):7d} bytes')
    tensors, meta = schedule_fixture()
    path = os.path.join(ROOT, 'schedules.safetensors')
    write_safetensors(path, tensors, meta)
    total += os.path.getsize(path)
    print(f'{"schedules":32s} {os.path.getsize(path):7d} bytes')
    print(f'total {total} bytes')


if __name__ == '__main__':
    main()
