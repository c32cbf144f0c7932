"""Element size (issue 16): --exemplar-scale for training, --scale for seamless tiles."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from texturenet_plugin.errors import InputError
from texturenet_plugin.metrics import seam_score
from texturenet_plugin.synthesis.canvas import canvas_texture, scaled_tile, tile_plane_size
from texturenet_plugin.train.checkpoint import checkpoint_path, load_checkpoint
from texturenet_plugin.train.config import TrainConfig
from texturenet_plugin.train.loop import (
    exemplar_factor,
    exemplar_note,
    new_state,
    scaled_exemplar,
    train_texture,
)
from texturenet_plugin.train.texture import resumed_config
from texturenet_plugin.zoo.descriptor_weights import load_descriptor

LEGACY = {"exemplar_max_side": 256}  # what model files and checkpoints stored before


def test_exemplar_factor_defaults_scale_and_cap():
    assert exemplar_factor(256, 256, TrainConfig()) == 1.0  # own pixel scale, no 256 rule
    assert exemplar_factor(600, 800, TrainConfig()) == 1.0
    assert exemplar_factor(2000, 3000, TrainConfig()) == pytest.approx(1024 / 3000)
    assert exemplar_factor(256, 200, TrainConfig(exemplar_scale=2.0)) == 2.0
    assert exemplar_factor(512, 512, TrainConfig(exemplar_scale=4.0)) == 2.0  # capped
    assert exemplar_factor(512, 512, TrainConfig(**LEGACY)) == 0.5  # old files unchanged
    with pytest.raises(InputError, match="exemplar_scale"):
        TrainConfig(exemplar_scale=8.0).validate()


def test_legacy_settings_reproduce_the_old_downscaling_bit_for_bit():
    image = torch.rand(3, 300, 512, generator=torch.Generator().manual_seed(0))
    old = torch.nn.functional.interpolate(image[None], scale_factor=256 / 512, mode="bilinear",
                                          antialias=True, align_corners=False).clamp(0, 1)
    assert torch.equal(scaled_exemplar(image, TrainConfig(**LEGACY)), old)
    assert scaled_exemplar(image, TrainConfig(exemplar_scale=2.0)).shape[-2:] == (600, 1024)
    assert torch.equal(scaled_exemplar(image, TrainConfig()), image[None])


def test_the_note_says_when_the_cap_applies():
    assert "capped" not in exemplar_note(256, 256, TrainConfig())
    note = exemplar_note(2000, 3000, TrainConfig())
    assert "3000x2000" in note and "0.341x" in note and "1024 px" in note


def test_a_checkpoint_from_before_exemplar_scale_resumes_with_its_own_cap(tmp_path):
    tiny = TrainConfig(iterations=2, batch_size=1, size=32, descriptor="random", scales=3,
                       layers=("relu1_1", "relu2_1"), **LEGACY)
    run = tmp_path / "run"
    train_texture(torch.rand(3, 260, 260), load_descriptor("random"), tiny, run)
    payload = torch.load(checkpoint_path(run), weights_only=True)
    del payload["config"]["exemplar_scale"]  # as written by the old code
    torch.save(payload, checkpoint_path(run))
    now = TrainConfig(**{**tiny.__dict__, "exemplar_max_side": 1024, "iterations": 3})
    with pytest.raises(InputError, match="exemplar_max_side"):
        load_checkpoint(run, new_state(now, "cpu"), now)
    adopted = resumed_config(run, now)
    assert adopted.exemplar_max_side == 256
    load_checkpoint(run, new_state(adopted, "cpu"), adopted)  # accepted
    assert resumed_config(run, TrainConfig(exemplar_scale=2.0)).exemplar_scale == 2.0


@pytest.mark.parametrize("scale", [3.0, 0.5, 1.7])
def test_scaled_tiles_stay_seamless(scale):
    from helpers import tiny_generator

    gen = tiny_generator(scales=3)
    tile = scaled_tile(gen, 96, 64, seed=0, scale=scale)
    assert tile.shape == (64, 96, 3)
    assert seam_score(tile) < 1.5  # interior-like (the plane's own one-pass seam: ~1.2)
    rolled = np.roll(tile, (32, 48), axis=(0, 1))  # the wrap-around seam now in the middle
    assert seam_score(rolled) < 1.5
    if scale == 3.0:  # the same texture plane, not made periodic, shows its edges
        assert seam_score(canvas_texture(gen, (0, 0, 96, 64), 0, scale)) > 2 * seam_score(tile)


def test_scale_enlarges_the_elements_of_a_tile():
    from helpers import tiny_generator

    gen = tiny_generator(scales=3)
    detail = [np.abs(np.diff(scaled_tile(gen, 96, 96, 0, s).astype(float), axis=1)).mean()
              for s in (1.0, 3.0)]
    assert detail[1] < 0.5 * detail[0]
    assert tile_plane_size(1000, 700, 3.0, 32) == (333, 233)
    with pytest.raises(InputError, match="larger than"):
        tile_plane_size(65536, 64, 0.25, 32)


def test_cli_tile_scale_and_capped_exemplar_note(tmp_path, capsys):
    from helpers import texnet

    # 512x384 at scale 2.5: large elements, so the gradient across any one line of pixels
    # swings between ~0.6 and ~1.9x the mean with where element edges fall (a ratio bar on
    # the seam alone passed or failed with the bundled model). Seamless means the wrap-around
    # seam is no outlier among the tile's own lines: within their 99th percentile.
    code, _, err = texnet(capsys, "fill", "--tile", "512x384", "--scale", "2.5", "-o",
                          str(tmp_path / "t.png"))
    assert code == 0, err
    tile = np.asarray(Image.open(tmp_path / "t.png")).astype(float)
    for axis in (0, 1):
        lines = np.abs(np.diff(tile, axis=axis)).mean(axis=tuple({0, 1, 2} - {axis}))
        seam = np.abs(np.take(tile, 0, axis=axis) - np.take(tile, -1, axis=axis)).mean()
        assert seam <= np.percentile(lines, 99), axis
    code, _, err = texnet(capsys, "fill", "--tile", "96x64", "--feather", "2", "-o",
                          str(tmp_path / "u.png"))
    assert code == 2 and "--feather" in err and "--scale" not in err
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (60, 280, 3), dtype=np.uint8)).save(tmp_path / "e.png")
    code, _, err = texnet(capsys, "train", "texture", str(tmp_path / "e.png"), "--name", "big",
                          "--descriptor", "random", "--iterations", "2", "--batch-size", "1",
                          "--size", "64", "--exemplar-scale", "4", "--progress", "none")
    assert code == 0, err
    assert "note: exemplar 280x60 px, learnt at 3.66x" in err and "capped" in err
    from texturenet_plugin.zoo import local as registry

    meta = registry.load("big").meta
    assert meta["training"]["exemplar_scale"] == 4.0
    assert meta["exemplar"]["learnt_scale"] == pytest.approx(1024 / 280)
