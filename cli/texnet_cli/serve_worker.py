"""A warm worker: keeps generators loaded so repeated requests skip start-up and model load.

The protocol is one JSON object per line (the CLI's ``texnet serve`` reads them on stdin and
writes one answer per line on stdout). Requests::

    {"id": 1, "op": "fill", "tile": "512x512", "output": "/tmp/a.png",
     "model": "pebbles", "seed": 0, "scale": 1.0, "precision": "auto"}
    {"id": 2, "op": "canvas", "box": [left, top, right, bottom], "output": "...", ...}
    {"id": 5, "op": "stylize", "model": "NAME|PATH", "input": "in.jpg", "output": "out.png",
     "strength": 1.0, "seed": 0, "keep_colors": false, "mask": null, "precision": "auto"}
    {"id": 6, "op": "fill_image", "image": "in.png", "mask": "sel.png", "output": "out.png",
     "model": "pebbles", "seed": 0, "scale": 1.0, "layer_only": true, "match_colors": false}
    {"id": 3, "op": "ping"}          {"id": 4, "op": "models"}      {"op": "shutdown"}

Answers echo ``id`` and carry ``"ok": true`` with the result (``path``, ``seconds``), or
``"ok": false`` with ``"error": {"code", "message"}`` (the codes of
:mod:`texturenet_plugin.errors`). A failed request never stops the worker; only ``shutdown``
(or the end of input) does. A request without ``"precision"`` uses the worker's (``auto``
unless ``texnet serve --precision`` says otherwise; see
:func:`texturenet_plugin.runtime.precision.resolve_precision`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from texturenet_plugin import __version__, budget
from texturenet_plugin.device import resolve_device
from texturenet_plugin.errors import InputError, TexnetError
from texturenet_plugin.io.images import check_output
from texturenet_plugin.io.tilewrite import write_tile
from texturenet_plugin.progress import Reporter
from texturenet_plugin.runtime.precision import AUTO, resolve_precision
from texturenet_plugin.synthesis.canvas import scaled_tile
from texturenet_plugin.synthesis.tile import sample_canvas
from texturenet_plugin.zoo import local

from . import request_fields as field_of

PROTOCOL = 1  # what ``ping`` answers; a client speaking another falls back to a fresh process


@dataclass
class Worker:
    """Answers requests (dicts) with answers (dicts); caches generators by (path, device)."""

    device: str = "auto"
    precision: str = AUTO  # for requests that name none
    reporter_for: object = None  # callable(request_id) -> Reporter, for progress
    cache: dict = field(default_factory=dict)
    stopped: bool = False

    def generator(self, ref: str | None, kind: str = "texture"):
        from texturenet_plugin.zoo import cache  # local: network code only when pulling a name

        path = cache.ensure_model(local.DEFAULT_MODEL if ref is None else ref,
                                self.reporter(None))
        key = (str(Path(path).resolve()), self.device)
        if key not in self.cache:
            model = local.load_model(path)
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
        except Exception as exc:  # noqa: BLE001  a bug must not stop the worker: say so
            return {"id": rid, "ok": False, "error": {
                "code": "internal", "message": f"{type(exc).__name__}: {exc}"[:2000]}}

    def _dispatch(self, request: dict) -> dict:
        op = request.get("op")
        if op == "ping":
            return {"version": __version__, "protocol": PROTOCOL}
        if op == "models":
            return {"loaded": sorted(path for path, _ in self.cache)}
        if op == "shutdown":
            self.stopped = True
            return {}
        if op in ("fill", "canvas"):
            return self._synthesize(op, request)
        if op == "stylize":
            return self._stylize(request)
        if op == "fill_image":
            return self._fill_image(request)
        raise InputError(f"unknown op {op!r}; use fill, canvas, fill_image, stylize, models, "
                         "ping or shutdown")

    def _fill_image(self, request: dict) -> dict:
        """``texnet fill --image --mask``: the selection of an image filled with texture."""
        from texturenet_plugin.io.images import output_notes, read_picture, write_picture
        from texturenet_plugin.synthesis.fill import (  # local import: only when asked
            FillOptions,
            fill_selection,
        )

        for key in ("image", "mask", "output"):
            field_of.text(request, key, required=f"fill_image needs an \"{key}\" path")
        output = check_output(Path(request["output"]),
                              (Path(request["image"]), Path(request["mask"])),
                              field_of.flag(request, "overwrite"))
        options = FillOptions(field_of.seed(request), field_of.number(request, "scale", 1.0),
                              field_of.number(request, "feather", 0.0),
                              field_of.flag(request, "layer_only"),
                              field_of.flag(request, "match_colors"),
                              self._precision(request)).validate()
        picture, mask = read_picture(request["image"]), read_picture(request["mask"])
        output_notes(output, 4 if options.layer_only else picture.channels, picture.bit_depth)
        gen = self.generator(field_of.model(request))
        with torch.inference_mode():
            result = fill_selection(gen, picture, mask, options, self.reporter(request.get("id")))
        write_picture(result.picture, output)
        return {"path": str(output)}

    def _stylize(self, request: dict) -> dict:
        from texturenet_plugin.synthesis.stylize import (  # local import: only when asked
            StylizeOptions,
            stylize_file,
        )

        source = field_of.text(request, "input", required="stylize needs an input path")
        target = field_of.text(request, "output", required="stylize needs an output path")
        ref = field_of.text(request, "model", required="stylize needs a style model name or "
                            ".tnet path")
        mask = field_of.text(request, "mask")
        output = check_output(Path(target), (Path(source),), field_of.flag(request, "overwrite"))
        options = StylizeOptions(strength=field_of.number(request, "strength", 1.0),
                                 seed=field_of.seed(request),
                                 keep_colors=field_of.flag(request, "keep_colors"),
                                 precision=self._precision(request)).validate()
        gen = self.generator(ref, kind="style")
        path = stylize_file(gen, source, output, options, mask, self.reporter(request.get("id")))
        return {"path": str(path)}

    def _precision(self, request: dict) -> str:
        return field_of.text(request, "precision", self.precision, required="e.g. \"auto\"")

    def _synthesize(self, op: str, request: dict) -> dict:
        """Every field is checked (sizes against memory) before the model is even loaded."""
        target = field_of.text(request, "output", required=f"{op} needs an output path")
        output = check_output(Path(target), (), field_of.flag(request, "overwrite"))
        seed, precision = field_of.seed(request), self._precision(request)
        if op == "fill":
            width, height = field_of.size(request.get("tile", "512x512"))
            scale = field_of.number(request, "scale", 1.0)
            budget.check_scale(scale)
        else:
            box = field_of.box(request.get("box"))
            budget.check_canvas(box)
        gen = self.generator(field_of.model(request))
        resolve_precision(precision, next(gen.parameters()).device)  # refuse before working
        reporter = self.reporter(request.get("id"))
        with torch.inference_mode():
            if op == "fill":
                pixels = scaled_tile(gen, width, height, seed, scale, reporter, precision)
            else:
                pixels = sample_canvas(gen, box, seed, reporter, precision=precision)
        write_tile(pixels, output)
        return {"path": str(output)}
