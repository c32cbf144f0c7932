from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
from helpers import save_tiny_model
from PIL import Image
from texnet_cli.cmd_serve import serve_lines
from texnet_cli.serve_worker import Worker


def test_worker_answers_two_requests_and_shuts_down(tmp_path):
    model = save_tiny_model(tmp_path / "tiny.tnet")
    requests = [
        {"id": 1, "op": "fill", "model": str(model), "tile": "64x32",
         "output": str(tmp_path / "a.png")},
        {"id": 2, "op": "fill", "model": str(model), "tile": [40, 24], "seed": 3,
         "output": str(tmp_path / "b.png")},
        {"id": 3, "op": "models"},
        {"id": 4, "op": "shutdown"},
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "texnet_cli.main", "serve", "--device", "cpu"],
        input="".join(json.dumps(r) + "\n" for r in requests), capture_output=True, text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    answers = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [a["id"] for a in answers] == [1, 2, 3, 4]
    assert all(a["ok"] for a in answers), answers
    assert np.asarray(Image.open(answers[0]["path"])).shape == (32, 64, 3)
    assert np.asarray(Image.open(answers[1]["path"])).shape == (24, 40, 3)
    assert len(answers[2]["loaded"]) == 1  # the model was loaded once, kept warm


def test_bad_requests_are_answered_and_do_not_stop_the_worker(tmp_path):
    model = save_tiny_model(tmp_path / "tiny.tnet")
    lines = ["not json\n", json.dumps({"id": 7, "op": "nope"}) + "\n",
             json.dumps({"id": 8, "op": "fill", "model": str(model), "tile": "0x5",
                         "output": str(tmp_path / "x.png")}) + "\n",
             json.dumps({"id": 9, "op": "canvas", "model": str(model), "box": [0, 0, 20, 10],
                         "output": str(tmp_path / "c.png")}) + "\n",
             json.dumps({"op": "shutdown"}) + "\n", json.dumps({"op": "ping"}) + "\n"]
    out: list[str] = []
    worker = Worker(device="cpu")
    assert serve_lines(worker, lines, out.append) == 5  # nothing read after shutdown
    answers = [json.loads(o) for o in out]
    assert [a["ok"] for a in answers] == [False, False, False, True, True]
    assert answers[1]["error"]["code"] == "input" and "unknown op" in answers[1]["error"]["message"]
    assert np.asarray(Image.open(answers[3]["path"])).shape == (10, 20, 3)


def test_worker_stylizes_with_a_style_model_and_refuses_the_wrong_kind(tmp_path):
    import torch

    from texturenet_plugin.nets.generator import Generator, GeneratorSpec
    from texturenet_plugin.zoo.modelfile import ModelFile, save_model

    torch.manual_seed(0)
    gen = Generator(GeneratorSpec(scales=3, content_channels=3, norm="instance")).eval()
    meta = {"name": "tinystyle", "title": "Tiny", "license": "CC0", "source": "test",
            "descriptor": "random", "training": {},
            "preview": torch.zeros(8, 8, 3, dtype=torch.uint8)}
    style = save_model(ModelFile("style", gen.spec, gen.state_dict(), meta),
                       tmp_path / "style.tnet")
    texture = save_tiny_model(tmp_path / "tiny.tnet")
    source = tmp_path / "in.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (18, 26, 3), dtype=np.uint8)).save(
        source)
    worker = Worker(device="cpu")
    ok = worker.handle({"id": 1, "op": "stylize", "model": str(style), "input": str(source),
                        "output": str(tmp_path / "out.png"), "strength": 0.5})
    assert ok["ok"], ok
    assert np.asarray(Image.open(ok["path"])).shape == (18, 26, 3)
    wrong = worker.handle({"id": 2, "op": "fill", "model": str(style),
                           "output": str(tmp_path / "t.png")})
    assert not wrong["ok"] and "style model" in wrong["error"]["message"]
    wrong = worker.handle({"id": 3, "op": "stylize", "model": str(texture), "input": str(source),
                           "output": str(tmp_path / "o2.png")})
    assert not wrong["ok"] and "texture model" in wrong["error"]["message"]


def test_worker_tile_honours_scale_like_the_cli(tmp_path):
    """The warm path's tiles (Krita's Tile Layer) take Scale as `texnet fill --tile --scale`."""
    from texnet_cli.main import cli
    from click.testing import CliRunner

    model = save_tiny_model(tmp_path / "tiny.tnet")
    worker = Worker(device="cpu")
    answers = [worker.handle({"id": i, "op": "fill", "model": str(model), "tile": "64x64",
                              "seed": 5, "scale": scale, "output": str(tmp_path / f"w{i}.png")})
               for i, scale in enumerate((2.0, 1.0, 99.0))]
    assert [a["ok"] for a in answers] == [True, True, False]
    assert "scale" in answers[2]["error"]["message"]
    result = CliRunner().invoke(cli, ["fill", "--model", str(model), "--tile", "64x64", "--seed",
                                      "5", "--scale", "2", "-o", str(tmp_path / "cli.png"),
                                      "--device", "cpu", "-q"])
    assert result.exit_code == 0, result.output
    warm, plain = (np.asarray(Image.open(tmp_path / f"w{i}.png")) for i in (0, 1))
    assert np.array_equal(warm, np.asarray(Image.open(tmp_path / "cli.png")))
    assert not np.array_equal(warm, plain)
