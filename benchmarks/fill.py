"""Time and peak memory of ``texnet fill --image`` on a large canvas (issue 3).

Each case writes an input image and a soft elliptical mask whose bounding box is the whole
canvas (the worst case: every window of the canvas is synthesized), then runs the real CLI in a
child process with the bundled model and reports wall time, the child's peak RSS (from
``wait4``) and the output size. Inputs and outputs live in a temp folder that is removed.
The inputs are made by a separate child too: a child's ``ru_maxrss`` starts from its parent's
peak (the parent's memory counts until ``exec``), so the measuring parent must stay small.

Usage: ``flock /tmp/texnet-cpu.lock python benchmarks/fill.py [--size 4096] [--json out.json]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CASES = {
    "rgb8": {"channels": 3, "dtype": np.uint8, "extra": []},
    "rgba16-layer": {"channels": 4, "dtype": np.uint16, "extra": ["--layer-only"]},
}


def make_inputs(folder: Path, size: int, channels: int, dtype) -> tuple[Path, Path]:
    """A smooth gradient image and a soft ellipse mask touching all four edges."""
    from texturenet_plugin.io.images import Picture, write_picture

    maxv = np.iinfo(dtype).max
    ramp = np.linspace(0, maxv, size, dtype=np.float64)
    image = np.empty((size, size, channels), dtype=dtype)
    for c in range(channels):
        image[..., c] = (ramp[:, None] if c % 2 else ramp[None, :]).astype(dtype)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / (size / 2) - 1
    cover = np.clip((1.0 - np.sqrt(x * x + y * y)) * 20, 0, 1)
    cover[size // 2, [0, -1]] = cover[[0, -1], size // 2] = 1.0  # bounding box = canvas
    mask = np.floor(cover * 255 + 0.5).astype(np.uint8)[..., None]
    image_path = write_picture(Picture(image), folder / f"in-{channels}-{dtype.__name__}.png")
    return image_path, write_picture(Picture(mask), folder / "mask.png")


def run_case(folder: Path, size: int, name: str) -> dict:
    case = CASES[name]
    subprocess.run([sys.executable, __file__, "--make-inputs", str(folder), "--size",
                    str(size), "--cases", name], check=True)
    image = folder / f"in-{case['channels']}-{case['dtype'].__name__}.png"
    mask = folder / "mask.png"
    out = folder / f"out-{name}.png"
    texnet = shutil.which("texnet") or "texnet"
    argv = [texnet, "fill", "--image", str(image), "--mask", str(mask), "-o", str(out),
            "--progress", "none", "-q", "--device", "cpu", *case["extra"]]
    start = time.perf_counter()
    child = subprocess.Popen(argv)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{name}: texnet fill failed with status {status}")
    return {"case": name, "size": f"{size}x{size}", "seconds": round(seconds, 1),
            "peak_rss_mib": round(usage.ru_maxrss / 1024), "output_mib":
            round(out.stat().st_size / 2**20, 1), "argv": " ".join(argv[1:])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--cases", nargs="+", choices=sorted(CASES), default=list(CASES))
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--make-inputs", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make_inputs:
        case = CASES[args.cases[0]]
        make_inputs(args.make_inputs, args.size, case["channels"], case["dtype"])
        return
    with tempfile.TemporaryDirectory(prefix="texnet-fill-bench-") as tmp:
        rows = [run_case(Path(tmp), args.size, name) for name in args.cases]
    report = {"machine": platform.processor() or platform.machine(),
              "cpus": os.cpu_count(), "python": sys.version.split()[0], "results": rows}
    for row in rows:
        print(f"{row['case']:>14} {row['size']}: {row['seconds']:7.1f} s, "
              f"peak RSS {row['peak_rss_mib']} MiB, output {row['output_mib']} MiB")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
