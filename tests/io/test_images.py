"""Image fidelity: bit depths, channels, alpha, ICC, EXIF orientation, bombs, atomic writes."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
import tifffile
from PIL import Image, ImageCms, ImageOps

from texturenet_plugin.errors import ImageError
from texturenet_plugin.io import images
from texturenet_plugin.io.images import (
    Picture,
    check_output,
    orient,
    output_notes,
    read_picture,
    read_rgb,
    write_picture,
)

SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def random_pixels(channels: int, dtype, shape=(7, 9), seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, np.iinfo(dtype).max + 1, (*shape, channels)).astype(dtype)


def png_bytes(width: int, height: int, depth: int, colour: int, raw: bytes) -> bytes:
    """A PNG assembled by hand (filter 0 rows), independent of the writer under test."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


@pytest.mark.parametrize("ext", ["png", "tif"])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_lossless_round_trip_keeps_depth_channels_and_icc(tmp_path, ext, dtype, channels):
    pixels = random_pixels(channels, dtype)
    path = write_picture(Picture(pixels, SRGB), tmp_path / f"x.{ext}")
    back = read_picture(path)
    assert back.pixels.dtype == dtype
    np.testing.assert_array_equal(back.pixels, pixels)
    assert back.icc_profile == SRGB


@pytest.mark.parametrize("channels", [2, 3, 4])
def test_16bit_png_writer_is_read_by_pillow_as_the_high_bytes(tmp_path, channels):
    pixels = random_pixels(channels, np.uint16, seed=channels)
    write_picture(Picture(pixels), tmp_path / "x.png")
    with Image.open(tmp_path / "x.png") as im:  # Pillow keeps the high byte of 16-bit colour
        seen = np.asarray(im.convert(images.PILLOW_MODES[channels]))
    np.testing.assert_array_equal(seen.reshape(pixels.shape), pixels >> 8)


def test_16bit_rgb_png_assembled_by_hand_is_read_exactly(tmp_path):
    pixels = (np.arange(4 * 5 * 3).reshape(4, 5, 3) * 1009 + 7).astype(np.uint16)
    raw = b"".join(b"\0" + row.astype(">u2").tobytes() for row in pixels)
    (tmp_path / "h.png").write_bytes(png_bytes(5, 4, 16, 2, raw))
    np.testing.assert_array_equal(read_picture(tmp_path / "h.png").pixels, pixels)
    assert read_rgb(tmp_path / "h.png")[0, 0, 0] == pytest.approx(7 / 65535)


def test_webp_is_lossless_and_keeps_alpha(tmp_path):
    pixels = random_pixels(4, np.uint8)
    back = read_picture(write_picture(Picture(pixels, SRGB), tmp_path / "x.webp"))
    np.testing.assert_array_equal(back.pixels, pixels)
    assert back.icc_profile == SRGB


def test_jpeg_keeps_icc_and_refuses_alpha(tmp_path):
    smooth = np.repeat(np.repeat(random_pixels(3, np.uint8, (4, 4)), 8, 0), 8, 1)
    back = read_picture(write_picture(Picture(smooth, SRGB), tmp_path / "x.jpg"))
    assert back.icc_profile == SRGB
    assert np.abs(back.pixels.astype(int) - smooth).mean() < 3
    with pytest.raises(ImageError, match="JPEG cannot store alpha"):
        write_picture(Picture(random_pixels(4, np.uint8)), tmp_path / "a.jpg")


def test_16bit_to_8bit_formats_rounds_and_says_so(tmp_path):
    pixels = random_pixels(3, np.uint16)
    assert "reduced to 8 bits" in output_notes(tmp_path / "x.webp", 3, 16)[0]
    assert output_notes(tmp_path / "x.png", 3, 16) == []
    back = read_picture(write_picture(Picture(pixels), tmp_path / "x.webp"))
    np.testing.assert_array_equal(back.pixels, np.floor(pixels / 257 + 0.5).astype(np.uint8))


def test_premultiplied_tiff_alpha_is_made_straight(tmp_path):
    colour = np.full((2, 2, 3), 20000, np.uint16)
    alpha = np.full((2, 2, 1), 32768, np.uint16)
    premultiplied = np.concatenate([colour * 0 + 10000, alpha], axis=2)
    tifffile.imwrite(tmp_path / "p.tif", premultiplied, photometric="rgb",
                     extrasamples=("assocalpha",))
    back = read_picture(tmp_path / "p.tif").pixels
    assert abs(int(back[0, 0, 0]) - 20000) <= 1 and back[0, 0, 3] == 32768


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orient_matches_pillow_exif_transpose(orientation):
    pixels = random_pixels(3, np.uint8, (5, 7))
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = orientation
    image.info["exif"] = exif.tobytes()
    expected = np.asarray(ImageOps.exif_transpose(image))
    np.testing.assert_array_equal(orient(pixels, orientation), expected)


