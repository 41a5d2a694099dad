#!/usr/bin/python3
"""PyTorch reference cases for `webrnn run` (test/fixtures/<case>/).

Each case directory holds the CLI's inputs and PyTorch's answer:
  config.json            nn.RNN/GRU/LSTM constructor arguments plus "mode"
  weights.safetensors    the float32 module's state_dict (PyTorch's default init, seeded)
  inputs.safetensors     input, and optionally h0, c0, lengths, grad_output, grad_h_n, grad_c_n (float32)
  expected.safetensors   output, h_n, c_n; with upstream grads also grad.input, grad.h0, grad.c0,
                         grad.<param>: computed by a float64 copy of the module on the float32 values
                         upcast exactly, stored as F64, so a float32 engine's error can be judged.

Run with /usr/bin/python3 (Debian's python3-torch 1.13; no `safetensors` package needed):
  npm run fixtures
Every case is seeded from its name, so adding a case leaves the others' bytes unchanged.
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

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures')



MODULES = {'LSTM': (torch.nn.LSTM, {}), 'GRU': (torch.nn.GRU, {}),
           'RNN_TANH': (torch.nn.RNN, {'nonlinearity': 'tanh'}), 'RNN_RELU': (torch.nn.RNN, {'nonlinearity': 'relu'})}


def case(name, mode, I, H, T, B, L=1, bias=True, batch_first=False, bidir=False,
         h0=False, lengths=None, grad=False, grad_out=True, lengths_dtype=np.int64, proj=0):
    """lengths: None, or a list of B ints in [1, T] (unsorted is the point). proj: LSTM proj_size (0 = none)."""
    return dict(name=name, mode=mode, I=I, H=H, T=T, B=B, L=L, bias=bias, batch_first=batch_first, bidir=bidir,
                h0=h0, lengths=lengths, grad=grad, grad_out=grad_out, lengths_dtype=lengths_dtype, proj=proj)


CASES = [
    # one of each cell, forward only
    case('lstm_basic', 'LSTM', I=4, H=8, T=5, B=3),
    case('gru_basic', 'GRU', I=4, H=8, T=5, B=3),
    case('rnn_tanh_basic', 'RNN_TANH', I=4, H=8, T=5, B=3),
    case('rnn_relu_basic', 'RNN_RELU', I=4, H=8, T=5, B=3),
    # gradients, stacked, bidirectional
    case('lstm_grad', 'LSTM', I=6, H=8, T=6, B=3, grad=True),
    case('gru_grad', 'GRU', I=6, H=8, T=6, B=3, grad=True),
    case('rnn_tanh_grad', 'RNN_TANH', I=6, H=8, T=6, B=3, grad=True),
    case('rnn_relu_grad', 'RNN_RELU', I=6, H=8, T=6, B=3, grad=True),
    case('lstm_2layer_bidir_grad', 'LSTM', I=5, H=6, T=7, B=3, L=2, bidir=True, grad=True),
    case('gru_3layer_grad', 'GRU', I=4, H=7, T=6, B=2, L=3, grad=True),
    case('rnn_tanh_bidir_batch_first_grad', 'RNN_TANH', I=3, H=8, T=9, B=4, bidir=True, batch_first=True, grad=True),
    case('rnn_relu_2layer_bidir_grad', 'RNN_RELU', I=4, H=6, T=5, B=3, L=2, bidir=True, grad=True),
    # no bias
    case('lstm_nobias_grad', 'LSTM', I=4, H=8, T=5, B=2, bias=False, grad=True),
    case('gru_nobias_bidir_grad', 'GRU', I=4, H=8, T=5, B=2, bias=False, bidir=True, grad=True),
    # initial states
    case('lstm_h0c0_2layer_grad', 'LSTM', I=4, H=8, T=6, B=3, L=2, h0=True, grad=True),
    case('gru_h0_bidir_grad', 'GRU', I=5, H=6, T=6, B=3, bidir=True, h0=True, grad=True),
    case('rnn_tanh_h0_batch_first', 'RNN_TANH', I=4, H=8, T=5, B=3, batch_first=True, h0=True),
    # variable lengths (unsorted), padded steps of input and grad_output hold garbage
    case('lstm_lengths_grad', 'LSTM', I=4, H=8, T=8, B=4, lengths=[5, 8, 1, 3], h0=True, grad=True),
    case('gru_lengths_bidir_batch_first_grad', 'GRU', I=5, H=6, T=7, B=4, bidir=True, batch_first=True,
         lengths=[3, 7, 2, 6], grad=True),
    case('rnn_tanh_lengths_2layer_bidir_grad', 'RNN_TANH', I=3, H=5, T=6, B=3, L=2, bidir=True,
         lengths=[4, 2, 6], h0=True, grad=True),
    case('rnn_relu_lengths_h0_grad', 'RNN_RELU', I=4, H=6, T=7, B=5, lengths=[7, 1, 4, 4, 2], h0=True, grad=True,
         lengths_dtype=np.int32),
    case('lstm_lengths_bidir_3layer_batch_first_grad', 'LSTM', I=3, H=5, T=7, B=5, L=3, bidir=True, batch_first=True,
         lengths=[2, 7, 5, 1, 6], h0=True, grad=True),
    # odd sizes
    case('lstm_h1_i1_grad', 'LSTM', I=1, H=1, T=4, B=2, grad=True),
    case('gru_t1_b1_grad', 'GRU', I=3, H=5, T=1, B=1, h0=True, grad=True),
    case('rnn_relu_h1_b1_bidir_grad', 'RNN_RELU', I=2, H=1, T=3, B=1, bidir=True, grad=True),
    case('gru_h5_i3_t7_grad', 'GRU', I=3, H=5, T=7, B=2, L=2, grad=True),
    # backward from the final states only (no grad_output)
    case('lstm_grad_states_only', 'LSTM', I=4, H=6, T=5, B=3, bidir=True, grad=True, grad_out=False),
    # one moderately sized case
    case('lstm_moderate_lengths_grad', 'LSTM', I=32, H=64, T=16, B=4, lengths=[16, 9, 13, 4], grad=True),
    # projections (proj_size): h is P wide, c stays H
    case('lstm_proj_h0_grad', 'LSTM', I=4, H=6, T=5, B=3, h0=True, grad=True, proj=3),
    case('lstm_proj_lengths_2layer_bidir_grad', 'LSTM', I=3, H=5, T=6, B=3, L=2, bidir=True, lengths=[4, 6, 2],
         h0=True, grad=True, proj=2),
    case('lstm_proj_batch_first_grad', 'LSTM', I=3, H=6, T=4, B=2, batch_first=True, grad=True, proj=4),
]


def f32(shape):
    return torch.randn(*shape, dtype=torch.float32)


def build(c):
    seed = zlib.crc32(c['name'].encode())
    torch.manual_seed(seed)
    cls, extra = MODULES[c['mode']]
    kw = dict(input_size=c['I'], hidden_size=c['H'], num_layers=c['L'], bias=c['bias'],
              batch_first=c['batch_first'], bidirectional=c['bidir'])
    if c['proj']:
        kw['proj_size'] = c['proj']
    m32 = cls(**kw, **extra)
    D = 2 if c['bidir'] else 1
    T, B, H = c['T'], c['B'], c['H']
    x_shape = (B, T, c['I']) if c['batch_first'] else (T, B, c['I'])
    R = c['proj'] or H  # the width of h
    out_shape = (B, T, D * R) if c['batch_first'] else (T, B, D * R)
    st_shape = (c['L'] * D, B, R)
    c_shape = (c['L'] * D, B, H)
    is_lstm = c['mode'] == 'LSTM'

    inputs = {'input': f32(x_shape)}
    if c['h0']:
        inputs['h0'] = 0.5 * f32(st_shape)
        if is_lstm:
            inputs['c0'] = 0.5 * f32(c_shape)
    if c['lengths'] is not None:
        assert len(c['lengths']) == B and all(1 <= v <= T for v in c['lengths'])
        inputs['lengths'] = torch.tensor(c['lengths'], dtype=torch.int64)
    if c['grad']:
        if c['grad_out']:
            inputs['grad_output'] = f32(out_shape)
        inputs['grad_h_n'] = f32(st_shape)
        if is_lstm:
            inputs['grad_c_n'] = f32(c_shape)

    m64 = cls(**kw, **extra).double()
    m64.load_state_dict({k: v.double() for k, v in m32.state_dict().items()})
    x = inputs['input'].double().requires_grad_(c['grad'])
    hx = None
    if c['h0']:
        h0 = inputs['h0'].double().requires_grad_(c['grad'])
        hx = (h0, inputs['c0'].double().requires_grad_(c['grad'])) if is_lstm else h0
    if c['lengths'] is not None:
        packed = torch.nn.utils.rnn.pack_padded_sequence(x, inputs['lengths'], batch_first=c['batch_first'],
                                                         enforce_sorted=False)
        out_p, hn = m64(packed, hx)
        out, _ = torch.nn.utils.rnn.pad_packed_sequence(out_p, batch_first=c['batch_first'], total_length=T)
    else:
        out, hn = m64(x, hx)
    h_n, c_n = hn if is_lstm else (hn, None)

    expected = {'output': out, 'h_n': h_n}
    if is_lstm:
        expected['c_n'] = c_n
    if c['grad']:
        loss = (h_n * inputs['grad_h_n'].double()).sum()
        if 'grad_output' in inputs:
            loss = loss + (out * inputs['grad_output'].double()).sum()
        if is_lstm:
            loss = loss + (c_n * inputs['grad_c_n'].double()).sum()
        loss.backward()
        expected['grad.input'] = x.grad
        if c['h0']:
            expected['grad.h0'] = hx[0].grad if is_lstm else hx.grad
            if is_lstm:
                expected['grad.c0'] = hx[1].grad
        for k, p in m64.named_parameters():
            expected['grad.' + k] = p.grad

    config = {'mode': c['mode'], 'input_size': c['I'], 'hidden_size': H, 'num_layers': c['L'], 'bias': c['bias'],
              'batch_first': c['batch_first'], 'bidirectional': c['bidir']}
    if c['proj']:
        config['proj_size'] = c['proj']
    np_inputs = {k: v.numpy() for k, v in inputs.items()}
    if 'lengths' in np_inputs:
        np_inputs['lengths'] = np_inputs['lengths'].astype(c['lengths_dtype'])
    weights = {k: v.detach().numpy() for k, v in m32.state_dict().items()}
    return config, weights, np_inputs, {k: v.detach().numpy() for k, v in expected.items()}, seed


def main():
    names = [c['name'] for c in CASES]
    assert len(set(names)) == len(names)
    for old in os.listdir(ROOT) if os.path.isdir(ROOT) else []:
        if os.path.isdir(os.path.join(ROOT, old)) and old not in names:
            shutil.rmtree(os.path.join(ROOT, old))
    total = 0
    for c in CASES:
        config, weights, inputs, expected, seed = build(c)
        d = os.path.join(ROOT, c['name'])
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, 'config.json'), 'w') as f:
            json.dump(config, f, indent=2)
            f.write('\n')
        meta = {'case': c['name'], 'seed': str(seed), 'torch': torch.__version__}
        write_safetensors(os.path.join(d, 'weights.safetensors'), weights)
        write_safetensors(os.path.join(d, 'inputs.safetensors'), inputs)
        write_safetensors(os.path.join(d, 'expected.safetensors'), expected, meta)
        size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
        total += size
        print(f'{c["name"]:48s} {size:8d} bytes')
    print(f'{len(CASES)} cases, {total} bytes', file=sys.stderr)


if __name__ == '__main__':
    torch.set_num_threads(1)
    main()
