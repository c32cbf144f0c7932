"""Prune a trained generator's finest mixer to fewer inner channels (``--finest-inner``).

The finest scale's mixer does ~80 % of a sample's arithmetic (two 3×3 convolutions over
every scale's channels at full resolution), so narrowing its two inner layers is where a
trained model gets faster. Rather than train the narrow generator anew, the trained one is
cut down and then refined (``texnet train texture --preset refine --init MODEL
--finest-inner N``):

- each inner channel is scored by how much its variation feeds the next layer: the standard
  deviation of its activation over a batch of samples times the norm of the next
  convolution's weights on it;
- the ``inner`` best of each of the two inner layers are kept, in their order;
- a dropped channel's mean activation is folded into the next layer's bias (a constant input,
  through a circularly padded convolution, is a constant shift), so what is lost is only its
  variation about the mean.

Everything else is copied unchanged. BatchNorm generators only (every texture model).
"""

from __future__ import annotations

from dataclasses import replace

import torch

from .generator import Generator
from .noise import periodic_noise

PROBE_SIZE = 128  # side of the samples whose activations score the channels
PROBE_BATCH = 4


def thin_finest(gen: Generator, inner: int, seed: int = 0) -> Generator:
    """A copy of ``gen`` (BatchNorm, any mode) whose finest mixer has ``inner`` inner channels."""
    spec = gen.spec
    if spec.scales < 2:
        raise ValueError("a one-scale generator has no mixer to thin")
    if spec.norm != "batch":
        raise ValueError("only BatchNorm generators can be thinned")
    if not 0 < inner <= spec.finest_inner_width:
        raise ValueError(f"inner must be in 1..{spec.finest_inner_width}, got {inner}")
    acts = _inner_activations(gen, seed)
    thin = Generator(replace(spec, finest_inner=inner))
    state = {k: v.clone() for k, v in gen.state_dict().items()}
    prefix = f"mixers.{len(gen.mixers) - 1}."
    block = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    state.update({prefix + k: v for k, v in _thin_block(block, acts, inner).items()})
    thin.load_state_dict(state)
    return thin.train(gen.training)


@torch.no_grad()
def _inner_activations(gen: Generator, seed: int) -> list[torch.Tensor]:
    """The finest mixer's two inner activations (after LeakyReLU) on a probe batch, in eval
    mode: each (B, C, H, W)."""
    mixer, found = gen.mixers[-1], []
    hooks = [mixer[i].register_forward_hook(lambda _m, _i, out: found.append(out))
             for i in (2, 5)]  # the LeakyReLUs after the two 3×3 convs
    was_training = gen.training
    try:
        gen.eval()
        device = next(gen.parameters()).device
        spec = gen.spec
        noise = periodic_noise([seed + i for i in range(PROBE_BATCH)], PROBE_SIZE, PROBE_SIZE,
                               spec.scales, spec.noise_channels)
        gen([z.to(device) for z in noise])
    finally:
        gen.train(was_training)
        for hook in hooks:
            hook.remove()
    return found


def _thin_block(block: dict[str, torch.Tensor], acts: list[torch.Tensor],
                inner: int) -> dict[str, torch.Tensor]:
    """A ConvBlock's state (keys "0.weight", "1.running_mean", …: conv 0, norm 1, conv 3,
    norm 4, conv 6, norm 7) cut to ``inner`` channels after convs 0 and 3."""
    out = dict(block)
    for conv, norm, nxt, act in (("0", "1", "3", acts[0]), ("3", "4", "6", acts[1])):
        weight, mean = out[f"{nxt}.weight"], act.mean((0, 2, 3))
        score = act.std((0, 2, 3)) * weight.transpose(0, 1).flatten(1).norm(dim=1)
        keep = score.argsort(descending=True)[:inner].sort().values
        dropped = torch.ones_like(mean, dtype=torch.bool)
        dropped[keep] = False
        shift = (weight[:, dropped].sum((2, 3)) * mean[dropped]).sum(1)
        out[f"{nxt}.weight"], out[f"{nxt}.bias"] = weight[:, keep], out[f"{nxt}.bias"] + shift
        for name in (f"{conv}.weight", f"{conv}.bias", f"{norm}.weight", f"{norm}.bias",
                     f"{norm}.running_mean", f"{norm}.running_var"):
            out[name] = out[name][keep]
    return out
