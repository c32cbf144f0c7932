"""The exemplar's border (train/border.py): continued periodically or mirrored before the
descriptor runs, so the target statistics are the texture's, not the texture-next-to-grey of
VGG's zero padding."""

import pytest
import torch

from texturenet_plugin.errors import InputError
from texturenet_plugin.nets.descriptor import TEXTURE_LAYERS
from texturenet_plugin.nets.losses import gram_matrix
from texturenet_plugin.train import border
from texturenet_plugin.train.config import TrainConfig
from texturenet_plugin.train.loop import exemplar_border, exemplar_grams, sample_features
from texturenet_plugin.train.region import layer_stride
from texturenet_plugin.zoo.descriptor_weights import load_descriptor


def periodic(period: int, reps: int, seed: int = 0) -> torch.Tensor:
    """(3, period·reps, period·reps): a smooth random tile (low frequencies of white noise, so
    periodic: seamless by construction) repeated."""
    noise = torch.rand(3, period, period, generator=torch.Generator().manual_seed(seed))
    spectrum = torch.fft.rfft2(noise - 0.5)
    freq_y = torch.fft.fftfreq(period).abs()[:, None]
    freq_x = torch.fft.rfftfreq(period)[None, :]
    spectrum[..., (freq_y > 0.1) | (freq_x > 0.1)] = 0
    tile = torch.fft.irfft2(spectrum, s=(period, period))
    tile = (tile - tile.min()) / (tile.max() - tile.min())
    return tile.repeat(1, reps, reps)


def test_wrap_continues_a_periodic_image_exactly():
    big = periodic(48, 7)
    tile = big[:, 96:144, 96:144][None]
    out = border.continued(tile, "wrap", margin=64)  # margin larger than the tile
    assert out.shape[-2:] == (48 + 128, 48 + 128)
    start = 96 - 64
    assert torch.equal(out[0], big[:, start:start + 176, start:start + 176])


@pytest.mark.parametrize("size", [(40, 56), (96, 96)])
def test_reflect_keeps_the_image_in_the_middle_and_mirrors_at_its_edges(size):
    image = torch.rand(1, 3, *size)
    out = border.continued(image, "reflect", margin=64)
    assert out.shape[-2:] == (size[0] + 128, size[1] + 128)
    assert torch.equal(out[..., 64:64 + size[0], 64:64 + size[1]], image)
    assert torch.equal(out[..., 64:64 + size[0], 63], image[..., :, 1])  # mirrored, no repeat
    with pytest.raises(ValueError, match="unknown border mode"):
        border.continued(image, "smear")


def test_seamless_tells_a_tile_from_a_photo():
    tile = periodic(64, 1)
    assert border.seamless(tile)
    ramp = torch.linspace(0, 1, 64).expand(3, 64, 64)  # left edge dark, right edge bright
    assert not border.seamless(ramp)
    assert border.resolve("auto", tile) == "wrap" and border.resolve("auto", ramp) == "reflect"
    assert border.resolve("zero", tile) == "zero"
    assert exemplar_border(tile, TrainConfig(exemplar_border="auto")) == "wrap"


