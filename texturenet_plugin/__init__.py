"""texnet engine: Texture Networks (Ulyanov, Lebedev, Vedaldi, Lempitsky, ICML 2016).

A pure library: no printing, no CLI, no GUI. Long work reports progress through a callback
(:mod:`texturenet_plugin.progress`) and can be cancelled through one.
"""

from __future__ import annotations

import os

__version__ = "0.1.0"

# Huge-page-advised memory for PyTorch's CPU tensors of 2 MB and more. Activations of tens of
# MB otherwise come from fresh mmap()s whose first touch faults in every 4 KB page. Measured on
# 2 cores (docs/performance.md, "Session 3"), the variable off then on: `fill` 2048² 1783 ->
# 1368 ms in float32 and 923 -> 726 ms in bfloat16. PyTorch reads the variable once, at its
# first allocation: it takes effect when this package is imported before torch (the CLI, the
# worker and the benchmarks do); a value the user set wins.
os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")
