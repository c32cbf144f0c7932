"""The multi-scale generator of Texture Networks (paper §3.2, Fig. 2; §3.3 for stylization).

K noise tensors z_i at resolutions M/2^i (i = 0 finest … K-1 coarsest) each pass a conv block
(3×3, 3×3, 1×1 convolutions, each followed by normalization and LeakyReLU(0.01)); the coarser
result is upsampled ×2 (nearest), both inputs of a join are normalized, concatenated, and passed
through another conv block. Channels grow by 8 per scale (8 → 8K); a final 1×1 conv maps to RGB.
All convolutions pad circularly, so a sample tiles seamlessly.

Departures from the paper, named here:
- K defaults to 6, as in the authors' code (the text says K=5); ~115K parameters.
- LeakyReLU(0.01) as in the authors' code, not the ReLU of the text.
- Output parameterisation (``GeneratorSpec.output``): ``"sigmoid"`` (the default) squashes the
  final 1×1 conv into [0, 1]. ``"linear"`` is the authors' choice: the unbounded conv, offset by
  0.5 so a fresh network emits mid-grey, seen unclamped by the descriptor during training and
  clamped to [0, 1] in eval mode. Linear was tried against the "hot spot" artefact and rejected:
  it trained worse at the CPU preset's rate and the spots stayed (they are off-distribution
  colours, not saturation; docs/training-notes.md, experiments 5-8). Old model files, which
  have no ``output`` field, are sigmoid models.
- ``GeneratorSpec.finest_inner`` (0 by default: the paper's architecture) narrows the two 3×3
  convolutions of the finest scale's mixer, where ~80 % of a sample's arithmetic is: 32 instead
  of 48 channels at K=6, width 8 samples ~1.4× faster in float32 and bfloat16 on an AVX-512
  CPU (oneDNN computes channels in groups of 16, so 36 or 40 save little;
  docs/performance.md, session 15). The `cpu` and `quick` training presets use 32;
  ``texnet train texture --init MODEL --finest-inner N`` prunes a trained model to it
  (:mod:`.thin`).
- Sizes that are not multiples of 2^(K-1) are supported: scale i has ceil(size/2^i) cells and
  the nearest upsampling maps them with floor(j·n/m), so the wrap-around stays continuous and the
  sample still tiles seamlessly (see README, "Sizes").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import torch
from torch import nn
from torch.nn import functional as F

from ..limits import NORMS  # its home: limits, torch-free for the CLI

OUTPUTS = ("sigmoid", "linear")


@dataclass(frozen=True)
class GeneratorSpec:
    """Architecture of a generator; stored beside the weights in every model file."""

    scales: int = 6
    channels_step: int = 8
    noise_channels: int = 3
    content_channels: int = 0  # 3 for a stylization generator g(y, z)
    norm: str = "batch"
    output: str = "sigmoid"  # or "linear" (see the module docstring)
    # Channels inside the finest scale's mixer (its two 3×3 convolutions); 0: the scale's own
    # width, channels_step × scales, as in the paper. See the module docstring.
    finest_inner: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.scales <= 8:
            raise ValueError(f"scales must be in 1..8, got {self.scales}")
        if self.finest_inner and self.scales < 2:
            raise ValueError("finest_inner needs a mixer: at least 2 scales")
        if not 0 <= self.finest_inner <= self.finest_width:
            raise ValueError(f"finest_inner must be in 0..{self.finest_width}, "
                             f"got {self.finest_inner}")
        if self.norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {self.norm!r}")
        if self.output not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}, got {self.output!r}")

    @property
    def finest_width(self) -> int:
        """Channels of the finest scale's mixer: every scale's branch concatenated."""
        return self.channels_step * self.scales

    @property
    def finest_inner_width(self) -> int:
        """Inner channels of the finest mixer as built: ``finest_inner``, or its full width."""
        return self.finest_inner or self.finest_width

    def mixer_inner(self, depth: int) -> int:
        """``inner`` of the mixer that merges ``depth`` + 1 scales (0: its own width): only
        the finest one (depth = scales - 1) is thinned."""
        return self.finest_inner if depth == self.scales - 1 else 0

    @property
    def lattice(self) -> int:
        """Sizes that are multiples of this use an exact ×2 pyramid."""
        return 2 ** (self.scales - 1)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "GeneratorSpec":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def scale_sizes(height: int, width: int, scales: int) -> list[tuple[int, int]]:
    """Spatial size of each scale, finest first: ceil(size / 2^i)."""
    return [(-(-height // 2**i), -(-width // 2**i)) for i in range(scales)]


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    return nn.BatchNorm2d(channels)


def _conv(cin: int, cout: int, kernel: int) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel, padding=kernel // 2, padding_mode="circular")


class ConvBlock(nn.Sequential):
    """3×3, 3×3, 1×1 circular convolutions, each followed by normalization and LeakyReLU."""

    def __init__(self, cin: int, cout: int, norm: str, inner: int = 0) -> None:
        inner = inner or cout  # channels between the convolutions
        layers: list[nn.Module] = []
        for kernel, c_in, c_out in ((3, cin, inner), (3, inner, inner), (1, inner, cout)):
            layers += [_conv(c_in, c_out, kernel), _norm(norm, c_out), nn.LeakyReLU(0.01)]
        super().__init__(*layers)


class Join(nn.Module):
    """Upsample the coarse branch to the fine one's size, normalize both, concatenate."""

    def __init__(self, coarse: int, fine: int, norm: str) -> None:
        super().__init__()
        self.norm_coarse = _norm(norm, coarse)
        self.norm_fine = _norm(norm, fine)

    def forward(self, coarse: torch.Tensor, fine: torch.Tensor) -> torch.Tensor:
        up = F.interpolate(coarse, size=fine.shape[-2:], mode="nearest")
        return torch.cat([self.norm_coarse(up), self.norm_fine(fine)], dim=1)


