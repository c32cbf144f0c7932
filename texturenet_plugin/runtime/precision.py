"""Compute precision: the torch dtype a generator runs in, and ``"auto"`` resolved once.

``float32`` (the default), ``bfloat16`` (CPU with AVX512-BF16/AMX or CUDA) or ``float16``
(CUDA); outputs always come back as float32 in [0, 1] (:mod:`.folded`, :mod:`.instance_norm`).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from functools import lru_cache

import torch

from ..errors import InputError
from ..limits import AUTO, PRECISION_CHOICES  # noqa: F401  (their home: limits)

PRECISIONS = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
# auto keeps float32 below this many output pixels. 0: on this project's CPU (AVX512-BF16)
# bfloat16 won at every size measured, 256² included (22.0 -> 13.9 ms, two threads, machine to
# itself; docs/performance.md, "Precision default"). A knob for CPUs where small sizes lose.
BF16_MIN_PIXELS = 0


def check_precision(precision: str, device: torch.device) -> torch.dtype:
    """The torch dtype for ``precision`` on ``device``; a clear error where it cannot run."""
    if precision not in PRECISIONS:
        raise InputError(f"precision {precision!r} is not one of {', '.join(PRECISION_CHOICES)}")
    if precision == "float16" and device.type != "cuda":
        raise InputError("float16 runs on CUDA only; use --precision bfloat16 on a CPU")
    return PRECISIONS[precision]


def resolve_precision(precision: str, device: torch.device | str,
                      pixels: int | None = None) -> str:
    """The compute type to use: ``precision`` itself (checked), or for ``"auto"``
    ``bfloat16`` where it is natively fast (a CPU with AVX512-BF16 or AMX, a CUDA GPU with
    bfloat16) for outputs of at least ``BF16_MIN_PIXELS`` pixels (``pixels=None``: not known
    yet, counts as large), and ``float32`` otherwise (emulated bfloat16 is slower than float32).

    Measured (docs/performance.md): bfloat16 is 1.6× faster at 256² and 1.2–2.6× from 1024² on, with no
    start-up cost in a fresh process, and keeps PSNR >= 40 dB against float32 on the bundled
    models (``benchmarks/precision.py``; ``tests/runtime/test_precision.py`` keeps the bar).
    """
    device = torch.device(device)
    if precision != AUTO:
        check_precision(precision, device)
        return precision
    if pixels is not None and pixels < BF16_MIN_PIXELS:
        return "float32"
    if device.type == "cuda":
        return "bfloat16" if torch.cuda.is_bf16_supported() else "float32"
    if device.type == "cpu" and cpu_has_fast_bf16():
        return "bfloat16"
    return "float32"


def autocast_taps(precision: str, device: torch.device,
                  taps: Callable[[], dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """``taps()`` (a descriptor's features) in a training's descriptor precision: where
    ``precision`` resolves to bfloat16 on ``device`` the convolutions run under bfloat16
    autocast and the taps come back as float32, so Grams, losses and the generator stay
    float32 (``texnet train texture|style --precision``; docs/training-notes.md, session 12)."""
    if resolve_precision(precision, device) != "bfloat16":
        return taps()
    with torch.autocast(torch.device(device).type, dtype=torch.bfloat16):
        features = taps()
    return {name: tap.float() for name, tap in features.items()}


@contextmanager
def strict_float32(device: torch.device, dtype: torch.dtype):
    """float32 computed in float32 on CUDA too. cuDNN runs float32 convolutions as TF32 (10-bit
    mantissa) by default: on an H100 that moved tiles by up to 4 levels from the CPU's and made
    them depend on the window size (benchmarks/cuda_check.py). bfloat16/float16 are untouched."""
    if device.type != "cuda" or dtype != torch.float32:
        yield
        return
    saved = torch.backends.cudnn.allow_tf32
    torch.backends.cudnn.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32 = saved


@lru_cache(maxsize=1)
def cpu_has_fast_bf16() -> bool:
    """True when oneDNN has native bfloat16 convolutions here (AVX512-BF16 or AMX). Read once
    per process: ``auto`` is resolved on every training step and every fill."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as info:
            flags = info.read()
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags
