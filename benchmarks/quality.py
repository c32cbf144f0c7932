"""Quality of a texture generator, measured the paper's way (Fig. 6), in one process.

    python benchmarks/quality.py MODEL [EXEMPLAR] [--samples 8] [--seconds 60] [--out docs/quality]

Prints and writes JSON: mean texture loss of N generator samples at 256² and the time per
sample; the L-BFGS optimiser's loss-vs-time curve from noise on the same exemplar and size;
the loss-equivalent speed-up (time the optimiser needs to reach the generator's mean loss ÷
generator time per sample); diversity; seam score. Also writes a Fig. 6-style plot.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from texturenet_plugin import registry
from texturenet_plugin.descriptors import load_descriptor
from texturenet_plugin.optimize import optimize_texture
from texturenet_plugin.quality import diversity, sample_loss, seam_score
from texturenet_plugin.synthesis import sample_tile
from texturenet_plugin.texture_training import exemplar_tensor
from texturenet_plugin.training import TrainConfig, exemplar_grams, scaled_exemplar

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "textures"
SIZE = 256


def time_per_sample(gen, seeds: list[int]) -> tuple[float, list]:
    sample_tile(gen, SIZE, SIZE, seed=10_000)  # warm-up
    samples, times = [], []
    for seed in seeds:
        start = time.perf_counter()
        samples.append(sample_tile(gen, SIZE, SIZE, seed=seed))
        times.append(time.perf_counter() - start)
    return statistics.median(times), samples


def measure(model_ref: str, exemplar: Path | None, n: int, seconds: float) -> dict:
    model = registry.load(model_ref)
    training = TrainConfig(**{k: v for k, v in model.meta.get("training", {}).items()
                              if k in TrainConfig.__dataclass_fields__})
    training = TrainConfig(**{**training.__dict__, "layers": tuple(training.layers)})
    exemplar = exemplar or CORPUS / model.meta["source"]
    descriptor = load_descriptor(model.meta.get("descriptor", training.descriptor))
    image = exemplar_tensor(exemplar)
    grams = exemplar_grams(descriptor, image, training)
    gen = model.build("cpu")
    with torch.inference_mode():
        t_gen, samples = time_per_sample(gen, list(range(n)))
    losses = [sample_loss(descriptor, grams, s, training.layers) for s in samples]
    mean_loss = statistics.mean(losses)
    opt = optimize_texture(descriptor, grams, SIZE, SIZE, seconds, layers=training.layers)
    t_opt = opt.time_to_reach(mean_loss)
    scaled = scaled_exemplar(image, training)
    crop = min(128, *scaled.shape[-2:])
    return {
        "model": model.name or model_ref, "exemplar": str(exemplar), "size": SIZE,
        "samples": n, "generator_seconds_per_sample": t_gen,
        "generator_mean_loss": mean_loss, "generator_losses": losses,
        "optimizer_seconds_budget": seconds, "optimizer_curve": opt.curve,
        "optimizer_seconds_to_reach": t_opt,
        "speedup": (t_opt / t_gen) if t_opt is not None else None,
        "speedup_lower_bound": None if t_opt is not None else seconds / t_gen,
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
    args = parser.parse_args()
    record = measure(args.model, args.exemplar, args.samples, args.seconds)
    args.out.mkdir(parents=True, exist_ok=True)
    name = record["model"]
    (args.out / f"{name}.json").write_text(json.dumps(record, indent=1))
    plot(record, args.out / f"{name}-fig6.png")
    keys = ("generator_mean_loss", "generator_seconds_per_sample", "optimizer_seconds_to_reach",
            "speedup", "speedup_lower_bound", "diversity", "seam_score")
    for key in keys:
        print(f"{key:<32} {record[key]}")


if __name__ == "__main__":
    main()
