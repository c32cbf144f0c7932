"""A warm worker: keeps generators loaded so repeated requests skip start-up and model load.

The protocol is one JSON object per line (the CLI's ``texnet serve`` reads them on stdin and
writes one answer per line on stdout). Requests::

    {"id": 1, "op": "fill", "tile": "512x512", "output": "/tmp/a.png",
     "model": "pebbles", "seed": 0, "precision": "auto"}
    {"id": 2, "op": "canvas", "box": [left, top, right, bottom], "output": "...", ...}
    {"id": 5, "op": "stylize", "model": "NAME|PATH", "input": "in.jpg", "output": "out.png",
     "strength": 1.0, "seed": 0, "keep_colors": false, "mask": null, "precision": "auto"}
    {"id": 3, "op": "ping"}          {"id": 4, "op": "models"}      {"op": "shutdown"}

Answers echo ``id`` and carry ``"ok": true`` with the result (``path``, ``seconds``), or
``"ok": false`` with ``"error": {"code", "message"}`` (the codes of :mod:`.errors`). A failed
request never stops the worker; only ``shutdown`` (or the end of input) does. A request
without ``"precision"`` uses the worker's (``auto`` unless ``texnet serve --precision``
says otherwise; see :func:`.fast.resolve_precision`).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from . import __version__, registry
from .device import resolve_device
from .errors import InputError, TexnetError
from .fast import AUTO, resolve_precision
from .images import check_output
from .progress import Reporter
from .synthesis import sample_canvas, sample_tile, validate_size
from .tilewrite import write_tile

_SIZE = re.compile(r"^\s*(\d+)\s*[xX]\s*(\d+)\s*$")


def parse_size(value) -> tuple[int, int]:
    """"WxH" or [w, h] -> (w, h)."""
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return int(value[0]), int(value[1])
    match = _SIZE.match(str(value))
    if not match:
        raise InputError(f"tile {value!r} is not a size like 512x512")
    return int(match.group(1)), int(match.group(2))


@dataclass
class Worker:
    """Answers requests (dicts) with answers (dicts); caches generators by (path, device)."""

    device: str = "auto"
    precision: str = AUTO  # for requests that name none
    reporter_for: object = None  # callable(request_id) -> Reporter, for progress
    cache: dict = field(default_factory=dict)
    stopped: bool = False

    def generator(self, ref: str | None, kind: str = "texture"):
        from . import zoo  # local import: network code only when a name must be pulled

        path = zoo.ensure_model(ref or registry.DEFAULT_MODEL, self.reporter(None))
        key = (str(Path(path).resolve()), self.device)
        if key not in self.cache:
            model = registry.load_model(path)
            self.cache[key] = (model.kind, model.build(resolve_device(self.device)))
        model_kind, gen = self.cache[key]
        if model_kind != kind:
            raise InputError(f"model {ref or path} is a {model_kind} model, not a {kind} model")
        return gen

    def reporter(self, request_id) -> Reporter:
        return self.reporter_for(request_id) if self.reporter_for else Reporter()

    def handle(self, request: dict) -> dict:
        """One request -> one answer; errors become ``ok: false`` answers."""
        rid = request.get("id") if isinstance(request, dict) else None
        try:
            if not isinstance(request, dict):
                raise InputError("a request must be a JSON object")
            start = time.perf_counter()
            result = self._dispatch(request)
            return {"id": rid, "ok": True, **result, "seconds": time.perf_counter() - start}
        except TexnetError as exc:
            return {"id": rid, "ok": False, "error": {"code": exc.code, "message": str(exc)}}
        except (ValueError, TypeError, KeyError) as exc:
            return {"id": rid, "ok": False,
                    "error": {"code": "input", "message": f"{type(exc).__name__}: {exc}"}}

    def _dispatch(self, request: dict) -> dict:
        op = request.get("op")
        if op == "ping":
            return {"version": __version__}
        if op == "models":
            return {"loaded": sorted(path for path, _ in self.cache)}
        if op == "shutdown":
            self.stopped = True
            return {}
        if op in ("fill", "canvas"):
            return self._synthesize(op, request)
        if op == "stylize":
            return self._stylize(request)
        raise InputError(f"unknown op {op!r}; use fill, canvas, stylize, models, ping or shutdown")

    def _stylize(self, request: dict) -> dict:
        from .stylize import StylizeOptions, stylize_file  # local import: only when asked

        if "input" not in request or "output" not in request:
            raise InputError("stylize needs \"input\" and \"output\" paths")
        if "model" not in request:
            raise InputError("stylize needs a \"model\" (a style model name or .tnet path)")
        output = check_output(Path(request["output"]), (Path(request["input"]),),
                              bool(request.get("overwrite")))
        gen = self.generator(request["model"], kind="style")
        options = StylizeOptions(strength=float(request.get("strength", 1.0)),
                                 seed=int(request.get("seed", 0)),
                                 keep_colors=bool(request.get("keep_colors", False)),
                                 precision=str(request.get("precision", self.precision)))
        path = stylize_file(gen, request["input"], output, options, request.get("mask"),
                            self.reporter(request.get("id")))
        return {"path": str(path)}

    def _synthesize(self, op: str, request: dict) -> dict:
        if "output" not in request:
            raise InputError(f"{op} needs an \"output\" path")
        output = check_output(Path(request["output"]), (), bool(request.get("overwrite")))
        gen = self.generator(request.get("model"))
        precision = str(request.get("precision", self.precision))
        resolve_precision(precision, next(gen.parameters()).device)  # refuse before working
        seed, reporter = int(request.get("seed", 0)), self.reporter(request.get("id"))
        with torch.inference_mode():
            if op == "fill":
                width, height = parse_size(request.get("tile", "512x512"))
                validate_size(width, height)
                pixels = sample_tile(gen, width, height, seed, reporter, precision=precision)
            else:
                box = tuple(int(v) for v in request["box"])
                pixels = sample_canvas(gen, box, seed, reporter, precision=precision)
        write_tile(pixels, output)
        return {"path": str(output)}
