"""``publish``: write ``index.json`` for a folder of ``.tnet`` files, so any static web server
(or a shared drive, through ``file://``) can host a model zoo. The output is canonical (sorted,
no timestamps): publishing an unchanged folder rewrites the same bytes, which is how the test
suite checks that the bundled index matches the bundled models."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..io.atomic import atomic_file
from ..progress import Reporter
from .download import sha256_file
from .index import INDEX_FILE, check_url, index_document
from .local import SUFFIX, validate_name
from .modelfile import load_model


def describe_file(path: Path, base_url: str | None = None) -> dict:
    """The index entry of one model file; ``url`` is relative unless ``base_url`` is given."""
    name = validate_name(path.stem)
    model = load_model(path)
    meta = model.meta
    url = f"{base_url.rstrip('/')}/{path.name}" if base_url else path.name
    return {
        "name": name, "kind": model.kind, "url": url, "sha256": sha256_file(path),
        "bytes": path.stat().st_size, "title": str(meta.get("title") or name),
        "license": str(meta.get("license", "")), "source": str(meta.get("source", "")),
    }


def build_index(folder: str | Path, base_url: str | None = None,
                reporter: Reporter | None = None) -> str:
    """The text of the index for every ``*.tnet`` file directly inside ``folder``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder; give the folder that holds the .tnet files")
    if base_url is not None:
        check_url(base_url, "--base-url")
    files = sorted(folder.glob(f"*{SUFFIX}"))
    if not files:
        raise InputError(f"no {SUFFIX} files in {folder}; train one with `texnet train texture`")
    reporter = reporter or Reporter()
    entries = []
    for done, path in enumerate(files):
        reporter.report("load", done, len(files), path.name)
        entries.append(describe_file(path, base_url))
    reporter.report("load", len(files), len(files), "done")
    return index_document(entries)


def publish(folder: str | Path, base_url: str | None = None,
            reporter: Reporter | None = None) -> Path:
    """Write ``folder/index.json`` atomically and return its path."""
    text = build_index(folder, base_url, reporter)
    target = Path(folder) / INDEX_FILE
    # Served by web servers: world-readable like the models.
    with atomic_file(target, "w", encoding="utf-8", permissions=0o644) as fh:
        fh.write(text)
    return target
