"""The model zoo against a real threaded HTTP server on 127.0.0.1: verified, resumable,
offline-safe downloads, and indexes that cannot hurt the machine."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from helpers import save_tiny_model
from zoo_server import Plan, start_server, stop_server

from texturenet_plugin import env as config
from texturenet_plugin.errors import Cancelled, DownloadError, InputError, ModelNotFoundError
from texturenet_plugin.progress import Reporter
from texturenet_plugin.zoo import cache as zoo
from texturenet_plugin.zoo.download import DownloadPolicy, TransferInterrupted, download
from texturenet_plugin.zoo.publish import publish
from texturenet_plugin.zoo.verify import verify_all

FAST = DownloadPolicy(timeout=2.0, retries=2, backoff=0.01)


@pytest.fixture(scope="module")
def zoo_folder(tmp_path_factory) -> Path:
    """A published folder of two tiny models (built once: saving models costs time)."""
    folder = tmp_path_factory.mktemp("zoo")
    save_tiny_model(folder / "tiny-a.tnet", "tiny-a", seed=1)
    save_tiny_model(folder / "tiny-b.tnet", "tiny-b", seed=2)
    publish(folder)
    return folder


@pytest.fixture
def server(zoo_folder, monkeypatch):
    srv = start_server(zoo_folder)
    monkeypatch.setenv("TEXNET_INDEX", f"{srv.url}/index.json")
    monkeypatch.setenv("TEXNET_OFFLINE", "0")
    yield srv
    stop_server(srv)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cache_listing() -> list[str]:
    folder = config.models_cache_dir()
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_publish_serve_pull_round_trip_with_progress(server, zoo_folder):
    events = []
    result = zoo.pull("tiny-a", Reporter(events.append), FAST)
    assert result.action == "downloaded"
    assert result.path == config.models_cache_dir() / "tiny-a.tnet"
    assert sha(result.path) == sha(zoo_folder / "tiny-a.tnet")
    assert cache_listing() == ["tiny-a.tnet", "tiny-a.tnet.json"]
    size = (zoo_folder / "tiny-a.tnet").stat().st_size
    assert events and all(e.stage == "download" and e.total == size for e in events)
    assert events[-1].done == size and "MB/s" in events[-1].message
    assert events[-1].extra["rate"] > 0
    checks = {c.name: c.status for c in verify_all()}
    assert checks["tiny-a"] == "ok" and checks["pebbles"] == "ok"
    # Once there and verified, nothing is fetched again.
    before = len(server.log)
    assert zoo.pull("tiny-a", policy=FAST).action == "up-to-date"
    assert zoo.ensure_model("tiny-a") == result.path
    assert [p for p, _ in server.log[before:]] == ["/index.json"]  # only the index was read


def test_ensure_model_pulls_a_name_only_an_index_knows(server, zoo_folder):
    path = zoo.ensure_model("tiny-b", policy=FAST)
    assert sha(path) == sha(zoo_folder / "tiny-b.tnet")
    assert server.requests_for("tiny-b.tnet") == [None]


def test_corrupt_bytes_are_rejected_and_nothing_stays(server):
    server.plans["tiny-a.tnet"] = Plan(corrupt=True)
    with pytest.raises(DownloadError, match="sha256 is .* the index says"):
        zoo.pull("tiny-a", policy=FAST)
    assert cache_listing() == []


def test_server_sending_more_than_declared_is_refused(server):
    server.plans["tiny-a.tnet"] = Plan(extra=b"x" * 1000)
    with pytest.raises(DownloadError, match="more than the .* bytes the index declares"):
        zoo.pull("tiny-a", policy=FAST)
    assert cache_listing() == []


def test_truncated_transfer_resumes_with_range(server, zoo_folder):
    server.plans["tiny-a.tnet"] = Plan(cut_after=40_000)
    path = zoo.pull("tiny-a", policy=FAST).path
    assert sha(path) == sha(zoo_folder / "tiny-a.tnet")
    assert server.requests_for("tiny-a.tnet") == [None, "bytes=40000-"]
    assert cache_listing() == ["tiny-a.tnet", "tiny-a.tnet.json"]


def test_server_without_range_support_restarts_from_zero(server, zoo_folder):
    server.plans["tiny-a.tnet"] = Plan(cut_after=40_000, ranges=False)
    path = zoo.pull("tiny-a", policy=FAST).path
    assert sha(path) == sha(zoo_folder / "tiny-a.tnet")
    assert server.requests_for("tiny-a.tnet") == [None, "bytes=40000-"]  # answered with 200


def test_partial_file_of_an_earlier_run_is_resumed(server, zoo_folder):
    data = (zoo_folder / "tiny-a.tnet").read_bytes()
    entry = zoo.find_entry("tiny-a", FAST)
    cache = config.models_cache_dir()
    cache.mkdir(parents=True)
    (cache / f".tiny-a.tnet.{entry.sha256[:16]}.old.part").write_bytes(data[:50_000])
    path = zoo.pull("tiny-a", policy=FAST).path
    assert path.read_bytes() == data
    assert server.requests_for("tiny-a.tnet") == ["bytes=50000-"]
    assert cache_listing() == ["tiny-a.tnet", "tiny-a.tnet.json"]


def test_garbage_partial_and_416_fall_back_to_a_full_download(server, zoo_folder):
    data = (zoo_folder / "tiny-a.tnet").read_bytes()
    entry = zoo.find_entry("tiny-a", FAST)
    cache = config.models_cache_dir()
    cache.mkdir(parents=True)
    part = cache / f".tiny-a.tnet.{entry.sha256[:16]}.old.part"
    part.write_bytes(b"\0" * 1000)  # wrong bytes: the resumed file fails its hash
    assert zoo.pull("tiny-a", policy=FAST).path.read_bytes() == data
    assert server.requests_for("tiny-a.tnet") == ["bytes=1000-", None]
    server.plans["tiny-a.tnet"] = Plan(statuses=(416,))
    server.counts.clear()
    part.write_bytes(data[:10])
    assert zoo.pull("tiny-a", policy=FAST, force=True).path.read_bytes() == data
    assert server.requests_for("tiny-a.tnet")[2:] == ["bytes=10-", None]


def test_404_is_permanent_and_clear(server):
    server.plans["tiny-a.tnet"] = Plan(statuses=(404,))
    with pytest.raises(DownloadError, match="answered 404.*out of date"):
        zoo.pull("tiny-a", policy=FAST)
    assert len(server.requests_for("tiny-a.tnet")) == 1  # not retried
    assert cache_listing() == []


def test_500_is_retried_then_reported(server, zoo_folder):
    server.plans["tiny-a.tnet"] = Plan(statuses=(500,))
    assert sha(zoo.pull("tiny-a", policy=FAST).path) == sha(zoo_folder / "tiny-a.tnet")
    server.plans["tiny-b.tnet"] = Plan(statuses=(500, 500, 500, 500))
    with pytest.raises(DownloadError, match="after 3 tries.*answered 500"):
        zoo.pull("tiny-b", policy=FAST)
    assert len(server.requests_for("tiny-b.tnet")) == 3
    assert "tiny-b.tnet" not in cache_listing()


def test_stalled_server_hits_the_timeout_and_keeps_the_partial(server, zoo_folder):
    server.plans["tiny-a.tnet"] = Plan(stall=30)
    policy = DownloadPolicy(timeout=0.8, retries=1, backoff=0.01)
    start = time.monotonic()
    with pytest.raises(TransferInterrupted, match="timed out.*again to resume"):
        zoo.pull("tiny-a", policy=policy)
    assert time.monotonic() - start < 5
    parts = [p for p in config.models_cache_dir().iterdir() if p.name.endswith(".part")]
    assert len(parts) == 1 and "tiny-a.tnet" not in cache_listing()
    kept = parts[0].stat().st_size
    assert kept == 200  # 100 bytes from each of the two attempts (the second one resumed)
    server.plans["tiny-a.tnet"] = Plan()  # the server recovers: the next pull resumes
    assert sha(zoo.pull("tiny-a", policy=FAST).path) == sha(zoo_folder / "tiny-a.tnet")
    assert server.requests_for("tiny-a.tnet") == [None, "bytes=100-", "bytes=200-"]
    assert cache_listing() == ["tiny-a.tnet", "tiny-a.tnet.json"]


def test_cancel_stops_the_download_and_a_later_pull_resumes(server, zoo_folder):
    server.plans["tiny-a.tnet"] = Plan(chunk_delay=0.05)
    reporter = Reporter()
    reporter.callback = lambda p: reporter.token.cancel()  # at the first progress event
    with pytest.raises(Cancelled):
        zoo.pull("tiny-a", reporter, FAST)
    assert "tiny-a.tnet" not in cache_listing()
    (part,) = [p for p in config.models_cache_dir().iterdir() if p.name.endswith(".part")]
    kept = part.stat().st_size
    assert 0 < kept < (zoo_folder / "tiny-a.tnet").stat().st_size
    assert sha(zoo.pull("tiny-a", policy=FAST).path) == sha(zoo_folder / "tiny-a.tnet")
    assert server.requests_for("tiny-a.tnet") == [None, f"bytes={kept}-"]


PULL = "from texturenet_plugin.zoo import cache; print(cache.pull('tiny-a').action)"


def test_two_processes_pulling_at_once_end_with_one_good_file(server, zoo_folder, texnet_home):
    # Both responses are held until both requests arrived, then sent slowly: they overlap.
    server.plans["tiny-a.tnet"] = Plan(chunk_delay=0.05, gate=threading.Barrier(2, timeout=50))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    procs = [subprocess.Popen([sys.executable, "-c", PULL], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [proc.communicate(timeout=60) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    assert sha(config.models_cache_dir() / "tiny-a.tnet") == sha(zoo_folder / "tiny-a.tnet")
    assert cache_listing() == ["tiny-a.tnet", "tiny-a.tnet.json"]
    assert [out.strip() for out, _ in outputs] == ["downloaded", "downloaded"]
    # The second process did not resume the first one's (locked) partial file.
    assert server.requests_for("tiny-a.tnet") == [None, None]


def test_offline_mode_never_touches_the_network(server, monkeypatch):
    monkeypatch.setenv("TEXNET_OFFLINE", "1")
    with pytest.raises(ModelNotFoundError, match="TEXNET_OFFLINE=1 forbids.*unset TEXNET_OFF"):
        zoo.ensure_model("tiny-a", policy=FAST)
    assert zoo.remote_models().skipped == [f"{server.url}/index.json"]
    assert server.log == []
    assert zoo.ensure_model("pebbles").name == "pebbles.tnet"  # bundled works offline


def test_offline_file_index_pointing_at_http_refuses_to_download(server, tmp_path, monkeypatch):
    index = json.loads((server.root / "index.json").read_text())
    for model in index["models"]:
        model["url"] = f"{server.url}/{model['url']}"
    (tmp_path / "index.json").write_text(json.dumps(index))
    monkeypatch.setenv("TEXNET_INDEX", (tmp_path / "index.json").as_uri())
    monkeypatch.setenv("TEXNET_OFFLINE", "1")
    with pytest.raises(DownloadError, match="TEXNET_OFFLINE=1 forbids downloading 'tiny-a'"):
        zoo.pull("tiny-a")
    assert server.log == []


def test_file_index_works_offline(zoo_folder, monkeypatch):
    monkeypatch.setenv("TEXNET_INDEX", (zoo_folder / "index.json").as_uri())
    path = zoo.ensure_model("tiny-b")
    assert sha(path) == sha(zoo_folder / "tiny-b.tnet")
    assert zoo.read_record(path)["index"] == (zoo_folder / "index.json").as_uri()


@pytest.mark.parametrize("target", ["file:///etc/hostname", "ftp://127.0.0.1/tiny-a.tnet"])
def test_redirect_away_from_http_is_refused(server, target):
    server.plans["tiny-a.tnet"] = Plan(redirect=target)
    with pytest.raises(DownloadError, match="(redirects to .*refused)|(302.*not allowed)"):
        zoo.pull("tiny-a", policy=FAST)
    assert cache_listing() == []


@pytest.mark.parametrize("name", ["../evil", "/etc/passwd", "a/b", "..", "Evil", "x" * 65, ""])
def test_path_traversal_names_are_refused(name):
    with pytest.raises(InputError, match="invalid model name"):
        zoo.pull(name)


def test_not_enough_disk_space_is_reported_before_downloading(server, monkeypatch):
    from texturenet_plugin.zoo import download

    almost_full = shutil.disk_usage("/")._replace(free=1000)
    monkeypatch.setattr(download.shutil, "disk_usage", lambda _: almost_full)
    with pytest.raises(DownloadError, match="MB free; the download needs"):
        zoo.pull("tiny-a", policy=FAST)
    assert server.requests_for("tiny-a.tnet") == [] and cache_listing() == []


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_untrusted_https_certificate_is_a_clear_permanent_error(zoo_folder, tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    srv = start_server(zoo_folder, tls=context)
    slow_retries = DownloadPolicy(timeout=2, retries=3, backoff=1)  # retrying would take 7 s
    try:
        start = time.monotonic()
        with pytest.raises(DownloadError, match="certificate is not trusted"):
            download(f"{srv.url}/tiny-a.tnet", config.models_cache_dir() / "tiny-a.tnet",
                     "0" * 64, 1000, policy=slow_retries)
        assert time.monotonic() - start < 1
        assert srv.log == [] and cache_listing() == []
    finally:
        stop_server(srv)
