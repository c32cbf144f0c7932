"""The GIMP plug-in's pure half: finding the engine, building its command lines, running it with
``--progress json`` and mapping its events and exit codes to outcomes (DESIGN.md §5).

Standard library only: no ``gi``, no torch, no engine import. GIMP's Python is not the engine's
Python, so the plug-in talks to the ``texnet`` CLI through a subprocess and temp files. Tested
on its own by ``tests/test_gimp_adapter.py``; ``texnet-gimp.py`` adds the GIMP side.
"""

from __future__ import annotations

import array
import json
import os
import queue
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

# Written beside the plug-in by `texnet plugins install gimp`: {"texnet": "/abs/path/texnet"}.
ENGINE_RECORD = "texnet-engine.json"
ENGINE_ENV = "TEXNET"
INSTALL_HINT = "pip install texnet && texnet plugins install gimp"

# Exit codes of the CLI contract (DESIGN.md §5).
EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_CANCELLED, EXIT_MODEL = 0, 1, 2, 3, 4
_EXIT_MEANING = {
    EXIT_INPUT: "bad input",
    EXIT_USAGE: "the plug-in called texnet wrongly (usage error); update the plug-in with "
                "`texnet plugins install gimp`",
    EXIT_MODEL: "model or download problem",
}

SUCCESS, CANCEL, ERROR = "success", "cancel", "error"
TEMP_PREFIX = "texnet-gimp-"
STALE_SECONDS = 24 * 3600


class EngineNotFound(Exception):
    """No usable ``texnet`` executable; the message says which command fixes it."""


@dataclass(frozen=True)
class FillOptions:
    """Texture Fill's values (procedure arguments or dialog)."""

    model: str = "pebbles"
    seed: int = 0
    scale: float = 1.0
    match_colors: bool = False


@dataclass(frozen=True)
class StylizeOptions:
    """Stylize Layer's values; strength is the noise magnitude k of the paper (Fig. 5)."""

    model: str = ""
    strength: float = 1.0
    keep_colors: bool = False


@dataclass
class Outcome:
    """What a run of the engine came to: ``status`` is SUCCESS, CANCEL or ERROR."""

    status: str
    message: str = ""
    path: str | None = None
    exit_code: int | None = None


@dataclass
class ProgressState:
    """The engine's latest progress event, as a fraction and a line for GIMP's bar."""

    fraction: float | None = None
    text: str = ""
    events: list[dict] = field(default_factory=list)
    other: list[str] = field(default_factory=list)


# --- finding the engine -----------------------------------------------------------------------

def recorded_engine(plugin_dir: Path) -> str | None:
    """The absolute ``texnet`` path ``texnet plugins install`` recorded, if any."""
    record = Path(plugin_dir) / ENGINE_RECORD
    try:
        value = json.loads(record.read_text(encoding="utf-8")).get("texnet")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) and value else None


def _usable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def find_engine(plugin_dir: Path, environ: Mapping[str, str] | None = None,
                which: Callable[[str], str | None] = shutil.which) -> str:
    """The ``texnet`` to run: ``$TEXNET``, else the recorded path, else ``texnet`` on PATH.

    A ``$TEXNET`` that points nowhere is an error (the user asked for it explicitly); a stale
    recorded path falls through to PATH. Raises EngineNotFound with the fixing command.
    """
    environ = os.environ if environ is None else environ
    explicit = environ.get(ENGINE_ENV, "").strip()
    if explicit:
        if _usable(explicit):
            return explicit
        raise EngineNotFound(
            f"{ENGINE_ENV}={explicit} is not an executable file. Point {ENGINE_ENV} at the "
            f"`texnet` of the engine's environment (`python -c \"import shutil; "
            f"print(shutil.which('texnet'))\"` there), or unset it.")
    recorded = recorded_engine(plugin_dir)
    if recorded and _usable(recorded):
        return recorded
    found = which("texnet")
    if found:
        return found
    stale = f" (the recorded {recorded} no longer exists)" if recorded else ""
    raise EngineNotFound(
        f"texnet engine not found{stale}. In a terminal, run: {INSTALL_HINT}  "
        f"(or set {ENGINE_ENV} to the full path of the texnet executable) and restart GIMP.")


# --- command lines ----------------------------------------------------------------------------

def fill_args(engine: str, image: str, mask: str, output: str, opts: FillOptions) -> list[str]:
    """``texnet fill`` for a canvas-sized RGBA layer, transparent outside the mask."""
    args = [engine, "fill", "--image", image, "--mask", mask, "--layer-only", "-o", output,
            "--seed", str(int(opts.seed)), "--progress", "json"]
    if opts.model.strip():
        args += ["--model", opts.model.strip()]
    if float(opts.scale) != 1.0:
        args += ["--scale", repr(float(opts.scale))]
    if opts.match_colors:
        args.append("--match-colors")
    return args


