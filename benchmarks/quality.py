"""Quality of a texture generator, measured the paper's way (Fig. 6), in one process.

    python benchmarks/quality.py MODEL [EXEMPLAR] [--samples 8] [--seconds 60]
        [--out docs/quality] [--precision auto,float32,bfloat16]

Prints and writes JSON: mean texture loss of N generator samples at 256² and the time per
sample (for each ``--precision``; the first, by default what `texnet fill` uses on this
machine, is the headline); the L-BFGS optimiser's loss-vs-time curve from noise on the same
exemplar and size; the loss-equivalent speed-up (time the optimiser needs to reach the
generator's mean loss ÷ generator time per sample); diversity; seam score. Also writes a Fig.
6-style plot. Losses are always taken on the paper's five layers (relu1_1 ... relu5_1),
whichever layers the model was trained on.

Two judges (``--judge``), whatever border the model was trained with:

- ``free`` (default since session 11): no side sees VGG's zero padding. The exemplar is
  continued beyond its edges (wrapped when it tiles, else mirrored;
  texturenet_plugin/train/border.py) and only its own cells give the targets; the generator's
  256² samples and the optimiser's image are tiles, judged as tiled (circular padding in the
  descriptor). This judge ranks the tiled exemplar itself best (benchmarks/peer.py).
- ``zero`` (sessions 4–10): the exemplar and the generator's samples as they are, zero-padded;
  the optimiser's image (circular, as always) against those targets.
"""

from __future__ import annotations

# First: texturenet_plugin sets THP_MEM_ALLOC_ENABLE, which torch reads when it loads.
import texturenet_plugin  # noqa: F401

# isort: split

import argparse
import json
import statistics
import time
from pathlib import Path

import torch
from measures import diversity, sample_loss, time_to_reach  # benchmarks/measures.py

from texturenet_plugin.metrics import seam_score
from texturenet_plugin.nets.descriptor import TEXTURE_LAYERS
from texturenet_plugin.runtime.precision import resolve_precision
from texturenet_plugin.synthesis.optimize import optimize_texture
from texturenet_plugin.synthesis.tile import sample_tile
from texturenet_plugin.train.config import TrainConfig
from texturenet_plugin.train.loop import exemplar_grams, scaled_exemplar
from texturenet_plugin.train.texture import exemplar_tensor
from texturenet_plugin.zoo import local
from texturenet_plugin.zoo.descriptor_weights import load_descriptor

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "textures"
SIZE = 256


def time_per_sample(gen, seeds: list[int], precision: str) -> tuple[float, list]:
    sample_tile(gen, SIZE, SIZE, seed=10_000, precision=precision)  # warm-up
    samples, times = [], []
    for seed in seeds:
        start = time.perf_counter()
        samples.append(sample_tile(gen, SIZE, SIZE, seed=seed, precision=precision))
        times.append(time.perf_counter() - start)
    return statistics.median(times), samples


def generator_record(gen, descriptor, grams, n: int, precision: str,
                     judge: str) -> tuple[dict, list]:
    """Time per sample and texture losses of ``n`` samples computed in ``precision``."""
    with torch.inference_mode():
        t_gen, samples = time_per_sample(gen, list(range(n)), precision)
    losses = [sample_loss(descriptor, grams, s, TEXTURE_LAYERS, circular=judge == "free")
              for s in samples]
    return {"seconds_per_sample": t_gen, "mean_loss": statistics.mean(losses),
            "losses": losses}, samples


def speedup(record: dict, opt, budget: float) -> dict:
    """Loss-equivalent speed-up of one precision's record against the optimiser's curve."""
    t_opt = time_to_reach(opt.curve, record["mean_loss"])
    t_gen = record["seconds_per_sample"]
    return record | {
        "optimizer_seconds_to_reach": t_opt,
        "speedup": (t_opt / t_gen) if t_opt is not None else None,
        "speedup_lower_bound": None if t_opt is not None else budget / t_gen,
    }


