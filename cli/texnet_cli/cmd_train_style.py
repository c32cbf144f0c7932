"""``texnet train style``: train a stylization generator for one painting."""

from __future__ import annotations

from pathlib import Path

import click

from texturenet_plugin.limits import NORMS

from .app import App, common_options
from .engine_source import dict_keys, literal

DESCRIPTORS = dict_keys("texturenet_plugin.zoo.descriptor_weights", "DESCRIPTORS")
STYLE_PRESETS = dict_keys("texturenet_plugin.train.style_loop", "STYLE_PRESETS")
TRAIN_PRECISIONS = literal("texturenet_plugin.train.config", "TRAIN_PRECISIONS")


@click.command("style")
@click.argument("style", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--content", "content_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder of natural images; random crops of them are the content.")
@click.option("--name", required=True, help="Model name (lower-case, digits, '-', '_').")
@click.option("--content-weight", type=click.FloatRange(min=0),
              help="α, the content loss weight [default: the preset's].")
@click.option("--style-size", type=click.IntRange(32, 4096),
              help="Side the painting is scaled to (smaller = larger strokes) [default: the "
                   "preset's].")
@click.option("--color-weight", type=click.FloatRange(min=0),
              help="Weight of the colour-histogram term that keeps the painting's palette "
                   "(0: off) [default: the preset's].")
@click.option("--preset", "preset_name", type=click.Choice(sorted(STYLE_PRESETS)), default="cpu",
              show_default=True,
              help="Training schedule: cpu (2000 iterations of 4 crops of 128², ~15-21 min on "
                   "2 cores), quick (400 iterations, ~3-4 min), paper (the paper's, hours on a "
                   "CPU); see docs/stylization.md.")
@click.option("--norm", type=click.Choice(NORMS), help="Normalization [default: the preset's].")
@click.option("--descriptor", type=click.Choice(sorted(DESCRIPTORS)),
              help="Descriptor network [default: the preset's].")
@click.option("--iterations", type=click.IntRange(1), help="Override the preset's iterations.")
@click.option("--batch-size", type=click.IntRange(1), help="Override the preset's batch size.")
@click.option("--size", type=click.IntRange(32, 2048), help="Override the content crop side.")
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), help="Override the rate.")
@click.option("--preview-every", type=click.IntRange(1), help="Iterations between previews.")
@click.option("--seed", type=int, help="Training seed [default: the preset's].")
@click.option("--precision", type=click.Choice(TRAIN_PRECISIONS),
              help="Compute type of the descriptor: bfloat16 is faster per step on CPUs with "
                   "AVX512-BF16 (auto picks it where native); see docs/stylization.md "
                   "[default: the preset's: auto for cpu and quick].")
@click.option("--resume", is_flag=True, help="Continue from the last checkpoint of NAME.")
@click.option("--restart", is_flag=True, help="Discard an existing checkpoint of NAME.")
@click.option("--title", default="", help="Human-readable title for the model card.")
@click.option("--license", "license_", default="unknown", show_default=True,
              help="License of the painting (stored in the model).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the .tnet here instead of the user models folder.")
@common_options
def train_style(app: App, style, content_dir, name, content_weight, style_size, color_weight,
                preset_name, norm, descriptor, iterations, batch_size, size, lr, preview_every,
                seed, precision, resume, restart, title, license_, output):
    """Train a stylizer for the painting STYLE (Ctrl-C saves a checkpoint; --resume continues)."""
    from texturenet_plugin.budget import check_style_size, check_training
    from texturenet_plugin.device import resolve_device
    from texturenet_plugin.train.style import train_style_model
    from texturenet_plugin.train.style_loop import style_preset
    from texturenet_plugin.train.texture import ModelCard

    if resume and restart:
        raise click.UsageError("--resume and --restart exclude each other")
    config = style_preset(
        preset_name, content_weight=content_weight, exemplar_max_side=style_size, norm=norm,
        descriptor=descriptor, iterations=iterations, batch_size=batch_size, size=size, lr=lr,
        preview_every=preview_every, seed=seed, color_weight=color_weight, precision=precision,
    ).validate()
    check_training(config.batch_size, config.size, "style training")  # before any allocation
    check_style_size(config.exemplar_max_side)
    card = ModelCard(name=name, title=title, license=license_, source=style.name)
    path = train_style_model(style, content_dir, card, config, app.reporter(), resume=resume,
                             restart=restart, device=resolve_device(app.device), output=output)
    app.result(path)
