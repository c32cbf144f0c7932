"""The GIMP plug-in without GIMP: the pure adapter (engine discovery, command lines, progress
protocol, error mapping, exchange PNGs) and the plug-in file itself under a mocked ``gi``."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import types
from pathlib import Path

import numpy as np
import pytest
from helpers import ROOT, save_tiny_stylizer
from PIL import Image
from texnet_cli.app import run
from texnet_cli.main import cli

from texturenet_plugin.limits import SCALE_RANGE

PLUGIN_DIR = ROOT / "gimp" / "texnet-gimp"
sys.path.insert(0, str(PLUGIN_DIR))
import texnet_gimp_adapter as adapter  # noqa: E402


def fake_engine(tmp_path: Path, body: str) -> str:
    """An executable standing in for texnet: a Python script with ``body``."""
    script = tmp_path / "fake-texnet"
    script.write_text(f"#!{sys.executable}\nimport json, sys, time, os\n"
                      + textwrap.dedent(body))
    script.chmod(0o755)
    return str(script)


# --- engine discovery -------------------------------------------------------------------------

def test_texnet_env_wins_and_a_bad_one_says_so(tmp_path):
    engine = fake_engine(tmp_path, "")
    assert adapter.find_engine(tmp_path, {"TEXNET": engine}, lambda _: None) == engine
    with pytest.raises(adapter.EngineNotFound, match="TEXNET=/nowhere/texnet"):
        adapter.find_engine(tmp_path, {"TEXNET": "/nowhere/texnet"}, lambda _: "/usr/bin/x")


def test_recorded_path_then_path_then_a_fixing_command(tmp_path):
    engine = fake_engine(tmp_path, "")
    (tmp_path / adapter.ENGINE_RECORD).write_text(json.dumps({"texnet": engine}))
    assert adapter.find_engine(tmp_path, {}, lambda _: "/on/path/texnet") == engine
    (tmp_path / adapter.ENGINE_RECORD).write_text(json.dumps({"texnet": "/gone/texnet"}))
    assert adapter.find_engine(tmp_path, {}, lambda _: "/on/path/texnet") == "/on/path/texnet"
    with pytest.raises(adapter.EngineNotFound) as err:
        adapter.find_engine(tmp_path, {}, lambda _: None)
    assert "texnet plugins install gimp" in str(err.value)
    assert "/gone/texnet" in str(err.value)


def test_install_records_this_environments_texnet(tmp_path, capsys):
    assert run(cli, ["plugins", "install", "gimp", "--dest", str(tmp_path)]) == 0
    folder = tmp_path / "texnet-gimp"
    main = folder / "texnet-gimp.py"
    assert main.is_file() and os.access(main, os.X_OK)  # GIMP ignores non-executables
    assert (folder / "texnet_gimp_adapter.py").is_file()
    assert not list(folder.rglob("__pycache__"))
    recorded = adapter.recorded_engine(folder)
    assert Path(recorded).is_absolute() and os.access(recorded, os.X_OK)
    assert adapter.find_engine(folder, {}, lambda _: None) == recorded
    assert str(folder) in capsys.readouterr().out
    assert run(cli, ["plugins", "install", "gimp", "--dest", str(tmp_path)]) == 0  # upgrade


def test_install_into_a_file_is_a_clear_error(tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("x")
    assert run(cli, ["plugins", "install", "gimp", "--dest", str(target)]) == 2
    assert "is a file" in capsys.readouterr().err
    assert run(cli, ["plugins", "install", "gimp", "--dest", str(target / "sub")]) == 1
    assert "cannot install into" in capsys.readouterr().err


def test_default_plugins_folder_per_os(tmp_path):
    from texnet_cli.plugins_gimp import gimp_plugins_dir

    home = Path("/home/ann")
    assert gimp_plugins_dir({}, "linux", home) == home / ".config/GIMP/3.0/plug-ins"
    assert gimp_plugins_dir({"XDG_CONFIG_HOME": "/x"}, "linux", home) == Path(
        "/x/GIMP/3.0/plug-ins")
    assert gimp_plugins_dir({}, "darwin", home) == (
        home / "Library/Application Support/GIMP/3.0/plug-ins")
    assert gimp_plugins_dir({"APPDATA": "C:/Users/ann/AppData/Roaming"}, "win32", home) == Path(
        "C:/Users/ann/AppData/Roaming/GIMP/3.0/plug-ins")
    assert gimp_plugins_dir({"GIMP3_DIRECTORY": "/p"}, "linux", home) == Path("/p/plug-ins")


# --- command lines against the real CLI ---------------------------------------------------------

def test_fill_args_drive_the_real_cli(tmp_path, capsys):
    """The plug-in's command line is one the CLI accepts and answers as the plug-in expects."""
    w, h = 40, 24
    rgba = np.zeros((h, w, 4), np.uint8)
    rgba[..., 3] = 255
    adapter.write_png(str(tmp_path / "in.png"), w, h, 4, 8, rgba.tobytes())
    adapter.write_png(str(tmp_path / "mask.png"), w, h, 1, 8,
                      adapter.rect_mask(w, h, (8, 4, 16, 12), 8))
    opts = adapter.FillOptions(model="pebbles", seed=2, scale=2.0, match_colors=True)
    argv = adapter.fill_args("texnet", str(tmp_path / "in.png"), str(tmp_path / "mask.png"),
                             str(tmp_path / "out.png"), opts)
    assert argv[argv.index("--progress") + 1] == "json" and "--layer-only" in argv
    assert "--match-colors" in argv and argv[argv.index("--scale") + 1] == "2"
    assert run(cli, argv[1:]) == 0
    state = adapter.ProgressReader()
    for line in capsys.readouterr().err.splitlines():
        state.line(line)
    outcome = adapter.outcome_of(0, state)
    assert outcome.status == adapter.SUCCESS and outcome.path == str(tmp_path / "out.png")
    assert state.events[-2].fraction is not None and not state.other
    layer = np.asarray(Image.open(outcome.path))
    assert layer.shape == (h, w, 4)
    assert (layer[4:16, 8:24, 3] == 255).all() and layer[..., 3].sum() == 255 * 16 * 12


