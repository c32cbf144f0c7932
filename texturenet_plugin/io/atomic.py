"""Atomic file writes: write a temp file beside the target, then ``os.replace`` it into place.

A reader never sees a half-written file, and a failed or cancelled write leaves nothing behind.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator


def _default_permissions() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def atomic_file(path: str | Path, mode: str = "wb", encoding: str | None = None,
                permissions: int | None = None) -> Iterator[IO]:
    """Yield a file opened on a temp path in ``path``'s folder (its ``.name`` is that path).

    On success the file gets ``permissions`` (default: 0666 minus the umask, as a plain
    ``open`` would give; ``mkstemp`` alone gives 0600) and replaces ``path``; on any error
    the temp file is removed and the error propagates.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        with open(tmp, mode, encoding=encoding) as handle:
            yield handle
        os.chmod(tmp, _default_permissions() if permissions is None else permissions)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
