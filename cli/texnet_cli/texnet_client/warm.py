"""A warm engine: requests to a running ``texnet serve`` instead of a fresh process each time.

Two ways in, one request format (docs/design.md, "The serve protocol"):
- a pipe, for a host that lives long (Krita's docker keeps one ``texnet serve`` for its
  lifetime and writes these requests to its stdin);
- a per-user Unix socket, for a host that starts a new plug-in process per call (GIMP):
  :class:`SocketWorker` connects to ``texnet serve --socket PATH --idle-exit SECONDS``, starting
  it detached on first use; it exits after IDLE_SECONDS without a request.

Whatever goes wrong with a worker (no socket support, a protocol mismatch, a dead or silent
worker, an answer that is not JSON) raises :class:`WorkerError`; the caller then runs a fresh
process (:func:`run_warm_or_cold`), so the host never hangs on a worker.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable

from . import sandbox
from .engine import PROTOCOL, child_environment
from .protocol import CANCEL, ERROR, SUCCESS, Event, Outcome, event_of, popen_kwargs, run

IDLE_SECONDS = 600  # the per-user worker exits after 10 minutes without a request
START_SECONDS = 60.0  # how long a first request waits for a new worker to listen
SILENCE_SECONDS = 300.0  # a worker that says nothing this long counts as dead
WARM_ENV = "TEXNET_WARM"  # "0" turns the warm path off (every call a fresh process)
SOCKET_ENV, IDLE_ENV = "TEXNET_WORKER_SOCKET", "TEXNET_WORKER_IDLE"  # overrides (tests)


class WorkerError(Exception):
    """The worker cannot answer; run a fresh process instead."""


def warm_enabled(environ=None) -> bool:
    environ = os.environ if environ is None else environ
    return environ.get(WARM_ENV, "1").strip().lower() not in ("0", "no", "off", "false")


def socket_path(environ=None) -> str:
    """The per-user socket: ``$TEXNET_WORKER_SOCKET``, else ``$XDG_RUNTIME_DIR/texnet-worker.sock``,
    else one in the temp folder named by the user id."""
    environ = os.environ if environ is None else environ
    if environ.get(SOCKET_ENV, "").strip():
        return environ[SOCKET_ENV].strip()
    runtime = environ.get("XDG_RUNTIME_DIR", "")
    # A Flatpak sandbox has its own XDG_RUNTIME_DIR; /tmp is shared with the host (sandbox.py).
    if runtime and os.path.isdir(runtime) and sandbox.flatpak_info() is None:
        return os.path.join(runtime, "texnet-worker.sock")
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return os.path.join(tempfile.gettempdir(), f"texnet-worker-{uid}.sock")


def serve_args(path: str | None = None, idle: int = IDLE_SECONDS) -> list[str]:
    """``texnet serve`` on a socket (``path``) or on stdin/stdout (None)."""
    where = ["--socket", path, "--idle-exit", str(int(idle))] if path else []
    return ["serve", *where, "--progress", "json"]


# --- requests and answers ---------------------------------------------------------------------

def fill_request(image: str, mask: str, output: str, model: str | None = None, seed: int = 0,
                 scale: float = 1.0, match_colors: bool = False) -> dict:
    """What ``fill --image --mask --layer-only`` does, as a worker request."""
    return {"op": "fill_image", "image": image, "mask": mask, "output": output,
            "model": model or None, "seed": int(seed), "scale": float(scale),
            "layer_only": True, "match_colors": bool(match_colors)}


def tile_request(tile: tuple[int, int], output: str, model: str | None = None,
                 seed: int = 0, scale: float = 1.0) -> dict:
    return {"op": "fill", "tile": f"{tile[0]}x{tile[1]}", "output": output,
            "model": model or None, "seed": int(seed), "scale": float(scale)}


def stylize_request(image: str, output: str, model: str, strength: float = 1.0, seed: int = 0,
                    keep_colors: bool = False, mask: str | None = None) -> dict:
    return {"op": "stylize", "input": image, "output": output, "model": model,
            "strength": float(strength), "seed": int(seed), "keep_colors": bool(keep_colors),
            "mask": mask}


def answer_outcome(answer) -> Outcome:
    """A worker's answer -> Outcome; an answer that is not one raises WorkerError."""
    if not isinstance(answer, dict) or not isinstance(answer.get("ok"), bool):
        raise WorkerError(f"not a worker answer: {str(answer)[:200]}")
    if answer["ok"]:
        return Outcome(SUCCESS, path=str(answer.get("path") or ""))
    error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
    if error.get("code") == "cancelled":
        return Outcome(CANCEL, "cancelled")
    return Outcome(ERROR, str(error.get("message") or error.get("code") or "worker error"))


def check_ping(answer) -> None:
    """A ping answer must speak this client's protocol; a newer or older engine raises."""
    if not isinstance(answer, dict) or not answer.get("ok"):
        raise WorkerError(f"ping failed: {str(answer)[:200]}")
    if answer.get("protocol") != PROTOCOL:
        raise WorkerError(f"worker speaks protocol {answer.get('protocol')!r}, "
                          f"this plug-in {PROTOCOL}")


