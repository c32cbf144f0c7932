from __future__ import annotations

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from texturenet_plugin.train.config import TrainConfig
from texturenet_plugin.train.distributed import ddp_state, ddp_train_step, local_config
from texturenet_plugin.train.loop import exemplar_grams
from texturenet_plugin.zoo.descriptor_weights import load_descriptor

TINY = TrainConfig(iterations=2, batch_size=2, size=16, lr=0.05, descriptor="random", scales=3,
                   layers=("relu1_1", "relu2_1"))


def _worker(rank: int, world: int, init_file: str, out_dir: str) -> None:
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank,
                            world_size=world)
    try:
        descriptor = load_descriptor("random")
        exemplar = torch.linspace(0, 1, 3 * 16 * 16).reshape(3, 16, 16)
        grams = exemplar_grams(descriptor, exemplar, TINY)
        state = ddp_state(TINY, torch.device("cpu"))
        initial = {k: v.clone() for k, v in state.generator.module.state_dict().items()}
        losses = [ddp_train_step(state, descriptor, grams, local_config(TINY, world))
                  for _ in range(TINY.iterations)]
        torch.save({"initial": initial, "final": state.generator.module.state_dict(),
                    "losses": losses, "noise_state": state.rng.get_state()},
                   f"{out_dir}/rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def test_two_process_gloo_training_step_keeps_ranks_in_sync(tmp_path):
    mp.spawn(_worker, args=(2, str(tmp_path / "init"), str(tmp_path)), nprocs=2, join=True)
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in range(2)]
    # every rank drew different noise ...
    assert not torch.equal(ranks[0]["noise_state"], ranks[1]["noise_state"])
    # ... yet all-reduced gradients make every rank take the same steps
    weight = "branches.0.0.weight"
    assert not torch.equal(ranks[0]["initial"][weight], ranks[0]["final"][weight])
    for name, tensor in ranks[0]["final"].items():
        if name.endswith(("weight", "bias")):
            assert torch.allclose(tensor, ranks[1]["final"][name], atol=1e-6), name
    assert ranks[0]["losses"] == ranks[1]["losses"]  # the all-reduced mean


def test_shards_are_disjoint_and_complete():
    from texturenet_plugin.train.distributed import shard

    items = [f"img{i}.png" for i in range(7)]
    parts = [shard(items, r, 3) for r in range(3)]
    assert sorted(sum(parts, [])) == sorted(items)
    assert all(len(p) in (2, 3) for p in parts)
    assert shard(items) == sorted(items)  # no process group: everything


def _stylize_worker(rank: int, world: int, init_file: str, folder: str) -> None:
    from pathlib import Path

    from texturenet_plugin.nets.generator import Generator, GeneratorSpec
    from texturenet_plugin.train.distributed import stylize_folder

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank,
                            world_size=world)
    try:
        torch.manual_seed(0)
        gen = Generator(GeneratorSpec(scales=3, content_channels=3, norm="instance")).eval()
        written = stylize_folder(gen, Path(folder) / "in", Path(folder) / "out")
        Path(folder, f"rank{rank}.txt").write_text("\n".join(p.name for p in written))
    finally:
        dist.destroy_process_group()


def test_folder_stylization_is_split_across_two_processes(tmp_path):
    import numpy as np
    from PIL import Image

    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    rng = np.random.default_rng(0)
    names = [f"p{i}.png" for i in range(5)]
    for name in names:
        pixels = rng.integers(0, 256, (20, 28, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(tmp_path / "in" / name)
    mp.spawn(_stylize_worker, args=(2, str(tmp_path / "init"), str(tmp_path)), nprocs=2, join=True)
    shares = [(tmp_path / f"rank{r}.txt").read_text().split() for r in range(2)]
    assert sorted(shares[0] + shares[1]) == names and not set(shares[0]) & set(shares[1])
    assert all(np.asarray(Image.open(tmp_path / "out" / n)).shape == (20, 28, 3) for n in names)


def _run_worker(rank: int, world: int, init_file: str, out_dir: str, weight: float) -> None:
    from dataclasses import replace
    from pathlib import Path

    from texturenet_plugin.train.distributed import train_distributed

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank,
                            world_size=world)
    try:
        exemplar = torch.linspace(0, 1, 3 * 16 * 16).reshape(3, 16, 16)
        config = replace(TINY, palette_weight=weight, range_weight=weight, checkpoint_every=1)
        state = train_distributed(exemplar, load_descriptor("random"), config,
                                  Path(out_dir) / "run")
        torch.save(state.generator.state_dict(), f"{out_dir}/final{rank}.pt")
    finally:
        dist.destroy_process_group()


def test_a_distributed_run_optimises_the_palette_and_range_terms_too(tmp_path):
    finals = {}
    for weight in (0.0, 1e4):
        out = tmp_path / str(weight)
        out.mkdir()
        mp.spawn(_run_worker, args=(1, str(out / "init"), str(out), weight), nprocs=1,
                 join=True)
        finals[weight] = torch.load(out / "final0.pt", weights_only=True)
    weight = "branches.0.0.weight"  # same seed: only the terms can tell the runs apart
    assert not torch.equal(finals[0.0][weight], finals[1e4][weight])
