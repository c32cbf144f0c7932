"""Helpers of the robustness suite (issue 17): run the real `texnet` under a memory limit and
measure its peak memory; write crafted model files. Imported as ``from probe import …``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: helpers, zoo_server

from helpers import tiny_generator

TEXNET = [sys.executable, "-m", "texnet_cli.main"]
ADDRESS_SPACE = 8 << 30  # torch needs ~4 GiB of address space to start; a runaway is stopped
PEAK_LIMIT = 1.5e9  # bytes of resident memory a refused request may reach (issue 17)
# Runs a command under RLIMIT_AS and prints its peak resident set (KiB) as the last stderr line.
_MEASURE = ("import resource, subprocess, sys\n"
            "def cap():\n"
            f"    resource.setrlimit(resource.RLIMIT_AS, ({ADDRESS_SPACE}, {ADDRESS_SPACE}))\n"
            "code = subprocess.call(sys.argv[1:], preexec_fn=cap)\n"
            "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
            "print(f'PEAK {peak}', file=sys.stderr)\n"
            "sys.exit(code)\n")


@dataclass
class Outcome:
    code: int
    out: str
    err: str
    seconds: float
    peak: int  # bytes


def texnet(*args, input: str | None = None, timeout: float = 120, env=None) -> Outcome:
    """`texnet ARGS` in a fresh process (memory-capped), with its peak resident memory."""
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", _MEASURE, *TEXNET, *map(str, args)],
                          input=input, capture_output=True, text=True, timeout=timeout,
                          env=env, check=False)
    err, _, last = proc.stderr.rstrip("\n").rpartition("\n")
    if not last.startswith("PEAK "):
        err, last = proc.stderr, "PEAK 0"
    return Outcome(proc.returncode, proc.stdout, err, time.monotonic() - start,
                   int(last.split()[1]) * 1024)


def payload(kind: str = "texture", scales: int = 3) -> dict:
    """A valid model payload to damage, as ``torch.save`` would store it."""
    from texturenet_plugin.nets.generator import Generator, GeneratorSpec
    from texturenet_plugin.zoo.modelfile import ModelFile, to_payload

    gen = (tiny_generator(scales) if kind == "texture"
           else Generator(GeneratorSpec(scales=scales, content_channels=3, norm="instance")))
    meta = {"name": "crafted", "title": "Crafted", "license": "CC0", "source": "test"}
    return to_payload(ModelFile(kind, gen.spec, gen.state_dict(), meta))


def write_payload(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(data, path)
    return path


def request_lines(*requests) -> str:
    """JSON-line text of ``requests`` (dicts are encoded, strings sent as they are)."""
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in requests)


def env_with(**values) -> dict:
    env = dict(os.environ)
    env.update({k: str(v) for k, v in values.items()})
    return env
