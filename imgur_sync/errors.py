"""The root of imgur-sync's exceptions.

It lives in ``imgur_sync.api.errors`` because the API client is a library of its own that
imports nothing else of ours; the rest of the package takes it from here. The CLI maps
these to exit codes in one place (``cli.py``).
"""

from __future__ import annotations

from .api.errors import ImgurSyncError, UsageError

__all__ = ["ImgurSyncError", "UsageError"]
