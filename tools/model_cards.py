"""Write docs/models/NAME.md (model card) for bundled models and the table in docs/quality.md.

    python tools/model_cards.py [--quality docs/quality] [--out docs]

Reads each bundled .tnet's metadata and, when present, its benchmarks/quality.py record.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from texturenet_plugin.nets.generator import Generator, GeneratorSpec
from texturenet_plugin.zoo import local
from texturenet_plugin.zoo.modelfile import load_model

BARS = {"speedup": 500, "diversity": 0.6, "seam_score": 1.2}

# What a person sees in the contact sheets (written by looking at them; numbers do not say it).
VISUAL_NOTES = {
    "grass": "(session 14, vgg16: a width-5 generator, the `cpu` preset with `--seed 1` and the "
    "palette term, then the 150-iteration `refine` preset with it) grass blades in the "
    "exemplar's greens with scattered red-brown leaves, even over 8 samples at 512² and no "
    "specks or blobs (looked at at 1:1; the counter finds none). The leaves are smaller, more "
    "numerous and a little redder than the exemplar's few large oak leaves, there is no "
    "twig, and the grass reads a shade darker and more olive than the exemplar's pale, "
    "whitish blades. A seed-0 twin of this run (not shipped) made a saturated green "
    "pebble-like blob with a brown rim (~55 px) in one of its 8 samples.",
    "pebbles": "(session 4 `cpu` preset, refined in session 6 with 60 iterations at 256², in session "
    "7 with 100 more and 50 at a third of the rate, in session 11 with 100 more with the "
    "exemplar border on, vgg16) separate, shaded, rounded stones of the exemplar's size "
    "with dark outlines and grout between them, no glowing highlight spots in 8 samples "
    "at 512²; the stones are more uniform in size and outline than the exemplar's (no "
    "cracked or very elongated ones), and pale yellow-grey elongated smears sit in the "
    "grout between stones, a defect. Beside the session-7 model at 1:1 the session-11 "
    "stage changed little to the eye (the same stones and smears) and lowered the "
    "border-free loss by 5 %. The specks counter (session 13) finds one cluster in 8 "
    "samples: a pale bluish-white stone of ~30 px in seed 6, brighter and bluer than the "
    "exemplar's stones, like a highlight. Session 15 pruned its finest mixer to 32 inner "
    "channels and refined it twice (150 + 150 iterations): the same stones, grout and "
    "layout seed for seed (compared side by side at 1:1 with the model before it, seeds "
    "0, 2 and 6), the pale cream smears in the grout still there, slightly fewer; one "
    "pale bluish stone of ~36 px in seed 6 as before; the border-free loss 6–10 % lower "
    "(peer, 8 samples; quality.py).",
    "sand": "(session 12, vgg16: a width-5 generator trained anew with the exemplar border on — "
    "the `cpu` preset, then the 150-iteration `refine` preset) sand grain and colour as "
    "in the exemplar with small grey-blue pebbles; in 8 samples at 512² (looked at at 1:1 "
    "beside the session-11 width-8 model) the pinkish-orange blotches of every earlier "
    "sand are gone; instead darker brown patches of 40–60 px with slightly darker rims, "
    "evenly spread, stand where the exemplar has a few larger, softer darker areas, and a "
    "faint yellow-green disk of ~25 px shows in some of the 8 samples (two in one), a defect.",
    "mud": "(session 5, vgg16, `cpu` preset; session 11: 100 refine iterations with the exemplar "
    "border on) lumpy dried mud in the exemplar's browns with short dark cracks and grit, "
    "and now small grey-green patches of 10–15 px like the exemplar's stones (but "
    "smaller), no glowing specks in 8 samples at 512² (looked at at 1:1); larger lumps "
    "and more variety than before the session-11 stage, which halved the border-free "
    "loss, but still more uniform than the exemplar (none of its large dark patches) and "
    "with a faint diagonal grain.",
    "rock": "(session 12, vgg16: a width-5 generator trained anew with the exemplar border on — "
    "the `cpu` preset, then the 150-iteration `refine` preset) light grey stone with dark "
    "crack lines and cream veins, in the exemplar's colour balance (the session-5/6 "
    "width-8 model's cream patches were larger and more saturated than the exemplar's); "
    "in 8 samples at 512² (looked at at 1:1 beside it) no glowing specks, small white "
    "flecks of a few pixels like the exemplar's lighter grains. Still finer and more "
    "uniform than the exemplar's large plates, and a faint diagonal hatching shows in the "
    "grey areas (less than the earlier model's woven cross-hatching).",
    "gravel": "(session 13, vgg16: a width-5 generator trained anew with the exemplar border "
    "on — the `cpu` preset, then the 150-iteration `refine` preset) angular grey chips with a "
    "lit face and a darker one, about the exemplar's size; side by side at 1:1 with the "
    "session-9 model (width 5, refined from a zero-padded start) its dark grey smeared strips "
    "between stones are gone. Defects: thin pale rims along some stone edges, faint hatching "
    "on the dark faces, and lit stones that gather into lighter swathes of ~100 px; no "
    "specks in 8 samples at 512². Loss 1.18e8 → 9.7e7 (0.92× → 0.77× G'MIC's).",
    "bark": "(session 12, vgg16: a width-5 generator trained anew with the exemplar border on — "
    "the `cpu` preset, then the 150-iteration `refine` preset) vertical ridged bark in "
    "the exemplar's browns with dark furrows; in 8 samples at 512² (looked at at 1:1 "
    "beside the session-11 width-8 model) the ridges vary more in width and length, "
    "closer to the small (82×90) exemplar, and the faint light diagonal streaks across "
    "them are mostly gone; grey-olive patches on some ridges are a little greener than "
    "the exemplar's grey bark, no specks.",
    "crinkled-paper": "(session 5, vgg16, `cpu` preset; session 11: 100 refine iterations with the exemplar "
    "border on, mirrored: the exemplar does not tile; session 14: 60 refine iterations with "
    "the palette term) peach paper with shaded creases, no specks in 8 samples at 512² "
    "(looked at at 1:1 and enlarged); the creases still run mostly horizontally in a "
    "scale-like rhythm, where the exemplar's folds are larger and go every way; a faint "
    "fine hatching shows in the shaded hollows. The faint ochre patch of ~40 px with a "
    "bluish edge that seed 5 had before session 14 is gone; in its place, enlarged, a small "
    "peach ring of ~20 px (in the exemplar's colours, so the counter does not see it). "
    "Session 15 pruned its finest mixer to 32 inner channels and refined it with the "
    "palette term (150 iterations): side by side with the model before it (seeds 5 and "
    "1, 1:1) the same creases and colour, a touch smoother in the hollows; no specks in 8 "
    "samples.",
    "cracked-stone": "(session 6, vgg16, `cpu` preset then 60 refine iterations at 256²; session 11: 100 "
    "refine iterations with the exemplar border on) embossed grey stone with cracks of "
    "the exemplar's width and relief, no specks in 8 samples at 512² (looked at at 1:1); "
    "the cracks are shorter and denser than the exemplar's few long ones, so the plates "
    "are smaller and the surface reads more cellular than the exemplar, a little more so "
    "than before the session-11 stage. Session 15 pruned its finest mixer to 32 inner "
    "channels and refined it (150 iterations): side by side with the model before it "
    "(seeds 0 and 3, 1:1) the same plates, cracks and relief; no specks in 8 samples.",
    "walnut": "(session 11, vgg16: retrained from scratch with the exemplar border on — the `cpu` "
    "preset, then 100 `refine` iterations) mottled walnut grain in the exemplar's reddish "
    "browns with small dark knots; in 8 samples at 512² (looked at at 1:1) no specks and "
    "none of the earlier models' blobs: the session-6 model's orange-rimmed knots and its "
    "dark round blobs of 30–40 px (one at the same place in every refine of it, a few per "
    "8 samples) were learnt from the small exemplar's zero-padded border and went only "
    "when the model was trained anew. The knots are smaller (3–6 px) and the grain finer "
    "and more even than the exemplar's, which has ~10 px knots and larger dark areas.",
    "leopard": "(session 12, vgg16: a width-5 generator trained anew with the exemplar border on — "
    "the `cpu` preset, then the 150-iteration `refine` preset; session 13: 60 more `refine` "
    "iterations with the palette term, `--palette-weight 100`) separate black spots, "
    "C-shapes and open rosettes on tawny fur, at the exemplar's size and spacing; beside "
    "the session-11 model at 1:1 (8 samples at 512²) its rings merged into ~30 px black "
    "patches and were denser and more closed than the exemplar's, and now they are not. "
    "Session 12's model had olive-khaki specks of 3–6 px inside some rosettes (11–26 "
    "rare-colour clusters per 512² sample, `benchmarks/specks.py`); the palette term took "
    "them to none in 8 samples of 512², looked at 4× enlarged beside the old model: where a "
    "yellow-olive speck was, a faint dark-khaki smudge remains in a few rosettes, close to "
    "the exemplar's tawny-brown centres.",
    "burlwood": "(session 13, vgg16: a width-5 generator trained anew with the exemplar border on "
    "and training seed 1 — the `cpu` preset, then the 150-iteration `refine` preset) "
    "orange-brown burl grain with clusters of dark pores in the exemplar's colours. Session "
    "12's seed-0 model had round blobs of 25–30 px with greyish-lavender centres and "
    "reddish rims (three in the seed-0 512² tile, largest rare-colour cluster 163 px); looked "
    "at as 8 samples of 512² and 1:1 crops beside it, this one has none, nor reddish rimmed "
    "dots (largest rare-colour cluster 12 px, `benchmarks/specks.py`). The grain still lies "
    "in mild diagonal ripples the exemplar does not have.",
}

QUALITY_HEADER = """# Quality of the bundled texture models

