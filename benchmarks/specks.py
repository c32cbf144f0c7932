"""Off-distribution specks and blobs of texture models, counted on the samples one looks at.

    python benchmarks/specks.py [MODEL|NAME=FILE.tnet ...] [--samples 8] [--size 512]
        [--out docs/quality]

For each model (default: every bundled texture in tools/bundled_models.txt), ``--samples``
tiles of ``--size``² (seeds 0, 1, …: the same as tools/samples_sheet.py, seed 0 is what
`texnet fill` makes by default), float32. A speck is a cluster of at least 9 pixels
(8-connected, across the wrap-around) whose colours are rarer near them in the exemplar than
all but its rarest 0.1 % of pixels (texturenet_plugin.metrics.rare_clusters): the glowing
specks, olive dots and lavender blobs earlier models had. The exemplar's own pixels pass by
construction; colours the exemplar has but in the wrong place (a smear of grout colour on a
stone) are not counted — this count complements looking at the sheet, it does not replace it.

Writes ``specks.json`` and ``specks.md`` into ``--out`` when it measured every bundled model;
prints the table either way.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import numpy as np
from peer import exemplar_path, parse_models  # benchmarks/peer.py

from texturenet_plugin.io.images import read_rgb
from texturenet_plugin.metrics import rare_clusters
from texturenet_plugin.synthesis.tile import sample_tile
from texturenet_plugin.zoo import local

ROOT = Path(__file__).resolve().parents[1]


def measure_one(label: str, ref: str, samples: int, size: int) -> dict:
    model = local.load(ref)
    exemplar = exemplar_path(model.meta["source"])
    palette = np.round(read_rgb(exemplar) * 255).astype(np.uint8)
    gen = model.build("cpu")
    clusters = [rare_clusters(sample_tile(gen, size, size, seed=seed), palette)
                for seed in range(samples)]
    return {"model": label, "file": ref, "exemplar": exemplar.name, "size": size,
            "specks": [len(c) for c in clusters],
            "largest": max((c[0] for c in clusters if c), default=0)}


def table(records: list[dict]) -> str:
    size = records[0]["size"]
    last_seed = len(records[0]["specks"]) - 1
    lines = [(f"| model | specks per {size}² sample (seeds 0–{last_seed}) "
              "| mean | seed 0 | largest, px |"), "| --- | --- | --- | --- | --- |"]
    for r in records:
        counts = r["specks"]
        lines.append(f"| {r['model']} | {', '.join(map(str, counts))} | "
                     f"{statistics.mean(counts):.1f} | {counts[0]} | {r['largest']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*")
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "quality")
    args = parser.parse_args()
    records = [measure_one(label, ref, args.samples, args.size)
               for label, ref in parse_models(args.models)]
    print(table(records), end="")
    if not args.models:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "specks.json").write_text(json.dumps(records, indent=1))
        (args.out / "specks.md").write_text(
            "# Specks: rare-colour clusters of the bundled textures\n\n"
            "Written by `python benchmarks/specks.py` (see its docstring for the measure).\n\n"
            + table(records))


if __name__ == "__main__":
    main()
