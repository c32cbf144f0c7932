"""Reduced precision as a default: the auto rule, its accuracy bar, the CLI/serve switches."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import photo, save_tiny_model, tiny_generator, tiny_stylizer
from PIL import Image
from texnet_cli.app import run
from texnet_cli.main import cli
from texnet_cli.serve_worker import Worker

from texturenet_plugin.errors import InputError
from texturenet_plugin.metrics import psnr
from texturenet_plugin.runtime import precision as fast
from texturenet_plugin.runtime.precision import resolve_precision
from texturenet_plugin.synthesis.stylize import StylizeOptions, stylize
from texturenet_plugin.synthesis.tile import sample_tile


def as_float(pixels: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(pixels).float() / 255


@pytest.mark.parametrize("scales,output", [(3, "sigmoid"), (6, "sigmoid"), (6, "linear")])
def test_bfloat16_texture_keeps_40_db(scales, output):
    """The bar for making bfloat16 a default (issue 7): >= 40 dB against float32 (uint8)."""
    gen = tiny_generator(scales=scales, seed=1, output=output)
    full = as_float(sample_tile(gen, 96, 64, seed=2))
    half = as_float(sample_tile(gen, 96, 64, seed=2, precision="bfloat16"))
    assert 40 <= psnr(full, half) < float("inf")  # close, and really a different computation


@pytest.mark.parametrize("norm", ["instance", "batch"])
def test_bfloat16_stylize_keeps_40_db(norm):
    gen, image = tiny_stylizer(norm, seed=1), photo(48, 72)
    full = stylize(gen, image, StylizeOptions(seed=2)).mul(255).round() / 255
    half = stylize(gen, image, StylizeOptions(seed=2, precision="bfloat16")).mul(255).round()
    assert 40 <= psnr(full, half / 255) < float("inf")


def test_auto_rule(monkeypatch):
    monkeypatch.setattr(fast, "BF16_MIN_PIXELS", 512 * 512)
    big, small = fast.BF16_MIN_PIXELS, fast.BF16_MIN_PIXELS - 1
    monkeypatch.setattr(fast, "cpu_has_fast_bf16", lambda: True)
    assert resolve_precision("auto", "cpu", big) == "bfloat16"
    assert resolve_precision("auto", "cpu") == "bfloat16"  # size not known yet
    assert resolve_precision("auto", "cpu", small) == "float32"
    monkeypatch.setattr(fast, "cpu_has_fast_bf16", lambda: False)
    assert resolve_precision("auto", "cpu", big) == "float32"
    assert resolve_precision("bfloat16", "cpu", small) == "bfloat16"  # explicit wins
    with pytest.raises(InputError, match="CUDA only"):
        resolve_precision("float16", "cpu")
    with pytest.raises(InputError, match="not one of"):
        resolve_precision("double", "cpu")


def test_auto_follows_the_rule_for_tiles_and_stylize(monkeypatch):
    monkeypatch.setattr(fast, "BF16_MIN_PIXELS", 64 * 32)  # make tiny outputs "large"
    gen, picked = tiny_generator(scales=3), resolve_precision("auto", "cpu")
    assert np.array_equal(sample_tile(gen, 64, 32, 1, precision="auto"),
                          sample_tile(gen, 64, 32, 1, precision=picked))
    assert np.array_equal(sample_tile(gen, 64, 31, 1, precision="auto"),
                          sample_tile(gen, 64, 31, 1, precision="float32"))
    styl, image = tiny_stylizer("instance"), photo(32, 64)
    assert torch.equal(stylize(styl, image, StylizeOptions(precision="auto")),
                       stylize(styl, image, StylizeOptions(precision=picked)))


def test_cli_precision_and_threads(tmp_path, capsys):
    model = save_tiny_model(tmp_path / "tiny.tnet")
    threads = torch.get_num_threads()
    try:
        code = run(cli, ["fill", "--model", str(model), "--tile", "64x32", "-o",
                         str(tmp_path / "a.png"), "--precision", "float32", "--threads", "1",
                         "--progress", "none"])
        assert code == 0, capsys.readouterr().err
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(threads)
    expected = sample_tile(tiny_generator(), 64, 32, 0, precision="float32")
    assert np.array_equal(np.asarray(Image.open(tmp_path / "a.png")), expected)
    assert run(cli, ["fill", "--model", str(model), "-o", str(tmp_path / "b.png"),
                     "--precision", "double"]) == 2
    assert run(cli, ["fill", "--model", str(model), "-o", str(tmp_path / "c.png"),
                     "--threads", "0"]) == 2


def test_worker_default_precision_and_per_request_override(tmp_path):
    model = save_tiny_model(tmp_path / "tiny.tnet")
    worker = Worker(device="cpu", precision="float32")
    base = {"op": "fill", "model": str(model), "tile": "64x32"}
    first = worker.handle({**base, "id": 1, "output": str(tmp_path / "a.png")})
    second = worker.handle({**base, "id": 2, "output": str(tmp_path / "b.png"),
                            "precision": "bfloat16"})
    bad = worker.handle({**base, "id": 3, "output": str(tmp_path / "c.png"),
                         "precision": "float16"})
    assert first["ok"] and second["ok"] and not bad["ok"], (first, second, bad)
    a, b = (np.asarray(Image.open(tmp_path / n)) for n in ("a.png", "b.png"))
    assert np.array_equal(a, sample_tile(tiny_generator(), 64, 32, 0, precision="float32"))
    assert not np.array_equal(a, b)
