"""The progress protocol (``--progress json``), exit codes, running and cancelling the engine,
and the exchange folders. Standard library only."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .engine import EXIT_CANCELLED, EXIT_MEANINGS, EXIT_OK, STALE_SECONDS, child_environment

SUCCESS, CANCEL, ERROR = "success", "cancel", "error"

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
    def fraction(self) -> float | None:
        if self.kind != "progress" or self.total <= 0:
            return None
        return max(0.0, min(1.0, self.done / self.total))

    @property
    def percent(self) -> int | None:
        """0..100, or None when the total is unknown."""
        fraction = self.fraction
        return None if fraction is None else round(100 * fraction)

    @property
    def text(self) -> str:
        """"synthesize: window 3/16", or "load 1/2" when the engine sent no message."""
        if self.message:
            return f"{self.stage}: {self.message}" if self.stage else self.message
        return f"{self.stage} {self.done}/{self.total}" if self.total > 0 else self.stage


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def event_of(data) -> Event | None:
    if not isinstance(data, dict) or data.get("event") not in ("progress", "result", "error"):
        return None
    return Event(kind=data["event"], stage=str(data.get("stage") or ""),
                 done=_int(data.get("done")), total=_int(data.get("total")),
                 message=str(data.get("message") or ""), path=str(data.get("path") or ""),
                 code=str(data.get("code") or ""))


def parse_event(line: str) -> Event | None:
    """One protocol line -> Event; anything else (not JSON, unknown event) -> None."""
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        return event_of(json.loads(line))
    except ValueError:
        return None


class ProgressReader:
    """Chunks of the engine's stderr -> Events; keeps other lines to explain a failure."""

    def __init__(self, keep_lines: int = 20) -> None:
        self._buffer = ""
        self.other: list[str] = []
        self.keep_lines = keep_lines
        self.events: list[Event] = []
        self.result: Event | None = None
        self.error: Event | None = None

    def feed(self, chunk: str) -> list[Event]:
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split("\n")
        return [e for e in (self.line(line) for line in lines) if e is not None]

    def close(self) -> list[Event]:
        """Parse a last line without a newline."""
        rest, self._buffer = self._buffer, ""
        event = self.line(rest)
        return [event] if event else []

    def line(self, line: str) -> Event | None:
        line = line.strip()
        if not line:
            return None
        event = parse_event(line)
        if event is None:
            self.other = (self.other + [line])[-self.keep_lines:]
            return None
        self.events.append(event)
        if event.kind == "result":
            self.result = event
        elif event.kind == "error":
            self.error = event
        return event


@dataclass
class Outcome:
    """How a run ended: ``status`` SUCCESS (``path``), CANCEL or ERROR (``message``)."""

    status: str
    message: str = ""
    path: str | None = None
    exit_code: int | None = None
    stdout: str = ""

    @property
    def ok(self) -> bool:
        return self.status == SUCCESS

    @property
    def cancelled(self) -> bool:
        return self.status == CANCEL


def failure_message(exit_code: int, reader: ProgressReader) -> str:
    """The engine's own error message, else what the exit code means and its last lines."""
    if reader.error is not None and reader.error.message:
        return reader.error.message
    meaning = EXIT_MEANINGS.get(exit_code, f"exit code {exit_code}")
    tail = "\n".join(reader.other[-8:])
    return f"texnet failed ({meaning}){': ' + tail if tail else ''}"


def outcome_of(exit_code: int, reader: ProgressReader, stdout: str = "",
               expect_result: bool = True) -> Outcome:
    """Map an exit code and the events seen to an Outcome; ``expect_result``: a success must
    have announced its output file (queries such as ``models list`` announce none)."""
    if exit_code == EXIT_OK and (reader.result or not expect_result):
        path = reader.result.path if reader.result else None
        return Outcome(SUCCESS, path=path, exit_code=exit_code, stdout=stdout)
    if exit_code == EXIT_OK:
        return Outcome(ERROR, "texnet finished without reporting a result file", exit_code=0)
    if exit_code == EXIT_CANCELLED or (reader.error and reader.error.code == "cancelled"):
        return Outcome(CANCEL, "cancelled", exit_code=exit_code)
    return Outcome(ERROR, failure_message(exit_code, reader), exit_code=exit_code, stdout=stdout)


