"""The SQLite state of imgur-sync: the memory of what exists remotely and locally, and the queue.

:class:`Store` (``database.py``) holds albums, images, favorites, messages, local files,
cursors and settings; its :class:`~imgur_sync.store.journal.Journal` half records runs,
failures and the upload journal. ``base.py`` has the values the columns allow, ``schema.py``
the tables and their migrations, ``ratelimits.py`` the credits a run saw.
"""

from .base import (
    FAVORITE_KINDS,
    RUN_KINDS,
    RUN_OUTCOMES,
    UPLOAD_STATES,
    StoreError,
    printable,
)
from .database import Store
from .ratelimits import RATE_LIMITS_SETTING, rate_limits_setting

__all__ = ["FAVORITE_KINDS", "RATE_LIMITS_SETTING", "RECONCILE_CURSOR",
           "RECONCILE_WALKED", "RUN_KINDS",
           "RUN_OUTCOMES", "SIGN_IN_FAILURE", "UNAVAILABLE_SETTING", "UPLOAD_STATES", "Store",
           "StoreError", "printable", "rate_limits_setting"]

#: + a section's name: why the sign-in cannot read that section ("" once it could).
UNAVAILABLE_SETTING = "unavailable:"
# The cursor holding the running reconcile cycle (JSON; written by mirror/reconcile.py, read
# by `status` too).
RECONCILE_CURSOR = "reconcile"
RECONCILE_WALKED = -1  # a listing's position in that cursor once the cycle read it to its end
#: The kind of the open failure a pull records when Imgur refuses the sign-in.
SIGN_IN_FAILURE = "sign-in"
