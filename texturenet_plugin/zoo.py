"""Model zoo: local lookup first, then indexes and verified downloads."""

from __future__ import annotations

from pathlib import Path

from . import registry
from .progress import Reporter


def ensure_model(ref: str, reporter: Reporter | None = None) -> Path:
    """A local path for ``ref`` (a name or a path)."""
    return registry.resolve(ref)
