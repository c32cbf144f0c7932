"""Entry point of the ``texnet`` console script."""

from __future__ import annotations

import sys

import click

from texturenet_plugin import __version__

from .app import run
from .cmd_descriptors import descriptors_group
from .cmd_doctor import doctor
from .cmd_fill import fill
from .cmd_limits import limits
from .cmd_models import models
from .cmd_optimize import optimize
from .cmd_plugins import plugins
from .cmd_serve import serve
from .cmd_stylize import stylize
from .cmd_train import train


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="texnet")
def cli():
    """texnet: feed-forward texture synthesis and stylization (Texture Networks, ICML 2016)."""


for command in (fill, train, models, descriptors_group, doctor, plugins):
    cli.add_command(command)
cli.add_command(serve)
cli.add_command(stylize)
cli.add_command(optimize)
cli.add_command(limits)


def main(argv: list[str] | None = None) -> None:
    sys.exit(run(cli, argv))


if __name__ == "__main__":
    main()
