"""The pure part of the Krita adapter: finding the engine, building ``texnet`` command lines,
reading the JSON progress protocol (DESIGN.md §5) and reordering pixel bytes.

Imports neither ``krita`` nor PyQt5 (nor torch: the host's Python is not the engine's), so it
is unit-tested on its own (tests/test_krita_adapter.py).
"""

from __future__ import annotations

import json
import os
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

# Written beside the plug-in by `texnet plugins install krita`: {"texnet": "/abs/texnet"}.
ENGINE_RECORD = "texnet-engine.json"
ENGINE_ENV = "TEXNET"
# Krita's environment that must not leak into the engine's Python / Qt.
STRIPPED_ENV = ("PYTHONPATH", "PYTHONHOME", "QT_QPA_PLATFORM")
INSTALL_HINT = ("run `texnet plugins install krita` in the Python environment where texnet is "
                "installed, or set the TEXNET environment variable to its `texnet` executable")
# The engine's exit codes (DESIGN.md §5).
EXIT_MEANINGS = {1: "bad input", 2: "usage error (plug-in and engine versions differ?)",
                 3: "cancelled", 4: "model or download problem"}
# Largest tile side the engine makes at any size; beyond it sides must be multiples of 32.
MAX_FREE_TILE = 2048
LATTICE = 32
MAX_SEED = 2**31 - 1


class EngineNotFound(Exception):
    """No usable ``texnet`` executable; the message says what to run."""


def find_engine(environ: dict | None = None, plugin_dir: str | Path | None = None,
                which=shutil.which) -> str:
    """Absolute path of the ``texnet`` to run: ``$TEXNET``, then the installer's record beside
    the plug-in, then PATH. Raises EngineNotFound naming the fix."""
    environ = os.environ if environ is None else environ
    override = environ.get(ENGINE_ENV, "").strip()
    if override:
        if _is_executable(override):
            return override
        raise EngineNotFound(f"TEXNET={override} is not an executable file; fix it, or unset "
                             f"TEXNET and {INSTALL_HINT}")
    recorded = _recorded_engine(plugin_dir)
    if recorded and _is_executable(recorded):
        return recorded
    found = which("texnet")
    if found:
        return found
    if recorded:
        raise EngineNotFound(f"the recorded engine {recorded} is gone; {INSTALL_HINT}")
    raise EngineNotFound(f"texnet engine not found: {INSTALL_HINT}")


