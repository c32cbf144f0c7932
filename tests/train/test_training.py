from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from texturenet_plugin.errors import Cancelled, InputError
from texturenet_plugin.progress import Reporter
from texturenet_plugin.train.checkpoint import checkpoint_path
from texturenet_plugin.train.config import TrainConfig, preset
from texturenet_plugin.train.loop import texture_spec, train_texture
from texturenet_plugin.zoo.descriptor_weights import load_descriptor

TINY = TrainConfig(iterations=30, batch_size=2, size=32, lr=0.05, lr_decay_start=20,
                   lr_decay_every=5, descriptor="random", scales=3, checkpoint_every=10,
                   layers=("relu1_1", "relu2_1", "relu3_1"))


def stripes(size: int = 48) -> torch.Tensor:
    y = torch.arange(size).float()
    img = torch.stack([(torch.sin(y / 2)[:, None] * torch.ones(size)) * 0.5 + 0.5] * 3)
    img[1] *= 0.3
    return img


def test_short_training_lowers_the_texture_loss(tmp_path):
    state = train_texture(stripes(), load_descriptor("random"), TINY, tmp_path / "run")
    first, last = np.mean(state.history[:3]), np.mean(state.history[-3:])
    assert last < 0.5 * first
    assert not state.generator.training  # calibrated and ready to sample


def _cost_after_five_steps(config: TrainConfig, measure, **target) -> dict[str, float]:
    """``measure(images)`` of a fixed noise batch after 5 training steps on stripes, without
    and with the pixel-level ``target`` (one keyword of loop.train_step) -> {"without", "with"}."""
    from texturenet_plugin.nets.noise import random_noise
    from texturenet_plugin.train.loop import exemplar_grams, new_state, train_step

    descriptor = load_descriptor("random")
    grams = exemplar_grams(descriptor, stripes(), config)
    noise = random_noise(4, 32, 32, 3, generator=torch.Generator().manual_seed(9))
    (key, value), = target.items()
    cost = {}
    for name, given in (("without", None), ("with", value)):
        state = new_state(config, torch.device("cpu"))
        for _ in range(5):
            train_step(state, descriptor, grams, config, **{key: given})
        with torch.no_grad():
            cost[name] = float(measure(state.generator(noise)).mean())
    return cost


def test_the_color_term_moves_the_colour_distribution_towards_the_exemplar():
    from texturenet_plugin.nets.losses import color_histogram_loss
    from texturenet_plugin.train.loop import exemplar_colors

    config = TrainConfig(**{**TINY.__dict__, "color_weight": 1e4, "normalize_grads": False,
                            "lr": 0.01})
    colors = exemplar_colors(stripes(), config)
    hist = _cost_after_five_steps(config, lambda x: color_histogram_loss(x, colors),
                                  colors=colors)
    assert exemplar_colors(stripes(), TINY) is None  # off by default
    assert hist["with"] < 0.5 * hist["without"]


def test_resume_continues_exactly(tmp_path):
    desc = load_descriptor("random")
    straight = train_texture(stripes(), desc, TINY, tmp_path / "a")
    first_half = TrainConfig(**{**TINY.__dict__, "iterations": 10})
    train_texture(stripes(), desc, first_half, tmp_path / "b")
    resumed = train_texture(stripes(), desc, TINY, tmp_path / "b", resume=True)
    assert resumed.iteration == 30
    np.testing.assert_allclose(resumed.history, straight.history, rtol=1e-4)


def test_cancel_saves_a_checkpoint(tmp_path):
    reporter = Reporter()

    def cancel_at_7(progress):
        if progress.done == 7:
            reporter.token.cancel()

    reporter.callback = cancel_at_7
    with pytest.raises(Cancelled):
        train_texture(stripes(), load_descriptor("random"), TINY, tmp_path / "run", reporter)
    saved = torch.load(checkpoint_path(tmp_path / "run"), weights_only=True)
    assert saved["iteration"] == 7


