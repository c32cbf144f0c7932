"""16-bit TIFF with more than one channel, through ``tifffile`` (Pillow truncates it to 8 bits).

tifffile is pure Python + numpy. It decodes uncompressed, Deflate, PackBits, LZMA and Zstd
strips itself; LZW- or JPEG-compressed 16-bit colour TIFFs additionally need ``imagecodecs``
(the error says so). Output is Deflate-compressed with unassociated alpha.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..errors import ImageError

ASSOCIATED_ALPHA = 1


def is_tiff(path: str | Path) -> bool:
    with open(path, "rb") as f:
        return f.read(4) in (b"II*\0", b"MM\0*", b"II+\0", b"MM\0+")


def read_tiff16(path: str | Path, max_pixels: int) -> tuple[np.ndarray, bytes | None, int]:
    """First page of a TIFF -> ((H, W, C) uint16, ICC profile, EXIF orientation 1..8).

    The declared size is checked against ``max_pixels`` before anything is decoded; associated
    (premultiplied) alpha is converted to straight alpha.
    """
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            page = tif.pages[0]
            _check_size(path, page, max_pixels)
            icc = page.tags.valueof(34675)
            orientation = int(page.tags.valueof(274) or 1)
            pixels = page.asarray()
            planar = page.planarconfig == tifffile.PLANARCONFIG.SEPARATE
            extras = tuple(page.extrasamples or ())
    except ImageError:
        raise
    except Exception as exc:
        hint = ""
        if "imagecodecs" in str(exc):
            hint = "; `pip install imagecodecs` adds LZW/JPEG, or save the TIFF with Deflate"
        raise ImageError(f"{path}: cannot decode this 16-bit TIFF ({exc}){hint}") from exc
    if planar and pixels.ndim == 3:
        pixels = np.moveaxis(pixels, 0, -1)
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    if pixels.ndim != 3 or pixels.dtype != np.uint16 or pixels.shape[2] > 4:
        raise ImageError(f"{path}: unsupported TIFF layout {pixels.dtype} {pixels.shape}; "
                         "save it as 8- or 16-bit greyscale, RGB or RGBA")
    if extras and extras[0] == ASSOCIATED_ALPHA and pixels.shape[2] in (2, 4):
        pixels = unpremultiply(pixels)
    return np.ascontiguousarray(pixels), (bytes(icc) if icc else None), orientation


def _check_size(path: str | Path, page, max_pixels: int) -> None:
    height, width = page.imagelength, page.imagewidth
    if width * height > max_pixels:
        raise ImageError(f"{path} declares {width}x{height} pixels, over the limit of "
                         f"{max_pixels} pixels; use a smaller image")


def unpremultiply(pixels: np.ndarray) -> np.ndarray:
    """(H, W, C) uint16 with premultiplied colour and alpha last -> straight colour."""
    colour = pixels[..., :-1].astype(np.float64)
    alpha = pixels[..., -1:].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        straight = np.where(alpha > 0, colour * 65535.0 / alpha, 0.0)
    out = pixels.copy()
    out[..., :-1] = np.clip(np.rint(straight), 0, 65535).astype(np.uint16)
    return out


def write_tiff16(f: BinaryIO, pixels: np.ndarray, icc_profile: bytes | None = None) -> None:
    """Encode (H, W, C) uint16, C in 1..4, as a Deflate TIFF into the open binary file ``f``."""
    import tifffile

    channels = pixels.shape[2]
    photometric = "rgb" if channels >= 3 else "minisblack"
    data = pixels[..., 0] if channels == 1 else pixels
    tifffile.imwrite(
        f, data, photometric=photometric, planarconfig="contig",
        extrasamples=("unassalpha",) if channels in (2, 4) else None,
        compression="zlib", iccprofile=icc_profile or None, metadata=None,
    )
