"""Training a texture generator against a fixed descriptor (paper §3.2 and §4).

Checkpoints are written every ``checkpoint_every`` iterations and when cancelled; ``resume``
continues from the last one bit for bit (optimizer state and RNG included).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from ..errors import Cancelled, InputError
from ..nets.descriptor import Descriptor
from ..nets.generator import Generator, GeneratorSpec
from ..nets.losses import (
    color_histogram_loss,
    color_quantiles,
    exemplar_features,
    logit_range,
    masked_target_grams,
    range_penalty,
    sliced_wasserstein_loss,
    target_grams,
    texture_loss,
)
from ..nets.noise import random_noise
from ..nets.palette import Palette, palette_penalty, palette_target
from ..progress import Reporter
from ..runtime.precision import autocast_taps
from . import border
from .checkpoint import fingerprint, load_checkpoint, save_checkpoint
from .config import TrainConfig
from .region import SELECTED, check_region, hide_unselected, layer_masks, layer_stride


@dataclass
class TrainState:
    generator: Generator
    optimizer: torch.optim.Optimizer
    rng: torch.Generator
    iteration: int = 0
    history: list[float] = field(default_factory=list)
    seconds: float = 0.0
    # Digests of what the run learns from (checkpoint.fingerprint): "exemplar", "init".
    inputs: dict[str, str] = field(default_factory=dict)


def exemplar_factor(height: int, width: int, config: TrainConfig) -> float:
    """The resize factor of an exemplar of ``height`` × ``width`` before its statistics are
    taken: ``exemplar_scale``, lowered so the longer side stays within ``exemplar_max_side``."""
    factor, side = config.exemplar_scale, max(height, width)
    if side * factor > config.exemplar_max_side:
        factor = config.exemplar_max_side / side
    return factor


def exemplar_note(height: int, width: int, config: TrainConfig, what: str = "exemplar") -> str:
    """One line for progress messages: the exemplar's size and the scale it is learnt at."""
    factor = exemplar_factor(height, width, config)
    note = f"{what} {width}x{height} px, learnt at {factor:.3g}x its pixel size"
    if factor < config.exemplar_scale:
        note += (f" (--exemplar-scale {config.exemplar_scale:g} capped: longer side at most "
                 f"{config.exemplar_max_side} px)")
    return note


def _resized(image: torch.Tensor, config: TrainConfig) -> torch.Tensor:
    """(1, C, H, W) -> (1, C, h, w) resized by :func:`exemplar_factor`."""
    factor = exemplar_factor(*image.shape[-2:], config)
    if factor == 1:
        return image
    return torch.nn.functional.interpolate(
        image, scale_factor=factor, mode="bilinear", antialias=True, align_corners=False,
    )


def scaled_exemplar(exemplar: torch.Tensor, config: TrainConfig) -> torch.Tensor:
    """(3, H, W) in [0, 1] -> (1, 3, h, w) at the scale at which the model learns the texture
    (:func:`exemplar_factor`)."""
    return _resized(exemplar.unsqueeze(0), config).clamp(0, 1)


def scaled_mask(mask: torch.Tensor, config: TrainConfig) -> torch.Tensor:
    """(H, W) selection coverage in [0, 1] -> (1, 1, h, w), resized like the exemplar."""
    return _resized(mask.to(torch.float32)[None, None], config).clamp(0, 1)


def check_exemplar(exemplar: torch.Tensor, config: TrainConfig,
                   mask: torch.Tensor | None = None) -> None:
    """Refuse an exemplar (3, H, W), or a selection ``mask`` (H, W) of it, too small for the
    deepest of ``config.layers`` at the training scale (:func:`.region.check_region`)."""
    height, width = exemplar.shape[-2:]
    factor = exemplar_factor(height, width, config)
    if mask is not None:
        return check_region(mask, config.layers, factor)
    deepest = max(config.layers, key=layer_stride)
    stride = layer_stride(deepest)
    if min(height, width) * factor < stride:
        raise InputError(
            f"the exemplar is {width}x{height} px, learnt at {factor:.3g}x: layer "
            f"{deepest} needs at least {stride} px on each side; use a larger "
            "exemplar or raise --exemplar-scale")


def exemplar_border(exemplar: torch.Tensor, config: TrainConfig) -> str:
    """How the descriptor continues ``exemplar`` (3, H, W) beyond its edges: the config's
    ``exemplar_border`` with ``auto`` resolved (:mod:`.border`)."""
    return border.resolve(config.exemplar_border, scaled_exemplar(exemplar, config))