def retryable(outcome: Outcome) -> bool:
    """An ERROR a fresh process might not have: the worker did not know the request."""
    return outcome.status == ERROR and "unknown op" in outcome.message


# --- the per-user socket worker ---------------------------------------------------------------

class SocketWorker:
    """The per-user ``texnet serve --socket`` worker, started on first use."""

    def __init__(self, engine: str, path: str | None = None, idle: int | None = None,
                 start_seconds: float = START_SECONDS, silence: float = SILENCE_SECONDS):
        self.engine, self.path = engine, path or socket_path()
        if idle is None:
            idle = int(os.environ.get(IDLE_ENV, "") or IDLE_SECONDS)
        self.idle, self.start_seconds, self.silence = idle, start_seconds, silence

    def _connect_once(self) -> socket.socket | None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(self.path)
            return sock
        except OSError:
            sock.close()
            return None

    def start(self) -> subprocess.Popen:
        """Start the worker detached (its own session: it outlives this plug-in process)."""
        try:
            return subprocess.Popen([self.engine, *serve_args(self.path, self.idle)],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, env=child_environment(),
                                    close_fds=True, **popen_kwargs(detached=True))
        except OSError as exc:
            raise WorkerError(f"cannot start the worker: {exc}") from exc

    def connect(self) -> socket.socket:
        """A connection to the worker, starting one when none listens. Raises WorkerError."""
        if not hasattr(socket, "AF_UNIX"):
            raise WorkerError("no Unix sockets on this system")
        sock = self._connect_once()
        if sock is not None:
            return sock
        proc = self.start()
        deadline = time.monotonic() + self.start_seconds
        while time.monotonic() < deadline:
            time.sleep(0.05)
            sock = self._connect_once()
            if sock is not None:
                return sock
            if proc.poll() is not None:
                raise WorkerError(f"the worker exited at start (code {proc.returncode})")
        raise WorkerError(f"no worker listening on {self.path} after {self.start_seconds:g} s")

    def request(self, request: dict, on_event: Callable[[Event], None] | None = None,
                cancelled: Callable[[], bool] | None = None, poll: float = 0.1,
                cleanup: str | None = None) -> Outcome:
        """Send one request (after a protocol ping); events go to ``on_event`` until the answer.
        Cancel closes the connection: the worker stops that request at its next step and, if
        the client went away (GIMP killed the plug-in), removes the ``cleanup`` folder."""
        sock = self.connect()
        extra = {"cleanup": cleanup} if cleanup else {}
        try:
            sock.settimeout(poll)
            lines = _Lines(sock)
            for message in ({"id": 0, "op": "ping"}, dict(request, id=1, **extra)):
                sock.sendall((json.dumps(message) + "\n").encode("utf-8"))
                answer = self._answer(lines, on_event, cancelled)
                if answer is None:
                    return Outcome(CANCEL, "cancelled")
                if message["op"] == "ping":
                    check_ping(answer)
            return answer_outcome(answer)
        except OSError as exc:
            raise WorkerError(f"worker connection failed: {exc}") from exc
        finally:
            sock.close()

    def _answer(self, lines, on_event, cancelled) -> dict | None:
        """Events until the answer line; None when cancelled."""
        quiet_since = time.monotonic()
        while True:
            if cancelled is not None and cancelled():
                return None
            line = lines.next()
            if line is None:
                if time.monotonic() - quiet_since > self.silence:
                    raise WorkerError(f"the worker said nothing for {self.silence:g} s")
                continue
            quiet_since = time.monotonic()
            try:
                data = json.loads(line)
            except ValueError as exc:
                raise WorkerError(f"not JSON from the worker: {line[:200]!r}") from exc
            event = event_of(data)
            if event is None:
                return data
            if on_event is not None and event.kind == "progress":
                on_event(event)


class _Lines:
    """Lines from a socket with a timeout: ``next()`` is a line, or None when none came yet."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.buffer = sock, b""

    def next(self) -> str | None:
        while b"\n" not in self.buffer:
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                return None
            if not chunk:
                raise WorkerError("the worker closed the connection (did it die?)")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode("utf-8", "replace")


def run_warm_or_cold(engine: str, request: dict | None, argv: list[str],
                     on_event: Callable[[Event], None] | None = None,
                     cancelled: Callable[[], bool] | None = None,
                     worker: SocketWorker | None = None, folder: str | None = None) -> Outcome:
    """The request through the per-user worker when possible, else ``argv`` as a fresh
    process (``argv`` starts after the engine: ``["fill", ...]``). ``folder``: the run's temp
    folder, removed by the worker or the guard if this process is killed meanwhile."""
    if request is not None and warm_enabled():
        try:
            outcome = (worker or SocketWorker(engine)).request(request, on_event, cancelled,
                                                               cleanup=folder)
            if not retryable(outcome):
                return outcome
        except WorkerError:
            pass
    return run([engine, *argv], on_event, cancelled, guard_folder=folder)
