"""Training a stylization generator g(y, z) (paper §3.3): texture loss against one painting
plus α · content loss (relu4_2) against the input photo, on random crops of a content pool.

The loop, checkpoints and resume are those of :mod:`.loop` / :mod:`.checkpoint`
(``TrainState``, ``save_checkpoint``, ``load_checkpoint``); this module adds the content pool,
the content term, preview images of fixed validation content and BatchNorm calibration on
content. Departures from the paper, named here:
- Instance normalisation (the authors' follow-up, arXiv 1607.08022) is the default; ``norm=
  "batch"`` gives the paper's network. docs/stylization.md compares the two.
- The content loss is a mean over elements (see :func:`..nets.losses.content_loss`), and, like the
  texture layers, its gradient is normalised per layer (the authors' code), so α weighs the
  content layer against each texture layer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from ..errors import InputError
from ..io.images import read_rgb, save_atomic
from ..nets.descriptor import CONTENT_LAYERS, Descriptor
from ..nets.generator import Generator, GeneratorSpec
from ..nets.losses import content_loss, normalize_gradient, texture_loss
from ..nets.noise import random_noise
from ..progress import Reporter
from ..runtime.precision import autocast_taps
from ..synthesis.tile import to_uint8
from .config import TrainConfig
from .loop import (
    TrainState,
    calibrate_batchnorm,
    color_term,
    exemplar_colors,
    prepare_run,
    run_loop,
)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff"}
PREVIEW_IMAGES = 3  # the first images of the (sorted) pool are the fixed validation content
LOG = "log.csv"


@dataclass(frozen=True)
class StyleConfig(TrainConfig):
    """Every stylization-training default lives here. ``exemplar_max_side`` is the style size:
    the painting is downscaled to it before its Grams are taken (smaller = larger strokes)."""

    # α, applied after per-layer gradient normalisation. With the ImageNet vgg16 each texture
    # layer's normalised gradient reaches the pixels of a 128² crop with an L1 mass of
    # 310 / 1470 / 4660 / 7180 / 6070 (relu1_1 … relu5_1, 19.7k together) and relu4_2's with
    # 12.4k per unit α (docs/stylization.md, session 4). α = 10 (tuned on vgg16-hed, whose
    # layers pull ~10× weaker) let the content win 6:1 and the stylizer copied the photo; so did
    # 3 (content 2:1). 0.5 painted strokes but lost the buildings; 1 (style ~1.6:1) keeps the
    # content and carries the painting's strokes and palette: the shipped stylizers use it
    # (docs/training-notes.md, session 5).
    content_weight: float = 1.0
    content_layers: tuple[str, ...] = CONTENT_LAYERS
    norm: str = "instance"
    scales: int = 5  # the paper's K for stylization; sizes must be multiples of 16 inside
    preview_every: int = 50
    preview_size: int = 192  # side of each validation image in the preview strip
    # The painting's Grams as VGG sees it, zero-padded: a stylized photo is not a tile, so
    # its own border is zero-padded too, and a continued painting has not been measured
    # (textures continue theirs: TrainConfig.exemplar_border).
    exemplar_border: str = "zero"

    def validate(self) -> StyleConfig:
        super().validate()
        if not self.content_weight >= 0:
            raise InputError(f"invalid training setting content_weight={self.content_weight!r}")
        if self.preview_every < 1 or self.preview_size < 2**self.scales:
            raise InputError("invalid training setting preview_every/preview_size")
        return self

    def to_dict(self) -> dict:
        data = asdict(self)
        data["layers"], data["content_layers"] = list(self.layers), list(self.content_layers)
        return data


STYLE_PRESETS: dict[str, StyleConfig] = {
    # The paper's schedule (§4): 2000 iterations of 16 crops of 256². Hours on a GPU-less machine.
    "paper": StyleConfig(exemplar_max_side=512),
    # Measured on the 2-core CPU of this project: see docs/stylization.md for the cost.
    # The colour-histogram term (weight 300, as for textures) keeps the output in the
    # painting's palette: it removed Auvers' glowing teal-pink blob and turned Night Café's
    # pale cyan-white lozenges into darker blue dashes (docs/stylization.md, session 8).
    # 2000 iterations (5× the session-8 recipe, now `quick`): Auvers' style loss -24 % and
    # content loss -26 % on the 512² astronaut, its cobalt patch in Tower Bridge's sky gone
    # (session 16). The descriptor in bfloat16 where it is native: 1.4× per step, losses
    # within 0.2 %; ~15 min on 2 idle cores of an AVX512-BF16 CPU, ~21 min in float32.
    "cpu": StyleConfig(
        iterations=2000, batch_size=4, size=128, lr=0.05, lr_decay_start=1400,
        lr_decay_every=150, lr_decay=0.7, exemplar_max_side=256, checkpoint_every=50,
        preview_every=200, color_weight=300.0, precision="auto",
    ),
    # The session-8 recipe: a fifth of the cost (~3-4 min), a first look at a painting.
    "quick": StyleConfig(
        iterations=400, batch_size=4, size=128, lr=0.05, lr_decay_start=250, lr_decay_every=50,
        lr_decay=0.7, exemplar_max_side=256, checkpoint_every=25,
        preview_every=50, color_weight=300.0, precision="auto",
    ),
}


def style_preset(name: str, **overrides) -> StyleConfig:
    if name not in STYLE_PRESETS:
        raise InputError(f"unknown preset {name!r}; choose one of {', '.join(STYLE_PRESETS)}")
    return replace(STYLE_PRESETS[name], **{k: v for k, v in overrides.items() if v is not None})


def image_tensor(path: str | Path) -> torch.Tensor:
    """(3, H, W) float in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(read_rgb(path))).permute(2, 0, 1)


