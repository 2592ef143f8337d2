"""The unit tier stays pure: a test here that opens a socket, runs a command, sleeps or
watches a folder fails at once, so it cannot slowly grow into an integration test."""

from __future__ import annotations

import socket
import subprocess
import time
from typing import Any, NoReturn

import pytest
from watchdog.observers.api import BaseObserver


def _refuse(what: str) -> Any:
    def refuse(*_args: Any, **_kwargs: Any) -> NoReturn:
        raise AssertionError(f"a unit test must not {what}: move it out of tests/unit/")

    return refuse


@pytest.fixture(autouse=True)
def _pure(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse sockets (so HTTP and the sandbox), subprocesses, sleeping and folder watching."""
    monkeypatch.setattr(socket.socket, "__init__", _refuse("open a socket (HTTP, a sandbox)"))
    monkeypatch.setattr(subprocess.Popen, "__init__", _refuse("run a subprocess"))
    monkeypatch.setattr(time, "sleep", _refuse("sleep (inject a clock instead)"))
    monkeypatch.setattr(BaseObserver, "start", _refuse("start a watchdog observer"))
