"""The rare-colour cluster count (texturenet_plugin.metrics): specks and blobs of colours the
exemplar does not have, on images built here with known clusters."""

import numpy as np

from texturenet_plugin.metrics import cluster_sizes, rare_clusters, rare_colour_mask


def _exemplar(seed: int = 0, size: int = 96) -> np.ndarray:
    """Tan and near-black fur noise, like leopard's: two colour families with some spread."""
    rng = np.random.default_rng(seed)
    tan = np.array([190, 140, 100]) + rng.integers(-12, 13, (size, size, 3))
    dark = np.array([25, 20, 15]) + rng.integers(-10, 11, (size, size, 3))
    pick = rng.random((size, size, 1)) < 0.45
    return np.clip(np.where(pick, dark, tan), 0, 255).astype(np.uint8)


def test_an_image_in_the_exemplar_palette_has_no_rare_clusters():
    assert rare_clusters(_exemplar(seed=1, size=128), _exemplar()) == []


def test_planted_olive_specks_and_a_lavender_blob_are_found_with_their_sizes():
    image = _exemplar(seed=2, size=128)
    image[10:13, 20:23] = (110, 120, 40)  # olive speck, 9 px
    image[60:66, 70:75] = (150, 140, 170)  # lavender blob, 30 px
    image[100, 100] = (0, 200, 0)  # a lone pixel: below the 9-px floor
    assert rare_clusters(image, _exemplar()) == [30, 9]
    mask = rare_colour_mask(image, _exemplar())
    assert mask[10:13, 20:23].all() and mask[60:66, 70:75].all() and mask[100, 100]


def test_a_cluster_across_the_wrap_around_counts_once():
    mask = np.zeros((32, 32), bool)
    mask[0:2, 0:3] = mask[30:32, 0:3] = True  # one 4×3 cluster, split by the edge
    mask[10, 10] = mask[11, 11] = True  # diagonal neighbours: 8-connected
    assert cluster_sizes(mask) == [12, 2]
