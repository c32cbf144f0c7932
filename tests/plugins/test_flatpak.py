"""GIMP from Flatpak: the plug-in reaches the host's texnet through `flatpak-spawn --host`
(texnet_client/sandbox.py), or says exactly which permission to grant."""

from __future__ import annotations

import os
import subprocess

import pytest

from texnet_cli.plugins_gimp import flatpak_steps
from texnet_cli.texnet_client import engine, sandbox, warm

ALLOWED = ("[Application]\nname=org.gimp.GIMP\n\n[Session Bus Policy]\n"
           "org.freedesktop.Flatpak=talk\n")
SANDBOXED = "[Application]\nname=org.gimp.GIMP\n\n[Context]\nfilesystems=host;/tmp;\n"


@pytest.fixture
def info(tmp_path, monkeypatch):
    """Pretend to be inside a sandbox whose /.flatpak-info has the given text."""
    path = tmp_path / "flatpak-info"
    monkeypatch.setattr(sandbox, "FLATPAK_INFO", str(path))

    def write(text: str):
        path.write_text(text)
        return path

    return write


def test_outside_a_sandbox_the_engine_is_run_directly(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "FLATPAK_INFO", str(tmp_path / "absent"))
    assert sandbox.host_engine("/venv/bin/texnet", {}) == "/venv/bin/texnet"


def test_launcher_runs_the_host_engine_through_flatpak_spawn(info, tmp_path, monkeypatch):
    info(ALLOWED)
    # A stand-in flatpak-spawn that records its arguments.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "flatpak-spawn"
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$RECORD"\n')
    fake.chmod(0o755)
    launcher = sandbox.host_engine("/home/u/venv/bin/texnet",
                                   {"TEXNET_HOME": "/home/u/tn home", "PYTHONPATH": "/app/lib"},
                                   folder=str(tmp_path / "launch"))
    assert os.access(launcher, os.X_OK)
    record = tmp_path / "argv"
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", RECORD=str(record))
    subprocess.run([launcher, "fill", "--tile", "64x64"], env=env, check=True)
    assert record.read_text().splitlines() == [
        "--host", "--watch-bus", "--env=TEXNET_HOME=/home/u/tn home",
        "/home/u/venv/bin/texnet", "fill", "--tile", "64x64"]


def test_without_the_permission_the_message_gives_the_command(info):
    info(SANDBOXED)
    with pytest.raises(sandbox.Blocked) as caught:
        sandbox.host_engine("/home/u/venv/bin/texnet", {})
    assert ("flatpak override --user --talk-name=org.freedesktop.Flatpak org.gimp.GIMP"
            in str(caught.value))


def test_find_engine_inside_a_sandbox(info, tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox.tempfile, "gettempdir", lambda: str(tmp_path))
    plugin = tmp_path / "plugin"
    plugin.mkdir()
    (plugin / engine.ENGINE_RECORD).write_text('{"texnet": "/usr/local/bin/texnet"}')
    info(ALLOWED)  # the recorded host path is not visible in the sandbox: used anyway
    found = engine.find_engine(plugin, {}, which=lambda _n: None)
    assert found != "/usr/local/bin/texnet" and "/usr/local/bin/texnet" in open(found).read()
    info(SANDBOXED)
    with pytest.raises(engine.EngineNotFound, match="flatpak override"):
        engine.find_engine(plugin, {}, which=lambda _n: None)


def test_warm_socket_is_in_the_shared_tmp_inside_a_sandbox(info, tmp_path):
    runtime = tmp_path / "run"
    runtime.mkdir()
    assert warm.socket_path({"XDG_RUNTIME_DIR": str(runtime)}).startswith(str(runtime))
    info(ALLOWED)
    assert not warm.socket_path({"XDG_RUNTIME_DIR": str(runtime)}).startswith(str(runtime))


def test_installer_tells_flatpak_users_where_and_what_to_allow(tmp_path):
    assert flatpak_steps(None, home=tmp_path) == []
    (tmp_path / ".var/app/org.gimp.GIMP").mkdir(parents=True)
    steps = flatpak_steps(None, home=tmp_path)
    assert f"--dest {tmp_path}/.var/app/org.gimp.GIMP/config/GIMP/3.0/plug-ins" in steps[0]
    assert "--talk-name=org.freedesktop.Flatpak" in steps[1]
    assert len(flatpak_steps(tmp_path / "x", home=tmp_path)) == 1
