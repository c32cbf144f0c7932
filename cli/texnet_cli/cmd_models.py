"""``texnet models``: list, inspect and remove models."""

from __future__ import annotations

import click

from texturenet_plugin import config, registry
from texturenet_plugin.errors import InputError
from texturenet_plugin.modelfile import load_model

from .app import echo_json


@click.group("models")
def models():
    """List, inspect and manage models."""


def describe(entry: registry.LocalModel) -> dict:
    model = load_model(entry.path)
    meta = model.meta
    return {
        "name": entry.name, "kind": model.kind, "where": entry.where, "path": str(entry.path),
        "title": meta.get("title", entry.name), "license": meta.get("license", ""),
        "source": meta.get("source", ""), "descriptor": meta.get("descriptor", ""),
        "bytes": entry.path.stat().st_size,
    }


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable list on stdout.")
def list_models(as_json):
    """Models on this machine (bundled, trained by you, downloaded)."""
    rows = [describe(entry) for entry in registry.list_local()]
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        click.echo(f"{row['name']:<24} {row['kind']:<8} {row['where']:<8} {row['title']}")


@models.command("info")
@click.argument("name")
def info(name):
    """Everything stored about a model (JSON)."""
    model = registry.load(name)
    meta = {k: v for k, v in model.meta.items() if k != "preview"}
    echo_json({"kind": model.kind, "arch": model.spec.to_dict(), "meta": meta,
               "path": str(registry.resolve(name))})


@models.command("rm")
@click.argument("name")
def rm(name):
    """Remove a downloaded or user-trained model (bundled ones cannot be removed)."""
    path = registry.find_local(registry.validate_name(name))
    if path is None:
        raise InputError(f"no model named {name!r} on this machine")
    if path.parent == registry.bundled_dir():
        raise InputError(f"{name!r} is bundled with texnet and cannot be removed")
    path.unlink()
    click.echo(f"removed {path}", err=True)


@models.command("path")
def path():
    """Where downloaded and user-trained models live."""
    click.echo(f"cache: {config.models_cache_dir()}")
    click.echo(f"user:  {config.user_models_dir()}")
