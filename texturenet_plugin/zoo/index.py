"""Model indexes (docs/design.md §5): the JSON format, where indexes come from, and how a hostile or
broken index is refused with a clear message.

An index is ``{"version": 1, "models": [{"name", "kind", "url", "sha256", "bytes", "title",
"license", "source"}, ...]}``; ``url`` may be relative to the index's own URL. Sources, in
order: the bundled index (package data), ``TEXNET_INDEX`` (via :mod:`..env`), then the
``indexes`` list of the config file (``texnet models index add URL``).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urljoin, urlparse
from urllib.request import url2pathname

from .. import env
from ..errors import DownloadError, InputError, ModelError
from ..io.atomic import atomic_file

INDEX_VERSION = 1
INDEX_FILE = "index.json"
MAX_INDEX_BYTES = 8 << 20  # an index is a few KB; refuse anything absurd before parsing
MAX_MODEL_BYTES = 2 << 30  # generators are < 1 MB; a claim beyond 2 GiB is hostile or a typo
SCHEMES = ("http", "https", "file")
KINDS = ("texture", "style")  # mirrors modelfile.KINDS without importing torch
FIELDS = ("name", "kind", "url", "sha256", "bytes", "title", "license", "source")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")  # same rule as registry.validate_name


class IndexFormatError(ModelError, ValueError):
    """An index is not valid JSON of the documented shape, or claims something unsafe."""

    code = "index"


@dataclass(frozen=True)
class IndexEntry:
    """One downloadable model; ``url`` is absolute, ``index`` is the URL it was listed in."""

    name: str
    kind: str
    url: str
    sha256: str
    bytes: int
    title: str = ""
    license: str = ""
    source: str = ""
    index: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def is_remote(self) -> bool:
        return is_network_url(self.url)


def is_network_url(url: str) -> bool:
    return urlparse(url).scheme in ("http", "https")


def check_url(url: str, what: str = "index URL") -> str:
    """Only http, https and file URLs are accepted; anything else is refused by name."""
    if not isinstance(url, str) or urlparse(url).scheme not in SCHEMES:
        raise InputError(f"{what} {url!r}: only http://, https:// and file:// URLs are allowed")
    return url


def file_url_path(url: str) -> Path:
    """The local path of a ``file://`` URL."""
    parsed = urlparse(url)
    if parsed.netloc not in ("", "localhost"):
        raise InputError(f"{url!r}: file:// URLs must name a local path (file:///...)")
    return Path(url2pathname(parsed.path))


# ---- parsing -----------------------------------------------------------------------------


def parse_index(data: bytes, index_url: str) -> list[IndexEntry]:
    """Validate a whole index; the first problem raises :class:`IndexFormatError` naming it."""
    if len(data) > MAX_INDEX_BYTES:
        raise IndexFormatError(f"index {index_url} is larger than {MAX_INDEX_BYTES} bytes")
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        # RecursionError: "[[[[…" nested deeper than the parser's stack (issue 17, F11)
        raise IndexFormatError(f"index {index_url} is not valid JSON "
                               f"({type(exc).__name__}: {exc})") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("models"), list):
        raise IndexFormatError(f"index {index_url}: expected an object with a 'models' list")
    version = doc.get("version")
    if type(version) is not int or version > INDEX_VERSION or version < 1:
        raise IndexFormatError(
            f"index {index_url} has version {version!r}; this texnet reads version "
            f"{INDEX_VERSION}: upgrade texnet (pip install -U texnet) or fix the index"
        )
    entries: dict[str, IndexEntry] = {}
    for position, raw in enumerate(doc["models"]):
        entry = parse_entry(raw, index_url, position)
        if entry.name in entries:
            raise IndexFormatError(f"index {index_url}: model {entry.name!r} is listed twice")
        entries[entry.name] = entry
    return list(entries.values())


