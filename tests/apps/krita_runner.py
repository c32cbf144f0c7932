"""Runs inside ``kritarunner`` (Krita 5.1 API, no GUI) for tests/test_krita_e2e.py.

``main([config.json])``: for each case, build a document of the given depth with a known
pattern, set a selection with a soft (half-selected) rim, run the docker's fill logic
(texnet_docker.layers: export image + mask, ``texnet fill --layer-only``, insert the result as a
new layer; likewise Tile Layer and Stylize Layer) and dump raw pixel bytes and layer names
under ``out`` for pytest to check.
kritarunner always exits 0, so the verdict is report.json plus os._exit(1) on a crash.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import tempfile
import traceback

PACK = {"U8": ("B", 255), "U16": ("H", 65535), "F32": ("f", 1.0)}


def pattern(width: int, height: int, depth: str) -> bytes:
    """B,G,R,A pixels: smooth ramps, opaque."""
    code, top = PACK[depth]
    values = []
    for y in range(height):
        for x in range(width):
            rgb = ((x * 4) % 256 / 255, (y * 5) % 256 / 255, ((x + y) * 2) % 256 / 255)
            values += [rgb[2], rgb[1], rgb[0], 1.0]
    scaled = [v * top if code == "f" else round(v * top) for v in values]
    return struct.pack(f"<{len(scaled)}{code}", *scaled)


def soft_mask(width: int, height: int, box: list[int], rim: int = 2) -> bytes:
    """255 inside ``box`` (x, y, w, h) shrunk by ``rim``, 128 on the rim, 0 outside."""
    x0, y0, w, h = box
    out = bytearray(width * height)
    for y in range(y0, y0 + h):
        for x in range(x0, x0 + w):
            inner = x0 + rim <= x < x0 + w - rim and y0 + rim <= y < y0 + h - rim
            out[y * width + x] = 255 if inner else 128
    return bytes(out)


def run_engine(engine: str, job) -> dict:
    from texnet_docker.adapter import ProgressReader, child_environment, failure_message

    proc = subprocess.run([engine, *job.args], env=child_environment(), capture_output=True,
                          text=True, timeout=240)
    reader = ProgressReader()
    events = reader.feed(proc.stderr) + reader.close()
    return {"rc": proc.returncode, "events": [e.kind for e in events],
            "message": failure_message(proc.returncode, reader) if proc.returncode else "",
            "result": reader.result.path if reader.result else ""}


def run_case(case: dict, engine: str, out: str) -> dict:
    from krita import Krita, Selection
    from texnet_docker import layers
    from texnet_docker.adapter import Settings

    width, height, depth, tag = case["width"], case["height"], case["depth"], case["tag"]
    doc = Krita.instance().createDocument(width, height, tag, "RGBA", depth,
                                          case.get("profile", ""), 72.0)
    background = doc.rootNode().childNodes()[0]
    background.setPixelData(pattern(width, height, depth), 0, 0, width, height)
    doc.refreshProjection()
    doc.waitForDone()
    before = bytes(background.pixelData(0, 0, width, height))
    op = case.get("op", "fill")
    if op in ("fill", "stylize"):
        selection = Selection()
        selection.setPixelData(soft_mask(width, height, case["select"]), 0, 0, width, height)
        doc.setSelection(selection)
    settings = Settings(model=case.get("model", "pebbles"), seed=3, scale=case.get("scale", 1))
    folder = tempfile.mkdtemp(prefix=f"krita-{tag}-")
    if op == "stylize":  # no view in kritarunner, so no active layer: name it
        job = layers.prepare_stylize(doc, folder, settings, background)
    else:
        job = (layers.prepare_fill if op == "fill" else layers.prepare_tile)(doc, folder,
                                                                             settings)
    result = run_engine(engine, job)
    report = {"tag": tag, "depth": depth, "engine": result, "args": job.args}
    if result["rc"] == 0:
        layer = layers.finish(doc, job)
        doc.waitForDone()
        report["new_layer"] = {"name": layer.name(), "depth": layer.colorDepth()}
        _dump(out, tag, "layer", layer.pixelData(0, 0, width, height))
    report["names"] = [n.name() for n in doc.rootNode().childNodes()]
    report["active"] = doc.activeNode().name() if doc.activeNode() else ""
    _dump(out, tag, "before", before)
    _dump(out, tag, "after", background.pixelData(0, 0, width, height))
    doc.close()
    return report


def _dump(out: str, tag: str, what: str, data) -> None:
    with open(os.path.join(out, f"{tag}-{what}.bin"), "wb") as handle:
        handle.write(bytes(data))


def main(args) -> None:
    with open(args[0], encoding="utf-8") as handle:
        config = json.load(handle)
    sys.path.insert(0, config["plugin_parent"])
    reports, status = [], 0
    try:
        for case in config["cases"]:
            reports.append(run_case(case, config["engine"], config["out"]))
    except Exception:
        reports.append({"crash": traceback.format_exc()})
        status = 1
    with open(os.path.join(config["out"], "report.json"), "w", encoding="utf-8") as handle:
        json.dump(reports, handle, indent=1)
    sys.stdout.flush()
    os._exit(status)
