"""The Krita plug-in's pure parts (krita/texnet_docker/adapter.py, plugin.py), its package entry
with a mocked ``krita`` module, the installer and ``texnet models preview``. The real Krita
runs in tests/test_krita_e2e.py."""

from __future__ import annotations

import importlib
import json
import os
import random
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from helpers import ROOT, save_tiny_model
from PIL import Image
from texnet_cli import plugins_krita
from texnet_cli.app import run
from texnet_cli.main import cli
from texnet_krita.texnet_docker import adapter, plugin
from texnet_krita.texnet_docker.adapter import (
    EngineNotFound,
    Event,
    ProgressReader,
    Settings,
    find_engine,
)

from texturenet_plugin import env as config
from texturenet_plugin.zoo.modelfile import load_model, save_model


def _script(path: Path, executable: bool = True) -> Path:
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755 if executable else 0o644)
    return path


# ---------------------------------------------------------------- finding the engine

def test_texnet_variable_wins(tmp_path):
    engine = _script(tmp_path / "mytexnet")
    found = find_engine({"TEXNET": str(engine)}, tmp_path, which=lambda _n: "/usr/bin/texnet")
    assert found == str(engine)


def test_bad_texnet_variable_says_so(tmp_path):
    engine = _script(tmp_path / "mytexnet", executable=False)
    with pytest.raises(EngineNotFound, match="TEXNET=.*not an executable"):
        find_engine({"TEXNET": str(engine)}, tmp_path, which=lambda _n: "/usr/bin/texnet")


def test_recorded_engine_beats_path(tmp_path):
    engine = _script(tmp_path / "texnet")
    (tmp_path / adapter.ENGINE_RECORD).write_text(json.dumps({"texnet": str(engine)}))
    assert find_engine({}, tmp_path, which=lambda _n: "/elsewhere/texnet") == str(engine)


def test_path_is_the_fallback(tmp_path):
    assert find_engine({}, tmp_path, which=lambda _n: "/usr/bin/texnet") == "/usr/bin/texnet"


def test_missing_engine_names_the_command_to_run(tmp_path):
    with pytest.raises(EngineNotFound, match="texnet plugins install krita"):
        find_engine({}, tmp_path, which=lambda _n: None)
    (tmp_path / adapter.ENGINE_RECORD).write_text(json.dumps({"texnet": "/gone/texnet"}))
    with pytest.raises(EngineNotFound, match="/gone/texnet no longer exists.*plugins install krita"):
        find_engine({}, tmp_path, which=lambda _n: None)


def test_child_environment_drops_krita_python_and_qt_settings():
    env = adapter.child_environment({"PYTHONPATH": "/krita", "QT_QPA_PLATFORM": "offscreen",
                                     "PYTHONHOME": "/k", "HOME": "/h", "TEXNET_HOME": "/t"})
    assert env == {"HOME": "/h", "TEXNET_HOME": "/t"}


# ---------------------------------------------------------------- command lines

def test_fill_args_follow_the_layer_contract():
    args = adapter.fill_args(Settings("pebbles", seed=7, scale=1.5), "in.png", "m.png", "o.png")
    assert args == ["fill", "--image", "in.png", "--mask", "m.png", "--layer-only", "-o",
                    "o.png", "--model", "pebbles", "--seed", "7", "--scale", "1.5",
                    "--progress", "json"]
    assert "--model" not in adapter.fill_args(Settings(None), "i", "m", "o")


def test_tile_args_and_sizes():
    args = adapter.tile_args(Settings("pebbles", seed=2), 300, 200, "t.png")
    assert args[:5] == ["fill", "--tile", "300x200", "-o", "t.png"]
    assert args[-2:] == ["--progress", "json"] and "--scale" not in args
    assert adapter.tile_size(2048, 2048) == (2048, 2048)
    assert adapter.tile_size(3000, 1000) == (3000, 1000)  # one pass: any size, seamless
    assert adapter.tile_size(3000, 2000) == (3008, 2016)  # beyond it: the model's lattice
    scaled = adapter.tile_args(Settings("pebbles", scale=2.5), 300, 200, "t.png")
    assert scaled[scaled.index("--scale") + 1] == "2.5"  # Tile Layer honours Scale


def test_stylize_and_model_list_args():
    args = adapter.stylize_args(Settings("starry", seed=4, strength=0.5), "l.png", "s.png")
    assert args == ["stylize", "--model", "starry", "l.png", "-o", "s.png", "--strength", "0.5",
                    "--seed", "4", "--progress", "json"]
    masked = adapter.stylize_args(Settings("starry"), "l.png", "s.png", "m.png")
    assert masked[masked.index("--mask") + 1] == "m.png"
    assert adapter.models_args() == ["models", "list", "--json"]
    assert adapter.previews_args("/d", ["a", "b"]) == ["models", "preview", "a", "b", "--dir",
                                                       "/d"]


