"""``texnet optimize``: texture synthesis by optimisation (Gatys et al.), no training needed."""

from __future__ import annotations

import csv
from pathlib import Path

import click

from .app import App, common_options
from .engine_source import dict_keys
from .options import SIZE

DESCRIPTORS = dict_keys("texturenet_plugin.zoo.descriptor_weights", "DESCRIPTORS")


@click.command("optimize")
@click.argument("exemplar", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--size", type=SIZE, default="256x256", show_default=True)
@click.option("--seconds", type=click.FloatRange(min=0, min_open=True), default=30.0,
              show_default=True, help="Wall-time budget.")
@click.option("--steps", type=click.IntRange(1), default=100_000, show_default=True,
              help="Stop after this many L-BFGS steps if the time budget lasts longer.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--descriptor", type=click.Choice(sorted(DESCRIPTORS)), default="vgg16",
              show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--circular/--no-circular", default=True, show_default=True,
              help="Pad the descriptor circularly so the result tiles seamlessly.")
@click.option("--log", "log_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the loss-vs-time curve here (CSV: seconds,loss).")
@common_options
def optimize(app: App, exemplar, size, seconds, steps, output, descriptor, seed, circular, log_path):
    """Synthesize a texture like EXEMPLAR by L-BFGS on the descriptor's Gram statistics.

    Slow (seconds to minutes) but needs no trained model; the reference that texture networks
    are measured against (paper Fig. 6).
    """
    from texturenet_plugin.device import resolve_device
    from texturenet_plugin.io.images import check_output, write_rgb
    from texturenet_plugin.synthesis.optimize import optimize_texture
    from texturenet_plugin.synthesis.tile import to_uint8
    from texturenet_plugin.train.config import TrainConfig
    from texturenet_plugin.train.loop import exemplar_grams
    from texturenet_plugin.train.texture import exemplar_tensor
    from texturenet_plugin.zoo.descriptor_weights import load_descriptor

    check_output(output, (exemplar,))
    width, height = size
    device = resolve_device(app.device)
    net = load_descriptor(descriptor).to(device)
    config = TrainConfig(descriptor=descriptor)
    grams = exemplar_grams(net, exemplar_tensor(exemplar).to(device), config)
    result = optimize_texture(net, grams, height, width, seconds, seed=seed, circular=circular,
                              layers=config.layers, reporter=app.reporter(),
                              max_iterations=steps)
    write_rgb(to_uint8(result.image), output)
    if log_path:
        with open(log_path, "w", newline="") as f:
            csv.writer(f).writerows([("seconds", "loss"), *result.curve])
    app.result(output)