Measured with `python benchmarks/quality.py texturenet_plugin/bundled/MODEL.tnet
exemplars/FILE --seconds 60 --samples 8 --precision auto,float32` (one process per model, on
the 2-core development CPU with no training running, sessions 12–13: an AMD EPYC with AVX512-BF16,
where `auto` is bfloat16; sessions up to 11 ran on one without AVX512, where it is float32).
Written by `python tools/model_cards.py`.

- **judge**: *border-free* (session 11 on): the exemplar is continued beyond its edges
  (wrapped when it tiles, else mirrored) and only its own cells give the target Grams; the
  generator's 256² samples and the optimiser's image are tiles and are judged as tiled
  (circular padding in the descriptor), so no side sees VGG's zero padding. *zero-padded*
  (sessions 4–10): exemplar and samples as they are, which on small exemplars rewards
  imitating their grey border (docs/training-notes.md, session 10).
- **loss**: mean texture loss (eq. 5, Grams / C·H·W, the paper's five layers relu1_1 …
  relu5_1 whatever the model was trained on) of 8 samples at 256², judged by the model's own
  descriptor (`vgg16`: ImageNet).
- **ms/sample**: median time of `sample_tile` at 256² after one warm-up, in the precision
  `texnet fill` uses by default on the machine that measured it (`--precision auto`: bfloat16
  on CPUs with AVX512-BF16, like this one, float32 on others; see performance.md). Loss,
  diversity and seam are measured on those samples.
