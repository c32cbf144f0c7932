"""Options of ``texnet fill`` that apply with ``--image`` (``--scale`` to tiles too;
defaults: ``FillOptions``)."""

from __future__ import annotations

import click

from texturenet_plugin.limits import SCALE_RANGE, FillOptions

DEFAULTS = FillOptions()


def image_fill_options(func):
    """--scale (tiles too), --feather, --layer-only, --match-colors."""
    options = [
        click.option("--scale", type=float, default=DEFAULTS.scale, show_default=True,
                     help="Texture element size relative to the canvas: 2 makes elements twice "
                     f"as large (bilinear resampling of the texture plane); "
                     f"{SCALE_RANGE[0]:g} to {SCALE_RANGE[1]:g}. A --tile stays seamless: it is "
                     "resampled from a periodic tile of about W/S x H/S px."),
        click.option("--feather", type=float, default=DEFAULTS.feather, show_default=True,
                     metavar="PX", help="Soften the mask edge by about this many pixels."),
        click.option("--layer-only", is_flag=True, default=DEFAULTS.layer_only,
                     help="Write only the new layer: RGBA, transparent outside the selection."),
        click.option("--match-colors", is_flag=True, default=DEFAULTS.match_colors,
                     help="Match the fill's colours to the pixels around the selection."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def check_tile_only(image_options: dict) -> None:
    """Refuse --image-only options on a tile, naming them."""
    used = [f"--{name.replace('_', '-')}" for name, value in image_options.items()
            if value != getattr(DEFAULTS, name)]
    if used:
        verb = "needs" if len(used) == 1 else "need"
        raise click.UsageError(f"{', '.join(used)} {verb} --image and --mask")
