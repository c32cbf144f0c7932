"""Cold CLI fill versus the warm worker (``texnet serve``): wall time per request, as a plug-in
sees it (process start, torch import, model load and oneDNN kernel creation included for the
cold path).

Two measurements:
- ``--tile``: ``texnet fill --tile`` as a fresh process against ``fill`` requests to one
  ``texnet serve`` (the original benchmark);
- ``--selection N`` (issue 16): a fill of an N×N selection of a 2N×N image, as each plug-in
  runs it through the shared client (texnet_client): the cold path (a fresh
  ``texnet fill --image --mask --layer-only``, what both plug-ins did before and fall back to),
  Krita's path (``fill_image`` requests to the docker's ``texnet serve`` on a pipe) and GIMP's
  path (``fill_image`` requests through the per-user socket worker, started by the first one).
  The number that matters is the second request of each warm path (target < 0.5 s at 1024² on
  2 cores).

Usage (on an idle machine): ``flock /tmp/texnet-cpu.lock python benchmarks/warm.py
--selection 1024 --json benchmarks/results/warm-selection.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from texnet_cli import texnet_client as client
from texnet_cli.plugins_common import engine_path


def cold(tile: str, out: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "texnet_cli.main", "fill", "--tile", tile, "-o",
                    str(out), "--progress", "none", "-q", "--device", "cpu"], check=True)
    return time.perf_counter() - start


def _serve_pipe(requests: list[dict]) -> list[float]:
    """Round-trip seconds of each request sent to one ``texnet serve`` on a pipe."""
    proc = subprocess.Popen([sys.executable, "-m", "texnet_cli.main", "serve", "--device", "cpu"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    times = []
    try:
        for i, request in enumerate(requests):
            start = time.perf_counter()
            proc.stdin.write(json.dumps(dict(request, id=i)) + "\n")
            proc.stdin.flush()
            answer = json.loads(proc.stdout.readline())
            times.append(time.perf_counter() - start)
            assert answer["ok"], answer
        proc.stdin.write(json.dumps({"op": "shutdown"}) + "\n")
        proc.stdin.flush()
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
    return times


def warm(tile: str, out_dir: Path, requests: int) -> list[float]:
    return _serve_pipe([{"op": "fill", "tile": tile, "seed": i,
                         "output": str(out_dir / f"warm{i}.png")} for i in range(requests)])


def _selection_inputs(side: int, folder: Path) -> tuple[str, str]:
    """A 2N×N RGB image and a mask selecting an N×N square in it."""
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (side, 2 * side, 3), dtype=np.uint8)
    mask = np.zeros((side, 2 * side), np.uint8)
    mask[:, side // 2:side // 2 + side] = 255
    Image.fromarray(image).save(folder / "image.png")
    Image.fromarray(mask).save(folder / "mask.png")
    return str(folder / "image.png"), str(folder / "mask.png")


def selection_paths(side: int, folder: Path, requests: int) -> dict:
    """Seconds per fill of an N×N selection through each plug-in's engine path."""
    engine = str(engine_path())
    image, mask = _selection_inputs(side, folder)
    outs = [str(folder / f"out{i}.png") for i in range(requests)]
    colds = []
    for out in outs[:2]:
        start = time.perf_counter()
        outcome = client.run([engine, *client.fill_args(image, mask, out, seed=1)])
        colds.append(time.perf_counter() - start)
        assert outcome.ok, outcome.message
        Path(out).unlink()
    krita = _serve_pipe([client.fill_request(image, mask, out, seed=i)
                         for i, out in enumerate(outs)])
    for out in outs:
        Path(out).unlink()
    worker = client.SocketWorker(engine, str(folder / "worker.sock"), idle=5)
    gimp = []
    for i, out in enumerate(outs):
        start = time.perf_counter()
        outcome = worker.request(client.fill_request(image, mask, out, seed=i))
        gimp.append(time.perf_counter() - start)
        assert outcome.ok, outcome.message
    return {"selection": f"{side}x{side}", "cold_process_seconds": colds,
            "krita_serve_pipe_seconds": krita, "gimp_socket_worker_seconds": gimp}


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tile", default="512x512")
    p.add_argument("--selection", type=int, metavar="N",
                   help="Measure the plug-ins' selection-fill paths at N×N instead.")
    p.add_argument("--requests", type=int, default=3)
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.selection:
            result = selection_paths(args.selection, Path(tmp), args.requests)
            for key, values in result.items():
                if key != "selection":
                    print(f"{key} ({result['selection']}): "
                          + ", ".join(f"{t:.2f} s" for t in values))
        else:
            colds = [cold(args.tile, Path(tmp) / f"cold{i}.png") for i in range(2)]
            warms = warm(args.tile, Path(tmp), args.requests)
            result = {"tile": args.tile, "cold_cli_seconds": colds,
                      "warm_request_seconds": warms}
            print(f"texnet fill --tile {args.tile} (cold process): "
                  + ", ".join(f"{t:.2f} s" for t in colds))
            print("texnet serve, request by request: " + ", ".join(f"{t:.2f} s" for t in warms))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
