"""Ship trained models as bundled ones: copy each OUT_DIR/NAME.tnet into
texturenet_plugin/bundled/ with a ``trained_on`` note in its card, then rewrite the bundled
``index.json`` (sha256, bytes) as ``texnet models publish`` does.

    python tools/ship_bundled.py OUT_DIR NAME [NAME ...] --trained-on "2-core CPU, cpu preset"

``RUN=NAME`` ships OUT_DIR/RUN.tnet as NAME (e.g. an experiment's stylizer as
``vangogh-auvers``); title, licence and source the new file lacks are kept from the bundled
model it replaces, or for a new name taken from its line in tools/bundled_models.txt.

The models come from ``bash tools/train_bundled.sh OUT_DIR NAME ...``; look at their sample
sheets (tools/samples_sheet.py) before shipping them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from texturenet_plugin.zoo.modelfile import load_model, save_model
from texturenet_plugin.zoo.publish import publish

BUNDLED = Path(__file__).resolve().parents[1] / "texturenet_plugin" / "bundled"
LISTED = Path(__file__).resolve().parent / "bundled_models.txt"


def listed(name: str) -> dict:
    """Title, licence and source of ``name`` from its line (NAME EXEMPLAR TITLE|LICENSE) in
    tools/bundled_models.txt; empty when it has none."""
    for line in LISTED.read_text().splitlines():
        fields = line.split(maxsplit=2)
        if len(fields) == 3 and fields[0] == name:
            title, _, licence = fields[2].partition("|")
            return {"title": title, "license": licence, "source": fields[1]}
    return {}


def ship(out_dir: Path, names: list[str], trained_on: str, bundled: Path = BUNDLED) -> None:
    for pair in names:
        run, _, name = pair.partition("=")
        model = load_model(out_dir / f"{run}.tnet")
        if model.meta.get("name") != run:
            raise SystemExit(f"{out_dir / run}.tnet holds model {model.meta.get('name')!r}")
        name = name or run
        old = bundled / f"{name}.tnet"
        kept = load_model(old).meta if old.is_file() else listed(name)
        for key in ("title", "license", "source"):
            if model.meta.get(key) in (None, "", "unknown", run) and kept.get(key):
                model.meta[key] = kept[key]
        model.meta.update(name=name, trained_on=trained_on)
        save_model(model, old)
    publish(bundled)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("names", nargs="+")
    parser.add_argument("--trained-on", required=True, help="how and where it was trained")
    args = parser.parse_args()
    ship(args.out_dir, args.names, args.trained_on)


if __name__ == "__main__":
    main()
