"""The safetensors layout written by hand, shared by the fixture scripts (torch 1.13 has no
`safetensors` package): u64 little-endian header length, JSON header padded with spaces to 8 bytes,
data in header order (sorted by name), little-endian, C order."""
import json
import struct

import numpy as np

DTYPES = {
    np.dtype('float64'): 'F64', np.dtype('float32'): 'F32', np.dtype('float16'): 'F16',
    np.dtype('int64'): 'I64', np.dtype('int32'): 'I32', np.dtype('int16'): 'I16', np.dtype('int8'): 'I8',
    np.dtype('uint8'): 'U8', np.dtype('bool'): 'BOOL',
}


def write_safetensors(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata:
        header['__metadata__'] = metadata
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        blob = a.astype(a.dtype.newbyteorder('<'), copy=False).tobytes()
        header[name] = {'dtype': DTYPES[a.dtype], 'shape': list(a.shape), 'data_offsets': [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * (-len(h) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
