"""The palette term (texturenet_plugin.nets.palette): zero on the exemplar's own colours,
positive on colours it lacks, and its gradient moves such pixels towards the palette."""

import torch

from texturenet_plugin.nets.palette import palette_penalty, palette_target


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