def resize_short_side(image: torch.Tensor, side: int) -> torch.Tensor:
    """(3, H, W) -> (3, h, w) with min(h, w) == side, only ever downscaling."""
    h, w = image.shape[-2:]
    if min(h, w) <= side:
        return image
    scale = side / min(h, w)
    size = (max(side, round(h * scale)), max(side, round(w * scale)))
    return F.interpolate(image[None], size=size, mode="area")[0]


@dataclass
class ContentPool:
    """Natural images for content, each stored with its short side at most 2 × crop size."""

    images: list[torch.Tensor]
    names: list[str]

    @classmethod
    def from_dir(cls, folder: str | Path, crop: int) -> ContentPool:
        folder = Path(folder)
        if not folder.is_dir():
            raise InputError(f"--content {folder} is not a folder of images")
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise InputError(f"--content {folder} holds no images ({', '.join(IMAGE_SUFFIXES)})")
        images = [resize_short_side(image_tensor(p), 2 * crop) for p in files]
        small = [p.name for p, im in zip(files, images) if min(im.shape[-2:]) < crop]
        if small:
            raise InputError(f"content images smaller than the {crop}px crop: {small[:3]}")
        return cls(images, [p.name for p in files])

    def batch(self, n: int, size: int, rng: torch.Generator) -> torch.Tensor:
        """(n, 3, size, size): a random square crop of side in [size, short side] of a random
        image, resized to ``size`` (scale augmentation), flipped left-right half the time."""
        crops = []
        for _ in range(n):
            image = self.images[int(torch.randint(len(self.images), (1,), generator=rng))]
            h, w = image.shape[-2:]
            side = int(torch.randint(size, min(h, w) + 1, (1,), generator=rng))
            top = int(torch.randint(h - side + 1, (1,), generator=rng))
            left = int(torch.randint(w - side + 1, (1,), generator=rng))
            crop = image[None, :, top:top + side, left:left + side]
            if side != size:
                crop = F.interpolate(crop, size=(size, size), mode="area")
            if bool(torch.rand(1, generator=rng) < 0.5):
                crop = crop.flip(-1)
            crops.append(crop)
        return torch.cat(crops)

    def validation(self, size: int, count: int = PREVIEW_IMAGES) -> torch.Tensor:
        """(count, 3, size, size): centre squares of the first images, fixed for a run."""
        out = []
        for image in self.images[:count]:
            h, w = image.shape[-2:]
            side = min(h, w)
            top, left = (h - side) // 2, (w - side) // 2
            square = image[None, :, top:top + side, left:left + side]
            out.append(F.interpolate(square, size=(size, size), mode="area"))
        return torch.cat(out)


