"""End-to-end: the Krita plug-in inside the real Krita 5.1 (../shared/apps/krita.sh).

- kritarunner (Krita API, no GUI): tests/apps/krita_runner.py runs the docker's fill logic
  (texnet_docker.layers) on 8-bit and 16-bit sRGB documents, a linear 16-bit one and a 32-bit
  float one (both converted by Krita on the way), a Tile Layer, and a bad model name.
- The GUI under Xvfb: the test plug-in tests/apps/krita_gui/texnet_gui_test clicks Fill
  Selection in the installed docker, waits on timers, dumps pixels, exports, undoes, then
  cancels a Tile Layer on a 2048² canvas.

Needs Krita and Xvfb from ``krita.sh setup`` (root; ``.ci/run`` does it); elsewhere these tests
skip and say why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from texnet_cli.app import run
from texnet_cli.main import cli
from texnet_cli.plugins_common import engine_path

from texturenet_plugin.io.images import read_picture
from texturenet_plugin.zoo.local import bundled_dir
from texturenet_plugin.zoo.modelfile import load_model

pytestmark = pytest.mark.apps

ROOT = Path(__file__).resolve().parents[1]
KRITA_SH = Path(os.environ.get("TEXNET_KRITA_SH", ROOT.parent / "shared" / "apps" / "krita.sh"))
APPS = ROOT / "tests" / "apps"
W, H = 64, 48
BOX = (16, 8, 24, 20)  # x, y, w, h; the outer 2 px are half selected
SRGB = "sRGB-elle-V2-srgbtrc.icc"
DTYPES = {"U8": np.uint8, "U16": np.uint16, "F32": np.float32}
OPAQUE = {"U8": 255, "U16": 65535, "F32": 1.0}


def _unavailable() -> str | None:
    if not sys.platform.startswith("linux"):
        return "Krita end-to-end tests run on Linux only"
    if not KRITA_SH.is_file():
        return f"{KRITA_SH} not found (set TEXNET_KRITA_SH)"
    missing = [t for t in ("kritarunner", "krita", "xvfb-run") if shutil.which(t) is None]
    if missing:
        return (f"{', '.join(missing)} not installed: run `bash {KRITA_SH} setup` as root "
                "(.ci/run does it)")
    return None


def _work_dir(tmp_path_factory, name: str):
    """A fresh folder for a module fixture, or skip the module with the reason Krita can't run."""
    reason = _unavailable()
    if reason:
        pytest.skip(reason)
    return tmp_path_factory.mktemp(name)


