#!/usr/bin/env python3
"""torchrun with one fix for PyTorch < 2.0 on Python >= 3.11 -- Debian 12's python3-torch 1.13 --
where `torchrun` itself fails before starting a worker with
"AttributeError: 'NoneType' object has no attribute 'get'".

Cause: torch.distributed.elastic's Std.from_str finds a --redirects/--tee value by iterating the Std
IntFlag, and Python 3.11 no longer yields the 0 (NONE) and composite (ALL = 3) members when iterating a
flag, so the default "0" becomes None. Here the value is looked up directly. Arguments are torchrun's:

    python3 examples/scale-out/torchrun.py --standalone --nproc_per_node=2 train_ddp.py ...

With PyTorch 2.x (or Python <= 3.10) run `torchrun` itself; this wrapper then changes nothing.
"""
import re
import sys

from torch.distributed.elastic.multiprocessing import api
from torch.distributed.run import main


def from_str(vm):
    if re.fullmatch(r'[0-7]', vm):
        return api.Std(int(vm))
    if re.fullmatch(r'(\d:[0-7],)*\d:[0-7]', vm):
        return {int(i): api.Std(int(v)) for i, v in (m.split(':') for m in vm.split(','))}
    raise ValueError(f'{vm} does not match <0-7> or <local_rank:0-7,...>')


if api.Std.from_str('0') is None:
    api.Std.from_str = staticmethod(from_str)

if __name__ == '__main__':
    sys.exit(main())
