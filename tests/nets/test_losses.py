from __future__ import annotations

import torch

from texturenet_plugin.nets.losses import (
    color_histogram_loss,
    color_quantiles,
    content_loss,
    gram_matrix,
    normalize_gradient,
    texture_loss,
)


def test_gram_matrix_by_hand():
    # Two channels on a 1×2 image: f0 = [1, 2], f1 = [3, 4].
    f = torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]])
    expected = torch.tensor([[[5.0, 11.0], [11.0, 25.0]]]) / (2 * 1 * 2)
    assert torch.allclose(gram_matrix(f), expected)


def test_texture_loss_by_hand():
    f = torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]])
    target = torch.zeros(2, 2)
    target[0, 0] = 1.0
    g = gram_matrix(f)[0]
    expected = ((g - target) ** 2).sum()
    loss = texture_loss({"relu1_1": f}, {"relu1_1": target})
    assert torch.allclose(loss, expected.view(1))
    assert torch.allclose(texture_loss({"relu1_1": f}, {"relu1_1": gram_matrix(f)[0]}),
                          torch.zeros(1))


def test_texture_loss_sums_layers_with_weights():
    a, b = torch.rand(1, 3, 4, 4), torch.rand(1, 5, 2, 2)
    ta, tb = torch.rand(3, 3), torch.rand(5, 5)
    la = texture_loss({"a": a}, {"a": ta})
    lb = texture_loss({"b": b}, {"b": tb})
    both = texture_loss({"a": a, "b": b}, {"a": ta, "b": tb}, weights={"b": 2.0})
    assert torch.allclose(both, la + 2 * lb)


def test_normalized_gradient_has_unit_l1_norm_per_sample():
    x = torch.rand(2, 3, 4, 4, requires_grad=True)
    (normalize_gradient(x) * torch.rand(2, 3, 4, 4) * 1000).sum().backward()
    assert torch.allclose(x.grad.abs().flatten(1).sum(1), torch.ones(2), atol=1e-5)


def test_content_loss_zero_for_identical_and_positive_otherwise():
    f = torch.rand(2, 4, 3, 3)
    assert torch.allclose(content_loss({"r": f}, {"r": f}), torch.zeros(2))
    assert (content_loss({"r": f}, {"r": f + 1}) > 0).all()


def test_color_histogram_loss_is_zero_for_the_exemplar_and_sees_rare_outliers():
    torch.manual_seed(0)
    exemplar = 0.4 + 0.2 * torch.rand(1, 3, 64, 64)  # greys and beiges only
    target = color_quantiles(exemplar)
    assert float(color_histogram_loss(exemplar, target)[0]) < 1e-12
    shuffled = exemplar.flatten(2)[..., torch.randperm(64 * 64)].reshape(1, 3, 64, 64)
    assert float(color_histogram_loss(shuffled, target)[0]) < 1e-12  # order does not matter
    blob = exemplar[..., :32, :32].clone()
    blob[:, 1, :4, :4] = 0.0  # 16 magenta pixels out of 1024: the Gram barely moves
    clean = exemplar[..., :32, :32]
    assert float(color_histogram_loss(blob, target)[0]) > 20 * float(
        color_histogram_loss(clean, target)[0])
    grad_img = blob.clone().requires_grad_()
    color_histogram_loss(grad_img, target).sum().backward()
    outlier, rest = grad_img.grad[:, 1, :4, :4].abs().mean(), grad_img.grad[:, 1, 8:].abs().mean()
    assert outlier > 10 * rest  # the pull is on the outliers


def test_sliced_wasserstein_is_zero_for_the_exemplar_and_sees_what_grams_miss():
    from texturenet_plugin.nets.losses import (
        exemplar_features,
        sliced_wasserstein_loss,
        target_grams,
    )

    rng = torch.Generator().manual_seed(0)
    # Two feature maps with equal Gram matrices: one channel ±1 everywhere (a sign pattern)
    # against a constant 1 -- identical second moments, different distributions.
    signs = (torch.randint(0, 2, (1, 1, 16, 16), generator=rng) * 2 - 1).float()
    ones = torch.ones(1, 1, 16, 16)
    exemplar = {"relu1_1": signs}
    targets = exemplar_features(exemplar)
    assert torch.allclose(target_grams({"relu1_1": ones})["relu1_1"],
                          target_grams(exemplar)["relu1_1"])
    same = sliced_wasserstein_loss(exemplar, targets, rng)
    other = sliced_wasserstein_loss({"relu1_1": ones}, targets, rng)
    assert same.shape == (1,) and float(same) < 1e-12
    assert float(other) > 0.5


def test_sliced_wasserstein_compares_distributions_of_other_sizes_and_has_gradients():
    from texturenet_plugin.nets.losses import exemplar_features, sliced_wasserstein_loss

    rng = torch.Generator().manual_seed(1)
    big = torch.randn(1, 8, 40, 40, generator=rng)
    targets = exemplar_features({"t": big}, max_samples=1000)
    assert targets["t"].shape == (8, 1000)
    small = torch.randn(3, 8, 10, 10, generator=rng, requires_grad=True)
    shifted = (small.detach() + 3).requires_grad_()
    near = sliced_wasserstein_loss({"t": small}, targets, rng)
    far = sliced_wasserstein_loss({"t": shifted}, targets, rng)
    assert near.shape == (3,) and (far > 5 * near).all()
    far.sum().backward()
    assert shifted.grad is not None and shifted.grad.abs().sum() > 0


def test_range_penalty_is_zero_inside_the_exemplar_range_and_pulls_saturated_pixels_back():
    from texturenet_plugin.nets.losses import logit_range, range_penalty

    exemplar = torch.linspace(0.2, 0.8, 32 * 32).view(1, 1, 32, 32).repeat(1, 3, 1, 1)
    bounds = logit_range(exemplar, quantile=0.0, margin=0.02)
    assert bounds.shape == (2, 3)
    low, high = torch.sigmoid(bounds)
    assert torch.all(low < 0.2) and torch.all(low > 0.17)
    assert torch.all(high > 0.8) and torch.all(high < 0.83)
    inside = torch.logit(exemplar.clamp(0.2, 0.8)).repeat(2, 1, 1, 1)
    assert torch.equal(range_penalty(inside, bounds), torch.zeros(2))
    # A glowing speck: sigmoid(12) is white and its slope ~6e-6; the hinge's is not small.
    hot = inside.clone().requires_grad_()
    with torch.no_grad():
        hot[1, :, 5, 5] = 12.0
    penalty = range_penalty(hot, bounds)
    assert penalty[0] == 0 and penalty[1] > 3 * (12 - 1.6) ** 2 * 0.9
    penalty.sum().backward()
    assert hot.grad[1, :, 5, 5].min() > 10 and hot.grad[0].abs().max() == 0


def test_range_of_a_selection_ignores_the_pixels_outside_it():
    from texturenet_plugin.nets.losses import logit_range

    image = torch.full((1, 3, 8, 8), 0.5)
    image[..., :, 4:] = 0.99  # unselected bright half
    selected = torch.zeros(1, 1, 8, 8, dtype=torch.bool)
    selected[..., :, :4] = True
    high = torch.sigmoid(logit_range(image, selected, quantile=0.0, margin=0.02)[1])
    assert torch.allclose(high, torch.full((3,), 0.52), atol=1e-4)
    assert torch.all(torch.sigmoid(logit_range(image, quantile=0.0)[1]) > 0.99)
