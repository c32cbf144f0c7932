"""Typed fields of ``serve`` requests (:mod:`.serve_worker`): every value a client sends is checked
for type and range here, before it reaches the engine, so a hostile request is answered with
an ``input`` error instead of an exception from deep inside (an ``int(1e400)``, say)."""

from __future__ import annotations

import math
import re

from texturenet_plugin import budget
from texturenet_plugin.errors import InputError

_SIZE = re.compile(r"^\s*(\d{1,9})\s*[xX]\s*(\d{1,9})\s*$")


def _integer(value, label: str) -> int:
    """JSON numbers that are whole (5 or 5.0) -> int; anything else is refused."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{label} {value!r:.60} must be a number")
    if isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            raise InputError(f"{label} {value!r:.60} must be a whole number")
        value = int(value)
    return value


def size(value, label: str = "tile") -> tuple[int, int]:
    """"WxH" or [w, h] -> (w, h), each side checked (see :func:`.budget.check_tile`)."""
    if isinstance(value, (list, tuple)) and len(value) == 2:
        width, height = (_integer(v, label) for v in value)
    else:
        match = _SIZE.match(value) if isinstance(value, str) else None
        if not match:
            raise InputError(f"{label} {value!r:.60} is not a size like 512x512")
        width, height = int(match.group(1)), int(match.group(2))
    budget.check_tile(width, height)
    return width, height


def box(value) -> tuple[int, int, int, int]:
    if not isinstance(value, (list, tuple)) or len(value) != 4:
        raise InputError(f"box {value!r:.60} must be [left, top, right, bottom]")
    return budget.check_box(tuple(_integer(v, "box value") for v in value))


def seed(request: dict) -> int:
    return budget.check_seed(_integer(request.get("seed", 0), "seed"))


def number(request: dict, key: str, default: float) -> float:
    value = request.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(f"{key} {value!r:.60} must be a finite number")
    return float(value)


def text(request: dict, key: str, default: str | None = None, required: str = "") -> str | None:
    """A string field; ``required`` (a phrase) makes it mandatory and non-empty."""
    value = request.get(key, default)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        need = f"; {required}" if required else ""
        raise InputError(f"\"{key}\" must be a non-empty string, got {value!r:.60}{need}")
    return value


def flag(request: dict, key: str) -> bool:
    value = request.get(key, False)
    if not isinstance(value, bool):
        raise InputError(f"\"{key}\" must be true or false, got {value!r:.60}")
    return value


def model(request: dict) -> str | None:
    """``"model"``: absent or null means the default; otherwise a non-empty name or path."""
    value = request.get("model")
    if value is not None and (not isinstance(value, str) or not value):
        raise InputError(f"\"model\" must be a model name or .tnet path, got {value!r:.60}")
    return value
