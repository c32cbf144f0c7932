"""Parameter types shared by commands."""

from __future__ import annotations

import re
from pathlib import Path

import click

_SIZE = re.compile(r"^\s*(\d+)\s*[xX×]\s*(\d+)\s*$")


class SizeType(click.ParamType):
    """``WxH`` with positive integers, e.g. ``2048x2048``."""

    name = "WxH"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        match = _SIZE.match(str(value))
        if not match:
            self.fail(f"{value!r} is not a size like 2048x2048", param, ctx)
        width, height = int(match.group(1)), int(match.group(2))
        if width < 1 or height < 1:
            self.fail(f"{value!r}: width and height must be at least 1", param, ctx)
        return width, height


SIZE = SizeType()

# Image inputs and outputs: click checks nothing (no "is a directory"/"not readable" usage
# errors, exit 2); the engine refuses folders and unreadable files as bad input (exit 1), the
# same code as a missing or corrupt image (issue 17, F19-F21).
IMAGE_PATH = click.Path(path_type=Path, readable=False)

# The noise hash takes 32 bits: a larger seed would repeat a smaller one (budget.MAX_SEED).
SEED = click.IntRange(0, 2**32 - 1)
