"""Issue 17: every user-controlled size is checked against memory before anything is allocated
(F1, F6, F17, threads, training sizes, seeds). Each runs the real CLI under a memory cap and
asserts the refusal is quick, small and says which value to change."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from probe import PEAK_LIMIT, texnet

from texturenet_plugin import budget
from texturenet_plugin.errors import InputError


@pytest.fixture
def picture(tmp_path):
    Image.fromarray(np.full((32, 48, 3), 120, np.uint8)).save(tmp_path / "ok.png")
    mask = np.zeros((32, 48), np.uint8)
    mask[8:20, 10:30] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    return tmp_path / "ok.png", tmp_path / "mask.png"


def refused(outcome, *words, code=1):
    assert outcome.code == code, outcome.err
    assert all(w in outcome.err for w in words), outcome.err
    assert "Traceback" not in outcome.err and "internal" not in outcome.err.lower()
    assert outcome.peak < PEAK_LIMIT, outcome.peak


def test_f1_huge_feather_is_refused_before_any_allocation(picture, tmp_path):
    image, mask = picture
    out = texnet("fill", "--image", image, "--mask", mask, "--feather", "1e9", "-o",
                 tmp_path / "fe.png")
    refused(out, "--feather", "between 0 and")
    assert not (tmp_path / "fe.png").exists()


def test_f17_nan_feather_is_bad_input_not_an_internal_error(picture, tmp_path):
    image, mask = picture
    refused(texnet("fill", "--image", image, "--mask", mask, "--feather", "nan", "-o",
                   tmp_path / "fe.png"), "--feather nan")


def test_f6_huge_canvas_box_is_refused_by_the_engine_before_allocating():
    from helpers import tiny_generator

    from texturenet_plugin.synthesis.tile import sample_canvas

    with pytest.raises(InputError, match="fill it in pieces"):
        sample_canvas(tiny_generator(), (0, 0, 100_000, 100_000))


def test_feather_memory_estimate_uses_the_image_size(monkeypatch):
    monkeypatch.setattr(budget, "memory_limit", lambda: 1 << 30)
    budget.check_feather(500, 1000, 1000)
    with pytest.raises(InputError, match="memory"):
        budget.check_feather(1000, 13000, 13000)


def test_training_batch_beyond_memory_is_refused_at_once(tmp_path):
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(tmp_path / "ex.png")
    out = texnet("train", "texture", tmp_path / "ex.png", "--name", "big", "--descriptor",
                 "random", "--batch-size", "10000000", "--size", "2048")
    refused(out, "--batch-size")
    assert out.seconds < 60


def test_absurd_thread_count_is_refused(tmp_path):
    refused(texnet("fill", "--tile", "32x32", "--threads", "4096", "-o", tmp_path / "t.png"),
            "--threads 4096")


@pytest.mark.parametrize("seed", ["4294967297", "-1"])
def test_seeds_beyond_32_bits_are_refused_not_wrapped(tmp_path, seed):
    out = texnet("fill", "--tile", "32x32", "--seed", seed, "-o", tmp_path / "t.png")
    assert out.code == 2 and "--seed" in out.err, out.err


def test_budget_limits_match_the_modules_that_use_them():
    from texturenet_plugin.io import images
    from texturenet_plugin.synthesis import canvas
    from texturenet_plugin.synthesis import tile as synthesis

    assert budget.PLANE_BAND_ROWS == canvas.PLANE_BAND_ROWS
    assert budget.MAX_CANVAS_PIXELS == images.MAX_PIXELS
    assert budget.MAX_CANVAS_SIDE == synthesis.MAX_SIDE


def test_style_size_beyond_memory_is_refused_before_the_painting_is_read(monkeypatch, tmp_path):
    from click.testing import CliRunner
    from texnet_cli.main import cli

    monkeypatch.setattr(budget, "memory_limit", lambda: 4 << 30)
    budget.check_style_size(1024)  # ~1 GiB: fits
    with pytest.raises(InputError, match="--style-size"):
        budget.check_style_size(4096)
    painting = tmp_path / "painting.png"  # not an image: reading it would fail differently
    painting.write_bytes(b"not a png")
    result = CliRunner().invoke(cli, ["train", "style", str(painting), "--content",
                                      str(tmp_path), "--name", "big", "--style-size", "4096",
                                      "--device", "cpu"])
    assert isinstance(result.exception, InputError), result.output  # not the ImageError
    assert "style image of up to 4096x4096" in str(result.exception)
