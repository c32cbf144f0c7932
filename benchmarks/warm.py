"""Cold CLI fill versus the warm worker (``texnet serve``): wall time per request, as a plug-in
sees it (process start, torch import, model load and oneDNN kernel creation included for the
cold path). Usage: ``flock /tmp/texnet-cpu.lock python benchmarks/warm.py --tile 512x512``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def cold(tile: str, out: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "texnet_cli.main", "fill", "--tile", tile, "-o",
                    str(out), "--progress", "none", "-q", "--device", "cpu"], check=True)
    return time.perf_counter() - start


def warm(tile: str, out_dir: Path, requests: int) -> list[float]:
    """Round-trip seconds of each request sent to one ``texnet serve`` process."""
    proc = subprocess.Popen([sys.executable, "-m", "texnet_cli.main", "serve", "--device", "cpu"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    times = []
    try:
        for i in range(requests):
            request = {"id": i, "op": "fill", "tile": tile, "seed": i,
                       "output": str(out_dir / f"warm{i}.png")}
            start = time.perf_counter()
            proc.stdin.write(json.dumps(request) + "\n")
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


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tile", default="512x512")
    p.add_argument("--requests", type=int, default=3)
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        colds = [cold(args.tile, Path(tmp) / f"cold{i}.png") for i in range(2)]
        warms = warm(args.tile, Path(tmp), args.requests)
    result = {"tile": args.tile, "cold_cli_seconds": colds, "warm_request_seconds": warms}
    print(f"texnet fill --tile {args.tile} (cold process): "
          + ", ".join(f"{t:.2f} s" for t in colds))
    print("texnet serve, request by request: " + ", ".join(f"{t:.2f} s" for t in warms))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
