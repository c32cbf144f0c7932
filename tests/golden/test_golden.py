"""Every bundled model still makes the picture it made when its golden file was written
(how to update them deliberately: tests/golden/render_golden.py)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from render_golden import TOLERANCE, bundled_models, golden_path, render


@pytest.mark.parametrize("name, kind", bundled_models())
def test_bundled_model_matches_its_golden_picture(name, kind):
    path = golden_path(name)
    assert path.is_file(), (f"no golden picture for {name}: run "
                            f"`PYTHONPATH=.:cli python tests/golden/render_golden.py {name}`")
    expected = np.asarray(Image.open(path).convert("RGB"))
    got = render(name, kind)
    assert got.shape == expected.shape
    diff = np.abs(got.astype(np.int16) - expected.astype(np.int16))
    assert diff.max() <= TOLERANCE, (
        f"{name}: {int((diff > TOLERANCE).sum())} values differ by up to {diff.max()} levels; "
        "if the change is meant, look at the new picture and rerun tests/golden/render_golden.py")
