"""Names, ranges and defaults the CLI's options and help need, in a module without torch or
numpy: `texnet --help` and every `--help` must answer at once (tests/cli/test_cli_fast.py).

Each value has its one home here; the engine modules that check them import them from here
(``device.DEVICES``, ``runtime.precision.PRECISION_CHOICES``, ``budget`` the scale and feather
checks, ``synthesis.fill.FillOptions``, ``synthesis.stylize.StylizeOptions`` and
``MAX_STRENGTH``, ``nets.generator.NORMS``, ``zoo.local.DEFAULT_MODEL``). The options
dataclasses check their own ranges in ``validate()``, once per request, before any work.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import InputError

DEVICES = ("auto", "cpu", "cuda", "mps")

AUTO = "auto"  # the precision default of the CLI and the worker: runtime.precision resolves it
PRECISION_NAMES = ("float32", "bfloat16", "float16")
PRECISION_CHOICES = (AUTO, *PRECISION_NAMES)

NORMS = ("batch", "instance")

DEFAULT_MODEL = "pebbles"

SCALE_RANGE = (0.25, 16.0)  # texnet fill --scale: texture element size on the canvas
MAX_FEATHER = 1000.0  # texnet fill --feather, pixels; the ramp spans about twice this
MAX_STRENGTH = 100.0  # texnet stylize --strength
# texnet train texture --exemplar-scale: the model learns texture elements this many times their
# size in the exemplar (1 = the exemplar's own pixel scale; 2 = twice as large).
EXEMPLAR_SCALE_RANGE = (0.25, 4.0)
EXEMPLAR_MAX_SIDE = 1024  # default cap on the exemplar's longer side (train.config.TrainConfig)


def check_scale(scale: float) -> None:
    low, high = SCALE_RANGE
    if not isinstance(scale, (int, float)) or not (math.isfinite(scale) and low <= scale <= high):
        raise InputError(f"--scale {scale}: must be between {low} and {high}")


def check_feather_range(radius: float) -> None:
    """--feather PX: finite, 0..MAX_FEATHER (``budget.check_feather`` adds the memory)."""
    if not isinstance(radius, (int, float)) or not (math.isfinite(radius)
                                                    and 0 <= radius <= MAX_FEATHER):
        raise InputError(f"--feather {radius}: must be between 0 and {MAX_FEATHER:g} pixels")


@dataclass
class FillOptions:
    """One home for the defaults of ``texnet fill --image``."""

    seed: int = 0
    scale: float = 1.0
    feather: float = 0.0
    layer_only: bool = False
    match_colors: bool = False
    precision: str = "float32"  # compute type, see runtime.precision ("auto" in the CLI)

    def validate(self) -> FillOptions:
        """Scale and feather in range (their memory is checked with the image's size)."""
        check_scale(self.scale)
        check_feather_range(self.feather)
        return self


@dataclass(frozen=True)
class StylizeOptions:
    """Every stylization default lives here; the CLI shows them, never restates them."""

    strength: float = 1.0  # k, the noise magnitude (paper Fig. 5)
    seed: int = 0
    keep_colors: bool = False
    max_pass_side: int = 1280  # larger padded images are tiled
    overlap: int = 96  # discarded border of each tile, a multiple of the lattice
    # reflect padding around the image: 0 leaves a visible seam line along the borders; 16 and
    # 32 looked alike on both bundled stylizers (and 16 computes 11 % fewer pixels at 512²)
    margin: int = 16
    precision: str = "float32"  # compute type, see runtime.precision ("auto" in the CLI)

    def validate(self) -> StylizeOptions:
        if not 0 <= self.strength <= MAX_STRENGTH:
            raise InputError(f"--strength {self.strength}: must be in 0..{MAX_STRENGTH:g}")
        if self.max_pass_side < 4 * self.overlap:
            raise InputError(f"max_pass_side {self.max_pass_side} must be >= 4 x overlap")
        return self

ONE_PASS_MAX_PIXELS = 2048 * 2048  # larger tiles need sides on the model's lattice