class Generator(nn.Module):
    """g(z) for textures, g(y, z) for stylization. Output (B, 3, H, W) in [0, 1]."""

    def __init__(self, spec: GeneratorSpec | None = None) -> None:
        super().__init__()
        self.spec = spec = spec or GeneratorSpec()
        step, cin = spec.channels_step, spec.noise_channels + spec.content_channels
        self.branches = nn.ModuleList(ConvBlock(cin, step, spec.norm) for _ in range(spec.scales))
        self.joins = nn.ModuleList()
        self.mixers = nn.ModuleList()
        for depth in range(1, spec.scales):  # depth = number of scales already merged
            width = step * (depth + 1)
            self.joins.append(Join(step * depth, step, spec.norm))
            self.mixers.append(ConvBlock(width, width, spec.norm, spec.mixer_inner(depth)))
        self.head = nn.Conv2d(step * spec.scales, 3, 1)
        _xavier_init(self)

    def forward(self, noise: list[torch.Tensor], content: torch.Tensor | None = None):
        """``noise``: K tensors (B, noise_channels, h_i, w_i), finest first (see scale_sizes).

        ``content`` (stylization only): (B, 3, H, W) in [0, 1]; each scale receives it
        downsampled to that scale's size, concatenated with that scale's noise.
        """
        inputs = self._inputs(noise, content)
        x = self.branches[-1](inputs[-1])
        for depth in range(1, self.spec.scales):
            scale = self.spec.scales - 1 - depth
            fine = self.branches[scale](inputs[scale])
            x = self.mixers[depth - 1](self.joins[depth - 1](x, fine))
        return to_rgb(self.spec, self.head(x), clamp=not self.training)

    def _inputs(self, noise: list[torch.Tensor], content: torch.Tensor | None):
        if len(noise) != self.spec.scales:
            raise ValueError(f"expected {self.spec.scales} noise tensors, got {len(noise)}")
        if self.spec.content_channels == 0:
            return noise
        if content is None:
            raise ValueError("a stylization generator needs a content image")
        return [torch.cat([_resize_area(content, z.shape[-2:]), z], dim=1) for z in noise]


def to_rgb(spec: GeneratorSpec, head: torch.Tensor, clamp: bool = True) -> torch.Tensor:
    """The head's (B, 3, H, W) output as an image: sigmoid, or 0.5 + linear (clamped to [0, 1]
    unless ``clamp`` is false, as in training, where the loss must see out-of-range values)."""
    if spec.output == "sigmoid":
        return torch.sigmoid(head)
    image = head + 0.5
    return image.clamp(0, 1) if clamp else image


def _resize_area(image: torch.Tensor, size: torch.Size) -> torch.Tensor:
    if tuple(image.shape[-2:]) == tuple(size):
        return image
    return F.interpolate(image, size=tuple(size), mode="area")


def _xavier_init(model: nn.Module) -> None:
    """Xavier initialisation, as in the paper (§4)."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.xavier_uniform_(module.weight)
            nn.init.zeros_(module.bias)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
