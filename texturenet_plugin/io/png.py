"""16-bit PNG with more than one channel, which Pillow reads and writes only at 8 bits.

Decoding uses libpng through ``torchvision.io.decode_png`` (torchvision is already a
dependency); encoding is a small numpy + zlib writer (Sub filter, streamed in bands of rows so
memory stays bounded). Greyscale 16-bit PNG goes through Pillow ("I;16") as usual.
"""

from __future__ import annotations

import struct
import warnings
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..errors import ImageError

SIGNATURE = b"\x89PNG\r\n\x1a\n"
COLOUR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> PNG colour type (grey, grey+A, RGB, RGBA)
BAND_ROWS = 256


def png_header(path: str | Path) -> tuple[int, int] | None:
    """(bit depth, colour type) from the IHDR chunk, or None when ``path`` is not a PNG."""
    with open(path, "rb") as f:
        head = f.read(26)
    if len(head) < 26 or not head.startswith(SIGNATURE) or head[12:16] != b"IHDR":
        return None
    return head[24], head[25]


def needs_png16(path: str | Path) -> bool:
    """True for 16-bit PNGs with colour or alpha (Pillow would truncate them to 8 bits)."""
    header = png_header(path)
    return header is not None and header[0] == 16 and header[1] in (2, 4, 6)


def read_png16(path: str | Path) -> np.ndarray:
    """Decode a 16-bit PNG -> (H, W, C) uint16 with C = 2 (grey+alpha), 3 or 4 channels."""
    import torch

    try:
        with warnings.catch_warnings():  # torchvision 0.29 announces a move of its decoders
            warnings.simplefilter("ignore", DeprecationWarning)
            from torchvision.io import ImageReadMode, decode_png
    except ImportError:  # a torchvision without image decoding: the slower numpy decoder
        return decode_png16_numpy(Path(path).read_bytes(), path)
    data = torch.frombuffer(bytearray(Path(path).read_bytes()), dtype=torch.uint8)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            decoded = decode_png(data, ImageReadMode.UNCHANGED)
    except RuntimeError as exc:
        raise ImageError(f"{path} is not a readable 16-bit PNG ({exc})") from exc
    # Older torchvision returns int32 for 16-bit data; the values fit uint16 either way.
    return decoded.permute(1, 2, 0).numpy().astype(np.uint16, copy=False)


def _chunks(data: bytes):
    pos = len(SIGNATURE)
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        yield data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length


def _unfilter_row(kind: int, row: np.ndarray, prior: np.ndarray, bpp: int) -> np.ndarray:
    """Undo one PNG filter on a uint8 row (Average and Paeth walk the row pixel by pixel)."""
    if kind == 0:
        return row
    if kind == 2:
        return row + prior
    if kind == 1:  # running sum along the row, per byte position within a pixel
        sums = np.cumsum(row.reshape(-1, bpp).astype(np.int64), axis=0)
        return (sums & 0xFF).astype(np.uint8).reshape(-1)
    out = row.astype(np.int32)
    up = prior.astype(np.int32)
    for i in range(len(out)):
        left = out[i - bpp] if i >= bpp else 0
        if kind == 3:
            out[i] = (out[i] + ((left + up[i]) >> 1)) & 0xFF
        elif kind == 4:
            upleft = up[i - bpp] if i >= bpp else 0
            p = left + up[i] - upleft
            pa, pb, pc = abs(p - left), abs(p - up[i]), abs(p - upleft)
            pred = left if pa <= pb and pa <= pc else (up[i] if pb <= pc else upleft)
            out[i] = (out[i] + pred) & 0xFF
        else:
            raise ValueError(f"unknown PNG filter type {kind}")
    return out.astype(np.uint8)


def decode_png16_numpy(data: bytes, name: str | Path = "PNG") -> np.ndarray:
    """Fallback decoder for non-interlaced 16-bit PNG -> (H, W, C) uint16. Correct but slow
    on large files filtered with Average/Paeth (a Python loop per pixel)."""
    chunks = list(_chunks(data))
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    channels = {v: k for k, v in COLOUR_TYPES.items()}.get(colour)
    if depth != 16 or channels is None or interlace:
        raise ImageError(f"{name}: only non-interlaced 16-bit PNG is supported without "
                         "torchvision's decoder; re-save the image without interlacing")
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    stride, bpp = width * channels * 2, channels * 2
    rows = np.frombuffer(raw, np.uint8)[: height * (stride + 1)].reshape(height, stride + 1)
    out = np.empty((height, stride), np.uint8)
    prior = np.zeros(stride, np.uint8)
    for y in range(height):
        prior = out[y] = _unfilter_row(int(rows[y, 0]), rows[y, 1:], prior, bpp)
    return out.view(">u2").astype(np.uint16).reshape(height, width, channels)


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _sub_filter(rows: np.ndarray, bpp: int) -> bytes:
    """PNG filter type 1 (Sub) on (n, rowbytes) uint8 rows, each prefixed by its filter byte."""
    filtered = rows.copy()
    filtered[:, bpp:] -= rows[:, :-bpp]  # uint8 arithmetic wraps modulo 256, as PNG wants
    out = np.empty((rows.shape[0], rows.shape[1] + 1), dtype=np.uint8)
    out[:, 0] = 1
    out[:, 1:] = filtered
    return out.tobytes()


def write_png16(f: BinaryIO, pixels: np.ndarray, icc_profile: bytes | None = None,
                level: int = 6) -> None:
    """Encode (H, W, C) uint16, C in 1..4, as a 16-bit PNG into the open binary file ``f``."""
    if pixels.dtype != np.uint16 or pixels.ndim != 3 or pixels.shape[2] not in COLOUR_TYPES:
        raise ValueError(f"write_png16 needs (H, W, 1..4) uint16, got {pixels.dtype} "
                         f"{pixels.shape}")
    height, width, channels = pixels.shape
    f.write(SIGNATURE)
    f.write(_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16,
                                        COLOUR_TYPES[channels], 0, 0, 0)))
    if icc_profile:
        f.write(_chunk(b"iCCP", b"ICC profile\0\0" + zlib.compress(icc_profile)))
    packer = zlib.compressobj(level)
    for top in range(0, height, BAND_ROWS):
        band = pixels[top : top + BAND_ROWS].astype(">u2").view(np.uint8)
        data = packer.compress(_sub_filter(band.reshape(band.shape[0], -1), 2 * channels))
        if data:
            f.write(_chunk(b"IDAT", data))
    f.write(_chunk(b"IDAT", packer.flush()))
    f.write(_chunk(b"IEND", b""))
