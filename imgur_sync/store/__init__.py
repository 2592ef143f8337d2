"""The SQLite state of imgur-sync: the memory of what exists remotely and locally, and the queue.

:class:`Store` (``database.py``) holds albums, images, favorites, messages, local files,
cursors and settings; its :class:`~imgur_sync.store.journal.Journal` half records runs,
failures and the upload journal. ``base.py`` has the values the columns allow.
"""

from .base import (
    FAVORITE_KINDS,
    FILE_ROLES,
    RUN_KINDS,
    RUN_OUTCOMES,
    UPLOAD_STATES,
    StoreError,
    printable,
)
from .database import Store

__all__ = ["FAVORITE_KINDS", "FILE_ROLES", "RUN_KINDS", "RUN_OUTCOMES", "UPLOAD_STATES",
           "Store", "StoreError", "printable"]
