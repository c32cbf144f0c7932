"""The GIMP plug-in's pure half: GIMP's option sets and the exchange PNGs. Finding, running and
cancelling the engine, the progress protocol and exit codes live in the shared client
``texnet_client`` (docs/design.md, "The client"), which `texnet plugins install gimp` copies
beside this file.

Standard library only: no ``gi``, no torch, no engine import. GIMP's Python is not the engine's
Python, so the plug-in talks to the ``texnet`` CLI through a subprocess and temp files. Tested
on its own by ``tests/plugins/test_gimp_adapter.py``; ``texnet-gimp.py`` adds the GIMP side.
"""

from __future__ import annotations

import array
import struct
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

try:  # copied beside this file by `texnet plugins install gimp`
    import texnet_client as client
except ImportError:  # the source tree (tests): the client's home in the CLI package
    from texnet_cli import texnet_client as client

EngineNotFound = client.EngineNotFound
ENGINE_RECORD, ENGINE_ENV = client.ENGINE_RECORD, client.ENGINE_ENV
SUCCESS, CANCEL, ERROR = client.SUCCESS, client.CANCEL, client.ERROR
Outcome, ProgressReader, Event = client.Outcome, client.ProgressReader, client.Event
TEMP_PREFIX = "texnet-gimp-"
STALE_SECONDS = client.STALE_SECONDS
HOST = "gimp"


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
    seed: int = 0


@dataclass(frozen=True)
class LearnOptions:
    """Learn Texture from Selection's values."""

    name: str = "my-texture"
    preset: str = "quick"
    iterations: int = 0  # 0: the preset's
    element_size: float = 1.0  # --exemplar-scale: element size learnt ÷ in the selection


def recorded_engine(plugin_dir: Path) -> str | None:
    return client.recorded_engine(plugin_dir)


def find_engine(plugin_dir: Path, environ=None, which=None) -> str:
    """The ``texnet`` to run: ``$TEXNET``, else the recorded path, else PATH."""
    kwargs = {"which": which} if which is not None else {}
    return client.find_engine(plugin_dir, environ, host=HOST, **kwargs)


def fill_args(engine: str, image: str, mask: str, output: str, opts: FillOptions) -> list[str]:
    """``texnet fill`` for a canvas-sized RGBA layer, transparent outside the mask."""
    return [engine, *client.fill_args(image, mask, output, opts.model, opts.seed, opts.scale,
                                      opts.match_colors)]


def fill_request(image: str, mask: str, output: str, opts: FillOptions) -> dict:
    return client.fill_request(image, mask, output, opts.model.strip(), opts.seed, opts.scale,
                               opts.match_colors)


def stylize_args(engine: str, image: str, output: str, opts: StylizeOptions) -> list[str]:
    """``texnet stylize`` of one layer's pixels into OUTPUT (same size)."""
    return [engine, *client.stylize_args(image, output, opts.model, opts.strength, opts.seed,
                                         opts.keep_colors)]


def learn_args(engine: str, image: str, mask: str, opts: LearnOptions) -> list[str]:
    return [engine, *client.train_args(image, mask, client.model_name(opts.name), opts.preset,
                                       opts.iterations or None, title=opts.name.strip(),
                                       exemplar_scale=opts.element_size)]


def layer_name(model: str, what: str) -> str:
    """The new layer's name: the model's name (a .tnet path gives its file stem) and ``what``."""
    stem = model.strip().replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    if stem.lower().endswith(".tnet"):
        stem = stem[:-5]
    return f"{stem or 'texnet'} {what}"


def parse_models(stdout: str, kind: str) -> list[str]:
    """Names of ``kind`` models ("texture" or "style") from ``texnet models list --json``."""
    return [m.name for m in client.parse_models(stdout) if m.kind == kind]


def list_models(engine: str, kind: str) -> list[str]:
    """Model names for the dialog; empty when texnet cannot say (the user may type one)."""
    return [m.name for m in client.list_models(engine) if m.kind == kind]


def outcome_of(exit_code: int, reader: ProgressReader) -> Outcome:
    return client.outcome_of(exit_code, reader)


def run_engine(argv: list[str], on_event=None, cancelled=None, env=None,
               request: dict | None = None, folder: str | None = None) -> Outcome:
    """Run texnet (``argv[0]`` the engine); with ``request``, through the per-user warm
    worker first (falling back to ``argv`` as a fresh process). ``folder``: the run's temp
    folder, removed for us if GIMP kills this plug-in (cancel). Never raises for engine
    failures: each becomes an ERROR outcome with the engine's own message."""
    if request is not None:
        return client.run_warm_or_cold(argv[0], request, argv[1:], on_event, cancelled,
                                       folder=folder)
    outcome = client.run(argv, on_event, cancelled, env, guard_folder=folder)
    if outcome.status == ERROR and outcome.message.startswith("cannot start"):
        outcome.message += f". {client.install_hint(HOST)}"
    return outcome


def work_folder(parent: str | None = None, now: float | None = None) -> str:
    """A private temp folder for one run (stale ones of killed runs removed first)."""
    return client.work_folder(TEMP_PREFIX, parent, now)


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
