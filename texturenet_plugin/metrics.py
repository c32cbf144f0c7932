"""Image quality measures shared by tests and benchmarks (they need no network of ours).

- PSNR: peak signal-to-noise ratio between two renderings of the same image (reduced precision
  against float32, fused kernels against the reference module);
- seam score: mean gradient magnitude across the wrap-around seam ÷ in the interior;
- rare-colour clusters: the specks and blobs of colours the exemplar (almost) never has, what
  the issue's "no off-distribution specks or blobs" asks to be absent, counted.

The descriptor-based measures (texture loss of a sample, diversity) live with the benchmarks
that use them, in ``benchmarks/measures.py``.
"""

from __future__ import annotations

import numpy as np
import torch


def psnr(a: torch.Tensor, b: torch.Tensor, peak: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB between two images of equal shape (inf when equal)."""
    mse = float(((a.double() - b.double()) ** 2).mean())
    return float("inf") if mse == 0 else 10 * torch.log10(torch.tensor(peak**2 / mse)).item()


def seam_score(image: np.ndarray) -> float:
    """Mean |gradient| across the wrap-around seams ÷ mean |gradient| in the interior."""
    img = image.astype(np.float64)
    inner = np.abs(np.diff(img, axis=1)).mean() + np.abs(np.diff(img, axis=0)).mean()
    seam = np.abs(img[:, 0] - img[:, -1]).mean() + np.abs(img[0] - img[-1]).mean()
    return float(seam / inner)


RARE_BINS = 32  # colour histogram cells per channel (8 levels each)
RARE_QUANTILE = 1e-3  # a colour rarer than the exemplar's rarest 0.1 % of pixels is rare
RARE_MIN_PIXELS = 9  # a cluster smaller than 3×3 is noise no eye sees


def _colour_cells(image: np.ndarray) -> tuple[np.ndarray, ...]:
    """(H, W, 3) uint8 -> the histogram cell index of every pixel, per channel."""
    cells = image.reshape(-1, 3).astype(np.int64) * RARE_BINS // 256
    return tuple(cells.T)


def colour_density(exemplar: np.ndarray) -> np.ndarray:
    """The exemplar's colour histogram (RARE_BINS³ cells), each cell summed with its 26
    neighbours: how many exemplar pixels have a colour near each cell's."""
    hist = np.zeros((RARE_BINS,) * 3)
    np.add.at(hist, _colour_cells(exemplar), 1)
    padded = np.pad(hist, 1)
    n = RARE_BINS
    return sum(padded[i:i + n, j:j + n, k:k + n]
               for i in range(3) for j in range(3) for k in range(3))


def rare_colour_mask(image: np.ndarray, exemplar: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels of ``image`` whose colour is rarer near it in ``exemplar`` (both
    (H, W, 3) uint8) than the colour of all but the exemplar's rarest RARE_QUANTILE pixels."""
    density = colour_density(exemplar)
    threshold = np.quantile(density[_colour_cells(exemplar)], RARE_QUANTILE)
    return (density[_colour_cells(image)] < threshold).reshape(image.shape[:2])


def cluster_sizes(mask: np.ndarray) -> list[int]:
    """Pixel counts of the 8-connected clusters of ``mask``, wrapping around its edges (a
    sample tiles). Label propagation: each pixel takes its neighbours' largest label."""
    labels = np.where(mask, np.arange(1, mask.size + 1).reshape(mask.shape), 0)
    while True:
        grown = labels
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                grown = np.maximum(grown, np.roll(labels, (dy, dx), axis=(0, 1)))
        grown = np.where(mask, grown, 0)
        if np.array_equal(grown, labels):
            break
        labels = grown
    return sorted(np.unique(labels[mask], return_counts=True)[1].tolist(), reverse=True)


def rare_clusters(image: np.ndarray, exemplar: np.ndarray,
                  min_pixels: int = RARE_MIN_PIXELS) -> list[int]:
    """Sizes of the clusters of rare colours (:func:`rare_colour_mask`) of at least
    ``min_pixels``: off-distribution specks and blobs, largest first."""
    return [n for n in cluster_sizes(rare_colour_mask(image, exemplar)) if n >= min_pixels]
