"""texnet beside G'MIC's patch-based synthesis (`syntexturize_matchpatch`) on the same exemplars.

    python benchmarks/peer.py [MODEL|NAME=FILE.tnet ...] [--samples 4] [--out docs/quality]
        [--no-timing]

For each model (default: every bundled texture in tools/bundled_models.txt): wall time of a
fresh process making a 512² and a 2048² tile (`texnet fill --tile`, `gmic EXEMPLAR
syntexturize_matchpatch W,H`; start-up included, what a plug-in click costs), and the texture
loss of ``--samples`` samples of each, judged by the ImageNet `vgg16` descriptor's Gram
matrices on the paper's five layers against the exemplar at its own pixel scale (what a user
gets by default). Two judges, on 384² samples:

- *zero-padded* (the judge until session 10): the centre 256² of a sample against the
  exemplar as it is, VGG zero-padding both at their edges;
- *border-free*: the cells of the centre 256² inside the whole 384² sample, against the cells
  of the exemplar continued beyond its edges (wrapped when it tiles, else mirrored;
  texturenet_plugin/train/border.py). Neither side sees a grey border. On a small exemplar the
  zero-padded judge rewards samples that imitate the border (texnet's flat blobs) and ranks the
  exemplar itself, tiled, below them; the ``tiled exemplar`` column (seamless exemplars only)
  is that check: a judge should score the texture itself best.

Writes ``peer.json``, ``peer.md`` (the table) and ``peer-sheet.jpg`` (exemplar | texnet |
G'MIC, 512² each) into ``--out``.

Needs G'MIC: `apt-get install gmic` (Debian/Ubuntu). Without it the benchmark says so and
exits 0 having measured nothing. Needs the descriptor: `texnet descriptors pull vgg16`.
Pause background training while it runs: the timings assume an idle machine.
"""

from __future__ import annotations

# First: texturenet_plugin sets THP_MEM_ALLOC_ENABLE, which torch reads when it loads.
import texturenet_plugin  # noqa: F401

# isort: split

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from measures import bundled_textures, interior_loss, sample_loss  # benchmarks/measures.py
from PIL import Image, ImageDraw

from texturenet_plugin.io.images import read_rgb
from texturenet_plugin.nets.descriptor import TEXTURE_LAYERS
from texturenet_plugin.train import border
from texturenet_plugin.train.config import TrainConfig
from texturenet_plugin.train.loop import exemplar_grams
from texturenet_plugin.train.texture import exemplar_tensor
from texturenet_plugin.zoo import local
from texturenet_plugin.zoo.descriptor_weights import load_descriptor

ROOT = Path(__file__).resolve().parents[1]
EXEMPLARS = ROOT / "exemplars"
CORPUS = ROOT.parent / "shared" / "corpus" / "textures"  # models of textures not (yet) bundled
JUDGE = TrainConfig(descriptor="vgg16", exemplar_max_side=1 << 30, layers=TEXTURE_LAYERS,
                    exemplar_border="zero")
FREE_JUDGE = TrainConfig(descriptor="vgg16", exemplar_max_side=1 << 30, layers=TEXTURE_LAYERS,
                         exemplar_border="auto")
SIDE, MARGIN = 256, border.MARGIN  # judged side; samples are SIDE + 2·MARGIN
TEXNET = [sys.executable, "-m", "texnet_cli.main"]


def exemplar_path(source: str) -> Path:
    """A model's exemplar: the bundled copy, else the corpus's (``../shared/corpus``)."""
    bundled_copy, corpus_copy = EXEMPLARS / source, CORPUS / source
    return corpus_copy if corpus_copy.exists() and not bundled_copy.exists() else bundled_copy


def parse_models(args: list[str]) -> list[tuple[str, str]]:
    """``NAME`` or ``NAME=FILE.tnet`` -> (label, model reference)."""
    return [tuple(a.split("=", 1)) if "=" in a else (a, a) for a in args] or [
        (name, name) for name, _ in bundled_textures()]


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start


def texnet_cmd(ref: str, size: int, seed: int, out: Path) -> list[str]:
    return TEXNET + ["fill", "--model", ref, "--tile", f"{size}x{size}", "--seed", str(seed),
                     "--progress", "none", "-o", str(out)]


def gmic_cmd(exemplar: Path, size: int, seed: int, out: Path) -> list[str]:
    return ["gmic", "-v", "-", str(exemplar), "srand", str(seed),
            "syntexturize_matchpatch", f"{size},{size}", "o", str(out)]


def make(tool: str, ref: str, exemplar: Path, size: int, seed: int, tmp: Path) -> tuple[Path, float]:
    out = tmp / f"{tool}-{size}-{seed}.png"
    cmd = texnet_cmd(ref, size, seed, out) if tool == "texnet" else gmic_cmd(exemplar, size, seed, out)
    return out, timed(cmd)


def judge(descriptor, targets: tuple[dict, dict], images: list[np.ndarray]) -> dict:
    """Both judges' losses of (SIDE + 2·MARGIN)² images: (zero-padded, border-free) targets."""
    zero, free = targets
    centre = slice(MARGIN, MARGIN + SIDE)
    losses = [sample_loss(descriptor, zero, image[centre, centre], TEXTURE_LAYERS)
              for image in images]
    free_losses = [interior_loss(descriptor, free, image, TEXTURE_LAYERS, MARGIN)
                   for image in images]
    return {"losses": losses, "mean_loss": statistics.mean(losses),
            "free_losses": free_losses, "mean_free_loss": statistics.mean(free_losses)}


