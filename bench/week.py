"""Simulate days of ``imgur-sync run`` on the sandbox's clock, with the accounts changing.

docs/ARCHITECTURE.md §Pull, README "Sharing a client id". The sandbox (``big --scale N``,
its rate limits enforced) runs in its own process, and the bench plays the daemon's schedule
on the sandbox's clock: for each ``--pull-every`` step it moves the clock (``POST
/__sandbox__/clock``), making the day's changes at random moments in between through
``/__sandbox__/mutate`` — retitles, moves between albums, deletions, new uploads, new
albums, new favorites and favorites taken back — then runs the pull ``run`` would run then
in a child process, as bench/pull.py does, with the config's default ``[budget]``: a quick
pull, which carries the next slice of the rolling reconcile (``[schedule]
reconcile_every``), or a full one every ``--full-every`` when that is set. The accounts'
first mirrors are made on a day 0 of their own, with the share lifted, and the week begins
the next day from finished mirrors: a first mirror of 100,000 images costs about 6,100
requests, more than a day's 25 % share, so under the defaults it takes two days and new
items wait for it (``--first-in-budget`` runs it that way, on day 1). After each pull it
reads the state database to see which changes have reached the mirror. It reports, per
account and simulated day: API requests against the client's daily credits (OAuth is free),
pulls that stopped short, 429s; and over the run: the delay from each change to the mirror,
by kind, the pulls' peak RSS, and the reconcile cycles each account completed.

``--accounts 2`` adds accounts (``POST /__sandbox__/accounts``: big's own content at
``--other-scale``) signed in to the same client id, each with its own state directory and
the credit ledger in a shared one, as two instances of ``imgur-sync@.service`` run; they
pull one after the other at each step. Each pull child runs on the sandbox's clock (the
bench passes the offset), so its pacing, its ledger and its reconcile see the simulated
days. The hourly user credits are raised for the first mirrors (100,000 images in minutes)
and back to Imgur's for the week (unless the first mirror is in it); the client's daily
credits are the budget measured.

    python bench/week.py [--scale 1] [--days 7] [--pull-every 15] [--reconcile-every 10080]
                         [--full-every 0] [--accounts 1] [--other-scale N] [--changes 20]
                         [--first-in-budget] [--seed 1] [--no-gallery] [--check]

(intervals in minutes). It prints figures and exits 0 whatever they are; ``--check`` exits
1 when a target is missed: for each account at most 25 % of the client's daily credits
spent on a day, no 429, every new item in the mirror within one pull interval and every
other change within ``--reconcile-every`` minutes (a change not seen by the end of the run
counts once that time has passed), and no removal recorded without a direct GET of an
image or album to confirm it.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pull import MB, Account, BenchError, SandboxProcess, print_targets, run_bench

from imgur_sync.api import read_ledger
from imgur_sync.mirror.reconcile import CYCLE_CURSOR
from imgur_sync.sandbox import SandboxOptions

MINUTE, DAY = 60, 86400
TARGET_SHARE = 0.25
NEW_KINDS = frozenset({"upload", "album", "favorite"})
CONFIRMING = ("GET /3/image/<image_id>", "GET /3/album/<album_id>")


@dataclass
class Change:
    """One change made to the account, and the question whether the mirror has it."""

    kind: str
    made_at: float  # the sandbox's time
    check: Callable[[sqlite3.Connection], bool]
    seen_at: float | None = None
    # For a new item: whether it is in the mirror at all. An image uploaded into an old
    # album arrives with the next pull; its place in that album (``check``) may wait for the
    # reconcile (README, "rolling reconcile"): an image's listing does not name its album.
    arrived: Callable[[sqlite3.Connection], bool] | None = None
    arrived_at: float | None = None

    def late_as_new(self, every: float) -> bool:
        """A new item not in the mirror within one pull interval."""
        at = self.arrived_at if self.arrived is not None else self.seen_at
        return at is None or at - self.made_at > every


@dataclass
class Day:
    """What one simulated day cost."""

    requests: int = 0
    cold: int = 0  # of them, the first pull's (the budget is for the days after it)
    pulls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    short: int = 0  # pulls that ended partial
    status_429: int = 0


class World:
    """The account as the bench changes it, through the sandbox's control API."""

    def __init__(self, sandbox: SandboxProcess, rng: random.Random, me: str | None = None,
                 state: dict[str, Any] | None = None) -> None:
        self.sandbox, self.rng = sandbox, rng
        state = state or self.control("GET", "state")
        owners = [i["owner"] for i in state["images"] if i["owner"]]
        # The account big seeds owns the most images, unless the bench names another.
        self.me = me = me or max(set(owners), key=owners.count)
        self.images = [i["id"] for i in state["images"]
                       if i["owner"] == me and not i.get("deleted")]
        self.albums = {a["id"]: list(a["image_ids"]) for a in state["albums"]
                       if a["owner"] == me and not a.get("deleted")}
        account = next(a for a in state["accounts"] if a["url"] == me)
        self.favorites = [item_id for kind, item_id, _ in account["favorites"]
                          if kind == "image"]
        self.others = [i["id"] for i in state["images"]  # images to favorite
                       if i["owner"] and i["owner"] != me and not i.get("deleted")]
        self.serial = 0

    def control(self, method: str, path: str, body: Any = None) -> Any:
        return self.control_of(self.sandbox, method, path, body)

    @staticmethod
    def control_of(sandbox: SandboxProcess, method: str, path: str, body: Any = None) -> Any:
        """Call the sandbox's control API; return the answer's data."""
        answer = sandbox.http.request(method, sandbox.url(f"__sandbox__/{path}"), json=body,
                                      timeout=120)
        if not answer.ok:
            raise BenchError(f"{method} /__sandbox__/{path}: {answer.status_code} {answer.text}")
        return answer.json()["data"]

    def now(self) -> float:
        now: float = self.control("GET", "clock")["now"]
        return now

    def advance(self, seconds: float) -> None:
        self.control("POST", "clock", {"advance": seconds})

    def change(self, now: float) -> Change:
        """Make one random change to the account; return how to see it in the mirror."""
        self.serial += 1
        kind = self.rng.choice(("retitle", "retitle", "move", "delete", "upload", "upload",
                                "album", "favorite", "unfavorite"))
        albums = [a for a, ids in self.albums.items() if ids]
        if kind == "retitle" and self.images:
            image, title = self.rng.choice(self.images), f"Retitled {self.serial}"
            self.control("POST", "mutate/retitle_image", {"image_id": image, "title": title})
            return Change(kind, now, lambda db: _one(
                db, "SELECT 1 FROM images WHERE id = ? AND title = ?", image, title))
        if kind == "move" and len(self.albums) > 1 and albums:
            source = self.rng.choice(albums)
            image = self.rng.choice(self.albums[source])
            target = self.rng.choice([a for a in self.albums if a != source])
            self.control("POST", "mutate/move_image", {
                "image_id": image, "from_album": source, "to_album": target})
            self.albums[source].remove(image)
            self.albums[target].append(image)
            return Change(kind, now, lambda db: _one(
                db, "SELECT 1 FROM album_images WHERE album_id = ? AND image_id = ?", target,
                image) and not _one(db, "SELECT 1 FROM album_images WHERE album_id = ? AND "
                                    "image_id = ?", source, image))
        if kind == "delete" and self.images:
            image = self.images.pop(self.rng.randrange(len(self.images)))
            self.control("POST", "mutate/delete_image", {"image_id": image})
            for ids in self.albums.values():
                if image in ids:
                    ids.remove(image)
            return Change(kind, now, lambda db: _one(
                db, "SELECT 1 FROM images WHERE id = ? AND removed_at IS NOT NULL", image))
        if kind in ("favorite", "unfavorite") and self.favorites:
            if kind == "favorite":
                image = self.rng.choice([i for i in self.others if i not in self.favorites])
                self.favorites.insert(0, image)
            else:  # mostly one far down the list, below what a quick pull reads
                image = self.favorites.pop(self.rng.randrange(len(self.favorites)))
            self.control("POST", "mutate/toggle_favorite", {"username": self.me,
                                                            "item_id": image})
            removed = "NOT NULL" if kind == "unfavorite" else "NULL"
            return Change(kind, now, lambda db: _one(
                db, "SELECT 1 FROM favorites WHERE item_id = ? AND gallery = 0 AND "
                f"removed_at IS {removed}", image))
        if kind == "album":
            ids = [self._upload(None) for _ in range(3)]
            album = self.control("POST", "mutate/add_album", {
                "owner": self.me, "title": f"New album {self.serial}", "image_ids": ids})["id"]
            self.albums[album] = ids
            return Change(kind, now, lambda db: all(_one(
                db, "SELECT 1 FROM album_images WHERE album_id = ? AND image_id = ?", album, i)
                for i in ids))
        album = self.rng.choice([*self.albums, None])  # an upload, into an album or none
        image = self._upload(album)
        def arrived(db: sqlite3.Connection) -> bool:
            return _one(db, "SELECT 1 FROM images WHERE id = ?", image)

        return Change("upload", now, lambda db: arrived(db) and (album is None or _one(
            db, "SELECT 1 FROM album_images WHERE album_id = ? AND image_id = ?", album,
            image)), arrived=arrived)

    def _upload(self, album: str | None) -> str:
        image: str = self.control("POST", "mutate/add_image", {
            "owner": self.me, "title": f"Upload {self.serial}", "album": album})["id"]
        self.images.append(image)
        if album is not None:
            self.albums[album].append(image)
        return image