def test_scale_one_is_left_to_the_engine_and_range_matches(tmp_path):
    base = adapter.fill_args("t", "i", "m", "o", adapter.FillOptions())
    assert "--scale" not in base and "--model" in base
    assert adapter.fill_args("t", "i", "m", "o", adapter.FillOptions(model=" "))[-1] == "json"
    plugin = load_plugin()
    plugin.TexnetPlugIn().do_create_procedure(plugin.FILL)
    scale = plugin.Gimp.created[-1].arguments["scale"]
    assert (scale[2], scale[3]) == SCALE_RANGE  # the engine's own limits


def test_stylize_args_need_a_model():
    argv = adapter.stylize_args("t", "in.png", "out.png", adapter.StylizeOptions("mosaic", 0.5))
    assert argv == ["t", "stylize", "--model", "mosaic", "in.png", "-o", "out.png",
                    "--strength", "0.5", "--seed", "0", "--progress", "json"]
    keep = adapter.stylize_args("t", "i", "o", adapter.StylizeOptions("m", keep_colors=True))
    assert "--keep-colors" in keep
    with pytest.raises(ValueError, match="style model"):
        adapter.stylize_args("t", "in.png", "out.png", adapter.StylizeOptions(""))


def test_stylize_args_drive_the_real_cli(tmp_path, capsys):
    model = save_tiny_stylizer(tmp_path / "tinystyle.tnet")
    rgba = np.full((20, 28, 4), 200, np.uint8)
    adapter.write_png(str(tmp_path / "layer.png"), 28, 20, 4, 8, rgba.tobytes())
    opts = adapter.StylizeOptions(str(model), strength=0.5, keep_colors=True)
    argv = adapter.stylize_args("texnet", str(tmp_path / "layer.png"),
                                str(tmp_path / "out.png"), opts)
    assert run(cli, argv[1:]) == 0
    state = adapter.ProgressReader()
    for line in capsys.readouterr().err.splitlines():
        state.line(line)
    outcome = adapter.outcome_of(0, state)
    assert outcome.status == adapter.SUCCESS and not state.other
    assert Image.open(outcome.path).size == (28, 20)


