"""What every host plug-in installer shares: which ``texnet`` to record, and copying a plug-in
folder into place (docs/design.md §8: the adapter finds the engine through the recorded path)."""

from __future__ import annotations

import json
import os
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

from texturenet_plugin.errors import InputError

# The file each adapter reads beside itself: {"texnet": "/abs/path/to/texnet"}.
ENGINE_RECORD = "texnet-engine.json"
# The shared, standard-library-only client, copied into every plug-in folder.
CLIENT_SOURCE = Path(__file__).resolve().parent / "texnet_client"


def _script_name() -> str:
    return "texnet.exe" if os.name == "nt" else "texnet"


def engine_path() -> Path:
    """Absolute path of this environment's ``texnet`` console script.

    Looks in this interpreter's scripts folders first (so a plug-in always runs the engine
    that installed it), then ``sys.argv[0]``, then PATH.
    """
    candidates = [Path(sys.executable).parent / _script_name()]
    for scheme in (None, f"{os.name}_user"):
        try:
            folder = sysconfig.get_path("scripts", scheme) if scheme else sysconfig.get_path(
                "scripts")
        except KeyError:
            continue
        candidates.append(Path(folder) / _script_name())
    if Path(sys.argv[0]).name.startswith("texnet"):
        candidates.append(Path(sys.argv[0]))
    which = shutil.which("texnet")
    if which:
        candidates.append(Path(which))
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return path.resolve()
    raise InputError("cannot find the `texnet` executable of this environment; "
                     "reinstall with `pip install texnet` and run this command again")


def install_folder(source: Path, dest_parent: Path, name: str, engine: Path,
                   executables: tuple[str, ...] = ()) -> Path:
    """Copy ``source`` to ``dest_parent/name`` (replacing an older copy) with the shared client
    ``texnet_client/`` inside, mark ``executables`` (names inside it) 0755, and record
    ``engine`` in ENGINE_RECORD. Returns the new folder."""
    if dest_parent.exists() and not dest_parent.is_dir():
        raise InputError(f"--dest {dest_parent} is a file; give a folder")
    try:
        dest_parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=dest_parent))
        shutil.copytree(source, staging / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        shutil.copytree(CLIENT_SOURCE, staging / name / CLIENT_SOURCE.name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        for exe in executables:
            (staging / name / exe).chmod(0o755)
        record = {"texnet": str(engine)}
        (staging / name / ENGINE_RECORD).write_text(json.dumps(record, indent=2) + "\n",
                                                    encoding="utf-8")
        target = dest_parent / name
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging / name, target)
        shutil.rmtree(staging, ignore_errors=True)
    except OSError as exc:
        raise InputError(f"cannot install into {dest_parent}: {exc}; "
                         "pick a writable folder with --dest") from exc
    return target
