"""Driver run inside real GIMP 3 (python-fu-eval) by tests/test_gimp_e2e.py via gimp3.sh.

Reads $WORK/plan.json: {"cases": [{"tag", "input", "select": [x, y, w, h] | null,
"feather": px | null, "offsets": [x, y] | null, "layer_on_top": bool, "kill_plugin": bool,
"proc": "fill" | "stylize" | "learn", "model",
"properties": {...}, "engine_needle": [...]}]}. For each case it opens the file, makes the selection, calls Texture
Fill (or Stylize Layer) non-interactively, and dumps what the test
checks as raw "R'G'B'A u16" files (exact whatever the image's precision): the original layer
before and after, the selection ("Y u16"), the new layer and the composite. Writes
$WORK/report.json; never raises.
"""

import json
import os
import signal
import threading
import time
import traceback

import gi

gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp, Gio  # noqa: E402

WORK = os.environ["WORK"]
FMT = "R'G'B'A u16"


def dump(drawable, name, box, fmt=FMT):
    x, y, w, h = box
    data = drawable.get_buffer().get(Gegl.Rectangle.new(x, y, w, h), 1.0, fmt,
                                     Gegl.AbyssPolicy.NONE)
    with open(os.path.join(WORK, name), "wb") as fh:
        fh.write(bytes(data))
    return name


def canvas_dump(image, drawable, name):
    _, ox, oy = drawable.get_offsets()
    return dump(drawable, name, (-ox, -oy, image.get_width(), image.get_height()))


def composite(image, name):
    flat = image.duplicate()
    merged = flat.merge_visible_layers(Gimp.MergeType.CLIP_TO_IMAGE)
    result = canvas_dump(flat, merged, name)
    flat.delete()
    return result


PROCEDURES = {"stylize": "texnet-stylize-layer", "learn": "texnet-learn-texture",
              "fill": "texnet-texture-fill"}


def run_procedure(image, layer, case):
    proc = Gimp.get_pdb().lookup_procedure(PROCEDURES[case.get("proc", "fill")])
    cfg = proc.create_config()
    cfg.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    cfg.set_property("image", image)
    cfg.set_core_object_array("drawables", [layer])
    if "model" in case:
        cfg.set_property("model", case["model"])
    for key, value in case.get("properties", {}).items():
        cfg.set_property(key, value)
    result = proc.run(cfg)
    status = result.index(0)
    message = result.index(1) if result.length() > 1 else ""
    return status.value_nick, message


def _processes(needle):
    """PIDs whose command line contains every string in ``needle`` (host and chroot share
    the PID namespace, so the engine started through the chroot wrapper shows up too)."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                argv = fh.read().decode(errors="replace").split("\0")
        except (OSError, ValueError):
            continue
        if all(any(n in arg for arg in argv) for n in needle):
            found.append(int(entry))
    return found


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().decode(errors="replace").replace("\0", " ")[:300]
    except OSError:
        return ""


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def kill_plugin_mid_run(record, needle, delay=0.0):
    """What GIMP does when the user cancels the progress bar: SIGKILL the plug-in. Waits for
    the engine to start (and ``delay`` seconds more), kills the plug-in, then watches whether
    the engine goes too."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        engines = _processes(needle)
        if engines and delay:
            time.sleep(delay)
            delay = 0.0
        plugins = _processes(["texnet-gimp.py"])
        if engines and plugins:
            record["engine_pids"] = engines
            with open(f"/proc/{engines[0]}/cmdline", "rb") as fh:
                argv = fh.read().decode().split("\0")
            record["engine_output"] = argv[argv.index("-o") + 1] if "-o" in argv else ""
            record["engine_inputs"] = [a for a in argv if a.endswith(".png")]
            for pid in plugins:
                os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.02)
    gone_by = time.monotonic() + 20
    while time.monotonic() < gone_by and any(map(_alive, record.get("engine_pids", []))):
        time.sleep(0.1)
    record["engine_alive"] = any(map(_alive, record.get("engine_pids", [])))
    record["alive_cmdlines"] = [_cmdline(pid) for pid in record.get("engine_pids", [])
                                if _alive(pid)]
    # A finished engine would have written its layer; a stopped one writes nothing.
    record["engine_wrote"] = os.path.exists(record.get("engine_output", "/nonexistent"))


def run_case(case):
    tag = case["tag"]
    image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(case["input"]))
    layer = image.get_layers()[0]
    if case.get("offsets"):
        layer.set_offsets(*case["offsets"])
    if case.get("layer_on_top"):
        top = Gimp.Layer.new(image, "top", 8, 8, Gimp.ImageType.RGBA_IMAGE, 100,
                             Gimp.LayerMode.NORMAL)
        image.insert_layer(top, None, 0)  # the filled layer is no longer the top one
    if case.get("select"):
        image.select_rectangle(Gimp.ChannelOps.REPLACE, *case["select"])
    if case.get("feather"):
        Gimp.Selection.feather(image, case["feather"])
    out = {"tag": tag, "width": image.get_width(), "height": image.get_height(),
           "precision": image.get_precision().value_nick, "layer_size":
           [layer.get_width(), layer.get_height()], "offsets": list(layer.get_offsets()[1:])}
    out["before"] = canvas_dump(image, layer, f"{tag}-before.raw")
    out["selection"] = dump(image.get_selection(), f"{tag}-selection.raw",
                            (0, 0, image.get_width(), image.get_height()), "Y u16")
    out["layers_before"] = [item.get_name() for item in image.get_layers()]
    killer = None
    if case.get("kill_plugin"):
        needle = case.get("engine_needle", ["fill", "--layer-only", "--progress"])
        killer = threading.Thread(target=kill_plugin_mid_run, daemon=True,
                                  args=(out, needle, case.get("kill_after", 0.0)))
        killer.start()
    out["status"], out["message"] = run_procedure(image, layer, case)
    if killer is not None:
        killer.join(150)
    layers = image.get_layers()
    out["layers_after"] = [item.get_name() for item in layers]
    out["after"] = canvas_dump(image, layer, f"{tag}-after.raw")
    if len(layers) > len(out["layers_before"]):
        new = layers[out["layers_after"].index(layer.get_name()) - 1]
        out["new_layer"] = canvas_dump(image, new, f"{tag}-new.raw")
        out["new_geometry"] = [*new.get_offsets()[1:], new.get_width(), new.get_height()]
        out["new_has_mask"] = new.get_mask() is not None
        out["composite"] = composite(image, f"{tag}-composite.raw")
    image.delete()
    return out


def main():
    with open(os.path.join(WORK, "plan.json")) as fh:
        plan = json.load(fh)
    report = []
    for case in plan["cases"]:
        try:
            report.append(run_case(case))
        except Exception:
            report.append({"tag": case["tag"], "crash": traceback.format_exc()})
    with open(os.path.join(WORK, "report.json"), "w") as fh:
        json.dump(report, fh, indent=1)


main()