def test_layer_names_follow_the_model():
    assert adapter.layer_name("pebbles", "fill") == "pebbles fill"
    assert adapter.layer_name("/m/My Style.tnet", "style") == "My Style style"
    assert adapter.layer_name("C:\\m\\x.TNET", "fill") == "x fill"
    assert adapter.layer_name(" ", "fill") == "texnet fill"  # the engine's default model


def test_model_list_from_the_real_cli(capsys):
    assert run(cli, ["models", "list", "--json"]) == 0
    out = capsys.readouterr().out
    assert "pebbles" in adapter.parse_models(out, "texture")
    assert "pebbles" not in adapter.parse_models(out, "style")
    assert adapter.parse_models("not json", "texture") == []


# --- progress protocol and error mapping ---------------------------------------------------------

def test_progress_lines_become_fraction_and_text():
    state = adapter.ProgressReader()
    ev = state.line(json.dumps(
        {"event": "progress", "stage": "synthesize", "done": 3, "total": 4, "message": "tiles"}))
    assert ev.kind == "progress" and ev.fraction == 0.75
    assert ev.text == "synthesize: tiles"
    assert state.line("UserWarning: something\n") is None
    assert state.line("{broken json") is None
    assert state.other == ["UserWarning: something", "{broken json"]
    assert state.line(json.dumps({"event": "progress", "done": 1, "total": 0})).fraction is None


@pytest.mark.parametrize("code,events,status,needle", [
    (0, [{"event": "result", "path": "/o.png"}], adapter.SUCCESS, ""),
    (3, [{"event": "error", "code": "cancelled", "message": "cancelled"}], adapter.CANCEL, ""),
    (4, [{"event": "error", "code": "model-not-found", "message": "no model named 'x'"}],
     adapter.ERROR, "no model named 'x'"),
    (4, [], adapter.ERROR, "(model or download problem)"),
    (139, [], adapter.ERROR, "Traceback tail"),
    (0, [], adapter.ERROR, "without reporting a result"),
])
def test_outcomes(code, events, status, needle):
    state = adapter.ProgressReader()
    for event in events:
        state.line(json.dumps(event))
    state.other = ["Traceback tail"]
    outcome = adapter.outcome_of(code, state)
    assert outcome.status == status and needle in outcome.message


# --- running a subprocess -----------------------------------------------------------------------

def test_run_engine_streams_progress_and_result(tmp_path):
    engine = fake_engine(tmp_path, """
        for i in range(3):
            print(json.dumps({"event": "progress", "stage": "synthesize", "done": i + 1,
                              "total": 3, "message": ""}), file=sys.stderr, flush=True)
        print("a stray line", file=sys.stderr)
        print(json.dumps({"event": "result", "path": sys.argv[1]}), file=sys.stderr)
    """)
    seen = []
    outcome = adapter.run_engine([engine, "/x.png"], lambda e: seen.append(e.fraction))
    assert outcome.status == adapter.SUCCESS and outcome.path == "/x.png"
    assert seen == pytest.approx([1 / 3, 2 / 3, 1.0, None])


def test_run_engine_reports_the_engine_error_text(tmp_path):
    engine = fake_engine(tmp_path, """
        print(json.dumps({"event": "error", "code": "input", "message": "mask is empty"}),
              file=sys.stderr)
        sys.exit(1)
    """)
    outcome = adapter.run_engine([engine])
    assert (outcome.status, outcome.message, outcome.exit_code) == (adapter.ERROR,
                                                                    "mask is empty", 1)
    missing = adapter.run_engine([str(tmp_path / "no-such-texnet")])
    assert missing.status == adapter.ERROR and "texnet plugins install gimp" in missing.message


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purpose.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


def _sleeper(tmp_path: Path) -> str:
    return fake_engine(tmp_path, f"""
        import signal
        open({str(tmp_path / 'pid')!r}, 'w').write(str(os.getpid()))
        def stop(*_):
            open({str(tmp_path / 'got-term')!r}, 'w').write('1')
            sys.exit(3)
        signal.signal(signal.SIGTERM, stop)
        time.sleep(60)
    """)


