"""The palette term: pixels whose colour the exemplar does not have, penalised one by one.

Gram matrices are second moments and the colour-histogram term (losses.color_histogram_loss)
compares sorted 1-D projections: a few dozen pixels of an off-palette colour — leopard's olive
specks inside its rosettes, 0.3 % of a sample — move either of them so little that a generator
keeps them (session 13: ×7 the histogram weight left them as they were). This term looks at
each pixel: its distance to the nearest exemplar colour, beyond the distance the exemplar's own
pixels have to their nearest other exemplar colour (all but the rarest 0.1 %), squared and
summed. It is zero for any pixel in the exemplar's palette, wherever it is, so it cannot pull a
sample towards the exemplar's layout: only away from colours the exemplar never has.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

PALETTE_SIZE = 2048  # exemplar colours kept (a fixed random subset of larger exemplars)
QUANTILE = 0.999  # exemplar colours farther than this from the rest are its own outliers
_CHUNK = 16384  # rows of a distance matrix computed at once (memory)


@dataclass(frozen=True)
class Palette:
    """Target of :func:`palette_penalty`: (K, 3) exemplar colours and the tolerance, the
    distance (RGB in [0, 1]) within which a colour counts as the exemplar's."""

    colours: torch.Tensor
    tolerance: float


def _nearest(points: torch.Tensor, colours: torch.Tensor, skip: torch.Tensor | None = None
             ) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, 3) points -> (distance, index) of the nearest of (K, 3) ``colours``; ``skip``
    (N,) the index each point may not match (itself), or None."""
    dists, index = [], []
    for start in range(0, points.shape[0], _CHUNK):
        d = torch.cdist(points[start:start + _CHUNK], colours)
        if skip is not None:
            rows = torch.arange(d.shape[0], device=d.device)
            d[rows, skip[start:start + _CHUNK]] = float("inf")
        best = d.min(dim=1)
        dists.append(best.values)
        index.append(best.indices)
    return torch.cat(dists), torch.cat(index)


@torch.no_grad()
def palette_target(image: torch.Tensor, pixels: torch.Tensor | None = None,
                   size: int = PALETTE_SIZE, seed: int = 0) -> Palette:
    """(1, 3, H, W) exemplar in [0, 1] -> its :class:`Palette`; ``pixels``: an optional bool
    selection of its H·W pixels ((H, W) or (1, 1, H, W)), the ones that count."""
    colours = image[0].flatten(1).T.float()
    if pixels is not None:
        colours = colours[pixels.reshape(-1)]
    if colours.shape[0] > size:
        keep = torch.randperm(colours.shape[0], generator=torch.Generator().manual_seed(seed))
        colours = colours[keep[:size].to(colours.device)]
    # Each palette colour's distance to its nearest other one: how close the exemplar's own
    # colours sit to the rest of its palette.
    spread, _ = _nearest(colours, colours, skip=torch.arange(colours.shape[0],
                                                             device=colours.device))
    tolerance = float(torch.quantile(spread, QUANTILE)) if colours.shape[0] > 1 else 0.0
    return Palette(colours.contiguous(), tolerance)


def palette_penalty(images: torch.Tensor, palette: Palette) -> torch.Tensor:
    """Σ over the pixels of (B, 3, H, W) ``images`` of the squared distance to the nearest
    palette colour beyond ``palette.tolerance`` -> (B,)."""
    batch = images.shape[0]
    points = images.permute(0, 2, 3, 1).reshape(-1, 3)
    colours = palette.colours.to(points.device, points.dtype)
    with torch.no_grad():
        _, index = _nearest(points.detach(), colours)
    excess = ((points - colours[index]).pow(2).sum(1) + 1e-12).sqrt() - palette.tolerance
    return torch.relu(excess).pow(2).reshape(batch, -1).sum(1)
