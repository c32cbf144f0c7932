"""``texnet plugins install gimp``: copy the GIMP 3 plug-in into the user's plug-ins folder."""

from __future__ import annotations

import os
import sys
from importlib import resources
from pathlib import Path

from .plugins_common import engine_path, install_folder

# GIMP 3 needs plug-ins/NAME/NAME.py, executable; anything else is ignored silently.
PLUGIN_NAME = "texnet-gimp"


def gimp_plugins_dir(environ=None, platform: str | None = None, home: Path | None = None) -> Path:
    """The GIMP 3.0 user plug-ins folder for this OS (``$GIMP3_DIRECTORY`` wins, as in GIMP)."""
    environ = os.environ if environ is None else environ
    platform = platform or sys.platform
    home = home or Path.home()
    if environ.get("GIMP3_DIRECTORY"):
        return Path(environ["GIMP3_DIRECTORY"]) / "plug-ins"
    if platform == "win32":
        base = Path(environ.get("APPDATA") or home / "AppData" / "Roaming")
    elif platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(environ.get("XDG_CONFIG_HOME") or home / ".config")
    return base / "GIMP" / "3.0" / "plug-ins"


FLATPAK_APP = "org.gimp.GIMP"


def flatpak_plugins_dir(home: Path | None = None) -> Path | None:
    """The plug-ins folder of a GIMP from Flathub, when one has run for this user."""
    app = (home or Path.home()) / ".var" / "app" / FLATPAK_APP
    return app / "config" / "GIMP" / "3.0" / "plug-ins" if app.is_dir() else None


def flatpak_steps(dest: Path | None, home: Path | None = None) -> list[str]:
    """What a Flatpak GIMP needs besides the files: its own plug-ins folder, and the
    permission to start texnet on the host (texnet_client/sandbox.py)."""
    folder = flatpak_plugins_dir(home)
    if folder is None:
        return []
    steps = [] if dest is not None else [
        f"for the Flatpak GIMP, also run: texnet plugins install gimp --dest {folder}"]
    return steps + [
        "let the Flatpak GIMP start texnet outside its sandbox (once): flatpak override "
        f"--user --talk-name=org.freedesktop.Flatpak {FLATPAK_APP}"]


def plugin_source() -> Path:
    """The plug-in folder shipped inside the ``texnet_gimp`` package."""
    return Path(str(resources.files("texnet_gimp") / PLUGIN_NAME))


def install_gimp(dest: Path | None) -> Path:
    """Install into ``dest`` (a plug-ins folder) or GIMP's own; returns the plug-in folder."""
    return install_folder(plugin_source(), dest or gimp_plugins_dir(), PLUGIN_NAME,
                          engine_path(), executables=(f"{PLUGIN_NAME}.py",))
