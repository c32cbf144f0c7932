"""A real threaded HTTP server on 127.0.0.1 serving a folder, with switchable misbehaviour
(used by tests/zoo/test_cache.py, tests/zoo/test_index.py, tests/cli/test_zoo_cli.py; imported
as ``from zoo_server import …``).

Per-file ``Plan`` options: fixed status codes, corrupted bytes, a connection cut after N bytes
(for the first K requests), no Range support, a stall after the headers, slow chunks.
"""

from __future__ import annotations

import re
import ssl
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Plan:
    statuses: tuple[int, ...] = ()  # answer these codes to the first requests, then serve
    corrupt: bool = False  # flip one byte in the middle
    cut_after: int | None = None  # close the connection after this many body bytes ...
    cut_times: int = 1  # ... for this many requests
    ranges: bool = True  # honour Range (206) or ignore it (200 with the whole file)
    stall: float = 0.0  # after headers and a few bytes, wait this long (until released)
    chunk_delay: float = 0.0  # seconds between 16 KiB chunks
    redirect: str | None = None  # answer 302 to this Location
    extra: bytes = b""  # append these bytes (a server sending more than declared)
    gate: threading.Barrier | None = None  # hold each response until N requests are waiting


class ZooServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, root: Path) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.root = root
        self.plans: dict[str, Plan] = {}
        self.log: list[tuple[str, str | None]] = []  # (path, Range header) per request
        self.counts: dict[str, int] = {}
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.scheme = "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server_address[1]}"

    def requests_for(self, name: str) -> list[str | None]:
        return [rng for path, rng in self.log if path == f"/{name}"]


class Handler(BaseHTTPRequestHandler):
    server: ZooServer

    def log_message(self, *args) -> None:  # keep test output clean
        return

    def do_GET(self) -> None:
        srv = self.server
        name = self.path.split("?")[0].lstrip("/")
        with srv.lock:
            srv.log.append((self.path, self.headers.get("Range")))
            count = srv.counts[name] = srv.counts.get(name, 0) + 1
        plan = srv.plans.get(name, Plan())
        if plan.gate is not None:
            plan.gate.wait()
        if count <= len(plan.statuses):
            return self.send_error(plan.statuses[count - 1])
        if plan.redirect:
            self.send_response(302)
            self.send_header("Location", plan.redirect)
            self.end_headers()
            return
        path = srv.root / name
        if "/" in name or not path.is_file():
            return self.send_error(404)
        data = path.read_bytes() + plan.extra
        if plan.corrupt:
            middle = len(data) // 2
            data = data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1:]
        start = self._range_start(plan)
        if start is not None and start >= len(data):
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{len(data)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._send(data, start, plan, count)

    def _range_start(self, plan: Plan) -> int | None:
        match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
        return int(match.group(1)) if plan.ranges and match else None

    def _send(self, data: bytes, start: int | None, plan: Plan, count: int) -> None:
        if start is None:
            self.send_response(200)
            body = data
        else:
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        if plan.cut_after is not None and count <= len(plan.statuses) + plan.cut_times:
            body = body[:plan.cut_after]
            self.close_connection = True
        if plan.stall:
            self.wfile.write(body[:100])
            self.wfile.flush()
            self.server.release.wait(plan.stall)
            return
        for offset in range(0, len(body), 1 << 14):
            self.wfile.write(body[offset:offset + (1 << 14)])
            if plan.chunk_delay:
                time.sleep(plan.chunk_delay)
        self.wfile.flush()


def start_server(root: Path, tls: ssl.SSLContext | None = None) -> ZooServer:
    server = ZooServer(root)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        server.scheme = "https"
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


def stop_server(server: ZooServer) -> None:
    server.release.set()
    server.shutdown()
    server.server_close()
