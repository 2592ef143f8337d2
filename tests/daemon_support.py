"""Running `imgur-sync run` as systemd would: a fake NOTIFY_SOCKET and a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from imgur_sync.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]
DEADLINE = 60.0


class NotifySocket:
    """The datagram socket systemd would listen on; collects what the service sends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.messages: list[str] = []

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = DEADLINE) -> str:
        """Return the first message (already received or arriving) that matches."""
        for message in self.messages:
            if predicate(message):
                return message
        end = time.monotonic() + timeout
        while (left := end - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                message = self.sock.recv(4096).decode()
            except TimeoutError:
                break
            self.messages.append(message)
            if predicate(message):
                return message
        raise AssertionError(f"no matching notification in {timeout} s; got {self.messages}")

    def count(self, line: str) -> int:
        return sum(line in m.split("\n") for m in self.messages)


def daemon_config(tmp_path: Path, sb: Sandbox, *, api_url: str | None = None,
                   pull_every: str = "1h", more: str = "", retries: int | None = None) -> Path:
    """Write a config for ``sb`` (reached at ``api_url``, else its own URL; ``more`` goes
    after the [schedule] keys; ``retries`` sets [imgur] retries) and return its path."""
    config = tmp_path / "config.toml"
    config.write_text(
        f'[imgur]\nclient_id = "{sb.client_id}"\nclient_secret = "{sb.client_secret}"\n'
        f'refresh_token = "{sb.refresh_token}"\napi_url = "{api_url or sb.url}"\n'
        + (f"retries = {retries}\n" if retries is not None else "")
        + f'[mirror]\nroot = "{tmp_path / "mirror"}"\ngallery = false\n'
        f'[schedule]\npull_every = "{pull_every}"\nreconcile_every = "1h"\n{more}')
    return config


def start_daemon(config: Path, tmp_path: Path, notify: NotifySocket, **more_env: str,
                 ) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """Start `imgur-sync run` on ``config`` as systemd would (``more_env`` added to its
    environment); return it and its environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMGUR_", "XDG_"))}
    env.update(IMGUR_SYNC_CONFIG=str(config), XDG_STATE_HOME=str(tmp_path / "state"),
               PYTHONPATH=str(ROOT), NOTIFY_SOCKET=str(notify.path), WATCHDOG_USEC="1000000",
               **more_env)
    proc = subprocess.Popen([sys.executable, "-m", "imgur_sync", "run"], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, env
