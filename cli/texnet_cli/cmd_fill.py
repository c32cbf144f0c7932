"""``texnet fill``: a seamless tile, or the masked region of an image."""

from __future__ import annotations

import click

from texturenet_plugin.errors import InputError
from texturenet_plugin.limits import DEFAULT_MODEL

from .app import App, common_options
from .fill_options import check_tile_only, image_fill_options
from .options import IMAGE_PATH, SEED, SIZE
from .speed_options import speed_options


def load_generator(app: App, ref: str | None):
    """Resolve a model name or path (pulling it when the zoo knows it) and build it."""
    from texturenet_plugin import registry, zoo  # local imports: keep `--help` fast
    from texturenet_plugin.device import resolve_device

    reporter = app.reporter()
    path = zoo.ensure_model(DEFAULT_MODEL if ref is None else ref, reporter)  # "" is refused
    model = registry.load_model(path)
    if model.kind != "texture":
        raise InputError(
            f"model {model.name or path} is a {model.kind} model; use `texnet stylize`")
    return model, model.build(resolve_device(app.device))


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

    from texturenet_plugin.canvas import scaled_tile, validate_scale
    from texturenet_plugin.images import check_output
    from texturenet_plugin.synthesis import validate_size
    from texturenet_plugin.tilewrite import write_tile

    check_output(output, tuple(p for p in (image, mask) if p), overwrite)
    if image is not None:
        from .cmd_fill_image import fill_image

        return fill_image(app, model_ref, image, mask, output, seed, precision=precision,
                          **image_options)
    scale = image_options.pop("scale")
    check_tile_only(image_options)
    width, height = tile
    validate_size(width, height)
    validate_scale(scale)
    _, gen = load_generator(app, model_ref)
    with torch.inference_mode():
        pixels = scaled_tile(gen, width, height, seed, scale, app.reporter(), precision)
    write_tile(pixels, output)  # PNG streamed: no second full-size copy
    app.result(output)