def test_resume_refuses_changed_settings(tmp_path):
    desc = load_descriptor("random")
    train_texture(stripes(), desc, TrainConfig(**{**TINY.__dict__, "iterations": 2}), tmp_path)
    changed = TrainConfig(**{**TINY.__dict__, "lr": 0.01})
    with pytest.raises(InputError, match="lr"):
        train_texture(stripes(), desc, changed, tmp_path, resume=True)


def test_width_sets_the_generators_channels_and_is_validated():
    narrow = replace(TINY, width=5)
    assert texture_spec(narrow).channels_step == 5 and texture_spec(TINY).channels_step == 8
    with pytest.raises(InputError, match="width"):
        replace(TINY, width=1).validate()


def test_a_checkpoint_from_before_width_resumes(tmp_path):
    desc = load_descriptor("random")
    train_texture(stripes(), desc, replace(TINY, iterations=2), tmp_path)
    payload = torch.load(checkpoint_path(tmp_path), weights_only=True)
    del payload["config"]["width"]  # as written before session 9
    torch.save(payload, checkpoint_path(tmp_path))
    train_texture(stripes(), desc, replace(TINY, iterations=3), tmp_path, resume=True)
    with pytest.raises(InputError, match="width"):
        train_texture(stripes(), desc, replace(TINY, iterations=4, width=5), tmp_path,
                      resume=True)


def test_paper_preset_is_the_papers_schedule():
    paper = preset("paper")
    assert (paper.iterations, paper.batch_size, paper.size, paper.lr) == (2000, 16, 256, 0.1)
    assert paper.lr_at(999) == 0.1
    assert paper.lr_at(1000) == pytest.approx(0.07)
    assert paper.lr_at(1200) == pytest.approx(0.049)
    with pytest.raises(InputError):
        preset("fast")


def test_resume_refuses_another_exemplar(tmp_path):
    desc = load_descriptor("random")
    train_texture(stripes(), desc, replace(TINY, iterations=2), tmp_path)
    train_texture(stripes(), desc, replace(TINY, iterations=3), tmp_path, resume=True)
    with pytest.raises(InputError, match="another exemplar"):
        train_texture(stripes() * 0.9, desc, replace(TINY, iterations=4), tmp_path,
                      resume=True)


def test_bfloat16_descriptor_gives_float32_taps_close_to_float32():
    from texturenet_plugin.train.loop import descriptor_features, exemplar_grams
    from texturenet_plugin.nets.losses import texture_loss

    descriptor, image = load_descriptor("random"), stripes(64)
    grams = exemplar_grams(descriptor, image, TINY)
    images = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(3))
    plain = descriptor_features(descriptor, images, TINY)
    half = descriptor_features(descriptor, images, replace(TINY, precision="bfloat16"))
    assert all(tap.dtype == torch.float32 for tap in half.values())
    exact, approx = texture_loss(plain, grams), texture_loss(half, grams)
    assert not torch.equal(exact, approx)  # it did compute in another type
    assert torch.allclose(exact, approx, rtol=0.05)
    with pytest.raises(InputError, match="precision"):
        replace(TINY, precision="float16").validate()


def test_a_run_resumes_in_another_descriptor_precision(tmp_path):
    desc = load_descriptor("random")
    train_texture(stripes(), desc, replace(TINY, iterations=2), tmp_path)
    assert checkpoint_path(tmp_path).exists()
    state = train_texture(stripes(), desc, replace(TINY, iterations=4, precision="bfloat16"),
                          tmp_path, resume=True)
    assert state.iteration == 4


def test_the_palette_term_pulls_off_palette_pixels_back_into_the_exemplars_colours():
    from texturenet_plugin.nets.palette import palette_penalty
    from texturenet_plugin.train.loop import exemplar_palette

    config = replace(TINY, palette_weight=50.0, lr=0.01)
    palette = exemplar_palette(stripes(), config)
    cost = _cost_after_five_steps(config, lambda x: palette_penalty(x, palette),
                                  palette=palette)
    assert exemplar_palette(stripes(), TINY) is None  # off by default
    assert cost["with"] < 0.5 * cost["without"]
