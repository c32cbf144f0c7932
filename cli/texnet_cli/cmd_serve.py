"""``texnet serve``: a warm worker answering JSON-line requests on stdin with JSON lines on stdout.

Models stay loaded between requests, so a second fill pays neither Python/torch start-up nor
model load. The protocol is documented in :mod:`texnet_cli.serve_worker`. Progress events
(``--progress json``) go to stderr with the request's ``id``; stdout carries only answers.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from texturenet_plugin.progress import Reporter

from .app import App, common_options
from .render import emit_json
from .serve_guard import OversizedLine, Session, answer_line, bounded_lines, encode
from .speed_options import speed_options


def _progress_for(app: App):
    def reporter_for(request_id) -> Reporter:
        if app.progress != "json":
            return Reporter(token=app.token)

        def callback(p) -> None:
            emit_json({"event": "progress", "id": request_id, "stage": p.stage,
                       "done": p.done, "total": p.total, "message": p.message})

        return Reporter(callback, app.token)

    return reporter_for


def serve_lines(worker, lines, write, session: Session | None = None) -> int:
    """Answer each non-blank line (every one, whatever it holds: :mod:`.serve_guard`); stop
    after ``shutdown``. Returns the number answered."""
    session = session or Session()
    answered = 0
    for line in lines:
        if not isinstance(line, OversizedLine) and not line.strip():
            continue
        with session.request():
            answer = answer_line(worker, line)
        write(encode(answer))
        answered += 1
        session.check_stop()
        if worker.stopped:
            break
    return answered


@click.command("serve")
@click.option("--socket", "socket_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Listen on this Unix socket instead of stdin (one client at a time; "
                   "progress and answers go back on the connection).")
@click.option("--idle-exit", type=click.FloatRange(min=1), default=600.0, show_default=True,
              metavar="SECONDS", help="With --socket: exit after this long without a client.")
@speed_options
@common_options
def serve(app: App, precision, socket_path, idle_exit):
    """Keep models loaded and answer JSON-line requests on stdin (one answer per line on
    stdout) until {"op": "shutdown"} or end of input. --threads applies to the whole worker;
    --precision is the default of requests that name none."""
    from .serve_worker import Worker  # local import: keeps `texnet --help` fast

    if socket_path is not None:
        from .serve_socket import Connection, serve_socket

        connection = Connection()
        worker = Worker(device=app.device, precision=precision,
                        reporter_for=connection.reporter_for)
        serve_socket(worker, connection, socket_path, idle_exit, serve_lines, app.token)
        if app.token.cancelled:  # SIGINT/SIGTERM ended it: exit 3, as the stdin worker does
            raise KeyboardInterrupt
        return
    worker = Worker(device=app.device, precision=precision, reporter_for=_progress_for(app))

    def write(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    session = Session(app.token)
    session.install()  # idle SIGINT/SIGTERM: exit 3; during a request: cancel it
    serve_lines(worker, bounded_lines(sys.stdin.buffer), write, session)
