"""Shared fixtures: a real sandbox over HTTP on 127.0.0.1, started per test."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from daemon_support import NotifySocket

from imgur_sync.sandbox import Sandbox


@pytest.fixture
def start_sandbox() -> Iterator[Callable[..., Sandbox]]:
    """Return a factory ``start_sandbox(scenario, **kwargs)``; every sandbox stops after."""
    running: list[Sandbox] = []

    def start(scenario: str = "demo", **kwargs: Any) -> Sandbox:
        sandbox = Sandbox(scenario, **kwargs).start()
        running.append(sandbox)
        return sandbox

    yield start
    for sandbox in running:
        sandbox.stop()


@pytest.fixture
def demo(start_sandbox: Callable[..., Sandbox]) -> Sandbox:
    """The demo account, served."""
    return start_sandbox("demo")


@pytest.fixture
def http() -> Iterator[requests.Session]:
    """A plain requests session, closed after the test."""
    with requests.Session() as session:
        yield session


@pytest.fixture
def refusing_url() -> Iterator[str]:
    """``http://127.0.0.1:PORT`` where every connection is refused: a host that is down.

    The port stays bound (not listening) for the test, so nothing else can take it.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


UNIT = Path(__file__).parent / "unit"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test outside tests/unit/ ``integration``, so each tier is one ``-m`` away."""
    for item in items:
        if UNIT not in item.path.parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture
def notify(tmp_path: Path) -> Iterator[NotifySocket]:
    """The datagram socket a service under test sends its sd_notify messages to."""
    sock = NotifySocket(tmp_path / "notify.sock")
    yield sock
    sock.sock.close()
