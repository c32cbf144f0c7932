from __future__ import annotations

import gc
import weakref

import pytest
import torch
from helpers import randomize_batchnorm, tiny_generator

from texturenet_plugin.errors import InputError
from texturenet_plugin.metrics import psnr
from texturenet_plugin.nets.generator import Generator, GeneratorSpec
from texturenet_plugin.nets.noise import noise_window, periodic_noise
from texturenet_plugin.runtime.folded import (
    FastGenerator,
    fast_generator,
    folded,
    noise_window_nhwc,
)


@pytest.mark.parametrize("height,width", [(64, 96), (50, 37), (6, 10)])
def test_folded_equals_reference(height, width):
    gen = tiny_generator(scales=4)
    noise = periodic_noise([3], height, width, 4)
    with torch.no_grad():
        reference = gen(noise)
    folded = FastGenerator(gen)(noise)
    assert folded.dtype == torch.float32 and folded.shape == reference.shape
    assert torch.allclose(folded, reference, atol=1e-5)
    assert not torch.allclose(folded, torch.sigmoid(torch.zeros_like(folded)), atol=1e-2)


def test_folded_linear_output_model_equals_reference():
    gen = tiny_generator(scales=4, output="linear")
    with torch.no_grad():
        gen.head.weight.mul_(0.05)
        gen.head.bias.copy_(torch.tensor([0.6, -0.6, 0.0]))  # pixels leave [0, 1]
        noise = periodic_noise([5], 40, 56, 4)
        reference = gen(noise)
    folded = FastGenerator(gen)(noise)
    assert torch.allclose(folded, reference, atol=1e-5)
    assert float(reference[:, 0].max()) == 1.0 and float(reference[:, 1].min()) == 0.0


def test_folded_stylization_generator_equals_reference():
    torch.manual_seed(1)
    gen = randomize_batchnorm(Generator(GeneratorSpec(scales=3, content_channels=3)), 1).eval()
    noise = periodic_noise([1], 32, 40, 3)
    content = torch.rand(1, 3, 32, 40)
    with torch.no_grad():
        reference = gen(noise, content)
    assert torch.allclose(FastGenerator(gen)(noise, content), reference, atol=1e-5)


def test_bfloat16_is_close_to_float32():
    gen = tiny_generator(scales=4)
    noise = periodic_noise([4], 64, 64, 4)
    full = FastGenerator(gen)(noise)
    half = FastGenerator(gen, "bfloat16")(noise)
    assert half.dtype == torch.float32
    assert 30 < psnr(full, half) < float("inf")


def test_fast_noise_is_bit_identical():
    rows, cols = torch.arange(-40, 30), torch.arange(-(2**33), -(2**33) + 50)
    for seeds in ([0], [5, 2**40 + 3]):
        reference = noise_window(seeds[0], 2, 3, rows, cols, seeds)
        fast = noise_window_nhwc(seeds, 2, 3, rows, cols)
        assert torch.equal(fast, reference)
        assert fast.is_contiguous(memory_format=torch.channels_last)


def test_instance_norm_is_left_unfolded():
    gen = tiny_generator(scales=3, norm="instance")
    assert fast_generator(gen) is gen
    with pytest.raises(InputError):
        fast_generator(gen, "bfloat16")


def test_float16_needs_cuda():
    if torch.cuda.is_available():
        pytest.skip("CUDA present")
    with pytest.raises(InputError, match="CUDA"):
        FastGenerator(tiny_generator(scales=3), "float16")


@pytest.mark.parametrize("shape", [(1, 5, 7, 9), (2, 3, 2, 4)])
def test_channels_last_circular_pad_matches_f_pad(shape):
    from texturenet_plugin.runtime.folded import pad_circular

    x = torch.rand(shape).contiguous(memory_format=torch.channels_last)
    padded = pad_circular(x, 1)
    assert padded.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(padded, torch.nn.functional.pad(x, (1, 1, 1, 1), mode="circular"))


def test_importing_the_engine_first_turns_on_huge_pages_unless_the_user_chose():
    """texturenet_plugin sets THP_MEM_ALLOC_ENABLE before torch reads it; a user's value wins."""
    import os
    import subprocess
    import sys

    code = "import texturenet_plugin, os; print(os.environ['THP_MEM_ALLOC_ENABLE'])"
    env = {k: v for k, v in os.environ.items() if k != "THP_MEM_ALLOC_ENABLE"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=False)
    assert out.stdout.strip() == "1", out.stderr
    env["THP_MEM_ALLOC_ENABLE"] = "0"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=False)
    assert out.stdout.strip() == "0", out.stderr


@pytest.mark.parametrize("height,width", [(64, 96), (50, 37)])
def test_content_pyramid_equals_area_resize(height, width):
    """Halvings by 2×2 means (64×96) and odd sizes (area resize) match F.interpolate(area)."""
    from torch.nn import functional as F

    from texturenet_plugin.nets.generator import scale_sizes
    from texturenet_plugin.runtime.folded import content_pyramid

    image = torch.rand(1, 3, height, width)
    sizes = scale_sizes(height, width, 4)
    for level, size in zip(content_pyramid(image, sizes), sizes):
        assert level.shape[-2:] == tuple(size)
        assert torch.allclose(level, F.interpolate(image, size=tuple(size), mode="area"),
                              atol=1e-6)


def test_folding_is_cached_until_a_weight_changes():
    """A warm worker folds a model once; any change of its weights refolds it."""
    gen = tiny_generator(scales=4)
    noise = periodic_noise([3], 32, 32, 4)
    first = folded(gen)
    assert folded(gen) is first and folded(gen, "bfloat16") is not first
    assert folded(gen) is first  # another precision has its own entry
    with torch.no_grad():
        gen.head.bias.add_(0.5)  # in place, as an optimiser step
        reference = gen(noise)
    second = folded(gen)
    assert second is not first and torch.allclose(second(noise), reference, atol=1e-5)
    other = tiny_generator(scales=4, seed=9)
    gen.load_state_dict(other.state_dict())
    with torch.no_grad():
        assert torch.allclose(folded(gen)(noise), other(noise), atol=1e-5)
    running = gen.joins[0].norm_fine.running_var
    running.mul_(2)  # a BatchNorm statistic (a buffer) counts too
    with torch.no_grad():
        assert torch.allclose(folded(gen)(noise), gen(noise), atol=1e-5)


def test_the_fold_cache_does_not_keep_a_generator_alive():
    gen = tiny_generator(scales=3)
    folded(gen)
    ref = weakref.ref(gen)
    del gen
    gc.collect()
    assert ref() is None


def test_a_generator_made_in_inference_mode_is_folded_every_time():
    """Inference tensors have no version counter: such a generator is not cached, and works."""
    with torch.inference_mode():
        gen = tiny_generator(scales=3)
        noise = periodic_noise([2], 24, 24, 3)
        reference = gen(noise)
        fast = folded(gen)
        assert folded(gen) is not fast
        assert torch.allclose(fast(noise), reference, atol=1e-5)