def test_cancel_terminates_the_engine(tmp_path):
    engine = _sleeper(tmp_path)
    pid_file = tmp_path / "pid"
    start = time.monotonic()
    outcome = adapter.run_engine([engine], cancelled=lambda: pid_file.exists())
    assert outcome.status == adapter.CANCEL and time.monotonic() - start < 20
    assert (tmp_path / "got-term").exists()  # SIGTERM: texnet's clean-cancel signal
    assert not _alive(int(pid_file.read_text()))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_engine_dies_with_a_killed_plugin(tmp_path):
    """GIMP kills a plug-in whose progress the user cancels; the engine must not live on."""
    engine = _sleeper(tmp_path)
    parent = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys; sys.path.insert(0, {str(PLUGIN_DIR)!r})
        import texnet_gimp_adapter as a
        a.run_engine([{engine!r}])
    """)])
    pid_file = tmp_path / "pid"
    for _ in range(200):
        if pid_file.exists() and pid_file.read_text():
            break
        time.sleep(0.05)
    child = int(pid_file.read_text())
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    for _ in range(200):
        if not _alive(child):
            break
        time.sleep(0.05)
    assert not _alive(child)
    assert (tmp_path / "got-term").exists()


# --- exchange PNGs ------------------------------------------------------------------------------

def test_png_writer_round_trips_8_and_16_bit(tmp_path):
    rgba = np.arange(5 * 3 * 4, dtype=np.uint8).reshape(3, 5, 4)
    adapter.write_png(str(tmp_path / "a.png"), 5, 3, 4, 8, rgba.tobytes())
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "a.png")), rgba)
    grey = np.array([[0, 1, 257, 65535], [40000, 3, 2, 1]], dtype=np.uint16)
    adapter.write_png(str(tmp_path / "g.png"), 4, 2, 1, 16, grey.tobytes())
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "g.png")), grey)
    with pytest.raises(ValueError):
        adapter.write_png(str(tmp_path / "x.png"), 4, 2, 1, 16, b"short")


def test_rect_mask_is_clipped_to_the_canvas():
    mask = np.frombuffer(adapter.rect_mask(6, 4, (4, -1, 5, 3), 16), np.uint16).reshape(4, 6)
    expected = np.zeros((4, 6), np.uint16)
    expected[0:2, 4:6] = 65535
    np.testing.assert_array_equal(mask, expected)
    assert adapter.png_depth("u8-non-linear") == 8 and adapter.png_depth("float-linear") == 16
    assert adapter.babl_format(1, 16) == "Y u16"  # linear: coverage is not gamma-encoded


# --- the plug-in file under a mocked gi ----------------------------------------------------------

class _Enum:
    def __init__(self, *names):
        for name in names:
            setattr(self, name, name)


def fake_gi() -> types.ModuleType:
    """Just enough of gi.repository for texnet-gimp.py to import and register."""
    gimp = types.SimpleNamespace(created=[], messages=[])

    class Procedure:
        def __init__(self, name, run):
            self.name, self.run, self.arguments, self.menus = name, run, {}, []
            gimp.created.append(self)

        def __getattr__(self, attr):
            if attr.startswith("add_") and attr.endswith("_argument"):
                return lambda name, *rest: self.arguments.__setitem__(name, rest)
            if attr == "add_menu_path":
                return self.menus.append
            return lambda *a, **k: None

        def new_return_values(self, status, error):
            return status, getattr(error, "message", "")

    class ImageProcedure:
        @staticmethod
        def new(plugin, name, kind, run, data):
            return Procedure(name, run)

    class GError(Exception):
        def __init__(self, message=""):
            super().__init__(message)
            self.message = message

    gimp.PlugIn = type("PlugIn", (), {"__gtype__": object()})
    gimp.Layer = type("Layer", (), {})
    gimp.ImageProcedure = ImageProcedure
    gimp.main = lambda *a: None
    gimp.message = gimp.messages.append
    gimp.PDBStatusType = _Enum("SUCCESS", "CANCEL", "EXECUTION_ERROR", "CALLING_ERROR")
    gimp.RunMode = _Enum("INTERACTIVE", "NONINTERACTIVE")
    gimp.PDBProcType = _Enum("PLUGIN")
    gimp.ProcedureSensitivityMask = _Enum("DRAWABLE")
    repo = types.ModuleType("gi.repository")
    repo.Gimp = gimp
    repo.GLib = types.SimpleNamespace(Error=GError)
    repo.GObject = types.SimpleNamespace(ParamFlags=_Enum("READWRITE"))
    repo.Gegl = repo.Gio = types.SimpleNamespace()
    gi = types.ModuleType("gi")
    gi.require_version = lambda *a: None
    gi.repository = repo
    return gi


def load_plugin(monkeypatch=None):
    gi = fake_gi()
    sys.modules["gi"], sys.modules["gi.repository"] = gi, gi.repository
    try:
        spec = importlib.util.spec_from_file_location("texnet_gimp_plugin",
                                                      PLUGIN_DIR / "texnet-gimp.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        del sys.modules["gi"], sys.modules["gi.repository"]
    return module


def test_registers_the_procedures_in_their_menus():
    plugin = load_plugin()
    names = plugin.TexnetPlugIn().do_query_procedures()
    assert names == ["texnet-texture-fill", "texnet-stylize-layer", "texnet-learn-texture"]
    fill, stylize, learn = (plugin.TexnetPlugIn().do_create_procedure(n) for n in names)
    assert fill.menus == learn.menus == ["<Image>/Filters/Render"]
    assert stylize.menus == ["<Image>/Filters/Artistic"]
    assert set(fill.arguments) == {"model", "seed", "scale", "match-colors"}
    assert fill.arguments["model"][2] == "pebbles"  # the bundled default
    assert set(stylize.arguments) == {"model", "strength", "seed", "keep-colors"}
    assert set(learn.arguments) == {"name", "preset", "iterations", "element-size"}


def test_errors_reach_gimp_with_the_engine_text():
    plugin = load_plugin()
    proc = plugin.Gimp.ImageProcedure.new(None, "p", None, None, None)
    status, message = plugin._finish(proc, adapter.Outcome(adapter.ERROR, "no model 'x'"),
                                     insert=None)
    assert status == "EXECUTION_ERROR" and "no model 'x'" in message
    assert plugin._finish(proc, adapter.Outcome(adapter.CANCEL), insert=None)[0] == "CANCEL"
    inserted = []
    ok = plugin._finish(proc, adapter.Outcome(adapter.SUCCESS, path="/r.png"), inserted.append)
    assert ok[0] == "SUCCESS" and inserted == ["/r.png"]


def test_missing_engine_and_wrong_drawables(monkeypatch):
    plugin = load_plugin()
    proc = plugin.Gimp.ImageProcedure.new(None, "p", None, None, None)
    status, message = plugin.run_fill(proc, "NONINTERACTIVE", None, [object()], None, None)
    assert status == "CALLING_ERROR" and "one layer" in message
    monkeypatch.setenv("TEXNET", "/nowhere/texnet")
    layer = plugin.Gimp.Layer()
    status, message = plugin.run_fill(proc, "NONINTERACTIVE", None, [layer], None, None)
    assert status == "EXECUTION_ERROR" and "TEXNET=/nowhere/texnet" in message
    assert plugin.Gimp.messages == [message]  # shown to the user, not only returned


def test_work_folders_of_killed_runs_are_cleaned_after_a_day(tmp_path):
    old, recent = tmp_path / "texnet-gimp-old", tmp_path / "texnet-gimp-recent"
    other = tmp_path / "someone-else"
    for folder in (old, recent, other):
        folder.mkdir()
        (folder / "image.png").write_bytes(b"x")
    day = adapter.STALE_SECONDS
    os.utime(old, (time.time() - day - 60,) * 2)
    os.utime(other, (time.time() - 10 * day,) * 2)
    new = Path(adapter.work_folder(str(tmp_path)))
    assert new.is_dir() and new.name.startswith(adapter.TEMP_PREFIX)
    assert not old.exists() and recent.exists() and other.exists()
