"""Running the host's ``texnet`` from inside a Flatpak sandbox (GIMP 3 from Flathub).

A Flatpak application sees ``/.flatpak-info`` and cannot start host programs itself; the one
way out is ``flatpak-spawn --host``, which the sandbox allows only with the D-Bus permission
``--talk-name=org.freedesktop.Flatpak``. Flathub's GIMP has ``--filesystem=host`` and
``--filesystem=/tmp``, so the exchange files, the recorded engine path under the user's home
and the warm worker's socket in ``/tmp`` are the same paths on both sides.

:func:`host_engine` turns the engine path into a small launcher script (``exec flatpak-spawn
--host ... texnet "$@"``), so every caller keeps spawning one executable; without the
permission it raises :class:`Blocked` whose message is the exact command that grants it.
Standard library only.
"""

from __future__ import annotations

import configparser
import os
import shlex
import tempfile
from typing import Mapping

FLATPAK_INFO = "/.flatpak-info"
HOST_PORTAL = "org.freedesktop.Flatpak"
PASSED_ENV = ("TEXNET_HOME", "TEXNET_OFFLINE", "TEXNET_INDEX", "TEXNET_WARM")


class Blocked(Exception):
    """The sandbox may not start host programs; the message says how to allow it."""


def flatpak_info(path: str | None = None) -> configparser.ConfigParser | None:
    """The sandbox's ``/.flatpak-info`` (its app id and final permissions), or None outside
    a Flatpak sandbox."""
    path = path or FLATPAK_INFO
    if not os.path.isfile(path):
        return None
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # D-Bus names are case-sensitive
    try:
        parser.read(path, encoding="utf-8")
    except (OSError, configparser.Error):
        pass  # an unreadable file still means: inside a sandbox, permissions unknown
    return parser


def app_id(info: configparser.ConfigParser) -> str:
    return info.get("Application", "name", fallback="org.gimp.GIMP")


def may_spawn_on_host(info: configparser.ConfigParser) -> bool:
    """True when the sandbox may talk to the Flatpak portal that runs host commands."""
    policy = info.get("Session Bus Policy", HOST_PORTAL, fallback="")
    return policy in ("talk", "own")


def permission_command(app: str) -> str:
    return f"flatpak override --user --talk-name={HOST_PORTAL} {app}"


def blocked_message(app: str) -> str:
    return (f"this {app} runs in a Flatpak sandbox that may not start texnet on the host. "
            f"Allow it once in a terminal: `{permission_command(app)}`, then restart the "
            "application (or use a GIMP from your distribution or gimp.org)")


def launcher_text(engine: str, environ: Mapping[str, str]) -> str:
    """The launcher script: the host's engine with this environment's TEXNET_* settings;
    ``--watch-bus`` ends the host process when the sandboxed caller goes away."""
    env = [f"--env={name}={environ[name]}" for name in PASSED_ENV if name in environ]
    argv = ["flatpak-spawn", "--host", "--watch-bus", *env, engine]
    return "#!/bin/sh\nexec " + " ".join(shlex.quote(a) for a in argv) + ' "$@"\n'


def host_engine(engine: str, environ: Mapping[str, str] | None = None,
                info_path: str | None = None, folder: str | None = None) -> str:
    """``engine`` outside a sandbox; inside one, a launcher that runs it on the host."""
    info = flatpak_info(info_path)
    if info is None:
        return engine
    if not may_spawn_on_host(info):
        raise Blocked(blocked_message(app_id(info)))
    environ = os.environ if environ is None else environ
    uid = os.getuid() if hasattr(os, "getuid") else 0
    folder = folder or os.path.join(tempfile.gettempdir(), f"texnet-flatpak-{uid}")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    path = os.path.join(folder, "texnet")
    tmp = f"{path}.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(launcher_text(engine, environ))
    os.chmod(tmp, 0o700)
    os.replace(tmp, path)
    return path
