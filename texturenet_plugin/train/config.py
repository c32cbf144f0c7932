"""Training settings: every default of texture training, the limits the CLI shows, the presets.

The CLI reads ``LOSSES`` and ``PRESETS`` from this file's source without importing torch
(``texnet_cli.engine_source``): keep them literals. The exemplar-scale limits live in
:mod:`..limits`, which ``texnet limits --json`` publishes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from ..errors import InputError
from ..limits import EXEMPLAR_MAX_SIDE, EXEMPLAR_SCALE_RANGE
from ..nets.descriptor import TEXTURE_LAYERS

LOSSES = ("gram", "swd", "gram+swd")
BORDERS = ("auto", "wrap", "reflect", "zero")  # train/border.py
TRAIN_PRECISIONS = ("float32", "bfloat16", "auto")  # the descriptor's, loop.descriptor_features


@dataclass(frozen=True)
class TrainConfig:
    """Every training default lives here; the CLI shows these values, never restates them."""

    iterations: int = 2000
    batch_size: int = 16
    size: int = 256  # side of the generated training samples
    lr: float = 0.1
    lr_decay_start: int = 1000  # ×lr_decay here and every lr_decay_every iterations after
    lr_decay_every: int = 200
    lr_decay: float = 0.7
    exemplar_scale: float = 1.0  # element size learnt ÷ element size in the exemplar
    # Cap on the exemplar's longer side after exemplar_scale (memory and time of the descriptor
    # pass); larger ones are downscaled to it and the trainer says so (exemplar_factor). Models
    # and checkpoints from before exemplar_scale existed stored 256 here, which reproduces them.
    exemplar_max_side: int = EXEMPLAR_MAX_SIDE
    # What the descriptor sees beyond the exemplar's edges (train/border.py): "auto" (wrap a
    # seamless exemplar, mirror any other), "wrap", "reflect" or "zero" (VGG's own padding:
    # every model before session 11); unless zero, the training samples, periodic, are judged
    # as tiled too (loop.sample_features). Halves the border-free loss of small tiles
    # (burlwood, leopard); sand's regression in session 10 came from a stale checkpoint, not
    # the border (docs/training-notes.md, session 11).
    exemplar_border: str = "auto"
    descriptor: str = "vgg16"  # ImageNet, offline (zoo/descriptor_weights); "vgg19" downloads
    pool: str = "max"
    layers: tuple[str, ...] = TEXTURE_LAYERS
    normalize_grads: bool = True  # the authors' per-layer gradient normalisation
    scales: int = 6
    # Channels each scale adds (GeneratorSpec.channels_step): 8 is the paper's (~115K
    # parameters at K=6); 5 makes a 47K-parameter generator that samples 1.6x faster on a CPU.
    width: int = 8
    # Inner channels of the finest scale's mixer (GeneratorSpec.finest_inner; 0, or any value
    # at or above its full width width × scales: the full width). 32 at width 8 samples ~1.4x
    # faster; a narrower value than the --init model's prunes it (nets/thin.py).
    finest_inner: int = 0
    norm: str = "batch"
    output: str = "sigmoid"  # generator output map: "sigmoid" or "linear" (nets/generator.py)
    # Weight of the sliced colour-histogram loss (losses.color_histogram_loss), applied to its
    # normalised pixel gradient: each Gram layer's normalised gradient reaches the pixels with
    # an L1 mass of ~200-800 (128² samples, vgg16-hed), so 300 makes it pull like one layer.
    color_weight: float = 0.0
    # The texture term: "gram" (the paper's eq. 5), "swd" (sliced Wasserstein on the same
    # taps, losses.sliced_wasserstein_loss) or "gram+swd" (both, each layer's gradient
    # normalised on its own). The reported loss is always the Gram loss, the quality judge.
    loss: str = "gram"
    # Weight of the logit-range hinge (losses.range_penalty; sigmoid output only): pixels
    # beyond the exemplar's colour range cost their squared logit excess, summed per sample.
    range_weight: float = 0.0
    # Weight of the palette term (nets/palette.py): each pixel's squared distance to the
    # nearest exemplar colour beyond the exemplar's own spread, summed per sample. It removes
    # off-palette specks the Gram and histogram terms tolerate (docs/training-notes.md,
    # session 13). 0: off.
    palette_weight: float = 0.0
    # A last stage on larger samples inside the same run (0: none): the final
    # ``finish_iterations`` of ``iterations`` draw ``finish_size``² samples at the constant rate
    # ``finish_lr``, Adam's moments reset where it starts: the refine preset's recipe, so a
    # model sees structure larger than a small sample's (docs/training-notes.md, session 7).
    finish_iterations: int = 0
    finish_size: int = 256
    finish_lr: float = 0.002
    checkpoint_every: int = 50
    seed: int = 0
    # Compute type of the descriptor during training (loop.descriptor_features): "float32",
    # "bfloat16" (autocast; Grams and the loss stay float32) or "auto" (bfloat16 where it is
    # native: a CPU with AVX512-BF16/AMX, a CUDA GPU). On such a CPU bfloat16 took a 128²
    # step from 0.65 to 0.47 s at a 0.1 % loss difference (docs/training-notes.md, session 12).
    precision: str = "float32"

    def validate(self) -> "TrainConfig":
        checks = {
            "iterations": self.iterations >= 1,
            "batch_size": self.batch_size >= 1,
            "width": 2 <= self.width <= 64,
            "finest_inner": self.finest_inner >= 0,
            "size": 2**self.scales <= self.size <= 2048,  # BatchNorm needs >1 cell at the top
            "lr": self.lr > 0,
            "checkpoint_every": self.checkpoint_every >= 1,
            "color_weight": self.color_weight >= 0,
            "loss": self.loss in LOSSES,
            "exemplar_border": self.exemplar_border in BORDERS,
            "range_weight": self.range_weight >= 0,
            "palette_weight": self.palette_weight >= 0,
            "exemplar_scale": (EXEMPLAR_SCALE_RANGE[0] <= self.exemplar_scale
                               <= EXEMPLAR_SCALE_RANGE[1]),
            "exemplar_max_side": self.exemplar_max_side >= 16,
            "finish_iterations": 0 <= self.finish_iterations < self.iterations,
            "finish_size": 2**self.scales <= self.finish_size <= 2048,
            "finish_lr": self.finish_lr > 0,
            "precision": self.precision in TRAIN_PRECISIONS,
        }
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            raise InputError(f"invalid training setting {bad[0]}={getattr(self, bad[0])!r}")
        return self

    @property
    def inner_width(self) -> int:
        """``finest_inner`` as the generator takes it: 0 (full) unless it is narrower."""
        full = self.width * self.scales
        return self.finest_inner if self.scales >= 2 and self.finest_inner < full else 0

    @property
    def finish_start(self) -> int:
        """The first iteration of the finish stage (``iterations`` when there is none)."""
        return self.iterations - self.finish_iterations

    def in_finish(self, iteration: int) -> bool:
        return self.finish_iterations > 0 and iteration >= self.finish_start

    def size_at(self, iteration: int) -> int:
        """The side of the samples drawn at ``iteration``."""
        return self.finish_size if self.in_finish(iteration) else self.size

    def lr_at(self, iteration: int) -> float:
        if self.in_finish(iteration):
            return self.finish_lr
        if iteration < self.lr_decay_start:
            return self.lr
        steps = 1 + (iteration - self.lr_decay_start) // self.lr_decay_every
        return self.lr * self.lr_decay**steps

    def to_dict(self) -> dict:
        data = asdict(self)
        data["layers"] = list(self.layers)
        return data


PRESETS: dict[str, TrainConfig] = {
    # The paper's schedule (§4). Hours on a CPU; 237 s on one H100 (session 3, pebbles).
    "paper": TrainConfig(),
    # Tuned for a 2-core CPU (≤ 15 min): 600 iterations of small samples at a lower rate, then
    # a 40-iteration finish stage on 256² samples (structure a 128² sample cannot show).
    # See docs/training-notes.md for the experiments behind these numbers (session 7: on sand
    # 0.91× G'MIC's loss, where 1000 iterations of 128² alone gave 2.47×; 12.2 min idle).
    # Since session 15 with the finest mixer thinned to 32 inner channels: ~1.4x faster
    # samples, and from scratch as good (grass 0.63x -> 0.54x G'MIC's loss, ice 0.13x -> 0.13x;
    # docs/training-notes.md, session 15).
    "cpu": TrainConfig(
        iterations=640, batch_size=4, size=128, lr=0.05, lr_decay_start=360,
        lr_decay_every=60, lr_decay=0.7, checkpoint_every=50,
        color_weight=300.0, range_weight=1.0, finish_iterations=40, finish_size=256,
        finish_lr=0.002, finest_inner=32,
    ),
    # About half the cpu preset's cost, the same recipe compressed: 300 iterations of 128²
    # (×0.7 every 30 from 180), the colour-histogram term, a 20-iteration finish stage on 256².
    # The plug-ins' "learn from selection" default (docs/training-notes.md, session 8).
    "quick": TrainConfig(
        iterations=320, batch_size=4, size=128, lr=0.05, lr_decay_start=180,
        lr_decay_every=30, lr_decay=0.7, checkpoint_every=50, color_weight=300.0,
        range_weight=1.0, finish_iterations=20, finish_size=256, finish_lr=0.002,
        finest_inner=32,
    ),
    # Continues a trained model (`--init`, which this preset needs) on 256² samples: structure
    # larger than a 128² sample (relu5_1 sees 16×16 cells, not 8×8). A low rate: Adam's first
    # steps at 0.01 undid a trained model (session 6); 100 iterations at 0.002, then 50 at
    # 0.0007, where more at 0.002 had stopped lowering the loss (docs/training-notes.md,
    # session 7: the two stages that took pebbles from 463× to 569×).
    "refine": TrainConfig(
        iterations=150, batch_size=4, size=256, lr=0.002, lr_decay_start=100,
        lr_decay_every=100, lr_decay=0.35, checkpoint_every=10, color_weight=300.0,
        range_weight=1.0,
    ),
}
# Presets that continue a model given with --init rather than train one from scratch.
INIT_PRESETS = ("refine",)


def preset(name: str, **overrides) -> TrainConfig:
    """The preset ``name`` with the given (non-None) settings replaced. An ``iterations``
    override keeps the preset's finish stage at its share of the run (unless
    ``finish_iterations`` is given too): ``cpu`` with 100 iterations finishes with 6."""
    if name not in PRESETS:
        raise InputError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    base = PRESETS[name]
    given = {k: v for k, v in overrides.items() if v is not None}
    if "iterations" in given and "finish_iterations" not in given:
        share = base.finish_iterations / base.iterations
        given["finish_iterations"] = round(given["iterations"] * share)
    return replace(base, **given)
