"""Model zoo: local lookup first, then indexes and verified downloads into the cache.

``ensure_model(ref)`` is what the fronts call: a path or a name on this machine is returned as
is; a name known only to an index is pulled (unless ``TEXNET_OFFLINE`` is set, which never
touches the network and says what to do). Each downloaded ``NAME.tnet`` in the cache gets a
``NAME.tnet.json`` record (sha256, bytes, url, index) so ``verify`` works offline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .. import env
from ..device import resolve_device
from ..errors import DownloadError, InputError, ModelError, ModelNotFoundError, TexnetError
from ..io.atomic import atomic_file
from ..progress import Reporter
from . import local
from .download import PART, DownloadPolicy, download, fetch_bytes, sha256_file
from .index import (
    MAX_INDEX_BYTES,
    IndexEntry,
    all_indexes,
    check_url,
    is_network_url,
    parse_index,
    read_local_index,
)
from .modelfile import ModelFile, load_model

RECORD = ".json"  # sidecar suffix: NAME.tnet.json


def read_index(url: str, policy: DownloadPolicy | None = None) -> list[IndexEntry]:
    """The entries of one index (http(s) or file URL)."""
    check_url(url)
    if is_network_url(url):
        return parse_index(fetch_bytes(url, MAX_INDEX_BYTES, policy), url)
    return read_local_index(url)


@dataclass
class Lookup:
    """What the indexes said: entries by name (first index wins), the indexes that failed
    (with why), and the network indexes skipped because of ``TEXNET_OFFLINE``."""

    entries: dict[str, IndexEntry] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _scan(policy: DownloadPolicy | None, lookup: Lookup) -> Iterator[list[IndexEntry]]:
    """Read the indexes in order, lazily; a broken index is noted and skipped, never fatal."""
    offline = env.offline()
    for url in all_indexes():
        if offline and is_network_url(url):
            lookup.skipped.append(url)
            continue
        try:
            entries = read_index(url, policy)
        except TexnetError as exc:
            lookup.problems.append(str(exc))
            continue
        for entry in entries:
            lookup.entries.setdefault(entry.name, entry)
        yield entries


def remote_models(policy: DownloadPolicy | None = None) -> Lookup:
    """Every model every reachable index lists."""
    lookup = Lookup()
    for _ in _scan(policy, lookup):
        pass
    return lookup


def find_entry(name: str, policy: DownloadPolicy | None = None) -> IndexEntry:
    """The first index entry for ``name``; reads only as many indexes as needed."""
    local.validate_name(name)
    lookup = Lookup()
    for _ in _scan(policy, lookup):
        if name in lookup.entries:
            return lookup.entries[name]
    raise ModelNotFoundError(_not_found(name, lookup))


def _not_found(name: str, lookup: Lookup) -> str:
    message = f"no model named {name!r} on this machine"
    if lookup.skipped:
        message += (f", and TEXNET_OFFLINE=1 forbids looking it up in {len(lookup.skipped)} "
                    f"remote index(es) ({', '.join(lookup.skipped)}): unset TEXNET_OFFLINE "
                    f"to download it, or copy {name}.tnet into {env.user_models_dir()}")
    else:
        message += " or in any index; see `texnet models list --remote`"
    if lookup.problems:
        message += "; unreadable indexes: " + " | ".join(lookup.problems)
    return message


@dataclass(frozen=True)
class PullResult:
    """``action``: downloaded | up-to-date | user | bundled (the last two: nothing fetched)."""

    name: str
    path: Path
    action: str


def cache_path(name: str) -> Path:
    return env.models_cache_dir() / f"{local.validate_name(name)}{local.SUFFIX}"


def record_path(model: Path) -> Path:
    return model.with_name(model.name + RECORD)


def read_record(model: Path) -> dict | None:
    """The sidecar written at pull time, or None if missing or unreadable."""
    try:
        record = json.loads(record_path(model).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return record if isinstance(record, dict) else None


def pull(name: str, reporter: Reporter | None = None, policy: DownloadPolicy | None = None,
         force: bool = False) -> PullResult:
    """Make ``name`` available: a user-trained or bundled model is used as is; otherwise the
    index entry is downloaded into the cache unless an identical verified copy is there
    (``force``: download again anyway)."""
    local.validate_name(name)
    for where, folder in local.search_dirs()[:2]:  # user-trained and bundled: never fetched
        if (folder / f"{name}{local.SUFFIX}").is_file():
            return PullResult(name, folder / f"{name}{local.SUFFIX}", where)
    entry = find_entry(name, policy)
    dest = cache_path(name)
    if not force and _matches(dest, entry):
        return PullResult(name, dest, "up-to-date")
    if entry.is_remote and env.offline():
        raise DownloadError(f"TEXNET_OFFLINE=1 forbids downloading {name!r} from {entry.url}: "
                            "unset TEXNET_OFFLINE (or run `texnet models pull "
                            f"{name}` on a connected machine and copy {dest})")
    download(entry.url, dest, entry.sha256, entry.bytes, reporter, policy,
             check=lambda part: _accept(part, entry))
    return PullResult(name, dest, "downloaded")


def _matches(dest: Path, entry: IndexEntry) -> bool:
    record = read_record(dest)
    return (dest.is_file() and record is not None and record.get("sha256") == entry.sha256
            and dest.stat().st_size == entry.bytes and sha256_file(dest) == entry.sha256)


def _accept(part: Path, entry: IndexEntry) -> None:
    """Before the file goes live: it must load as a model of the declared kind; then its
    record is written (so a crash can leave a record without a model, never the reverse)."""
    try:
        model = load_model(part)
    except ModelError as exc:
        raise ModelError(f"{entry.url} has the right checksum but is not a texnet model; "
                         f"the index {entry.index} is wrong: tell its publisher") from exc
    if model.kind != entry.kind:
        raise ModelError(f"{entry.url} is a {model.kind} model; the index says {entry.kind}")
    record = {"name": entry.name, "sha256": entry.sha256, "bytes": entry.bytes,
              "url": entry.url, "index": entry.index}
    _write_json(record_path(env.models_cache_dir() / f"{entry.name}{local.SUFFIX}"),
                record)


def _write_json(path: Path, doc: dict) -> None:
    with atomic_file(path, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=2, sort_keys=True)


def ensure_model(ref: str, reporter: Reporter | None = None,
                 policy: DownloadPolicy | None = None) -> Path:
    """A local path for ``ref`` (a path, or a name), pulling a name only an index knows."""
    path = local.find_local(ref)  # validates names; raises for missing explicit paths
    if path is not None:
        return path
    return pull(ref, reporter, policy).path


def load_generator(ref: str | None, kind: str, device, reporter: Reporter | None = None):
    """The one way to get a network from a model name or path: resolve ``ref`` (``None``: the
    default model; a name only an index knows is pulled), load the file, refuse a model of the
    other ``kind`` ("texture" or "style") and build it on ``device`` (``"auto"`` resolved).
    Returns (ModelFile, generator in eval mode)."""
    path = ensure_model(local.DEFAULT_MODEL if ref is None else ref, reporter)  # "" is refused
    model: ModelFile = load_model(path)
    if model.kind != kind:
        command = "stylize" if model.kind == "style" else "fill"
        raise InputError(f"model {model.name or path} is a {model.kind} model; "
                         f"use `texnet {command}`")
    return model, model.build(resolve_device(device))


def remove(name: str) -> list[Path]:
    """Delete a downloaded or user-trained model (the first one found, as lookups see it) with
    its record and any partial downloads; bundled models cannot be removed."""
    path = local.find_local(local.validate_name(name))
    if path is None:
        raise ModelNotFoundError(f"no model named {name!r} on this machine; "
                                 "see `texnet models list`")
    if path.parent == local.bundled_dir():
        raise InputError(f"{name!r} is bundled with texnet and cannot be removed")
    removed = [path] + [p for p in (record_path(path),) if p.is_file()]
    removed += list(path.parent.glob(f".{path.name}.*{PART}"))
    for item in removed:
        item.unlink(missing_ok=True)
    return removed