def stylize_args(engine: str, image: str, output: str, opts: StylizeOptions) -> list[str]:
    """``texnet stylize`` of one layer's pixels into OUTPUT (same size)."""
    if not opts.model.strip():
        raise ValueError("choose a style model (see `texnet models list`)")
    args = [engine, "stylize", "--model", opts.model.strip(), image, "-o", output,
            "--strength", repr(float(opts.strength)), "--progress", "json"]
    return args + ["--keep-colors"] if opts.keep_colors else args


def layer_name(model: str, what: str) -> str:
    """The new layer's name: the model's name (a .tnet path gives its file stem) and ``what``."""
    stem = model.strip().replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    if stem.lower().endswith(".tnet"):
        stem = stem[:-5]
    return f"{stem or 'texnet'} {what}"


def models_args(engine: str) -> list[str]:
    return [engine, "models", "list", "--json"]


def parse_models(stdout: str, kind: str) -> list[str]:
    """Names of ``kind`` models ("texture" or "style") from ``texnet models list --json``."""
    try:
        rows = json.loads(stdout)
    except ValueError:
        return []
    if not isinstance(rows, list):
        return []
    return [str(r["name"]) for r in rows
            if isinstance(r, dict) and r.get("name") and r.get("kind", kind) == kind]


# --- progress protocol ------------------------------------------------------------------------

def parse_event(line: str) -> dict | None:
    """One JSON event line, or None for anything else the engine (or Python) wrote."""
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) and isinstance(event.get("event"), str) else None


def update_progress(state: ProgressState, line: str) -> dict | None:
    """Fold one stderr line into ``state``; returns the event it held, if any."""
    event = parse_event(line)
    if event is None:
        if line.strip():
            state.other.append(line.rstrip())
        return None
    state.events.append(event)
    if event["event"] == "progress":
        done, total = event.get("done"), event.get("total")
        if isinstance(done, (int, float)) and isinstance(total, (int, float)) and total > 0:
            state.fraction = max(0.0, min(1.0, done / total))
        stage, message = event.get("stage", ""), event.get("message", "")
        state.text = f"texnet: {stage} {message}".rstrip()
    return event


def outcome_of(exit_code: int, state: ProgressState) -> Outcome:
    """Map the exit code and the events seen to an Outcome with a message fit for a person."""
    results = [e for e in state.events if e["event"] == "result"]
    errors = [e for e in state.events if e["event"] == "error"]
    if exit_code == EXIT_OK and results:
        return Outcome(SUCCESS, path=str(results[-1].get("path", "")), exit_code=exit_code)
    if exit_code == EXIT_CANCELLED or (errors and errors[-1].get("code") == "cancelled"):
        return Outcome(CANCEL, "cancelled", exit_code=exit_code)
    if errors:
        message = str(errors[-1].get("message") or errors[-1].get("code") or "unknown error")
    elif exit_code == EXIT_OK:
        message = "texnet finished without reporting a result file"
    else:
        meaning = _EXIT_MEANING.get(exit_code, "unexpected failure")
        tail = "\n".join(state.other[-8:]) or "(no output)"
        message = f"texnet failed with exit code {exit_code} ({meaning}):\n{tail}"
    return Outcome(ERROR, message, exit_code=exit_code)


# --- running the engine -----------------------------------------------------------------------

