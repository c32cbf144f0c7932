"""The environment, read in one place: TEXNET_HOME, TEXNET_OFFLINE, TEXNET_INDEX.

Functions (not import-time constants) so tests can point them at temporary folders.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from .errors import InputError

APP = "texnet"


def home() -> Path | None:
    """``TEXNET_HOME`` (None when unset); refused when it names something that is not a
    folder, since every path below it would fail later with an obscure OS error."""
    value = os.environ.get("TEXNET_HOME")
    if not value:
        return None
    path = Path(value).expanduser()
    if path.exists() and not path.is_dir():
        raise InputError(f"TEXNET_HOME={value} is not a folder: point TEXNET_HOME at a "
                         "folder (it is created when needed) or unset it")
    return path


def cache_dir() -> Path:
    """Downloaded models and descriptors: ``TEXNET_HOME/cache`` or the platform cache dir."""
    root = home()
    return root / "cache" if root else Path(platformdirs.user_cache_dir(APP))


def data_dir() -> Path:
    """User-trained models and config: ``TEXNET_HOME/data`` or the platform data dir."""
    root = home()
    return root / "data" if root else Path(platformdirs.user_data_dir(APP))


def models_cache_dir() -> Path:
    return cache_dir() / "models"


def descriptors_dir() -> Path:
    return cache_dir() / "descriptors"


def user_models_dir() -> Path:
    return data_dir() / "models"


def runs_dir() -> Path:
    """Training checkpoints, one folder per model name."""
    return data_dir() / "runs"


def config_file() -> Path:
    return data_dir() / "config.json"


def offline() -> bool:
    return os.environ.get("TEXNET_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def extra_indexes() -> list[str]:
    raw = os.environ.get("TEXNET_INDEX", "")
    return [part.strip() for part in raw.split(",") if part.strip()]
