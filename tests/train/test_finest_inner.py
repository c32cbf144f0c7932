"""``finest_inner`` in training settings: what the generator gets, and old checkpoints."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from texturenet_plugin.errors import InputError
from texturenet_plugin.train.checkpoint import checkpoint_path, load_checkpoint
from texturenet_plugin.train.config import TrainConfig
from texturenet_plugin.train.loop import new_state, texture_spec, train_texture
from texturenet_plugin.train.texture import resumed_config
from texturenet_plugin.zoo.descriptor_weights import load_descriptor

TINY = TrainConfig(iterations=2, batch_size=1, size=32, descriptor="random", scales=3,
                   width=4, layers=("relu1_1", "relu2_1"))  # finest mixer: 12 channels


def test_a_value_at_or_above_the_full_width_means_the_full_width():
    assert texture_spec(replace(TINY, finest_inner=8)).finest_inner == 8
    for value in (0, 12, 32):  # a preset's 32 on a narrow (width-5, 30-channel) model
        assert texture_spec(replace(TINY, finest_inner=value)).finest_inner == 0
    assert texture_spec(replace(TINY, scales=1, size=32, finest_inner=8)).finest_inner == 0
    with pytest.raises(InputError, match="finest_inner"):
        replace(TINY, finest_inner=-1).validate()


def test_a_checkpoint_from_before_finest_inner_resumes_at_full_width(tmp_path):
    run = tmp_path / "run"
    train_texture(torch.rand(3, 40, 40), load_descriptor("random"), TINY, run)
    payload = torch.load(checkpoint_path(run), weights_only=True)
    del payload["config"]["finest_inner"]  # as written before session 15
    torch.save(payload, checkpoint_path(run))
    now = replace(TINY, finest_inner=8, iterations=3)
    with pytest.raises(InputError, match="finest_inner"):
        load_checkpoint(run, new_state(now, "cpu"), now)
    adopted = resumed_config(run, now)
    assert adopted.finest_inner == 0
    load_checkpoint(run, new_state(adopted, "cpu"), adopted)  # accepted, weights fit
