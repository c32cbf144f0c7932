"""The shared plug-in client (texnet_client) against the real CLI: every command line it
builds runs, every answer it parses is what the engine prints, and the warm worker on a socket
answers like a fresh process (and is fallen back from when it cannot)."""

from __future__ import annotations

import filecmp
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from texnet_cli import texnet_client as client
from texnet_cli.app import run
from texnet_cli.main import cli
from texnet_cli.plugins_common import engine_path

from texturenet_plugin import limits as engine_limits
from texturenet_plugin.synthesis import tile as synthesis

W, H = 48, 32


@pytest.fixture(scope="module")
def engine() -> str:
    return str(engine_path())


def _inputs(tmp_path: Path) -> tuple[str, str]:
    rgba = np.zeros((H, W, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[..., 0] = np.arange(W, dtype=np.uint8)[None, :] * 4
    mask = np.zeros((H, W), np.uint8)
    mask[8:24, 10:40] = 255
    Image.fromarray(rgba, "RGBA").save(tmp_path / "in.png")
    Image.fromarray(mask, "L").save(tmp_path / "mask.png")
    return str(tmp_path / "in.png"), str(tmp_path / "mask.png")


def test_limits_come_from_the_engine(engine):
    limits = client.engine_limits(engine)
    assert limits.from_engine
    assert (limits.scale_min, limits.scale_max) == engine_limits.SCALE_RANGE
    assert limits.strength_max == engine_limits.MAX_STRENGTH
    assert limits.one_pass_max_pixels == synthesis.ONE_PASS_MAX_PIXELS
    assert ((limits.exemplar_scale_min, limits.exemplar_scale_max)
            == engine_limits.EXEMPLAR_SCALE_RANGE)
    assert limits.default_model == engine_limits.DEFAULT_MODEL
    assert not client.parse_limits("not json").from_engine  # fallbacks, said so


def test_limits_command_is_torch_free():
    code = ("import sys; from texnet_cli.cmd_limits import limits_table; limits_table(); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_models_list_parses(engine):
    models = {m.name: m for m in client.list_models(engine)}
    assert models["pebbles"].kind == "texture" and models["pebbles"].title
    assert models["pebbles"].lattice == 2 ** (6 - 1)  # K = 6: from the file, not assumed


def test_fill_runs_and_reports_progress(engine, tmp_path):
    image, mask = _inputs(tmp_path)
    out = tmp_path / "layer.png"
    events = []
    argv = [engine, *client.fill_args(image, mask, str(out), "pebbles", 3, 2.0)]
    outcome = client.run(argv, events.append)
    assert outcome.status == client.SUCCESS and outcome.path == str(out), outcome.message
    assert any(e.kind == "progress" and e.fraction is not None for e in events)
    assert Image.open(out).size == (W, H) and Image.open(out).mode == "RGBA"


def test_tile_and_stylize_args_are_accepted_by_the_cli(tmp_path):
    assert run(cli, client.tile_args(40, 24, str(tmp_path / "t.png"), "pebbles", 1)) == 0
    with pytest.raises(ValueError, match="style model"):
        client.stylize_args("a.png", "b.png", "")


def test_exit_codes_and_engine_messages(engine, tmp_path):
    image, mask = _inputs(tmp_path)
    bad = client.run([engine, *client.fill_args(image, mask, str(tmp_path / "o.png"),
                                                "no-such-model")])
    assert bad.status == client.ERROR and bad.exit_code == client.EXIT_MODEL
    assert "no-such-model" in bad.message
    usage = client.run([engine, "fill", "--no-such-flag"])
    assert usage.status == client.ERROR and usage.exit_code == client.EXIT_USAGE


def test_cancel_stops_the_engine_and_leaves_no_output(engine, tmp_path):
    out = tmp_path / "big.png"
    events = []
    argv = [engine, "fill", "--tile", "2048x2048", "-o", str(out), "--progress", "json"]
    outcome = client.run(argv, events.append, cancelled=lambda: len(events) >= 2)
    assert outcome.status == client.CANCEL
    assert not out.exists() and not list(tmp_path.glob("*.tmp*"))


def test_train_args_match_the_cli():
    args = client.train_args("img.png", "sel.png", "my-bark", "quick", 3, "My bark")
    assert args[:3] == ["train", "texture", "img.png"]
    assert args[args.index("--mask") + 1] == "sel.png" and "--restart" in args
    assert client.model_name(" My Bark #2 ") == "my-bark-2"
    assert "--exemplar-scale" not in args
    scaled = client.train_args("img.png", "sel.png", "my-bark", "cpu", exemplar_scale=2.5)
    texture = cli.commands["train"].commands["texture"]
    parsed = texture.make_context("texture", scaled[2:]).params  # the CLI accepts them
    assert parsed["exemplar_scale"] == 2.5 and parsed["mask"].name == "sel.png"
    with pytest.raises(ValueError):
        client.train_args("i", None, "n", "paper")


def test_the_plugins_carry_the_same_client(tmp_path):
    assert run(cli, ["plugins", "install", "gimp", "--dest", str(tmp_path / "g")]) == 0
    copy = tmp_path / "g" / "texnet-gimp" / "texnet_client"
    source = Path(client.__file__).parent
    names = sorted(p.name for p in source.glob("*.py"))
    assert sorted(p.name for p in copy.glob("*.py")) == names
    assert filecmp.cmpfiles(source, copy, names, shallow=False)[0] == names


# --- the warm worker --------------------------------------------------------------------------

def test_socket_worker_answers_then_exits_when_idle(engine, tmp_path):
    image, mask = _inputs(tmp_path)
    sock = str(tmp_path / "w.sock")
    worker = client.SocketWorker(engine, sock, idle=3)
    outcomes, seconds = [], []
    for i in range(2):
        out = tmp_path / f"warm{i}.png"
        start = time.perf_counter()
        outcomes.append(worker.request(client.fill_request(image, mask, str(out), "pebbles")))
        seconds.append(time.perf_counter() - start)
        assert outcomes[-1].status == client.SUCCESS, outcomes[-1].message
        assert Image.open(out).size == (W, H)
    assert seconds[1] < seconds[0]  # no start-up, no model load the second time
    deadline = time.monotonic() + 30
    while os.path.exists(sock) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not os.path.exists(sock)  # the idle worker left, removing its socket


def test_worker_errors_come_back_as_outcomes(engine, tmp_path):
    sock = str(tmp_path / "w.sock")
    worker = client.SocketWorker(engine, sock, idle=2)
    bad = worker.request(client.fill_request("/nope.png", "/nope-mask.png",
                                             str(tmp_path / "o.png")))
    assert bad.status == client.ERROR and "nope" in bad.message


def test_a_broken_worker_falls_back_to_a_fresh_process(engine, tmp_path):
    image, mask = _inputs(tmp_path)
    fake = tmp_path / "not-a-worker"
    fake.write_text(f"#!{sys.executable}\nimport sys; sys.exit(5)\n")
    fake.chmod(0o755)
    broken = client.SocketWorker(str(fake), str(tmp_path / "w.sock"), start_seconds=5)
    with pytest.raises(client.WorkerError):
        broken.request({"op": "ping"})
    out = tmp_path / "cold.png"
    outcome = client.run_warm_or_cold(
        engine, client.fill_request(image, mask, str(out)),
        client.fill_args(image, mask, str(out)), worker=broken)
    assert outcome.status == client.SUCCESS and out.exists()


def test_protocol_mismatch_is_a_worker_error():
    with pytest.raises(client.WorkerError, match="protocol"):
        client.check_ping({"ok": True, "protocol": client.PROTOCOL + 1})
    with pytest.raises(client.WorkerError):
        client.answer_outcome("garbage")


def test_the_guard_cleans_up_after_a_killed_plugin(tmp_path):
    """GIMP SIGKILLs a plug-in whose user pressed cancel: the guard stops the engine and
    removes the run's temp folder."""
    folder = tmp_path / "texnet-gimp-run"
    folder.mkdir()
    (folder / "image.png").write_bytes(b"x")
    engine = tmp_path / "slow-texnet"
    engine.write_text(f"#!{sys.executable}\nimport os, time\n"
                      f"open({str(tmp_path / 'engine.pid')!r}, 'w').write(str(os.getpid()))\n"
                      "time.sleep(60)\n")
    engine.chmod(0o755)
    code = (f"import sys; sys.path.insert(0, {str(Path(client.__file__).parents[1])!r}); "
            "from texnet_client import run; "
            f"run([{str(engine)!r}], guard_folder={str(folder)!r})")
    plugin = subprocess.Popen([sys.executable, "-c", code])
    pid_file = tmp_path / "engine.pid"
    deadline = time.monotonic() + 30
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    engine_pid = int(pid_file.read_text())
    plugin.kill()
    plugin.wait()
    deadline = time.monotonic() + 20
    while folder.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not folder.exists()
    stat = Path(f"/proc/{engine_pid}/stat")
    assert not stat.exists() or stat.read_text().split(")")[-1].split()[0] == "Z"
