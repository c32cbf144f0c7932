"""Device choice: ``auto`` is CUDA when present, then Apple MPS, else CPU."""

from __future__ import annotations

import torch

from .errors import InputError

from .limits import DEVICES  # noqa: F401  (its home: limits, torch-free for the CLI)


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


def resolve_device(name: str = "auto") -> torch.device:
    """Map a user-facing device name to a ``torch.device``, failing clearly if unavailable."""
    if name not in DEVICES:
        raise InputError(f"--device {name!r} is not one of {', '.join(DEVICES)}")
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if _mps_available() else torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise InputError("--device cuda was asked for but CUDA is not available; use --device cpu")
    if name == "mps" and not _mps_available():
        raise InputError("--device mps was asked for but MPS is not available; use --device cpu")
    return torch.device(name)
