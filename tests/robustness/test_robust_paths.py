"""Issue 17: hostile indexes, homes and paths get clear messages and the documented exit codes
(F11, F18, F19-F21), and the minor findings (an impossible declared size, "wrote" for nothing
written, the bomb message)."""

from __future__ import annotations

import hashlib
import json
import os
import zlib

import numpy as np
import pytest
from helpers import save_tiny_model
from PIL import Image
from texnet_cli.app import run
from texnet_cli.main import cli
from zoo_server import start_server, stop_server


def texnet(capsys, *argv):
    code = run(cli, [str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def picture(tmp_path):
    Image.fromarray(np.full((24, 24, 3), 90, np.uint8)).save(tmp_path / "ok.png")
    Image.fromarray(np.full((24, 24), 255, np.uint8)).save(tmp_path / "mask.png")
    return tmp_path / "ok.png", tmp_path / "mask.png"


def test_f11_a_deeply_nested_index_is_skipped_with_a_warning(tmp_path, monkeypatch, capsys):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000)
    monkeypatch.setenv("TEXNET_INDEX", deep.as_uri())
    code, out, err = texnet(capsys, "models", "list", "--remote", "--json")
    assert code == 0 and "pebbles" in out and "warning" in err and "deep.json" in err, err
    code, _, err = texnet(capsys, "fill", "--model", "nosuch", "-o", tmp_path / "t.png")
    assert code == 4 and "no model named 'nosuch'" in err and "deep.json" in err, err
    assert "RecursionError: maximum" not in err.split("deep.json")[0]


def test_f18_texnet_home_naming_a_file_is_bad_input(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home-file"
    home.write_text("not a folder")
    monkeypatch.setenv("TEXNET_HOME", str(home))
    code, _, err = texnet(capsys, "models", "index", "add", "http://127.0.0.1:1/index.json")
    assert code == 1 and "TEXNET_HOME" in err and "not a folder" in err, err
    assert "NotADirectoryError" not in err


def test_f19_a_folder_as_image_is_bad_input(picture, tmp_path, capsys):
    _, mask = picture
    code, _, err = texnet(capsys, "fill", "--image", tmp_path, "--mask", mask, "-o",
                          tmp_path / "o.png")
    assert code == 1 and "folder" in err, err


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_f20_an_unreadable_image_is_bad_input(picture, tmp_path, capsys):
    image, mask = picture
    image.chmod(0)
    code, _, err = texnet(capsys, "fill", "--image", image, "--mask", mask, "-o",
                          tmp_path / "o.png")
    assert code == 1 and "not a readable image" in err, err


def test_f20_an_image_the_os_refuses_to_read_is_bad_input(picture, tmp_path, capsys,
                                                          monkeypatch):
    """The same as root: the OS says "not readable" to the CLI and to the decoder."""
    image, mask = picture
    real_access, real_open = os.access, Image.open

    def access(path, mode, *args, **kwargs):
        return False if str(path) == str(image) else real_access(path, mode, *args, **kwargs)

    def open_image(path, *args, **kwargs):
        if str(path) == str(image):
            raise PermissionError(13, "Permission denied", str(image))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)
    monkeypatch.setattr(Image, "open", open_image)
    code, _, err = texnet(capsys, "fill", "--image", image, "--mask", mask, "-o",
                          tmp_path / "o.png")
    assert code == 1 and "Permission denied" in err, err


def test_f21_a_folder_as_output_is_bad_input(picture, tmp_path, capsys):
    image, mask = picture
    target = tmp_path / "out.png"
    target.mkdir()
    code, _, err = texnet(capsys, "fill", "--image", image, "--mask", mask, "-o", target)
    assert code == 1 and "is a folder" in err, err
    code, _, err = texnet(capsys, "fill", "--tile", "32x32", "-o", target)
    assert code == 1 and "is a folder" in err, err


@pytest.fixture
def zoo(tmp_path, monkeypatch):
    folder = tmp_path / "zoo"
    model = save_tiny_model(folder / "small.tnet", name="small")
    data = model.read_bytes()
    entry = {"name": "small", "kind": "texture", "url": "small.tnet",
             "sha256": hashlib.sha256(data).hexdigest(), "bytes": 2 << 30}
    (folder / "index.json").write_text(json.dumps({"version": 1, "models": [entry]}))
    server = start_server(folder)
    monkeypatch.setenv("TEXNET_INDEX", f"{server.url}/index.json")
    monkeypatch.setenv("TEXNET_OFFLINE", "0")
    yield server
    stop_server(server)


def test_a_declared_size_the_server_contradicts_is_not_resumable(zoo, texnet_home, capsys):
    code, _, err = texnet(capsys, "models", "pull", "small")
    assert code == 4 and "the index declares" in err and "index is wrong" in err, err
    assert "resume" not in err
    assert len(zoo.requests_for("small.tnet")) == 1  # not retried
    cache = texnet_home / "cache" / "models"
    assert not cache.exists() or not list(cache.iterdir())


def test_pulling_a_bundled_model_does_not_say_wrote(capsys):
    code, _, err = texnet(capsys, "models", "pull", "pebbles")
    assert code == 0 and "wrote" not in err and "nothing downloaded" in err, err


def test_the_bomb_message_is_grammatical(tmp_path, capsys):
    from texturenet_plugin.errors import ImageError
    from texturenet_plugin.io.images import read_picture

    bomb = tmp_path / "bomb.png"
    Image.new("L", (1, 1)).save(bomb)
    data = bytearray(bomb.read_bytes())
    data[16:24] = (100_000).to_bytes(4, "big") * 2
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
    bomb.write_bytes(bytes(data))
    with pytest.raises(ImageError) as caught:
        read_picture(bomb)
    assert "more than that pixels" not in str(caught.value)
    assert "over the limit" in str(caught.value)
