"""Progress renderers for the CLI: a bar for people, JSON lines for plug-ins (docs/design.md §3).

Everything goes to stderr; stdout stays free for data.
"""

from __future__ import annotations

import json
import sys
import time

from texturenet_plugin.progress import Progress

MODES = ("bar", "json", "none")


def emit_json(event: dict) -> None:
    sys.stderr.write(json.dumps(event) + "\n")
    sys.stderr.flush()


class JsonProgress:
    def __call__(self, p: Progress) -> None:
        emit_json({"event": "progress", "stage": p.stage, "done": p.done, "total": p.total,
                   "message": p.message})


class BarProgress:
    """A one-line bar with rate and ETA, redrawn at most 10 times a second."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.started: dict[str, float] = {}
        self.last_draw = 0.0
        self.open = False

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        start = self.started.setdefault(p.stage, now)
        final = p.total and p.done >= p.total
        if not final and now - self.last_draw < 0.1:
            return
        self.last_draw = now
        self.stream.write("\r" + format_bar(p, now - start))
        self.stream.flush()
        self.open = not final
        if final:
            self.stream.write("\n")

    def close(self) -> None:
        if self.open:
            self.stream.write("\n")
            self.open = False


def format_bar(p: Progress, elapsed: float, width: int = 28) -> str:
    frac = min(1.0, p.done / p.total) if p.total else 0.0
    filled = int(frac * width)
    eta = ""
    if 0 < frac < 1 and elapsed > 0:
        eta = f" ETA {format_seconds(elapsed * (1 - frac) / frac)}"
    bar = "#" * filled + "-" * (width - filled)
    return f"{p.stage:<10} [{bar}] {p.done}/{p.total} {p.message}{eta}".ljust(79)


def format_seconds(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}:{seconds % 60:02d}"


def make_renderer(mode: str, quiet: bool = False):
    if mode == "json":
        return JsonProgress()
    if mode == "none" or quiet or (mode == "bar" and not sys.stderr.isatty()):
        return None
    return BarProgress()
