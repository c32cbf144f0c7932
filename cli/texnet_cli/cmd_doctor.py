"""``texnet doctor``: what a bug report needs, and what is missing."""

from __future__ import annotations

import json
import os
import platform
import shutil

import click

from texturenet_plugin import __version__, env

CPU_INDEX = "https://download.pytorch.org/whl/cpu"  # PyTorch's own index of CPU-only wheels


def checks() -> list[tuple[str, str]]:
    import torch

    from texturenet_plugin.zoo import descriptor_weights, local

    rows = [
        ("texnet", __version__),
        ("python", platform.python_version()),
        ("torch", f"{torch.__version__} ({torch_build(torch)})"),
        ("cuda", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "not available"),
        *torch_hint(torch),
        ("cpu threads", str(torch.get_num_threads())),
        *path_rows(),
        ("offline", "yes" if env.offline() else "no"),
        ("texnet executable", shutil.which("texnet") or "not on PATH"),
    ]
    for name in descriptor_weights.DESCRIPTORS:
        state = "ok" if descriptor_weights.available(name) else "missing"
        rows.append((f"descriptor {name}", state))
    rows.append(("models", ", ".join(m.name for m in local.list_local()) or "none"))
    rows += plugin_rows()
    return rows


def torch_build(torch) -> str:
    """Which torch wheel is installed: CUDA, ROCm or CPU-only."""
    if torch.version.cuda:
        return f"CUDA {torch.version.cuda} build"
    if getattr(torch.version, "hip", None):
        return f"ROCm {torch.version.hip} build"
    return "CPU-only build"


def torch_hint(torch) -> list[tuple[str, str]]:
    """A GPU build without a GPU costs gigabytes for nothing: say how to swap it."""
    if not torch.version.cuda or torch.cuda.is_available():
        return []
    return [("torch hint", "no GPU here: the CPU-only build (roughly 1 GB on disk instead of "
             "about 5 GB with its nvidia-* wheels; README, Install) runs texnet the same: "
             f"pip install torch torchvision --index-url {CPU_INDEX}")]


def path_rows() -> list[tuple[str, str]]:
    """Where texnet keeps files (README, Where files go); TEXNET_HOME moves all of them."""
    return [
        ("TEXNET_HOME", os.environ.get("TEXNET_HOME") or "not set (platform folders)"),
        ("cache", str(env.cache_dir())),
        ("downloaded models", str(env.models_cache_dir())),
        ("descriptor weights", str(env.descriptors_dir())),
        ("user data", str(env.data_dir())),
        ("your models", str(env.user_models_dir())),
        ("training runs", str(env.runs_dir())),
        ("config file", str(env.config_file())),
    ]


def plugin_rows() -> list[tuple[str, str]]:
    """Where each host plug-in would be installed, and which engine an installed one runs."""
    from .plugins_common import ENGINE_RECORD
    from .plugins_gimp import PLUGIN_NAME as GIMP_NAME
    from .plugins_gimp import gimp_plugins_dir
    from .plugins_krita import PLUGIN_NAME as KRITA_NAME
    from .plugins_krita import pykrita_dir

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
    """Report versions (and which torch build), device, where files go, descriptors, models
    and plug-ins: what a bug report needs."""
    for key, value in checks():
        click.echo(f"{key:<22} {value}")
