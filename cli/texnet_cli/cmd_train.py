"""``texnet train texture``: train a generator from one exemplar."""

from __future__ import annotations

from pathlib import Path

import click

from texturenet_plugin.limits import EXEMPLAR_MAX_SIDE, EXEMPLAR_SCALE_RANGE

from .app import App, common_options
from .engine_source import config_presets, dict_keys, literal

TRAINING = "texturenet_plugin.train.config"
DESCRIPTORS = dict_keys("texturenet_plugin.zoo.descriptor_weights", "DESCRIPTORS")
LOSSES = literal(TRAINING, "LOSSES")
BORDERS = literal(TRAINING, "BORDERS")
TRAIN_PRECISIONS = literal(TRAINING, "TRAIN_PRECISIONS")
INIT_PRESETS = literal(TRAINING, "INIT_PRESETS")
SCALE_LOW, SCALE_HIGH = EXEMPLAR_SCALE_RANGE
MAX_SIDE = EXEMPLAR_MAX_SIDE
SHOWN = ("iterations", "batch_size", "size", "lr", "descriptor", "color_weight", "range_weight",
         "loss", "finish_iterations", "finish_size", "finest_inner")
PRESETS = config_presets(TRAINING, "PRESETS", SHOWN)
# Cost scale: a batch of 4 128² samples (vgg16) took 0.96 s per iteration on 2 idle cores of
# the development machine (docs/training-notes.md, session 7; 4.26 s for 256², 4.4× the
# pixels); other sizes are scaled by their sample pixels per iteration, a rough guide only.
SECONDS_PER_SAMPLE_PIXEL = 0.96 / (4 * 128 * 128)
DEFAULT_PRESET = "cpu"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _first_stage(p: dict) -> int:
    """Iterations of a preset before its finish stage (all of them when it has none)."""
    return p["iterations"] - p["finish_iterations"]


def preset_cost(p: dict) -> float:
    """Rough seconds of a preset on 2 CPU cores: its sample pixels × the measured scale."""
    pixels = _first_stage(p) * p["size"] ** 2 + p["finish_iterations"] * p["finish_size"] ** 2
    return pixels * p["batch_size"] * SECONDS_PER_SAMPLE_PIXEL


def _stages(p: dict) -> str:
    text = f"{_first_stage(p)} iterations, batch {p['batch_size']} of {p['size']}x{p['size']}"
    if p["finish_iterations"]:
        text += f" then {p['finish_iterations']} of {p['finish_size']}x{p['finish_size']}"
    return text


def presets_epilog() -> str:
    """The preset table of `texnet train texture --help`, from training.PRESETS."""
    lines = ["Presets (values from texturenet_plugin/train/config.py; cost: a rough estimate "
             "for 2 CPU cores, scaled from a measured 0.96 s per iteration of 4 128² "
             "samples; a GPU is far faster):", "", "\b"]
    for name, p in PRESETS.items():
        extra = f", colour term {p['color_weight']:g}" if p["color_weight"] else ""
        extra += f", loss {p['loss']}" if p["loss"] != "gram" else ""
        extra += f", finest mixer {p['finest_inner']} wide" if p.get("finest_inner") else ""
        extra += ", continues the --init model" if name in INIT_PRESETS else ""
        label = f"{name} (default)" if name == DEFAULT_PRESET else name
        lines.append(f"  {label:<13} {_stages(p)}, lr {p['lr']:g}, {p['descriptor']}{extra}: "
                     f"~{_duration(preset_cost(p))}")
    return "\n".join(lines)


@click.group("train")
def train():
    """Train texture or style generators."""


@train.command("texture", epilog=presets_epilog())
@click.argument("exemplar", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="Model name (lower-case, digits, '-', '_').")
@click.option("--preset", "preset_name", type=click.Choice(sorted(PRESETS)), default=DEFAULT_PRESET,
              show_default=True, help="Training schedule: its settings and cost are listed below.")
@click.option("--descriptor", type=click.Choice(sorted(DESCRIPTORS)),
              help="Descriptor network [default: the preset's].")
@click.option("--iterations", type=click.IntRange(1),
              help="Override the preset's iterations (all stages together; a finish "
                   "stage keeps its share).")
@click.option("--finish-iterations", type=click.IntRange(0),
              help="Iterations of the last stage, on larger samples (0: none) "
                   "[default: the preset's].")
@click.option("--batch-size", type=click.IntRange(1), help="Override the preset's batch size.")
@click.option("--size", type=click.IntRange(32, 2048), help="Override the training sample side.")
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), help="Override the rate.")
@click.option("--width", type=click.IntRange(2, 64),
              help="Channels the generator adds per scale: 8 is the paper's; fewer samples "
                   "faster (5: 1.6x on a CPU) [default: the preset's].")
@click.option("--finest-inner", type=click.IntRange(0, 512), metavar="N",
              help="Inner channels of the finest scale's mixer, where most of a sample's "
                   "time goes (0: its full width, width x scales): 32 at width 8 samples "
                   "~1.4x faster in float32. Narrower than the --init model's: prunes it, "
                   "then trains on (use --preset refine) [default: the preset's, or the "
                   "--init model's].")
