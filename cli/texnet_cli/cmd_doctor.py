"""``texnet doctor``: what a bug report needs, and what is missing."""

from __future__ import annotations

import json
import platform
import shutil

import click

from texturenet_plugin import __version__, config, descriptors, registry


def checks() -> list[tuple[str, str]]:
    import torch

    rows = [
        ("texnet", __version__),
        ("python", platform.python_version()),
        ("torch", torch.__version__),
        ("cuda", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "not available"),
        ("cpu threads", str(torch.get_num_threads())),
        ("cache", str(config.cache_dir())),
        ("user data", str(config.data_dir())),
        ("offline", "yes" if config.offline() else "no"),
        ("texnet executable", shutil.which("texnet") or "not on PATH"),
    ]
    for name in descriptors.DESCRIPTORS:
        rows.append((f"descriptor {name}", "ok" if descriptors.available(name) else "missing"))
    rows.append(("models", ", ".join(m.name for m in registry.list_local()) or "none"))
    rows += plugin_rows()
    return rows


def plugin_rows() -> list[tuple[str, str]]:
    """Where each host plug-in would be installed, and which engine an installed one runs."""
    from .plugins_common import ENGINE_RECORD
    from .plugins_gimp import PLUGIN_NAME as GIMP_NAME, gimp_plugins_dir
    from .plugins_krita import PLUGIN_NAME as KRITA_NAME, pykrita_dir

    rows = []
    for host, folder in (("gimp", gimp_plugins_dir() / GIMP_NAME),
                         ("krita", pykrita_dir() / KRITA_NAME)):
        record = folder / ENGINE_RECORD
        if record.is_file():
            engine = json.loads(record.read_text(encoding="utf-8")).get("texnet")
            state = f"installed in {folder}, runs {engine}"
        else:
            state = f"not installed (texnet plugins install {host})"
        rows.append((f"plugin {host}", state))
    return rows


@click.command("doctor")
def doctor():
    """Report device, versions, cache, descriptors and models."""
    for key, value in checks():
        click.echo(f"{key:<22} {value}")
