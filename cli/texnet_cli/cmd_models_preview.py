"""``texnet models preview``: the preview thumbnails stored in model files, as PNG files.

Host plug-ins show them in their model pickers (one call for all models, so torch is imported
once). Prints ``{"name": "/abs/NAME.png", ...}`` on stdout.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from texturenet_plugin.errors import InputError

from .app import echo_json

if TYPE_CHECKING:
    import numpy as np

# Models saved without a preview get a sample of this size (texture models only).
SAMPLE_SIDE = 128


def preview_pixels(model) -> np.ndarray | None:
    """(H, W, 3) uint8: the stored preview, else a small sample of a texture model, else None."""
    import torch

    preview = model.meta.get("preview")
    if isinstance(preview, torch.Tensor) and preview.dim() == 3 and preview.shape[-1] == 3:
        return preview.to(torch.uint8).cpu().numpy()
    if model.kind != "texture":
        return None
    from texturenet_plugin.progress import Reporter
    from texturenet_plugin.synthesis.tile import sample_tile

    with torch.inference_mode():
        return sample_tile(model.build("cpu"), SAMPLE_SIDE, SAMPLE_SIDE, 0,
                           Reporter(lambda _p: None))


@click.command("preview")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path),
              required=True, help="Folder to write NAME.png files into (created if needed).")
def preview(names, folder):
    """Write the preview of each named model (default: every local model) to DIR/NAME.png.

    Prints a JSON object {"NAME": "/absolute/DIR/NAME.png", ...} on stdout (style models
    saved without a preview are left out). The GIMP and Krita plug-ins show these thumbnails
    in their model pickers."""
    from texturenet_plugin.io.images import write_rgb
    from texturenet_plugin.zoo import local

    names = names or tuple(entry.name for entry in local.list_local())
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {folder}: {exc}; pick another --dir") from exc
    written = {}
    for name in names:
        pixels = preview_pixels(local.load(local.validate_name(name)))
        if pixels is not None:
            written[name] = str(write_rgb(pixels, folder / f"{name}.png").resolve())
    echo_json(written)