def _recorded_engine(plugin_dir: str | Path | None) -> str | None:
    if plugin_dir is None:
        return None
    try:
        record = json.loads((Path(plugin_dir) / ENGINE_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = record.get("texnet") if isinstance(record, dict) else None
    return str(value) if value else None


def _is_executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def child_environment(environ: dict | None = None) -> dict[str, str]:
    """Krita's environment minus what would break the engine's Python and Qt."""
    environ = os.environ if environ is None else environ
    return {k: v for k, v in environ.items() if k not in STRIPPED_ENV}


@dataclass(frozen=True)
class Settings:
    """What the docker's controls say."""

    model: str | None = None
    seed: int = 0
    scale: float = 1.0
    strength: float = 1.0


def _model_args(settings: Settings) -> list[str]:
    return ["--model", settings.model] if settings.model else []


def fill_args(settings: Settings, image: str, mask: str, output: str) -> list[str]:
    """``texnet fill --image --mask --layer-only``: an RGBA layer of the canvas size,
    transparent outside the selection, in the input's bit depth."""
    return ["fill", "--image", image, "--mask", mask, "--layer-only", "-o", output,
            *_model_args(settings), "--seed", str(settings.seed),
            "--scale", _number(settings.scale), "--progress", "json"]


def tile_args(settings: Settings, width: int, height: int, output: str) -> list[str]:
    """``texnet fill --tile``: a seamless tile (see tile_size for very large canvases)."""
    tw, th = tile_size(width, height)
    return ["fill", "--tile", f"{tw}x{th}", "-o", output, *_model_args(settings),
            "--seed", str(settings.seed), "--progress", "json"]


def stylize_args(settings: Settings, image: str, output: str,
                 mask: str | None = None) -> list[str]:
    """``texnet stylize``: IN's exact size; with ``mask`` only the selection is stylized."""
    return ["stylize", *_model_args(settings), image, "-o", output,
            *(["--mask", mask] if mask else []), "--strength", _number(settings.strength),
            "--seed", str(settings.seed), "--progress", "json"]


def models_args() -> list[str]:
    return ["models", "list", "--json"]


def previews_args(folder: str, names: list[str]) -> list[str]:
    return ["models", "preview", *names, "--dir", folder]


def _number(value: float) -> str:
    return f"{float(value):g}"


def tile_size(width: int, height: int) -> tuple[int, int]:
    """The tile to request for a W×H layer: exactly W×H (seamless) when the engine allows any
    size; otherwise each side rounded up to the 32-px lattice (the layer takes the top-left
    W×H, so it stays seamless only where the canvas is a multiple of 32)."""
    if width <= MAX_FREE_TILE and height <= MAX_FREE_TILE:
        return width, height
    return (-(-width // LATTICE) * LATTICE, -(-height // LATTICE) * LATTICE)


def new_seed(rng: random.Random | None = None) -> int:
    return (rng or random).randint(0, MAX_SEED)


@dataclass(frozen=True)
class Event:
    """One line of the progress protocol: kind is "progress", "result" or "error"."""

    kind: str
    stage: str = ""
    done: int = 0
    total: int = 0
    message: str = ""
    path: str = ""
    code: str = ""

    @property
    def percent(self) -> int | None:
        """0..100, or None when the total is unknown."""
        if self.kind != "progress" or self.total <= 0:
            return None
        return max(0, min(100, round(100 * self.done / self.total)))


class ProgressReader:
    """Turns chunks of the engine's stderr into Events; keeps the other lines (warnings,
    tracebacks) so an error can be explained."""

    def __init__(self, keep_lines: int = 20) -> None:
        self._buffer = ""
        self.other: list[str] = []
        self.keep_lines = keep_lines
        self.result: Event | None = None
        self.error: Event | None = None

    def feed(self, chunk: str) -> list[Event]:
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split("\n")
        return [e for e in (self._parse(line) for line in lines) if e is not None]

    def close(self) -> list[Event]:
        """Parse a last line without a newline."""
        rest, self._buffer = self._buffer, ""
        event = self._parse(rest)
        return [event] if event else []

    def _parse(self, line: str) -> Event | None:
        line = line.strip()
        if not line:
            return None
        event = parse_event(line)
        if event is None:
            self.other = (self.other + [line])[-self.keep_lines:]
        elif event.kind == "result":
            self.result = event
        elif event.kind == "error":
            self.error = event
        return event


def parse_event(line: str) -> Event | None:
    """One protocol line -> Event; anything else (not JSON, unknown event) -> None."""
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("event") not in ("progress", "result", "error"):
        return None
    return Event(kind=data["event"], stage=str(data.get("stage", "")),
                 done=_int(data.get("done")), total=_int(data.get("total")),
                 message=str(data.get("message") or ""), path=str(data.get("path") or ""),
                 code=str(data.get("code") or ""))


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def progress_text(event: Event) -> str:
    """Status-line text for a progress event: "synthesize: window 3/16", or "load 1/2"
    when the engine sent no message."""
    if event.message:
        return f"{event.stage}: {event.message}" if event.stage else event.message
    return f"{event.stage} {event.done}/{event.total}" if event.total > 0 else event.stage


def failure_message(exit_code: int, reader: ProgressReader) -> str:
    """What the status line says when the engine failed: its own error message if it sent
    one, else the last line it printed, else what the exit code means."""
    if reader.error is not None and reader.error.message:
        return reader.error.message
    meaning = EXIT_MEANINGS.get(exit_code, f"exit code {exit_code}")
    tail = reader.other[-1] if reader.other else ""
    return f"texnet failed ({meaning}){': ' + tail if tail else ''}"


@dataclass(frozen=True)
class ModelInfo:
    name: str
    kind: str
    title: str
    preview: str = ""


def parse_models(stdout: str) -> list[ModelInfo]:
    """The JSON list of ``texnet models list --json``; unusable rows are skipped."""
    try:
        rows = json.loads(stdout)
    except ValueError:
        return []
    models = []
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict) and row.get("name"):
            models.append(ModelInfo(str(row["name"]), str(row.get("kind", "texture")),
                                    str(row.get("title") or row["name"])))
    return models


def swap_red_blue(data: bytes, bytes_per_channel: int) -> bytes:
    """RGBA <-> BGRA for 4-channel pixels of 1 or 2 bytes per channel (Krita's 8- and 16-bit
    RGBA layers store B,G,R,A; Qt images store R,G,B,A or, for ARGB32, B,G,R,A in memory)."""
    step = 4 * bytes_per_channel
    if len(data) % step:
        raise ValueError(f"{len(data)} bytes is not a whole number of {step}-byte pixels")
    out = bytearray(data)
    for i in range(bytes_per_channel):
        red, blue = i, 2 * bytes_per_channel + i
        out[red::step], out[blue::step] = data[blue::step], data[red::step]
    return bytes(out)


def bytes_per_channel(depth: str) -> int | None:
    """Krita colour depth id -> bytes per channel the adapter moves directly (None: convert)."""
    return {"U8": 1, "U16": 2}.get(depth)
