"""Finding the engine, its environment, and what it says about itself (``limits --json``,
``models list --json``). Standard library only."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from . import sandbox

# Written beside each plug-in by `texnet plugins install`: {"texnet": "/abs/path/texnet"}.
ENGINE_RECORD = "texnet-engine.json"
ENGINE_ENV = "TEXNET"
# The host's environment that must not leak into the engine's Python and Qt.
STRIPPED_ENV = ("PYTHONPATH", "PYTHONHOME", "QT_QPA_PLATFORM")
PROTOCOL = 1  # the serve protocol this client speaks (`{"op": "ping"}` answers "protocol")

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_CANCELLED, EXIT_MODEL = 0, 1, 2, 3, 4
EXIT_MEANINGS = {EXIT_INPUT: "bad input",
                 EXIT_USAGE: "usage error (plug-in and engine versions differ? reinstall the "
                             "plug-in with `texnet plugins install`)",
                 EXIT_CANCELLED: "cancelled", EXIT_MODEL: "model or download problem"}
MAX_SEED = 2**31 - 1
STALE_SECONDS = 24 * 3600  # temp folders of runs a host killed are removed after a day
PRESETS = ("quick", "cpu")  # training schedules offered in the plug-ins


class EngineNotFound(Exception):
    """No usable ``texnet`` executable; the message says which command fixes it."""


def install_hint(host: str) -> str:
    return (f"run `pip install texnet && texnet plugins install {host}` in the Python "
            f"environment of the engine, or set {ENGINE_ENV} to its `texnet` executable")


# --- finding the engine -----------------------------------------------------------------------

def recorded_engine(plugin_dir) -> str | None:
    """The absolute ``texnet`` path ``texnet plugins install`` recorded, if any."""
    if plugin_dir is None:
        return None
    try:
        with open(os.path.join(str(plugin_dir), ENGINE_RECORD), encoding="utf-8") as fh:
            value = json.load(fh).get("texnet")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) and value else None


def _usable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def find_engine(plugin_dir=None, environ: Mapping[str, str] | None = None,
                which: Callable[[str], str | None] = shutil.which, host: str = "gimp") -> str:
    """``$TEXNET``, else the recorded path, else ``texnet`` on PATH. A ``$TEXNET`` that points
    nowhere is an error (asked for explicitly); a stale record falls through to PATH."""
    environ = os.environ if environ is None else environ
    sandboxed = sandbox.flatpak_info() is not None  # host paths may be invisible in here
    explicit = environ.get(ENGINE_ENV, "").strip()
    if explicit:
        if sandboxed or _usable(explicit):
            return _on_host(explicit, environ)
        raise EngineNotFound(f"{ENGINE_ENV}={explicit} is not an executable file; point it at "
                             f"the engine's `texnet`, or unset it and {install_hint(host)}")
    recorded = recorded_engine(plugin_dir)
    if recorded and (sandboxed or _usable(recorded)):
        return _on_host(recorded, environ)
    found = which("texnet")
    if found:
        return _on_host(found, environ)
    stale = f" (the recorded {recorded} no longer exists)" if recorded else ""
    raise EngineNotFound(f"texnet engine not found{stale}: {install_hint(host)}")


def _on_host(engine: str, environ: Mapping[str, str]) -> str:
    """``engine``, or inside a Flatpak sandbox a launcher running it on the host (sandbox.py)."""
    try:
        return sandbox.host_engine(engine, environ)
    except sandbox.Blocked as exc:
        raise EngineNotFound(str(exc)) from None
    except OSError as exc:
        raise EngineNotFound(f"cannot write the Flatpak launcher for {engine}: {exc}") from None


def child_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The host's environment minus what would break the engine's Python and Qt."""
    environ = os.environ if environ is None else environ
    return {k: v for k, v in environ.items() if k not in STRIPPED_ENV}


# --- limits and models ------------------------------------------------------------------------

@dataclass(frozen=True)
class Limits:
    """What the engine accepts (``texnet limits --json``); the dialogs take their ranges here."""

    scale_min: float = 0.25
    scale_max: float = 16.0
    strength_max: float = 100.0
    exemplar_scale_min: float = 0.25
    exemplar_scale_max: float = 4.0
    one_pass_max_pixels: int = 2048 * 2048
    seed_max: int = MAX_SEED
    default_model: str = "pebbles"
    from_engine: bool = False  # False: these fallbacks (the engine could not be asked)


def limits_args() -> list[str]:
    return ["limits", "--json"]


def parse_limits(stdout: str) -> Limits:
    """``texnet limits --json`` -> Limits; a value missing or of the wrong type keeps the
    fallback."""
    try:
        data = json.loads(stdout)
    except ValueError:
        return Limits()
    if not isinstance(data, dict):
        return Limits()

    def get(section, key=None):
        value = data.get(section)
        return value.get(key) if key and isinstance(value, dict) else (None if key else value)

    found = {"scale_min": get("scale", "min"), "scale_max": get("scale", "max"),
             "strength_max": get("strength", "max"),
             "exemplar_scale_min": get("exemplar_scale", "min"),
             "exemplar_scale_max": get("exemplar_scale", "max"),
             "one_pass_max_pixels": get("one_pass_max_pixels"), "seed_max": get("seed_max"),
             "default_model": get("default_model")}
    base, kept = Limits(), {}
    for key, value in found.items():
        want = type(getattr(base, key))
        if isinstance(value, want) or (want is float and isinstance(value, int)):
            kept[key] = want(value) if not isinstance(value, bool) else getattr(base, key)
    return Limits(**kept, from_engine=True)


@dataclass(frozen=True)
class ModelInfo:
    name: str
    kind: str
    title: str
    lattice: int = 32


def models_args() -> list[str]:
    return ["models", "list", "--json"]


def previews_args(folder: str, names: list[str]) -> list[str]:
    return ["models", "preview", *names, "--dir", folder]


def parse_models(stdout: str) -> list[ModelInfo]:
    """The rows of ``texnet models list --json``; unusable rows are skipped."""
    try:
        rows = json.loads(stdout)
    except ValueError:
        return []
    models = []
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict) and row.get("name"):
            lattice = row.get("lattice")
            models.append(ModelInfo(str(row["name"]), str(row.get("kind", "texture")),
                                    str(row.get("title") or row["name"]),
                                    lattice if isinstance(lattice, int) and lattice > 0 else 32))
    return models


def ask(engine: str, args: list[str], timeout: float = 60.0) -> str | None:
    """Run a quick query command; its stdout, or None when it failed."""
    try:
        done = subprocess.run([engine, *args], capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, env=child_environment(), check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def engine_limits(engine: str) -> Limits:
    out = ask(engine, limits_args(), timeout=30.0)
    return parse_limits(out) if out is not None else Limits()


def list_models(engine: str) -> list[ModelInfo]:
    out = ask(engine, models_args())
    return parse_models(out) if out is not None else []
