"""The finish stage: the last iterations of a run on larger samples, Adam started afresh."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from texturenet_plugin.errors import InputError
from texturenet_plugin.progress import Reporter
from texturenet_plugin.train.config import PRESETS, TrainConfig, preset
from texturenet_plugin.train.checkpoint import checkpoint_path, load_checkpoint
from texturenet_plugin.train.loop import new_state, train_texture
from texturenet_plugin.train.texture import resumed_config
from texturenet_plugin.zoo.descriptor_weights import load_descriptor

TINY = TrainConfig(iterations=5, batch_size=2, size=32, lr=0.05, descriptor="random", scales=3,
                   checkpoint_every=10, layers=("relu1_1", "relu2_1", "relu3_1"),
                   finish_iterations=2, finish_size=64, finish_lr=0.001)


def test_the_schedule_switches_size_and_rate_for_the_last_iterations():
    assert [TINY.size_at(i) for i in range(5)] == [32, 32, 32, 64, 64]
    assert [TINY.lr_at(i) for i in range(5)] == [0.05, 0.05, 0.05, 0.001, 0.001]
    plain = replace(TINY, finish_iterations=0)
    assert {plain.size_at(i) for i in range(5)} == {32}
    assert plain.lr_at(4) == 0.05


@pytest.mark.parametrize("field, value", [("finish_iterations", 5), ("finish_iterations", -1),
                                          ("finish_size", 4), ("finish_lr", 0.0)])
def test_impossible_finish_settings_are_refused(field, value):
    with pytest.raises(InputError, match=field):
        replace(TINY, **{field: value}).validate()


def test_the_cpu_preset_ends_on_larger_samples():
    cpu = PRESETS["cpu"].validate()
    assert cpu.finish_iterations > 0 and cpu.finish_size > cpu.size


def test_a_run_draws_finish_samples_and_restarts_adam_for_them(tmp_path):
    sides, states = [], []

    def make_state(config, device):
        state = new_state(config, device)
        state.generator.register_forward_hook(lambda m, i, out: sides.append(out.shape[-1]))
        states.append(state)
        return state

    exemplar = torch.rand(3, 48, 48, generator=torch.Generator().manual_seed(0))
    events = []
    train_texture(exemplar, load_descriptor("random"), TINY, tmp_path / "run",
                  Reporter(events.append), make_state=make_state)
    said = [e.message for e in events if e.stage == "train"]
    assert ["finish stage: 64x64" in m for m in said] == [False] * 3 + [True] * 2
    assert sides[:5] == [32, 32, 32, 64, 64]
    assert set(sides[5:]) == {64}  # BatchNorm is calibrated on the samples the run ended on
    steps = {int(s["step"]) for s in states[0].optimizer.state.values()}
    assert steps == {2}  # Adam's moments count the finish stage only


def test_an_iterations_override_keeps_the_finish_stage_at_its_share():
    cpu = PRESETS["cpu"]
    assert preset("cpu", iterations=cpu.iterations).finish_iterations == cpu.finish_iterations
    half = preset("cpu", iterations=cpu.iterations // 2)
    assert half.finish_iterations == round(cpu.finish_iterations / 2)
    assert preset("cpu", iterations=1).validate().finish_iterations == 0
    assert preset("cpu", iterations=50, finish_iterations=0).finish_start == 50
    with pytest.raises(InputError, match="finish_iterations"):
        preset("cpu", iterations=50, finish_iterations=50).validate()


def test_a_checkpoint_from_before_the_finish_stage_resumes_on_its_own_schedule(tmp_path):
    old = replace(TINY, iterations=3, finish_iterations=0, lr_decay_start=2, lr_decay_every=1)
    run = tmp_path / "run"
    train_texture(torch.rand(3, 48, 48), load_descriptor("random"), old, run)
    payload = torch.load(checkpoint_path(run), weights_only=True)
    for key in ("finish_iterations", "finish_size", "finish_lr"):
        del payload["config"][key]  # as written before session 7
    torch.save(payload, checkpoint_path(run))
    with pytest.raises(InputError, match="lr_decay_start"):
        load_checkpoint(run, new_state(TINY, "cpu"), TINY)  # today's preset is another run
    adopted = resumed_config(run, TINY)
    assert (adopted.finish_iterations, adopted.iterations, adopted.lr_decay_start) == (0, 3, 2)
    load_checkpoint(run, new_state(adopted, "cpu"), adopted)  # accepted
    assert resumed_config(run, TINY).size == TINY.size
