"""``texnet serve --socket PATH``: the warm worker on a per-user Unix socket, for hosts that
start a new plug-in process per call (GIMP). One connection at a time; on each, request lines
in, progress event lines and then one answer line per request out (docs/design.md, "The serve
protocol"). A client that closes its connection cancels its request at the next step. The
worker exits after ``idle`` seconds without a connection, removing its socket.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import tempfile
from pathlib import Path

from texturenet_plugin.errors import InputError
from texturenet_plugin.progress import CancelToken, Reporter


class Connection:
    """The client being served: where its progress goes; a dead client cancels its request."""

    def __init__(self) -> None:
        self.sock: socket.socket | None = None
        self.token = CancelToken()
        self.cleanup: str | None = None  # the client's temp folder, removed if it goes away

    def send(self, message: dict) -> None:
        if self.sock is None:
            return
        try:
            self.sock.sendall((json.dumps(message) + "\n").encode("utf-8"))
        except OSError:
            self.token.cancel()  # the plug-in is gone (GIMP killed it on cancel)

    def reporter_for(self, request_id) -> Reporter:
        def callback(p) -> None:
            self.send({"event": "progress", "id": request_id, "stage": p.stage,
                       "done": p.done, "total": p.total, "message": p.message})

        return Reporter(callback, self.token)


def listen(path: Path) -> socket.socket:
    """Bind ``path`` (private to this user); a stale socket nobody listens on is replaced."""
    if path.exists() or path.is_symlink():
        if not stat.S_ISSOCK(path.lstat().st_mode):
            raise InputError(f"--socket {path} exists and is not a socket")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(path))
            raise InputError(f"a worker already listens on {path}")
        except OSError:
            path.unlink()
        finally:
            probe.close()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        server.bind(str(path))
    finally:
        os.umask(old)
    server.listen(8)
    return server


def _lines(sock: socket.socket, connection: Connection):
    buffer = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            yield _take_cleanup(line.decode("utf-8", "replace"), connection)


def _take_cleanup(line: str, connection: Connection) -> str:
    """Remove the socket-only ``cleanup`` field (a folder of the client's) from a request."""
    try:
        request = json.loads(line)
    except ValueError:
        return line
    if not isinstance(request, dict) or "cleanup" not in request:
        return line
    folder = request.pop("cleanup")
    if isinstance(folder, str) and _is_temp_folder(folder):
        connection.cleanup = folder
    return json.dumps(request)


def _is_temp_folder(folder: str) -> bool:
    """Only a ``texnet-*`` folder directly in the temp folder may be removed for a client."""
    path = Path(folder)
    return (path.name.startswith("texnet-") and path.parent == Path(tempfile.gettempdir())
            and path.is_dir() and not path.is_symlink())


def serve_socket(worker, connection: Connection, path: Path, idle: float, answer_lines,
                 stop_token: CancelToken) -> None:
    """Accept clients until ``idle`` seconds pass without one, shutdown, or ``stop_token``.
    ``answer_lines(worker, lines, write)`` is cmd_serve's line loop."""
    server = listen(path)
    server.settimeout(min(idle, 1.0))
    waited = 0.0
    try:
        while not worker.stopped and not stop_token.cancelled and waited < idle:
            try:
                sock, _ = server.accept()
            except TimeoutError:
                waited += min(idle, 1.0)
                continue
            waited = 0.0
            connection.sock, connection.token, connection.cleanup = sock, CancelToken(), None
            try:
                answer_lines(worker, _lines(sock, connection),
                             lambda text: connection.send(json.loads(text)))
            except OSError:
                connection.token.cancel()
            finally:
                if connection.token.cancelled and connection.cleanup:
                    shutil.rmtree(connection.cleanup, ignore_errors=True)  # the client died
                connection.sock = None
                sock.close()
    finally:
        server.close()
        path.unlink(missing_ok=True)
