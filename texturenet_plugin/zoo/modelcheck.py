"""Validation of a ``.tnet`` payload before any network is built (docs/design.md §4).

A model file may come from anyone (a download, a shared drive), so every field is checked for
type and range, the architecture for sizes a real generator has, and every tensor of the state
dict against the shapes that architecture implies, computed on PyTorch's ``meta`` device (no
memory). Only then is the generator built. Every refusal is a :class:`..errors.ModelError`
(exit code 4) naming the file and the field.
"""

from __future__ import annotations

import math

import torch

from ..errors import ModelError
from ..nets.generator import Generator, GeneratorSpec

# Ranges a real generator stays in (the bundled ones: 5-6 scales, step 8, 3 noise channels);
# the largest spec allowed here has ~17M parameters (68 MB), so nothing huge is ever built.
ARCH_INTS = {"scales": (1, 8), "channels_step": (1, 64), "noise_channels": (1, 16),
             "content_channels": (0, 3), "finest_inner": (0, 512)}
CONTENT_CHANNELS = {"texture": 0, "style": 3}
MAX_META_KEYS = 256


def check_version(version: object, latest: int, origin: str) -> int:
    """Format versions run 1..latest; newer ones ask for an upgrade, others are refused."""
    if type(version) is not int or version < 1:
        raise ModelError(f"{origin}: model format version {version!r:.40} is not valid "
                         "(versions start at 1); the file is damaged: pull or retrain it")
    if version > latest:
        raise ModelError(f"{origin} uses model format version {version}; this texnet reads up "
                         f"to {latest}: upgrade texnet (pip install -U texnet)")
    return version


def check_arch(arch: object, kind: str, origin: str) -> GeneratorSpec:
    """The ``arch`` dict -> a spec whose every field has the right type and range."""
    if not isinstance(arch, dict):
        raise ModelError(f"{origin}: invalid architecture (expected a dict, got "
                         f"{type(arch).__name__}); the file is damaged: pull or retrain it")
    for key, (low, high) in ARCH_INTS.items():
        value = arch.get(key, getattr(GeneratorSpec, key))
        if type(value) is not int or not low <= value <= high:
            raise ModelError(f"{origin}: invalid architecture: {key} = {value!r:.40} is "
                             f"outside {low}..{high}; the file is damaged or not from texnet")
    for key in ("norm", "output"):
        if key in arch and not isinstance(arch[key], str):
            raise ModelError(f"{origin}: invalid architecture: {key} must be a string")
    try:
        spec = GeneratorSpec.from_dict(arch)
    except (TypeError, ValueError) as exc:
        raise ModelError(f"{origin}: invalid architecture ({exc})") from exc
    if spec.content_channels != CONTENT_CHANNELS[kind]:
        raise ModelError(f"{origin}: a {kind} model must have content_channels = "
                         f"{CONTENT_CHANNELS[kind]}, not {spec.content_channels}")
    return spec


def expected_shapes(spec: GeneratorSpec) -> dict[str, tuple[int, ...]]:
    """Name -> shape of every tensor of a generator with ``spec``, computed without memory."""
    with torch.device("meta"):
        model = Generator(spec)
    return {name: tuple(t.shape) for name, t in model.state_dict().items()}


def check_state_dict(state: object, spec: GeneratorSpec, origin: str) -> dict:
    """Keys, types, shapes, parameter count and finiteness of the weights."""
    if not isinstance(state, dict):
        raise ModelError(f"{origin}: the weights must be a dict of tensors, got "
                         f"{type(state).__name__}; the file is damaged: pull or retrain it")
    expected = expected_shapes(spec)
    missing = sorted(set(expected) - set(state))
    extra = sorted(str(k) for k in set(state) - set(expected))
    if missing or extra:
        raise ModelError(f"{origin}: weights do not fit its architecture (missing "
                         f"{missing[:3]}, unexpected {extra[:3]}); the file is damaged")
    want = sum(math.prod(s) for s in expected.values())
    have = sum(t.numel() for t in state.values() if isinstance(t, torch.Tensor))
    for name, shape in expected.items():
        tensor = state[name]
        if not isinstance(tensor, torch.Tensor) or tuple(tensor.shape) != shape:
            got = tuple(tensor.shape) if isinstance(tensor, torch.Tensor) else type(tensor).__name__
            raise ModelError(f"{origin}: weights do not fit its architecture ({name}: {got}, "
                             f"expected {shape}; {have} values for {want} parameters)")
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise ModelError(f"{origin}: weight {name} holds NaN or infinite values; the model "
                             "is broken (training diverged?): retrain it or pull it again")
    return state


def check_meta(meta: object, origin: str) -> dict:
    if not isinstance(meta, dict) or len(meta) > MAX_META_KEYS:
        raise ModelError(f"{origin}: the metadata must be a dict, got {type(meta).__name__}; "
                         "the file is damaged: pull or retrain it")
    if not all(isinstance(key, str) for key in meta):
        raise ModelError(f"{origin}: metadata keys must be strings")
    return dict(meta)
