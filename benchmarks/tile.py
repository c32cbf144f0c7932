"""Time and peak memory of `texnet fill --tile NxN` as a user runs it (a fresh process each).

    python benchmarks/tile.py [--sizes 256 1024 2048] [--model pebbles] [--repeat 2]
                              [--precision float32 bfloat16] [--threads 1]

Wall time includes Python/torch start-up and model load; peak RSS is the child's maxrss.
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


def run_once(cmd: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.read().decode()}")
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 1024, 2048])
    parser.add_argument("--model", default=None)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--precision", nargs="+", default=[None],
                        help="texnet fill --precision values to compare (default: the CLI's)")
    parser.add_argument("--threads", type=int, default=None, help="texnet fill --threads")
    parser.add_argument("--json", dest="json_out", help="also write the results here")
    args = parser.parse_args()
    texnet = shutil.which("texnet") or sys.exit("texnet is not on PATH: pip install -e .")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            for precision in args.precision:
                cmd = [texnet, "fill", "--tile", f"{size}x{size}", "-o", f"{tmp}/t.png",
                       "--progress", "none", "--overwrite"]
                cmd += ["--model", args.model] if args.model else []
                cmd += ["--precision", precision] if precision else []
                cmd += ["--threads", str(args.threads)] if args.threads else []
                runs = [run_once(cmd) for _ in range(args.repeat)]
                best = min(runs)
                rows.append({"size": size, "precision": precision or "default",
                             "threads": args.threads, "seconds": round(best[0], 3),
                             "all_seconds": [round(r[0], 3) for r in runs],
                             "peak_rss_mib": round(max(r[1] for r in runs), 1)})
                print(f"{size:>5}²  {precision or 'default':9} {best[0]:7.2f} s  "
                      f"(all {', '.join(f'{r[0]:.2f}' for r in runs)})  "
                      f"{rows[-1]['peak_rss_mib']:8.1f} MiB", flush=True)
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"cpu_count": os.cpu_count(), "loadavg": os.getloadavg(), "rows": rows},
                      f, indent=1)


if __name__ == "__main__":
    main()
