"""Watchdog glue: file-system events in the mapped folders become stable paths to upload.

The only module that imports watchdog. Its event handler does nothing but record what
happened in a queue (events arrive on watchdog's thread); the caller drains the queue on
its own thread. A file is *stable* — ready to upload — once it was closed after writing,
or once its size and mtime have not changed for ``settle`` seconds (for writers that keep
the file open, or file systems without close events).
"""

from __future__ import annotations

import os
import queue
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import (
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

__all__ = ["Change", "FolderWatcher", "StabilityTracker"]


@dataclass(frozen=True)
class Change:
    """Something that happened to a file: "changed", "closed", "deleted" or "moved"."""

    kind: str
    path: Path
    target: Path | None = None  # for "moved"


class StabilityTracker:
    """Decide when a changing file is finished (pure: no watchdog, time injected)."""

    def __init__(self, settle: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.settle = settle
        self.clock = clock
        self._seen: dict[Path, tuple[tuple[int, int] | None, float, bool]] = {}

    def touch(self, path: Path, *, closed: bool = False) -> None:
        """Note an event on ``path``; a close after writing makes it due at once."""
        self._seen[path] = (_signature(path), self.clock(), closed)

    def forget(self, path: Path) -> None:
        """Stop tracking ``path`` (it was deleted or moved away)."""
        self._seen.pop(path, None)

    def pending(self) -> int:
        """How many files are still settling."""
        return len(self._seen)

    def due(self) -> list[Path]:
        """Return (and stop tracking) the files that are ready."""
        ready = []
        now = self.clock()
        for path, (signature, since, closed) in list(self._seen.items()):
            current = _signature(path)
            if current is None:
                del self._seen[path]  # gone: the deletion is handled elsewhere
            elif current != signature:
                self._seen[path] = (current, now, False)  # still being written
            elif closed or now - since >= self.settle:
                del self._seen[path]
                ready.append(path)
        return sorted(ready)


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_size, info.st_mtime_ns)


class _Recorder(FileSystemEventHandler):
    """Runs on watchdog's thread: only records what happened."""

    def __init__(self, changes: queue.Queue[Change]) -> None:
        self.changes = changes

    def on_any_event(self, event: FileSystemEvent) -> None:
        path = Path(os.fsdecode(event.src_path))
        if isinstance(event, FileMovedEvent | DirMovedEvent):
            self.changes.put(Change("moved", path, Path(os.fsdecode(event.dest_path))))
        elif event.is_directory:
            return
        elif isinstance(event, FileDeletedEvent):
            self.changes.put(Change("deleted", path))
        elif isinstance(event, FileClosedEvent):
            self.changes.put(Change("closed", path))
        elif isinstance(event, FileCreatedEvent | FileModifiedEvent):
            self.changes.put(Change("changed", path))


class FolderWatcher:
    """Watch folders (not recursively) and hand out what changed."""

    def __init__(self, folders: Iterable[Path]) -> None:
        self.folders = [Path(f) for f in folders]
        self.changes: queue.Queue[Change] = queue.Queue()
        self._observer: Observer | None = None  # type: ignore[valid-type]

    def start(self) -> None:
        """Start watching the folders that exist (a missing one is left to the rescans)."""
        observer = Observer()
        handler = _Recorder(self.changes)
        for folder in self.folders:
            if folder.is_dir():  # never made here: a missing folder may be an unmounted share
                observer.schedule(handler, str(folder), recursive=False)
        observer.daemon = True
        observer.start()
        self._observer = observer

    def is_alive(self) -> bool:
        """True while the observer thread runs (the daemon's health check)."""
        return self._observer is not None and self._observer.is_alive()

    def stop(self) -> None:
        """Stop watching and wait for the observer thread."""
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=10)
            self._observer = None

    def drain(self, timeout: float = 0.0) -> list[Change]:
        """Return the changes so far, waiting up to ``timeout`` for the first one."""
        changes = []
        try:
            changes.append(self.changes.get(timeout=timeout) if timeout > 0
                           else self.changes.get_nowait())
            while True:
                changes.append(self.changes.get_nowait())
        except queue.Empty:
            pass
        return changes
