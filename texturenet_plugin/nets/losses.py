"""Gram matrices, the texture loss (paper eq. 5) and the content loss (eq. 6)."""

from __future__ import annotations

import torch


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """``features`` (B, C, H, W) -> (B, C, C): inner products of channels, divided by C·H·W."""
    b, c, h, w = features.shape
    flat = features.reshape(b, c, h * w)
    return torch.bmm(flat, flat.transpose(1, 2)) / (c * h * w)


def masked_gram_matrix(features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``features`` (B, C, H, W), ``mask`` (B or 1, 1, H, W) bool -> (B, C, C): the sum of
    f_p f_pᵀ over masked positions p, divided by C · their number (:func:`gram_matrix` when
    every position is masked). A sample with no masked position gives zeros."""
    b, c, h, w = features.shape
    weight = mask.to(features.dtype).expand(b, 1, h, w).reshape(b, 1, h * w)
    flat = features.reshape(b, c, h * w) * weight
    count = weight.sum(dim=(1, 2)).clamp_min(1).view(b, 1, 1)
    return torch.bmm(flat, flat.transpose(1, 2)) / (c * count)


class _NormalizeGrad(torch.autograd.Function):
    """Identity forward; backward divides the gradient by its L1 norm (per sample).

    The authors' code normalizes each loss layer's gradient this way so every layer pulls with
    the same strength whatever its scale; the paper's text does not mention it.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        norm = grad.abs().flatten(1).sum(1).clamp_min(1e-8)
        return grad / norm.view(-1, *([1] * (grad.dim() - 1)))


def normalize_gradient(x: torch.Tensor) -> torch.Tensor:
    return _NormalizeGrad.apply(x)


def texture_loss(
    features: dict[str, torch.Tensor],
    target_grams: dict[str, torch.Tensor],
    weights: dict[str, float] | None = None,
    normalize_grads: bool = False,
) -> torch.Tensor:
    """Σ_l w_l ||G_l(x) − G_l(x0)||² per sample -> (B,). ``target_grams`` are (1, C, C) or (C, C)."""
    total = None
    for name, target in target_grams.items():
        feat = features[name]
        if normalize_grads:
            feat = normalize_gradient(feat)
        diff = gram_matrix(feat) - target.reshape(1, *target.shape[-2:])
        term = diff.pow(2).sum(dim=(1, 2)) * (weights or {}).get(name, 1.0)
        total = term if total is None else total + term
    if total is None:
        raise ValueError("texture_loss needs at least one layer")
    return total


def content_loss(
    features: dict[str, torch.Tensor],
    targets: dict[str, torch.Tensor],
    normalize_grads: bool = False,
) -> torch.Tensor:
    """Σ_l ||F_l(x) − F_l(y)||², as a mean over elements (so it is size independent) -> (B,).

    Departure: the paper sums; we average so α does not depend on the image size.
    """
    total = None
    for name, target in targets.items():
        feat = features[name]
        if normalize_grads:
            feat = normalize_gradient(feat)
        term = (feat - target).pow(2).flatten(1).mean(1)
        total = term if total is None else total + term
    if total is None:
        raise ValueError("content_loss needs at least one layer")
    return total


# Colour directions of the sliced histogram loss: the RGB axes, the 6 face diagonals and the
# 4 space diagonals of the colour cube (fixed, so training needs no extra random state).
_DIRECTIONS = torch.tensor(
    [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, -1, 0], [1, 0, 1], [1, 0, -1], [0, 1, 1],
     [0, 1, -1], [1, 1, 1], [1, 1, -1], [1, -1, 1], [-1, 1, 1]], dtype=torch.float32)
COLOR_DIRECTIONS = _DIRECTIONS / _DIRECTIONS.norm(dim=1, keepdim=True)


def _color_projections(images: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) -> (B, D, H·W): every pixel's colour projected on each direction."""
    directions = COLOR_DIRECTIONS.to(images.device, images.dtype)
    return torch.einsum("dc,bcn->bdn", directions, images.flatten(2))


def quantile_index(n: int, m: int, device=None) -> torch.Tensor:
    """(n,) indices into m sorted target values at the quantiles of n sorted samples (the
    nearest target quantile to each sample's (i + 0.5) / n), so distributions of different
    sizes compare."""
    return ((torch.arange(n, device=device) + 0.5) * (m / n)).long().clamp_max(m - 1)


