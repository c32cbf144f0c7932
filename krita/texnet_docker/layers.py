"""Krita side of the adapter: document pixels and the selection to PNG files, and an engine
result back as a new paint layer. Needs the Krita API objects and PyQt5.QtGui; no event loop,
so kritarunner tests drive it directly (tests/apps/krita_runner.py).

Krita's 8- and 16-bit RGBA layers hand out pixels as B,G,R,A (native-endian channels); other
colour models and float depths go through a 16-bit RGBA copy converted by Krita itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from PyQt5.QtGui import QImage

from .adapter import (Settings, bytes_per_channel, fill_args, fill_request, learn_args,
                      stylize_args, stylize_request, swap_red_blue, tile_args, tile_size)
from .adapter import client

RGBA = "RGBA"
# Documents that are not 8/16-bit sRGB RGBA (float, linear, CMYK, grey, …) go through a copy
# in this space, converted by Krita's colour management, on the way out and in: the engine
# reads and writes sRGB pixels.
BRIDGE_DEPTH = "U16"
BRIDGE_PROFILE = "sRGB-elle-V2-srgbtrc.icc"


class LayerError(Exception):
    """Something about the document stops the operation; the message says what to do."""


@dataclass
class Job:
    """One engine run: its arguments, where the result lands, and how to insert it."""

    args: list[str]
    output: str
    layer_name: str
    request: dict | None = None  # the same work for the warm worker (None: no worker op)


def direct_bpc(model: str, depth: str, profile: str) -> int | None:
    """Bytes per channel when pixels can move without conversion, else None."""
    name = profile.lower()
    srgb = "srgb" in name and "g10" not in name and "linear" not in name
    return bytes_per_channel(depth) if model == RGBA and srgb else None


# ---------------------------------------------------------------- pixels -> PNG

def write_png(path: str, data: bytes, width: int, height: int, bpc: int) -> None:
    """Krita B,G,R,A bytes (1 or 2 bytes per channel) -> an RGBA PNG of 8 or 16 bits."""
    if bpc == 1:  # ARGB32 is B,G,R,A in memory on little-endian machines, as Krita's
        image = QImage(data, width, height, 4 * width, QImage.Format_ARGB32)
    else:
        rgba = swap_red_blue(data, 2)
        image = QImage(rgba, width, height, 8 * width, QImage.Format_RGBA64)
    if not image.save(path, "PNG"):
        raise LayerError(f"cannot write {path}; is the temporary folder writable?")


def write_mask(path: str, selection, width: int, height: int) -> None:
    """The selection as an 8-bit greyscale PNG of the canvas size (255 = selected)."""
    data = bytes(selection.pixelData(0, 0, width, height))
    image = QImage(data, width, height, width, QImage.Format_Grayscale8)
    if not image.save(path, "PNG"):
        raise LayerError(f"cannot write {path}; is the temporary folder writable?")


def export_pixels(doc, path: str, node=None) -> None:
    """The document's projection (or ``node``'s projection) as an RGBA PNG, 8 or 16 bits."""
    width, height = doc.width(), doc.height()
    bpc = direct_bpc(doc.colorModel(), doc.colorDepth(), doc.colorProfile())
    if bpc is not None:
        source = node if node is not None else doc
        reader = source.projectionPixelData if node is not None else source.pixelData
        write_png(path, bytes(reader(0, 0, width, height)), width, height, bpc)
        return
    copy = doc.clone()  # convert a throw-away copy; the user's document stays as it is
    try:
        copy.setColorSpace(RGBA, BRIDGE_DEPTH, BRIDGE_PROFILE)
        copy.waitForDone()
        target = _same_node(copy, node) if node is not None else None
        export_pixels(copy, path, target)
    finally:
        copy.close()


def _node_path(node) -> list[int]:
    path = []
    while node.parentNode() is not None:
        parent = node.parentNode()
        ids = [child.uniqueId() for child in parent.childNodes()]
        path.append(ids.index(node.uniqueId()))
        node = parent
    return path[::-1]


def _same_node(copy, node):
    """The node of ``copy`` at the position ``node`` has in its own document."""
    current = copy.rootNode()
    for index in _node_path(node):
        current = current.childNodes()[index]
    return current


# ---------------------------------------------------------------- PNG -> new layer

def read_png(path: str, width: int, height: int, bpc: int) -> bytes:
    """An engine result -> B,G,R,A bytes of the canvas size (larger images are cropped)."""
    image = QImage(path)
    if image.isNull():
        raise LayerError(f"the engine's result {path} is not a readable image")
    if image.width() < width or image.height() < height:
        raise LayerError(f"the engine's result is {image.width()}x{image.height()}, "
                         f"smaller than the {width}x{height} canvas")
    if (image.width(), image.height()) != (width, height):
        image = image.copy(0, 0, width, height)
    fmt = QImage.Format_ARGB32 if bpc == 1 else QImage.Format_RGBA64
    image = image.convertToFormat(fmt)
    bits = image.constBits()
    bits.setsize(image.bytesPerLine() * height)
    data = bytes(bits)
    return data if bpc == 1 else swap_red_blue(data, 2)


def insert_layer(doc, path: str, name: str, above=None):
    """A new paint layer from the PNG at ``path``, directly above ``above`` (the active layer
    when None) and made active; the layers below are not touched. Returns the new node."""
    width, height = doc.width(), doc.height()
    model, depth, profile = doc.colorModel(), doc.colorDepth(), doc.colorProfile()
    bpc = direct_bpc(model, depth, profile)
    data = read_png(path, width, height, bpc or bytes_per_channel(BRIDGE_DEPTH))
    above = above if above is not None else doc.activeNode()
    parent = above.parentNode() if above is not None else None
    parent = parent if parent is not None else doc.rootNode()
    layer = doc.createNode(name, "paintlayer")
    # Pixels and conversions happen before the layer joins the image, so adding it is the one
    # undo step (Ctrl+Z removes the whole result).
    if bpc is None:  # fill a 16-bit RGBA layer, then let Krita convert it to the document's space
        _convert(doc, layer, RGBA, BRIDGE_DEPTH, BRIDGE_PROFILE)
    layer.setPixelData(data, 0, 0, width, height)
    if bpc is None:
        _convert(doc, layer, model, depth, profile)
    if not parent.addChildNode(layer, above):
        raise LayerError("Krita refused the new layer; is the layer group locked?")
    doc.setActiveNode(layer)
    doc.refreshProjection()
    return layer


def _convert(doc, layer, model: str, depth: str, profile: str) -> None:
    layer.setColorSpace(model, depth, profile)
    doc.waitForDone()  # the conversion runs as a stroke
    if (layer.colorModel(), layer.colorDepth()) != (model, depth):
        raise LayerError(f"Krita could not convert the new layer to {model} {depth}; convert the "
                         "image to 8- or 16-bit RGBA (Image › Convert Image Color Space) and retry")


# ---------------------------------------------------------------- the three operations

def prepare_fill(doc, folder: str, settings: Settings) -> Job:
    """Export the image and the selection mask for ``texnet fill --image --mask``."""
    if not _has_selection(doc):
        raise LayerError("select the area to fill first (any selection tool)")
    selection = doc.selection()
    image, mask = os.path.join(folder, "image.png"), os.path.join(folder, "mask.png")
    export_pixels(doc, image)
    write_mask(mask, selection, doc.width(), doc.height())
    output = os.path.join(folder, "fill.png")
    return Job(fill_args(settings, image, mask, output), output, _layer_name("Texture", settings),
               fill_request(settings, image, mask, output))


def prepare_tile(doc, folder: str, settings: Settings) -> Job:
    """A seamless tile of the canvas size for ``texnet fill --tile``."""
    output = os.path.join(folder, "tile.png")
    args = tile_args(settings, doc.width(), doc.height(), output)
    request = client.tile_request(tile_size(doc.width(), doc.height(), settings), output,
                                  settings.model, settings.seed, settings.scale)
    return Job(args, output, _layer_name("Tile", settings), request)  # read_png crops


def prepare_stylize(doc, folder: str, settings: Settings, node=None) -> Job:
    """Export the active layer (or ``node``) for ``texnet stylize``."""
    node = node if node is not None else doc.activeNode()
    if node is None:
        raise LayerError("pick the layer to stylize in the Layers docker")
    image = os.path.join(folder, "layer.png")
    export_pixels(doc, image, node)
    mask = None
    if _has_selection(doc):  # stylize only the selection (soft edges blend)
        mask = os.path.join(folder, "mask.png")
        write_mask(mask, doc.selection(), doc.width(), doc.height())
    output = os.path.join(folder, "stylized.png")
    name = f"Stylized: {_model_label(settings)} (strength {settings.strength:g})"
    return Job(stylize_args(settings, image, output, mask), output, name,
               stylize_request(settings, image, output, mask))


def prepare_learn(doc, folder: str, name: str, preset: str, iterations: int = 0,
                  exemplar_scale: float = 1.0) -> Job:
    """Export the image and the selection for ``texnet train texture IMAGE --mask``: the
    texture is learnt from the selected pixels only."""
    if not _has_selection(doc):
        raise LayerError("select the region to learn the texture from first")
    image, mask = os.path.join(folder, "image.png"), os.path.join(folder, "mask.png")
    export_pixels(doc, image)
    write_mask(mask, doc.selection(), doc.width(), doc.height())
    args = learn_args(image, mask, name, preset, iterations or None, exemplar_scale)
    return Job(args, "", args[args.index("--name") + 1])


def finish(doc, job: Job, above=None):
    """Insert the engine's result as a new layer; returns it."""
    return insert_layer(doc, job.output, job.layer_name, above)


def _has_selection(doc) -> bool:
    selection = doc.selection()
    return selection is not None and selection.width() > 0 and selection.height() > 0


def _model_label(settings: Settings) -> str:
    """The model's name; a .tnet path shows as its file stem."""
    model = settings.model or "default"
    return os.path.splitext(os.path.basename(model))[0] if model.endswith(".tnet") else model


def _layer_name(what: str, settings: Settings) -> str:
    return f"{what}: {_model_label(settings)} (seed {settings.seed})"