def _env(work: Path) -> dict[str, str]:
    """Hermetic engine home for the engine runs inside Krita."""
    env = dict(os.environ)
    env.update(TEXNET_HOME=str(work / "texnet-home"), TEXNET_OFFLINE="1")
    env.pop("TEXNET_INDEX", None)
    # Krita's embedded Python finds its home through PATH: a pyenv/venv python3 first on PATH
    # makes it miss Debian's PyQt5. The engine is run by absolute path, so PATH can be plain.
    env["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin"
    return env


def _krita(args: list[str], work: Path) -> subprocess.CompletedProcess:
    """Run krita.sh; once more if Xvfb lost the race for a display (xvfb-run -a picks a free
    display number, another session's X server can take it first)."""
    for _ in range(2):
        proc = subprocess.run(["bash", str(KRITA_SH), *args], env=_env(work),
                              capture_output=True, text=True, timeout=900)
        (work / "krita.log").write_text(proc.stdout + proc.stderr)
        if "could not connect to display" not in proc.stderr:
            break
    return proc


def _pixels(path: Path, depth: str) -> np.ndarray:
    """Raw Krita RGBA bytes (B,G,R,A) -> (H, W, 4) in R,G,B,A order."""
    data = np.frombuffer(path.read_bytes(), DTYPES[depth])
    return data.reshape(H, W, 4)[..., [2, 1, 0, 3]]


def _regions(size=(W, H), box=BOX):
    """Boolean masks (outside, inner, rim) for the selection with a 2-px half-selected rim."""
    x, y, w, h = box
    yy, xx = np.mgrid[0:size[1], 0:size[0]]
    inside = (xx >= x) & (xx < x + w) & (yy >= y) & (yy < y + h)
    inner = (xx >= x + 2) & (xx < x + w - 2) & (yy >= y + 2) & (yy < y + h - 2)
    return ~inside, inner, inside & ~inner


# ---------------------------------------------------------------- kritarunner

CASES = [
    {"tag": "u8", "depth": "U8", "profile": SRGB},
    {"tag": "u16", "depth": "U16", "profile": SRGB},
    {"tag": "u16lin", "depth": "U16", "profile": "sRGB-elle-V2-g10.icc"},
    {"tag": "f32", "depth": "F32", "profile": ""},
    {"tag": "tile", "depth": "U8", "profile": SRGB, "op": "tile"},
    {"tag": "bad", "depth": "U8", "profile": SRGB, "model": "nosuch"},
    {"tag": "style", "depth": "U8", "profile": SRGB, "op": "stylize"},  # model: see runner()
]


def _style_model(path: Path) -> Path:
    """A tiny random style model (instance norm, non-trivial affine parameters)."""
    import torch

    from texturenet_plugin.nets.generator import Generator, GeneratorSpec
    from texturenet_plugin.zoo.modelfile import ModelFile, save_model

    torch.manual_seed(0)
    gen = Generator(GeneratorSpec(scales=3, content_channels=3, norm="instance"))
    with torch.no_grad():
        for m in gen.modules():
            if isinstance(m, torch.nn.InstanceNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    meta = {"name": "tinystyle", "title": "Tiny style", "license": "CC0", "source": "test",
            "descriptor": "random", "training": {}}
    return save_model(ModelFile("style", gen.spec, gen.state_dict(), meta), path)


@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    work = _work_dir(tmp_path_factory, "krita-runner")
    style = str(_style_model(work / "tinystyle.tnet"))
    cases = [dict(case, width=W, height=H, select=list(BOX)) for case in CASES]
    for case in cases:
        if case.get("op") == "stylize":
            case["model"] = style
    # the installed plug-in (with its copy of the shared client), as Krita would load it
    assert run(cli, ["plugins", "install", "krita", "--dest", str(work / "pykrita")]) == 0
    config = {"engine": str(engine_path()), "plugin_parent": str(work / "pykrita"),
              "out": str(work), "cases": cases}
    (work / "config.json").write_text(json.dumps(config))
    proc = _krita(["runner", str(APPS), "krita_runner", "main", str(work / "config.json")], work)
    report_path = work / "report.json"
    assert report_path.is_file(), f"no report (rc {proc.returncode}):\n{proc.stderr[-3000:]}"
    reports = json.loads(report_path.read_text())
    assert "crash" not in reports[-1], reports[-1]["crash"]
    return work, {r["tag"]: r for r in reports}


@pytest.mark.parametrize("tag", ["u8", "u16", "u16lin", "f32"])
def test_runner_fill_adds_a_clipped_textured_layer(runner, tag):
    work, reports = runner
    report = reports[tag]
    depth = report["depth"]
    assert report["engine"]["rc"] == 0, report["engine"]
    assert report["names"][-1] == "Texture: pebbles (seed 3)", report["names"]
    assert report["new_layer"]["depth"] == depth  # the document's depth, not 8 bits
    before = _pixels(work / f"{tag}-before.bin", depth)
    assert np.array_equal(_pixels(work / f"{tag}-after.bin", depth), before), "original touched"
    layer = _pixels(work / f"{tag}-layer.bin", depth).astype(np.float64) / OPAQUE[depth]
    outside, inner, rim = _regions()
    assert np.all(layer[outside][:, 3] == 0)
    assert np.all(layer[inner][:, 3] > 0.99)
    assert np.all((layer[rim][:, 3] > 0.3) & (layer[rim][:, 3] < 0.7))  # soft edge kept
    assert layer[inner][:, :3].std() > 0.02  # texture, not a flat colour


@pytest.mark.parametrize("tag", ["u8", "u16"])
def test_runner_direct_depths_match_the_engine_files_exactly(runner, tag):
    """8/16-bit sRGB documents: the exported PNG is the document, the layer is the engine's
    PNG, bit for bit (no rounding through 8 bits for 16-bit documents)."""
    work, reports = runner
    args = reports[tag]["args"]
    depth = reports[tag]["depth"]
    exported = read_picture(args[args.index("--image") + 1]).pixels
    assert np.array_equal(exported, _pixels(work / f"{tag}-before.bin", depth))
    result = read_picture(args[args.index("-o") + 1]).pixels
    assert result.dtype == DTYPES[depth]
    assert np.array_equal(result, _pixels(work / f"{tag}-layer.bin", depth))


def test_runner_tile_layer_covers_the_canvas(runner):
    work, reports = runner
    report = reports["tile"]
    assert report["engine"]["rc"] == 0, report["engine"]
    assert "--tile" in report["args"] and f"{W}x{H}" in report["args"]
    assert report["names"] == ["Background", "Tile: pebbles (seed 3)"]
    layer = _pixels(work / "tile-layer.bin", "U8")
    assert np.all(layer[..., 3] == 255)
    assert layer[..., :3].std() > 5


def test_runner_bad_model_reports_the_engine_message_and_adds_nothing(runner):
    _, reports = runner
    report = reports["bad"]
    assert report["engine"]["rc"] == 4
    assert "nosuch" in report["engine"]["message"]
    assert "error" in report["engine"]["events"]
    assert "new_layer" not in report and len(report["names"]) == 2


def test_runner_stylize_layer_changes_only_the_selection(runner):
    work, reports = runner
    report = reports["style"]
    assert report["engine"]["rc"] == 0, report["engine"]
    args = report["args"]
    assert args[0] == "stylize" and "--mask" in args and "--strength" in args
    assert report["names"][-1] == "Stylized: tinystyle (strength 1)"
    before = _pixels(work / "style-before.bin", "U8").astype(int)
    layer = _pixels(work / "style-layer.bin", "U8").astype(int)
    outside, inner, _ = _regions()
    assert np.abs(layer[outside] - before[outside]).max() <= 1  # kept outside the selection
    assert np.abs(layer[inner][:, :3] - before[inner][:, :3]).mean() > 10  # stylized inside
    assert np.array_equal(_pixels(work / "style-after.bin", "U8"), before)  # original untouched


# ---------------------------------------------------------------- the GUI under Xvfb

GUI_SIZE, GUI_BOX = (128, 96), (32, 16, 48, 40)


@pytest.fixture(scope="module")
def gui(tmp_path_factory):
    work = _work_dir(tmp_path_factory, "krita-gui")
    pykrita = work / "pykrita"
    assert run(cli, ["plugins", "install", "krita", "--dest", str(pykrita)]) == 0
    shutil.copytree(APPS / "krita_gui", pykrita, dirs_exist_ok=True)
    yy, xx = np.mgrid[0:GUI_SIZE[1], 0:GUI_SIZE[0]]
    image = np.stack([xx * 2, yy * 2, xx + yy, np.full_like(xx, 255)], -1).astype(np.uint8)
    Image.fromarray(image, "RGBA").save(work / "in.png")
    _style_model(work / "texnet-home" / "data" / "models" / "tinystyle.tnet")  # a user model
    config = {"out": str(work), "image": str(work / "in.png"), "select": list(GUI_BOX),
              "model": "pebbles", "seed": 3, "cancel_side": 2048, "style_model": "tinystyle"}
    if _with_descriptor(work):
        config["learn"] = {"name": "E2E Learnt", "model": "e2e-learnt", "iterations": 3,
                           "element_size": 1.5,
                           "select": [8, 8, 80, 72], "fill": [92, 8, 32, 80],
                           "cancel_name": "e2e-cancelled"}
    temp_before = set(Path(tempfile.gettempdir()).glob("texnet-krita-*"))
    (work / "config.json").write_text(json.dumps(config))
    proc = _krita(["gui", str(pykrita), "texnet_docker,texnet_gui_test",
                   f"TEXNET_GUI_CONFIG={work / 'config.json'}"], work)
    report_path = work / "report.json"
    trace = (work / "trace.log").read_text() if (work / "trace.log").exists() else ""
    assert report_path.is_file(), f"no report (rc {proc.returncode}); trace:\n{trace}"
    report = json.loads(report_path.read_text())
    assert not report["error"], report["error"]
    assert proc.returncode == 0
    report["temp_left"] = sorted(map(str, set(Path(tempfile.gettempdir()).glob(
        "texnet-krita-*")) - temp_before))
    return work, report, image


def test_gui_docker_lists_models_with_previews(gui):
    _, report, _ = gui
    assert {"pebbles", "tinystyle"} <= set(report["models"]["names"])
    assert report["models"]["icons"] >= 1


def test_gui_fill_selection_adds_a_layer_without_blocking_the_ui(gui):
    _, report, _ = gui
    fill = report["fill"]
    assert fill["status"].startswith("added layer")
    new = [n for n in fill["after"] if n not in fill["before"]]
    assert new == ["Texture: pebbles (seed 3)"] and fill["active"] == new[0]
    assert fill["after"].index(new[0]) == fill["after"].index("Background") + 1  # just above
    # timers kept firing while the engine ran (a blocking run would show ~1 tick, one long gap)
    assert fill["ticks"] >= 10 and fill["max_gap_s"] < 1.0


def test_gui_fill_pixels(gui):
    work, _, image = gui
    outside, inner, rim = _regions(GUI_SIZE, GUI_BOX)
    raw = np.frombuffer((work / "fill-layer.bin").read_bytes(), np.uint8)
    layer = raw.reshape(GUI_SIZE[1], GUI_SIZE[0], 4)[..., [2, 1, 0, 3]]
    assert np.all(layer[outside][:, 3] == 0) and np.all(layer[inner][:, 3] == 255)
    assert np.all((layer[rim][:, 3] > 80) & (layer[rim][:, 3] < 180))
    raw = np.frombuffer((work / "fill-background.bin").read_bytes(), np.uint8)
    background = raw.reshape(GUI_SIZE[1], GUI_SIZE[0], 4)[..., [2, 1, 0, 3]]
    assert np.array_equal(background, image)  # the original layer is untouched
    exported = np.asarray(Image.open(work / "fill-export.png").convert("RGBA"))
    assert np.array_equal(exported[outside], image[outside])
    changed = np.abs(exported[inner].astype(int) - image[inner]).max(axis=1) > 8
    assert changed.mean() > 0.9
    assert exported[inner][:, :3].std() > 5


def test_gui_undo_removes_the_layer(gui):
    _, report, _ = gui
    assert report["undo"]["after"] == report["fill"]["before"]


def test_gui_stylize_layer_with_a_style_model(gui):
    _, report, _ = gui
    stylize = report["stylize"]
    assert stylize["buttons"] == {"fill": False, "tile": False, "stylize": True}
    assert stylize["status"].startswith("added layer"), stylize["status"]
    assert "Stylized: tinystyle (strength 1)" in stylize["after"]


def test_gui_cancel_stops_cleanly(gui):
    _, report, _ = gui
    cancel = report["cancel"]
    assert "synthesize" in cancel["status_before"]  # it was really running
    assert cancel["status"] == "cancelled"  # the engine stopped itself: it was not killed
    assert cancel["layers_after"] == cancel["layers_before"]
    assert cancel["seconds"] < 10
    assert cancel["fill_enabled"]


# ---------------------------------------------------------------- Learn from Selection

DESCRIPTORS = Path(os.environ.get("TEXNET_E2E_DESCRIPTORS",
                                  "/root/texnet-home/cache/descriptors"))


def _with_descriptor(work: Path) -> bool:
    """Training needs the presets' descriptor (vgg16) and the tests run offline: link a cached
    copy into the hermetic TEXNET_HOME. False (learn steps skipped) when there is none."""
    weights = DESCRIPTORS / "vgg16.pt"
    if not weights.is_file():
        return False
    target = work / "texnet-home" / "cache" / "descriptors"
    target.mkdir(parents=True, exist_ok=True)
    (target / "vgg16.pt").unlink(missing_ok=True)
    (target / "vgg16.pt").symlink_to(weights)
    return True


def _learn(report):
    if "learn" not in report:
        pytest.skip(f"{DESCRIPTORS / 'vgg16.pt'} missing: `texnet descriptors pull vgg16`, then "
                    "set TEXNET_E2E_DESCRIPTORS to its folder")
    return report


def test_gui_learn_from_selection_in_the_background(gui):
    work, report, _ = gui
    learn = _learn(report)["learn"]
    # the status says so, or already the refreshed list that now holds the new model
    # every bundled model, the fixture's user model (tinystyle) and the new one
    listed = len(list(bundled_dir().glob("*.tnet"))) + 2
    assert learn["status"] in ("learnt “e2e-learnt”", f"{listed} models available"), \
        learn["status"]
    # the list at "learnt" may not be refreshed yet; the docker's list after learning must hold it
    assert "e2e-learnt" in learn["models"] or "e2e-learnt" in report["learn_cancel"]["models"]
    learnt = work / "texnet-home" / "data" / "models" / "e2e-learnt.tnet"
    assert load_model(learnt).meta["training"]["exemplar_scale"] == 1.5  # the Element size box
    assert learn["ticks"] >= 20 and learn["max_gap_s"] < 1.0  # Krita stayed responsive


def test_gui_fill_with_the_learnt_model(gui):
    _, report, _ = gui
    fill = _learn(report)["fill_learnt"]
    assert fill["status"].startswith("added layer"), fill["status"]
    assert "Texture: e2e-learnt (seed 3)" in fill["after"]


def test_gui_cancel_learning_leaves_no_model_and_no_temp_files(gui):
    work, report, _ = gui
    cancel = _learn(report)["learn_cancel"]
    assert cancel["status"] == "cancelled", cancel
    assert "e2e-cancelled" not in cancel["models"]
    assert not (work / "texnet-home" / "data" / "models" / "e2e-cancelled.tnet").exists()
    assert report["temp_left"] == []
