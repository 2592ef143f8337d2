"""What the store's modules share: its error, the values its columns allow, and helpers."""

from __future__ import annotations

import functools
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from ..errors import ImgurSyncError, UsageError

__all__ = ["FAVORITE_KINDS", "RUN_KINDS", "RUN_OUTCOMES", "UPLOAD_STATES",
           "StoreError", "check", "database_error", "locked", "printable", "relpath",
           "translated"]

RUN_KINDS = ("quick", "full", "push", "verify", "import")
RUN_OUTCOMES = ("ok", "failed", "partial", "interrupted")
FAVORITE_KINDS = ("image", "album")
UPLOAD_STATES = ("pending", "uploading", "done", "failed", "bad", "removed")

_F = TypeVar("_F", bound=Callable[..., Any])


class StoreError(ImgurSyncError):
    """The state database cannot be used: unreadable, missing, or written by a newer version."""


_ROOM_NEEDED = 1 << 20  # bytes: a -shm file (32 KiB) and a few pages of -wal, with room to spare
# SQLite's result code names (Python 3.11+) and its fixed messages (older Pythons), by what
# the user can do about them.
_KINDS = (
    ("locked", ("SQLITE_BUSY", "SQLITE_LOCKED"), ("database is locked", "table is locked",
                                                   "schema is locked")),
    ("full", ("SQLITE_FULL",), ("database or disk is full",)),
    ("damaged", ("SQLITE_CORRUPT", "SQLITE_NOTADB"), ("malformed", "file is not a database")),
    ("io", ("SQLITE_IOERR",), ("disk I/O error",)),
    ("readonly", ("SQLITE_READONLY",), ("readonly database",)),
    ("cantopen", ("SQLITE_CANTOPEN",), ("unable to open database file",)),
)


def database_error(exc: sqlite3.Error, path: Path | None, *,
                   readonly: bool = False) -> StoreError | None:
    """Return the error to raise for a broken, busy or full database; None for other errors.

    ``readonly``: the connection was opened read-only, so a refused write is our mistake.
    """
    name = getattr(exc, "sqlite_errorname", "")
    text = str(exc)
    kind = next((kind for kind, names, texts in _KINDS
                 if name.startswith(names) or any(t in text for t in texts)), None)
    db = path or ":memory:"
    folder = path.parent if path else "the state directory"
    if kind == "io" and path is not None and _nearly_full(path.parent):
        kind = "full"  # SQLite says "disk I/O error" when it cannot grow its -shm file
    if kind == "locked":
        return StoreError(f"Another program holds the state database {db} locked (an sqlite3 "
                          "shell or a backup, say): let it finish or stop it, then try again")
    if kind == "full":
        return StoreError(f"The disk holding the state database {db} is full: free some space "
                          "on it, then try again")
    if kind == "damaged":
        return StoreError(
            f"The state database {db} is damaged ({text}): move it and its -wal and -shm files "
            f"out of {folder} and run `imgur-sync pull`, which rebuilds it from Imgur and "
            "reuses the files already in the mirror; its upload journal is lost, so files "
            "still in drop folders may be uploaded again")
    if kind == "io":
        return StoreError(f"Cannot read or write the state database {db} ({text}): check the "
                          "disk and its file system, then try again")
    if kind == "readonly" and not readonly:
        return StoreError(f"The state database {db} is read-only for this user: make it and "
                          f"{folder} writable by this user, then try again")
    if kind == "cantopen":
        return StoreError(f"Cannot open the state database {db}: check that {folder} exists "
                          "and this user may write there")
    return None


def _nearly_full(folder: Path) -> bool:
    """True when the file system holding ``folder`` has less room than SQLite needs."""
    try:
        info = os.statvfs(folder)
    except OSError:
        return False
    return info.f_bavail * info.f_frsize < _ROOM_NEEDED


@contextmanager
def translated(path: Path | None, readonly: bool = False) -> Iterator[None]:
    """Turn SQLite's errors about the database itself into a StoreError saying what to do."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        error = database_error(exc, path, readonly=readonly)
        if error is None:
            raise
        raise error from exc


def locked(method: _F) -> _F:
    """Serialize calls on the shared connection (the daemon's threads share one Store)."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        with self._lock, translated(self.path, self.readonly):
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def check(value: str, allowed: Sequence[str], what: str) -> str:
    """Return ``value`` if it is one of ``allowed``; a caller's mistake otherwise."""
    if value not in allowed:
        raise UsageError(f"{what} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def printable(text: str | PurePosixPath | Path) -> str:
    """Return ``text`` with bytes that are not UTF-8 (surrogate-escaped) shown as ``\\xNN``."""
    # A file name may hold any bytes; SQLite, HTTP forms and terminals take UTF-8 only.
    return str(text).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def relpath(path: str | PurePosixPath | Path) -> str:
    """Return ``path`` as a POSIX path relative to the mirror root, refusing escapes."""
    rel = PurePosixPath(str(path).replace("\\", "/"))
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise UsageError(f"file paths are stored relative to the mirror root, not {path!s}")
    return rel.as_posix()
