"""``texnet stylize``: render an image in the style of a stylization model."""

from __future__ import annotations

import click

from texturenet_plugin.limits import MAX_STRENGTH, StylizeOptions

from .app import App, common_options
from .options import IMAGE_PATH, SEED
from .speed_options import speed_options

DEFAULTS = StylizeOptions()


@click.command("stylize")
@click.argument("source", metavar="IN", type=IMAGE_PATH)
@click.option("--model", "model_ref", required=True, metavar="NAME|PATH",
              help="Style model name or .tnet file (see `texnet models list`).")
@click.option("-o", "--output", type=IMAGE_PATH, required=True)
@click.option("--strength", type=click.FloatRange(0, MAX_STRENGTH), default=DEFAULTS.strength,
              show_default=True, help="Noise magnitude k: 0 stays closest to the content, larger "
              "adds texture (paper Fig. 5).")
@click.option("--keep-colors", is_flag=True, help="Transfer luminance only; keep IN's colours.")
@click.option("--mask", type=IMAGE_PATH,
              help="Mask image of IN's size (grey or colour): white is stylized, black kept, grey "
              "blends.")
@click.option("--seed", type=SEED, default=DEFAULTS.seed, show_default=True)
@click.option("--max-pass-side", type=click.IntRange(256, 8192), default=DEFAULTS.max_pass_side,
              show_default=True, help="Larger images are stylized in tiles (bounded memory).")
@click.option("--overwrite", is_flag=True, help="Allow writing over an input file.")
@speed_options
@common_options
def stylize(app: App, source, model_ref, output, strength, keep_colors, mask, seed,
            max_pass_side, overwrite, precision):
    """Render the image IN in the style of a style model; the output has IN's exact size."""
    from texturenet_plugin.io.images import check_output
    from texturenet_plugin.synthesis.stylize import stylize_file
    from texturenet_plugin.zoo.cache import load_generator

    check_output(output, tuple(p for p in (source, mask) if p), overwrite)
    options = StylizeOptions(strength=strength, seed=seed, keep_colors=keep_colors,
                             max_pass_side=max_pass_side, precision=precision).validate()
    reporter = app.reporter()  # one progress renderer for the whole command
    _, gen = load_generator(model_ref, "style", app.device, reporter)
    stylize_file(gen, source, output, options, mask, reporter)
    app.result(output)
