"""The ``.tnet`` model file (docs/design.md §4): one ``torch.save`` dict, read only with
``torch.load(..., weights_only=True)``. All format migrations live in :func:`_migrate`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..errors import ModelError
from ..io.atomic import atomic_file
from ..nets.generator import Generator, GeneratorSpec
from . import modelcheck

FORMAT = "texnet-generator"
# Version 2 added ``arch.finest_inner`` (nets/generator.py). A file is written with the
# lowest version that can describe it, so models without it stay readable by texnet versions
# that read only 1 (they would misread a thinned model's weights as a damaged file).
VERSION = 2
KINDS = ("texture", "style")


@dataclass
class ModelFile:
    """A generator's architecture, weights and metadata (name, title, license, source, …)."""

    kind: str
    spec: GeneratorSpec
    state_dict: dict[str, torch.Tensor]
    meta: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.meta.get("name", ""))

    def build(self, device: torch.device | str = "cpu") -> Generator:
        """The generator in eval mode, on ``device``."""
        model = Generator(self.spec)
        try:
            model.load_state_dict(self.state_dict)
        except RuntimeError as exc:
            raise ModelError(f"model {self.name!r}: weights do not fit its architecture") from exc
        return model.eval().to(device)


def to_payload(model: ModelFile) -> dict:
    return {
        "format": FORMAT,
        "version": 2 if model.spec.finest_inner else 1,
        "kind": model.kind,
        "arch": model.spec.to_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict.items()},
        "meta": model.meta,
    }


def save_model(model: ModelFile, path: str | Path) -> Path:
    """Write atomically (temp file in the same folder, then ``os.replace``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as handle:
        torch.save(to_payload(model), handle)
    return path


def load_model(path: str | Path) -> ModelFile:
    """Read a ``.tnet`` file safely; clear errors for missing, corrupt or unknown files."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"model file {path} does not exist")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ModelError(f"{path} is not a readable texnet model ({type(exc).__name__})") from exc
    return from_payload(payload, str(path))


def from_payload(payload: object, origin: str) -> ModelFile:
    """A validated :class:`ModelFile`: every field is checked (:mod:`.modelcheck`) before
    anything is built, so a hostile or damaged file fails with a :class:`ModelError`."""
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelError(f"{origin} is not a texnet model file")
    payload = _migrate(payload, origin)
    kind = payload.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise ModelError(f"{origin}: unknown model kind {kind!r:.40}")
    spec = modelcheck.check_arch(payload.get("arch"), kind, origin)
    state = modelcheck.check_state_dict(payload.get("state_dict"), spec, origin)
    return ModelFile(kind, spec, state, modelcheck.check_meta(payload.get("meta", {}), origin))


def _migrate(payload: dict, origin: str) -> dict:
    """Bring older versions up to date; refuse newer ones with a clear message."""
    modelcheck.check_version(payload.get("version"), VERSION, origin)
    return payload