def _one(db: sqlite3.Connection, sql: str, *args: str) -> bool:
    return db.execute(sql, args).fetchone() is not None


@dataclass
class Member:
    """One account of the run: its pulls, the changes made to it, what they cost."""

    name: str
    account: Account
    world: World
    database: Path
    days: list[Day] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    first: Day | None = None  # the first mirror, when made before the week (day 0)
    peak_rss: int = 0
    removed: int = 0
    cycle_starts: set[float] = field(default_factory=set)  # one per reconcile cycle begun

    @property
    def cycles(self) -> int:
        """Reconcile cycles completed: each begun after the first (the cold pull's) ended one."""
        return max(len(self.cycle_starts) - 1, 0)


def members(args: argparse.Namespace, sandbox: SandboxProcess, work: Path,
            rng: random.Random) -> list[Member]:
    """The first account is big's own; ``--accounts`` adds more on the same client id, each
    with its own state directory and the ledger in one shared directory (as two instances
    of ``imgur-sync@.service``)."""
    shared = work / "shared-state"
    shared.mkdir()
    more = (f'[schedule]\npull_every = "{args.pull_every}m"\n'
            f'reconcile_every = "{args.reconcile_every}m"\n' if not args.full_every else "")
    out = []
    for n in range(args.accounts):
        home = work / f"account{n + 1}"
        settings = None
        name = None
        if n:  # another account, with big's own content, signed in to the same client
            name = f"WeekAccount{n + 1}"
            added = World.control_of(sandbox, "POST", "accounts", {
                "username": name, "client_id": sandbox.settings["client_id"],
                "scale": args.other_scale or args.scale})
            settings = {**sandbox.settings, "refresh_token": added["refresh_token"]}
        account = Account(sandbox, home, args.concurrency, budget="", gallery=args.gallery,
                          settings=settings,
                          shared=shared if args.accounts > 1 else None, more=more)
        world = World(sandbox, rng, name)
        out.append(Member(world.me, account, world, account.state / "imgur-sync.db"))
    return out


