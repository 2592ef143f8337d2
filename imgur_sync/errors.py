"""The root of imgur-sync's exceptions.

Standard library only, and importing nothing else of ours: the API client's errors
(``imgur_sync.api.errors``) descend from these, and the store, the config and the rest take
them from here without loading the client. The CLI maps them to exit codes in one place
(``cli.py``).
"""

from __future__ import annotations

__all__ = ["ImgurSyncError", "UsageError"]


class ImgurSyncError(Exception):
    """Root of every error imgur-sync raises on purpose."""

    retryable = False


class UsageError(ImgurSyncError, ValueError):
    """A call that cannot work as written (a missing argument, no credentials for it)."""
