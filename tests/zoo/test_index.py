"""Index format: malformed and hostile indexes get clear errors, never a crash or a write
outside the cache; the bundled index matches the bundled files; the config file of indexes."""

from __future__ import annotations

import json

import pytest
from zoo_server import start_server, stop_server

from texturenet_plugin import env as config
from texturenet_plugin.errors import InputError, ModelNotFoundError
from texturenet_plugin.zoo import cache as zoo
from texturenet_plugin.zoo import index
from texturenet_plugin.zoo import local as registry
from texturenet_plugin.zoo.index import IndexFormatError, parse_index
from texturenet_plugin.zoo.publish import build_index

SHA = "ab" * 32
GOOD = {"name": "ok", "kind": "texture", "url": "ok.tnet", "sha256": SHA, "bytes": 10}
BASE = "http://127.0.0.1:1/zoo/index.json"


def bundled_names() -> list[str]:
    """The names the bundled index lists (the entries every lookup starts with)."""
    return [entry["name"] for entry in json.loads(index.bundled_index_path().read_text())["models"]]


def doc(**changes) -> bytes:
    entry = {k: v for k, v in {**GOOD, **changes}.items() if v is not None}
    return json.dumps({"version": 1, "models": [entry]}).encode()


def test_a_good_index_resolves_relative_urls():
    (entry,) = parse_index(doc(url="sub/ok.tnet"), BASE)
    assert entry.url == "http://127.0.0.1:1/zoo/sub/ok.tnet" and entry.index == BASE
    assert entry.title == "" and entry.bytes == 10


@pytest.mark.parametrize("data, message", [
    (b"{not json", "not valid JSON"),
    (b"\xff\xfe", "not valid JSON"),
    (b"[]", "expected an object with a 'models' list"),
    (b'{"version": 1, "models": {}}', "expected an object with a 'models' list"),
    (b'{"version": 2, "models": []}', "version 2; this texnet reads version 1"),
    (b'{"version": "1", "models": []}', "version '1'"),
    (b'{"version": 1, "models": [7]}', "expected an object, got int"),
    (doc(name="../evil"), "unsafe or invalid model name"),
    (doc(name="/etc/passwd"), "unsafe or invalid model name"),
    (doc(name="a/b"), "unsafe or invalid model name"),
    (doc(name=".."), "unsafe or invalid model name"),
    (doc(name="C:\\x"), "unsafe or invalid model name"),
    (doc(name=None), "'name' must be a str"),
    (doc(name=["x"]), "'name' must be a str"),
    (doc(kind="exe"), "kind must be one of"),
    (doc(sha256="abc"), "64 lower-case hex"),
    (doc(sha256=SHA.upper()), "64 lower-case hex"),
    (doc(sha256=12), "'sha256' must be a str"),
    (doc(bytes="10"), "'bytes' must be a int"),
    (doc(bytes=True), "'bytes' must be a int"),
    (doc(bytes=10.0), "'bytes' must be a int"),
    (doc(bytes=-1), "outside 1.."),
    (doc(bytes=10**15), "outside 1.."),
    (doc(url="ftp://x/ok.tnet"), "forbidden scheme"),
    (doc(url="javascript:alert(1)"), "forbidden scheme"),
    (doc(url="file:///etc/passwd"), "may not point at local files"),
    (doc(title={"a": 1}), "'title' must be a str"),
    (json.dumps({"version": 1, "models": [GOOD, GOOD]}).encode(), "listed twice"),
    (b" " * (index.MAX_INDEX_BYTES + 1), "larger than"),
])
def test_hostile_indexes_are_refused_clearly(data, message):
    with pytest.raises(IndexFormatError, match=message):
        parse_index(data, BASE)


def test_a_hostile_served_index_is_skipped_and_named(tmp_path, monkeypatch, texnet_home):
    (tmp_path / "index.json").write_text(json.dumps(
        {"version": 1, "models": [{**GOOD, "name": "../../outside"}]}))
    server = start_server(tmp_path)
    try:
        monkeypatch.setenv("TEXNET_INDEX", f"{server.url}/index.json")
        monkeypatch.setenv("TEXNET_OFFLINE", "0")
        with pytest.raises(ModelNotFoundError, match="unreadable indexes:.*unsafe or invalid"):
            zoo.pull("outside")
        lookup = zoo.remote_models()
        assert list(lookup.entries) == bundled_names() and len(lookup.problems) == 1
    finally:
        stop_server(server)
    assert not (tmp_path.parent / "outside.tnet").exists()
    assert not config.models_cache_dir().exists()  # nothing was written at all


def test_unreachable_and_missing_indexes_do_not_block_the_others(tmp_path, monkeypatch):
    missing = (tmp_path / "nope.json").as_uri()
    monkeypatch.setenv("TEXNET_INDEX", f"{missing},http://127.0.0.1:9/index.json")
    monkeypatch.setenv("TEXNET_OFFLINE", "0")
    from texturenet_plugin.zoo.download import DownloadPolicy

    lookup = zoo.remote_models(DownloadPolicy(timeout=1, retries=0))
    assert "pebbles" in lookup.entries
    assert len(lookup.problems) == 2 and "cannot read index" in lookup.problems[0]


def test_bundled_index_matches_the_bundled_files():
    """Fails when a .tnet was added to or changed in bundled/ without re-publishing; fix with
    `texnet models publish texturenet_plugin/bundled`."""
    published = index.bundled_index_path().read_text(encoding="utf-8")
    assert build_index(registry.bundled_dir()) == published
    names = {e.name for e in index.read_local_index(index.bundled_index_url())}
    assert registry.DEFAULT_MODEL in names


def test_config_file_indexes(monkeypatch):
    url = "https://models.example.org/index.json"
    assert index.add_index(url) and not index.add_index(url)
    monkeypatch.setenv("TEXNET_INDEX", "file:///srv/a.json")
    assert index.all_indexes() == [index.bundled_index_url(), "file:///srv/a.json", url]
    stored = json.loads(config.config_file().read_text())
    assert stored == {"indexes": [url]}
    assert index.remove_index(url) and not index.remove_index(url)
    with pytest.raises(InputError, match="only http://, https:// and file://"):
        index.add_index("ftp://x/index.json")


def test_config_file_keeps_other_keys_and_reports_damage():
    path = config.config_file()
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"theme": "dark"}))
    index.add_index("file:///srv/z.json")
    assert json.loads(path.read_text()) == {"theme": "dark", "indexes": ["file:///srv/z.json"]}
    path.write_text("{broken")
    with pytest.raises(InputError, match="fix or delete it"):
        index.configured_indexes()


def test_terminal_escapes_in_index_text_are_removed():
    (entry,) = parse_index(doc(title="Nice\x1b]0;pwned\x07\x1b[2J title\n", license="x" * 9999),
                           BASE)
    assert entry.title == "Nice]0;pwned[2J title" and len(entry.license) == 500


@pytest.mark.parametrize("url", ["/srv/zoo/index.json", "ftp:///etc/passwd", "gopher://x/i"])
def test_index_urls_with_other_schemes_are_problems_not_reads(url, monkeypatch):
    monkeypatch.setenv("TEXNET_INDEX", url)
    lookup = zoo.remote_models()
    assert list(lookup.entries) == bundled_names()
    assert len(lookup.problems) == 1 and "only http://, https:// and file://" in lookup.problems[0]


def test_pull_of_a_bundled_name_fetches_nothing():
    result = zoo.pull(registry.DEFAULT_MODEL, force=True)
    assert result.action == "bundled" and result.path.parent == registry.bundled_dir()
    assert not config.models_cache_dir().exists()
