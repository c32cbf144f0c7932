"""`texnet --help`, `--version` and every `--help` answer at once: they import neither torch nor
the numpy-heavy engine (issue 19). Also: the values the CLI reads from engine source text
(cli/texnet_cli/engine_source.py) equal the imported ones."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import textwrap
import time

import click
import pytest
from click.testing import CliRunner
from texnet_cli import engine_source
from texnet_cli.main import cli

HEAVY = ("torch", "torchvision", "numpy", "PIL")
HELP_BUDGET_S = 0.5


def help_paths(command: click.Command = cli, path: tuple[str, ...] = ()) -> list[tuple]:
    paths = [path]
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            paths += help_paths(sub, path + (name,))
    return paths


# A fresh interpreter runs every help path in turn and names the first one after which a heavy
# module is loaded (importing the CLI itself counts as the path "import").
CHILD = textwrap.dedent("""
    import contextlib, io, json, sys
    heavy = %r
    def loaded():
        return sorted(m for m in heavy if m in sys.modules)
    from texnet_cli.main import cli
    report = {"import": loaded()}
    for argv in %r:
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                cli.main(args=list(argv), standalone_mode=False, prog_name="texnet")
            except SystemExit:
                pass
        report[" ".join(argv)] = loaded()
    print(json.dumps(report))
""")


def test_no_help_path_imports_torch_or_numpy():
    argvs = [[*path, "--help"] for path in help_paths()] + [["--version"]]
    assert len(argvs) > 20  # every command and group is walked
    child = subprocess.run([sys.executable, "-c", CHILD % (HEAVY, argvs)], capture_output=True,
                           text=True, check=True)
    report = json.loads(child.stdout.strip().splitlines()[-1])
    assert report.pop("import") == [], "importing texnet_cli.main loads a heavy module"
    offenders = {argv: mods for argv, mods in report.items() if mods}
    assert not offenders, f"help paths that import heavy modules: {offenders}"


def best_of(argv: list[str], runs: int = 5) -> tuple[float, float]:
    """(wall, CPU) seconds of the fastest of ``runs`` whole processes, interpreter included."""
    best_wall = best_cpu = float("inf")
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "from texnet_cli.main import main; main()", *argv],
                       capture_output=True, check=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
    return best_wall, best_cpu


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["fill", "--help"],
                                  ["train", "texture", "--help"], ["models", "list", "--help"]])
def test_help_answers_within_half_a_second(argv):
    # The CPU time a help costs (0.1-0.2 s here; importing torch alone costs 1.5 s or more)
    # is checked against the 0.5 s budget: unlike wall time it does not grow when other
    # processes share the cores (at a load of 11 on 2 cores a 0.15 s help took 1.2 s of wall
    # time). Wall time only gets a sanity bound.
    wall, cpu = best_of(argv)
    assert cpu < HELP_BUDGET_S, f"{cpu:.2f} s of CPU"
    assert wall < 10 * HELP_BUDGET_S, f"{wall:.2f} s wall even at best of five"


def test_engine_source_values_equal_the_imported_ones():
    from texturenet_plugin.train import config as training
    from texturenet_plugin.train import style_loop as style_training
    from texturenet_plugin.zoo import descriptor_weights as descriptors

    assert engine_source.dict_keys("texturenet_plugin.zoo.descriptor_weights",
                                   "DESCRIPTORS") == tuple(descriptors.DESCRIPTORS)
    assert engine_source.literal("texturenet_plugin.train.config", "LOSSES") == training.LOSSES
    assert engine_source.literal("texturenet_plugin.train.config",
                                 "TRAIN_PRECISIONS") == training.TRAIN_PRECISIONS
    assert engine_source.literal("texturenet_plugin.train.config",
                                 "INIT_PRESETS") == training.INIT_PRESETS
    assert engine_source.dict_keys("texturenet_plugin.train.style_loop", "STYLE_PRESETS") == \
        tuple(style_training.STYLE_PRESETS)
    fields = ("iterations", "batch_size", "size", "lr", "descriptor", "color_weight", "loss")
    read = engine_source.config_presets("texturenet_plugin.train.config", "PRESETS", fields)
    assert read == {name: {f: getattr(config, f) for f in fields}
                    for name, config in training.PRESETS.items()}


def test_engine_source_falls_back_to_importing():
    # texturenet_plugin.runtime.precision.PRECISIONS holds torch dtypes, not literals.
    from texturenet_plugin.runtime import precision as fast

    assert engine_source.literal("texturenet_plugin.runtime.precision",
                                 "PRECISIONS") is fast.PRECISIONS
    read = engine_source.config_presets("texturenet_plugin.runtime.precision", "PRECISIONS", ())
    assert set(read) == set(fast.PRECISIONS)


def test_torch_free_limits_match_the_engine():
    from texturenet_plugin import limits
    from texturenet_plugin.runtime import precision as fast

    assert limits.PRECISION_NAMES == tuple(fast.PRECISIONS)
    assert fast.PRECISION_CHOICES == ("auto", *fast.PRECISIONS)


def test_train_texture_help_shows_each_presets_settings():
    from texturenet_plugin.train.config import PRESETS

    out = CliRunner().invoke(cli, ["train", "texture", "--help"], terminal_width=200).output
    for name, config in PRESETS.items():
        line = next(row for row in out.splitlines() if row.strip().startswith(name))
        assert f"{config.finish_start} iterations" in line
        assert f"batch {config.batch_size} of {config.size}x{config.size}" in line
        side = config.finish_size
        assert (f"then {config.finish_iterations} of {side}x{side}" in line) == (
            config.finish_iterations > 0)
        assert config.descriptor in line and "~" in line  # and a cost estimate
    assert "see README" not in out