def new_style_state(config: StyleConfig, device: torch.device) -> TrainState:
    torch.manual_seed(config.seed)
    spec = GeneratorSpec(scales=config.scales, channels_step=config.width, content_channels=3,
                         norm=config.norm, output=config.output)
    gen = Generator(spec).to(device)
    opt = torch.optim.Adam(gen.parameters(), lr=config.lr)
    return TrainState(gen, opt, torch.Generator().manual_seed(config.seed))


class _ScaleGradient(torch.autograd.Function):
    """Identity forward; backward multiplies the gradient by ``scale``."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, scale: float) -> torch.Tensor:
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return grad * ctx.scale, None


def style_losses(descriptor: Descriptor, images: torch.Tensor, content: torch.Tensor,
                 grams: dict, config: StyleConfig) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-sample (B,) texture loss, content loss and the objective to minimise.

    With per-layer gradient normalisation α must scale the content gradient *after* it is
    normalised (as in the authors' code), otherwise the normalisation cancels it; the objective
    then carries α in its backward pass only. Without normalisation it is texture + α·content.
    """
    layers = tuple(dict.fromkeys(config.layers + config.content_layers))
    features = autocast_taps(config.precision, images.device, lambda: descriptor(images, layers))
    with torch.no_grad():  # the targets in the same precision: the photo itself scores 0
        targets = autocast_taps(config.precision, content.device,
                                lambda: descriptor(content, config.content_layers))
    style = texture_loss({k: features[k] for k in config.layers}, grams,
                         normalize_grads=config.normalize_grads)
    if not config.normalize_grads:
        cont = content_loss({k: features[k] for k in config.content_layers}, targets)
        return style, cont, style + config.content_weight * cont
    # Backward runs outside-in: the gradient is normalised first, then scaled by α. (The other
    # nesting scales first and the normalisation cancels α: that was a bug until 2026-11-25.)
    weighted = {k: normalize_gradient(_ScaleGradient.apply(features[k], config.content_weight))
                for k in config.content_layers}
    cont = content_loss(weighted, targets)
    return style, cont, style + cont


def style_step(state: TrainState, descriptor: Descriptor, grams: dict, pool: ContentPool,
               config: StyleConfig, colors: torch.Tensor | None = None) -> tuple[float, float]:
    """One Adam step on fresh crops and noise; returns the batch's (texture, content) loss.
    ``colors``: the painting's colour quantiles (:func:`.loop.exemplar_colors`); when given, the
    colour-histogram term (weight ``config.color_weight``) is optimised too, not reported."""
    for group in state.optimizer.param_groups:
        group["lr"] = config.lr_at(state.iteration)
    device = next(state.generator.parameters()).device
    content = pool.batch(config.batch_size, config.size, state.rng).to(device)
    noise = random_noise(config.batch_size, config.size, config.size, config.scales,
                         generator=state.rng, device=device)
    state.generator.train()
    images = state.generator(noise, content)
    style, cont, objective = style_losses(descriptor, images, content, grams, config)
    loss = objective.mean()
    if colors is not None:
        loss = loss + color_term(images, colors, config)
    state.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    state.optimizer.step()
    state.iteration += 1
    return float(style.detach().mean()), float(cont.detach().mean())


