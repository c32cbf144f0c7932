"""End-to-end: the GIMP plug-in inside the real GIMP 3.0 (Debian 13 chroot, ../shared/apps).

One GIMP session runs tests/apps/gimp_driver.py, which opens an 8-bit RGBA PNG and a 16-bit
RGB PNG, selects a rectangle, calls Filters > Render > Texture Fill non-interactively with the
bundled model ``pebbles``, and dumps the pixels; a bad model name must give an error status
with the engine's message. Needs root (chroot, bind mounts) and the chroot from
``gimp3.sh setup`` (``.ci/run`` does it); elsewhere these tests skip and say why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from helpers import save_tiny_stylizer

from texnet_cli.app import run
from texnet_cli.main import cli
from texnet_cli.plugins_common import engine_path

pytestmark = pytest.mark.apps

ROOT = Path(__file__).resolve().parents[1]
GIMP3_SH = Path(os.environ.get("TEXNET_GIMP3_SH", ROOT.parent / "shared" / "apps" / "gimp3.sh"))
CHROOT = Path(os.environ.get("TEXNET_GIMP_ROOT", "/var/cache/texnet-apps/trixie"))
DRIVER = ROOT / "tests" / "apps" / "gimp_driver.py"
GIMP3_LOCK = "/tmp/texnet-gimp3.lock"
HOST_TEXNET = ROOT / "tests" / "apps" / "host_texnet.sh"  # why: see the script
W, H = 96, 64
SEL = (16, 8, 64, 44)  # x, y, w, h


def _unavailable() -> str | None:
    if not sys.platform.startswith("linux"):
        return "GIMP end-to-end tests run on Linux only"
    if os.geteuid() != 0:
        return "GIMP end-to-end tests need root (chroot and bind mounts): run .ci/run as root"
    if not GIMP3_SH.is_file():
        return f"{GIMP3_SH} not found (set TEXNET_GIMP3_SH)"
    if not (CHROOT / "usr/bin/gimp-console-3.0").exists():
        return f"GIMP 3 chroot missing: run `bash {GIMP3_SH} setup` (or .ci/run) first"
    return None


def _adapter():
    sys.path.insert(0, str(ROOT / "gimp" / "texnet-gimp"))
    import texnet_gimp_adapter

    return texnet_gimp_adapter


def _inputs(work: Path) -> dict[str, str]:
    """An 8-bit RGBA PNG with varying alpha and a 16-bit RGB PNG (fine gradients)."""
    yy, xx = np.mgrid[0:H, 0:W]
    rgba = np.stack([xx * 2, yy * 3, xx + yy, 100 + xx], axis=-1).astype(np.uint8)
    Image.fromarray(rgba, "RGBA").save(work / "rgba8.png")
    rgb16 = np.stack([xx * 600 + 7, yy * 900 + 3, (xx * yy) * 20 + 11,
                      np.full_like(xx, 65535)], axis=-1).astype(np.uint16)
    _adapter().write_png(str(work / "rgb16.png"), W, H, 4, 16, rgb16.tobytes())
    return {"rgba8": str(work / "rgba8.png"), "rgb16": str(work / "rgb16.png")}


def run_gimp(work: Path, plugin: Path, cases: list[dict], *env_vars: str) -> tuple[dict, str]:
    """Run the driver on ``cases`` in one GIMP session; ``env_vars`` (VAR=VALUE) reach GIMP
    and so the plug-in. Returns the report by tag and GIMP's log tail."""
    (work / "plan.json").write_text(json.dumps({"cases": cases}))
    (work / "report.json").unlink(missing_ok=True)
    env = dict(os.environ, WORK=str(work), TEXNET=str(HOST_TEXNET))
    done = subprocess.run(
        # One GIMP at a time: concurrent runs would unmount each other's chroot binds.
        ["flock", GIMP3_LOCK, "bash", str(GIMP3_SH), "run", str(plugin), str(DRIVER),
         f"TEXNET_HOME={work / 'texnet-home'}", "TEXNET_OFFLINE=1",
         f"TEXNET_E2E_ENGINE={engine_path()}", f"TEXNET_WORKER_SOCKET={work / 'worker.sock'}",
         "TEXNET_WORKER_IDLE=15", *env_vars],
        env=env, capture_output=True, text=True, timeout=600)
    log = done.stdout[-4000:] + done.stderr[-4000:]
    assert done.returncode == 0, log
    assert (work / "report.json").exists(), log
    report = {case["tag"]: case for case in json.loads((work / "report.json").read_text())}
    for case in report.values():
        assert "crash" not in case, case.get("crash")
    return report, log


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    reason = _unavailable()
    if reason:
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("gimp-e2e")
    assert run(cli, ["plugins", "install", "gimp", "--dest", str(work / "plug-ins")]) == 0
    return work, work / "plug-ins" / "texnet-gimp", _inputs(work)