def _die_with_parent() -> None:
    """In the child (Linux): get SIGTERM when the plug-in dies, e.g. when GIMP kills it after
    the user pressed cancel; SIGTERM makes texnet stop cleanly and leave no partial file."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _popen_kwargs() -> dict:
    if sys.platform.startswith("linux"):
        return {"preexec_fn": _die_with_parent}
    if sys.platform == "win32":
        return {"creationflags": getattr(subprocess, "CREATE_NO_WINDOW", 0)}
    return {}


def _pump(stream, lines: queue.Queue) -> None:
    for line in iter(stream.readline, ""):
        lines.put(line)
    lines.put(None)


def stop(proc: subprocess.Popen, grace: float = 5.0) -> None:
    """SIGTERM (texnet's clean cancel), then kill after ``grace`` seconds."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_engine(argv: list[str], on_progress: Callable[[ProgressState], None] | None = None,
               cancelled: Callable[[], bool] | None = None,
               env: Mapping[str, str] | None = None, poll: float = 0.1) -> Outcome:
    """Run texnet, feeding each progress event to ``on_progress``; ``cancelled()`` returning
    True stops the engine (SIGTERM) and yields a CANCEL outcome. Never raises for engine
    failures: every one becomes an ERROR outcome with the engine's own message."""
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, encoding="utf-8",
                                errors="replace", env=None if env is None else dict(env),
                                **_popen_kwargs())
    except OSError as exc:
        return Outcome(ERROR, f"cannot start {argv[0]}: {exc}. Run: {INSTALL_HINT}")
    state, lines = ProgressState(), queue.Queue()
    reader = threading.Thread(target=_pump, args=(proc.stderr, lines), daemon=True)
    reader.start()
    try:
        while True:
            if cancelled is not None and cancelled():
                stop(proc)
                return Outcome(CANCEL, "cancelled", exit_code=proc.returncode)
            try:
                line = lines.get(timeout=poll)
            except queue.Empty:
                continue
            if line is None:
                break
            if update_progress(state, line) is not None and on_progress is not None:
                on_progress(state)
    except BaseException:
        stop(proc)
        raise
    reader.join(1.0)
    return outcome_of(proc.wait(), state)


def list_models(engine: str, kind: str, timeout: float = 60.0) -> list[str]:
    """Model names for the dialog; an empty list when texnet cannot say (the user may type)."""
    try:
        done = subprocess.run(models_args(engine), capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return parse_models(done.stdout, kind) if done.returncode == 0 else []



# --- exchange files ---------------------------------------------------------------------------

def png_depth(precision_nick: str) -> int:
    """8 for GIMP's 8-bit precisions ("u8-non-linear"...), else 16 (PNG's deepest)."""
    return 8 if precision_nick.startswith("u8") else 16


def babl_format(channels: int, depth: int) -> str:
    """The babl format the plug-in reads pixels in: perceptual RGBA, or linear Y for masks
    (selection values are coverage, not colour, so they must not be gamma-converted)."""
    name = {4: "R'G'B'A", 1: "Y"}[channels]
    return f"{name} u{depth}"


def write_png(path: str, width: int, height: int, channels: int, depth: int,
              data: bytes) -> None:
    """Write interleaved pixels (rows top-down; 16-bit samples in native byte order, as
    GEGL returns them) as a PNG with no filtering. channels: 1 (grey) or 4 (RGBA)."""
    row = width * channels * depth // 8
    if len(data) != row * height:
        raise ValueError(f"{len(data)} bytes for {width}x{height}x{channels}x{depth} bits")
    if depth == 16 and sys.byteorder == "little":
        samples = array.array("H")
        samples.frombytes(data)
        samples.byteswap()
        data = samples.tobytes()
    view = memoryview(data)
    raw = b"".join(b"\x00" + view[y * row:(y + 1) * row] for y in range(height))
    colour_type = {1: 0, 4: 6}[channels]
    header = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    with open(path, "wb") as fh:
        fh.write(b"\x89PNG\r\n\x1a\n")
        for tag, body in ((b"IHDR", header), (b"IDAT", zlib.compress(raw, 3)), (b"IEND", b"")):
            fh.write(struct.pack(">I", len(body)) + tag + body)
            fh.write(struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF))


def rect_mask(width: int, height: int, box: tuple[int, int, int, int], depth: int) -> bytes:
    """A canvas-sized grey mask, full inside ``box`` = (x, y, w, h) clipped to the canvas:
    what Texture Fill uses when nothing is selected (fill the whole layer)."""
    x, y, w, h = box
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(width, x + w), min(height, y + h)
    size = depth // 8
    empty, full = b"\x00" * size, b"\xff" * size
    inside = empty * x0 + full * max(0, x1 - x0) + empty * (width - max(x0, x1))
    blank = empty * width
    return b"".join(inside if y0 <= r < y1 else blank for r in range(height))


def work_folder(parent: str | None = None, now: float | None = None) -> str:
    """A private temp folder for one run's exchange files. Folders of earlier runs older than a
    day are removed first: a plug-in that GIMP killed (cancel) cannot clean up after itself."""
    parent = parent or tempfile.gettempdir()
    now = time.time() if now is None else now
    try:
        entries = list(os.scandir(parent))
    except OSError:
        entries = []
    for entry in entries:
        if not entry.name.startswith(TEMP_PREFIX):
            continue
        try:
            age = now - entry.stat(follow_symlinks=False).st_mtime
            if entry.is_dir(follow_symlinks=False) and age > STALE_SECONDS:
                shutil.rmtree(entry.path, ignore_errors=True)
        except OSError:
            continue
    return tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=parent)
