"""The pure part of the Krita adapter: the docker's settings as engine command lines and warm
worker requests, and reordering pixel bytes. Finding, running and cancelling the engine, the
progress protocol, exit codes and the models list live in the shared client ``texnet_client``
(docs/design.md, "The client"), which `texnet plugins install krita` copies into this package.

Imports neither ``krita`` nor PyQt5 (nor torch: the host's Python is not the engine's), so it
is unit-tested on its own (tests/plugins/test_krita_adapter.py).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

try:  # copied into this package by `texnet plugins install krita`
    from . import texnet_client as client
except ImportError:  # the source tree (tests): the client's home in the CLI package
    from texnet_cli import texnet_client as client

ENGINE_RECORD, ENGINE_ENV = client.ENGINE_RECORD, client.ENGINE_ENV
STRIPPED_ENV, EXIT_MEANINGS, MAX_SEED = client.STRIPPED_ENV, client.EXIT_MEANINGS, client.MAX_SEED
EngineNotFound, Event, ProgressReader = client.EngineNotFound, client.Event, client.ProgressReader
ModelInfo, Limits = client.ModelInfo, client.Limits
child_environment, failure_message = client.child_environment, client.failure_message
parse_event = client.parse_event
models_args, previews_args, parse_models = (client.models_args, client.previews_args,
                                            client.parse_models)
limits_args, parse_limits = client.limits_args, client.parse_limits


def find_engine(environ: dict | None = None, plugin_dir=None, which=None) -> str:
    """``$TEXNET``, then the installer's record beside the plug-in, then PATH."""
    kwargs = {"which": which} if which is not None else {}
    return client.find_engine(plugin_dir, environ, host="krita", **kwargs)


@dataclass(frozen=True)
class Settings:
    """What the docker's controls say (``lattice``: the chosen model's, for big tiles)."""

    model: str | None = None
    seed: int = 0
    scale: float = 1.0
    strength: float = 1.0
    lattice: int = 32
    limits: Limits = field(default_factory=Limits)


def fill_args(settings: Settings, image: str, mask: str, output: str) -> list[str]:
    """``texnet fill --image --mask --layer-only``: an RGBA layer of the canvas size,
    transparent outside the selection, in the input's bit depth."""
    return client.fill_args(image, mask, output, settings.model, settings.seed, settings.scale)


def fill_request(settings: Settings, image: str, mask: str, output: str) -> dict:
    return client.fill_request(image, mask, output, settings.model, settings.seed,
                               settings.scale)


def tile_size(width: int, height: int, settings: Settings | None = None) -> tuple[int, int]:
    settings = settings or Settings()
    return client.tile_size(width, height, settings.lattice, settings.limits)


def tile_args(settings: Settings, width: int, height: int, output: str) -> list[str]:
    """``texnet fill --tile`` (Scale honoured): a seamless tile of the canvas size."""
    return client.tile_args(width, height, output, settings.model, settings.seed,
                            settings.scale, settings.lattice, settings.limits)


def stylize_args(settings: Settings, image: str, output: str,
                 mask: str | None = None) -> list[str]:
    """``texnet stylize``: IN's exact size; with ``mask`` only the selection is stylized."""
    return client.stylize_args(image, output, settings.model or "", settings.strength,
                               settings.seed, mask=mask)


def stylize_request(settings: Settings, image: str, output: str,
                    mask: str | None = None) -> dict:
    return client.stylize_request(image, output, settings.model or "", settings.strength,
                                  settings.seed, mask=mask)


def learn_args(image: str, mask: str, name: str, preset: str = "quick",
               iterations: int | None = None, exemplar_scale: float = 1.0) -> list[str]:
    return client.train_args(image, mask, client.model_name(name), preset, iterations,
                             title=name.strip(), exemplar_scale=exemplar_scale)


def progress_text(event: Event) -> str:
    return event.text


def new_seed(rng: random.Random | None = None) -> int:
    return (rng or random).randint(0, MAX_SEED)


def swap_red_blue(data: bytes, bytes_per_channel: int) -> bytes:
    """RGBA <-> BGRA for 4-channel pixels of 1 or 2 bytes per channel (Krita's 8- and 16-bit
    RGBA layers store B,G,R,A; Qt images store R,G,B,A or, for ARGB32, B,G,R,A in memory)."""
    step = 4 * bytes_per_channel
    if len(data) % step:
        raise ValueError(f"{len(data)} bytes is not a whole number of {step}-byte pixels")
    out = bytearray(data)
    for i in range(bytes_per_channel):
        red, blue = i, 2 * bytes_per_channel + i
        out[red::step], out[blue::step] = data[blue::step], data[red::step]
    return bytes(out)


def bytes_per_channel(depth: str) -> int | None:
    """Krita colour depth id -> bytes per channel the adapter moves directly (None: convert)."""
    return {"U8": 1, "U16": 2}.get(depth)
