"""Issue 17: a small seeded fuzz of the `serve` protocol and of model-file loading. Bounded:
a few hundred cases, seconds in all; every case must end in an answer (serve) or a ModelError
(loading), never another exception."""

from __future__ import annotations

import copy
import json
import random

import torch
from helpers import save_tiny_model
from probe import payload
from texnet_cli.cmd_serve import serve_lines
from texnet_cli.serve_worker import Worker

from texturenet_plugin.errors import ModelError
from texturenet_plugin.zoo.modelfile import from_payload

ODD_VALUES = [None, True, False, 0, -1, 1, 2**31, 2**64, -(2**70), 1e400, -1e400, 0.5, "",
              "x", "512x512", "0x0", "99999999x99999999", [], [1], [1, 2], [1e400, 5],
              [0, 0, 9, 9], [0, 0, 10**9, 10**9], {}, {"a": 1}, "../../etc/passwd", "\x00",
              "pebbles", "nan", [[[[]]]]]
KEYS = ["id", "op", "model", "tile", "box", "seed", "output", "precision", "strength",
        "input", "mask", "overwrite", "keep_colors", "scale", "feather", "layer_only",
        "image", "match_colors"]
OPS = ["fill", "canvas", "stylize", "fill_image", "ping", "models", "nope", None, 5]


def fuzz_lines(rng: random.Random, tmp_path, count: int) -> list[str]:
    lines = []
    for i in range(count):
        request = {key: rng.choice(ODD_VALUES) for key in rng.sample(KEYS, rng.randint(0, 6))}
        request["op"] = rng.choice(OPS)
        if rng.random() < 0.5:
            request["output"] = str(tmp_path / f"out{i}.png")
        text = json.dumps(request)
        mutation = rng.random()
        if mutation < 0.1:
            text = text[: rng.randint(0, len(text))]  # truncated
        elif mutation < 0.15:
            text = "[" * rng.randint(1, 50_000)
        elif mutation < 0.2:
            text = "".join(rng.choice("{}[]\",:0e9-.") for _ in range(rng.randint(1, 40)))
        lines.append(text.replace("\n", " ") + "\n")
    return lines


def test_serve_protocol_fuzz_every_line_is_answered(tmp_path):
    rng = random.Random(17)
    model = str(save_tiny_model(tmp_path / "tiny.tnet"))
    lines = fuzz_lines(rng, tmp_path, 300)
    lines = [line.replace('"pebbles"', json.dumps(model)) for line in lines]
    out: list[str] = []
    worker = Worker(device="cpu")
    answered = serve_lines(worker, lines + ['{"id": "end", "op": "ping"}\n'], out.append)
    answers = [json.loads(text) for text in out]
    assert answered == len(answers)
    assert answers[-1]["id"] == "end" or worker.stopped
    for answer in answers:
        assert isinstance(answer["ok"], bool)
        assert answer["ok"] or answer["error"]["code"] != "internal", answer


def mutate(rng: random.Random, data: dict) -> dict:
    data = copy.deepcopy(data)
    where = rng.choice(["top", "arch", "state", "meta"])
    value = rng.choice(ODD_VALUES + [torch.zeros(2), torch.tensor(float("nan"))])
    if where == "top":
        data[rng.choice(["format", "version", "kind", "arch", "state_dict", "meta"])] = value
    elif where == "arch":
        data["arch"][rng.choice(list(data["arch"]) + ["extra"])] = value
    elif where == "state":
        names = list(data["state_dict"])
        name = rng.choice(names)
        choice = rng.random()
        if choice < 0.3:
            del data["state_dict"][name]
        elif choice < 0.6:
            data["state_dict"][name] = value
        else:
            data["state_dict"][name] = torch.zeros(rng.randint(1, 5), rng.randint(1, 5))
    else:
        data["meta"] = value if rng.random() < 0.5 else {rng.choice([1, "k"]): value}
    return data


def test_model_file_fuzz_only_model_errors(tmp_path):
    rng = random.Random(1717)
    base = payload()
    outcomes = {"ok": 0, "refused": 0}
    for _ in range(300):
        data = mutate(rng, base)
        try:
            model = from_payload(data, "fuzzed.tnet")
        except ModelError:
            outcomes["refused"] += 1
            continue
        model.build()  # whatever passed validation must build
        outcomes["ok"] += 1
    assert outcomes["refused"] > 100, outcomes
