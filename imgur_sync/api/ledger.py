"""The credit ledger: one SQLite file from which every process using a client id takes credits.

Imgur gives an application (a client id) one pot of daily credits, shared by every user and
process that sends it, and each user an hourly allowance (docs/IMGUR-API.md §Rate limits).
Two imgur-sync processes on one machine with the same client id (two accounts under
``imgur-sync@.service``, say) would each pace themselves blind to the other; through the
ledger they see each other's spending. Per client id it holds:

- the client's daily counters as Imgur last reported them (limit, remaining, reset), and a
  *period* number that goes up each time the daily credits renew;
- each account's hourly counters (limit, remaining, reset);
- what each account spent in each period: reads (1 credit a call) and uploads (10).

:meth:`CreditLedger.take` runs before each call: in one ``BEGIN IMMEDIATE`` transaction it
checks the account's share and the reserve and books the cost, so two processes cannot both
spend the last credits. :meth:`CreditLedger.settle` runs on the answer: its headers bring
the counters up to date, and a 429 (which Imgur does not charge) gives the cost back.

Counters are merged, never just overwritten: answers to concurrent calls arrive out of order,
so within one period the lowest remaining count and the earliest reset reported win. A
period ends when its reset time has passed, when an answer names a reset over an hour later,
or when the remaining count jumps up by more than out-of-order answers explain (credits only
come back with a new day). A ledger that cannot be read or written is logged and skipped:
it coordinates, the transport's own pacer still guards each process.
"""

from __future__ import annotations

import logging
import math
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .errors import HeldBack
from .ratelimits import RateLimits, next_utc_midnight

__all__ = ["DEFAULT_RESERVE", "DEFAULT_SHARE", "AccountSpend", "ClientCredits",
           "CreditLedger", "read_ledger"]

log = logging.getLogger(__name__)

DEFAULT_SHARE = 0.25  # of the client's daily credits, per account, for reads
DEFAULT_RESERVE = 500  # daily credits reads leave for uploads (50 uploads at 10 each)
BUSY_TIMEOUT = 30.0  # seconds a writer waits for another: transactions last microseconds
LATER_WINDOW = 3600.0  # a reset this much later than the recorded one is a new window
# A remaining count this much above the lowest reported is a new window: answers in flight
# together arrive in any order, but never more of them than a process runs at once (64).
JUMP, JUMP_PART = 64, 0.02  # credits, or this part of the limit when that is more
KEEP_PERIODS = 60  # periods of spending kept for the record

_SCHEMA = """
CREATE TABLE IF NOT EXISTS clients (
    client_id TEXT PRIMARY KEY,
    period INTEGER NOT NULL,
    client_limit INTEGER,
    client_remaining INTEGER,   -- the lowest reported this period, less calls booked since
    client_reported INTEGER,    -- the lowest Imgur reported this period
    client_reset REAL,          -- epoch seconds; NULL until an answer names it
    seen_at REAL
);
CREATE TABLE IF NOT EXISTS users (
    client_id TEXT NOT NULL,
    account TEXT NOT NULL,
    user_limit INTEGER,
    user_remaining INTEGER,
    user_reset REAL,
    seen_at REAL,
    PRIMARY KEY (client_id, account)
);
CREATE TABLE IF NOT EXISTS spend (
    client_id TEXT NOT NULL,
    period INTEGER NOT NULL,
    account TEXT NOT NULL,
    reads INTEGER NOT NULL DEFAULT 0,
    uploads INTEGER NOT NULL DEFAULT 0,
    first_at REAL,
    last_at REAL,
    PRIMARY KEY (client_id, period, account)
);
"""


@dataclass(frozen=True)
class AccountSpend:
    """What one account spent in the client's current period, and its hourly counters."""

    account: str
    reads: int
    uploads: int
    user_limit: int | None = None
    user_remaining: int | None = None
    user_reset: float | None = None