def _exemplar_features(descriptor: Descriptor, exemplar: torch.Tensor, config: TrainConfig,
                       mask: torch.Tensor | None):
    """The exemplar's taps at the training scale and, with a ``mask``, each layer's
    (1, 1, h, w) bool mask of selected positions (else None); unselected pixels are hidden
    from the descriptor (:func:`.region.hide_unselected`). Unless the border is ``zero``, the
    exemplar is continued beyond its edges and only its own cells are kept (:mod:`.border`)."""
    image = scaled_exemplar(exemplar, config)
    pixels = None if mask is None else scaled_mask(mask.to(exemplar.device), config)
    shown = image if pixels is None else hide_unselected(image, pixels)
    mode = border.resolve(config.exemplar_border, image)
    if mode == "zero":
        features = descriptor(shown, config.layers)
        return features, None if pixels is None else layer_masks(pixels, features)
    features = descriptor(border.continued(shown, mode), config.layers)
    masks = None if pixels is None else layer_masks(border.continued(pixels, mode), features)
    height, width = image.shape[-2:]
    return (border.interior(features, height, width),
            None if masks is None else border.interior(masks, height, width))


def exemplar_grams(descriptor: Descriptor, exemplar: torch.Tensor, config: TrainConfig,
                   mask: torch.Tensor | None = None):
    """Target Grams of the exemplar (3, H, W) in [0, 1] at the training scale; with ``mask``
    (H, W) coverage, of the selected positions only (masked Grams, :mod:`.region`)."""
    with torch.no_grad():
        features, masks = _exemplar_features(descriptor, exemplar, config, mask)
        return target_grams(features) if masks is None else masked_target_grams(features, masks)


def exemplar_distributions(descriptor: Descriptor, exemplar: torch.Tensor, config: TrainConfig,
                           mask: torch.Tensor | None = None):
    """Target of the sliced-Wasserstein term (None when ``config.loss`` has none); with
    ``mask``, of the selected positions only."""
    if "swd" not in config.loss:
        return None
    with torch.no_grad():
        features, masks = _exemplar_features(descriptor, exemplar, config, mask)
        return exemplar_features(features, masks=masks)


def sample_features(descriptor: Descriptor, images: torch.Tensor, config: TrainConfig):
    """The descriptor's taps of generated ``images``. When the exemplar's border is continued
    (:mod:`.border`), the samples are too — periodically, since the generator pads circularly
    and every sample tiles — so that neither side of the Gram loss sees VGG's zero padding:
    by circular padding inside the descriptor (1.1× the zero-padded pass) when the sides are
    multiples of the deepest tap's stride, else by wrapping a margin around them (2.4× at
    256², 4× at 128²; benchmarks/border_cost.py)."""
    if config.exemplar_border == "zero":
        return descriptor(images, config.layers)
    height, width = images.shape[-2:]
    stride = max(layer_stride(name) for name in config.layers)
    if height % stride == 0 and width % stride == 0:
        return descriptor(images, config.layers, circular=True)
    features = descriptor(border.continued(images, "wrap"), config.layers)
    return border.interior(features, height, width)


def descriptor_features(descriptor: Descriptor, images: torch.Tensor, config: TrainConfig):
    """:func:`sample_features` in the training's descriptor precision (``config.precision``,
    :func:`..runtime.precision.autocast_taps`)."""
    return autocast_taps(config.precision, images.device,
                         lambda: sample_features(descriptor, images, config))


def texture_objective(features, grams, config: TrainConfig, rng: torch.Generator,
                      distributions=None) -> tuple[torch.Tensor, torch.Tensor]:
    """(what to optimise, the Gram loss to report), both (B,)."""
    norm = config.normalize_grads
    if "gram" in config.loss:
        gram = texture_loss(features, grams, normalize_grads=norm)
        total = gram
    else:
        with torch.no_grad():
            gram = texture_loss(features, grams)
        total = torch.zeros_like(gram)
    if distributions is not None:
        total = total + sliced_wasserstein_loss(features, distributions, rng, norm)
    return total, gram


def texture_spec(config: TrainConfig) -> GeneratorSpec:
    """The generator a texture training with ``config`` builds."""
    return GeneratorSpec(scales=config.scales, channels_step=config.width, norm=config.norm,
                         output=config.output, finest_inner=config.inner_width)


def new_state(config: TrainConfig, device: torch.device) -> TrainState:
    torch.manual_seed(config.seed)
    gen = Generator(texture_spec(config)).to(device)
    opt = torch.optim.Adam(gen.parameters(), lr=config.lr)
    return TrainState(gen, opt, torch.Generator().manual_seed(config.seed))