def color_quantiles(image: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Target of :func:`color_histogram_loss`: (1, 3, H, W) exemplar -> (D, N), sorted; N is
    H·W, or the number of pixels selected by ``mask`` (1, 1, H, W) bool."""
    projections = _color_projections(image)[0]
    if mask is not None:
        projections = projections[:, mask.reshape(-1)]
    return projections.sort(dim=-1).values.detach()


def color_histogram_loss(images: torch.Tensor, target: torch.Tensor,
                         normalize_grads: bool = False) -> torch.Tensor:
    """Sliced 1-D Wasserstein distance between the colour distributions of ``images``
    (B, 3, H, W) and the exemplar (``target`` from :func:`color_quantiles`) -> (B,).

    Gram matrices are second moments: a few pixels of a colour the exemplar never has (a pink
    or white blob) barely change them, so a Gram-trained generator is free to emit such
    outliers. Sorting each projection and comparing it with the exemplar's quantiles penalises
    exactly those pixels (Risser et al. 2017's histogram loss; the slicing over colour
    directions follows Heitz et al. 2021)."""
    x = normalize_gradient(images) if normalize_grads else images
    values = _color_projections(x).sort(dim=-1).values
    n, m = values.shape[-1], target.shape[-1]
    index = quantile_index(n, m, target.device)
    return (values - target[:, index]).pow(2).mean(dim=(1, 2))


def target_grams(features: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Gram matrices of the exemplar's features, averaged over a batch of views -> (C, C)."""
    return {name: gram_matrix(f).mean(0).detach() for name, f in features.items()}


def masked_target_grams(features: dict[str, torch.Tensor], masks: dict[str, torch.Tensor]
                        ) -> dict[str, torch.Tensor]:
    """Like :func:`target_grams`, each layer's (V, C, H, W) taps restricted to its (V, 1, H, W)
    mask (:func:`masked_gram_matrix`) -> (C, C)."""
    return {name: masked_gram_matrix(f, masks[name]).mean(0).detach()
            for name, f in features.items()}


def random_rotation(channels: int, generator: torch.Generator, device=None) -> torch.Tensor:
    """(C, C) random orthonormal directions (QR of a Gaussian, signs fixed: Haar-distributed)."""
    q, r = torch.linalg.qr(torch.randn(channels, channels, generator=generator))
    return (q * torch.sign(torch.diagonal(r)).unsqueeze(0)).to(device)


def exemplar_features(features: dict[str, torch.Tensor], max_samples: int = 16384,
                      masks: dict[str, torch.Tensor] | None = None) -> dict[str, torch.Tensor]:
    """Target of :func:`sliced_wasserstein_loss`: (V, C, H, W) taps of the exemplar's views ->
    (C, n), every position of every view as one sample of the layer's distribution; layers with
    more than ``max_samples`` positions keep a fixed random subset of that many (re-sorting all
    of a 256² exemplar's relu1_1 each step would cost as much as the generated batch).
    ``masks`` ({layer: (V, 1, H, W) bool}) keeps only the masked positions (a selection)."""
    out, gen = {}, torch.Generator().manual_seed(0)
    for name, f in features.items():
        flat = f.detach().transpose(0, 1).flatten(1)
        if masks is not None:
            flat = flat[:, masks[name].transpose(0, 1).reshape(-1)]
        if flat.shape[1] > max_samples:
            keep = torch.randperm(flat.shape[1], generator=gen)[:max_samples]
            flat = flat[:, keep.to(flat.device)]
        out[name] = flat.contiguous()
    return out


def sliced_wasserstein_loss(
    features: dict[str, torch.Tensor], targets: dict[str, torch.Tensor],
    generator: torch.Generator, normalize_grads: bool = False,
) -> torch.Tensor:
    """Σ_l sliced 1-D Wasserstein distance between the feature distributions of each sample
    (B, C, H, W) and the exemplar's (``targets`` from :func:`exemplar_features`) -> (B,).

    Heitz et al. (CVPR 2021): a Gram matrix matches second moments only, so a generator can
    hit it with features the exemplar never has (specks, blobs, flat mush between them). Sorting
    the features projected on C random directions and comparing them with the exemplar's
    quantiles matches each layer's whole distribution. The directions are drawn fresh each call
    from ``generator`` (a training state's RNG, so a resumed run draws the same ones)."""
    total = None
    for name, target in targets.items():
        feat = normalize_gradient(features[name]) if normalize_grads else features[name]
        directions = random_rotation(feat.shape[1], generator, feat.device).to(feat.dtype)
        values = torch.einsum("dc,bcn->bdn", directions, feat.flatten(2)).sort(dim=-1).values
        wanted = (directions @ target.to(feat.dtype)).sort(dim=-1).values
        n, m = values.shape[-1], wanted.shape[-1]
        index = quantile_index(n, m, feat.device)
        term = (values - wanted[:, index]).pow(2).mean(dim=(1, 2))
        total = term if total is None else total + term
    if total is None:
        raise ValueError("sliced_wasserstein_loss needs at least one layer")
    return total


def logit_range(image: torch.Tensor, pixels: torch.Tensor | None = None, quantile: float = 1e-3,
                margin: float = 0.02) -> torch.Tensor:
    """Target of :func:`range_penalty`: (1, 3, H, W) exemplar in [0, 1] -> (2, 3), the low and
    high logits of each channel's ``quantile`` .. ``1 - quantile`` range widened by ``margin``.
    ``pixels``: optional bool selection of H·W elements ((H, W) or (1, 1, H, W)), the pixels
    that count."""
    values = image[0].flatten(1)
    if pixels is not None:
        values = values[:, pixels.reshape(-1)]
    q = torch.tensor([quantile, 1 - quantile], dtype=values.dtype, device=values.device)
    bounds = torch.quantile(values.float(), q.float(), dim=1).to(values.dtype)  # (2, 3)
    bounds = (bounds + torch.tensor([[-margin], [margin]], device=values.device)).clamp(1e-3,
                                                                                        1 - 1e-3)
    return torch.logit(bounds).detach()


def range_penalty(logits: torch.Tensor, bounds: torch.Tensor) -> torch.Tensor:
    """Σ over pixels of the squared distance of the generator's pre-sigmoid ``logits``
    (B, 3, H, W) outside the exemplar's range (``bounds`` from :func:`logit_range`) -> (B,).

    The "hot spots" of sigmoid generators are saturated pixels: there the sigmoid's slope is
    ~0, so no loss on the image can pull them back, and a Gram matrix barely sees a few of them
    anyway. This hinge acts on the logits, whose gradient does not vanish, and is zero for every
    value the exemplar itself has."""
    low, high = (b.view(1, 3, 1, 1).to(logits.dtype) for b in bounds)
    outside = torch.relu(logits - high) + torch.relu(low - logits)
    return outside.pow(2).flatten(1).sum(1)
