"""``texnet fill``: a seamless tile, or the masked region of an image."""

from __future__ import annotations

import click

from texturenet_plugin.limits import DEFAULT_MODEL

from .app import App, common_options
from .fill_options import check_tile_only, image_fill_options
from .options import IMAGE_PATH, SEED, SIZE
from .speed_options import speed_options


@click.command("fill")
@click.option("--model", "model_ref", metavar="NAME|PATH", help="Model name (`texnet models "
              f"list` shows them) or .tnet file (default: the bundled {DEFAULT_MODEL!r}).")
@click.option("--tile", type=SIZE, default="512x512", show_default=True,
              help="Size of the seamless tile.")
@click.option("-o", "--output", type=IMAGE_PATH, required=True)
@click.option("--seed", type=SEED, default=0, show_default=True)
@click.option("--image", type=IMAGE_PATH,
              help="Fill the masked region of this image instead of making a tile.")
@click.option("--mask", type=IMAGE_PATH,
              help="Mask image (grey or colour; white is filled, black kept, grey blends), "
              "the size of --image.")
@click.option("--overwrite", is_flag=True, help="Allow writing over an input file.")
@image_fill_options
@speed_options
@common_options
def fill(app: App, model_ref, tile, output, seed, image, mask, overwrite, precision,
         **image_options):
    """Generate a seamless texture tile, or fill the masked region of --image.

    Models: `texnet models list` shows the ones on this machine (--model NAME)."""
    if (image is None) != (mask is None):
        raise click.UsageError("--image and --mask go together")
    import torch

    from texturenet_plugin.budget import check_scale
    from texturenet_plugin.io.images import check_output
    from texturenet_plugin.io.tilewrite import write_tile
    from texturenet_plugin.synthesis.canvas import scaled_tile
    from texturenet_plugin.synthesis.tile import validate_size
    from texturenet_plugin.zoo.cache import load_generator

    check_output(output, tuple(p for p in (image, mask) if p), overwrite)
    if image is not None:
        from .cmd_fill_image import fill_image

        return fill_image(app, model_ref, image, mask, output, seed, precision=precision,
                          **image_options)
    scale = image_options.pop("scale")
    check_tile_only(image_options)
    width, height = tile
    validate_size(width, height)
    check_scale(scale)
    reporter = app.reporter()  # one progress renderer for the whole command
    _, gen = load_generator(model_ref, "texture", app.device, reporter)
    with torch.inference_mode():
        pixels = scaled_tile(gen, width, height, seed, scale, reporter, precision)
    write_tile(pixels, output)  # PNG streamed: no second full-size copy
    app.result(output)
