"""Cancellation through real signals on a real `texnet` process (DESIGN.md §5: exit 3, no
partial output; training saves a checkpoint)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

TEXNET = [sys.executable, "-m", "texnet_cli.main"]


def start(args, env):
    return subprocess.Popen(TEXNET + args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=env)


def wait_for_progress(proc, stage: str, done_at_least: int = 1) -> dict:
    for line in proc.stderr:
        event = json.loads(line)
        if event["event"] == "progress" and event["stage"] == stage and event["done"] >= done_at_least:
            return event
    raise AssertionError(f"process ended before a {stage} progress event")


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_sigint_during_training_saves_a_checkpoint_and_exits_3(tmp_path, texnet_home):
    exemplar = tmp_path / "ex.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (48, 48, 3), np.uint8)).save(exemplar)
    env = dict(os.environ)
    proc = start(["train", "texture", str(exemplar), "--name", "sig", "--descriptor", "random",
                  "--iterations", "100000", "--batch-size", "1", "--size", "64",
                  "--progress", "json"], env)
    wait_for_progress(proc, "train", 2)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=120) == 3
    saved = torch.load(texnet_home / "data" / "runs" / "sig" / "checkpoint.pt", weights_only=True)
    assert saved["iteration"] >= 2
    assert not (texnet_home / "data" / "models" / "sig.tnet").exists()


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_sigterm_during_fill_leaves_no_output(tmp_path):
    out = tmp_path / "big.png"
    proc = start(["fill", "--tile", "4096x4096", "-o", str(out), "--progress", "json"],
                 dict(os.environ))
    wait_for_progress(proc, "synthesize", 1)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=120) == 3
    assert list(tmp_path.iterdir()) == []