@pytest.fixture(scope="module")
def gimp_report(installed):
    work, plugin, files = installed
    cases = [
        {"tag": "rgba8", "input": files["rgba8"], "select": SEL, "model": "pebbles",
         "properties": {"seed": 3}},
        {"tag": "rgb16", "input": files["rgb16"], "select": SEL, "feather": 4.0,
         "model": "pebbles", "properties": {"seed": 3}},
        {"tag": "layer", "input": files["rgba8"], "offsets": [10, 6], "model": "pebbles",
         "layer_on_top": True},
        {"tag": "badmodel", "input": files["rgba8"], "select": SEL, "model": "no-such-model"},
        {"tag": "stylize", "proc": "stylize", "input": files["rgba8"], "offsets": [10, 6],
         "select": SEL, "model": str(save_tiny_stylizer(work / "tinystyle.tnet")),
         "properties": {"strength": 0.5}},
    ]
    report, log = run_gimp(work, plugin, cases)
    return work, report, log


def _raw(work: Path, case: dict, key: str) -> np.ndarray:
    data = np.frombuffer((work / case[key]).read_bytes(), dtype=np.uint16)
    return data.reshape(case["height"], case["width"], 4).astype(np.int64)


def _coverage(work: Path, case: dict) -> np.ndarray:
    """The selection GIMP held, (H, W) in 0..65535 (soft where feathered)."""
    data = np.frombuffer((work / case["selection"]).read_bytes(), dtype=np.uint16)
    return data.reshape(case["height"], case["width"]).astype(np.int64)


@pytest.mark.parametrize("tag", ["rgba8", "rgb16"])
def test_fill_adds_textured_layer_and_leaves_the_rest(gimp_report, tag):
    work, report, log = gimp_report
    case = report[tag]
    assert case["status"] == "success", (case["message"], log)
    assert len(case["layers_after"]) == len(case["layers_before"]) + 1
    assert "pebbles" in case["layers_after"][0]  # the new layer, on top
    before, after = _raw(work, case, "before"), _raw(work, case, "after")
    new, comp = _raw(work, case, "new_layer"), _raw(work, case, "composite")
    cover = _coverage(work, case)
    outside, inside = cover == 0, cover == 65535
    assert inside.sum() > 100 and outside.sum() > 100
    np.testing.assert_array_equal(after, before)  # the original layer is never modified
    assert (new[outside, 3] == 0).all()  # the new layer is clipped to the selection
    assert (new[inside, 3] == 65535).all()
    np.testing.assert_allclose(new[..., 3], cover, atol=2)  # soft edges kept
    np.testing.assert_allclose(comp[outside], before[outside], atol=1)  # outside: unchanged
    texture = new[inside, :3]
    assert texture.std(axis=0).min() > 1000  # textured, not a flat colour
    assert np.abs(comp[inside, :3] - before[inside, :3]).mean() > 2000


def test_fill_keeps_16_bit_precision(gimp_report):
    work, report, _ = gimp_report
    case = report["rgb16"]
    assert case["precision"].startswith("u16"), case["precision"]
    cover = _coverage(work, case)
    soft = (cover > 0) & (cover < 65535)
    assert soft.sum() > 100  # the feathered edge
    alpha = _raw(work, case, "new_layer")[soft, 3]
    # An 8-bit detour would leave only multiples of 257 in the soft edge.
    assert (alpha % 257 != 0).mean() > 0.5


