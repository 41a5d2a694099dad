"""safetensors read (here) and written (scripts/safetensors_writer.py, the fixture scripts' writer)
with numpy alone: PyTorch 1.13 (Debian's python3-torch) predates the `safetensors` package, and Debian
has no python3-safetensors.

Layout: u64 little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets}, plus
"__metadata__": {str: str}}, padded with spaces to a multiple of 8, then the little-endian, C-order
data of every tensor, back to back.
"""
import json
import os
import struct
import sys

import numpy as np
import torch

# the writer the fixture scripts use (scripts/safetensors_writer.py)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'scripts'))
from safetensors_writer import write_safetensors as write_arrays  # noqa: E402

NUMPY_OF = {'F64': np.float64, 'F32': np.float32, 'F16': np.float16, 'I64': np.int64, 'I32': np.int32,
            'I16': np.int16, 'I8': np.int8, 'U8': np.uint8, 'BOOL': np.bool_}


def read_safetensors(path):
    """(tensors, metadata): tensors as torch tensors by name, metadata as a dict of strings."""
    with open(path, 'rb') as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f'{path}: not a safetensors file (shorter than its 8-byte header length)')
    (n,) = struct.unpack('<Q', raw[:8])
    if 8 + n > len(raw):
        raise ValueError(f'{path}: header length {n} runs past the end of the file ({len(raw)} bytes)')
    header = json.loads(raw[8:8 + n])
    metadata = header.pop('__metadata__', None) or {}
    data = raw[8 + n:]
    tensors = {}
    for name, t in header.items():
        if t['dtype'] not in NUMPY_OF:
            raise ValueError(f'{path}: tensor {name} has dtype {t["dtype"]}, which this reader does not handle')
        begin, end = t['data_offsets']
        a = np.frombuffer(data[begin:end], dtype=np.dtype(NUMPY_OF[t['dtype']]).newbyteorder('<'))
        tensors[name] = torch.from_numpy(a.astype(a.dtype.newbyteorder('='), copy=True).reshape(t['shape']))
    return tensors, metadata


def write_safetensors(path, tensors, metadata=None):
    """Writes torch tensors (by name) and string metadata (the repository's writer), atomically: a
    reader never sees half a file."""
    write_arrays(path + '.tmp', {k: t.detach().cpu().numpy() for k, t in tensors.items()},
                 {str(k): str(v) for k, v in (metadata or {}).items()})
    os.replace(path + '.tmp', path)
