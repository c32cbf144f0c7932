"""Options of ``texnet fill`` that only apply with ``--image`` (defaults: ``FillOptions``)."""

from __future__ import annotations

import click

from texturenet_plugin.fill import FillOptions

DEFAULTS = FillOptions()


def image_fill_options(func):
    """--scale, --feather, --layer-only, --match-colors."""
    options = [
        click.option("--scale", type=float, default=DEFAULTS.scale, show_default=True,
                     help="Texture element size relative to the canvas: 2 makes elements twice "
                     "as large (bilinear resampling of the texture plane)."),
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
        raise click.UsageError(f"{', '.join(used)} need --image and --mask")
