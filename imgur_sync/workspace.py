"""One account's working set: the lock, the state database, the token store and the client.

Commands that change the mirror (``pull``, ``push``, ``watch``, ``run``, ``verify``) open a
``Workspace``; it takes the per-account lock first, so a ``pull`` from cron and the daemon
never run together, and releases everything on exit. ``status`` reads without the lock.
"""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path
from types import TracebackType
from typing import Any

from . import paths
from .account.signin import open_client
from .account.tokens import TokenStore
from .api import Imgur
from .errors import ImgurSyncError
from .settings.config import Config
from .settings.places import check_places
from .store import Store

__all__ = ["LOCK_FILE", "LockedError", "Workspace"]

LOCK_FILE = "lock"


class LockedError(ImgurSyncError):
    """Another imgur-sync process holds this account's lock."""


class Workspace:
    """Open with ``with Workspace(config, purpose="pull") as ws:``; use ws.store, ws.client."""

    def __init__(self, config: Config, *, purpose: str, state_dir: Path | None = None,
                 **client_options: Any) -> None:
        self.config = config
        self.purpose = purpose
        self.state_dir = state_dir or paths.state_dir()
        self.client_options = client_options
        self._lock_fd: int | None = None
        self.store: Store
        self.client: Imgur
        self.tokens: TokenStore

    def __enter__(self) -> Workspace:
        # Refused before anything is made: exit code 2 with the key and the fix.
        check_places(self.config, self.state_dir)
        self.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._lock()
        try:
            self.store = Store(paths.database_path(self.state_dir))
            self.tokens = TokenStore(self.state_dir)
            self.client = open_client(self.config, self.tokens, **self.client_options)
        except BaseException:
            self._unlock()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self.store.close()
        finally:
            self._unlock()

    def _lock(self) -> None:
        path = self.state_dir / LOCK_FILE
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown"
            os.close(fd)
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            raise LockedError(
                f"Another imgur-sync is working on this account ({holder}); wait for it to "
                f"finish, or stop it (e.g. `systemctl stop imgur-sync`) before `{self.purpose}`"
            ) from None
        try:  # who holds it is a hint for the next comer; a full disk must not stop us here
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()}, `imgur-sync {self.purpose}`\n".encode(), 0)
        except OSError:
            pass
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the flock
            self._lock_fd = None