def measure(model_ref: str, exemplar: Path | None, n: int, seconds: float,
            precisions: list[str], judge: str = "free") -> dict:
    model = local.load(model_ref)
    stored = model.meta.get("training", {})
    # Judged on the paper's five layers whatever the model was trained on, so models trained
    # with other layer sets stay comparable (and cannot look better by dropping a layer), and
    # with the judge's border whatever border the model was trained with (module doc).
    judged = {k: v for k, v in stored.items() if k in TrainConfig.__dataclass_fields__
              and k not in ("layers", "exemplar_border")}
    training = TrainConfig(**judged, layers=TEXTURE_LAYERS,
                           exemplar_border="auto" if judge == "free" else "zero")
    exemplar = exemplar or CORPUS / model.meta["source"]
    descriptor = load_descriptor(model.meta.get("descriptor", training.descriptor))
    image = exemplar_tensor(exemplar)
    grams = exemplar_grams(descriptor, image, training)
    gen = model.build("cpu")
    runs = {p: generator_record(gen, descriptor, grams, n, p, judge) for p in precisions}
    opt = optimize_texture(descriptor, grams, SIZE, SIZE, seconds, layers=TEXTURE_LAYERS)
    per_precision = {p: speedup(rec, opt, seconds) for p, (rec, _) in runs.items()}
    main, samples = precisions[0], runs[precisions[0]][1]
    first = per_precision[main]
    scaled = scaled_exemplar(image, training)
    crop = min(128, *scaled.shape[-2:])
    return {
        "model": model.name or model_ref, "exemplar": str(exemplar), "size": SIZE,
        "judge": "border-free" if judge == "free" else "zero-padded",
        "samples": n, "precision": main, "generator_seconds_per_sample":
        first["seconds_per_sample"], "generator_mean_loss": first["mean_loss"],
        "generator_losses": first["losses"], "optimizer_seconds_budget": seconds,
        "optimizer_curve": opt.curve,
        "optimizer_seconds_to_reach": first["optimizer_seconds_to_reach"],
        "speedup": first["speedup"], "speedup_lower_bound": first["speedup_lower_bound"],
        "precisions": per_precision,
        "diversity": diversity(descriptor, samples, scaled, crop),
        "seam_score": statistics.mean(seam_score(s) for s in samples),
        "train_seconds": model.meta.get("training", {}).get("seconds"),
        "torch_threads": torch.get_num_threads(),
    }


def plot(record: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5))
    t, loss = zip(*record["optimizer_curve"])
    ax.semilogy(t, loss, label="L-BFGS optimisation (Gatys et al.)")
    ax.axhline(record["generator_mean_loss"], color="C1", linestyle="--",
               label=f"texnet generator ({record['generator_seconds_per_sample'] * 1000:.0f} ms)")
    ax.set_xlabel("time, s")
    ax.set_ylabel("texture loss")
    ax.set_title(f"{record['model']} at {record['size']}²")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("exemplar", nargs="?", type=Path)
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--out", type=Path, default=Path("docs/quality"))
    parser.add_argument("--precision", default="auto,float32,bfloat16",
                        help="comma-separated; the first is the headline; auto = what "
                        "`texnet fill` uses here (default: %(default)s)")
    parser.add_argument("--judge", choices=("free", "zero"), default="free",
                        help="border-free or zero-padded losses (module doc; default: %(default)s)")
    args = parser.parse_args()
    precisions = list(dict.fromkeys(resolve_precision(p, "cpu", SIZE * SIZE)
                                    for p in args.precision.split(",")))
    record = measure(args.model, args.exemplar, args.samples, args.seconds, precisions,
                     args.judge)
    args.out.mkdir(parents=True, exist_ok=True)
    name = record["model"]
    (args.out / f"{name}.json").write_text(json.dumps(record, indent=1))
    plot(record, args.out / f"{name}-fig6.png")
    keys = ("generator_mean_loss", "generator_seconds_per_sample", "optimizer_seconds_to_reach",
            "speedup", "speedup_lower_bound", "diversity", "seam_score")
    for key in keys:
        print(f"{key:<32} {record[key]}")
    for name, rec in record["precisions"].items():
        print(f"{name:<10} {rec['seconds_per_sample'] * 1000:.1f} ms/sample, loss "
              f"{rec['mean_loss']:.4g}, speed-up {rec['speedup'] or rec['speedup_lower_bound']}")


if __name__ == "__main__":
    main()