def test_new_seed_is_in_range_and_varies():
    rng = random.Random(1)
    seeds = {adapter.new_seed(rng) for _ in range(20)}
    assert len(seeds) > 15 and all(0 <= s <= adapter.MAX_SEED for s in seeds)


# ---------------------------------------------------------------- the progress protocol

PROTOCOL = (
    '{"event": "progress", "stage": "load", "done": 1, "total": 2, "message": "reading"}\n'
    'UserWarning: something\n'
    '{"event": "progress", "stage": "synthesize", "done": 3, "total": 4, "message": ""}\n'
    '{"event": "result", "path": "/tmp/out.png"}\n'
)


def test_reader_handles_lines_split_across_chunks():
    reader = ProgressReader()
    events = []
    for i in range(0, len(PROTOCOL), 7):
        events += reader.feed(PROTOCOL[i:i + 7])
    events += reader.close()
    assert [e.kind for e in events] == ["progress", "progress", "result"]
    assert events[0].percent == 50 and events[1].percent == 75
    assert reader.result.path == "/tmp/out.png"
    assert reader.other == ["UserWarning: something"]
    assert adapter.progress_text(events[0]) == "load: reading"
    assert adapter.progress_text(events[1]) == "synthesize 3/4"


def test_reader_parses_a_last_line_without_newline():
    reader = ProgressReader()
    assert reader.feed('{"event": "error", "code": "model", "message": "no model"}') == []
    [event] = reader.close()
    assert event.kind == "error" and reader.error.message == "no model"
    assert adapter.failure_message(4, reader) == "no model"


def test_failure_message_without_an_error_event():
    reader = ProgressReader()
    reader.feed("Traceback (most recent call last):\nImportError: no torch\n")
    assert adapter.failure_message(1, reader).startswith("texnet failed (bad input): ")
    assert adapter.failure_message(1, reader).endswith("ImportError: no torch")
    assert "exit code 9" in adapter.failure_message(9, ProgressReader())


def test_unknown_or_broken_lines_are_not_events():
    assert adapter.parse_event('{"event": "party"}') is None
    assert adapter.parse_event("[1, 2]") is None
    assert adapter.parse_event('{"event": "progress", "done": "x"}') == Event("progress")
    assert Event("progress", total=0).percent is None


def test_parse_models():
    rows = [{"name": "pebbles", "kind": "texture", "title": "Pebbles", "path": "/p"},
            {"kind": "style"}, {"name": "starry", "kind": "style"}]
    models = adapter.parse_models(json.dumps(rows))
    assert [(m.name, m.kind, m.title) for m in models] == [
        ("pebbles", "texture", "Pebbles"), ("starry", "style", "starry")]
    assert adapter.parse_models("not json") == []


# ---------------------------------------------------------------- pixels

def test_swap_red_blue_8_and_16_bit():
    assert adapter.swap_red_blue(bytes([1, 2, 3, 4, 5, 6, 7, 8]), 1) == bytes(
        [3, 2, 1, 4, 7, 6, 5, 8])
    rgba16 = np.array([[100, 200, 300, 65535]], np.uint16)
    swapped = np.frombuffer(adapter.swap_red_blue(rgba16.tobytes(), 2), np.uint16)
    assert swapped.tolist() == [300, 200, 100, 65535]
    with pytest.raises(ValueError):
        adapter.swap_red_blue(bytes(6), 1)


def test_bytes_per_channel():
    assert adapter.bytes_per_channel("U8") == 1 and adapter.bytes_per_channel("U16") == 2
    assert adapter.bytes_per_channel("F32") is None


