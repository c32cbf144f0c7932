"""``texnet doctor``: what a bug report needs, and what is missing."""

from __future__ import annotations

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
    return rows


@click.command("doctor")
def doctor():
    """Report device, versions, cache, descriptors and models."""
    for key, value in checks():
        click.echo(f"{key:<22} {value}")
