"""nets/thin.py: pruning a trained generator's finest mixer (``--finest-inner``)."""

from __future__ import annotations

import pytest
import torch

from texturenet_plugin.nets.generator import Generator, GeneratorSpec, parameter_count
from texturenet_plugin.nets.noise import periodic_noise
from texturenet_plugin.nets.thin import thin_finest
from texturenet_plugin.runtime.folded import FastGenerator

SPEC = GeneratorSpec(scales=3, channels_step=4)  # finest mixer: 12 channels


def _trained_like(spec: GeneratorSpec = SPEC, seed: int = 0) -> Generator:
    """A generator in eval mode with non-trivial BatchNorm statistics and affines."""
    torch.manual_seed(seed)
    gen = Generator(spec)
    for module in gen.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.3, 0.3)
    return gen.eval()


def _sample(gen: Generator, size: int = 32) -> torch.Tensor:
    noise = periodic_noise([7, 8], size, size, gen.spec.scales, gen.spec.noise_channels)
    with torch.no_grad():
        return gen(noise)


def _make_constant(gen: Generator, conv_index: int, channels: list[int]) -> None:
    """Inner channels whose convolution ignores its input: their activation is a constant."""
    conv = gen.mixers[-1][conv_index]
    conv.weight.data[channels] = 0


def test_channels_that_carry_no_variation_are_dropped_exactly():
    """Constant channels are the ones to drop, and their constant moves into the next bias."""
    gen = _trained_like()
    _make_constant(gen, 0, [1, 4, 5, 9])
    _make_constant(gen, 3, [0, 2, 7, 11])
    thin = thin_finest(gen, 8)
    assert thin.spec.finest_inner == 8 and not thin.training
    assert thin.mixers[-1][0].out_channels == 8 and thin.mixers[-1][3].in_channels == 8
    assert parameter_count(thin) < parameter_count(gen)
    assert torch.allclose(_sample(thin), _sample(gen), atol=1e-5)


def test_without_the_bias_shift_dropping_constant_channels_would_change_the_output():
    """The test above can fail: constant but non-zero channels matter unless compensated."""
    gen = _trained_like()
    _make_constant(gen, 0, [1, 4, 5, 9])
    _make_constant(gen, 3, [0, 2, 7, 11])
    thin = thin_finest(gen, 8)
    thin.mixers[-1][3].bias.data = gen.mixers[-1][3].bias.data[
        [i for i in range(12) if i not in (0, 2, 7, 11)]]
    assert (_sample(thin) - _sample(gen)).abs().max() > 1e-3


def test_full_width_is_a_copy_and_other_layers_are_untouched():
    gen = _trained_like()
    same = thin_finest(gen, 12)
    assert torch.allclose(_sample(same), _sample(gen), atol=1e-6)
    thin = thin_finest(gen, 6)
    for key, value in gen.state_dict().items():
        if not key.startswith(f"mixers.{len(gen.mixers) - 1}."):
            assert torch.equal(thin.state_dict()[key], value), key


def test_a_thinned_generator_folds_and_keeps_its_mode():
    gen = _trained_like()
    thin = thin_finest(gen, 8)
    fast = FastGenerator(thin)
    noise = periodic_noise([3], 32, 32, 3)
    with torch.no_grad():
        assert torch.allclose(fast(noise), thin(noise), atol=1e-5)
    assert thin_finest(gen.train(), 8).training


def test_refuses_what_it_cannot_thin():
    with pytest.raises(ValueError, match="inner must be in 1..12"):
        thin_finest(_trained_like(), 13)
    with pytest.raises(ValueError, match="BatchNorm"):
        thin_finest(_trained_like(GeneratorSpec(scales=3, channels_step=4, norm="instance")), 4)
    with pytest.raises(ValueError, match="at least 2 scales"):
        GeneratorSpec(scales=1, finest_inner=4)
    with pytest.raises(ValueError, match="finest_inner must be in 0..12"):
        GeneratorSpec(scales=3, channels_step=4, finest_inner=13)
