"""``texnet models ...`` and ``texnet fill --model NAME`` against a real loopback zoo."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import save_tiny_model
from PIL import Image
from texnet_cli.app import run
from texnet_cli.main import cli
from zoo_server import start_server, stop_server

from texturenet_plugin import env as config


def texnet(capsys, *argv):
    code = run(cli, list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zoo-cli")
    save_tiny_model(folder / "tiny-c.tnet", "tiny-c", seed=3)
    return folder


@pytest.fixture
def served(folder, monkeypatch, capsys):
    """Publish with the CLI, serve over HTTP, point TEXNET_INDEX at it, go online."""
    code, out, _ = texnet(capsys, "models", "publish", str(folder))
    assert code == 0 and out.strip() == str(folder / "index.json")
    server = start_server(folder)
    monkeypatch.setenv("TEXNET_INDEX", f"{server.url}/index.json")
    monkeypatch.setenv("TEXNET_OFFLINE", "0")
    yield server
    stop_server(server)


def test_fresh_install_lists_bundled_models_offline(capsys):
    code, out, _ = texnet(capsys, "models", "list", "--json")
    rows = json.loads(out)
    assert code == 0 and ("pebbles", "bundled") in [(r["name"], r["where"]) for r in rows]
    assert {r["where"] for r in rows} == {"bundled"}
    code, out, _ = texnet(capsys, "models", "list")
    assert code == 0 and any(line.startswith("pebbles ") for line in out.splitlines())


def test_plain_list_never_reads_indexes_even_online(served, capsys):
    code, out, _ = texnet(capsys, "models", "list")
    assert code == 0 and "pebbles" in out and "tiny-c" not in out and served.log == []


def test_list_remote_pull_info_verify_rm(served, capsys):
    code, out, _ = texnet(capsys, "models", "list", "--remote", "--json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert code == 0 and rows["tiny-c"]["where"] == "index"
    assert rows["tiny-c"]["url"] == f"{served.url}/tiny-c.tnet"
    code, out, _ = texnet(capsys, "models", "info", "tiny-c")
    assert code == 0 and json.loads(out)["installed"] is False
    code, out, err = texnet(capsys, "models", "pull", "tiny-c", "--progress", "json")
    events = [json.loads(line) for line in err.splitlines()]
    cached = config.models_cache_dir() / "tiny-c.tnet"
    assert code == 0 and out == "" and events[-1] == {"event": "result", "path": str(cached)}
    assert any(e.get("stage") == "download" for e in events)
    code, out, _ = texnet(capsys, "models", "info", "tiny-c")
    assert code == 0 and json.loads(out)["record"]["url"] == f"{served.url}/tiny-c.tnet"
    code, out, _ = texnet(capsys, "models", "verify")
    assert code == 0 and "ok         cache    tiny-c" in out
    code, _, err = texnet(capsys, "models", "rm", "tiny-c")
    assert code == 0 and not cached.exists() and not cached.with_suffix(".tnet.json").exists()
    code, _, err = texnet(capsys, "models", "rm", "pebbles")
    assert code == 1 and "bundled" in err


def test_verify_reports_and_deletes_corrupt_downloads(served, capsys):
    assert texnet(capsys, "models", "pull", "tiny-c", "-q")[0] == 0
    cached = config.models_cache_dir() / "tiny-c.tnet"
    data = bytearray(cached.read_bytes())
    data[5000] ^= 1
    cached.write_bytes(bytes(data))
    code, out, err = texnet(capsys, "models", "verify")
    assert code == 4 and "corrupt    cache    tiny-c" in out and "--delete" in err
    code, out, _ = texnet(capsys, "models", "verify", "--delete", "--json")
    report = {r["name"]: r for r in json.loads(out)}
    assert code == 0 and report["tiny-c"]["deleted"] and not cached.exists()
    assert report["pebbles"]["status"] == "ok"


def test_fill_pulls_a_model_it_does_not_have(served, tmp_path, capsys):
    out = tmp_path / "tile.png"
    code, _, err = texnet(capsys, "fill", "--model", "tiny-c", "--tile", "32x32", "-o", str(out),
                          "--progress", "json")
    stages = {json.loads(line).get("stage") for line in err.splitlines()}
    assert code == 0, err
    assert np.asarray(Image.open(out)).shape == (32, 32, 3)
    assert "download" in stages and (config.models_cache_dir() / "tiny-c.tnet").is_file()


def test_offline_pull_says_what_to_do(served, monkeypatch, capsys):
    monkeypatch.setenv("TEXNET_OFFLINE", "1")
    code, _, err = texnet(capsys, "models", "pull", "tiny-c")
    assert code == 4 and "unset TEXNET_OFFLINE" in err and served.log == []
    code, _, err = texnet(capsys, "models", "list", "--remote")
    assert code == 0 and "skipped" in err and served.log == []


def test_http_errors_reach_the_user_with_exit_4(served, capsys):
    (served.root / "index.json").write_text(
        (served.root / "index.json").read_text().replace("tiny-c.tnet", "gone.tnet"))
    code, _, err = texnet(capsys, "models", "pull", "tiny-c", "--progress", "json")
    event = json.loads(err.splitlines()[-1])
    assert code == 4 and event["code"] == "download" and "404" in event["message"]


def test_index_commands_and_bad_names(capsys):
    code, _, err = texnet(capsys, "models", "index", "add", "https://example.org/index.json")
    assert code == 0 and "added" in err
    code, out, _ = texnet(capsys, "models", "index", "list")
    assert out.splitlines()[1:] == ["https://example.org/index.json"]
    code, _, err = texnet(capsys, "models", "index", "add", "ftp://example.org/i.json")
    assert code == 1 and "only http://" in err
    code, _, err = texnet(capsys, "models", "pull", "../../etc/passwd")
    assert code == 1 and "invalid model name" in err
    code, _, _ = texnet(capsys, "models", "index", "rm", "https://example.org/index.json")
    assert code == 0 and texnet(capsys, "models", "index", "list")[1].count("\n") == 1


def test_publish_with_base_url_and_errors(folder, tmp_path, capsys):
    target = tmp_path / "zoo"
    target.mkdir()
    (target / "tiny-c.tnet").write_bytes((folder / "tiny-c.tnet").read_bytes())
    code, _, _ = texnet(capsys, "models", "publish", str(target), "--base-url",
                        "https://cdn.example.org/models/")
    doc = json.loads((target / "index.json").read_text())
    assert code == 0 and doc["models"][0]["url"] == "https://cdn.example.org/models/tiny-c.tnet"
    code, _, err = texnet(capsys, "models", "publish", str(tmp_path / "empty-nope"))
    assert code == 1 and "is not a folder" in err
    (tmp_path / "empty").mkdir()
    code, _, err = texnet(capsys, "models", "publish", str(tmp_path / "empty"))
    assert code == 1 and "no .tnet files" in err
