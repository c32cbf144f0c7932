"""Issue 17: `texnet serve` answers every line with a result or an error object and survives
anything a client can send (F3-F8); idle SIGTERM/SIGINT end it with exit 3 (F9); a cancelled
request does not cancel the ones after it (F10)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest
from helpers import save_tiny_model
from probe import PEAK_LIMIT, TEXNET, payload, request_lines, texnet, write_payload
from texnet_cli.cmd_serve import serve_lines
from texnet_cli.serve_guard import Session
from texnet_cli.serve_worker import Worker

posix = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")


def hostile(tmp_path) -> dict[str, str]:
    """The probe's requests, by defect."""
    bad_model = payload()
    bad_model["arch"]["channels_step"] = -8
    model = write_payload(tmp_path / "negative.tnet", bad_model)
    out = str(tmp_path / "x.png")
    return {
        "F3 seed 1e400": f'{{"id": 3, "op": "fill", "seed": 1e400, "output": "{out}"}}',
        "F4 tile 1e400": f'{{"id": 4, "op": "fill", "tile": [1e400, 5], "output": "{out}"}}',
        "F5 model 5": json.dumps({"id": 5, "op": "fill", "model": 5, "output": out}),
        "F5 model list": json.dumps({"id": 5, "op": "fill", "model": ["pebbles"], "output": out}),
        "F6 canvas box": json.dumps({"id": 6, "op": "canvas", "box": [0, 0, 100000, 100000],
                                     "output": out}),
        "F7 nested": "[" * 100_000,
        "F8 negative step": json.dumps({"id": 8, "op": "fill", "model": str(model),
                                        "output": out}),
    }


@pytest.mark.parametrize("case", ["F3 seed 1e400", "F4 tile 1e400", "F5 model 5",
                                  "F5 model list", "F6 canvas box", "F7 nested",
                                  "F8 negative step"])
def test_f3_f8_each_hostile_line_gets_an_error_answer_and_the_worker_goes_on(tmp_path, case):
    out: list[str] = []
    lines = [hostile(tmp_path)[case] + "\n", '{"id": 99, "op": "ping"}\n']
    assert serve_lines(Worker(device="cpu"), lines, out.append) == 2
    answers = [json.loads(text) for text in out]
    assert answers[0]["ok"] is False
    assert answers[0]["error"]["code"] in ("input", "model"), answers[0]
    assert answers[1]["ok"] and answers[1]["id"] == 99
    assert not (tmp_path / "x.png").exists()


def test_f3_f8_a_real_worker_survives_all_of_them(tmp_path):
    lines = list(hostile(tmp_path).values()) + ['{"id": "last", "op": "ping"}']
    result = texnet("serve", "--device", "cpu", input=request_lines(*lines))
    assert result.code == 0, result.err
    answers = [json.loads(line) for line in result.out.splitlines()]
    assert len(answers) == len(lines)
    assert [a["ok"] for a in answers] == [False] * (len(lines) - 1) + [True]
    assert all(a["error"]["code"] != "internal" for a in answers[:-1]), answers
    assert result.peak < PEAK_LIMIT


def start_worker(*extra):
    return subprocess.Popen(TEXNET + ["serve", "--device", "cpu", *extra],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, bufsize=1)


def ask(proc, request: dict) -> dict:
    proc.stdin.write(json.dumps(request) + "\n")
    proc.stdin.flush()
    return json.loads(proc.stdout.readline())


@posix
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_f9_an_idle_worker_exits_3_on_a_signal(signum):
    proc = start_worker()
    try:
        assert ask(proc, {"id": 1, "op": "ping"})["ok"]
        proc.send_signal(signum)
        assert proc.wait(timeout=20) == 3
    finally:
        proc.kill()
        proc.wait()


@posix
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_f9_an_idle_socket_worker_exits_3_on_a_signal_and_removes_its_socket(tmp_path, signum):
    sock = tmp_path / "w.sock"
    proc = start_worker("--socket", str(sock))
    try:
        deadline = time.monotonic() + 60
        while not sock.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sock.exists(), proc.stderr.read() if proc.poll() is not None else "no socket"
        proc.send_signal(signum)
        assert proc.wait(timeout=20) == 3
        assert not sock.exists()
    finally:
        proc.kill()
        proc.wait()


def wait_for_progress(proc) -> None:
    for line in proc.stderr:
        if line.startswith("{") and json.loads(line).get("event") == "progress":
            return
    raise AssertionError("the worker ended before reporting progress")


@posix
def test_f10_a_cancelled_request_does_not_cancel_the_next_ones(tmp_path):
    model = str(save_tiny_model(tmp_path / "tiny.tnet"))
    proc = start_worker("--progress", "json")
    try:
        proc.stdin.write(json.dumps({"id": 1, "op": "fill", "model": model, "tile": "4096x4096",
                                     "output": str(tmp_path / "big.png")}) + "\n")
        proc.stdin.flush()
        wait_for_progress(proc)
        proc.send_signal(signal.SIGINT)
        first = json.loads(proc.stdout.readline())
        assert first["error"]["code"] == "cancelled", first
        second = ask(proc, {"id": 2, "op": "fill", "model": model, "tile": "32x32",
                            "output": str(tmp_path / "small.png")})
        assert second["ok"], second
        assert ask(proc, {"id": 3, "op": "canvas", "model": model, "box": [0, 0, 16, 16],
                          "output": str(tmp_path / "c.png")})["ok"]
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
        proc.wait()
    assert not (tmp_path / "big.png").exists() and (tmp_path / "small.png").exists()


def test_session_resets_the_token_after_each_request(tmp_path):
    model = str(save_tiny_model(tmp_path / "tiny.tnet"))
    session = Session()
    from texturenet_plugin.progress import Reporter

    worker = Worker(device="cpu", reporter_for=lambda rid: Reporter(token=session.token))
    session.token.cancel()  # as a signal during the first request would
    request = {"op": "fill", "model": model, "tile": "32x32"}
    out: list[str] = []
    lines = [json.dumps({**request, "id": i, "output": str(tmp_path / f"{i}.png")}) + "\n"
             for i in (1, 2)]
    serve_lines(worker, lines, out.append, session)
    answers = [json.loads(text) for text in out]
    assert answers[0]["error"]["code"] == "cancelled" and answers[1]["ok"], answers


def test_oversized_lines_and_unencodable_ids_are_answered(tmp_path):
    import io

    from texnet_cli.serve_guard import bounded_lines

    stream = io.BytesIO(b"x" * 5000 + b"\n" + b'{"id": NaN, "op": "ping"}\n\xff\xfe\n')
    out: list[str] = []
    serve_lines(Worker(device="cpu"), bounded_lines(stream, limit=1000), out.append)
    answers = [json.loads(text) for text in out]  # strict JSON: no NaN came back
    assert [a["ok"] for a in answers] == [False, True, False]
    assert "longer than" in answers[0]["error"]["message"] and answers[1]["id"] is None
