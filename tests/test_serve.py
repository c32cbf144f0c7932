from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
from PIL import Image

from helpers import save_tiny_model
from texnet_cli.cmd_serve import serve_lines
from texturenet_plugin.worker import Worker


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
