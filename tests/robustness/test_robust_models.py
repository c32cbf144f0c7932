"""Issue 17: model files are validated (types, ranges, architecture, weights' shapes) before
any network is built; a broken file is exit 4 "not a valid model", never an internal error or a
44 GB allocation (F2, F8, F12-F16, versions 0/-5, NaN weights, --model '')."""

from __future__ import annotations

import copy
import hashlib
import json
import time

import pytest
import torch
from probe import PEAK_LIMIT, env_with, payload, texnet, write_payload
from texnet_cli.app import run
from texnet_cli.main import cli
from zoo_server import start_server, stop_server

from texturenet_plugin.errors import ModelError
from texturenet_plugin.zoo.modelfile import load_model


def damaged(**changes) -> dict:
    data = copy.deepcopy(payload())
    for key, value in changes.items():
        if key.startswith("arch_"):
            data["arch"][key[5:]] = value
        else:
            data[key] = value
    return data


def refused_model(outcome):
    assert outcome.code == 4, outcome.err
    assert "Error:" not in outcome.err and "internal" not in outcome.err.lower(), outcome.err
    assert outcome.peak < PEAK_LIMIT, outcome.peak


def test_f2_a_huge_channel_step_is_refused_before_building(tmp_path):
    path = write_payload(tmp_path / "huge.tnet", damaged(arch_channels_step=2500))
    assert path.stat().st_size < 200_000
    started = time.monotonic()
    with pytest.raises(ModelError, match="channels_step"):
        load_model(path)
    assert time.monotonic() - started < 5
    out = texnet("fill", "--model", path, "--tile", "32x32", "-o", tmp_path / "t.png")
    refused_model(out)
    assert "channels_step" in out.err


def test_f2_models_pull_refuses_a_huge_model_whose_checksum_matches(tmp_path):
    folder = tmp_path / "zoo"
    model = write_payload(folder / "huge.tnet", damaged(arch_channels_step=2500))
    data = model.read_bytes()
    index = {"version": 1, "models": [{"name": "huge", "kind": "texture", "url": "huge.tnet",
                                       "sha256": hashlib.sha256(data).hexdigest(),
                                       "bytes": len(data)}]}
    (folder / "index.json").write_text(json.dumps(index))
    server = start_server(folder)
    try:
        out = texnet("models", "pull", "huge",
                     env=env_with(TEXNET_OFFLINE="0", TEXNET_INDEX=f"{server.url}/index.json"))
    finally:
        stop_server(server)
    refused_model(out)
    cache = tmp_path / "texnet-home" / "cache" / "models"
    assert not cache.exists() or not list(cache.iterdir())


@pytest.mark.parametrize("case, change", [
    ("F8 negative channel step", {"arch_channels_step": -8}),
    ("F13 state_dict a list", {"state_dict": [1, 2, 3]}),
    ("F14 arch a string", {"arch": "big"}),
    ("F15 negative channel step (CLI)", {"arch_channels_step": -1}),
    ("F16 meta a string", {"meta": "hello"}),
    ("version 0", {"version": 0}),
    ("version -5", {"version": -5}),
    ("arch field of the wrong type", {"arch_scales": "6"}),
    ("bool as an int", {"arch_noise_channels": True}),
    ("texture with content channels", {"arch_content_channels": 3}),
])
def test_f13_f16_malformed_model_files_are_exit_4(tmp_path, capsys, case, change):
    path = write_payload(tmp_path / "bad.tnet", damaged(**change))
    with pytest.raises(ModelError):
        load_model(path)
    code = run(cli, ["fill", "--model", str(path), "--tile", "32x32",
                     "-o", str(tmp_path / "t.png")])
    err = capsys.readouterr().err
    assert code == 4 and "internal" not in err, err
    assert not (tmp_path / "t.png").exists()


def test_weights_of_the_wrong_shape_or_with_nan_are_refused(tmp_path):
    data = damaged()
    name = next(k for k, v in data["state_dict"].items() if v.is_floating_point())
    data["state_dict"][name] = torch.full_like(data["state_dict"][name], float("nan"))
    with pytest.raises(ModelError, match="NaN"):
        load_model(write_payload(tmp_path / "nan.tnet", data))
    data = damaged()
    data["state_dict"][name] = torch.zeros(3, 3)
    with pytest.raises(ModelError, match="do not fit"):
        load_model(write_payload(tmp_path / "shape.tnet", data))


def test_f12_a_truncated_user_model_is_listed_as_broken_not_fatal(tmp_path, texnet_home):
    good = write_payload(texnet_home / "data" / "models" / "good.tnet", payload())
    broken = texnet_home / "data" / "models" / "broken.tnet"
    broken.write_bytes(good.read_bytes()[:500])
    out = texnet("models", "list", "--json")
    assert out.code == 0, out.err
    rows = {row["name"]: row for row in json.loads(out.out)}
    assert rows["good"]["kind"] == "texture" and "pebbles" in rows
    assert rows["broken"]["kind"] == "broken" and rows["broken"]["problem"]
    assert "broken.tnet" in out.err


def test_an_empty_model_name_is_refused_not_the_default(tmp_path, capsys):
    code = run(cli, ["fill", "--model", "", "--tile", "32x32", "-o", str(tmp_path / "t.png")])
    err = capsys.readouterr().err
    assert code == 1 and "invalid model name" in err, err
    assert not (tmp_path / "t.png").exists()


def test_bundled_models_pass_the_validation():
    from texturenet_plugin.zoo import local as registry

    for entry in registry.list_local():
        assert load_model(entry.path).kind in ("texture", "style")