def test_fill_without_selection_fills_the_offset_layer(gimp_report):
    work, report, log = gimp_report
    case = report["layer"]
    assert case["status"] == "success", (case["message"], log)
    assert case["offsets"] == [10, 6]
    original = case["layers_before"][-1]
    assert case["layers_before"][0] == "top"
    assert case["layers_after"] == ["top", "pebbles fill", original]  # right above the layer
    new = _raw(work, case, "new_layer")
    covered = np.zeros((H, W), bool)
    covered[6:, 10:] = True  # the layer's part of the canvas
    assert (new[covered, 3] == 65535).all()
    assert (new[~covered, 3] == 0).all()


def test_bad_model_is_an_error_with_the_engine_message(gimp_report):
    _, report, _ = gimp_report
    case = report["badmodel"]
    assert case["status"] == "execution-error"
    assert "no-such-model" in case["message"]
    assert case["layers_after"] == case["layers_before"]


def test_stylize_layer_adds_a_masked_layer_at_the_layer_position(gimp_report):
    work, report, log = gimp_report
    case = report["stylize"]
    assert case["status"] == "success", (case["message"], log)
    assert "tinystyle" in case["layers_after"][0]
    assert case["new_geometry"] == [10, 6, *case["layer_size"]]
    assert case["new_has_mask"]  # limited to the selection, editable by the artist
    before, after = _raw(work, case, "before"), _raw(work, case, "after")
    np.testing.assert_array_equal(after, before)
    new = _raw(work, case, "new_layer")
    on_layer = np.zeros((H, W), bool)
    on_layer[6:, 10:] = True
    assert np.abs(new[on_layer, :3] - before[on_layer, :3]).mean() > 1000  # restyled


def test_a_missing_engine_says_what_to_do(installed):
    work, plugin, files = installed
    case = {"tag": "noengine", "input": files["rgba8"], "select": SEL, "model": "pebbles"}
    report, _ = run_gimp(work, plugin, [case], "TEXNET=/nowhere/texnet")
    case = report["noengine"]
    assert case["status"] == "execution-error"
    assert "TEXNET=/nowhere/texnet" in case["message"] and "unset it" in case["message"]
    assert case["layers_after"] == case["layers_before"]


def test_killing_the_plugin_stops_the_engine_and_leaves_the_image(installed):
    """GIMP's cancel button SIGKILLs the plug-in; the engine must stop with it and write
    nothing. (Two things stop it: PR_SET_PDEATHSIG, tested on its own in test_gimp_adapter,
    and the broken progress pipe at its next event; this checks the outcome.)"""
    work, plugin, _ = installed
    yy, xx = np.mgrid[0:768, 0:1024]
    big = np.stack([xx % 256, yy % 256, (xx + yy) % 256], axis=-1).astype(np.uint8)
    Image.fromarray(big).save(work / "big.png")
    case = {"tag": "killed", "input": str(work / "big.png"), "model": "pebbles",
            "kill_plugin": True}
    report, log = run_gimp(work, plugin, [case], "TEXNET_WARM=0")  # the fresh-process path
    case = report["killed"]
    assert case.get("engine_pids"), ("the engine never started", log)
    assert not Path(case["engine_output"]).parent.exists()  # the guard removed the folder
    assert case["engine_alive"] is False
    assert case["engine_wrote"] is False  # stopped, not merely finished
    assert case["status"] != "success"
    assert case["layers_after"] == case["layers_before"]
    np.testing.assert_array_equal(_raw(work, case, "after"), _raw(work, case, "before"))


# --- Learn Texture from Selection -----------------------------------------------------------

DESCRIPTORS = Path(os.environ.get("TEXNET_E2E_DESCRIPTORS",
                                  "/root/texnet-home/cache/descriptors"))
