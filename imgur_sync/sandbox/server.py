"""Run the sandbox: in-process on an ephemeral port (tests) or in the foreground (CLI)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import SandboxApp, SandboxOptions
from .exports import write_cookies, write_export
from .faults import FaultPlan
from .seeds import SCENARIOS, Credentials, seed_world
from .state import World, WorldClock


class _QuietHandler(WSGIRequestHandler):
    # One response is several small writes; without TCP_NODELAY each response stalls
    # ~40 ms on Nagle + delayed ACK (docs/IMGUR-API.md §Sandbox notes).
    disable_nagle_algorithm = True

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """Stay quiet: tests and benchmarks make thousands of requests."""


class Sandbox:
    """A local Imgur-compatible server holding one seeded world.

    Use as a context manager, or call :meth:`start` and :meth:`stop`::

        with Sandbox(scenario="demo") as sb:
            print(sb.api_url, sb.client_id, sb.refresh_token)
    """

    def __init__(
        self,
        scenario: str = "demo",
        *,
        seed: int = 1,
        scale: int = 1,
        host: str = "127.0.0.1",
        port: int = 0,
        options: SandboxOptions | None = None,
        faults: FaultPlan | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}")
        self.world = World(seed=seed, clock=clock)
        self.options = options or SandboxOptions()
        self.world.token_lifetime = self.options.token_lifetime
        self.credentials: Credentials = seed_world(self.world, scenario, scale=scale)
        self.app = SandboxApp(self.world, self.options, faults, sleep=sleep)
        self._host, self._port = host, port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------

    def bind(self) -> Sandbox:
        """Open the listening socket (raises OSError if the port is taken)."""
        if self._server is None:
            self._server = make_server(self._host, self._port, self.app, threaded=True,
                                       request_handler=_QuietHandler)
            self._server.daemon_threads = True
        return self

    def start(self) -> Sandbox:
        """Start serving in a background thread."""
        self.bind()
        assert self._server is not None
        # A short poll interval: stop() waits up to one interval for the loop to notice.
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="imgur-sandbox", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted."""
        self.bind()
        assert self._server is not None
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()
            self._server = None

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            if self._thread is not None:
                self._server.shutdown()
                self._thread.join(timeout=10)
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what clients need ------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (after start)."""
        assert self._server is not None, "the sandbox is not running"
        return self._server.server_port

    @property
    def url(self) -> str:
        """The server's root URL, e.g. ``http://127.0.0.1:8123`` (the ``api_url``)."""
        return f"http://{self._host}:{self.port}"

    api_url = url

    @property
    def client_id(self) -> str:
        """The registered application's client id."""
        return self.credentials.client_id

    @property
    def client_secret(self) -> str:
        """The registered application's client secret."""
        return self.credentials.client_secret

    @property
    def refresh_token(self) -> str:
        """A refresh token for the scenario's main account."""
        return self.credentials.refresh_token

    @property
    def username(self) -> str:
        """The scenario's main account."""
        return self.credentials.username

    @property
    def counters(self) -> Any:
        """Request and media counters (see ``Counters``)."""
        return self.app.counters

    @property
    def clock(self) -> WorldClock:
        """The world's clock; a client given it sees the same time as the server."""
        return self.world.clock

    def advance(self, seconds: float) -> float:
        """Move the world's clock forward (credits renew as their windows end); return it."""
        return self.world.clock.advance(seconds)

    def set_faults(self, faults: FaultPlan) -> None:
        """Replace the fault plan while running."""
        self.app.faults = faults

    def access_token(self) -> str:
        """Issue a fresh access token for the main account (handy in tests)."""
        return self.world.issue_token(self.username, self.client_id).access_token

    @property
    def cookie_token(self) -> str:
        """The main account's browser-session ``accesstoken`` cookie value."""
        return self.world.cookie_token(self.username)

    @property
    def web_client_id(self) -> str:
        """The client id imgur.com's own pages send to the web API."""
        return self.options.web_client_id

    def write_cookies(self, path: str | Path) -> Path:
        """Write a cookies.txt for the main account, as a browser exports it; return its path."""
        write_cookies(path, self.cookie_token, int(self.world.clock()) + 365 * 86400)
        return Path(path)

    def export_zip(self, path: str | Path) -> Path:
        """Write the main account's "Download account images" zip; return its path."""
        with open(path, "wb") as out:
            write_export(self.world, self.username, out)
        return Path(path)