@dataclass(frozen=True)
class ClientCredits:
    """One client id's daily credits as the ledger knows them."""

    client_id: str
    period: int
    limit: int | None
    remaining: int | None
    reset: float | None
    seen_at: float | None
    accounts: tuple[AccountSpend, ...]

    @property
    def spent(self) -> int:
        """Credits booked by every account this period."""
        return sum(a.reads + a.uploads for a in self.accounts)


class CreditLedger:
    """One account's handle on the shared ledger of one client id (see the module's text)."""

    def __init__(self, path: str | Path, client_id: str, account: str, *,
                 share: float = DEFAULT_SHARE, reserve: int = DEFAULT_RESERVE) -> None:
        if not 0 < share <= 1:
            raise ValueError(f"share must be above 0 and at most 1, not {share!r}")
        self.path = Path(path)
        self.client_id, self.account = client_id, account
        self.share, self.reserve = share, max(int(reserve), 0)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._broken = False

    # -- the transport's two calls ----------------------------------------------------------

    def take(self, cost: int, now: float) -> None:
        """Book ``cost`` credits for a call about to be sent, or raise ``HeldBack``.

        A read is refused once this account's reads this period would pass its share of
        the client's daily limit, or leave the client fewer credits than the reserve; an
        upload (cost above 1) may spend the reserve, never below zero.
        """
        if cost <= 0:
            return
        with self._transaction() as db:
            if db is None:
                return
            row = self._client(db, now)
            period, limit, remaining, reset = row[0], row[1], row[2], row[4]
            upload = cost > 1
            reads, _ = self._spent(db, period)
            refusal = None
            if limit is not None and not upload and reads + cost > math.floor(self.share * limit):
                refusal = (f"This account has spent its share ({self.share:.0%}) of the "
                           f"application's daily Imgur credits: {reads} of {limit}")
            elif remaining is not None and remaining - cost < (0 if upload else self.reserve):
                refusal = (f"The application has {remaining} of its daily Imgur credits left"
                           + ("" if upload else f", and {self.reserve} are kept for uploads"))
            if refusal is not None:
                # Without a reset named yet, Imgur's day ends at midnight UTC.
                left = max((reset if reset is not None else next_utc_midnight(now)) - now, 0.0)
                at = datetime.fromtimestamp(now + left, timezone.utc)
                raise HeldBack(f"{refusal}; calls resume when they reset at "
                               f"{at:%Y-%m-%d %H:%M:%S} UTC (in {left:.0f} s)",
                               status=429, retry_after=left)
            self._book(db, period, cost, now)
            if remaining is not None:
                db.execute("UPDATE clients SET client_remaining = ? WHERE client_id = ?",
                           (remaining - cost, self.client_id))

    def reads_left(self, now: float) -> tuple[int | None, float | None]:
        """Return how many reads :meth:`take` would still allow this account this period
        (None while no answer named the client's limit), and when the period ends (None
        when unknown). Reads only: books nothing, starts no period in the file."""
        with self._transaction() as db:
            if db is None:
                return None, None
            row = db.execute("SELECT period, client_limit, client_remaining, client_reset"
                             " FROM clients WHERE client_id = ?", (self.client_id,)).fetchone()
            if row is None:
                return None, None
            period, limit, remaining, reset = row
            if reset is not None and now >= reset:  # a new day: all credits are back
                return (None if limit is None else math.floor(self.share * limit)), None
            left = [math.floor(self.share * limit) - self._spent(db, period)[0]] if (
                limit is not None) else []
            if remaining is not None:
                left.append(remaining - self.reserve)
            return (max(min(left), 0) if left else None), reset

    def settle(self, cost: int, headers: Mapping[str, str] | None, status: int | None,
               now: float) -> None:
        """Bring the counters up to date from an answer; a 429 gives ``cost`` back."""
        fresh = RateLimits()
        if headers is not None:
            fresh.update(headers, now)
        refund = cost if status == 429 and cost > 0 else 0
        if not refund and fresh.client_remaining is None and fresh.user_remaining is None:
            return
        with self._transaction() as db:
            if db is None:
                return
            period, _, remaining, reported, reset = self._client(db, now)
            if refund:
                self._book(db, period, -refund, now)
                if remaining is not None:
                    remaining += refund
            if fresh.client_remaining is not None:
                period, remaining, reported, reset = self._merge_client(
                    db, period, remaining, reported, reset, fresh, now)
            db.execute("UPDATE clients SET period = ?, client_limit = COALESCE(?, client_limit),"
                       " client_remaining = ?, client_reported = ?, client_reset = ?,"
                       " seen_at = ? WHERE client_id = ?",
                       (period, fresh.client_limit, remaining, reported, reset, now,
                        self.client_id))
            if fresh.user_remaining is not None:
                self._merge_user(db, fresh, now)

    def close(self) -> None:
        """Close the file (a later call opens it again)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    # -- inside a transaction -----------------------------------------------------------------

    def _client(self, db: sqlite3.Connection,
                now: float) -> tuple[int, int | None, int | None, int | None, float | None]:
        """Return (period, limit, remaining, reported, reset), starting a new period if due."""
        row = db.execute("SELECT period, client_limit, client_remaining, client_reported,"
                         " client_reset FROM clients WHERE client_id = ?",
                         (self.client_id,)).fetchone()
        if row is None:
            db.execute("INSERT INTO clients (client_id, period) VALUES (?, 1)", (self.client_id,))
            return 1, None, None, None, None
        period, limit, remaining, reported, reset = row
        if reset is not None and now >= reset:  # the day is over: the credits are back
            period, remaining, reported, reset = self._new_period(db, period), limit, None, None
            db.execute("UPDATE clients SET period = ?, client_remaining = ?,"
                       " client_reported = NULL, client_reset = NULL WHERE client_id = ?",
                       (period, remaining, self.client_id))
        return period, limit, remaining, reported, reset

    def _new_period(self, db: sqlite3.Connection, period: int) -> int:
        """Return the next period's number, forgetting the spending of long-gone ones."""
        db.execute("DELETE FROM spend WHERE client_id = ? AND period <= ?",
                   (self.client_id, period - KEEP_PERIODS))
        return period + 1

    def _merge_client(self, db: sqlite3.Connection, period: int, remaining: int | None,
                      reported: int | None, reset: float | None, fresh: RateLimits,
                      now: float) -> tuple[int, int | None, int | None, float | None]:
        """Fold an answer's daily counters in; return (period, remaining, reported, reset)."""
        value = fresh.client_remaining
        assert value is not None
        renewed = reset is not None and (
            (fresh.client_reset is not None and fresh.client_reset > reset + LATER_WINDOW)
            or (reported is not None and value > reported + max(
                JUMP, JUMP_PART * (fresh.client_limit or 0))))
        if renewed:
            period = self._new_period(db, period)
            return period, value, value, fresh.client_reset
        if reset is None or (fresh.client_reset is not None and fresh.client_reset < reset):
            # The earliest reset named wins: answers name it in seconds from their own "now",
            # so a server whose clock runs ahead of ours (a sandbox moved on) names it
            # earlier and earlier until the day turns, and then over an hour later.
            reset = fresh.client_reset
        return (period, value if remaining is None else min(remaining, value),
                value if reported is None else min(reported, value), reset)

    def _merge_user(self, db: sqlite3.Connection, fresh: RateLimits, now: float) -> None:
        row = db.execute("SELECT user_remaining, user_reset FROM users WHERE client_id = ?"
                         " AND account = ?", (self.client_id, self.account)).fetchone()
        value, reset = fresh.user_remaining, fresh.user_reset
        if row is not None and row[0] is not None and row[1] is not None and now < row[1] and (
                reset is None or reset <= row[1] + 60):  # the same hour: the lowest count wins
            value, reset = min(row[0], value or 0), row[1]
        db.execute("INSERT INTO users VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (client_id, account)"
                   " DO UPDATE SET user_limit = COALESCE(excluded.user_limit, user_limit),"
                   " user_remaining = excluded.user_remaining, user_reset = excluded.user_reset,"
                   " seen_at = excluded.seen_at",
                   (self.client_id, self.account, fresh.user_limit, value, reset, now))

    def _spent(self, db: sqlite3.Connection, period: int) -> tuple[int, int]:
        row = db.execute("SELECT reads, uploads FROM spend WHERE client_id = ? AND period = ?"
                         " AND account = ?", (self.client_id, period, self.account)).fetchone()
        return (row[0], row[1]) if row is not None else (0, 0)

    def _book(self, db: sqlite3.Connection, period: int, cost: int, now: float) -> None:
        """Add ``cost`` (negative to give back) to this account's spending this period."""
        column = "uploads" if abs(cost) > 1 else "reads"
        db.execute(f"INSERT INTO spend (client_id, period, account, {column}, first_at, last_at)"
                   " VALUES (?, ?, ?, MAX(?, 0), ?, ?) ON CONFLICT (client_id, period, account)"
                   f" DO UPDATE SET {column} = MAX({column} + ?, 0), last_at = ?",
                   (self.client_id, period, self.account, cost, now, now, cost, now))

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection | None]:
        """Yield the connection inside ``BEGIN IMMEDIATE``, or None if the ledger is unusable."""
        with self._lock:
            if self._broken:
                yield None
                return
            try:
                db = self._connect()
                db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                self._give_up(exc)
                yield None
                return
            try:
                yield db
                db.execute("COMMIT")
            except sqlite3.Error as exc:  # a full disk, say: the call goes on without it
                self._give_up(exc)
            except BaseException:  # a refusal: nothing was booked
                db.execute("ROLLBACK")
                raise

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Autocommit mode: transactions are the explicit BEGIN IMMEDIATE above, which
            # takes the write lock at once, so two processes never both read, then write.
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None,
                                 check_same_thread=False)
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")  # a lost last write costs a few credits
            db.executescript(_SCHEMA)
            self._db = db
        return self._db

    def _give_up(self, exc: sqlite3.Error) -> None:
        """Stop using a ledger that fails: the transport's own pacer still paces this process."""
        self._broken = True
        if self._db is not None and self._db.in_transaction:
            with suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
        log.warning("The shared credit ledger %s cannot be used (%s); this process paces "
                    "itself alone until it restarts", self.path, exc)
        if self._db is not None:
            self._db.close()
            self._db = None


