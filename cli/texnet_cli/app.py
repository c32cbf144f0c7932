"""Shared CLI plumbing: common options, the reporter with signal-driven cancellation, error
translation and exit codes (docs/design.md §3: 0 ok, 1 input, 2 usage, 3 cancelled, 4 model)."""

from __future__ import annotations

import functools
import json
import signal
import traceback
from dataclasses import dataclass, field

import click

from texturenet_plugin.errors import Cancelled, TexnetError
from texturenet_plugin.limits import DEVICES
from texturenet_plugin.progress import CancelToken, Reporter

from .render import MODES, emit_json, make_renderer


@dataclass
class App:
    device: str = "auto"
    progress: str = "bar"
    verbose: int = 0
    quiet: bool = False
    token: CancelToken = field(default_factory=CancelToken)
    renderer: object = None

    def reporter(self) -> Reporter:
        self.renderer = make_renderer(self.progress, self.quiet)
        return Reporter(self.renderer or (lambda _p: None), self.token)

    def finish_progress(self) -> None:
        close = getattr(self.renderer, "close", None)
        if close:
            close()

    def result(self, path) -> None:
        """Announce an output file: a JSON event for plug-ins, a line for people."""
        self.finish_progress()
        if self.progress == "json":
            emit_json({"event": "result", "path": str(path)})
        elif not self.quiet:
            click.echo(f"wrote {path}", err=True)

    def info(self, message: str) -> None:
        if not self.quiet and self.progress != "json":
            click.echo(message, err=True)


def common_options(func):
    """--device, --progress, -q/-v on every command that does work."""

    @click.option("--device", type=click.Choice(DEVICES), default="auto", show_default=True,
                  help="Where to run: auto picks CUDA when present.")
    @click.option("--progress", "progress", type=click.Choice(MODES), default="bar",
                  show_default=True, help="Progress on stderr: a bar, JSON lines, or none.")
    @click.option("-q", "--quiet", is_flag=True, help="Only errors.")
    @click.option("-v", "--verbose", count=True, help="More detail; tracebacks on errors.")
    @functools.wraps(func)
    def wrapper(*args, device, progress, quiet, verbose, **kwargs):
        app = click.get_current_context().ensure_object(App)
        app.device, app.progress, app.quiet, app.verbose = device, progress, quiet, verbose
        return func(app, *args, **kwargs)

    return wrapper


def install_signal_handlers(app: App) -> None:
    """SIGINT/SIGTERM set the cancel token (the engine stops at its next step); a second
    signal interrupts at once."""

    def handler(signum, frame):
        if app.token.cancelled:
            raise KeyboardInterrupt
        app.token.cancel()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def report_error(app: App, code: str, message: str, exit_code: int) -> int:
    app.finish_progress()
    if app.progress == "json":
        emit_json({"event": "error", "code": code, "message": message})
    else:
        click.echo(f"error: {message}", err=True)
    return exit_code


def run(cli: click.Group, argv: list[str] | None = None) -> int:
    """Invoke ``cli`` and map every outcome to an exit code; no traceback unless -v."""
    app = App()
    install_signal_handlers(app)
    try:
        cli.main(args=argv, standalone_mode=False, obj=app)
        return 0
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.UsageError as exc:
        exc.show()
        return 2
    except click.ClickException as exc:
        return report_error(app, "input", exc.format_message(), 1)
    except (Cancelled, KeyboardInterrupt, click.Abort):
        return report_error(app, "cancelled", "cancelled", 3)
    except TexnetError as exc:
        if app.verbose:
            traceback.print_exc()
        return report_error(app, exc.code, str(exc), exc.exit_code)
    except Exception as exc:  # a bug: say so, and how to get details
        if app.verbose:
            traceback.print_exc()
        hint = "" if app.verbose else " (run with -v for a traceback)"
        return report_error(app, "internal", f"{type(exc).__name__}: {exc}{hint}", 1)


def echo_json(data) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True))
