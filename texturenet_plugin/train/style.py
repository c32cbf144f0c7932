"""Train a stylization model from a painting and a content folder into a ``.tnet`` (kind
"style") that the registry finds; load one back for :mod:`..synthesis.stylize`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .. import env
from ..errors import InputError
from ..nets.generator import Generator
from ..progress import Reporter
from ..synthesis.tile import to_uint8
from ..zoo.descriptor_weights import load_descriptor
from ..zoo.local import validate_name
from ..zoo.modelfile import ModelFile, save_model
from .checkpoint import checkpoint_path
from .loop import TrainState
from .style_loop import ContentPool, StyleConfig, image_tensor, stylize_batch, train_style
from .texture import ModelCard

PREVIEW_SIZE = 128


def preview(gen: Generator, pool: ContentPool) -> torch.Tensor:
    """(PREVIEW_SIZE, PREVIEW_SIZE, 3) uint8: the first validation image, stylized."""
    content = pool.validation(PREVIEW_SIZE, count=1).to(next(gen.parameters()).device)
    out = stylize_batch(gen, content)[0].cpu()
    return torch.from_numpy(to_uint8(out))


def build_style_model_file(state: TrainState, card: ModelCard, config: StyleConfig,
                           pool: ContentPool, content_source: str = "") -> ModelFile:
    gen = state.generator.eval().cpu()
    training = config.to_dict() | {
        "final_loss": float(np.mean(state.history[-20:])) if state.history else None,
        "seconds": round(state.seconds, 1),
        "completed_iterations": state.iteration,
        "content_images": len(pool.images),
        "content_source": content_source,
    }
    meta = {
        "name": card.name, "title": card.title or card.name, "license": card.license,
        "source": card.source, "descriptor": config.descriptor, "training": training,
        "preview": preview(gen, pool),
    }
    return ModelFile("style", gen.spec, gen.state_dict(), meta)


def trained_config(meta: dict) -> StyleConfig:
    """The settings a stylizer was trained with, from its model file's ``training`` metadata
    (what :func:`build_style_model_file` wrote; its results, such as ``final_loss``, and keys
    this version does not know are skipped)."""
    known = StyleConfig.__dataclass_fields__
    return StyleConfig(**{k: tuple(v) if isinstance(v, list) else v
                          for k, v in meta.get("training", {}).items() if k in known})


def train_style_model(style: str | Path, content_dir: str | Path, card: ModelCard,
                      config: StyleConfig, reporter: Reporter | None = None,
                      resume: bool = False, restart: bool = False, device="cpu",
                      output: Path | None = None) -> Path:
    """Train, save ``<user models>/<name>.tnet`` (or ``output``); returns the model's path.

    Checkpoints, ``log.csv`` and previews go to ``<data>/runs/<name>/``; a finished run removes
    its checkpoint and keeps the log and previews.
    """
    validate_name(card.name)
    config.validate()
    reporter = reporter or Reporter()
    image = image_tensor(style)
    pool = ContentPool.from_dir(content_dir, config.size)
    run_dir = env.runs_dir() / card.name
    if not resume and checkpoint_path(run_dir).exists():
        if not restart:
            raise InputError(
                f"a checkpoint of {card.name!r} exists in {run_dir}; pass --resume to continue "
                "it or --restart to discard it"
            )
        checkpoint_path(run_dir).unlink()
        (run_dir / "log.csv").unlink(missing_ok=True)
    reporter.report("load", 0, 1, f"descriptor {config.descriptor}")
    descriptor = load_descriptor(config.descriptor, pool=config.pool)
    state = train_style(image, pool, descriptor, config, run_dir, reporter, resume, device)
    path = output or env.user_models_dir() / f"{card.name}.tnet"
    save_model(build_style_model_file(state, card, config, pool, Path(content_dir).name), path)
    checkpoint_path(run_dir).unlink(missing_ok=True)
    return path
