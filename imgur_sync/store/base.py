"""What the store's modules share: its error, the values its columns allow, and helpers."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from ..errors import ImgurSyncError, UsageError

__all__ = ["FAVORITE_KINDS", "FILE_ROLES", "RUN_KINDS", "RUN_OUTCOMES", "UPLOAD_STATES",
           "StoreError", "check", "locked", "printable", "relpath"]

RUN_KINDS = ("quick", "full", "push", "verify")
RUN_OUTCOMES = ("ok", "failed", "partial", "interrupted")
FILE_ROLES = ("image", "album", "favorite", "gallery_favorite", "message")
FAVORITE_KINDS = ("image", "album")
UPLOAD_STATES = ("pending", "uploading", "done", "failed", "bad", "removed")

_F = TypeVar("_F", bound=Callable[..., Any])


class StoreError(ImgurSyncError):
    """The state database cannot be used: unreadable, missing, or written by a newer version."""


def locked(method: _F) -> _F:
    """Serialize calls on the shared connection (the daemon's threads share one Store)."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
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
