"""Learning from a selected region (issue 16): masked statistics, minimum size, CLI."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from texturenet_plugin.errors import InputError
from texturenet_plugin.nets.descriptor import TEXTURE_LAYERS
from texturenet_plugin.nets.losses import gram_matrix, masked_gram_matrix
from texturenet_plugin.train.config import TrainConfig
from texturenet_plugin.train.loop import (
    check_exemplar,
    exemplar_colors,
    exemplar_distributions,
    exemplar_grams,
)
from texturenet_plugin.train.region import layer_mask, min_side, read_region
from texturenet_plugin.zoo.descriptor_weights import load_descriptor

CONFIG = TrainConfig(descriptor="random", color_weight=1.0, loss="gram+swd")


def texture(kind: str, size: int, seed: int = 0) -> torch.Tensor:
    """(3, size, size): "a" = fine red-ish noise, "b" = coarse blue-ish stripes."""
    gen = torch.Generator().manual_seed(seed)
    if kind == "a":
        noise = torch.rand(1, size, size, generator=gen)
        return torch.cat([0.6 + 0.4 * noise, 0.2 * noise, 0.1 + 0 * noise])
    y = torch.arange(size).float()
    band = (torch.sin(y / 5)[:, None] * torch.ones(size) * 0.5 + 0.5)[None]
    return torch.cat([0.1 * band, 0.3 + 0.2 * band, 0.4 + 0.6 * band])


def disk(size: int, radius: float) -> torch.Tensor:
    y, x = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    centre = (size - 1) / 2
    return (((y - centre) ** 2 + (x - centre) ** 2) <= radius**2).float()


def distance(grams: dict, other: dict) -> float:
    return sum(float((grams[k] - other[k]).pow(2).sum() / other[k].pow(2).sum())
               for k in grams)


def test_masked_gram_by_hand_and_with_a_full_mask():
    f = torch.tensor([[[[1.0, 2.0, 9.0]], [[3.0, 4.0, 9.0]]]])  # C=2 on a 1x3 image
    mask = torch.tensor([[[[True, True, False]]]])
    expected = torch.tensor([[[5.0, 11.0], [11.0, 25.0]]]) / (2 * 2)
    assert torch.allclose(masked_gram_matrix(f, mask), expected)
    g = torch.randn(2, 5, 6, 7)
    full = torch.ones(1, 1, 6, 7, dtype=torch.bool)
    assert torch.allclose(masked_gram_matrix(g, full), gram_matrix(g), atol=1e-6)


def test_a_full_rectangle_selection_gives_the_crops_plain_targets(tmp_path):
    image = torch.rand(3, 100, 120, generator=torch.Generator().manual_seed(1))
    mask = np.zeros((100, 120), np.uint8)
    mask[10:90, 20:100] = 255
    Image.fromarray((image.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)).save(
        tmp_path / "img.png")
    Image.fromarray(mask).save(tmp_path / "mask.png")
    region = read_region(tmp_path / "img.png", tmp_path / "mask.png")
    assert region.box == (20, 10, 100, 90) and region.image.shape == (3, 80, 80)
    assert region.selected_pixels == 80 * 80
    descriptor = load_descriptor("random")
    plain = exemplar_grams(descriptor, region.image, CONFIG)
    masked = exemplar_grams(descriptor, region.image, CONFIG, region.mask)
    for name in TEXTURE_LAYERS:
        assert torch.allclose(masked[name], plain[name], rtol=1e-5, atol=1e-7), name
    assert torch.equal(exemplar_colors(region.image, CONFIG, region.mask),
                       exemplar_colors(region.image, CONFIG))


def test_a_region_of_a_inside_b_learns_a_not_b():
    size = 160
    a, b = texture("a", size), texture("b", size)
    inside = disk(size, 60)  # B shows in the corners of the bounding box
    mixed = a * inside + b * (1 - inside)
    descriptor = load_descriptor("random")
    target_a = exemplar_grams(descriptor, texture("a", 112, seed=2), CONFIG)
    target_b = exemplar_grams(descriptor, b, CONFIG)
    masked = exemplar_grams(descriptor, mixed, CONFIG, inside)
    plain = exemplar_grams(descriptor, mixed, CONFIG)
    assert distance(masked, target_a) < 0.05 * distance(masked, target_b)
    assert distance(masked, target_a) < 0.2 * distance(plain, target_a)  # the mask matters
    colors = exemplar_colors(mixed, CONFIG, inside)
    assert colors.shape[1] == int(inside.sum())
    mean_rgb = mixed.flatten(1)[:, inside.flatten() > 0].mean(1)
    assert mean_rgb[0] > 0.6 and mean_rgb[2] < 0.2  # A's colours only
    swd = exemplar_distributions(descriptor, mixed, CONFIG, inside)
    swd_a = exemplar_distributions(descriptor, texture("a", 112, seed=2), CONFIG)
    swd_b = exemplar_distributions(descriptor, b, CONFIG)
    for name in ("relu1_1", "relu3_1"):
        mean = swd[name].mean(1)
        assert (mean - swd_a[name].mean(1)).norm() < 0.2 * (mean - swd_b[name].mean(1)).norm()


def test_layer_masks_keep_positions_mostly_inside():
    pixels = torch.zeros(1, 1, 64, 64)
    pixels[..., 16:48, 16:48] = 1.0
    kept = layer_mask(pixels, 8, (8, 8))[0, 0]
    assert kept[2:6, 2:6].all() and kept.sum() == 16  # exactly the 4x4 cells inside
    assert layer_mask(torch.ones(1, 1, 64, 64), 16, (4, 4)).all()  # borders count as inside


@pytest.mark.parametrize("mask, factor, message", [
    (disk(70, 30), 1.0, "64x64 px at least"),  # bounding box 61 px
    (torch.ones(200, 3), 1.0, "64x64 px at least"),  # a thin line
    (torch.eye(120).clamp(0, 1), 1.0, "only"),  # a diagonal: large box, nothing inside
    (torch.ones(100, 100), 0.5, "raise --exemplar-scale"),  # 50 px at the training scale
])
def test_too_small_selections_are_refused_with_the_minimum(mask, factor, message):
    config = TrainConfig(descriptor="random", exemplar_scale=factor)
    image = torch.rand(3, *mask.shape)
    with pytest.raises(InputError, match=message):
        check_exemplar(image, config, mask)


def test_the_minimum_follows_the_deepest_layer():
    assert min_side(TEXTURE_LAYERS) == 64
    assert min_side(("relu1_1", "relu3_1")) == 16
    check_exemplar(torch.rand(3, 64, 64), TrainConfig(), torch.ones(64, 64))  # just enough


def test_cli_trains_from_a_selection(tmp_path, capsys):
    from helpers import texnet

    size = 96
    a, b = texture("a", size), texture("b", size)
    inside = torch.zeros(size, size)
    inside[8:88, 12:84] = disk(80, 40)[:, 4:76]
    mixed = a * inside + b * (1 - inside)
    Image.fromarray((mixed.permute(1, 2, 0).numpy() * 255).astype(np.uint8)).save(
        tmp_path / "photo.png")
    Image.fromarray((inside.numpy() * 255).astype(np.uint8), "L").convert("RGB").save(
        tmp_path / "sel.png")
    common = ["--descriptor", "random", "--iterations", "3", "--size", "64", "--batch-size",
              "1", "--progress", "json"]
    code, _, err = texnet(capsys, "train", "texture", str(tmp_path / "photo.png"), "--mask",
                          str(tmp_path / "sel.png"), "--name", "region", *common)
    assert code == 0, err
    assert "selection 72x80 px, learnt at 1x" in err
    from texturenet_plugin.zoo import local as registry

    meta = registry.load("region").meta
    assert meta["exemplar"]["box"] == [12, 8, 84, 88]
    assert meta["exemplar"]["selected_pixels"] == int(inside.sum())
    assert meta["training"]["exemplar_scale"] == 1.0
    small = np.zeros((size, size), np.uint8)
    small[40:60, 40:60] = 255
    Image.fromarray(small).save(tmp_path / "small.png")
    code, _, err = texnet(capsys, "train", "texture", str(tmp_path / "photo.png"), "--mask",
                          str(tmp_path / "small.png"), "--name", "tiny", *common)
    assert code == 1 and "64x64 px at least" in err
