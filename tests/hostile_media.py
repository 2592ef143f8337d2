"""A media host on 127.0.0.1 that misbehaves on purpose, where the sandbox cannot play it.

Each GET is answered as ``answer(path)`` says: a body that drips, a body longer than it
declares, a redirect, or (``None``) whatever the ``upstream`` server answers, so the host
can stand in front of a sandbox and be its API and media origin at once. Every answer is
bounded: a drip stops after ``Drip.at_most`` seconds or when the server closes.
"""

from __future__ import annotations

import contextlib
import http.client
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Not forwarded: they describe one connection, not the answer.
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})


@dataclass(frozen=True)
class Drip:
    """Declare ``length`` bytes, then send one byte every ``every`` seconds."""

    length: int
    every: float
    at_most: float = 30.0


@dataclass(frozen=True)
class Flood:
    """Send ``total`` bytes, declaring ``declared`` (None: no Content-Length at all)."""

    total: int
    declared: int | None = None


@dataclass(frozen=True)
class Redirect:
    """Answer 302 to ``location``."""

    location: str


Answer = Drip | Flood | Redirect | None


class HostileMedia:
    """The server; ``url`` is its address, ``hits`` the paths asked for, ``sent`` the bytes."""

    def __init__(self, answer: Callable[[str], Answer], upstream: str | None = None) -> None:
        self.answer, self.upstream = answer, upstream
        self.hits: list[str] = []
        self.sent = 0
        self.closing = threading.Event()
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def count(self, n: int) -> None:
        with self._lock:
            self.sent += n


def _handler(host: HostileMedia) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            answer = host.answer(self.path)
            if answer is None:
                self._forward()
                return
            host.hits.append(self.path)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._misbehave(answer)  # an error here: the client gave up, as it should

        def do_POST(self) -> None:
            self._forward()

        def _misbehave(self, answer: Drip | Flood | Redirect) -> None:
            if isinstance(answer, Redirect):
                self.send_response(302)
                self.send_header("Location", answer.location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            declared = answer.length if isinstance(answer, Drip) else answer.declared
            if declared is not None:
                self.send_header("Content-Length", str(declared))
            self.end_headers()
            if isinstance(answer, Drip):
                body = (PNG_SIGNATURE + b"x" * answer.length)[:answer.length]
                steps = int(answer.at_most / answer.every)
                for byte in body[:steps]:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    host.count(1)
                    if host.closing.wait(answer.every):
                        return
                return
            block = PNG_SIGNATURE + b"x" * (64 * 1024 - len(PNG_SIGNATURE))
            left = answer.total
            while left > 0 and not host.closing.is_set():
                piece = block[:left]
                self.wfile.write(piece)
                host.count(len(piece))
                left -= len(piece)

        def _forward(self) -> None:
            """Pass the request to ``upstream`` unchanged (Host too, so links name us)."""
            if host.upstream is None:
                self.send_error(404)
                return
            parts = urlsplit(host.upstream)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            try:
                conn.request(self.command, self.path, body=body, headers=dict(self.headers))
                reply = conn.getresponse()
                data = reply.read()
            finally:
                conn.close()
            self.send_response(reply.status)
            for name, value in reply.getheaders():
                if name.lower() not in _HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def hostile_media(answer: Callable[[str], Answer],
                  upstream: str | None = None) -> Iterator[HostileMedia]:
    """Serve a :class:`HostileMedia` for the ``with`` block; its drips end when it does."""
    host = HostileMedia(answer, upstream)
    thread = threading.Thread(target=host.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield host
    finally:
        host.closing.set()
        host.server.shutdown()
        host.server.server_close()
