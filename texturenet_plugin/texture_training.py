"""Train a texture model from an exemplar file into a ``.tnet`` the registry finds."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from . import config as paths
from .checkpoint import checkpoint_path
from .descriptors import load_descriptor
from .errors import InputError
from .images import read_rgb
from .modelfile import ModelFile, save_model
from .progress import Reporter
from .registry import validate_name
from .synthesis import sample_tile
from .training import TrainConfig, TrainState, train_texture

PREVIEW_SIZE = 128


@dataclass(frozen=True)
class ModelCard:
    """Metadata stored in the model file."""

    name: str
    title: str = ""
    license: str = "unknown"
    source: str = ""


def exemplar_tensor(path: str | Path) -> torch.Tensor:
    """(3, H, W) float in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(read_rgb(path))).permute(2, 0, 1)


def preview(gen, seed: int = 0) -> torch.Tensor:
    """(PREVIEW_SIZE, PREVIEW_SIZE, 3) uint8 sample, stored in the model's metadata."""
    return torch.from_numpy(sample_tile(gen, PREVIEW_SIZE, PREVIEW_SIZE, seed))


def build_model_file(state: TrainState, card: ModelCard, config: TrainConfig) -> ModelFile:
    gen = state.generator.eval().cpu()
    training = config.to_dict() | {
        "final_loss": float(np.mean(state.history[-20:])) if state.history else None,
        "seconds": round(state.seconds, 1),
        "completed_iterations": state.iteration,
    }
    meta = {
        "name": card.name, "title": card.title or card.name, "license": card.license,
        "source": card.source, "descriptor": config.descriptor, "training": training,
        "preview": preview(gen),
    }
    return ModelFile("texture", gen.spec, gen.state_dict(), meta)


def train_texture_model(
    exemplar: str | Path, card: ModelCard, config: TrainConfig,
    reporter: Reporter | None = None, resume: bool = False, device="cpu",
    output: Path | None = None, restart: bool = False,
) -> Path:
    """Train, save ``<user models>/<name>.tnet`` (or ``output``); returns the model's path.

    Checkpoints go to ``<data>/runs/<name>/``; a finished run removes its checkpoint folder.
    """
    validate_name(card.name)
    reporter = reporter or Reporter()
    image = exemplar_tensor(exemplar)
    reporter.report("load", 0, 1, f"descriptor {config.descriptor}")
    descriptor = load_descriptor(config.descriptor, pool=config.pool)
    run_dir = paths.runs_dir() / card.name
    if not resume and checkpoint_path(run_dir).exists():
        if not restart:
            raise InputError(
                f"a checkpoint of {card.name!r} exists in {run_dir}; pass --resume to continue "
                "it or --restart to discard it"
            )
        shutil.rmtree(run_dir)
    state = train_texture(image, descriptor, config, run_dir, reporter, resume, device)
    path = output or paths.user_models_dir() / f"{card.name}.tnet"
    save_model(build_model_file(state, card, config), path)
    shutil.rmtree(run_dir, ignore_errors=True)
    return path
