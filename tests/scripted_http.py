"""A small HTTP server on 127.0.0.1 that answers as a test scripts it and records what it got.

It plays what the sandbox cannot: a hostile API host (redirects elsewhere, odd token
answers) and the host a redirect points at, which must never receive anything.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


# An answer: status, headers, and a body (a dict or list is sent as JSON).
Answer = tuple[int, dict[str, str], Any]


def ok(data: Any) -> Answer:
    """Imgur's success envelope around ``data``."""
    return 200, {}, {"data": data, "success": True, "status": 200}


@contextmanager
def scripted_server(answer: Callable[[Seen], Answer] = lambda seen: ok(True),
                    ) -> Iterator[tuple[str, list[Seen]]]:
    """Serve ``answer(request)`` to every request; yield the base URL and the requests seen."""
    seen: list[Seen] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = Seen(self.command, self.path, dict(self.headers.items()),
                           self.rfile.read(length))
            seen.append(request)
            status, headers, body = answer(request)
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
