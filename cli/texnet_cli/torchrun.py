"""torchrun entry point for data-parallel work (:mod:`texturenet_plugin.train.distributed`).

    torchrun --nproc-per-node 2 -m texnet_cli.torchrun EXEMPLAR.png RUN_DIR [PRESET]
    torchrun --nproc-per-node 2 -m texnet_cli.torchrun stylize MODEL IN_DIR OUT_DIR

Arguments are parsed here, in the CLI; the engine only gets tensors, configs and paths.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch.distributed as dist

from texturenet_plugin.train.distributed import stylize_folder, train_distributed


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - torchrun entry point
    """torchrun entry: ``EXEMPLAR RUN_DIR [PRESET]`` trains (rank 0 writes RUN_DIR's
    checkpoint); ``stylize MODEL IN_DIR OUT_DIR`` stylizes a folder split across processes."""
    args = argv if argv is not None else sys.argv[1:]
    dist.init_process_group("gloo")
    try:
        if args[0] == "stylize":
            from texturenet_plugin.zoo.local import load

            model, in_dir, out_dir = args[1:4]
            stylize_folder(load(model).build("cpu"), Path(in_dir), Path(out_dir))
        else:
            _train_main(args)
    finally:
        dist.destroy_process_group()


def _train_main(args: list[str]) -> None:  # pragma: no cover
    from texturenet_plugin.train.config import preset
    from texturenet_plugin.train.texture import exemplar_tensor
    from texturenet_plugin.zoo.descriptor_weights import load_descriptor

    exemplar, run_dir, *rest = args
    config = preset(rest[0] if rest else "cpu")
    descriptor = load_descriptor(config.descriptor, config.pool)
    train_distributed(exemplar_tensor(exemplar), descriptor, config, Path(run_dir))


if __name__ == "__main__":  # pragma: no cover
    main()
