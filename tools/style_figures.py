"""Figures for docs/stylization.md: the paper's Fig. 5 (noise magnitude k) and one row per
bundled style model on three content images.

    python tools/style_figures.py [--out docs] [--side 320]
    python tools/style_figures.py --compare A.tnet B.tnet   # losses + picture, same content

--compare stylizes the three content images with two models (e.g. instance vs batch norm) and
prints their texture and content losses, measured with the first model's descriptor and style.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import torch
from PIL import Image, ImageDraw
from torch.nn import functional as F

from texturenet_plugin.synthesis.stylize import StylizeOptions, stylize
from texturenet_plugin.train.style_loop import image_tensor
from texturenet_plugin.zoo import local
from texturenet_plugin.zoo.modelfile import load_model

CONTENT = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "content"
IMAGES = ("skimage_chelsea.png", "TowerBridgeLondon.png", "skimage_astronaut.png")
STRENGTHS = (0.01, 0.1, 1.0, 10.0)
# What a person sees in stylization-styles.jpg, and what benchmarks/stylize.py measured (512²
# astronaut, vgg16 losses of the model's own objective; written by looking and measuring).
STYLE_NOTES = {
    "vangogh-auvers": "(session 17: the `cpu` preset on 256² content crops, 2000 iterations of "
    "4 × 256², 4× session 16's pixels) the painting's ochre, cobalt and green palette with "
    "bolder, longer strokes than session 16's model: skies in dense cobalt brushwork, walls and "
    "sand ochre; buildings, faces, the flag and the cat's whiskers stay readable. Defects: "
    "solid cobalt patches where the photo has a saturated or dark area: the cat's irises, the "
    "roofs of Nagoya castle, the espresso saucer, a round blob in the Hubble deep field; night "
    "photos (Sydney, Tower Bridge, the launch pad) turn to daylight ochre under a cobalt sky. "
    "Seen on all 14 corpus photos (256² centre squares) beside session 16's model. "
    "`python benchmarks/stylize.py --model vangogh-auvers --sizes 512`: style loss 7.92e8 "
    "(session 16: 1.56e9; the photo 6.42e9; 10 s of Adam from the photo, 5 steps here: "
    "3.53e9), content loss 2.35e4 (session 16: 2.41e4; Adam's 10 s: 3.19e3, 7.4× lower). "
    "`benchmarks/stylize_frontier.py`: Adam reaches this style loss at step 36 with content "
    "6.4e3 (3.6× lower; session 16's model: 4.9×, session 8's: 7.6×); at 256² (`--size 256 "
    "--steps 150`) at step 58 with content 1.18e4 (2.7× lower; session 16's: 3.4×).",
    "vangogh-nightcafe": "(session 16: the `cpu` preset's 2000 iterations, 5× session 8's) the "
    "café's red, green and yellow palette with visible brush texture; faces, the astronaut's "
    "orange suit and blue patch, windows and reflections stay readable, more so than session "
    "8's model. Defect: skies turn the wall's red with teal-blue dashes and patches (under "
    "Tower Bridge's span, over the pyramids and the windmill), in the painting's own blues; "
    "the Hubble deep field becomes a red-green-yellow mottle. Seen on all 14 corpus photos "
    "(256² centre squares). `benchmarks/stylize.py` at 512²: style loss 1.49e9 (session 8: "
    "1.55e9; photo 5.17e9; 10 s of Adam, 6 steps: 2.54e9), content 1.79e4 (session 8: "
    "2.56e4; Adam's 10 s: 3.05e3, 5.9× lower). `benchmarks/stylize_frontier.py`: Adam reaches "
    "this style loss at step 14 with content 3.9e3 (4.6× lower; session 8's model: 6.7×); at "
    "256² (`--size 256 --steps 150`) at step 46 with content 9.3e3 (3.0× lower).",
}


def load(name: str, side: int) -> torch.Tensor:
    """(3, side, side) centre square of a content image."""
    image = image_tensor(CONTENT / name)
    h, w = image.shape[-2:]
    s = min(h, w)
    square = image[None, :, (h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s]
    return F.interpolate(square, size=(side, side), mode="area")[0]


def painting(model, side: int) -> Image.Image:
    """The model's painting, whole, fitted into a white side × side square."""
    image = Image.open(CONTENT.parent / "styles" / model.meta["source"]).convert("RGB")
    image.thumbnail((side, side), Image.LANCZOS)
    square = Image.new("RGB", (side, side), "white")
    square.paste(image, ((side - image.width) // 2, (side - image.height) // 2))
    return square


def to_pil(image: torch.Tensor) -> Image.Image:
    pixels = image.clamp(0, 1).permute(1, 2, 0).mul(255).round().to(torch.uint8).numpy()
    return Image.fromarray(pixels)


def grid(cells: list[list[tuple[Image.Image, str]]], side: int) -> Image.Image:
    """Rows of labelled square images."""
    label_h = 18
    cols = max(len(row) for row in cells)
    sheet = Image.new("RGB", (cols * side, len(cells) * (side + label_h)), "white")
    draw = ImageDraw.Draw(sheet)
    for r, row in enumerate(cells):
        for c, (image, label) in enumerate(row):
            y = r * (side + label_h)
            sheet.paste(image, (c * side, y + label_h))
            draw.text((c * side + 4, y + 3), label, fill="black")
    return sheet


def style_models() -> list[tuple[str, object]]:
    out = []
    for path in sorted(local.bundled_dir().glob("*.tnet")):
        model = load_model(path)
        if model.kind == "style":
            out.append((path.stem, model))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--side", type=int, default=320)
    parser.add_argument("--compare", type=Path, nargs=2)
    args = parser.parse_args()
    if args.compare:
        return compare(args.compare, args.out, args.side)
    models = style_models()
    contents = [load(name, args.side) for name in IMAGES]
    name, model = models[0]
    gen = model.build("cpu")
    row = [(to_pil(contents[0]), "content")]
    row += [(to_pil(stylize(gen, contents[0], StylizeOptions(strength=k))), f"k = {k:g}")
            for k in STRENGTHS]
    grid([row], args.side).save(args.out / "stylization-fig5.jpg")
    blank = Image.new("RGB", (args.side, args.side), "white")
    rows = [[(blank, "")] + [(to_pil(c), Path(n).stem) for c, n in zip(contents, IMAGES)]]
    for name, model in models:
        gen = model.build("cpu")
        rows.append([(painting(model, args.side), f"painting: {model.meta.get('source')}")])
        rows[-1] += [(to_pil(stylize(gen, c)), name) for c in contents]
        keep = stylize(gen, contents[1], StylizeOptions(keep_colors=True))
        rows[-1].append((to_pil(keep), f"{name} --keep-colors"))
    grid(rows, args.side).save(args.out / "stylization-styles.jpg")
    for name, model in models:
        write_card(name, model, args.out / "models")
    print("wrote", args.out / "stylization-fig5.jpg", args.out / "stylization-styles.jpg")


def write_card(name: str, model, folder: Path) -> Path:
    """docs/models/NAME.md from the model's metadata."""
    meta, t = model.meta, model.meta.get("training", {})
    lines = [
        f"# {meta.get('title', name)} (`{name}`)", "",
        ("A stylization model (kind `style`): `texnet stylize --model "
         f"{name} IN -o OUT [--strength K] [--keep-colors]`."), "",
        "![styles](../stylization-styles.jpg)", "",
        (f"- style image: `{meta.get('source')}` from `../shared/corpus/styles/` (Vincent van "
         "Gogh, public domain; the file comes from Debian package gcompris-qt-data, GPL-3)"),
        (f"- content pool: `../shared/corpus/content/` ({t.get('content_images')} images: "
         "landmark photos from gcompris-qt-data (GPL-3) and scikit-image samples (CC0 / public "
         "domain), see `../shared/corpus/LICENSES.md`)"),
        f"- license: {meta.get('license')}",
        f"- descriptor: `{meta.get('descriptor')}`",
        f"- trained on: {meta.get('trained_on', 'the shared 2-core CPU')}",
        f"- looked at and measured: {STYLE_NOTES.get(name, 'not yet')}",
        (f"- architecture: K = {model.spec.scales} scales, {model.spec.norm} normalisation, "
         "content concatenated with the noise at every scale"),
        (f"- training: {t.get('completed_iterations')} iterations, batch {t.get('batch_size')} "
         f"random crops of {t.get('size')}², style size {t.get('exemplar_max_side')}, content "
         f"weight α = {t.get('content_weight')}, colour-histogram weight "
         f"{t.get('color_weight', 0):g}, Adam lr {t.get('lr')} (×{t.get('lr_decay')} "
         f"every {t.get('lr_decay_every')} from {t.get('lr_decay_start')}), descriptor in "
         f"{t.get('precision', 'float32')}; "
         f"{t.get('seconds')} s of training compute on the shared 2-core CPU; final loss "
         f"{t.get('final_loss') or 0:.4g}"),
        ("- reproduce: `texnet train style ../shared/corpus/styles/"
         f"{meta.get('source')} --content ../shared/corpus/content --name {name} "
         f"--iterations {t.get('completed_iterations')} --size {t.get('size')} "
         f"--norm {model.spec.norm} "
         f"--content-weight {t.get('content_weight')} --color-weight "
         f"{t.get('color_weight', 0):g} --style-size {t.get('exemplar_max_side')} "
         f"--precision {t.get('precision', 'float32')}` (cpu preset)"),
    ]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def compare(paths: list[Path], out: Path, side: int) -> None:
    from texturenet_plugin.train.loop import exemplar_grams
    from texturenet_plugin.train.style import trained_config
    from texturenet_plugin.train.style_loop import style_losses
    from texturenet_plugin.zoo.descriptor_weights import load_descriptor

    models = [load_model(p) for p in paths]
    config = replace(trained_config(models[0].meta), precision="float32")  # judged in float32
    descriptor = load_descriptor(config.descriptor, pool=config.pool)
    style = image_tensor(CONTENT.parent / "styles" / models[0].meta["source"])
    grams = exemplar_grams(descriptor, style, config)
    contents = torch.stack([load(name, side) for name in IMAGES])
    rows = [[(to_pil(c), Path(n).stem) for c, n in zip(contents, IMAGES)]]
    print("| model | norm | texture loss | content loss |\n| --- | --- | --- | --- |")
    for path, model in zip(paths, models):
        gen = model.build("cpu")
        outs = torch.stack([stylize(gen, c) for c in contents])
        with torch.no_grad():
            tex, con, _ = style_losses(descriptor, outs, contents, grams, config)
        print(f"| {path.stem} | {model.spec.norm} | {float(tex.mean()):.4g} | "
              f"{float(con.mean()):.4g} |")
        rows.append([(to_pil(o), f"{path.stem} ({model.spec.norm})") for o in outs])
    grid(rows, side).save(out / "stylization-norms.jpg")


if __name__ == "__main__":
    main()
