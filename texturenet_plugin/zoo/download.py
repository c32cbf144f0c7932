"""Verified, resumable downloads with the standard library (``urllib.request``).

A download streams into a hidden ``.part`` file beside the destination, resumes it with an HTTP
``Range`` request after a dropped connection (or in a later run), checks size and sha256, and
only then ``os.replace``s it into place. Correctness never depends on a lock: two processes
pulling the same model each verify their own file and the last atomic replace wins with
identical bytes. A lock (POSIX ``flock``) only stops one process from resuming a ``.part``
file another process is still writing.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import ssl
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable

from .. import __version__
from ..errors import Cancelled, DownloadError
from ..progress import Reporter
from .index import check_url, file_url_path, is_network_url

try:  # POSIX only; elsewhere abandoned .part files are recognised by age
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

USER_AGENT = f"texnet/{__version__} (python urllib)"
PART = ".part"


@dataclass(frozen=True)
class DownloadPolicy:
    """Bounded network behaviour. ``timeout`` applies to the connect and to every read."""

    timeout: float = 20.0
    retries: int = 3  # further attempts after a transient failure (timeout, reset, 5xx)
    backoff: float = 0.5  # seconds before the first retry; doubles each time
    chunk: int = 1 << 16


class _Transient(Exception):
    """A failure worth retrying (the partial file is kept and resumed)."""


class _Restart(Exception):
    """The server cannot resume (416): start again from byte 0 at once."""


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to http(s) (urllib would also follow ftp://)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if not is_network_url(newurl):
            raise DownloadError(f"{req.full_url} redirects to {newurl!r}: refused")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener() -> urllib.request.OpenerDirector:
    """http(s) only (no ftp/data/file handlers), environment proxies honoured."""
    opener = urllib.request.OpenerDirector()
    for handler in (urllib.request.ProxyHandler(), urllib.request.HTTPHandler(),
                    urllib.request.HTTPSHandler(), _Redirects(),
                    urllib.request.HTTPDefaultErrorHandler(),
                    urllib.request.HTTPErrorProcessor()):
        opener.add_handler(handler)
    return opener


def open_url(url: str, policy: DownloadPolicy, start: int = 0):
    """An HTTP response for ``url`` (from byte ``start``); errors sorted into transient ones
    (retried) and permanent ones (:class:`DownloadError` with the status and what to do)."""
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if start:
        headers["Range"] = f"bytes={start}-"
    try:
        return _opener().open(urllib.request.Request(url, headers=headers),
                              timeout=policy.timeout)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 416 and start:
            raise _Restart() from exc
        message = f"{url}: the server answered {exc.code} {exc.reason}"
        if exc.code >= 500 or exc.code in (408, 429):
            raise _Transient(message) from exc
        hint = " (the index may be out of date: ask its publisher to re-run `texnet models " \
               "publish`)" if exc.code in (404, 410) else ""
        raise DownloadError(message + hint) from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, ssl.SSLCertVerificationError):  # retrying cannot help
            raise DownloadError(f"{url}: the server's HTTPS certificate is not trusted "
                                f"({exc.reason.verify_message}); check the URL or the "
                                "system's certificate store") from exc
        raise _Transient(f"{url}: {_reason(exc.reason)}") from exc
    except (TimeoutError, OSError, http.client.HTTPException) as exc:
        raise _Transient(f"{url}: {_reason(exc)}") from exc


def _reason(exc) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__


def fetch_bytes(url: str, limit: int, policy: DownloadPolicy | None = None) -> bytes:
    """A small http(s) document (an index), at most ``limit + 1`` bytes (so a caller can tell
    that it was too long), with the same timeouts and retries as a model."""
    policy = policy or DownloadPolicy()
    if not is_network_url(check_url(url)):
        raise DownloadError(f"{url}: fetch_bytes is for http(s) URLs")

    def attempt():
        with open_url(url, policy) as response:
            return response.read(limit + 1)
    return _with_retries(attempt, policy, url, Reporter())


def _with_retries(attempt: Callable[[], object], policy: DownloadPolicy, url: str,
                  reporter: Reporter, error: type[DownloadError] = DownloadError,
                  hint: str = "check the network or try again later"):
    """Run ``attempt`` up to ``1 + retries`` times, sleeping with exponential backoff; the
    last transient failure becomes ``error`` (a :class:`DownloadError`)."""
    for number in range(policy.retries + 1):
        try:
            return attempt()
        except (_Transient, TimeoutError, http.client.HTTPException, ConnectionError) as exc:
            if number == policy.retries:
                detail = str(exc) if isinstance(exc, _Transient) else f"{url}: {_reason(exc)}"
                raise error(f"download failed after {number + 1} tries: {detail}; "
                            f"{hint}") from exc
            _sleep(policy.backoff * 2**number, reporter)
    raise AssertionError("unreachable")


def _sleep(seconds: float, reporter: Reporter) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        reporter.check()
        time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))


# ---- the transfer ------------------------------------------------------------------------


class _Meter:
    """Throttled progress: bytes done, rate and ETA through the engine's reporter."""

    def __init__(self, reporter: Reporter, total: int, label: str, start: int) -> None:
        self.reporter, self.total, self.label = reporter, total, label
        self.t0, self.start, self.last = time.monotonic(), start, 0.0

    def __call__(self, done: int, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.last < 0.1:
            self.reporter.check()
            return
        self.last = now
        rate = (done - self.start) / max(now - self.t0, 1e-6)
        eta = (self.total - done) / rate if rate > 0 else None
        self.reporter.report("download", done, self.total,
                             f"{self.label} {done / 1e6:.1f}/{self.total / 1e6:.1f} MB "
                             f"{rate / 1e6:.2f} MB/s", bytes=done, rate=rate, eta=eta)


def _copy(source: BinaryIO, fh: BinaryIO, done: int, size: int, meter: _Meter,
          policy: DownloadPolicy) -> int:
    """Append ``source`` to ``fh``; never more than ``size`` bytes in all. ``read1`` returns
    what has arrived, so bytes received before a stall or a cut are kept for resuming."""
    read = getattr(source, "read1", source.read)
    while True:
        block = read(min(policy.chunk, size - done + 1))
        if not block:
            return done
        if done + len(block) > size:
            raise DownloadError(f"the server sent more than the {size} bytes the index "
                                "declares; refusing the file")
        fh.write(block)
        done += len(block)
        meter(done)


def _transfer_http(url: str, fh: BinaryIO, size: int, meter: _Meter,
                   policy: DownloadPolicy) -> None:
    done = fh.seek(0, os.SEEK_END)
    if done >= size:  # complete (or overlong) partial from an earlier run: the hash decides
        return
    try:
        response = open_url(url, policy, done)
    except _Restart:  # 416: the server cannot serve that range; start from byte 0
        done = _truncate(fh)
        response = open_url(url, policy, 0)
    with response:
        if done and response.status == 200:  # the server ignored Range: whole body from 0
            done = _truncate(fh)
        elif done and not _resumes(response, done):
            _truncate(fh)
            raise _Transient(f"{url}: unexpected Content-Range "
                             f"{response.headers.get('Content-Range')!r}; restarting")
        _check_total(url, response, size)
        try:
            done = _copy(response, fh, done, size, meter, policy)
        except (TimeoutError, OSError, http.client.HTTPException) as exc:
            raise _Transient(f"{url}: {_reason(exc)} after {fh.tell()} of {size} bytes") from exc
    if done < size:
        raise _Transient(f"{url}: the connection closed after {done} of {size} bytes")


def _server_total(response) -> int | None:
    """The whole file's size as the server states it (200: Content-Length; 206: the total of
    Content-Range), or None when it does not say."""
    if response.status == 206:
        total = response.headers.get("Content-Range", "").rpartition("/")[2]
    else:
        total = response.headers.get("Content-Length", "")
    return int(total) if total.strip().isdigit() else None


def _check_total(url: str, response, size: int) -> None:
    """A file whose size the server states differs from the index's claim can never arrive:
    say so now, instead of retrying and suggesting to resume."""
    total = _server_total(response)
    if total is not None and total != size:
        relation = "more than" if total > size else "fewer than"
        raise DownloadError(f"the server has {total} bytes for {url}, {relation} the {size} "
                            "bytes the index declares; the index is wrong: tell its publisher")


def _truncate(fh: BinaryIO) -> int:
    fh.seek(0)
    fh.truncate()
    return 0


def _resumes(response, start: int) -> bool:
    """True for a 206 whose Content-Range starts where the partial file ends."""
    content_range = response.headers.get("Content-Range", "")
    return response.status == 206 and content_range.startswith(f"bytes {start}-")


def _transfer_file(url: str, fh: BinaryIO, size: int, meter: _Meter,
                   policy: DownloadPolicy) -> None:
    done = fh.seek(0, os.SEEK_END)
    try:
        with open(file_url_path(url), "rb") as source:
            source.seek(done)
            done = _copy(source, fh, done, size, meter, policy)
    except OSError as exc:
        raise DownloadError(f"cannot read {url}: {exc.strerror or exc}") from exc
    if done < size:
        raise DownloadError(f"{url} has {done} bytes; the index declares {size}")


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


# ---- partial files -----------------------------------------------------------------------


class TransferInterrupted(DownloadError):
    """The transfer stopped part-way; the ``.part`` file is kept so the next try resumes."""


def _lock(fh: BinaryIO) -> bool:
    """Take the exclusive lock on an open partial file without waiting."""
    if fcntl is None:  # pragma: no cover - Windows: only files untouched for 10 min count
        return time.time() - os.fstat(fh.fileno()).st_mtime > 600
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def claim_partial(dest: Path, sha256: str) -> tuple[BinaryIO, Path]:
    """An open, locked partial file for ``dest``: an abandoned one of an earlier run (same
    sha256, so resuming it is safe) renamed to a fresh unique name, or a new empty one."""
    prefix = f".{dest.name}.{sha256[:16]}."
    ours = dest.parent / f"{prefix}{uuid.uuid4().hex}{PART}"
    for candidate in sorted(dest.parent.glob(f"{prefix}*{PART}")):
        try:
            fh = open(candidate, "r+b")
        except OSError:
            continue
        try:
            if _lock(fh):
                os.rename(candidate, ours)  # by path: fails if another process got there first
                return fh, ours
        except OSError:
            pass
        fh.close()
    # Created under a name the glob above never matches, locked, then given its .part name,
    # so no other process can claim it between creation and locking.
    fresh = ours.with_suffix(".new")
    fh = open(fresh, "x+b")
    _lock(fh)
    os.rename(fresh, ours)
    return fh, ours


def download(url: str, dest: Path, sha256: str, size: int, reporter: Reporter | None = None,
             policy: DownloadPolicy | None = None,
             check: Callable[[Path], None] | None = None) -> Path:
    """Fetch ``url`` (http, https or file) to ``dest``, verified against ``sha256`` and
    ``size`` (and ``check(path)``, e.g. "is a loadable model") before the atomic replace.

    Transient failures are retried with backoff and resumed with Range; after the last retry
    (or on cancel) the ``.part`` file stays for the next run. Corrupt bytes leave nothing."""
    reporter, policy = reporter or Reporter(), policy or DownloadPolicy()
    check_url(url, "model URL")
    dest.parent.mkdir(parents=True, exist_ok=True)
    transfer = _transfer_http if is_network_url(url) else _transfer_file
    fh, part = claim_partial(dest, sha256)
    keep = False
    try:
        resumed = fh.seek(0, os.SEEK_END)
        _check_space(dest.parent, size - resumed)
        meter = _Meter(reporter, size, dest.stem, resumed)
        _fetch(lambda: transfer(url, fh, size, meter, policy), policy, url, reporter)
        if resumed and _digest(fh) != sha256:  # a stale partial from a changed file: once more
            _truncate(fh)
            _fetch(lambda: transfer(url, fh, size, meter, policy), policy, url, reporter)
        meter(size, final=True)
        got = _digest(fh)
        if got != sha256:
            raise DownloadError(f"{url}: sha256 is {got}, the index says {sha256}; the file "
                                "is corrupt or was replaced: nothing was installed")
        if check:
            check(part)
        if fcntl is None:  # pragma: no cover - Windows cannot rename an open file
            fh.close()
        os.replace(part, dest)
    except (Cancelled, TransferInterrupted, KeyboardInterrupt):
        keep = os.fstat(fh.fileno()).st_size > 0
        raise
    finally:
        fh.close()  # releases the lock
        if not keep and part.exists():
            part.unlink()
    return dest


def _check_space(folder: Path, needed: int) -> None:
    free = shutil.disk_usage(folder).free
    if needed > free:
        raise DownloadError(f"{folder} has {free / 1e6:.1f} MB free; the download needs "
                            f"{needed / 1e6:.1f} MB: free some space and pull again")


def _fetch(attempt: Callable[[], None], policy: DownloadPolicy, url: str,
           reporter: Reporter) -> None:
    _with_retries(attempt, policy, url, reporter, TransferInterrupted,
                  "run the same command again to resume")


def _digest(fh: BinaryIO) -> str:
    fh.flush()
    fh.seek(0)
    digest = hashlib.sha256()
    while block := fh.read(1 << 20):
        digest.update(block)
    return digest.hexdigest()
