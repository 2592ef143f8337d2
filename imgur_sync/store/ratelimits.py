"""The ``rate_limits`` setting: the credits a run last saw, kept so ``status`` needs no request."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .schema import iso

if TYPE_CHECKING:  # only its counters are read; the store does not load the API client
    from ..api import RateLimits

__all__ = ["RATE_LIMITS_SETTING", "rate_limits_setting"]

RATE_LIMITS_SETTING = "rate_limits"


def rate_limits_setting(limits: RateLimits, now: float) -> str | None:
    """Return the ``rate_limits`` setting for the counters a run saw, or None if it saw none."""
    counters = limits.as_dict()
    if all(value is None for value in counters.values()):
        return None
    return json.dumps({**counters, "recorded_at": now, "recorded_at_iso": iso(now)})
