"""Progress reporting and cancellation for long work.

The engine calls ``report(Progress(...))`` between steps and ``check()`` to honour cancellation.
Fronts decide how to render it (bar, JSON lines, a host application's progress bar).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable

from .errors import Cancelled


@dataclass(frozen=True)
class Progress:
    """One step of long work. ``stage`` is one of download|load|synthesize|train."""

    stage: str
    done: int
    total: int
    message: str = ""
    extra: dict = field(default_factory=dict)


ProgressCallback = Callable[[Progress], None]


def _ignore(_: Progress) -> None:
    return None


class CancelToken:
    """A thread-safe flag; ``check()`` raises :class:`Cancelled` once it is set."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    def reset(self) -> None:
        """Clear the flag: a long-lived worker reuses one token for request after request."""
        self._event.clear()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled")


@dataclass
class Reporter:
    """Bundles a progress callback and a cancel token; passed to every long operation."""

    callback: ProgressCallback = _ignore
    token: CancelToken = field(default_factory=CancelToken)

    def report(self, stage: str, done: int, total: int, message: str = "", **extra) -> None:
        self.token.check()
        self.callback(Progress(stage, done, total, message, extra))

    def check(self) -> None:
        self.token.check()
