"""Data-parallel texture training with ``torch.distributed`` (torchrun, or local processes).

Each process draws its own noise (its RNG is seeded with ``seed + rank``), runs the ordinary
:func:`.loop.train_step` on a generator wrapped in ``DistributedDataParallel`` and DDP
averages the gradients, so every process takes the same Adam step. The global batch is
``config.batch_size`` split across processes, so a preset's hyper-parameters keep their meaning.

Departure, named here: BatchNorm statistics are per process (as in plain DDP), not
synchronised; ``calibrate_batchnorm`` recomputes exact statistics at the end anyway.

With torchrun (env:// rendezvous: torchrun sets RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT),
through the CLI's entry point :mod:`texnet_cli.torchrun`::

    torchrun --nproc-per-node 2 -m texnet_cli.torchrun EXEMPLAR.png RUN_DIR
    torchrun --nproc-per-node 2 -m texnet_cli.torchrun stylize MODEL IN_DIR OUT_DIR
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from ..errors import InputError
from ..nets.descriptor import Descriptor
from ..progress import Reporter
from .checkpoint import save_checkpoint
from .config import TrainConfig
from .loop import (
    TrainState,
    calibrate_batchnorm,
    exemplar_grams,
    new_state,
    step_targets,
    train_step,
)


def shard(items, rank: int | None = None, world: int | None = None) -> list:
    """This process's share of a batch job (e.g. the images of a folder to stylize): sorted,
    then every ``world``-th item from ``rank`` on, so shares are disjoint and together complete.
    ``rank``/``world`` default to the current process group (or 0/1 without one)."""
    if rank is None or world is None:
        ready = dist.is_available() and dist.is_initialized()
        rank, world = (dist.get_rank(), dist.get_world_size()) if ready else (0, 1)
    if not 0 <= rank < world:
        raise InputError(f"rank {rank} is outside 0..{world - 1}")
    return sorted(items)[rank::world]


def local_config(config: TrainConfig, world: int) -> TrainConfig:
    """This process's share of the global batch."""
    if config.batch_size % world:
        raise InputError(f"batch_size {config.batch_size} does not split over {world} "
                         "processes; use a multiple of the process count")
    return replace(config, batch_size=config.batch_size // world)


def ddp_state(config: TrainConfig, device: torch.device) -> TrainState:
    """A fresh :class:`TrainState` whose generator is wrapped in DDP (same init everywhere:
    DDP broadcasts rank 0's weights), with a per-rank noise RNG."""
    state = new_state(config, device)
    state.generator = DistributedDataParallel(state.generator)
    state.rng = torch.Generator().manual_seed(config.seed + dist.get_rank())
    return state


def ddp_train_step(state: TrainState, descriptor: Descriptor, grams, config: TrainConfig,
                   **targets) -> float:
    """One synchronised step (``config`` is the per-process one); the mean loss over ranks.
    ``targets``: loop.train_step's keywords, from :func:`.loop.step_targets`."""
    loss = torch.tensor(train_step(state, descriptor, grams, config, **targets),
                        dtype=torch.float64)
    dist.all_reduce(loss)
    return float(loss) / dist.get_world_size()


def unwrapped(state: TrainState) -> TrainState:
    """The same state with the plain generator (what checkpoints and model files expect)."""
    return replace(state, generator=state.generator.module)


def train_distributed(exemplar: torch.Tensor, descriptor: Descriptor, config: TrainConfig,
                      run_dir: Path, device: torch.device | str = "cpu") -> TrainState:
    """Train in the current process group; rank 0 writes checkpoints. Returns the unwrapped,
    calibrated state on every rank. ``exemplar``: (3, H, W) in [0, 1]."""
    config.validate()
    device = torch.device(device)
    mine = local_config(config, dist.get_world_size())
    descriptor = descriptor.to(device)
    grams = exemplar_grams(descriptor, exemplar.to(device), config)
    # the same targets as the single-process loop (before session 13 only the colour term
    # reached a distributed run: range, sliced-Wasserstein and palette settings were ignored)
    targets = step_targets(descriptor, exemplar.to(device), config)
    state = ddp_state(config, device)
    while state.iteration < config.iterations:
        start = time.perf_counter()
        state.history.append(ddp_train_step(state, descriptor, grams, mine, **targets))
        state.seconds += time.perf_counter() - start
        if dist.get_rank() == 0 and state.iteration % config.checkpoint_every == 0:
            save_checkpoint(run_dir, unwrapped(state), config)
    plain = unwrapped(state)
    calibrate_batchnorm(plain.generator, config, device)
    if dist.get_rank() == 0:
        save_checkpoint(run_dir, plain, config)
    return plain


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp")


def stylize_folder(gen, inputs: Path, out_dir: Path, options=None,
                   reporter: Reporter | None = None) -> list[Path]:
    """Stylize this process's :func:`shard` of the images in ``inputs`` into ``out_dir`` (same
    file names); the processes of a group together cover the folder once. Returns the outputs."""
    from ..synthesis.stylize import stylize_file  # local import: training needs none of it

    reporter = reporter or Reporter()
    files = sorted(str(p) for p in Path(inputs).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    mine, written = shard(files), []
    for i, path in enumerate(mine):
        reporter.report("synthesize", i, len(mine), Path(path).name)
        written.append(Path(stylize_file(gen, path, Path(out_dir) / Path(path).name, options)))
    reporter.report("synthesize", len(mine), len(mine), "done")
    return written

