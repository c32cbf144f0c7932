"""Re-check every model on this machine (``texnet models verify``), without the network.

- bundled models against the bundled index (a damaged installation),
- downloaded models against the record written when they were pulled (sha256 and size),
- user-trained models (no published checksum) by loading them,
- leftover ``.part`` files of interrupted downloads are listed as ``partial``.

Only files in the download cache are deleted on request: bundled ones belong to the package
(reinstall texnet) and user-trained ones may be the only copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import TexnetError
from . import local
from .cache import read_record, record_path
from .download import PART, sha256_file
from .index import bundled_index_url, read_local_index
from .modelfile import load_model


@dataclass
class Check:
    """``status``: ok | corrupt | partial | unverified; ``deleted`` after ``delete=True``."""

    name: str
    where: str
    path: Path
    status: str
    detail: str = ""
    deleted: bool = False

    def to_dict(self) -> dict:
        return {"name": self.name, "where": self.where, "path": str(self.path),
                "status": self.status, "detail": self.detail, "deleted": self.deleted}


def expected_hashes(where: str, path: Path) -> tuple[str, int] | None:
    """(sha256, bytes) a file should have, or None when nothing was published for it."""
    if where == "bundled":
        try:
            entries = {e.name: e for e in read_local_index(bundled_index_url())}
        except TexnetError:
            return None
        entry = entries.get(path.stem)
        return (entry.sha256, entry.bytes) if entry else None
    if where == "cache":
        record = read_record(path)
        if record and isinstance(record.get("sha256"), str) and isinstance(record.get("bytes"),
                                                                               int):
            return record["sha256"], record["bytes"]
    return None


def check_file(where: str, path: Path) -> Check:
    """Hash (and, without a published hash, load) one model file."""
    expected = expected_hashes(where, path)
    if expected is not None:
        sha, size = expected
        actual = path.stat().st_size
        if actual != size:
            return Check(path.stem, where, path, "corrupt", f"{actual} bytes, expected {size}")
        digest = sha256_file(path)
        if digest != sha:
            return Check(path.stem, where, path, "corrupt", f"sha256 {digest[:12]}…, "
                         f"expected {sha[:12]}…")
        return Check(path.stem, where, path, "ok", "sha256 matches")
    try:
        load_model(path)
    except TexnetError as exc:
        return Check(path.stem, where, path, "corrupt", str(exc))
    return Check(path.stem, where, path, "unverified", "no published checksum; loads fine")


def verify_all(delete: bool = False) -> list[Check]:
    """Check every model file in every search folder (shadowed ones too)."""
    checks: list[Check] = []
    for where, folder in local.search_dirs():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob(f"*{local.SUFFIX}")):
            checks.append(check_file(where, path))
        for part in sorted(folder.glob(f".*{PART}")):
            checks.append(Check(part.name, where, part, "partial", "interrupted download"))
    if delete:
        for check in checks:
            if check.where == "cache" and check.status in ("corrupt", "partial"):
                check.path.unlink(missing_ok=True)
                record_path(check.path).unlink(missing_ok=True)
                check.deleted = True
    return checks
