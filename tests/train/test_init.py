"""`--init`: a training that starts from a trained model's weights (the `refine` preset)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from helpers import save_tiny_model, texnet
from PIL import Image

from texturenet_plugin.errors import Cancelled, InputError
from texturenet_plugin.progress import Reporter
from texturenet_plugin.train.config import TrainConfig
from texturenet_plugin.train.texture import ModelCard, train_texture_model
from texturenet_plugin.zoo.modelfile import load_model

TINY = TrainConfig(iterations=3, batch_size=2, size=32, lr=0.05, descriptor="random", scales=3,
                   checkpoint_every=10, layers=("relu1_1", "relu2_1", "relu3_1"))
STILL = replace(TINY, iterations=1, lr=1e-12, size=64)  # one step that cannot move a weight


def _exemplar(path):
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (48, 48, 3), dtype=np.uint8)).save(path)
    return path


def _weights(model) -> dict[str, torch.Tensor]:
    """Learnt parameters (BatchNorm statistics are recomputed at the end of every run)."""
    return {k: v for k, v in model.state_dict.items() if "running" not in k and "batches" not in k}


def test_init_starts_from_the_model_and_records_it(tmp_path):
    exemplar = _exemplar(tmp_path / "ex.png")
    base = load_model(train_texture_model(exemplar, ModelCard("base"), TINY,
                                          output=tmp_path / "base.tnet"))
    refined = load_model(train_texture_model(exemplar, ModelCard("refined"), STILL,
                                             output=tmp_path / "refined.tnet", init=base))
    fresh = load_model(train_texture_model(exemplar, ModelCard("fresh"), STILL,
                                           output=tmp_path / "fresh.tnet"))
    for key, value in _weights(base).items():
        assert torch.allclose(refined.state_dict[key], value, atol=1e-6), key
    assert any(not torch.allclose(fresh.state_dict[k], v, atol=1e-3)
               for k, v in _weights(base).items())
    record = refined.meta["training"]["init"]
    assert record["name"] == "base" and record["training"]["completed_iterations"] == 3
    assert refined.meta["training"]["size"] == 64


def test_init_refuses_another_architecture_or_element_size(tmp_path):
    exemplar = _exemplar(tmp_path / "ex.png")
    four_scales = load_model(save_tiny_model(tmp_path / "s4.tnet", scales=4))
    with pytest.raises(InputError, match="--init 'tiny' is not the generator"):
        train_texture_model(exemplar, ModelCard("x"), STILL, init=four_scales)
    base = load_model(save_tiny_model(tmp_path / "s3.tnet", scales=3))
    base.meta["training"]["exemplar_scale"] = 2.0
    with pytest.raises(InputError, match="--exemplar-scale 2"):
        train_texture_model(exemplar, ModelCard("x"), STILL, init=base)
    base.kind = "style"
    with pytest.raises(InputError, match="not a texture model"):
        train_texture_model(exemplar, ModelCard("x"), STILL, init=base)


def test_refine_preset_needs_init_and_runs_with_it(tmp_path, capsys):
    exemplar = _exemplar(tmp_path / "ex.png")
    base = save_tiny_model(tmp_path / "base.tnet", scales=6)
    args = ["train", "texture", str(exemplar), "--name", "refined", "--preset", "refine",
            "--descriptor", "random", "--iterations", "1", "--batch-size", "1", "--size", "64",
            "--progress", "none"]
    code, _, err = texnet(capsys, *args)
    assert code == 2 and "--init" in err
    code, _, err = texnet(capsys, *args, "--init", str(base), "-o", str(tmp_path / "r.tnet"))
    assert code == 0, err
    assert load_model(tmp_path / "r.tnet").meta["training"]["init"]["name"] == "tiny"


def test_refine_keeps_the_init_models_width(tmp_path, capsys):
    exemplar = _exemplar(tmp_path / "ex.png")
    config = replace(TINY, width=5, scales=6, size=64)
    narrow = train_texture_model(exemplar, ModelCard("narrow"), config,
                                 output=tmp_path / "narrow.tnet")
    code, _, err = texnet(capsys, "train", "texture", str(exemplar), "--name", "wide",
                          "--preset", "refine", "--init", str(narrow), "--descriptor", "random",
                          "--iterations", "1", "--batch-size", "1", "--size", "64",
                          "--progress", "none", "-o", str(tmp_path / "r.tnet"))
    assert code == 0, err
    assert load_model(tmp_path / "r.tnet").spec.channels_step == 5


def test_a_narrower_finest_mixer_prunes_the_init_model(tmp_path, capsys):
    exemplar = _exemplar(tmp_path / "ex.png")
    base = save_tiny_model(tmp_path / "base.tnet", scales=6)  # finest mixer: 48 channels
    args = ["train", "texture", str(exemplar), "--name", "thin", "--preset", "refine",
            "--descriptor", "random", "--iterations", "1", "--batch-size", "1", "--size", "64",
            "--progress", "none"]
    code, _, err = texnet(capsys, *args, "--init", str(base), "--finest-inner", "32",
                          "-o", str(tmp_path / "thin.tnet"))
    assert code == 0, err
    thin = load_model(tmp_path / "thin.tnet")
    assert thin.spec.finest_inner == 32 and thin.state_dict["mixers.4.0.weight"].shape[0] == 32
    code, _, err = texnet(capsys, *args, "--init", str(tmp_path / "thin.tnet"),
                          "-o", str(tmp_path / "again.tnet"))
    assert code == 0, err  # a refine keeps the init model's inner width
    assert load_model(tmp_path / "again.tnet").spec.finest_inner == 32
    code, _, err = texnet(capsys, *args, "--init", str(tmp_path / "thin.tnet"),
                          "--finest-inner", "40", "-o", str(tmp_path / "wider.tnet"))
    assert code != 0 and "is not the generator this training builds" in err


def _cancelled_run(exemplar, name, config, **kwargs):
    """Start a training and cancel it after its first step: its checkpoint stays."""
    reporter = Reporter()

    def cancel(progress):
        if progress.stage == "train" and progress.done == 1:
            reporter.token.cancel()

    reporter.callback = cancel
    with pytest.raises(Cancelled):
        train_texture_model(exemplar, ModelCard(name), config, reporter, **kwargs)


def test_resume_refuses_a_checkpoint_of_another_init(tmp_path, monkeypatch):
    """A stale checkpoint under the same --name must not silently replace the --init model."""
    monkeypatch.setenv("TEXNET_HOME", str(tmp_path / "home"))
    exemplar = _exemplar(tmp_path / "ex.png")
    base = load_model(train_texture_model(exemplar, ModelCard("base"), TINY,
                                          output=tmp_path / "base.tnet"))
    other = load_model(train_texture_model(exemplar, ModelCard("other"), replace(TINY, seed=1),
                                           output=tmp_path / "other.tnet"))
    _cancelled_run(exemplar, "r", TINY, init=base)
    with pytest.raises(InputError, match="another --init model"):
        train_texture_model(exemplar, ModelCard("r"), TINY, init=other, resume=True)
    train_texture_model(exemplar, ModelCard("r"), TINY, init=base, resume=True)
    _cancelled_run(exemplar, "fresh", TINY)
    with pytest.raises(InputError, match="another --init model"):  # the run had none
        train_texture_model(exemplar, ModelCard("fresh"), TINY, init=base, resume=True)
    train_texture_model(exemplar, ModelCard("fresh"), TINY, resume=True)