def tiled(pixels, n: int) -> list[np.ndarray]:
    """``n`` windows of the exemplar (3, H, W) repeated, at seeded offsets: the texture itself."""
    image = (pixels.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
    height, width = image.shape[:2]
    side = SIDE + 2 * MARGIN
    big = np.tile(image, (side // height + 2, side // width + 2, 1))
    rng = np.random.default_rng(0)
    offsets = [(rng.integers(height), rng.integers(width)) for _ in range(n)]
    return [big[y:y + side, x:x + side] for y, x in offsets]


def measure_one(label: str, ref: str, descriptor, n: int, timing: bool, tmp: Path) -> dict:
    tmp = tmp / label  # the sheet reads each model's files after all are measured
    tmp.mkdir()
    model = local.load(ref)
    exemplar = exemplar_path(model.meta["source"])
    pixels = exemplar_tensor(exemplar)
    targets = (exemplar_grams(descriptor, pixels, JUDGE),
               exemplar_grams(descriptor, pixels, FREE_JUDGE))
    record = {"model": label, "exemplar": exemplar.name,
              "descriptor": model.meta.get("descriptor"), "samples": n}
    for tool in ("texnet", "gmic"):
        side = SIDE + 2 * MARGIN
        paths = [make(tool, ref, exemplar, side, seed, tmp)[0] for seed in range(n)]
        record[tool] = judge(descriptor, targets,
                             [(read_rgb(p) * 255 + 0.5).astype(np.uint8) for p in paths])
        if timing:
            for size in (512, 2048):
                record[tool][f"seconds_{size}"] = make(tool, ref, exemplar, size, 0, tmp)[1]
        record[tool]["sheet"] = str(make(tool, ref, exemplar, 512, 0, tmp)[0])
    if border.seamless(pixels):
        record["tiled"] = judge(descriptor, targets, tiled(pixels, n))
    record["loss_ratio"] = record["texnet"]["mean_loss"] / record["gmic"]["mean_loss"]
    record["free_ratio"] = record["texnet"]["mean_free_loss"] / record["gmic"]["mean_free_loss"]
    return record


def labelled(image: Image.Image, text: str) -> Image.Image:
    out = Image.new("RGB", (512, 512 + 16), "white")
    out.paste(image, ((512 - image.width) // 2, 16 + (512 - image.height) // 2))
    ImageDraw.Draw(out).text((4, 2), text, fill="black")
    return out


def sheet(records: list[dict], path: Path) -> None:
    rows = []
    for r in records:
        ex = Image.open(exemplar_path(r["exemplar"])).convert("RGB")
        if max(ex.size) > 512:
            ex.thumbnail((512, 512))
        panels = [labelled(ex, f"{r['model']}: exemplar {r['exemplar']} (actual size)"),
                  labelled(Image.open(r["texnet"]["sheet"]).convert("RGB"),
                           f"texnet ({r['descriptor']}) border-free loss "
                           f"{r['texnet']['mean_free_loss']:.3g}"),
                  labelled(Image.open(r["gmic"]["sheet"]).convert("RGB"),
                           f"G'MIC matchpatch border-free loss "
                           f"{r['gmic']['mean_free_loss']:.3g}")]
        rows.append(np.concatenate([np.asarray(p) for p in panels], axis=1))
    Image.fromarray(np.concatenate(rows, axis=0)).save(path, quality=88)


def table(records: list[dict]) -> str:
    head = ("| model | trained on | border-free: texnet | G'MIC | tiled exemplar | ratio "
            "| zero-padded: texnet | G'MIC | tiled exemplar | ratio | texnet 512² s "
            "| G'MIC 512² s | texnet 2048² s | G'MIC 2048² s |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
    rows = []
    for r in records:
        t, g, x = r["texnet"], r["gmic"], r.get("tiled")
        times = [f"{d[k]:.2f}" if k in d else "—" for k in ("seconds_512", "seconds_2048")
                 for d in (t, g)]  # "—": run with --no-timing
        free = f"{x['mean_free_loss']:.3g}" if x else "(not seamless)"
        zero = f"{x['mean_loss']:.3g}" if x else "(not seamless)"
        rows.append(f"| {r['model']} | `{r['descriptor']}` | {t['mean_free_loss']:.3g} | "
                    f"{g['mean_free_loss']:.3g} | {free} | {r['free_ratio']:.2f}× | "
                    f"{t['mean_loss']:.3g} | {g['mean_loss']:.3g} | {zero} | "
                    f"{r['loss_ratio']:.2f}× | " + " | ".join(times) + " |")
    return head + "\n".join(rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*")
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "quality")
    parser.add_argument("--no-timing", action="store_true", help="losses and sheet only")
    args = parser.parse_args()
    if shutil.which("gmic") is None:
        print("peer: G'MIC is not installed (Debian/Ubuntu: apt-get install gmic); skipped")
        return
    descriptor = load_descriptor("vgg16")
    with tempfile.TemporaryDirectory() as tmp:
        records = [measure_one(label, ref, descriptor, args.samples, not args.no_timing,
                               Path(tmp)) for label, ref in parse_models(args.models)]
        args.out.mkdir(parents=True, exist_ok=True)
        sheet(records, args.out / "peer-sheet.jpg")
    for r in records:
        for tool in ("texnet", "gmic"):
            r[tool].pop("sheet")
    (args.out / "peer.json").write_text(json.dumps(records, indent=1))
    (args.out / "peer.md").write_text(table(records))
    print(table(records))


if __name__ == "__main__":
    main()
