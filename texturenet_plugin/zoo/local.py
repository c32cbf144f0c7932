"""Finding models on this machine: a path, or a name in the user's models, the bundled models
or the download cache. (Remote indexes and downloads: :mod:`.cache`.)"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .. import env
from ..errors import InputError, ModelNotFoundError
from ..limits import DEFAULT_MODEL  # noqa: F401  (its home: limits)
from .modelfile import ModelFile, load_model

SUFFIX = ".tnet"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def bundled_dir() -> Path:
    return Path(__file__).parents[1] / "bundled"  # texturenet_plugin/bundled (package data)


def validate_name(name: str) -> str:
    """Model names: lower-case letters, digits, '-' and '_'; never a path."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise InputError(
            f"invalid model name {name!r}: use 1-64 lower-case letters, digits, '-' or '_'"
        )
    return name


def search_dirs() -> list[tuple[str, Path]]:
    """Where names are looked up, in order: user-trained, bundled, downloaded."""
    return [("user", env.user_models_dir()), ("bundled", bundled_dir()),
            ("cache", env.models_cache_dir())]


def looks_like_path(ref: str) -> bool:
    return ref.endswith(SUFFIX) or "/" in ref or "\\" in ref


def find_local(ref: str) -> Path | None:
    """A model file for a path or name, or None if it is not on this machine."""
    if looks_like_path(ref):
        path = Path(ref).expanduser()
        if not path.is_file():
            raise ModelNotFoundError(f"model file {path} does not exist")
        return path
    validate_name(ref)
    for _, folder in search_dirs():
        candidate = folder / f"{ref}{SUFFIX}"
        if candidate.is_file():
            return candidate
    return None


def resolve(ref: str | None) -> Path:
    """Path of a local model; ``None`` means the bundled default."""
    ref = ref or DEFAULT_MODEL
    path = find_local(ref)
    if path is None:
        raise ModelNotFoundError(
            f"no model named {ref!r} on this machine; see `texnet models list`"
        )
    return path


@dataclass(frozen=True)
class LocalModel:
    name: str
    where: str
    path: Path


def list_local() -> list[LocalModel]:
    """Every model file in the search folders; a name shadowed by an earlier folder is skipped."""
    seen: dict[str, LocalModel] = {}
    for where, folder in search_dirs():
        for path in sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []:
            seen.setdefault(path.stem, LocalModel(path.stem, where, path))
    return list(seen.values())


def load(ref: str | None) -> ModelFile:
    return load_model(resolve(ref))
