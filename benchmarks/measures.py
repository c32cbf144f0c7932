"""Descriptor-based quality measures of generator samples, shared by benchmarks/quality.py and
benchmarks/peer.py (the engine keeps only psnr and the seam score, in texturenet_plugin.metrics).

- texture loss: eq. (5) against the exemplar's Grams, same descriptor and exemplar scale as the
  model's training;
- diversity: mean pairwise distance between samples of different seeds ÷ the same between random
  crops of the exemplar. The distance is the mean squared difference of relu3_1 features of
  aligned crops: it compares local structure at the scale of texture elements (pebbles, cracks)
  rather than pixels, so two samples that only differ by pixel noise score low while two
  different arrangements of elements score like two different parts of the exemplar (≈ 1);
- time to reach: when the L-BFGS optimiser's loss curve first gets down to a loss.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import torch

from texturenet_plugin.nets.descriptor import Descriptor
from texturenet_plugin.nets.losses import texture_loss
from texturenet_plugin.train import border

DIVERSITY_LAYER = "relu3_1"
BUNDLED_LIST = Path(__file__).resolve().parents[1] / "tools" / "bundled_models.txt"


def bundled_textures() -> list[tuple[str, str]]:
    """(model name, exemplar file name) of every bundled texture, tools/bundled_models.txt."""
    rows = [line.split() for line in BUNDLED_LIST.read_text().splitlines() if line.strip()]
    return [(row[0], row[1]) for row in rows]


def to_tensor(image: np.ndarray) -> torch.Tensor:
    """(H, W, 3) uint8 -> (1, 3, H, W) float in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float() / 255


@torch.no_grad()
def sample_loss(descriptor: Descriptor, grams, image: np.ndarray, layers,
                circular: bool = False) -> float:
    """Gram loss of ``image``; ``circular``: of a tile, as if tiled (no border; sides a
    multiple of the deepest layer's stride)."""
    return float(texture_loss(descriptor(to_tensor(image), layers, circular=circular),
                              grams).sum())


@torch.no_grad()
def interior_loss(descriptor: Descriptor, grams, image: np.ndarray, layers, margin: int) -> float:
    """The Gram loss of the cells ``margin`` px inside ``image``'s edges (features of the whole
    image, so no cell sees VGG's zero padding; texturenet_plugin/train/border.py)."""
    height, width = image.shape[:2]
    features = border.interior(descriptor(to_tensor(image), layers), height - 2 * margin,
                               width - 2 * margin, margin)
    return float(texture_loss(features, grams).sum())


@torch.no_grad()
def mean_pairwise_feature_distance(descriptor: Descriptor, crops: list[torch.Tensor]) -> float:
    feats = [descriptor(c, (DIVERSITY_LAYER,))[DIVERSITY_LAYER] for c in crops]
    dists = [float((a - b).pow(2).mean()) for a, b in itertools.combinations(feats, 2)]
    return float(np.mean(dists))


def random_crops(image: torch.Tensor, size: int, count: int, seed: int = 0) -> list[torch.Tensor]:
    """``count`` crops of side ``size`` from (1, 3, H, W) at random positions. An exemplar
    smaller than twice the crop is tiled 2×2 first (the small corpus patterns are tileable)."""
    rng = np.random.default_rng(seed)
    if min(image.shape[-2:]) < 2 * size:
        image = image.repeat(1, 1, 2, 2)
    _, _, h, w = image.shape
    out = []
    for _ in range(count):
        top, left = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
        out.append(image[..., top : top + size, left : left + size])
    return out


def diversity(descriptor: Descriptor, samples: list[np.ndarray], exemplar: torch.Tensor,
              crop: int) -> float:
    """Samples' pairwise distance (aligned top-left crops) ÷ exemplar crops' pairwise distance."""
    sample_crops = [to_tensor(s)[..., :crop, :crop] for s in samples]
    exemplar_crops = random_crops(exemplar, crop, len(samples))
    return (mean_pairwise_feature_distance(descriptor, sample_crops)
            / mean_pairwise_feature_distance(descriptor, exemplar_crops))


def time_to_reach(curve: list[tuple[float, float]], loss: float) -> float | None:
    """First time on an optimiser's (seconds, loss) curve at or below ``loss``; None if never."""
    return next((t for t, value in curve if value <= loss), None)