def parse_entry(raw: object, index_url: str, position: int) -> IndexEntry:
    """One ``models[i]`` item, with its URL resolved against the index URL."""
    where = f"index {index_url}, models[{position}]"
    if not isinstance(raw, dict):
        raise IndexFormatError(f"{where}: expected an object, got {type(raw).__name__}")
    name = _field(raw, "name", str, where)
    where = f"{where} ({name!r})" if isinstance(name, str) else where
    if not _NAME.match(name):
        raise IndexFormatError(f"{where}: unsafe or invalid model name; names are 1-64 "
                               "lower-case letters, digits, '-' or '_'")
    kind = _field(raw, "kind", str, where)
    if kind not in KINDS:
        raise IndexFormatError(f"{where}: kind must be one of {KINDS}, got {kind!r}")
    sha = _field(raw, "sha256", str, where)
    if not _SHA256.match(sha):
        raise IndexFormatError(f"{where}: sha256 must be 64 lower-case hex digits")
    size = _field(raw, "bytes", int, where)
    if not 0 < size <= MAX_MODEL_BYTES:
        raise IndexFormatError(f"{where}: bytes={size} is outside 1..{MAX_MODEL_BYTES}")
    url = resolve_entry_url(_field(raw, "url", str, where), index_url, where)
    text = {key: printable(_field(raw, key, str, where, default=""))
            for key in ("title", "license", "source")}
    return IndexEntry(name, kind, url, sha, size, index=index_url, **text)


def printable(text: str, limit: int = 500) -> str:
    """Text from an index as it may reach a terminal: no control or escape characters."""
    return "".join(ch for ch in text[:limit] if ch.isprintable())


def _field(raw: dict, key: str, kind: type, where: str, default=None):
    value = raw.get(key, default)
    # bool is a subclass of int: "bytes": true must not pass as 1
    if type(value) is not kind:
        raise IndexFormatError(f"{where}: '{key}' must be a {kind.__name__}, got {value!r:.60}")
    return value


def resolve_entry_url(url: str, index_url: str, where: str) -> str:
    """Absolute URL of a model; a network index may only point at http(s) URLs."""
    absolute = urljoin(index_url, url)
    scheme = urlparse(absolute).scheme
    if scheme not in SCHEMES:
        raise IndexFormatError(f"{where}: url {url!r} uses a forbidden scheme")
    if is_network_url(index_url) and scheme == "file":
        raise IndexFormatError(f"{where}: a network index may not point at local files")
    return absolute


# ---- sources -----------------------------------------------------------------------------


def bundled_index_path() -> Path:
    return Path(__file__).parents[1] / "bundled" / INDEX_FILE  # texturenet_plugin/bundled


def bundled_index_url() -> str:
    return bundled_index_path().resolve().as_uri()


def read_local_index(url: str) -> list[IndexEntry]:
    """Parse a ``file://`` index (no network)."""
    path = file_url_path(url)
    try:
        if path.stat().st_size > MAX_INDEX_BYTES:
            raise IndexFormatError(f"index {url} is larger than {MAX_INDEX_BYTES} bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise DownloadError(f"cannot read index {url}: {exc.strerror or exc}") from exc
    return parse_index(data, url)


def configured_indexes() -> list[str]:
    """Extra index URLs: ``TEXNET_INDEX`` first, then the config file; duplicates dropped."""
    urls = list(env.extra_indexes()) + list(read_config().get("indexes", []))
    return list(dict.fromkeys(u for u in urls if isinstance(u, str)))


def all_indexes() -> list[str]:
    """Every index in lookup order, the bundled one first."""
    return [bundled_index_url()] + [u for u in configured_indexes() if u != bundled_index_url()]


def read_config() -> dict:
    """The JSON config file, or ``{}`` when it does not exist."""
    path = env.config_file()
    if not path.is_file():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise InputError(f"config file {path} is unreadable ({exc}); fix or delete it") from exc
    if not isinstance(doc, dict):
        raise InputError(f"config file {path} must hold a JSON object; fix or delete it")
    return doc


def write_config(doc: dict) -> Path:
    """Replace the config file atomically, keeping keys other features stored there."""
    path = env.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=2, sort_keys=True)
    return path


def add_index(url: str) -> bool:
    """Remember an index URL in the config file; False if it was already there."""
    check_url(url.strip())
    doc = read_config()
    urls = [u for u in doc.get("indexes", []) if isinstance(u, str)]
    if url.strip() in urls:
        return False
    doc["indexes"] = urls + [url.strip()]
    write_config(doc)
    return True


def remove_index(url: str) -> bool:
    """Forget an index URL; False if the config file did not list it."""
    doc = read_config()
    urls = [u for u in doc.get("indexes", []) if isinstance(u, str)]
    if url not in urls:
        return False
    doc["indexes"] = [u for u in urls if u != url]
    write_config(doc)
    return True


def index_document(entries: list[dict]) -> str:
    """The canonical text of an index (sorted, stable), as ``publish`` writes it."""
    models = [{key: entry[key] for key in FIELDS} for entry in entries]
    doc = {"version": INDEX_VERSION, "models": sorted(models, key=lambda m: m["name"])}
    return json.dumps(doc, indent=2) + "\n"
