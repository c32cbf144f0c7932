"""Reading and writing images for the engine, faithful to the artist's pixels.

A :class:`Picture` is (H, W, C) uint8 or uint16 pixels with C = 1 grey, 2 grey+alpha, 3 RGB or
4 RGBA, plus the ICC profile. 8- and 16-bit greyscale/RGB/RGBA PNG and TIFF, JPEG and WebP are
read and written; 16-bit colour PNG/TIFF, which Pillow truncates to 8 bits, go through
:mod:`.png` and :mod:`.tiff`. Declared sizes are checked before anything is decoded
(decompression bombs are refused with a clear error); EXIF orientation is applied; outputs are
written atomically (temp file + ``os.replace``) and never over an input unless asked.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable

import numpy as np
from PIL import Image, ImageOps

from ..errors import ImageError
from .atomic import atomic_file
from .png import needs_png16, read_png16, write_png16
from .tiff import is_tiff, read_tiff16, write_tiff16

# Pillow refuses images over twice its MAX_IMAGE_PIXELS (~179 Mpx, about 13400x13400) while
# opening; one limit for both checks keeps the message the same whichever fires first.
MAX_PIXELS = 2 * (Image.MAX_IMAGE_PIXELS or 89478485)
WRITE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF",
                 ".tiff": "TIFF", ".webp": "WEBP"}
PILLOW_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}
SAVE_PARAMS = {  # lossless where the format allows it, near-lossless JPEG otherwise
    # zlib level 1 with the run-length strategy (compress_type 3 = Z_RLE): 2048² tiles of
    # pebbles / leopard / sand in 213 / 207 / 214 ms against level 6's 687 / 484 / 495 ms, files
    # within 6 % of level 6's size (a 1024² stylized photo: 58 ms against 175 ms, and smaller).
    "PNG": {"compress_level": 1, "compress_type": 3},
    "JPEG": {"quality": 95, "subsampling": 0},
    "WEBP": {"lossless": True, "exact": True},
    "TIFF": {"compression": "tiff_deflate"},
}


@dataclass
class Picture:
    """``pixels``: (H, W, C) uint8|uint16, C = 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA."""

    pixels: np.ndarray
    icc_profile: bytes | None = None

    @property
    def height(self) -> int:
        return self.pixels.shape[0]

    @property
    def width(self) -> int:
        return self.pixels.shape[1]

    @property
    def channels(self) -> int:
        return self.pixels.shape[2]

    @property
    def has_alpha(self) -> bool:
        return self.channels in (2, 4)

    @property
    def bit_depth(self) -> int:
        return 16 if self.pixels.dtype == np.uint16 else 8

    @property
    def max_value(self) -> int:
        return 65535 if self.bit_depth == 16 else 255


def _open_checked(path: Path) -> Image.Image:
    """Open lazily and refuse huge declared sizes before any pixel is decoded."""
    if path.is_dir():
        raise ImageError(f"image {path} is a folder, not an image file; name an image file")
    if not path.is_file():
        raise ImageError(f"image {path} does not exist")
    too_big = (f"{path} declares {{}}, over the limit of {MAX_PIXELS} pixels "
               f"(about {int(MAX_PIXELS ** 0.5)}x{int(MAX_PIXELS ** 0.5)}); use a smaller image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path)
    except Image.DecompressionBombError as exc:
        raise ImageError(too_big.format("a size") + f" ({exc})") from exc
    except Exception as exc:
        raise ImageError(f"{path} is not a readable image ({exc})") from exc
    if image.width * image.height > MAX_PIXELS:
        raise ImageError(too_big.format(f"{image.width}x{image.height} pixels"))
    return image


def open_image(path: str | Path) -> Image.Image:
    """Open, check the declared size before decoding, apply EXIF orientation (8-bit view)."""
    path = Path(path)
    image = _open_checked(path)
    try:
        image.load()
    except Exception as exc:
        raise ImageError(f"{path} is not a readable image ({exc})") from exc
    return ImageOps.exif_transpose(image)


def orient(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """Apply EXIF orientation 1..8 to (H, W, C) pixels, as ``ImageOps.exif_transpose`` does."""
    ops = {
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1],
        5: lambda a: a.transpose(1, 0, 2),
        6: lambda a: np.rot90(a, -1),
        7: lambda a: np.rot90(a, 2).transpose(1, 0, 2),
        8: lambda a: np.rot90(a, 1),
    }
    op = ops.get(orientation)
    return pixels if op is None else np.ascontiguousarray(op(pixels))


def _orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(0x0112, 1))
    except Exception:  # unreadable EXIF must not make the pixels unreadable
        return 1


def _pillow_pixels(image: Image.Image, icc: bytes | None) -> tuple[np.ndarray, bytes | None]:
    """Decode through Pillow -> ((H, W, C) uint8|uint16, icc profile still valid or None)."""
    mode = image.mode
    if mode.startswith("I;16") or mode == "I":
        grey = np.asarray(image)
        return np.clip(grey, 0, 65535).astype(np.uint16)[..., None], icc
    if mode == "F":
        raise ImageError("32-bit float images are not supported; save the image as 8- or "
                         "16-bit")
    if mode in ("1", "L"):
        return np.asarray(image.convert("L"))[..., None], icc
    if mode in ("LA", "La"):
        return np.asarray(image.convert("LA")), icc
    if mode in ("RGBA", "RGBa", "PA") or (mode == "P" and "transparency" in image.info):
        return np.asarray(image.convert("RGBA")), icc
    if mode in ("CMYK", "LAB"):
        icc = None  # the profile describes the old colour space, not the converted RGB
    return np.asarray(image.convert("RGB")), icc


def _tiff_needs_tifffile(path: Path) -> bool:
    """16-bit TIFFs with more than one channel: Pillow truncates them or cannot open them."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                tags = image.tag_v2
                bits = tags.get(258, (8,))
                bits = bits[0] if isinstance(bits, tuple) else bits
                return bits == 16 and int(tags.get(277, 1)) >= 2
    except Image.DecompressionBombError:
        return False  # let _open_checked report it
    except Exception:
        return True  # e.g. 16-bit grey+alpha, which Pillow cannot identify


