"""The palette term: pixels whose colour the exemplar does not have, penalised one by one.

Gram matrices are second moments and the colour-histogram term (losses.color_histogram_loss)
compares sorted 1-D projections: a few dozen pixels of an off-palette colour — leopard's olive
specks inside its rosettes, 0.3 % of a sample — move either of them so little that a generator
keeps them (session 13: ×7 the histogram weight left them as they were). This term looks at
each pixel: its distance to the nearest exemplar colour, beyond the distance the exemplar's own
pixels have to their nearest other exemplar colour (all but the rarest 0.1 %), squared and
summed. It is zero for any pixel in the exemplar's palette, wherever it is, so it cannot pull a
sample towards the exemplar's layout: only away from colours the exemplar never has.

Most pixels of a sample are in the exemplar's palette, so the nearest-colour search (2048
distances per pixel) is skipped where it cannot find a cost: the RGB cube is cut into cells
(64³ at leopard's tolerance; :func:`grid_for`), and a cell whose centre lies within the
tolerance minus the cell's half-diagonal of a palette colour holds only zero-cost colours.
Only the pixels in other cells are searched. This is exact (the same value and gradient as
searching every pixel), not an approximation.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

PALETTE_SIZE = 2048  # exemplar colours kept (a fixed random subset of larger exemplars)
QUANTILE = 0.999  # exemplar colours farther than this from the rest are its own outliers
_CHUNK = 16384  # rows of a distance matrix computed at once (memory)
MAX_GRID = 128  # cells per RGB axis of the table of zero-cost cells, at most


@dataclass(frozen=True)
class Palette:
    """Target of :func:`palette_penalty`: (K, 3) exemplar colours and the tolerance, the
    distance (RGB in [0, 1]) within which a colour counts as the exemplar's; ``free``: the
    (grid³,) bool table of cells whose every colour is that close (:func:`free_cells`), or
    None to search every pixel."""

    colours: torch.Tensor
    tolerance: float
    free: torch.Tensor | None = None

    @property
    def grid(self) -> int:
        """Cells per RGB axis of ``free`` (0 without a table)."""
        return 0 if self.free is None else round(self.free.numel() ** (1 / 3))


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
    # Distinct colours only: with repeats (a grey slate of six levels) a colour's nearest
    # "other" one would be itself, the tolerance 0, and every in-between grey would cost.
    colours = torch.unique(colours, dim=0)
    if colours.shape[0] > size:
        keep = torch.randperm(colours.shape[0], generator=torch.Generator().manual_seed(seed))
        colours = colours[keep[:size].to(colours.device)]
    # Each palette colour's distance to its nearest other one: how close the exemplar's own
    # colours sit to the rest of its palette.
    spread, _ = _nearest(colours, colours, skip=torch.arange(colours.shape[0],
                                                             device=colours.device))
    tolerance = float(torch.quantile(spread, QUANTILE)) if colours.shape[0] > 1 else 0.0
    return Palette(colours.contiguous(), tolerance,
                   free_cells(colours, tolerance, grid_for(tolerance)))


def grid_for(tolerance: float) -> int:
    """Cells per RGB axis of the free-cell table: fine enough that a cell's half-diagonal is
    at most half the tolerance (a power of two, 8 to :data:`MAX_GRID`)."""
    need = 3**0.5 / tolerance if tolerance > 0 else float("inf")
    grid = 8
    while grid < need and grid < MAX_GRID:
        grid *= 2
    return grid


@torch.no_grad()
def free_cells(colours: torch.Tensor, tolerance: float, grid: int) -> torch.Tensor:
    """(grid³,) bool, indexed by :func:`cell_index`: the RGB cells in which no colour can cost,
    because the cell's centre lies within ``tolerance`` minus its half-diagonal (``reach``) of
    one of the (K, 3) ``colours``, so every colour in the cell lies within ``tolerance`` of it.
    Only the cells around each colour are looked at (a few hundred each)."""
    free = torch.zeros(grid**3, dtype=torch.bool, device=colours.device)
    reach = tolerance - 3**0.5 / (2 * grid)
    if reach <= 0 or colours.shape[0] == 0:
        return free
    steps = torch.arange(-int(reach * grid) - 1, int(reach * grid) + 2, device=colours.device)
    offsets = torch.cartesian_prod(steps, steps, steps)  # (M, 3)
    cells = (colours * grid).floor().long()[:, None] + offsets[None]  # (K, M, 3)
    centres = (cells.float() + 0.5) / grid
    near = (centres - colours[:, None].float()).norm(dim=2) <= reach
    near &= ((cells >= 0) & (cells < grid)).all(2)
    free[cell_index_of(cells[near], grid)] = True
    return free


def cell_index_of(cells: torch.Tensor, grid: int) -> torch.Tensor:
    """(N, 3) integer cell coordinates -> (N,) index into a (grid³,) table."""
    return (cells[:, 0] * grid + cells[:, 1]) * grid + cells[:, 2]


def cell_index(points: torch.Tensor, grid: int) -> torch.Tensor:
    """(N, 3) colours in [0, 1] -> (N,) index of their cell in a (grid³,) table."""
    return cell_index_of((points * grid).long().clamp_(0, grid - 1), grid)


def _searched(points: torch.Tensor, palette: Palette) -> torch.Tensor:
    """Indices of the (N, 3) ``points`` that may cost: outside [0, 1] or not in a free cell."""
    if palette.free is None:
        return torch.arange(points.shape[0], device=points.device)
    free = palette.free.to(points.device)
    inside = ((points >= 0) & (points <= 1)).all(1)
    return torch.nonzero(~(free[cell_index(points, palette.grid)] & inside)).squeeze(1)


def palette_penalty(images: torch.Tensor, palette: Palette) -> torch.Tensor:
    """Σ over the pixels of (B, 3, H, W) ``images`` of the squared distance to the nearest
    palette colour beyond ``palette.tolerance`` -> (B,)."""
    batch, _, height, width = images.shape
    points = images.permute(0, 2, 3, 1).reshape(-1, 3)
    colours = palette.colours.to(points.device, points.dtype)
    with torch.no_grad():
        rows = _searched(points.detach().float(), palette)
        if rows.numel() == 0:  # every pixel in a free cell
            return points.sum() * 0 + points.new_zeros(batch)  # keeps the graph connected
        _, index = _nearest(points.detach()[rows], colours)
    excess = ((points[rows] - colours[index]).pow(2).sum(1) + 1e-12).sqrt() - palette.tolerance
    sample = torch.div(rows, height * width, rounding_mode="floor")
    return points.new_zeros(batch).index_add(0, sample, torch.relu(excess).pow(2))
