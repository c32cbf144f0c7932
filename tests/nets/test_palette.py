"""The palette term (texturenet_plugin.nets.palette): zero on the exemplar's own colours,
positive on colours it lacks, and its gradient moves such pixels towards the palette."""

from dataclasses import replace

import torch

from texturenet_plugin.nets.palette import cell_index, free_cells, palette_penalty, palette_target


def _two_tone(seed: int = 0, size: int = 40) -> torch.Tensor:
    """(1, 3, size, size): tan and near-black noise, like leopard's exemplar."""
    rng = torch.Generator().manual_seed(seed)
    tan = torch.tensor([0.78, 0.55, 0.43]).view(3, 1, 1)
    dark = torch.tensor([0.10, 0.08, 0.06]).view(3, 1, 1)
    pick = torch.rand(1, size, size, generator=rng) < 0.5
    noise = (torch.rand(3, size, size, generator=rng) - 0.5) * 0.06
    return (torch.where(pick, dark, tan) + noise).clamp(0, 1)[None]


def test_the_exemplar_and_its_own_colours_cost_nothing():
    exemplar = _two_tone()
    palette = palette_target(exemplar)
    assert 0 < palette.tolerance < 0.1
    assert palette_penalty(_two_tone(seed=1), palette).item() < 1e-3


def test_an_off_palette_speck_costs_and_its_gradient_pulls_it_back():
    palette = palette_target(_two_tone())
    image = _two_tone(seed=2)
    image[0, :, 5:8, 5:8] = torch.tensor([0.62, 0.46, 0.20]).view(3, 1, 1)  # olive speck
    image.requires_grad_(True)
    cost = palette_penalty(image, palette)
    assert cost.item() > 0.05
    cost.sum().backward()
    grad = image.grad[0, :, 6, 6]
    assert grad[2] < 0  # blue is what the olive lacks: descending the gradient raises it
    # in-palette pixels are (all but the exemplar's own 0.1 % outliers) left alone
    assert image.grad[0, :, 20:, 20:].abs().max() < 0.05 * grad.abs().max()
    stepped = (image - 0.5 * image.grad).detach()
    assert palette_penalty(stepped, palette).item() < cost.item()


def test_a_selection_limits_the_palette_to_its_pixels():
    exemplar = _two_tone()
    exemplar[0, :, :, 20:] = torch.tensor([0.2, 0.5, 0.9]).view(3, 1, 1)  # blue right half
    left = torch.zeros(40, 40, dtype=torch.bool)
    left[:, :20] = True
    blue = torch.tensor([0.2, 0.5, 0.9]).view(1, 3, 1, 1).expand(1, 3, 8, 8)
    assert palette_penalty(blue, palette_target(exemplar)).item() == 0
    assert palette_penalty(blue, palette_target(exemplar, left)).item() > 0.1


def test_skipping_the_free_cells_changes_neither_the_cost_nor_its_gradient():
    palette = palette_target(_two_tone())
    searched_everywhere = replace(palette, free=None)
    assert palette.free.any() and not palette.free.all()
    images = torch.cat([_two_tone(seed=3), torch.rand(1, 3, 40, 40),  # in and off palette
                        _two_tone(seed=4) * 1.2 - 0.1])  # partly outside [0, 1]
    grads = []
    for target in (palette, searched_everywhere):
        x = images.clone().requires_grad_(True)
        cost = palette_penalty(x, target)
        cost.sum().backward()
        grads.append((cost.detach(), x.grad))
    assert torch.allclose(grads[0][0], grads[1][0], rtol=1e-5, atol=1e-7)
    assert torch.allclose(grads[0][1], grads[1][1], rtol=1e-5, atol=1e-7)
    assert grads[0][0][1] > 1  # the random image does cost


def test_every_colour_of_a_free_cell_costs_nothing():
    palette = palette_target(_two_tone())
    grid = palette.grid
    free = torch.nonzero(palette.free).squeeze(1)
    cells = torch.stack([free // grid**2, free // grid % grid, free % grid], 1).float()
    corners = [torch.tensor(c, dtype=torch.float32) for c in
               ((0, 0, 0), (0.999, 0.999, 0.999), (0, 0.999, 0.5), (0.999, 0, 0.999))]
    points = torch.cat([(cells + c) / grid for c in corners])
    assert torch.equal(cell_index(points, grid), free.repeat(len(corners)))
    image = points.T.reshape(1, 3, -1, 1)
    assert palette_penalty(image, replace(palette, free=None)).item() < 1e-9


def test_the_free_cells_are_those_whose_centre_is_near_enough_to_a_colour():
    colours = torch.rand(300, 3, generator=torch.Generator().manual_seed(5))
    for grid, tolerance in ((16, 0.08), (32, 0.05), (32, 0.02)):
        axis = (torch.arange(grid) + 0.5) / grid
        distance = torch.cdist(torch.cartesian_prod(axis, axis, axis), colours).min(1).values
        expected = distance <= tolerance - 3**0.5 / (2 * grid)
        assert torch.equal(free_cells(colours, tolerance, grid), expected)
    assert not free_cells(colours, 0.02, 16).any()  # a cell wider than the tolerance


def test_repeated_colours_do_not_shrink_the_tolerance_to_nothing():
    levels = torch.tensor([0.2, 0.3, 0.4, 0.5, 0.6, 0.7])  # a six-level grey exemplar
    grey = levels[torch.randint(0, 6, (48, 48), generator=torch.Generator().manual_seed(6))]
    palette = palette_target(grey.expand(1, 3, 48, 48))
    assert palette.colours.shape[0] == 6
    between = torch.full((1, 3, 4, 4), 0.25)  # halfway between two of its greys
    assert palette_penalty(between, palette).item() == 0
    tinted = torch.tensor([0.6, 0.2, 0.2]).view(1, 3, 1, 1).expand(1, 3, 4, 4)
    assert palette_penalty(tinted, palette).item() > 0