def simulate(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Run the days; return the figures."""
    rng = random.Random(args.seed)
    every, full_every = args.pull_every * MINUTE, args.full_every * MINUTE
    with SandboxProcess(args.scale, work) as sandbox:
        # Hourly user credits out of the way of a first mirror; the client's daily ones are
        # enforced.
        sandbox.set_options(user_limit=10**7, enforce_rate_limits=True,
                            **({"client_limit": args.client_limit} if args.client_limit else {}))
        accounts = members(args, sandbox, work, rng)
        clock = accounts[0].world
        ahead = not args.first_in_budget  # the first mirrors made on a day 0 of their own
        for member in accounts if ahead else ():
            member.account.set_budget(Account.ALL_CREDITS)
        client_limit = clock.control("GET", "options")["client_limit"]
        before = after = sandbox.counters()
        steps_per_day = DAY // every
        for step in range(args.days * steps_per_day + 1):
            day_number = max(step - 1, 0) // steps_per_day  # the cold pull opens day 1
            if step:  # the interval before this pull, with its share of the day's changes
                moments = sorted((rng.uniform(0, every), member) for member in accounts
                                 for _ in range(_spread(args.changes, steps_per_day, step,
                                                        rng)))
                passed = 0.0
                for moment, member in moments:
                    clock.advance(moment - passed)
                    passed = moment
                    member.changes.append(member.world.change(clock.now()))
                clock.advance(every - passed)
            full = step > 0 and bool(full_every) and (step * every) % full_every == 0
            kind = "cold" if step == 0 else "full" if full else "quick"
            for member in accounts:
                if kind == "cold" and ahead:
                    day = member.first = Day()
                else:
                    if day_number == len(member.days):
                        member.days.append(Day())
                    day = member.days[-1]
                member.account.clock_offset = clock.now() - time.time()
                figures = member.account.pull(f"{step:05d}-{kind}", full, None)
                result = figures.result or {}
                spent = figures.delta.api - figures.delta.by_route.get("POST /oauth2/token", 0)
                day.requests += spent
                day.cold += spent if kind == "cold" else 0
                day.pulls[kind] += 1
                day.short += result.get("outcome") != "ok"
                member.peak_rss = max(member.peak_rss, figures.rss_bytes or 0)
                now = clock.now()
                with closing(sqlite3.connect(f"{member.database.as_uri()}?mode=ro",
                                             uri=True)) as db:
                    for change in member.changes:
                        if change.seen_at is None and change.check(db):
                            change.seen_at = now
                        if change.arrived_at is None and change.arrived is not None and \
                                change.arrived(db):
                            change.arrived_at = now
                    member.removed = db.execute(
                        "SELECT (SELECT COUNT(*) FROM images WHERE removed_at IS NOT NULL) + "
                        "(SELECT COUNT(*) FROM albums WHERE removed_at IS NOT NULL)").fetchone()[0]
                    start = _cycle_start(db)
                    if start is not None:
                        member.cycle_starts.add(start)
                after = sandbox.counters()
                day.status_429 += (after["by_status"].get("429", 0)
                                   - before["by_status"].get("429", 0))
                before = after
            if step == 0 and ahead:  # the week begins on the next day, with the defaults
                sandbox.set_options(user_limit=SandboxOptions().user_limit)
                clock.advance(DAY)
                for member in accounts:
                    member.account.set_budget("")
        confirming = sum(after["by_route"].get(route, 0) for route in CONFIRMING)
        ledger_dir = work / "shared-state" if args.accounts > 1 else accounts[0].account.state
        ledger = read_ledger(ledger_dir / "credits.db", sandbox.settings["client_id"])
        end = clock.now()
    return {"accounts": accounts, "limit": client_limit, "confirming": confirming,
            "every": every, "ledger": ledger, "end": end}


def _cycle_start(db: sqlite3.Connection) -> float | None:
    """When the account's running reconcile cycle began, as its store says (None: none)."""
    row = db.execute("SELECT value FROM cursors WHERE name = ?", [CYCLE_CURSOR]).fetchone()
    try:
        return float(json.loads(row[0])["start"]) if row else None
    except (ValueError, KeyError, TypeError):
        return None


def _spread(per_day: int, steps_per_day: int, step: int, rng: random.Random) -> int:
    """How many of a day's ``per_day`` changes fall in this step (on average per_day/steps)."""
    rate = per_day / steps_per_day
    return int(rate) + (rng.random() < rate - int(rate))


def report(args: argparse.Namespace, figures: dict[str, Any]) -> bool:
    """Print the figures and the targets; return True when every target is met."""
    limit, every = figures["limit"], figures["every"]
    schedule = (f"a full one every {args.full_every} min" if args.full_every else
                f"a rolling reconcile over {args.reconcile_every} min")
    print(f"big --scale {args.scale}, {args.accounts} account(s) on one client id, "
          f"{args.days} simulated day(s), a pull every {args.pull_every} min, {schedule}, "
          f"about {args.changes} changes a day each; the client's daily credits: {limit}")
    targets: list[tuple[str, str, bool]] = []
    late_by = args.reconcile_every * MINUTE
    for member in figures["accounts"]:
        print(f"\n{member.name}: reconcile cycles completed: {member.cycles}")
        print(f"{'day':>4} {'requests':>9} {'of budget':>10} {'cold pull':>10} "
              f"{'pulls':>24} {'short':>6} {'429s':>5}")
        for n, day in ([(0, member.first)] if member.first else []) + list(
                enumerate(member.days, start=1)):
            pulls = ", ".join(f"{k} {v}" for k, v in sorted(day.pulls.items()))
            print(f"{n:>4} {day.requests:>9} {day.requests / limit:>9.1%} {day.cold:>10} "
                  f"{pulls:>24} {day.short:>6} {day.status_429:>5}")
        by_kind: dict[str, list[float]] = defaultdict(list)
        unseen: dict[str, int] = defaultdict(int)
        for change in member.changes:
            if change.seen_at is None:
                unseen[change.kind] += 1
            else:
                by_kind[change.kind].append(change.seen_at - change.made_at)
        print("delay from a change to the mirror (simulated minutes):")
        for kind in sorted(set(by_kind) | set(unseen)):
            delays = sorted(by_kind[kind])
            shown = (f"median {statistics.median(delays) / MINUTE:7.1f}, max "
                     f"{delays[-1] / MINUTE:7.1f}" if delays else "none seen")
            print(f"  {kind:10} {len(delays):4} seen, {unseen[kind]:3} not yet: {shown}")
        arrivals = sorted(c.arrived_at - c.made_at for c in member.changes
                          if c.arrived is not None and c.arrived_at is not None)
        if arrivals:  # the uploads, in the mirror at all (their album places may wait)
            print(f"  uploads in the mirror (images/): median "
                  f"{statistics.median(arrivals) / MINUTE:7.1f}, max {arrivals[-1] / MINUTE:7.1f}")
        print(f"peak RSS of a pull: {member.peak_rss / MB:.1f} MB; removals recorded: "
              f"{member.removed}")
        worst = max(d.requests - d.cold for d in member.days)
        every_day = [member.first, *member.days] if member.first else member.days
        late_new = [c for c in member.changes if c.kind in NEW_KINDS and c.late_as_new(every)]
        # A change not seen yet is late only once the reconcile's time for it has passed.
        late = [c for c in member.changes if (c.seen_at or figures["end"]) - c.made_at
                > late_by]
        targets += [
            (f"{member.name}: requests a day (the cold pull aside) <= {TARGET_SHARE:.0%} of "
             f"{limit}", f"{worst / limit:.1%}", worst <= TARGET_SHARE * limit),
            (f"{member.name}: 429s", str(sum(d.status_429 for d in every_day)),
             all(d.status_429 == 0 for d in every_day)),
            (f"{member.name}: new items later than one pull interval", str(len(late_new)),
             not late_new),
            (f"{member.name}: changes later than {args.reconcile_every} min", str(len(late)),
             not late),
        ]
        if args.days * DAY >= late_by and not args.full_every:  # a whole cycle had its time
            targets.append((f"{member.name}: reconcile cycles completed >= 1",
                            str(member.cycles), member.cycles >= 1))
    ledger = figures["ledger"]
    if ledger is not None:  # its periods should have followed the sandbox's days
        print(f"\ncredit ledger: day {ledger.period} of the client id, {ledger.spent} credits "
              f"booked and {ledger.remaining} left of {ledger.limit} by its count")
    removed = sum(m.removed for m in figures["accounts"])
    print(f"removals recorded: {removed}; direct GETs of an image or album: "
          f"{figures['confirming']}\n")
    targets.append(("removals <= direct GETs", f"{removed} / {figures['confirming']}",
                    removed <= figures["confirming"]))
    return print_targets(targets)


def main() -> None:
    """Run the simulation and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--pull-every", type=int, default=15, help="minutes")
    parser.add_argument("--full-every", type=int, default=0,
                        help="minutes; 0 (the default): no full pulls, the quick pulls carry "
                             "the rolling reconcile")
    parser.add_argument("--reconcile-every", type=int, default=7 * 24 * 60, help="minutes")
    parser.add_argument("--changes", type=int, default=20,
                        help="about this many a day, per account")
    parser.add_argument("--accounts", type=int, default=1,
                        help="accounts sharing the client id (the others get big's own "
                             "content at --other-scale)")
    parser.add_argument("--other-scale", type=int, default=0,
                        help="scale of the other accounts (default: --scale)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--client-limit", type=int, default=0,
                        help="the client's daily credits (default: the sandbox's, 12500)")
    parser.add_argument("--no-gallery", dest="gallery", action="store_false",
                        help="pull with [mirror] gallery = false (the pulls alone)")
    parser.add_argument("--first-in-budget", action="store_true",
                        help="make the first mirror under the default share, on day 1, as "
                             "`run` would (default: on a day 0 of its own with the share "
                             "lifted, as `pull` with share = 100%% would; the week begins the "
                             "next day, from a finished mirror)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when a target is missed (default: always exit 0)")
    args = parser.parse_args()
    if DAY % (args.pull_every * MINUTE) or (args.full_every or 0) % args.pull_every:
        parser.error("--pull-every must divide a day, and --full-every be a multiple of it")
    run_bench(args, "imgur-sync-week-", simulate, report)


if __name__ == "__main__":
    main()