- **other precision**: the same seeds computed in float32, what a CPU without AVX512-BF16
  computes: time and speed-up (its loss is in the JSON record; within 2 % of bfloat16's).
  The **bars** column names a speed-up bar missed only in float32.
- **speed-up**: time L-BFGS optimisation from noise needs to reach the generator's mean loss ÷
  ms/sample (paper Fig. 6); "> N" when it had not reached it within the budget.
- **diversity**: mean pairwise relu3_1 distance between samples of different seeds ÷ the same
  between random crops of the exemplar (1 ≈ as varied as the exemplar itself).
- **seam**: mean gradient across the wrap-around seam ÷ in the interior (1 = invisible).
- **train s**: training compute time recorded in the model file ("(GPU)": trained on a GPU,
  "(shared CPU)": one thread on the 2-core CPU beside other jobs; see the model's card).

Bars from the issue: speed-up ≥ 500, diversity ≥ 0.6, seam ≤ 1.2.

"""

QUALITY_FOOTER = """
Beside G'MIC's patch-based synthesis on the same exemplars: [peer table](quality/peer.md)
(`python benchmarks/peer.py`) and its sheet `quality/peer-sheet.jpg`. Off-distribution specks
and blobs, counted on 8 samples of 512² per model: [specks table](quality/specks.md)
(`python benchmarks/specks.py`).

Per model: the contact sheet (exemplar, 4 samples, 2×2 tiling) is `docs/models/NAME.jpg`, the
Fig. 6-style plot `docs/quality/NAME-fig6.png`, the raw record `docs/quality/NAME.json`.
"""


def fmt(value, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    return f"{value:.{digits}g}" if isinstance(value, float) else str(value)


def speedup_text(q: dict) -> str:
    if q.get("speedup") is not None:
        return f"{q['speedup']:.0f}×"
    if q.get("speedup_lower_bound") is not None:
        return f"> {q['speedup_lower_bound']:.0f}× (optimiser never reached it)"
    return "n/a"


def other(q: dict) -> tuple[str, dict] | None:
    """The first precision a quality run measured besides its headline one."""
    for name, rec in q.get("precisions", {}).items():
        if name != q.get("precision", "float32"):
            return name, rec
    return None


def other_text(q: dict) -> str:
    found = other(q)
    if found is None:
        return "n/a"
    name, rec = found
    return f"{name}: {rec['seconds_per_sample'] * 1000:.0f} ms, {speedup_text(rec)}"


def stages(training: dict) -> list[dict]:
    """The training of a model and of every model it continued (``--init``), first first."""
    chain = []
    while training:
        chain.insert(0, training)
        training = training.get("init", {}).get("training", {})
    return chain


def stage_text(t: dict) -> str:
    finish = t.get("finish_iterations", 0)
    text = (f"{t.get('iterations') - finish} iterations, batch {t.get('batch_size')}, "
            f"{t.get('size')}² samples, Adam lr {t.get('lr')}")
    if finish:
        text += (f" and {finish} more on {t.get('finish_size')}² samples at lr "
                 f"{t.get('finish_lr')}")
    text += f", colour-histogram weight {t.get('color_weight', 0)}"
    if t.get("palette_weight"):
        text += f", palette weight {t['palette_weight']}"
    return text + f", exemplar border {t.get('exemplar_border', 'zero')}"


def total_seconds(meta: dict) -> float | None:
    seconds = [t.get("seconds") for t in stages(meta.get("training", {}))]
    return sum(seconds) if seconds and None not in seconds else None


def generator_text(spec: GeneratorSpec) -> str:
    with torch.device("meta"):
        params = sum(p.numel() for p in Generator(spec).parameters())
    inner = (f", finest mixer thinned to {spec.finest_inner} of {spec.finest_width} inner "
             "channels (`--finest-inner`)" if spec.finest_inner else "")
    return (f"{spec.scales} scales, width {spec.channels_step} (channels added per scale; 8 is "
            f"the paper's){inner}, {params / 1000:.1f}K parameters")


def peer_text(p: dict) -> str:
    """A model's line of benchmarks/peer.py's record."""
    return (f"- beside G'MIC's patch-based synthesis on the same exemplar (`python "
            f"benchmarks/peer.py`, {p['samples']} samples of 384²): texture loss "
            f"{p['free_ratio']:.2f}× G'MIC's judged border-free, {p['loss_ratio']:.2f}× "
            "judged zero-padded ([peer table](../quality/peer.md))")


def specks_text(r: dict) -> str:
    """A model's line of benchmarks/specks.py's record."""
    return (f"- specks (`python benchmarks/specks.py`: clusters of ≥ 9 px of colours rarer than "
            f"the exemplar's rarest 0.1 %, {len(r['specks'])} samples of {r['size']}²): "
            f"{', '.join(map(str, r['specks']))} (seeds 0–{len(r['specks']) - 1}), largest "
            f"{r['largest']} px ([specks table](../quality/specks.md))")


def card(name: str, meta: dict, quality: dict | None, spec: GeneratorSpec,
         peer: dict | None = None, specks: dict | None = None) -> str:
    t = meta.get("training", {})
    chain = stages(t)
    lines = [
        f"# {meta.get('title', name)} (`{name}`)", "",
        f"![contact sheet](../models/{name}.jpg)", "",
        f"- exemplar: [`{meta.get('source')}`](../../exemplars/{meta.get('source')}) "
        "(in `exemplars/`, licences in `exemplars/LICENSES.md`)",
        f"- license: {meta.get('license')}",
        f"- descriptor: `{meta.get('descriptor')}`",
        f"- generator: {generator_text(spec)}",
        f"- training: {', then '.join(stage_text(stage) for stage in chain)}; "
        f"{fmt(total_seconds(meta))} s of training compute"
        + (f" ({' + '.join(fmt(stage.get('seconds')) for stage in chain)})" if len(chain) > 1 else "")
        + f"; final training loss ({t.get('size')}² samples) {fmt(t.get('final_loss'))}",
    ]
    if meta.get("trained_on"):
        lines.append(f"- trained on: {meta['trained_on']}")
    if name in VISUAL_NOTES:
        lines.append(f"- what the samples look like: {VISUAL_NOTES[name]}")
    if quality:
        lines += [
            f"- quality at 256², judged {judge(quality)} (`python benchmarks/quality.py {name}`): "
            "mean texture loss "
            f"{fmt(quality['generator_mean_loss'])}, {quality['generator_seconds_per_sample'] * 1000:.0f} ms "
            f"per sample, loss-equivalent speed-up {speedup_text(quality)}, diversity "
            f"{fmt(quality['diversity'])}, seam score {fmt(quality['seam_score'])}; computed in "
            f"{quality.get('precision', 'float32')} (in {other_text(quality)})",
            f"- Fig. 6-style plot: ![fig6](../quality/{name}-fig6.png)",
        ]
    if peer:
        lines.append(peer_text(peer))
    if specks:
        lines.append(specks_text(specks))
    return "\n".join(lines) + "\n"


def judge(q: dict) -> str:
    """The quality record's judge; records from before session 11 were all zero-padded."""
    return q.get("judge", "zero-padded")


def misses(q: dict) -> list[str]:
    """Names of the issue's bars a quality record misses (a lower bound counts as met); a
    speed-up bar met in the headline precision but missed in the other one says so."""
    out = [] if _speed(q) >= BARS["speedup"] else [f"speed-up < {BARS['speedup']}"]
    found = other(q)
    if not out and found and _speed(found[1]) < BARS["speedup"]:
        out.append(f"{found[0]}: speed-up < {BARS['speedup']}")
    if q["diversity"] < BARS["diversity"]:
        out.append(f"diversity < {BARS['diversity']}")
    if q["seam_score"] > BARS["seam_score"]:
        out.append(f"seam > {BARS['seam_score']}")
    return out


def _speed(rec: dict) -> float:
    return rec.get("speedup") or rec.get("speedup_lower_bound") or 0


def train_seconds(meta: dict) -> str:
    """Training compute time; "(GPU)" for GPU-trained models, "(shared CPU)" for those trained
    one thread each on a 2-core CPU busy with other jobs (wall time far above an idle run's)."""
    seconds = fmt(total_seconds(meta))
    where = meta.get("trained_on", "")
    if not where:
        return seconds
    return f"{seconds} (GPU)" if ("GPU" in where or "CUDA" in where) else f"{seconds} (shared CPU)"


def table(rows: list[tuple[str, dict, dict | None]]) -> str:
    out = ["| model | exemplar | descriptor | judge | loss | ms/sample | speed-up "
           "| other precision | diversity | seam | train s | bars |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, meta, q in rows:
        if q is None:
            out.append(f"| {name} | {meta.get('source')} | {meta.get('descriptor')} | "
                       "| not measured | | | | | | | |")
            continue
        out.append(
            f"| [{name}](models/{name}.md) | {meta.get('source')} | {meta.get('descriptor')} | "
            f"{judge(q)} | {fmt(q['generator_mean_loss'])} | "
            f"{q['generator_seconds_per_sample'] * 1000:.0f} | {speedup_text(q)} | {other_text(q)} | "
            f"{fmt(q['diversity'])} | {fmt(q['seam_score'])} | "
            f"{train_seconds(meta)} | {', '.join(misses(q)) or 'met'} |")
    return "\n".join(out) + "\n"


def _records(path: Path) -> dict[str, dict]:
    """A benchmark's per-model records (peer.json, specks.json) by model name; {} if absent."""
    return {r["model"]: r for r in json.loads(path.read_text())} if path.exists() else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quality", type=Path, default=Path("docs/quality"))
    parser.add_argument("--out", type=Path, default=Path("docs"))
    args = parser.parse_args()
    rows = []
    peers, specks = (_records(args.quality / f"{kind}.json") for kind in ("peer", "specks"))
    for path in sorted(local.bundled_dir().glob("*.tnet")):
        model = load_model(path)
        if model.kind != "texture":
            continue
        qfile = args.quality / f"{path.stem}.json"
        quality = json.loads(qfile.read_text()) if qfile.exists() else None
        (args.out / "models").mkdir(parents=True, exist_ok=True)
        text = card(path.stem, model.meta, quality, model.spec, peers.get(path.stem),
                    specks.get(path.stem))
        (args.out / "models" / f"{path.stem}.md").write_text(text)
        rows.append((path.stem, model.meta, quality))
    (args.out / "quality.md").write_text(QUALITY_HEADER + table(rows) + QUALITY_FOOTER)
    print(table(rows))


if __name__ == "__main__":
    main()