def exemplar_colors(exemplar: torch.Tensor, config: TrainConfig,
                    mask: torch.Tensor | None = None) -> torch.Tensor | None:
    """Target of the colour-histogram loss (None when ``config.color_weight`` is 0); with
    ``mask`` (H, W) coverage, of the selected pixels only."""
    if config.color_weight <= 0:
        return None
    return color_quantiles(*_selected_pixels(exemplar, config, mask))


def _selected_pixels(exemplar: torch.Tensor, config: TrainConfig, mask: torch.Tensor | None):
    """The exemplar at the training scale (1, 3, h, w) and, with ``mask``, its selected pixels
    (1, 1, h, w) bool (else None): what the pixel-level targets are taken from."""
    pixels = None
    if mask is not None:
        pixels = scaled_mask(mask.to(exemplar.device), config) >= SELECTED
    return scaled_exemplar(exemplar, config), pixels


def exemplar_range(exemplar: torch.Tensor, config: TrainConfig,
                   mask: torch.Tensor | None = None) -> torch.Tensor | None:
    """Target of the logit-range term (None when ``config.range_weight`` is 0 or the output
    map is not a sigmoid)."""
    if config.range_weight <= 0 or config.output != "sigmoid":
        return None
    return logit_range(*_selected_pixels(exemplar, config, mask))


def exemplar_palette(exemplar: torch.Tensor, config: TrainConfig,
                     mask: torch.Tensor | None = None) -> Palette | None:
    """Target of the palette term (None when ``config.palette_weight`` is 0)."""
    if config.palette_weight <= 0:
        return None
    return palette_target(*_selected_pixels(exemplar, config, mask))


def step_targets(descriptor: Descriptor, exemplar: torch.Tensor, config: TrainConfig,
                 mask: torch.Tensor | None = None) -> dict:
    """Every target :func:`train_step` takes besides the Grams, as its keywords (each None
    when ``config`` turns its term off): what the single-process and the distributed loop
    both pass, so that neither can leave a term out."""
    return {"colors": exemplar_colors(exemplar, config, mask),
            "distributions": exemplar_distributions(descriptor, exemplar, config, mask),
            "bounds": exemplar_range(exemplar, config, mask),
            "palette": exemplar_palette(exemplar, config, mask)}


def color_term(images: torch.Tensor, colors: torch.Tensor, config: TrainConfig) -> torch.Tensor:
    """``config.color_weight`` × the batch's mean colour-histogram loss against ``colors``
    (:func:`exemplar_colors`): the term every trainer adds to its objective."""
    hist = color_histogram_loss(images, colors, normalize_grads=config.normalize_grads)
    return config.color_weight * hist.mean()


def train_step(state: TrainState, descriptor: Descriptor, grams, config: TrainConfig,
               colors: torch.Tensor | None = None, distributions=None,
               bounds: torch.Tensor | None = None, palette: Palette | None = None) -> float:
    """One Adam step on a fresh batch of noise; returns the batch's mean texture loss
    (the colour, range and palette terms, when their targets are given, are optimised but
    not included)."""
    if config.finish_iterations and state.iteration == config.finish_start:
        state.optimizer.state.clear()  # the finish stage starts Adam afresh (config.py)
    for group in state.optimizer.param_groups:
        group["lr"] = config.lr_at(state.iteration)
    device = next(state.generator.parameters()).device
    size = config.size_at(state.iteration)
    noise = random_noise(config.batch_size, size, size, config.scales, generator=state.rng,
                         device=device)
    state.generator.train()
    logits = []
    head = getattr(state.generator, "module", state.generator).head  # DDP wraps the generator
    hook = head.register_forward_hook(lambda m, i, out: logits.append(out))
    try:
        images = state.generator(noise)
    finally:
        hook.remove()
    features = descriptor_features(descriptor, images, config)
    objective, gram = texture_objective(features, grams, config, state.rng, distributions)
    loss, total = gram.mean(), objective.mean()
    if colors is not None:
        total = total + color_term(images, colors, config)
    if bounds is not None:
        total = total + config.range_weight * range_penalty(logits[0], bounds).mean()
    if palette is not None:
        total = total + config.palette_weight * palette_penalty(images, palette).mean()
    state.optimizer.zero_grad(set_to_none=True)
    total.backward()
    state.optimizer.step()
    state.iteration += 1
    return float(loss.detach())


