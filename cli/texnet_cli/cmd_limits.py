"""``texnet limits --json``: the ranges and defaults the engine accepts, for the plug-in dialogs
(docs/design.md, "The client"). Torch-free: it answers at once."""

from __future__ import annotations

import json

import click

from texturenet_plugin import __version__
from texturenet_plugin.limits import (DEFAULT_MODEL, EXEMPLAR_SCALE_RANGE, MAX_STRENGTH,
                                      ONE_PASS_MAX_PIXELS, SCALE_RANGE, FillOptions,
                                      StylizeOptions)


def limits_table() -> dict:
    """Every limit a front needs; the engine checks the same values (texturenet_plugin.limits)."""
    fill, style = FillOptions(), StylizeOptions()
    return {
        "version": __version__,
        "scale": {"min": SCALE_RANGE[0], "max": SCALE_RANGE[1], "default": fill.scale},
        "strength": {"min": 0.0, "max": MAX_STRENGTH, "default": style.strength},
        "exemplar_scale": {"min": EXEMPLAR_SCALE_RANGE[0], "max": EXEMPLAR_SCALE_RANGE[1],
                           "default": 1.0},
        "one_pass_max_pixels": ONE_PASS_MAX_PIXELS,
        "default_model": DEFAULT_MODEL,
    }


@click.command("limits")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable, on stdout.")
def limits(as_json):
    """The ranges and defaults the engine accepts (what the plug-in dialogs offer)."""
    table = limits_table()
    if as_json:
        click.echo(json.dumps(table, indent=2, sort_keys=True))
        return
    click.echo(f"scale        {table['scale']['min']:g} .. {table['scale']['max']:g}")
    click.echo(f"strength     0 .. {table['strength']['max']:g}")
    click.echo(f"element size {EXEMPLAR_SCALE_RANGE[0]:g} .. {EXEMPLAR_SCALE_RANGE[1]:g} "
               "(texnet train texture --exemplar-scale)")
    click.echo(f"tile         any size up to {ONE_PASS_MAX_PIXELS} pixels; larger tiles need "
               "sides on the model's lattice (`texnet models info NAME`: arch.scales)")
    click.echo(f"model        {DEFAULT_MODEL} by default")
