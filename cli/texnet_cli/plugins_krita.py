"""``texnet plugins install krita``: copy the Krita docker into the user's ``pykrita`` folder,
record this environment's ``texnet`` beside it and enable it in ``kritarc`` (when Krita is
not running: Krita rewrites kritarc when it quits)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path

import click

from texturenet_plugin.errors import InputError

from .plugins_common import engine_path, install_folder

PLUGIN_NAME = "texnet_docker"  # pykrita/NAME/ + pykrita/NAME.desktop, X-KDE-Library=NAME
SECTION = "[python]"
ENABLE_KEY = f"enable_{PLUGIN_NAME}"


def _platform_dirs(environ, platform: str, home: Path) -> tuple[Path, Path]:
    """(Krita's data folder, the folder holding kritarc) for this OS."""
    if platform == "win32":
        data = Path(environ.get("APPDATA") or home / "AppData" / "Roaming")
        config = Path(environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
        return data / "krita", config
    if platform == "darwin":
        return home / "Library" / "Application Support" / "krita", home / "Library" / "Preferences"
    data = Path(environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    config = Path(environ.get("XDG_CONFIG_HOME") or home / ".config")
    return data / "krita", config


def pykrita_dir(environ=None, platform: str | None = None, home: Path | None = None) -> Path:
    """The user's Krita Python plug-ins folder for this OS."""
    data, _ = _platform_dirs(os.environ if environ is None else environ,
                             platform or sys.platform, home or Path.home())
    return data / "pykrita"


def kritarc_path(environ=None, platform: str | None = None, home: Path | None = None) -> Path:
    _, config = _platform_dirs(os.environ if environ is None else environ,
                               platform or sys.platform, home or Path.home())
    return config / "kritarc"


def enable_in_kritarc(text: str) -> str:
    """kritarc contents with ``enable_texnet_docker=true`` under ``[python]``; every other line
    is kept as it was."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == SECTION), None)
    entry = f"{ENABLE_KEY}=true"
    if start is None:
        if lines and lines[-1].strip():
            lines.append("")
        return "\n".join(lines + [SECTION, entry]) + "\n"
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")), len(lines))
    for i in range(start + 1, end):
        if lines[i].split("=", 1)[0].strip() == ENABLE_KEY:
            lines[i] = entry
            break
    else:
        lines.insert(start + 1, entry)
    return "\n".join(lines) + "\n"


def krita_running() -> bool | None:
    """True/False when it can be told (Linux /proc, pgrep, tasklist), None otherwise."""
    proc = Path("/proc")
    if sys.platform.startswith("linux") and proc.is_dir():
        for comm in proc.glob("[0-9]*/comm"):
            try:
                if comm.read_text().strip() == "krita":
                    return True
            except OSError:
                continue
        return False
    command = (["tasklist", "/FI", "IMAGENAME eq krita.exe"] if sys.platform == "win32"
               else ["pgrep", "-ix", "krita"])
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return "krita" in out.stdout.lower()


def write_kritarc(path: Path) -> None:
    """Enable the plug-in in ``path``, atomically."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".kritarc.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(enable_in_kritarc(text))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def plugin_source() -> Path:
    """The folder holding ``texnet_docker/`` and ``texnet_docker.desktop`` (package data)."""
    return Path(str(resources.files("texnet_krita")))


def pykrita_target(dest: Path | None) -> Path:
    """The pykrita folder for ``--dest``: DEST is a Krita resource folder (the plug-in goes
    into DEST/pykrita/), or a folder named ``pykrita`` itself; default: Krita's own."""
    if dest is None:
        return pykrita_dir()
    return dest if dest.name == "pykrita" else dest / "pykrita"


def install_krita(dest: Path | None) -> Path:
    """Install into the pykrita folder of ``dest`` (see :func:`pykrita_target`) or Krita's
    own; returns the plug-in folder. Enabling in kritarc only happens for Krita's own folder."""
    parent = pykrita_target(dest)
    source = plugin_source()
    folder = install_folder(source / PLUGIN_NAME, parent, PLUGIN_NAME, engine_path())
    try:
        shutil.copyfile(source / f"{PLUGIN_NAME}.desktop", parent / f"{PLUGIN_NAME}.desktop")
    except OSError as exc:
        raise InputError(f"cannot write {parent / (PLUGIN_NAME + '.desktop')}: {exc}") from exc
    _enable(dest is None)
    return folder


def _enable(default_folder: bool) -> None:
    """Enable the plug-in in kritarc when Krita is closed; otherwise say what to do, step by
    step (Krita lists new Python plug-ins only when it starts)."""
    manual = ("start Krita, enable “Texture Networks (texnet)” in Settings › Configure Krita › "
              "Python Plugin Manager, then restart Krita once more")
    if not default_folder:
        _steps("installed into a custom folder; Krita loads it only if that is its resource "
               "folder (Settings › Manage Resources… › Open Resource Folder shows which)",
               [manual])
    elif krita_running() is not False:
        _steps("Krita is running (or that cannot be checked), so kritarc was left alone",
               ["quit Krita",
                "run `texnet plugins install krita` again (it then enables the docker), or "
                + manual])
    else:
        try:
            write_kritarc(kritarc_path())
        except OSError as exc:
            _steps(f"could not edit kritarc ({exc})", [manual])
            return
        _steps(f"enabled in {kritarc_path()}",
               ["start Krita and open Settings › Dockers › Texture Networks"])


def _steps(status: str, steps: list[str]) -> None:
    click.echo(f"{status}. Next:", err=True)
    for number, step in enumerate(steps, 1):
        click.echo(f"  {number}. {step}", err=True)
