"""The environment, read in one place: TEXNET_HOME, TEXNET_OFFLINE, TEXNET_INDEX.

Functions (not import-time constants) so tests can point them at temporary folders.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "texnet"


def cache_dir() -> Path:
    """Downloaded models and descriptors: ``TEXNET_HOME/cache`` or the platform cache dir."""
    home = os.environ.get("TEXNET_HOME")
    return Path(home) / "cache" if home else Path(platformdirs.user_cache_dir(APP))


def data_dir() -> Path:
    """User-trained models and config: ``TEXNET_HOME/data`` or the platform data dir."""
    home = os.environ.get("TEXNET_HOME")
    return Path(home) / "data" if home else Path(platformdirs.user_data_dir(APP))


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