def test_adapter_imports_no_host_or_engine_modules():
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import adapter, plugin; "
            "bad = {'krita', 'PyQt5', 'torch', 'numpy', 'texturenet_plugin'}; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in bad))")
    out = subprocess.run([sys.executable, "-c", code, str(ROOT / "krita" / "texnet_docker")],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ---------------------------------------------------------------- registration with a mock krita

def _mock_krita():
    registered = []

    class Factory:
        def __init__(self, ident, area, klass):
            self.ident, self.area, self.klass = ident, area, klass

    app = types.SimpleNamespace(addDockWidgetFactory=registered.append)
    module = types.ModuleType("krita")
    module.DockWidgetFactory = Factory
    module.DockWidgetFactoryBase = types.SimpleNamespace(DockRight="right")
    module.Krita = types.SimpleNamespace(instance=lambda: app)
    return module, registered


def test_register_adds_the_docker_factory():
    module, registered = _mock_krita()
    factory = plugin.register(module, "DockerClass")
    assert registered == [factory]
    assert (factory.ident, factory.area, factory.klass) == ("texnet_docker", "right",
                                                            "DockerClass")


def test_package_registers_inside_krita_only(monkeypatch):
    name = "texnet_krita.texnet_docker"
    module, registered = _mock_krita()
    fake_docker = types.ModuleType(f"{name}.docker")
    fake_docker.TexnetDocker = "the docker"
    monkeypatch.setitem(sys.modules, "krita", module)
    monkeypatch.setitem(sys.modules, f"{name}.docker", fake_docker)
    importlib.reload(sys.modules[name])
    assert [f.klass for f in registered] == ["the docker"]
    monkeypatch.setitem(sys.modules, "krita", None)  # outside Krita: import does nothing
    importlib.reload(sys.modules[name])
    assert len(registered) == 1


def test_desktop_file_matches_the_package():
    desktop = (ROOT / "krita" / "texnet_docker.desktop").read_text()
    assert "X-KDE-Library=texnet_docker" in desktop
    assert "ServiceTypes=Krita/PythonPlugin" in desktop
    assert (ROOT / "krita" / "texnet_docker" / "__init__.py").is_file()


# ---------------------------------------------------------------- installer

def test_pykrita_and_kritarc_locations():
    home = Path("/home/u")
    assert plugins_krita.pykrita_dir({}, "linux", home) == home / ".local/share/krita/pykrita"
    assert plugins_krita.pykrita_dir({"XDG_DATA_HOME": "/x"}, "linux", home) == Path(
        "/x/krita/pykrita")
    assert plugins_krita.pykrita_dir({"APPDATA": "C:/A"}, "win32", home) == Path(
        "C:/A/krita/pykrita")
    assert plugins_krita.pykrita_dir({}, "darwin", home) == (
        home / "Library/Application Support/krita/pykrita")
    assert plugins_krita.kritarc_path({}, "linux", home) == home / ".config/kritarc"
    assert plugins_krita.kritarc_path({"LOCALAPPDATA": "C:/L"}, "win32", home) == Path(
        "C:/L/kritarc")
    assert plugins_krita.kritarc_path({}, "darwin", home) == home / "Library/Preferences/kritarc"


def test_enable_in_kritarc_keeps_everything_else():
    assert plugins_krita.enable_in_kritarc("") == "[python]\nenable_texnet_docker=true\n"
    text = "[General]\na=1\n\n[python]\nenable_x=true\nenable_texnet_docker=false\n[Z]\nb=2\n"
    assert plugins_krita.enable_in_kritarc(text) == text.replace(
        "enable_texnet_docker=false", "enable_texnet_docker=true")
    text = "[python]\nenable_x=true\n[Z]\nenable_texnet_docker=false\n"
    assert plugins_krita.enable_in_kritarc(text) == (
        "[python]\nenable_texnet_docker=true\nenable_x=true\n[Z]\nenable_texnet_docker=false\n")


def test_install_with_dest(tmp_path, capsys):
    dest = tmp_path / "pykrita"
    assert run(cli, ["plugins", "install", "krita", "--dest", str(dest)]) == 0
    assert "Python Plugin Manager" in capsys.readouterr().err  # how to enable it by hand
    assert (dest / "texnet_docker.desktop").is_file()
    assert (dest / "texnet_docker" / "docker.py").is_file()
    record = json.loads((dest / "texnet_docker" / "texnet-engine.json").read_text())
    engine = Path(record["texnet"])
    assert engine.is_absolute() and os.access(engine, os.X_OK)
    assert find_engine({}, dest / "texnet_docker", which=lambda _n: None) == str(engine)


def test_install_into_krita_enables_it_when_krita_is_closed(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setattr(sys, "platform", "linux")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "kritarc").write_text("[General]\ntheme=dark\n")
    monkeypatch.setattr(plugins_krita, "krita_running", lambda: False)
    assert run(cli, ["plugins", "install", "krita"]) == 0
    assert (tmp_path / "data/krita/pykrita/texnet_docker/__init__.py").is_file()
    assert (tmp_path / "config/kritarc").read_text() == (
        "[General]\ntheme=dark\n\n[python]\nenable_texnet_docker=true\n")
    monkeypatch.setattr(plugins_krita, "krita_running", lambda: True)
    (tmp_path / "config" / "kritarc").write_text("untouched")
    assert run(cli, ["plugins", "install", "krita"]) == 0
    assert (tmp_path / "config/kritarc").read_text() == "untouched"
    assert "Krita is running" in capsys.readouterr().err


# ---------------------------------------------------------------- texnet models preview

def test_models_preview_writes_stored_and_sampled_previews(tmp_path, capsys):
    folder = config.user_models_dir()
    save_tiny_model(folder / "stored.tnet", "stored")
    model = load_model(save_tiny_model(folder / "bare.tnet", "bare"))
    model.meta.pop("preview")
    save_model(model, folder / "bare.tnet")
    out = tmp_path / "previews"
    assert run(cli, ["models", "preview", "stored", "bare", "--dir", str(out)]) == 0
    written = json.loads(capsys.readouterr().out)
    assert set(written) == {"stored", "bare"}
    stored = np.asarray(Image.open(written["stored"]))
    assert stored.shape == (8, 8, 3) and stored.max() == 0  # the stored zeros, as they are
    bare = np.asarray(Image.open(written["bare"]))
    assert bare.shape == (128, 128, 3) and bare.std() > 0  # sampled from the model
    assert run(cli, ["models", "preview", "nosuch", "--dir", str(out)]) == 4