def read_ledger(path: str | Path, client_id: str) -> ClientCredits | None:
    """Return what the ledger at ``path`` knows of ``client_id``, reading only; None if nothing.

    Raises ``sqlite3.Error`` when the file is there but cannot be read.
    """
    path = Path(path)
    if not path.is_file():
        return None
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                                 timeout=BUSY_TIMEOUT)) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        if "clients" not in tables:
            return None
        return _credits(db, client_id)


def _credits(db: sqlite3.Connection, client_id: str) -> ClientCredits | None:
    row = db.execute("SELECT period, client_limit, client_remaining, client_reset, seen_at"
                     " FROM clients WHERE client_id = ?", (client_id,)).fetchone()
    if row is None:
        return None
    period = row[0]
    users = {account: rest for account, *rest in db.execute(
        "SELECT account, user_limit, user_remaining, user_reset FROM users"
        " WHERE client_id = ?", (client_id,))}
    accounts = tuple(
        AccountSpend(account, reads, uploads, *users.get(account, (None, None, None)))
        for account, reads, uploads in db.execute(
            "SELECT account, reads, uploads FROM spend WHERE client_id = ? AND period = ?"
            " ORDER BY account", (client_id, period)))
    return ClientCredits(client_id, period, row[1], row[2], row[3], row[4], accounts)
