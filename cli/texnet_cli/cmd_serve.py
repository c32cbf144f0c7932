"""``texnet serve``: a warm worker answering JSON-line requests on stdin with JSON lines on stdout.

Models stay loaded between requests, so a second fill pays neither Python/torch start-up nor
model load. The protocol is documented in :mod:`texturenet_plugin.worker`. Progress events
(``--progress json``) go to stderr with the request's ``id``; stdout carries only answers.
"""

from __future__ import annotations

import json
import sys

import click

from texturenet_plugin.progress import Reporter

from .app import App, common_options
from .render import emit_json
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


def serve_lines(worker, lines, write) -> int:
    """Answer each non-blank line; stop after ``shutdown``. Returns the number answered."""
    answered = 0
    for line in lines:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
        except json.JSONDecodeError as exc:
            answer = {"id": None, "ok": False,
                      "error": {"code": "input", "message": f"not JSON: {exc}"}}
        else:
            answer = worker.handle(request)
        write(json.dumps(answer) + "\n")
        answered += 1
        if worker.stopped:
            break
    return answered


@click.command("serve")
@speed_options
@common_options
def serve(app: App, precision):
    """Keep models loaded and answer JSON-line requests on stdin (one answer per line on
    stdout) until {"op": "shutdown"} or end of input. --threads applies to the whole worker;
    --precision is the default of requests that name none."""
    from texturenet_plugin.worker import Worker  # local import: keeps `texnet --help` fast

    worker = Worker(device=app.device, precision=precision, reporter_for=_progress_for(app))

    def write(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    serve_lines(worker, sys.stdin, write)
