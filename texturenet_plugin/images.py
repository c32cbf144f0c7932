"""Reading and writing images for the engine (Pillow).

Decompression bombs are refused with a clear error; EXIF orientation is honoured; outputs are
written atomically (temp file + ``os.replace``) and never over an input unless asked.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from .errors import ImageError

MAX_PIXELS = 20000 * 20000
WRITE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF",
                 ".tiff": "TIFF", ".webp": "WEBP"}


def open_image(path: str | Path) -> Image.Image:
    """Open, check the declared size before decoding, apply EXIF orientation."""
    path = Path(path)
    if not path.is_file():
        raise ImageError(f"image {path} does not exist")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
            if image.width * image.height > MAX_PIXELS:
                raise ImageError(
                    f"{path} declares {image.width}x{image.height} pixels, over the limit of "
                    f"{MAX_PIXELS} pixels"
                )
            image.load()
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"{path} is too large to decode safely ({exc})") from exc
    except Exception as exc:
        raise ImageError(f"{path} is not a readable image ({exc})") from exc
    return ImageOps.exif_transpose(image)


def read_rgb(path: str | Path) -> np.ndarray:
    """(H, W, 3) float32 in [0, 1]; alpha is dropped, 16-bit greyscale keeps its precision."""
    image = open_image(path)
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        grey = np.asarray(image, dtype=np.float32) / 65535.0
        return np.repeat(grey[..., None], 3, axis=2).clip(0, 1)
    return np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0


def check_output(path: str | Path, inputs: tuple[str | Path, ...] = (),
                 overwrite: bool = False) -> Path:
    """Refuse unknown formats and writing over an input unless ``overwrite``."""
    path = Path(path)
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


def save_atomic(image: Image.Image, path: str | Path, **params) -> Path:
    """Write ``image`` to a temp file beside ``path``, then rename it into place."""
    path = Path(path)
    fmt = WRITE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ImageError(f"output {path}: unknown format {path.suffix!r}")
    if not path.parent.exists():
        raise ImageError(f"output folder {path.parent} does not exist")
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        image.save(tmp, format=fmt, **params)
        os.replace(tmp, path)
    except OSError as exc:
        raise ImageError(f"could not write {path} ({exc})") from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_rgb(array: np.ndarray, path: str | Path) -> Path:
    """Write (H, W, 3) uint8 atomically in the format of ``path``'s suffix."""
    return save_atomic(Image.fromarray(array, "RGB"), path)
