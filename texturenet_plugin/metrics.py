"""Image quality measures shared by tests and benchmarks (they need no network of ours).

- PSNR: peak signal-to-noise ratio between two renderings of the same image (reduced precision
  against float32, fused kernels against the reference module);
- seam score: mean gradient magnitude across the wrap-around seam ÷ in the interior.

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
