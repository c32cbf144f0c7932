"""Train a texture model from an exemplar file into a ``.tnet`` the registry finds."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from .. import env
from ..errors import InputError
from ..io.images import read_rgb
from ..nets.generator import GeneratorSpec
from ..nets.thin import thin_finest
from ..progress import Reporter
from ..synthesis.tile import sample_tile
from ..zoo.descriptor_weights import load_descriptor
from ..zoo.local import validate_name
from ..zoo.modelfile import ModelFile, save_model
from .checkpoint import LEGACY_FINISH, checkpoint_path, fingerprint, saved_config
from .config import TrainConfig
from .loop import (
    TrainState,
    check_exemplar,
    exemplar_border,
    exemplar_factor,
    exemplar_note,
    new_state,
    texture_spec,
    train_texture,
)
from .region import Region, read_region

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


def exemplar_meta(image: torch.Tensor, config: TrainConfig, region: Region | None) -> dict:
    """What the model file records about its exemplar: size, the scale learnt at, how its
    border was continued (:mod:`.border`) and, for a selection, its bounding box in the source
    image and how many pixels it selects."""
    height, width = image.shape[-2:]
    meta = {"size": [width, height], "learnt_scale": exemplar_factor(height, width, config),
            "border": exemplar_border(image, config)}
    if region is not None:
        meta |= {"box": list(region.box), "selected_pixels": region.selected_pixels}
    return meta


def build_model_file(state: TrainState, card: ModelCard, config: TrainConfig,
                     exemplar: dict | None = None, init: ModelFile | None = None) -> ModelFile:
    """The trained model; with ``init`` (``--init``) its training records the model it
    continued (name and training, so the compute of every stage stays on record)."""
    gen = state.generator.eval().cpu()
    training = config.to_dict() | {
        "final_loss": float(np.mean(state.history[-20:])) if state.history else None,
        "seconds": round(state.seconds, 1),
        "completed_iterations": state.iteration,
    }
    if init is not None:
        training["init"] = {"name": init.name, "training": init.meta.get("training", {})}
    meta = {
        "name": card.name, "title": card.title or card.name, "license": card.license,
        "source": card.source, "descriptor": config.descriptor, "training": training,
        "preview": preview(gen),
    }
    if exemplar is not None:
        meta["exemplar"] = exemplar
    return ModelFile("texture", gen.spec, gen.state_dict(), meta)


def init_state(model: ModelFile, config: TrainConfig) -> Callable:
    """``make_state`` for a run that starts from ``model``'s weights (``--init``). Refuses a
    model the run's settings would not rebuild (architecture, or the element size it learnt).
    A ``finest_inner`` narrower than the model's prunes it (:mod:`..nets.thin`): the `cpu`
    and `quick` presets' 32 does that to a full-width model; the CLI passes the model's own
    inner width unless ``--finest-inner`` is given."""
    learnt = model.meta.get("training", {}).get("exemplar_scale", config.exemplar_scale)
    if model.kind != "texture":
        raise InputError(f"--init {model.name!r} is a {model.kind} model, not a texture model")
    if learnt != config.exemplar_scale:
        raise InputError(f"--init {model.name!r} learnt at --exemplar-scale {learnt:g}; pass "
                         f"--exemplar-scale {learnt:g} to continue it (this run: "
                         f"{config.exemplar_scale:g})")

    spec = texture_spec(config)
    thinned = _thins(model.spec, spec)
    if model.spec != spec and not thinned:
        raise InputError(f"--init {model.name!r} is not the generator this training builds "
                         f"({model.spec} vs {spec})")

    def make(config: TrainConfig, device: torch.device) -> TrainState:
        state = new_state(config, device)
        weights = (thin_finest(model.build(), spec.finest_inner).state_dict() if thinned
                   else model.state_dict)
        state.generator.load_state_dict(weights)
        state.inputs["init"] = fingerprint(*model.state_dict.values())
        return state

    return make


def _thins(init: GeneratorSpec, target: GeneratorSpec) -> bool:
    """Whether ``target`` is ``init`` with a narrower finest mixer (a pruning, nets/thin.py)."""
    narrower = 0 < target.finest_inner < init.finest_inner_width
    return narrower and replace(init, finest_inner=target.finest_inner) == target


# The schedule a run keeps when resumed from a checkpoint written before the finish stage
# existed (session 7): the old presets' rate schedule, and no finish stage.
SCHEDULE = ("iterations", "lr_decay_start", "lr_decay_every", "lr_decay")


def resumed_config(run_dir: Path, config: TrainConfig) -> TrainConfig:
    """The settings to resume ``run_dir``'s checkpoint with: ``config``, except for
    checkpoints of older versions, which resume as they were made. One from before
    ``exemplar_scale`` learnt its exemplar under its own ``exemplar_max_side`` (256); one from
    before the finish stage keeps its own rate schedule and length, without a finish stage;
    one from before ``finest_inner`` (session 15) has the full-width finest mixer."""
    saved = saved_config(run_dir)
    if not saved:
        return config
    if "finest_inner" not in saved:
        config = replace(config, finest_inner=0)
    if "exemplar_scale" not in saved and "exemplar_max_side" in saved:
        config = replace(config, exemplar_max_side=int(saved["exemplar_max_side"]))
    if "finish_iterations" not in saved and all(key in saved for key in SCHEDULE):
        config = replace(config, **LEGACY_FINISH, **{key: saved[key] for key in SCHEDULE})
    return config


def _run_dir(name: str, resume: bool, restart: bool) -> Path:
    """``<data>/runs/<name>/``; refuses to overwrite an existing checkpoint unasked."""
    run_dir = env.runs_dir() / name
    if not resume and checkpoint_path(run_dir).exists():
        if not restart:
            raise InputError(
                f"a checkpoint of {name!r} exists in {run_dir}; pass --resume to continue "
                "it or --restart to discard it"
            )
        shutil.rmtree(run_dir)
    return run_dir


def train_texture_model(
    exemplar: str | Path, card: ModelCard, config: TrainConfig,
    reporter: Reporter | None = None, resume: bool = False, device="cpu",
    output: Path | None = None, restart: bool = False, mask: str | Path | None = None,
    notes: Callable[[str], None] | None = None, init: ModelFile | None = None,
) -> Path:
    """Train, save ``<user models>/<name>.tnet`` (or ``output``); returns the model's path.

    ``mask``: a selection image of the exemplar's size (white = selected): the model learns
    from the selected pixels only (:mod:`.region`). ``notes`` receives what a user should
    read even without a progress display (an exemplar downscaled to the size cap). ``init``:
    start from this model's weights (refine it, e.g. on larger samples); a resumed run
    continues its checkpoint instead, which must have been made from the same model.
    Checkpoints go to ``<data>/runs/<name>/``; a finished run removes its checkpoint folder.
    """
    validate_name(card.name)
    reporter = reporter or Reporter()
    region = read_region(exemplar, mask) if mask is not None else None
    image = region.image if region else exemplar_tensor(exemplar)
    run_dir = _run_dir(card.name, resume, restart)
    config = resumed_config(run_dir, config) if resume else config
    check_exemplar(image, config, region.mask if region else None)
    # On --resume the checkpoint's weights replace the init model's, which still identifies
    # the run (a checkpoint of another init is refused: checkpoint.load_checkpoint).
    make_state = init_state(init, config) if init is not None else None
    note = exemplar_note(*image.shape[-2:], config, "selection" if region else "exemplar")
    reporter.report("load", 0, 1, note)
    if notes and exemplar_factor(*image.shape[-2:], config) != config.exemplar_scale:
        notes(note)
    reporter.report("load", 0, 1, f"descriptor {config.descriptor}")
    descriptor = load_descriptor(config.descriptor, pool=config.pool)
    state = train_texture(image, descriptor, config, run_dir, reporter, resume, device,
                          mask=region.mask if region else None, make_state=make_state)
    path = output or env.user_models_dir() / f"{card.name}.tnet"
    save_model(build_model_file(state, card, config, exemplar_meta(image, config, region), init),
               path)
    shutil.rmtree(run_dir, ignore_errors=True)
    return path
