from __future__ import annotations

import pickle

import pytest
import torch
from helpers import save_tiny_model, tiny_generator

from texturenet_plugin.errors import ModelError
from texturenet_plugin.nets.generator import Generator, GeneratorSpec
from texturenet_plugin.nets.noise import periodic_noise
from texturenet_plugin.zoo.modelfile import ModelFile, load_model, save_model


def test_round_trip_gives_the_same_generator(tmp_path):
    path = save_tiny_model(tmp_path / "m.tnet", seed=4)
    model = load_model(path)
    assert model.kind == "texture" and model.name == "tiny"
    noise = periodic_noise([1], 32, 32, 3)
    with torch.no_grad():
        assert torch.equal(model.build()(noise), tiny_generator(seed=4)(noise))


def test_file_loads_with_weights_only(tmp_path):
    path = save_tiny_model(tmp_path / "m.tnet")
    payload = torch.load(path, weights_only=True)
    assert payload["format"] == "texnet-generator" and payload["version"] == 1


def test_a_thinned_model_is_version_2_and_round_trips(tmp_path):
    """Version 2 only where needed: a reader of version 1 would take a thinned model's
    narrower weights for a damaged file rather than ask for an upgrade."""
    gen = Generator(GeneratorSpec(scales=3, channels_step=4, finest_inner=8)).eval()
    path = save_model(ModelFile("texture", gen.spec, gen.state_dict(), {"name": "thin"}),
                      tmp_path / "thin.tnet")
    assert torch.load(path, weights_only=True)["version"] == 2
    model = load_model(path)
    assert model.spec.finest_inner == 8
    noise = periodic_noise([1], 32, 32, 3)
    with torch.no_grad():
        assert torch.equal(model.build()(noise), gen(noise))
    payload = torch.load(path, weights_only=True)
    payload["arch"]["finest_inner"] = 8.0
    torch.save(payload, path)
    with pytest.raises(ModelError, match="finest_inner"):
        load_model(path)


def test_future_version_is_refused_clearly(tmp_path):
    path = save_tiny_model(tmp_path / "m.tnet")
    payload = torch.load(path, weights_only=True)
    payload["version"] = 99
    torch.save(payload, path)
    with pytest.raises(ModelError, match="upgrade texnet"):
        load_model(path)


def test_pickled_code_is_not_executed(tmp_path):
    class Evil:
        def __reduce__(self):
            return (exec, ("open('pwned','w').write('x')",))

    path = tmp_path / "evil.tnet"
    path.write_bytes(pickle.dumps({"format": "texnet-generator", "x": Evil()}))
    with pytest.raises(ModelError):
        load_model(path)
    assert not (tmp_path / "pwned").exists()


def test_garbage_and_missing_files(tmp_path):
    (tmp_path / "junk.tnet").write_bytes(b"not a model")
    with pytest.raises(ModelError):
        load_model(tmp_path / "junk.tnet")
    with pytest.raises(ModelError, match="does not exist"):
        load_model(tmp_path / "missing.tnet")