def test_exif_orientation_is_applied_on_8bit_png_and_16bit_tiff(tmp_path):
    pixels8 = random_pixels(3, np.uint8, (5, 7))
    exif = Image.new("RGB", (1, 1)).getexif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    Image.fromarray(pixels8).save(tmp_path / "o.png", exif=exif)
    np.testing.assert_array_equal(read_picture(tmp_path / "o.png").pixels, np.rot90(pixels8, -1))
    pixels16 = random_pixels(3, np.uint16, (5, 7))
    tifffile.imwrite(tmp_path / "o.tif", pixels16, photometric="rgb",
                     extratags=[(274, "H", 1, 8, False)])
    np.testing.assert_array_equal(read_picture(tmp_path / "o.tif").pixels, np.rot90(pixels16, 1))


@pytest.mark.parametrize("depth, colour", [(8, 2), (16, 2), (16, 6), (16, 0)])
def test_huge_declared_png_is_refused_before_decoding(tmp_path, depth, colour):
    (tmp_path / "bomb.png").write_bytes(png_bytes(100_000, 100_000, depth, colour, b"\0" * 64))
    with pytest.raises(ImageError, match="over the limit"):
        read_picture(tmp_path / "bomb.png")


def test_huge_declared_16bit_tiff_is_refused_before_decoding(tmp_path):
    tifffile.imwrite(tmp_path / "t.tif", random_pixels(3, np.uint16, (4, 4)), photometric="rgb")
    data = bytearray((tmp_path / "t.tif").read_bytes())
    with tifffile.TiffFile(tmp_path / "t.tif") as tif:  # patch ImageWidth/ImageLength in place
        for code in (256, 257):
            tag = tif.pages[0].tags[code]
            fmt = "<I" if tag.dtype == tifffile.DATATYPE.LONG else "<H"
            struct.pack_into(fmt, data, tag.valueoffset, 60_000)
    (tmp_path / "bomb.tif").write_bytes(bytes(data))
    with pytest.raises(ImageError, match="over the limit"):
        read_picture(tmp_path / "bomb.tif")


def test_writes_are_atomic_and_never_over_inputs(tmp_path, monkeypatch):
    target = tmp_path / "out.png"
    target.write_bytes(b"previous")

    def broken(f, pixels, icc):
        f.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(images, "write_png16", broken)
    with pytest.raises(ImageError, match="disk full"):
        write_picture(Picture(random_pixels(3, np.uint16)), target)
    assert target.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]
    with pytest.raises(ImageError, match="--overwrite"):
        check_output(target, (target,))
    assert check_output(target, (target,), overwrite=True) == target
    with pytest.raises(ImageError, match="does not exist"):
        write_picture(Picture(random_pixels(3, np.uint8)), tmp_path / "no" / "x.png")


def test_unreadable_files_say_so(tmp_path):
    (tmp_path / "junk.png").write_bytes(b"not an image")
    with pytest.raises(ImageError, match="not a readable image"):
        read_picture(tmp_path / "junk.png")
    with pytest.raises(ImageError, match="does not exist"):
        read_picture(tmp_path / "missing.png")


def _filter_row(kind: int, row: bytes, prior: bytes, bpp: int) -> bytes:
    """Reference PNG filters (spec section 9), byte by byte."""
    out = bytearray()
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prior[i]
        c = prior[i - bpp] if i >= bpp else 0
        p = a + b - c
        paeth = a if abs(p - a) <= abs(p - b) and abs(p - a) <= abs(p - c) else (
            b if abs(p - b) <= abs(p - c) else c)
        out.append((x - (0, a, b, (a + b) // 2, paeth)[kind]) & 0xFF)
    return bytes(out)


@pytest.mark.parametrize("channels, colour", [(2, 4), (3, 2), (4, 6)])
def test_every_png_filter_decodes_with_libpng_and_the_numpy_fallback(tmp_path, channels, colour):
    from texturenet_plugin.io.png import decode_png16_numpy, read_png16

    pixels = random_pixels(channels, np.uint16, (10, 6), seed=channels)
    rows = [row.astype(">u2").tobytes() for row in pixels]
    raw, prior = b"", bytes(len(rows[0]))
    for y, row in enumerate(rows):
        kind = y % 5
        raw += bytes([kind]) + _filter_row(kind, row, prior, 2 * channels)
        prior = row
    data = png_bytes(6, 10, 16, colour, raw)
    (tmp_path / "f.png").write_bytes(data)
    np.testing.assert_array_equal(read_png16(tmp_path / "f.png"), pixels)
    np.testing.assert_array_equal(decode_png16_numpy(data), pixels)
    ours = tmp_path / "ours.png"
    write_picture(Picture(pixels), ours)
    np.testing.assert_array_equal(decode_png16_numpy(ours.read_bytes()), pixels)


def test_writers_use_the_format_save_params(tmp_path, monkeypatch):
    """write_rgb (tiles) and save_atomic (stylize) write with SAVE_PARAMS: a flat image is
    tiny with the default zlib settings and raw-sized with compress_level 0."""
    flat = np.full((256, 256, 3), 120, np.uint8)
    images.write_rgb(flat, tmp_path / "default.png")
    monkeypatch.setitem(images.SAVE_PARAMS, "PNG", {"compress_level": 0})
    images.write_rgb(flat, tmp_path / "stored.png")
    assert (tmp_path / "default.png").stat().st_size < 5_000
    assert (tmp_path / "stored.png").stat().st_size > flat.nbytes
    assert np.array_equal(np.asarray(Image.open(tmp_path / "default.png")), flat)
