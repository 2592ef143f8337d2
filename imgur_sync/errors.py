"""The root of imgur-sync's exceptions, and the exit codes a command ends with.

Standard library only, and importing nothing else of ours: the API client's errors
(``imgur_sync.api.errors``) descend from these, and the store, the config and the rest take
them from here without loading the client. The CLI maps them to exit codes in one place
(``cli.py``).
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["ExitCode", "ImgurSyncError", "UsageError"]


class ExitCode(IntEnum):
    """A command's exit status, as the README and ``imgur-sync --help`` give them."""

    OK = 0
    ERROR = 1  # an ImgurSyncError, or one nothing foresaw
    USAGE = 2  # a usage or config error: the command cannot run as written
    PARTIAL = 3  # finished, but some items failed (`imgur-sync status` lists them)
    UNHEALTHY = 4  # `status --check`: the backup needs attention (one line says why)
    FAILING = 5  # `run` stopped after [alerts] exit_after_failures failed pulls in a row


class ImgurSyncError(Exception):
    """Root of every error imgur-sync raises on purpose."""

    retryable = False


class UsageError(ImgurSyncError, ValueError):
    """A call that cannot work as written (a missing argument, no credentials for it)."""