def train_style(style: torch.Tensor, pool: ContentPool, descriptor: Descriptor,
                config: StyleConfig, run_dir: Path, reporter: Reporter | None = None,
                resume: bool = False, device: torch.device | str = "cpu") -> TrainState:
    """Train (or resume) until ``config.iterations``; checkpoints, ``log.csv`` and preview
    strips (``preview-<iteration>.png``) go into ``run_dir``. ``style`` is (3, H, W) in [0, 1]."""
    reporter, device = reporter or Reporter(), torch.device(device)
    descriptor, grams, state = prepare_run(config, descriptor, style, run_dir, resume, device,
                                           new_style_state)
    validation = pool.validation(config.preview_size)
    colors = exemplar_colors(style.to(device), config)
    last: list[tuple[float, float]] = []

    def step() -> float:
        last[:] = [style_step(state, descriptor, grams, pool, config, colors)]
        return last[0][0] + config.content_weight * last[0][1]

    def after_step() -> None:
        _log(run_dir, state, last[0])
        _report(reporter, state, config, last[0])
        if state.iteration % config.preview_every == 0:
            save_preview(state.generator, validation,
                         run_dir / f"preview-{state.iteration:05d}.png")

    run_loop(state, config, run_dir, reporter, step, after_step)
    calibrate_batchnorm_on_content(state.generator, pool, config, device)
    return state


def _log(run_dir: Path, state: TrainState, losses: tuple[float, float]) -> None:
    path = Path(run_dir) / LOG
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    with open(path, "a", encoding="utf-8") as log:
        if new:
            log.write("iteration,texture_loss,content_loss,seconds\n")
        log.write(f"{state.iteration},{losses[0]:.6g},{losses[1]:.6g},{state.seconds:.2f}\n")


def _report(reporter: Reporter, state: TrainState, config: StyleConfig, losses) -> None:
    reporter.report(
        "train", state.iteration, config.iterations,
        f"texture {losses[0]:.4g} content {losses[1]:.4g}",
        loss=state.history[-1], texture_loss=losses[0], content_loss=losses[1],
        lr=config.lr_at(state.iteration - 1), seconds=state.seconds,
    )


@torch.no_grad()
def stylize_batch(gen: Generator, content: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """(B, 3, H, W) -> (B, 3, H, W), H and W multiples of the generator's lattice; eval mode."""
    was_training = gen.training
    gen.eval()
    b, _, h, w = content.shape
    rng = torch.Generator().manual_seed(seed)
    noise = random_noise(b, h, w, gen.spec.scales, generator=rng, device=content.device)
    out = gen(noise, content)
    gen.train(was_training)
    return out


def save_preview(gen: Generator, validation: torch.Tensor, path: Path) -> Path:
    """Validation content (top row) above its stylization (bottom row), one PNG."""
    from PIL import Image

    device = next(gen.parameters()).device
    out = stylize_batch(gen, validation.to(device)).cpu()
    rows = [torch.cat(list(batch), dim=-1) for batch in (validation, out)]
    strip = to_uint8(torch.cat(rows, dim=-2))
    path.parent.mkdir(parents=True, exist_ok=True)
    return save_atomic(Image.fromarray(strip, "RGB"), path)


@torch.no_grad()
def calibrate_batchnorm_on_content(gen: Generator, pool: ContentPool, config: StyleConfig,
                                   device, batches: int = 16) -> None:
    """Exact BatchNorm statistics for the final weights over fresh content crops (the running
    averages trail the weights while the rate is high); no-op for instance norm."""
    if not any(isinstance(m, torch.nn.BatchNorm2d) for m in gen.modules()):
        gen.eval()
        return
    def content(rng: torch.Generator) -> torch.Tensor:
        return pool.batch(config.batch_size, config.size, rng).to(device)

    calibrate_batchnorm(gen, config, device, batches, content)
