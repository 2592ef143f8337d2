"""Shared helpers for the drop-folder tests: a config on a sandbox, a watcher in a thread, waits.

Plain functions and classes (no fixtures), imported by ``test_dropfolders*.py``. Every wait
here polls real state (the sandbox's world, a counter) until a deadline; nothing sleeps to
"wait enough".
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from support import sandbox_config

from imgur_sync.account.signin import open_client
from imgur_sync.account.tokens import TokenStore
from imgur_sync.api import Imgur
from imgur_sync.dropfolders import DropFolders
from imgur_sync.dropfolders.uploader import Batch
from imgur_sync.paths import database_path
from imgur_sync.sandbox import Sandbox
from imgur_sync.sandbox.state import Album, Image, NotFound
from imgur_sync.settings.config import Config, load_config
from imgur_sync.store import Store

ROOT = Path(__file__).resolve().parents[1]
DEADLINE = 30.0
T = TypeVar("T")


def wait_until(predicate: Callable[[], T], what: str, timeout: float = DEADLINE,
               interval: float = 0.02) -> T:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= end:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)  # a poll interval, not a wait for something to be "done"


def sha(data: bytes) -> str:
    """Return the sha256 hex digest of ``data``."""
    return hashlib.sha256(data).hexdigest()


class ManualClock:
    """A monotonic clock that only moves when a test says so (thread-safe enough for floats)."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time on by ``seconds``."""
        self.now += seconds


def write_config(path: Path, sb: Sandbox, root: Path,
                 uploads: Iterable[tuple[Path, str, str]]) -> Path:
    """Write a TOML config for ``sb`` with ``(folder, album, on_local_delete)`` drop folders."""
    return sandbox_config(path, sb, root, uploads=uploads)


@dataclass
class Rig:
    """One account on a sandbox, a config with drop folders, its state and a signed-in client."""

    sb: Sandbox
    tmp: Path
    config: Config
    state_dir: Path
    store: Store
    client: Imgur

    # -- the local side ----------------------------------------------------------------------

    def folder(self, album: str) -> Path:
        """The drop folder mapped to ``album`` (as written in the config)."""
        return next(u.path for u in self.config.uploads if u.album == album)

    def drop_folders(self, **kwargs: Any) -> DropFolders:
        """A DropFolders on this rig's store and client."""
        return DropFolders(self.config, self.store, self.client, **kwargs)

    def env(self) -> dict[str, str]:
        """The environment for ``python -m imgur_sync`` on this rig's config and state."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("IMGUR_", "XDG_"))}
        env.update(IMGUR_SYNC_CONFIG=str(self.config.path),
                   XDG_STATE_HOME=str(self.state_dir.parent), PYTHONPATH=str(ROOT))
        return env

    # -- the truth: the sandbox's own state ----------------------------------------------------

    def images(self) -> list[Image]:
        """The account's live images."""
        with self.sb.world.lock:
            return list(self.sb.world.images_of(self.sb.username))

    def albums(self, title: str) -> list[Album]:
        """The account's live albums called ``title``."""
        with self.sb.world.lock:
            return [a for a in self.sb.world.albums_of(self.sb.username) if a.title == title]

    def album(self, title: str) -> Album | None:
        """The one live album called ``title`` (None when missing; fails when several)."""
        found = self.albums(title)
        assert len(found) <= 1, f"{len(found)} albums are called {title!r}"
        return found[0] if found else None

    def titles_in(self, title: str) -> list[str]:
        """Titles of the live images in the album called ``title``, in album order."""
        album = self.album(title)
        if album is None:
            return []
        with self.sb.world.lock:
            return [self.sb.world.image(i).title or "" for i in album.image_ids
                    if not self.sb.world.images[i].deleted]

    def image_alive(self, image_id: str) -> bool:
        """True while the image exists on the account."""
        try:
            self.sb.world.image(image_id)
        except NotFound:
            return False
        return True

    def image_titled(self, title: str) -> Image:
        """The one live image called ``title``."""
        found = [i for i in self.images() if i.title == title]
        assert len(found) == 1, f"{len(found)} images are called {title!r}"
        return found[0]


def make_rig(sb: Sandbox, tmp: Path, uploads: Iterable[tuple[str, str, str]] = (),
             **client_options: Any) -> Rig:
    """Build a rig: ``uploads`` are ``(folder name, album, on_local_delete)`` under ``tmp``."""
    mapped = [(tmp / "drop" / name, album, mode) for name, album, mode in uploads]
    for folder, _album, _mode in mapped:
        folder.mkdir(parents=True, exist_ok=True)
    config = load_config(write_config(tmp / "config.toml", sb, tmp / "mirror", mapped), env={})
    state_dir = tmp / "state" / "imgur-sync"
    state_dir.mkdir(parents=True, exist_ok=True)
    store = Store(database_path(state_dir))
    client = open_client(config, TokenStore(state_dir), **client_options)
    return Rig(sb, tmp, config, state_dir, store, client)


class Watching:
    """``DropFolders.watch`` running in a thread; stop() re-raises whatever it raised."""

    def __init__(self, drop: DropFolders) -> None:
        self.drop = drop
        self.stop_event = threading.Event()
        self.batches: list[Batch] = []
        self.steps = 0
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="drop-folders", daemon=True)

    def _run(self) -> None:
        try:
            self.drop.watch(self.stop_event, on_batch=self._on_batch)
        except BaseException as exc:  # handed to the test thread by stop()
            self.error = exc

    def _on_batch(self, batch: Batch) -> None:
        self.batches.append(batch)
        self.steps += 1

    def start(self) -> Watching:
        """Start the loop and wait until its start-up scan is done."""
        self.thread.start()
        wait_until(lambda: self.drop._started or self.error or not self.thread.is_alive(),
                   "the drop folders to start")
        self._check()
        return self

    def wait_steps(self, n: int = 2) -> None:
        """Wait until the loop has gone round ``n`` more times (so it saw what came before)."""
        target = self.steps + n
        wait_until(lambda: self.steps >= target or self.error, f"{n} more loop steps")
        self._check()

    def uploaded(self) -> dict[str, Path]:
        """Every image id the loop uploaded so far, with its file."""
        return {k: v for b in list(self.batches) for k, v in b.uploaded.items()}

    def _check(self) -> None:
        if self.error is not None:
            raise AssertionError(f"the watch loop failed: {self.error!r}") from self.error

    def stop(self) -> None:
        """Stop the loop and wait for it."""
        self.stop_event.set()
        self.thread.join(timeout=DEADLINE)
        assert not self.thread.is_alive(), "the watch loop did not stop"
        self._check()


@contextmanager
def watching(drop: DropFolders) -> Iterator[Watching]:
    """Run ``drop.watch`` in a thread for the ``with`` block."""
    running = Watching(drop).start()
    try:
        yield running
    finally:
        running.stop()