# --- running the engine -----------------------------------------------------------------------

def _die_with_parent() -> None:
    """In the child (Linux): SIGTERM when the host process dies (GIMP kills a plug-in whose
    user pressed cancel); SIGTERM makes texnet stop cleanly and leave no partial file."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def popen_kwargs(detached: bool = False) -> dict:
    if sys.platform == "win32":
        flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
        if detached:
            flags |= getattr(subprocess, "DETACHED_PROCESS", 0)
        return {"creationflags": flags}
    if detached:
        return {"start_new_session": True}
    return {"preexec_fn": _die_with_parent} if sys.platform.startswith("linux") else {}


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


def _pump(stream, lines: queue.Queue) -> None:
    for line in iter(stream.readline, ""):
        lines.put(line)
    lines.put(None)


GUARD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "guard.py")


def guarded(argv: list[str], folder: str | None) -> list[str]:
    """``argv`` run through guard.py, which removes ``folder`` if the plug-in is killed."""
    if folder is None or sys.platform == "win32" or not os.path.isfile(GUARD):
        return argv
    return [sys.executable, GUARD, str(os.getpid()), folder, *argv]


def run(argv: list[str], on_event: Callable[[Event], None] | None = None,
        cancelled: Callable[[], bool] | None = None, env: Mapping[str, str] | None = None,
        poll: float = 0.1, guard_folder: str | None = None) -> Outcome:
    """Run texnet (``argv[0]`` is the engine), feeding each event to ``on_event``;
    ``cancelled()`` returning True stops it (SIGTERM) and gives a CANCEL outcome. Engine
    failures never raise: each becomes an ERROR outcome with the engine's own message.
    ``guard_folder``: remove this folder if the calling process is killed meanwhile."""
    if not (argv and os.path.isfile(argv[0])):
        guard_folder = None  # let Popen say that the engine is missing
    command = guarded(argv, guard_folder)
    # The guard notices a killed plug-in itself (a death signal could end it before it has
    # set up); the engine without a guard gets SIGTERM when the plug-in dies.
    extra = popen_kwargs() if command is argv else {}
    try:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, encoding="utf-8",
                                errors="replace", env=dict(child_environment(env)), **extra)
    except OSError as exc:
        return Outcome(ERROR, f"cannot start {argv[0]}: {exc}")
    reader, lines, stdout = ProgressReader(), queue.Queue(), []
    threads = [threading.Thread(target=_pump, args=(proc.stderr, lines), daemon=True),
               threading.Thread(target=lambda: stdout.append(proc.stdout.read()), daemon=True)]
    for thread in threads:
        thread.start()
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
            event = reader.line(line)
            if event is not None and on_event is not None:
                on_event(event)
    except BaseException:
        stop(proc)
        raise
    for thread in threads:
        thread.join(5.0)
    return outcome_of(proc.wait(), reader, "".join(stdout))


# --- temp folders -----------------------------------------------------------------------------

def work_folder(prefix: str, parent: str | None = None, now: float | None = None) -> str:
    """A private temp folder for one run's exchange files; folders of earlier runs older than
    STALE_SECONDS are removed first (a host that killed its plug-in left them)."""
    parent = parent or tempfile.gettempdir()
    now = time.time() if now is None else now
    try:
        entries = list(os.scandir(parent))
    except OSError:
        entries = []
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        try:
            if (entry.is_dir(follow_symlinks=False)
                    and now - entry.stat(follow_symlinks=False).st_mtime > STALE_SECONDS):
                shutil.rmtree(entry.path, ignore_errors=True)
        except OSError:
            continue
    return tempfile.mkdtemp(prefix=prefix, dir=parent)
