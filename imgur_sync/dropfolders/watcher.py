"""Watchdog glue: file-system events in the mapped folders become complete files to upload.

The only module that imports watchdog. Its event handler does nothing but record what
happened in a queue (events arrive on watchdog's thread); the caller drains the queue on
its own thread, blocking on it while nothing happens.

A file is *ready* — complete, to upload — when it is quiet (its size and mtime unchanged)
and looks whole:

- it was closed after writing (``IN_CLOSE_WRITE``) or was quiet for ``quiet`` seconds, and
  its format shows its end (:func:`media_complete`: PNG ``IEND``, JPEG ``EOI``, GIF
  trailer, WebP's RIFF size, MP4 boxes adding up with ``moov`` and ``mdat``);
- a file whose format cannot tell (TIFF, BMP, WebM, not a picture at all) is ready when
  closed, or after ``patience`` quiet seconds;
- a file that looks cut short is ready only after ``patience`` quiet seconds: a writer
  that pauses, or closes between pieces, is not done. After that long it is taken as it is
  (some cameras append data after a JPEG's end marker).
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import stat
import struct
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from watchdog.events import (
    DirMovedEvent,
    EventsLostEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from ..store import printable

__all__ = ["PATIENCE", "Change", "FolderWatcher", "StabilityTracker", "media_complete"]

log = logging.getLogger(__name__)

PATIENCE = 60.0  # quiet seconds after which a file that does not look whole is taken as it is
_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"
_MAX_BOXES = 10_000  # an MP4 with more top-level boxes than this is not a camera's


@dataclass(frozen=True)
class Change:
    """What happened: "changed", "closed", "deleted", "moved", "lost" (rescan) or "wake"."""

    kind: str
    path: Path
    target: Path | None = None  # for "moved"


# TIFF, BMP and WebM: media Imgur takes whose end the bytes do not show.
_UNCHECKED = (b"II*\x00", b"MM\x00*", b"BM", b"\x1aE\xdf\xa3")


def media_complete(path: Path) -> bool | None:
    """Return True if the format shows the file's end, False if cut short, None if it can't tell."""
    try:  # non-blocking: opening a FIFO to read would wait for a writer forever
        with os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                return True  # a pipe or device has no end to wait for: the uploader refuses it
            head, size = handle.read(12), info.st_size
            if head.startswith(b"\x89PNG\r\n\x1a\n"):
                return _tail(handle, size, len(_PNG_END)) == _PNG_END
            if head.startswith(b"\xff\xd8\xff"):
                return _tail(handle, size, 2) == b"\xff\xd9"
            if head.startswith((b"GIF87a", b"GIF89a")):
                return _tail(handle, size, 1) == b"\x3b"
            if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
                return struct.unpack("<I", head[4:8])[0] + 8 == size
            if head[4:8] == b"ftyp":
                return _boxes_complete(handle, size)
            if len(head) < 12 or head.startswith(_UNCHECKED):
                return None  # too short to tell yet, or a format without a visible end
    except OSError:
        return None  # unreadable: the uploader says why
    return True  # no picture or video at all: nothing to wait for, the uploader refuses it


def _tail(handle: BinaryIO, size: int, n: int) -> bytes:
    if size < n:
        return b""
    handle.seek(size - n)
    return handle.read(n)


def _boxes_complete(handle: BinaryIO, size: int) -> bool | None:
    """Walk an MP4's top-level boxes: they must end exactly at the file's end, moov and mdat in."""
    offset, kinds = 0, set()
    for _ in range(_MAX_BOXES):
        if offset == size:
            return {b"moov", b"mdat"} <= kinds
        handle.seek(offset)
        header = handle.read(16)
        if len(header) < 8:
            return False
        length, kind = struct.unpack(">I4s", header[:8])
        if length == 1:  # a 64-bit size follows
            if len(header) < 16:
                return False
            length = struct.unpack(">Q", header[8:16])[0]
        elif length == 0:  # "to the end of the file": a recorder that has not finished yet
            return None if kind != b"mdat" or b"moov" in kinds else False
        if length < 8:
            return False
        kinds.add(kind)
        offset += length
        if offset > size:
            return False
    return None


@dataclass
class _Seen:
    signature: tuple[int, int]
    since: float  # on the tracker's clock: when the file last changed (or was noticed)
    closed: bool
    complete: bool | None = None
    checked: bool = False  # complete is worked out once per signature


class StabilityTracker:
    """Decide when a changing file is finished (no watchdog; the clock and the check injected)."""

    def __init__(self, quiet: float = 1.0, clock: Callable[[], float] = time.monotonic, *,
                 patience: float = PATIENCE,
                 complete: Callable[[Path], bool | None] = media_complete) -> None:
        self.quiet, self.patience = quiet, max(patience, quiet)
        self.clock, self.complete = clock, complete
        self._seen: dict[Path, _Seen] = {}

    def touch(self, path: Path, *, closed: bool = False, quiet_for: float = 0.0) -> None:
        """Note an event on ``path`` (or a file found quiet for ``quiet_for`` seconds)."""
        signature = _signature(path)
        if signature is None:
            self._seen.pop(path, None)
            return
        self._seen[path] = _Seen(signature, self.clock() - max(quiet_for, 0.0), closed)

    def forget(self, path: Path) -> None:
        """Stop tracking ``path`` (it was deleted or moved away)."""
        self._seen.pop(path, None)

    def pending(self) -> int:
        """How many files are still settling."""
        return len(self._seen)

    def wait(self) -> float | None:
        """Seconds until the next file may be ready (0: now), or None when none is tracked."""
        if not self._seen:
            return None
        now = self.clock()
        return max(0.0, min(seen.since + self._needed(seen) - now for seen in self._seen.values()))

    def due(self) -> list[Path]:
        """Return (and stop tracking) the files that are ready."""
        ready = []
        now = self.clock()
        for path, seen in list(self._seen.items()):
            current = _signature(path)
            if current is None:
                del self._seen[path]  # gone: the deletion is handled elsewhere
            elif current != seen.signature:
                self._seen[path] = _Seen(current, now, False)  # still being written
            elif seen.closed or now - seen.since >= self.quiet:
                if not seen.checked:
                    seen.complete, seen.checked = self.complete(path), True
                if now - seen.since >= self._needed(seen):
                    del self._seen[path]
                    if seen.complete is False:
                        log.info("%s does not look complete, but has not changed for %.0f s; "
                                 "taking it as it is", printable(path), now - seen.since)
                    ready.append(path)
        return sorted(ready)

    def _needed(self, seen: _Seen) -> float:
        """Quiet seconds this file needs, as far as is known now."""
        if not seen.checked:
            return 0.0 if seen.closed else self.quiet
        if seen.complete or (seen.complete is None and seen.closed):
            return 0.0 if seen.closed else self.quiet
        return self.patience


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
        if isinstance(event, EventsLostEvent):  # the kernel's queue overflowed: look again
            self.changes.put(Change("lost", path))
        elif isinstance(event, FileMovedEvent | DirMovedEvent):
            self.changes.put(Change("moved", path, Path(os.fsdecode(event.dest_path))))
        elif event.is_directory:
            return
        elif isinstance(event, FileDeletedEvent):
            self.changes.put(Change("deleted", path))
        elif isinstance(event, FileClosedEvent):
            self.changes.put(Change("closed", path))
        elif isinstance(event, FileCreatedEvent | FileModifiedEvent):
            self.changes.put(Change("changed", path))


# Only these reach the handler (and wake the loop): our own reads of a file to hash it
# would otherwise come back as open and close-without-write events.
_WANTED: list[type[FileSystemEvent]] = [
    FileCreatedEvent, FileModifiedEvent, FileClosedEvent, FileDeletedEvent, FileMovedEvent,
    DirMovedEvent, EventsLostEvent]


class FolderWatcher:
    """Watch folders (not recursively) and hand out what changed."""

    def __init__(self, folders: Iterable[Path]) -> None:
        self.folders = [Path(f) for f in folders]
        self.changes: queue.Queue[Change] = queue.Queue()
        self._observer: Observer | None = None  # type: ignore[valid-type]
        self._handler = _Recorder(self.changes)
        # folder -> ((st_dev, st_ino) of the folder watched, its watch): a share mounted
        # again is another folder under the same name, and needs a watch of its own.
        self._watched: dict[Path, tuple[tuple[int, int], Any]] = {}

    def start(self) -> None:
        """Start watching the folders that exist (a missing one is left to the rescans)."""
        observer = Observer()
        observer.daemon = True
        observer.start()
        self._observer = observer
        self.refresh()

    def refresh(self) -> None:
        """Watch the folders that appeared, or came back as new folders, since the last look."""
        if self._observer is None:
            return
        for folder in self.folders:
            try:  # never made here: a missing folder may be an unmounted share
                info = folder.stat()
            except OSError:
                continue
            ident = (info.st_dev, info.st_ino)
            old = self._watched.get(folder)
            if old is not None and old[0] == ident:
                continue
            if old is not None:
                with contextlib.suppress(KeyError):
                    self._observer.unschedule(old[1])
            watch = self._observer.schedule(self._handler, str(folder), recursive=False,
                                            event_filter=_WANTED)
            self._watched[folder] = (ident, watch)

    def is_alive(self) -> bool:
        """True while the observer thread runs (the daemon's health check)."""
        return self._observer is not None and self._observer.is_alive()

    def stop(self) -> None:
        """Stop watching and wait for the observer thread."""
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=10)
            self._observer = None
            self._watched.clear()

    def wake(self) -> None:
        """Make a waiting :meth:`drain` return now (another thread asks the loop for something)."""
        self.changes.put(Change("wake", Path()))

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