LEARN_SEL = (8, 8, 96, 80)  # x, y, w, h: the region learnt from (the engine needs 64² px)
OTHER = (110, 20, 40, 60)  # the selection filled with the learnt texture


def _learn_image(work: Path) -> str:
    """A 160x100 RGB image: coarse random blobs inside LEARN_SEL, flat grey elsewhere."""
    rng = np.random.default_rng(0)
    image = np.full((100, 160, 3), 128, np.uint8)
    x, y, w, h = LEARN_SEL
    blobs = rng.integers(0, 255, (h // 8 + 1, w // 8 + 1, 3), dtype=np.uint8)
    image[y:y + h, x:x + w] = np.kron(blobs, np.ones((8, 8, 1), np.uint8))[:h, :w]
    Image.fromarray(image).save(work / "learn.png")
    return str(work / "learn.png")


def _with_descriptor(work: Path) -> None:
    """Training needs the presets' descriptor (vgg16); tests run offline, so link a cached
    copy into the hermetic TEXNET_HOME, or skip saying how to provide one."""
    weights = DESCRIPTORS / "vgg16.pt"
    if not weights.is_file():
        pytest.skip(f"{weights} missing: `texnet descriptors pull vgg16`, then set "
                    "TEXNET_E2E_DESCRIPTORS to its folder")
    target = work / "texnet-home" / "cache" / "descriptors"
    target.mkdir(parents=True, exist_ok=True)
    (target / "vgg16.pt").unlink(missing_ok=True)
    (target / "vgg16.pt").symlink_to(weights)


def test_learn_from_selection_then_fill_with_it(installed):
    """Select a region, learn a texture from it (3 iterations), find it in Texture Fill's
    list, fill another selection with it; the fill goes through the per-user warm worker."""
    work, plugin, files = installed
    _with_descriptor(work)
    image = _learn_image(work)
    cases = [
        {"tag": "learn", "proc": "learn", "input": image, "select": LEARN_SEL,
         "properties": {"name": "E2E Learnt", "preset": "quick", "iterations": 3}},
        {"tag": "uselearnt", "input": image, "select": OTHER, "model": "e2e-learnt",
         "properties": {"seed": 1}},
    ]
    report, log = run_gimp(work, plugin, cases)
    learn, fill = report["learn"], report["uselearnt"]
    assert learn["status"] == "success", (learn["message"], log)
    assert learn["layers_after"] == learn["layers_before"]  # learning adds no layer
    assert (work / "texnet-home" / "data" / "models" / "e2e-learnt.tnet").is_file()
    env = dict(os.environ, TEXNET_HOME=str(work / "texnet-home"))
    listed = subprocess.run([str(engine_path()), "models", "list", "--json"], env=env,
                            capture_output=True, text=True, check=True).stdout
    assert "e2e-learnt" in _adapter().parse_models(listed, "texture")  # Texture Fill's list
    assert fill["status"] == "success", (fill["message"], log)
    assert fill["layers_after"][0] == "e2e-learnt fill"
    assert (work / "worker.sock").exists()  # the warm worker served the fill (idle exit later)


def test_cancelling_learning_leaves_no_model_and_no_temp_files(installed):
    work, plugin, files = installed
    _with_descriptor(work)
    case = {"tag": "learnkill", "proc": "learn", "input": _learn_image(work), "select": LEARN_SEL,
            "properties": {"name": "e2e-cancelled", "preset": "quick", "iterations": 500},
            "kill_plugin": True, "engine_needle": ["train", "texture", "e2e-cancelled"],
            "kill_after": 5.0}
    report, log = run_gimp(work, plugin, [case])
    case = report["learnkill"]
    assert case.get("engine_pids"), ("the engine never started", log)
    assert case["engine_alive"] is False, (case, log)
    assert not (work / "texnet-home" / "data" / "models" / "e2e-cancelled.tnet").exists()
    folders = {Path(p).parent for p in case["engine_inputs"]}
    assert folders and not any(folder.exists() for folder in folders)  # no temp files left
    assert case["layers_after"] == case["layers_before"]
