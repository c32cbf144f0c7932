"""``--precision`` and ``--threads``: the speed options of fill, stylize and serve."""

from __future__ import annotations

import functools

import click

from texturenet_plugin.limits import AUTO, PRECISION_CHOICES


def speed_options(func):
    """Adds --precision (passed on as ``precision``) and --threads (applied here, before the
    command runs: torch's CPU thread count for this process)."""

    @click.option("--precision", type=click.Choice(PRECISION_CHOICES), default=AUTO,
                  show_default=True,
                  help="Compute type. auto: bfloat16 where it is natively fast (CPUs with "
                  "AVX512-BF16/AMX, CUDA GPUs with bfloat16), float32 otherwise; float32 gives "
                  "the same pixels on every machine (within one level: no TF32 on CUDA). "
                  "float16 runs on CUDA only.")
    @click.option("--threads", type=click.IntRange(1, 4096), default=None, metavar="N",
                  help="CPU threads for torch (default: torch's choice, one per core). On a "
                  "busy shared machine 1 is often faster.")
    @functools.wraps(func)
    def wrapper(*args, threads, **kwargs):
        if threads is not None:
            import torch  # local import: keeps `texnet --help` fast

            from texturenet_plugin.budget import check_threads

            check_threads(threads)  # at most a few per core (issue 17)

            torch.set_num_threads(threads)
        return func(*args, **kwargs)

    return wrapper