def test_interior_keeps_the_cells_over_the_exemplar():
    features = {name: torch.zeros(1, 2, (96 + 128) // layer_stride(name),
                                  (80 + 128) // layer_stride(name)) for name in TEXTURE_LAYERS}
    inner = border.interior(features, 96, 80)
    for name in TEXTURE_LAYERS:
        assert inner[name].shape[-2:] == (96 // layer_stride(name), 80 // layer_stride(name))


def test_wrapped_targets_are_the_infinite_textures_statistics():
    """On a seamless exemplar, wrap gives the Grams of the same cells inside a large tiling
    (no border in sight); zero padding's Grams are far from them at the deep layers."""
    descriptor = load_descriptor("random")
    big = periodic(64, 7, seed=3)  # 448²: the exemplar is the tile at 192..256
    tile = big[:, 192:256, 192:256]
    with torch.no_grad():
        far = descriptor(big[None], TEXTURE_LAYERS)
    wrapped = exemplar_grams(descriptor, tile, TrainConfig(descriptor="random",
                                                           exemplar_border="wrap"))
    zero = exemplar_grams(descriptor, tile, TrainConfig(descriptor="random",
                                                        exemplar_border="zero"))
    for name in TEXTURE_LAYERS:
        s = layer_stride(name)
        cells = far[name][..., 192 // s:256 // s, 192 // s:256 // s]
        truth = gram_matrix(cells)[0]
        scale = truth.norm()
        assert (wrapped[name] - truth).norm() < 1e-3 * scale, name
        if name in ("relu4_1", "relu5_1"):
            assert (zero[name] - truth).norm() > 0.05 * scale, name


@pytest.mark.parametrize("period", [64, 72])
def test_periodic_samples_are_judged_without_their_border(period):
    """With a continued exemplar the training samples (periodic) are continued too: their
    cells are those of the same sample inside a large tiling, not zero-padded ones — by
    circular padding in the descriptor when the side is a multiple of relu5_1's stride (64),
    by a wrapped margin when not (72)."""
    descriptor = load_descriptor("random")
    sample = periodic(period, 1, seed=7)[None]
    far = descriptor(sample.repeat(1, 1, 7, 7), TEXTURE_LAYERS)
    wrapped = sample_features(descriptor, sample, TrainConfig(exemplar_border="reflect"))
    plain = sample_features(descriptor, sample, TrainConfig(exemplar_border="zero"))
    start = 2 * period  # a multiple of the period and of every stride
    for name in TEXTURE_LAYERS:
        s = layer_stride(name)
        cells = far[name][..., start // s:(start + period) // s, start // s:(start + period) // s]
        assert torch.allclose(wrapped[name], cells, atol=1e-4 * cells.abs().max()), name
        assert plain[name].shape == cells.shape
    deep = far["relu5_1"][..., start // 16:(start + period) // 16, start // 16:(start + period) // 16]
    assert not torch.allclose(plain["relu5_1"], deep, rtol=0.05)


def test_circular_descriptor_is_the_tilings_features_over_one_period():
    descriptor = load_descriptor("random")
    tile = periodic(48, 1, seed=2)[None]
    far = descriptor(tile.repeat(1, 1, 5, 5), TEXTURE_LAYERS)
    near = descriptor(tile, TEXTURE_LAYERS, circular=True)
    for name in TEXTURE_LAYERS[:4]:  # 48 is a multiple of relu4_1's stride (8), not relu5_1's
        s = layer_stride(name)
        cells = far[name][..., 96 // s:144 // s, 96 // s:144 // s]
        assert torch.allclose(near[name], cells, atol=1e-4 * cells.abs().max()), name
    zero = descriptor(tile, ("relu4_1",))["relu4_1"]
    assert not torch.allclose(zero, near["relu4_1"], atol=1e-2 * zero.abs().max())


def test_a_full_selection_with_a_border_matches_no_selection():
    descriptor = load_descriptor("random")
    image = periodic(64, 2, seed=5)[:, :100, :90]
    config = TrainConfig(descriptor="random", exemplar_border="reflect")
    plain = exemplar_grams(descriptor, image, config)
    masked = exemplar_grams(descriptor, image, config, torch.ones(100, 90))
    for name in TEXTURE_LAYERS:
        assert torch.allclose(masked[name], plain[name], rtol=1e-4, atol=1e-7), name


def test_an_unknown_border_is_refused():
    with pytest.raises(InputError, match="exemplar_border"):
        TrainConfig(exemplar_border="mirror").validate()


def test_textures_continue_their_border_and_stylizers_do_not():
    """Texture presets continue the exemplar (auto); a stylized photo is not a tile, so the
    style presets keep the painting zero-padded like their outputs (style_loop.StyleConfig)."""
    from texturenet_plugin.train.config import PRESETS
    from texturenet_plugin.train.style_loop import STYLE_PRESETS

    assert {p.exemplar_border for p in PRESETS.values()} == {"auto"}
    assert {p.exemplar_border for p in STYLE_PRESETS.values()} == {"zero"}