def read_picture(path: str | Path) -> Picture:
    """Read any supported image at its own bit depth and channel layout, EXIF-oriented."""
    path = Path(path)
    if path.is_file() and is_tiff(path) and _tiff_needs_tifffile(path):
        pixels, icc, orientation = read_tiff16(path, MAX_PIXELS)
        return Picture(orient(pixels, orientation), icc)
    image = _open_checked(path)
    icc = image.info.get("icc_profile") or None
    orientation = _orientation(image)
    try:
        if image.format == "PNG" and needs_png16(path):
            pixels = read_png16(path)
        else:
            image.load()
            pixels, icc = _pillow_pixels(image, icc)
    except ImageError:
        raise
    except Exception as exc:
        raise ImageError(f"{path} is not a readable image ({exc})") from exc
    return Picture(orient(pixels, orientation), icc)


def read_rgb(path: str | Path) -> np.ndarray:
    """(H, W, 3) float32 in [0, 1]; alpha is dropped, 16-bit keeps its precision."""
    picture = read_picture(path)
    colour = picture.pixels[..., : 3 if picture.channels >= 3 else 1]
    rgb = np.asarray(colour, dtype=np.float32) / picture.max_value
    return np.repeat(rgb, 3, axis=2) if rgb.shape[2] == 1 else rgb


