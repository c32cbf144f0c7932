"""``texnet plugins install gimp|krita``: put a host adapter where its application looks.

Each host has an installer ``(dest: Path | None) -> Path`` in INSTALLERS; it copies the
adapter and records this environment's ``texnet`` beside it (docs/design.md §8).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from .plugins_common import ENGINE_RECORD
from .plugins_gimp import flatpak_steps, install_gimp
from .plugins_krita import install_krita

INSTALLERS = {
    "gimp": install_gimp,
    "krita": install_krita,
}


@click.group("plugins")
def plugins():
    """Install the GIMP and Krita plug-ins."""


@plugins.command("install")
@click.argument("host", type=click.Choice(sorted(INSTALLERS)))
@click.option("--dest", type=click.Path(file_okay=False, path_type=Path),
              help="gimp: a GIMP plug-ins folder to install into. krita: a Krita resource "
              "folder (the docker goes into DEST/pykrita/), or a pykrita folder itself. "
              "Default: the application's own user folder.")
def install(host, dest):
    """Copy the HOST plug-in into place and record which texnet it runs."""
    folder = INSTALLERS[host](dest)
    engine = json.loads((folder / ENGINE_RECORD).read_text(encoding="utf-8"))["texnet"]
    click.echo(f"installed the {host} plug-in in {folder}")
    click.echo(f"it runs {engine} (the TEXNET environment variable overrides this)", err=True)
    if host == "gimp":
        click.echo("next: restart GIMP, then use Filters › Render › Texture Fill…", err=True)
        for step in flatpak_steps(dest):
            click.echo(f"next: {step}", err=True)
