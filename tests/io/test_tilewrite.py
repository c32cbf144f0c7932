from __future__ import annotations

import numpy as np
from PIL import Image

from texturenet_plugin.io import tilewrite
from texturenet_plugin.io.tilewrite import write_tile


def test_streamed_png_round_trips_exactly(tmp_path, monkeypatch):
    monkeypatch.setattr(tilewrite, "BAND_ROWS", 7)  # several bands, a short last one
    monkeypatch.setattr(tilewrite, "IDAT_BYTES", 64)  # several IDAT chunks
    pixels = np.random.default_rng(0).integers(0, 256, (30, 17, 3), dtype=np.uint8)
    out = write_tile(pixels, tmp_path / "t.png")
    assert np.array_equal(np.asarray(Image.open(out)), pixels)
    assert not list(tmp_path.glob(".*.part"))


def test_other_formats_go_through_pillow(tmp_path):
    pixels = np.full((8, 9, 3), 200, dtype=np.uint8)
    out = write_tile(pixels, tmp_path / "t.tif")
    assert np.array_equal(np.asarray(Image.open(out)), pixels)


def test_written_png_gets_the_usual_permissions(tmp_path):
    import os

    out = write_tile(np.zeros((4, 4, 3), np.uint8), tmp_path / "p.png")
    mask = os.umask(0)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~mask