def check_output(path: str | Path, inputs: tuple[str | Path, ...] = (),
                 overwrite: bool = False) -> Path:
    """Refuse unknown formats and writing over an input unless ``overwrite``."""
    path = Path(path)
    if path.is_dir():
        raise ImageError(f"output {path} is a folder; name a file, e.g. {path / 'out.png'}")
    if path.suffix.lower() not in WRITE_FORMATS:
        raise ImageError(
            f"output {path}: unknown format {path.suffix!r}; use one of "
            f"{', '.join(sorted(WRITE_FORMATS))}"
        )
    for source in inputs:
        if path.exists() and Path(source).exists() and os.path.samefile(path, source):
            if not overwrite:
                raise ImageError(f"output {path} is an input file; pass --overwrite to replace it")
    return path


def output_notes(path: str | Path, channels: int, bit_depth: int) -> list[str]:
    """What writing C channels at ``bit_depth`` to ``path`` would lose; raises where it can't.

    Call before computing, so impossible outputs fail fast.
    """
    path = Path(path)
    fmt = WRITE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ImageError(f"output {path}: unknown format {path.suffix!r}")
    if fmt == "JPEG" and channels in (2, 4):
        raise ImageError(f"output {path}: JPEG cannot store alpha; use .png, .tif or .webp")
    if bit_depth == 16 and fmt in ("JPEG", "WEBP"):
        return [f"{fmt} stores 8 bits per channel: the 16-bit result is reduced to 8 bits "
                "(use .png or .tif to keep 16 bits)"]
    return []


def to_8bit(pixels: np.ndarray) -> np.ndarray:
    """uint16 -> uint8 rounding to nearest (x/257); uint8 passes through."""
    if pixels.dtype == np.uint8:
        return pixels
    return ((pixels.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)


def _write_atomic(path: Path, write: Callable[[BinaryIO], None]) -> Path:
    """Call ``write`` on a temp file beside ``path``, then rename it into place."""
    if not path.parent.exists():
        raise ImageError(f"output folder {path.parent} does not exist")
    try:
        with atomic_file(path) as f:  # a named file: tifffile wants a path-like name
            write(f)
    except OSError as exc:
        raise ImageError(f"could not write {path} ({exc})") from exc
    return path


def save_atomic(image: Image.Image, path: str | Path, **params) -> Path:
    """Write a Pillow ``image`` atomically in the format of ``path``'s suffix, with the
    format's ``SAVE_PARAMS`` unless ``params`` override them."""
    path = Path(path)
    fmt = WRITE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ImageError(f"output {path}: unknown format {path.suffix!r}")
    params = {**SAVE_PARAMS.get(fmt, {}), **params}
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    return _write_atomic(path, lambda f: image.save(f, format=fmt, **params))


def write_picture(picture: Picture, path: str | Path) -> Path:
    """Write ``picture`` atomically, keeping its channels, bit depth and ICC profile where the
    format can (see :func:`output_notes` for what JPEG and WebP lose)."""
    path = Path(path)
    output_notes(path, picture.channels, picture.bit_depth)
    fmt = WRITE_FORMATS[path.suffix.lower()]
    pixels, icc = picture.pixels, picture.icc_profile
    if pixels.dtype == np.uint16 and fmt in ("PNG", "TIFF"):
        encode = write_png16 if fmt == "PNG" else write_tiff16
        return _write_atomic(path, lambda f: encode(f, np.ascontiguousarray(pixels), icc))
    pixels = to_8bit(pixels)
    if fmt == "WEBP" and pixels.shape[2] <= 2:  # WebP has no greyscale modes
        pixels = np.concatenate([np.repeat(pixels[..., :1], 3, axis=2), pixels[..., 1:]], 2)
    image = Image.fromarray(np.ascontiguousarray(pixels).squeeze(2) if pixels.shape[2] == 1
                            else np.ascontiguousarray(pixels), PILLOW_MODES[pixels.shape[2]])
    return save_atomic(image, path, **({"icc_profile": icc} if icc else {}))


def write_rgb(array: np.ndarray, path: str | Path) -> Path:
    """Write (H, W, 3) uint8 atomically in the format of ``path``'s suffix."""
    return save_atomic(Image.fromarray(array, "RGB"), path)
