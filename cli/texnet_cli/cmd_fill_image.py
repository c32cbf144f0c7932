"""``texnet fill --image IN --mask MASK``: fill a selection of an image with texture."""

from __future__ import annotations

from pathlib import Path

import torch

from texturenet_plugin.io.images import output_notes, read_picture, write_picture
from texturenet_plugin.synthesis.fill import FillOptions, fill_selection

from .app import App


def fill_image(app: App, model_ref: str | None, image: Path, mask: Path, output: Path,
               seed: int, *, scale: float = FillOptions.scale,
               feather: float = FillOptions.feather, layer_only: bool = FillOptions.layer_only,
               match_colors: bool = FillOptions.match_colors,
               precision: str = FillOptions.precision) -> None:
    """Read, check everything, load the model, fill, write atomically, announce the result."""
    from texturenet_plugin.zoo.cache import load_generator

    # scale and feather in range before any image is read (issue 17, F1, F17)
    options = FillOptions(seed, scale, feather, layer_only, match_colors, precision).validate()
    reporter = app.reporter()
    reporter.report("load", 0, 2, f"reading {image.name}")
    picture = read_picture(image)
    reporter.report("load", 1, 2, f"reading {mask.name}")
    selection_mask = read_picture(mask)
    channels = 4 if layer_only else picture.channels
    notes = output_notes(output, channels, picture.bit_depth)
    _, gen = load_generator(model_ref, "texture", app.device, reporter)
    with torch.inference_mode():
        result = fill_selection(gen, picture, selection_mask, options, reporter)
    for note in notes + result.notes:
        app.info(f"note: {note}")
    write_picture(result.picture, output)
    app.result(output)
