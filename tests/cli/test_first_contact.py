"""What a newcomer meets first (issue 19): installer messages, doctor, models list, defaults."""

from __future__ import annotations

import ast
import subprocess
from types import SimpleNamespace

import pytest
from helpers import ROOT
from texnet_cli import cmd_doctor, plugins_krita
from texnet_cli.app import run
from texnet_cli.main import cli

from texturenet_plugin import limits


def texnet(capsys, *argv):
    code = run(cli, list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_krita_dest_is_a_resource_folder_or_a_pykrita_folder(tmp_path, capsys):
    code, out, err = texnet(capsys, "plugins", "install", "krita", "--dest", str(tmp_path / "res"))
    assert code == 0 and (tmp_path / "res/pykrita/texnet_docker/docker.py").is_file()
    assert (tmp_path / "res/pykrita/texnet_docker.desktop").is_file()
    assert str(tmp_path / "res/pykrita/texnet_docker") in out
    assert "1. start Krita" in err and "Python Plugin Manager" in err
    code, _, _ = texnet(capsys, "plugins", "install", "krita", "--dest",
                        str(tmp_path / "other/pykrita"))
    assert code == 0 and (tmp_path / "other/pykrita/texnet_docker/docker.py").is_file()
    assert not (tmp_path / "other/pykrita/pykrita").exists()


def test_krita_running_message_comes_in_numbered_steps(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(plugins_krita, "pykrita_dir", lambda: tmp_path / "pykrita")
    monkeypatch.setattr(plugins_krita, "krita_running", lambda: True)
    code, _, err = texnet(capsys, "plugins", "install", "krita")
    assert code == 0
    first, second = err.index("  1. quit Krita"), err.index("  2. run `texnet plugins install")
    assert err.index("Krita is running") < first < second


def test_doctor_names_the_torch_build_and_how_to_get_the_cpu_one():
    cuda_build = SimpleNamespace(version=SimpleNamespace(cuda="12.4", hip=None),
                                 cuda=SimpleNamespace(is_available=lambda: False))
    cpu_build = SimpleNamespace(version=SimpleNamespace(cuda=None, hip=None),
                                cuda=SimpleNamespace(is_available=lambda: False))
    assert cmd_doctor.torch_build(cuda_build) == "CUDA 12.4 build"
    assert cmd_doctor.torch_build(cpu_build) == "CPU-only build"
    (key, hint), = cmd_doctor.torch_hint(cuda_build)
    assert "--index-url https://download.pytorch.org/whl/cpu" in hint and "GB" in hint
    assert cmd_doctor.torch_hint(cpu_build) == []


def test_doctor_prints_where_files_go(capsys, texnet_home):
    code, out, _ = texnet(capsys, "doctor")
    assert code == 0 and "torch " in out and "build)" in out
    for folder in ("cache/models", "data/models", "data/runs", "data/config.json"):
        assert str(texnet_home / folder) in out
    assert f"TEXNET_HOME            {texnet_home}" in out


def test_models_list_shows_each_licence(capsys):
    code, out, _ = texnet(capsys, "models", "list")
    header, *rows = out.splitlines()
    assert code == 0 and "LICENCE" in header
    pebbles = next(row for row in rows if row.startswith("pebbles "))
    assert "GPL-2+" in pebbles
    assert all(len(row.split()) >= 5 for row in rows)  # name, kind, where, licence, title


def test_models_list_remote_says_only_bundled_models_exist(capsys):
    code, _, err = texnet(capsys, "models", "list", "--remote")
    assert code == 0 and "only the bundled models exist today" in err


def test_krita_docker_preselects_the_engine_default():
    tree = ast.parse((ROOT / "krita/texnet_docker/docker.py").read_text(encoding="utf-8"))
    values = {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body
              if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
              and node.targets[0].id == "DEFAULT_MODEL"}
    assert values == {"DEFAULT_MODEL": limits.DEFAULT_MODEL}


def test_readme_first_command_output_is_ignored_by_git():
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "/tile.png" in ignored


def test_ci_runs_the_wheel_check_before_the_readme_test_command():
    lines = (ROOT / ".ci/run").read_text(encoding="utf-8").strip().splitlines()
    assert lines[-1] == "pip install -q -e '.[test]' && python -m pytest -q"
    assert "bash .ci/wheel-check" in lines and "set -euo pipefail" in lines


@pytest.mark.slow
def test_wheel_check_passes():
    done = subprocess.run(["bash", str(ROOT / ".ci/wheel-check")], capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "wheel-check: ok" in done.stdout


def test_readme_commands_work_today():
    """No install line a newcomer would paste names an unpublished package or a folder
    outside the repository (issue 19)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands, in_code = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
        elif in_code and line.lstrip().startswith(("pip ", "texnet ")):
            commands.append(line.split("#")[0])
    assert commands and not [c for c in commands if "pip install texnet" in c
                             or "pip install 'texnet[" in c]
    assert "../shared/corpus/textures" not in text and "exemplars/LICENSES.md" in text
    assert "--index-url https://download.pytorch.org/whl/cpu" in text
    assert "## Licences" in text and "not legal advice" in text
