"""What keeps ``texnet serve`` answering whatever a client sends (issue 17): bounded request
lines, one answer (a result or an error object) for every line, answers that are always valid
JSON, a cancel token reset after each request, and signals that cancel the running request or,
when the worker is idle, end it with exit code 3 (README: "3 cancelled (Ctrl-C / SIGTERM)")."""

from __future__ import annotations

import contextlib
import json
import signal
from collections.abc import Iterator
from typing import BinaryIO

from texturenet_plugin.progress import CancelToken

MAX_LINE = 1 << 20  # bytes; a request is a few hundred


class OversizedLine(str):
    """Stands for a request line longer than MAX_LINE (its bytes were read and dropped)."""


def bounded_lines(stream: BinaryIO, limit: int = MAX_LINE) -> Iterator[str]:
    """Lines of a binary stream, decoded (bad UTF-8 replaced); longer ones -> OversizedLine."""
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) > limit:
            while line and not line.endswith(b"\n"):  # drop the rest of this line
                line = stream.readline(limit)
            yield OversizedLine("")
            continue
        yield line.decode("utf-8", "replace")


def error_answer(rid, code: str, message: str) -> dict:
    return {"id": rid, "ok": False, "error": {"code": code, "message": message}}


def answer_line(worker, line: str) -> dict:
    """One request line -> one answer; nothing a client sends escapes as an exception."""
    if isinstance(line, OversizedLine):
        return error_answer(None, "input", f"request line longer than {MAX_LINE} bytes")
    try:
        request = json.loads(line)
    except (ValueError, RecursionError) as exc:  # RecursionError: "[[[[…" nested too deep
        return error_answer(None, "input", f"not JSON: {type(exc).__name__}: {exc}"[:500])
    return worker.handle(request)


def encode(answer: dict) -> str:
    """Strict JSON (no NaN/Infinity); an ``id`` that cannot be echoed becomes null."""
    try:
        return json.dumps(answer, allow_nan=False) + "\n"
    except (ValueError, TypeError, RecursionError):
        return json.dumps(dict(answer, id=None), allow_nan=False, default=str) + "\n"


class Session:
    """Whether a request is running, and the token its reporters watch."""

    def __init__(self, token: CancelToken | None = None) -> None:
        self.token = token or CancelToken()
        self.running = False
        self.stopping = False  # SIGTERM came during a request: stop once it is answered

    @contextlib.contextmanager
    def request(self):
        """While a request runs; afterwards the token is clear for the next one."""
        self.running = True
        try:
            yield
        finally:
            self.running = False
            self.token.reset()

    def on_signal(self, signum, frame) -> None:
        """During a request: cancel it (it answers ``cancelled``, nothing half-written); after
        SIGINT the worker goes on, after SIGTERM it then stops. Idle, or a second signal:
        stop now. Stopping raises KeyboardInterrupt, which the CLI turns into exit code 3."""
        if self.running and not self.token.cancelled:
            self.token.cancel()
            self.stopping = signum == signal.SIGTERM
            return
        raise KeyboardInterrupt

    def check_stop(self) -> None:
        if self.stopping:
            raise KeyboardInterrupt

    def install(self) -> None:
        signal.signal(signal.SIGINT, self.on_signal)
        signal.signal(signal.SIGTERM, self.on_signal)