@click.option("--checkpoint-every", type=click.IntRange(1), help="Iterations between checkpoints.")
@click.option("--color-weight", type=click.FloatRange(min=0),
              help="Weight of the colour-histogram term (0: the paper's loss alone) "
                   "[default: the preset's].")
@click.option("--range-weight", type=click.FloatRange(min=0),
              help="Weight of the colour-range term that keeps pixels within the exemplar's "
                   "colour range (stops glowing specks; 0: off) [default: the preset's].")
@click.option("--palette-weight", type=click.FloatRange(min=0),
              help="Weight of the palette term that penalises each pixel of a colour the "
                   "exemplar does not have (off-palette specks; 0: off) [default: the "
                   "preset's].")
@click.option("--loss", type=click.Choice(LOSSES),
              help="Texture term: the paper's Gram loss, sliced Wasserstein (whole feature "
                   "distributions) or both [default: the preset's].")
@click.option("--seed", type=int, help="Training seed [default: the preset's].")
@click.option("--mask", type=click.Path(dir_okay=False, path_type=Path),
              help="Learn from the selected pixels only: a mask of EXEMPLAR's size, white = "
                   "selected (grey or colour image, alpha multiplies). The exemplar is the "
                   "selection's bounding box; at least 64x64 px of solid selection.")
@click.option("--exemplar-scale", type=click.FloatRange(SCALE_LOW, SCALE_HIGH), metavar="S",
              help="Texture element size the model learns, relative to the exemplar: 1 = "
                   "its own pixel scale, 2 = elements twice as large [default: 1]. Exemplars "
                   f"whose longer side would exceed {MAX_SIDE} px are downscaled to it "
                   "(memory and time); training says so.")
@click.option("--exemplar-border", type=click.Choice(BORDERS),
              help="What the descriptor sees beyond the exemplar's edges: auto wraps a "
                   "seamless (tileable) exemplar and mirrors any other, so no flat border "
                   "enters its statistics (matters most for small tiles); zero is VGG's own "
                   "padding [default: the preset's].")
@click.option("--precision", type=click.Choice(TRAIN_PRECISIONS),
              help="Compute type of the descriptor: bfloat16 is ~1.4x faster per step on CPUs "
                   "with AVX512-BF16 (auto picks it where native) at a ~0.1% loss difference "
                   "[default: float32].")
@click.option("--init", "init_ref", metavar="MODEL",
              help="Start from this texture model's weights (a name or a .tnet file) instead "
                   "of from scratch: with --preset refine, continue it on larger samples. "
                   "Give the EXEMPLAR (and --exemplar-scale) it was trained on.")
@click.option("--resume", is_flag=True, help="Continue from the last checkpoint of NAME.")
@click.option("--restart", is_flag=True, help="Discard an existing checkpoint of NAME.")
@click.option("--title", default="", help="Human-readable title for the model card.")
@click.option("--license", "license_", default="unknown", show_default=True,
              help="License of the exemplar (stored in the model).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the .tnet here instead of the user models folder.")
@common_options
def train_texture_cmd(app: App, exemplar, name, preset_name, descriptor, iterations,
                      finish_iterations, batch_size, size, lr, width, finest_inner,
                      checkpoint_every,
                      color_weight, range_weight, palette_weight, loss, seed, mask,
                      exemplar_scale, exemplar_border, precision, init_ref, resume, restart,
                      title, license_, output):
    """Train a texture generator from EXEMPLAR (Ctrl-C saves a checkpoint; --resume continues)."""
    from texturenet_plugin.budget import check_training
    from texturenet_plugin.device import resolve_device
    from texturenet_plugin.train.config import preset
    from texturenet_plugin.train.texture import ModelCard, train_texture_model
    from texturenet_plugin.zoo.local import load as load_model

    if preset_name in INIT_PRESETS and init_ref is None:
        raise click.UsageError(f"--preset {preset_name} continues a model: give it with --init")
    init = load_model(init_ref) if init_ref is not None else None
    if init is not None and width is None:
        width = init.spec.channels_step  # a refine stage keeps the model's width
    if init is not None and finest_inner is None:
        finest_inner = init.spec.finest_inner
    config = preset(preset_name, descriptor=descriptor, iterations=iterations,
                    finish_iterations=finish_iterations, batch_size=batch_size, size=size,
                    lr=lr, width=width, finest_inner=finest_inner,
                    checkpoint_every=checkpoint_every,
                    color_weight=color_weight, range_weight=range_weight,
                    palette_weight=palette_weight, loss=loss, seed=seed,
                    exemplar_scale=exemplar_scale, exemplar_border=exemplar_border,
                    precision=precision).validate()
    largest = max(config.size, config.size_at(config.iterations - 1))
    check_training(config.batch_size, largest)  # against memory, before any allocation
    card = ModelCard(name=name, title=title, license=license_, source=exemplar.name)
    path = train_texture_model(exemplar, card, config, app.reporter(), resume=resume,
                               device=resolve_device(app.device), output=output, restart=restart,
                               mask=mask, notes=lambda note: app.info(f"note: {note}"), init=init)
    app.result(path)


# `texnet train style` lives in its own module.
from .cmd_train_style import train_style  # noqa: E402

train.add_command(train_style)
