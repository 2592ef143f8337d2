"""Imgur's credit counters, read from response headers, and the pacing rule that spends them.

Imgur charges credits per call (uploads cost 10) against three budgets: the user's (or IP's)
hourly credits, the application's daily credits, and an hourly allowance of POSTs. A client
that runs out is answered 429, and an application that runs out five times in a month is
blocked for the rest of it (docs/IMGUR-API.md §Rate limits), so the client paces itself: it
waits for a reset
rather than spending its last credits, and refuses outright when a wait would be too long or
the application's daily credits are spent (until they reset, not for good).

Reset headers come in two forms: Imgur sent ``X-RateLimit-UserReset`` as an epoch in 2014
and as seconds until the reset (``3047``) in 2023, and ``X-RateLimit-ClientReset`` as seconds
(``86341``). A value below ``EPOCH_FLOOR`` is read as seconds from now, anything else as an
epoch, for every reset header.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta, timezone
from typing import Protocol

from .errors import HeldBack

__all__ = ["EPOCH_FLOOR", "CreditBudget", "Pacer", "RateLimits", "keep_reserve",
           "next_utc_midnight", "request_cost"]

# Header -> (attribute, kind): a "count", or a "reset" time (seconds from now or an epoch).
_HEADERS = {
    "x-ratelimit-userlimit": ("user_limit", "count"),
    "x-ratelimit-userremaining": ("user_remaining", "count"),
    "x-ratelimit-userreset": ("user_reset", "reset"),
    "x-ratelimit-clientlimit": ("client_limit", "count"),
    "x-ratelimit-clientremaining": ("client_remaining", "count"),
    "x-ratelimit-clientreset": ("client_reset", "reset"),
    "x-post-rate-limit-limit": ("post_limit", "count"),
    "x-post-rate-limit-remaining": ("post_remaining", "count"),
    "x-post-rate-limit-reset": ("post_reset", "reset"),
}
# 2001-09-09 as an epoch, and 31 years as seconds: no reset is that far away, and no epoch
# Imgur sends is that old, so the magnitude tells the two forms apart.
EPOCH_FLOOR = 1e9
UPLOAD_PATHS = frozenset({"3/image", "3/upload"})


def request_cost(method: str, path: str) -> int:
    """Return the credits a request costs: 10 for an upload, 0 for OAuth, else 1."""
    path = path.strip("/")
    if path.startswith("oauth2/"):
        return 0
    return 10 if method == "POST" and path in UPLOAD_PATHS else 1


def next_utc_midnight(now: float) -> float:
    """Return the epoch of the next UTC midnight after ``now`` (when daily credits renew)."""
    day = datetime.fromtimestamp(now, timezone.utc).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()


@dataclass
class RateLimits:
    """The latest counters Imgur reported; ``None`` until a response carried them."""

    user_limit: int | None = None
    user_remaining: int | None = None
    user_reset: float | None = None  # epoch seconds
    client_limit: int | None = None
    client_remaining: int | None = None
    client_reset: float | None = None  # epoch seconds; the next UTC midnight when not sent
    post_limit: int | None = None
    post_remaining: int | None = None
    post_reset: float | None = None  # epoch seconds (the header gives seconds from now)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    # Credits of calls sent and not answered yet: the counters above do not count them,
    # so threads that pace together would otherwise all spend the same last credits.
    _in_flight: int = field(default=0, repr=False, compare=False)

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def sent(self, cost: int) -> None:
        """Count a call's credits as spent until its answer's counters say so."""
        with self._lock:
            self._in_flight += cost

    def answered(self, cost: int) -> None:
        """A call came back (or never will): its answer's counters now hold its cost."""
        with self._lock:
            self._in_flight = max(self._in_flight - cost, 0)

    def update(self, headers: Mapping[str, str], now: float) -> None:
        """Take the counters from a response's headers, whatever their case."""
        lowered = {k.lower(): v for k, v in headers.items()}
        with self._lock:
            for name, (attr, kind) in _HEADERS.items():
                raw = lowered.get(name)
                if raw is None:
                    continue
                try:
                    value = float(raw)
                except ValueError:
                    continue  # a garbled header must not break the call it came with
                if not math.isfinite(value):
                    continue
                if kind == "count":
                    setattr(self, attr, max(int(value), 0))
                else:
                    setattr(self, attr, value if value >= EPOCH_FLOOR else now + value)
            # A daily count without its reset: Imgur's day ends at midnight UTC. A reset
            # given before still stands while it lies ahead.
            if ("x-ratelimit-clientremaining" in lowered
                    and "x-ratelimit-clientreset" not in lowered
                    and (self.client_reset is None or self.client_reset <= now)):
                self.client_reset = next_utc_midnight(now)

    def forget_expired(self, now: float) -> None:
        """Drop remaining counts whose reset time has passed (they are full again)."""
        with self._lock:
            if self.user_reset is not None and now >= self.user_reset:
                self.user_remaining = self.user_limit
            if self.client_reset is not None and now >= self.client_reset:
                self.client_remaining = self.client_limit
            if self.post_reset is not None and now >= self.post_reset:
                self.post_remaining = self.post_limit

    def as_dict(self) -> dict[str, float | int | None]:
        """Return the public counters as a plain dict (for ``status`` and logs)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}


class Pacer(Protocol):
    """Decide how long to wait before a request; raise ``HeldBack`` to refuse it."""

    def __call__(self, limits: RateLimits, method: str, cost: int, now: float) -> float: ...


class CreditBudget(Protocol):
    """Credits shared with other processes (``ledger.CreditLedger``): each call's cost is
    booked before it is sent (``take`` raises ``RateLimited`` to refuse it) and settled with
    its answer's headers and status (``None`` for no answer)."""

    def take(self, cost: int, now: float) -> None: ...

    def settle(self, cost: int, headers: Mapping[str, str] | None, status: int | None,
               now: float) -> None: ...


def keep_reserve(reserve: int = 0) -> Pacer:
    """Return a pacer that keeps ``reserve`` credits untouched and waits for resets."""

    def pace(limits: RateLimits, method: str, cost: int, now: float) -> float:
        if cost <= 0:  # OAuth is free: a token refresh is never held back
            return 0.0
        if limits.client_remaining is not None and limits.client_remaining - cost < reserve:
            # Refused until the reset only: forget_expired refills the count after it.
            reset = limits.client_reset if limits.client_reset is not None else (
                next_utc_midnight(now))
            left = max(reset - now, 0.0)
            at = datetime.fromtimestamp(reset, timezone.utc)
            raise HeldBack(
                f"The application has {limits.client_remaining} of its daily Imgur credits left "
                f"and keeps {reserve} in reserve; calls resume when they reset at "
                f"{at:%Y-%m-%d %H:%M:%S} UTC (in {left:.0f} s)",
                status=429, retry_after=left)
        wait = 0.0
        # The hourly credits of calls still in flight are spent already. (The daily ones
        # are booked by the credit ledger as each call is sent: ledger.py.)
        if (limits.user_remaining is not None and limits.user_reset is not None
                and limits.user_remaining - limits.in_flight - cost < reserve):
            wait = limits.user_reset - now
        if (method == "POST" and limits.post_remaining is not None
                and limits.post_reset is not None and limits.post_remaining < 1):
            wait = max(wait, limits.post_reset - now)
        return max(wait, 0.0)

    return pace
