"""Parameter types shared by commands."""

from __future__ import annotations

import re

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
