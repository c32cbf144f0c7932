"""Training checkpoints: ``run_dir/checkpoint.pt``, written atomically, read weights-only."""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch

from ..errors import InputError, ModelError
from ..io.atomic import atomic_file

CHECKPOINT = "checkpoint.pt"
# Settings that may change between a run and its resumption without invalidating it (the
# descriptor's compute type: "auto" differs between machines, and bfloat16 moves the loss ~0.1 %).
RESUMABLE_CHANGES = {"iterations", "checkpoint_every", "precision"}
# Settings added after checkpoints existed: a checkpoint without one was made with this value.
# Before the finish stage (session 7) a run had none; size and rate are then never used.
LEGACY_FINISH = {"finish_iterations": 0, "finish_size": 256, "finish_lr": 0.002}
# width: session 9; exemplar_border: session 10; finest_inner: session 15.
LEGACY_DEFAULTS = {"exemplar_scale": 1.0, "width": 8, "exemplar_border": "zero",
                   "palette_weight": 0.0, "finest_inner": 0, **LEGACY_FINISH}


def fingerprint(*tensors: torch.Tensor | None) -> str:
    """A short digest of tensors' values (None counts as absent): what a run learns from,
    recorded in its checkpoint so that --resume cannot continue it from other inputs."""
    digest = hashlib.sha256()
    for tensor in tensors:
        digest.update(b"none" if tensor is None
                      else tensor.detach().cpu().float().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def checkpoint_path(run_dir: Path) -> Path:
    return Path(run_dir) / CHECKPOINT


def save_checkpoint(run_dir: Path, state, config) -> Path:
    path = checkpoint_path(run_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "iteration": state.iteration,
        "generator": state.generator.state_dict(),
        "optimizer": state.optimizer.state_dict(),
        "rng": state.rng.get_state(),
        "history": list(state.history),
        "seconds": state.seconds,
        "config": config.to_dict(),
        "inputs": dict(state.inputs),
    }
    with atomic_file(path) as handle:
        torch.save(payload, handle)
    return path


def load_checkpoint(run_dir: Path, state, config) -> None:
    """Restore ``state`` in place; refuse a checkpoint made with different settings."""
    path = checkpoint_path(run_dir)
    if not path.is_file():
        raise InputError(f"--resume: no checkpoint at {path}; start without --resume")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ModelError(f"checkpoint {path} is unreadable ({exc}); delete it to start over") from exc
    _check_compatible(payload["config"], config.to_dict(), path)
    _check_same_inputs(payload.get("inputs", {}), state.inputs, path)
    state.generator.load_state_dict(payload["generator"])
    state.optimizer.load_state_dict(payload["optimizer"])
    state.rng.set_state(payload["rng"])
    state.iteration = int(payload["iteration"])
    state.history = list(payload["history"])
    state.seconds = float(payload.get("seconds", 0.0))


def saved_config(run_dir: Path) -> dict | None:
    """The settings dict of ``run_dir``'s checkpoint, or None when there is none readable
    (:func:`load_checkpoint` then says why)."""
    try:
        return dict(torch.load(checkpoint_path(run_dir), map_location="cpu",
                               weights_only=True)["config"])
    except Exception:
        return None


def _check_compatible(saved: dict, current: dict, path: Path) -> None:
    for key, value in current.items():
        made_with = saved.get(key, LEGACY_DEFAULTS.get(key))
        if key in RESUMABLE_CHANGES or made_with == value:
            continue
        raise InputError(
            f"--resume: checkpoint {path} was made with {key}={made_with!r}, "
            f"now {key}={value!r}; use the same settings or start a new run"
        )


# What a changed input is called in --resume's refusal.
INPUT_NAMES = {"exemplar": "exemplar (or selection)", "init": "--init model"}


def _check_same_inputs(saved: dict, current: dict, path: Path) -> None:
    """Refuse a checkpoint made from another exemplar or --init model, or without the --init
    model now given (checkpoints from before session 11 recorded none: nothing to compare).
    Resuming without --init a run that had one is fine: the checkpoint holds its weights."""
    for key, value in current.items():
        if saved and saved.get(key) != value:
            raise InputError(
                f"--resume: checkpoint {path} was made from another {INPUT_NAMES.get(key, key)}; "
                "give the same one, or start over with --restart (or another --name)"
            )