def train_texture(
    exemplar: torch.Tensor,
    descriptor: Descriptor,
    config: TrainConfig,
    run_dir: Path,
    reporter: Reporter | None = None,
    resume: bool = False,
    device: torch.device | str = "cpu",
    mask: torch.Tensor | None = None,
    make_state: Callable[[TrainConfig, torch.device], TrainState] | None = None,
) -> TrainState:
    """Train (or resume) until ``config.iterations``; checkpoints into ``run_dir``.
    ``exemplar``: (3, H, W) in [0, 1]; ``mask``: None, or (H, W) coverage in [0, 1] of the
    pixels to learn from (a selection cropped to its bounding box, :func:`.region.read_region`).
    ``make_state``: the fresh state (default :func:`new_state`; ``--init`` starts from a model)."""
    reporter, device = reporter or Reporter(), torch.device(device)
    descriptor, grams, state = prepare_run(config, descriptor, exemplar, run_dir, resume,
                                           device, make_state or new_state, mask)
    targets = step_targets(descriptor, exemplar.to(device), config, mask)
    run_loop(state, config, run_dir, reporter,
             step=lambda: train_step(state, descriptor, grams, config, **targets),
             after_step=lambda: _report(reporter, state, config))
    calibrate_batchnorm(state.generator, config, device)
    return state


def prepare_run(config, descriptor: Descriptor, exemplar: torch.Tensor, run_dir: Path,
                resume: bool, device: torch.device, make_state: Callable,
                mask: torch.Tensor | None = None):
    """What every trainer does first: validate (settings, exemplar or selection size), move
    the descriptor, compute the exemplar's Grams (of the ``mask``ed positions only, if given),
    build the state with ``make_state(config, device)``, restore it on ``resume``."""
    config.validate()
    check_exemplar(exemplar, config, mask)
    descriptor = descriptor.to(device)
    grams = exemplar_grams(descriptor, exemplar.to(device), config, mask)
    state = make_state(config, device)
    state.inputs["exemplar"] = fingerprint(exemplar, mask)
    if resume:
        load_checkpoint(run_dir, state, config)
    return descriptor, grams, state


def run_loop(state: TrainState, config, run_dir: Path, reporter: Reporter,
             step: Callable[[], float], after_step: Callable[[], None]) -> None:
    """The loop every trainer shares: ``step`` (returns the loss) until ``config.iterations``,
    timing each step; a checkpoint every ``checkpoint_every`` iterations, at the end, and when
    cancelled (then the cancellation propagates)."""
    try:
        while state.iteration < config.iterations:
            reporter.check()
            start = time.perf_counter()
            state.history.append(step())
            state.seconds += time.perf_counter() - start
            after_step()
            if state.iteration % config.checkpoint_every == 0:
                save_checkpoint(run_dir, state, config)
    except (Cancelled, KeyboardInterrupt):
        save_checkpoint(run_dir, state, config)
        raise
    save_checkpoint(run_dir, state, config)


def _report(reporter: Reporter, state: TrainState, config: TrainConfig) -> None:
    loss, done = state.history[-1], state.iteration - 1
    message = f"loss {loss:.4g}"
    if config.in_finish(done):  # a 256² step is ~4x a 128² one: say why it slowed down
        message += f" (finish stage: {config.finish_size}x{config.finish_size} samples)"
    reporter.report(
        "train", state.iteration, config.iterations, message,
        loss=loss, lr=config.lr_at(done), seconds=state.seconds,
    )


@torch.no_grad()
def calibrate_batchnorm(gen: Generator, config: TrainConfig, device, batches: int = 16,
                        content: Callable[[torch.Generator], torch.Tensor] | None = None) -> None:
    """Replace running BatchNorm statistics by exact averages over fresh noise.

    The running averages trail the weights while the learning rate is high; sampling uses
    eval mode (needed for exact tiled synthesis), so the statistics must match the final weights.
    ``content(rng) -> (B, 3, size, size)``: a style generator's content crops, drawn before each
    batch's noise. Without BatchNorm nothing changes (the mode included).
    """
    norms = [m for m in gen.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    if not norms:
        return
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
    gen.train()
    rng = torch.Generator().manual_seed(config.seed + 1)
    size = config.size_at(config.iterations - 1)  # the samples the run ended on
    for _ in range(batches):
        inputs = () if content is None else (content(rng),)
        noise = random_noise(config.batch_size, size, size, config.scales,
                             generator=rng, device=device)
        gen(noise, *inputs)
    for m in norms:
        m.momentum = 0.1
    gen.eval()
