"""Simulate days of ``imgur-sync run`` on the sandbox's clock, with the account changing.

docs/ARCHITECTURE.md §Pull, README "Sharing a client id". The sandbox (``big --scale N``,
its rate limits enforced) runs in its own process, and the bench plays the daemon's
schedule on the sandbox's clock: for each ``--pull-every`` step it moves the clock
(``POST /__sandbox__/clock``), making the day's changes at random moments in between
through ``/__sandbox__/mutate`` — retitles, moves between albums, deletions, new uploads
and new albums — then runs the pull ``run`` would run then (a quick pull carrying its
slice of the rolling reconcile; a full one every ``--full-every`` if given) in a child
process, as bench/pull.py does, with the config's default ``[budget]``. After each pull
it reads the state database to see which changes have reached the mirror. It reports,
per simulated day: API requests against the client's daily credits (OAuth is free), pulls
that stopped short, 429s; and over the run: the delay from each change to the mirror, by
kind, and the pulls' peak RSS.

The pull children run on the machine's clock, the sandbox on one moved ahead: the credit
ledger tells the days apart by the reset times and counts the answers carry. The hourly
user credits are raised out of the way (the sandbox names their reset as an epoch of its
own time); the client's daily credits are the budget measured.

    python bench/week.py [--scale 1] [--days 7] [--pull-every 15] [--full-every 0]
                         [--changes 20] [--seed 1] [--check]

(intervals in minutes). It prints figures and exits 0 whatever they are; ``--check`` exits
1 when a target is missed: at most 25 % of the client's daily credits spent on a day, no
429, every new item in the mirror within one pull interval and every other change within
``--reconcile-every`` minutes (default: a week), and no removal recorded without a direct
GET of an image or album to confirm it.
"""

from __future__ import annotations

import argparse
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

MINUTE, DAY = 60, 86400
TARGET_SHARE = 0.25
NEW_KINDS = frozenset({"upload", "album"})
CONFIRMING = ("GET /3/image/<image_id>", "GET /3/album/<album_id>")


@dataclass
class Change:
    """One change made to the account, and the question whether the mirror has it."""

    kind: str
    made_at: float  # the sandbox's time
    check: Callable[[sqlite3.Connection], bool]
    seen_at: float | None = None


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

    def __init__(self, sandbox: SandboxProcess, rng: random.Random) -> None:
        self.sandbox, self.rng = sandbox, rng
        state = self.control("GET", "state")
        owners = [i["owner"] for i in state["images"] if i["owner"]]
        self.me = me = max(set(owners), key=owners.count)  # the account big seeds
        self.images = [i["id"] for i in state["images"]
                       if i["owner"] == me and not i.get("deleted")]
        self.albums = {a["id"]: list(a["image_ids"]) for a in state["albums"]
                       if a["owner"] == me and not a.get("deleted")}
        self.serial = 0

    def control(self, method: str, path: str, body: Any = None) -> Any:
        answer = self.sandbox.http.request(method, self.sandbox.url(f"__sandbox__/{path}"),
                                           json=body, timeout=120)
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
                                "album"))
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
        return Change("upload", now, lambda db: _one(
            db, "SELECT 1 FROM images WHERE id = ?", image) and (album is None or _one(
                db, "SELECT 1 FROM album_images WHERE album_id = ? AND image_id = ?", album,
                image)))

    def _upload(self, album: str | None) -> str:
        image: str = self.control("POST", "mutate/add_image", {
            "owner": self.me, "title": f"Upload {self.serial}", "album": album})["id"]
        self.images.append(image)
        if album is not None:
            self.albums[album].append(image)
        return image


def _one(db: sqlite3.Connection, sql: str, *args: str) -> bool:
    return db.execute(sql, args).fetchone() is not None


def simulate(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Run the days; return the figures."""
    rng = random.Random(args.seed)
    every, full_every = args.pull_every * MINUTE, args.full_every * MINUTE
    with SandboxProcess(args.scale, work) as sandbox:
        # Hourly user credits out of the way; the client's daily ones are enforced.
        sandbox.set_options(user_limit=10**7, enforce_rate_limits=True)
        account = Account(sandbox, work / "account", args.concurrency, budget="")
        world = World(sandbox, rng)
        database = work / "account" / "state" / "imgur-sync" / "imgur-sync.db"
        client_limit = world.control("GET", "options")["client_limit"]
        days: list[Day] = []
        changes: list[Change] = []
        peak_rss = 0
        before = sandbox.counters()
        steps_per_day = DAY // every
        for step in range(args.days * steps_per_day + 1):
            day_number = max(step - 1, 0) // steps_per_day  # the cold pull opens day 1
            if day_number == len(days):
                days.append(Day())
            day = days[-1]
            if step:  # the interval before this pull, with its share of the day's changes
                moments = sorted(rng.uniform(0, every) for _ in range(_spread(
                    args.changes, steps_per_day, step, rng)))
                passed = 0.0
                for moment in moments:
                    world.advance(moment - passed)
                    passed = moment
                    changes.append(world.change(world.now()))
                world.advance(every - passed)
            full = full_every > 0 and step > 0 and (step * every) % full_every == 0
            kind = "cold" if step == 0 else "full" if full else "quick"
            figures = account.pull(f"{step:05d}-{kind}", full, None,
                                   clock_offset=world.now() - time.time())
            result = figures.result or {}
            spent = figures.delta.api - figures.delta.by_route.get("POST /oauth2/token", 0)
            day.requests += spent
            day.cold += spent if kind == "cold" else 0
            day.pulls[kind] += 1
            day.short += result.get("outcome") != "ok"
            peak_rss = max(peak_rss, figures.rss_bytes or 0)
            now = world.now()
            with closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)) as db:
                for change in changes:
                    if change.seen_at is None and change.check(db):
                        change.seen_at = now
                removed = db.execute("SELECT (SELECT COUNT(*) FROM images WHERE removed_at IS "
                                     "NOT NULL) + (SELECT COUNT(*) FROM albums WHERE "
                                     "removed_at IS NOT NULL)").fetchone()[0]
            after = sandbox.counters()
            day.status_429 += (after["by_status"].get("429", 0)
                               - before["by_status"].get("429", 0))
            before = after
        confirming = sum(after["by_route"].get(route, 0) for route in CONFIRMING)
        ledger = read_ledger(work / "account" / "state" / "imgur-sync" / "credits.db",
                             sandbox.settings["client_id"])
    return {"days": days, "changes": changes, "peak_rss": peak_rss, "limit": client_limit,
            "removed": removed, "confirming": confirming, "every": every, "ledger": ledger}


def _spread(per_day: int, steps_per_day: int, step: int, rng: random.Random) -> int:
    """How many of a day's ``per_day`` changes fall in this step (on average per_day/steps)."""
    rate = per_day / steps_per_day
    return int(rate) + (rng.random() < rate - int(rate))


def report(args: argparse.Namespace, figures: dict[str, Any]) -> bool:
    """Print the figures and the targets; return True when every target is met."""
    limit, every = figures["limit"], figures["every"]
    print(f"big --scale {args.scale}, {args.days} simulated day(s), a pull every "
          f"{args.pull_every} min, a full one every {args.full_every} min, about "
          f"{args.changes} changes a day; the client's daily credits: {limit}\n")
    print(f"{'day':>4} {'requests':>9} {'of budget':>10} {'cold pull':>10} {'pulls':>24} "
          f"{'short':>6} {'429s':>5}")
    for n, day in enumerate(figures["days"], start=1):
        pulls = ", ".join(f"{k} {v}" for k, v in sorted(day.pulls.items()))
        print(f"{n:>4} {day.requests:>9} {day.requests / limit:>9.1%} {day.cold:>10} "
              f"{pulls:>24} {day.short:>6} {day.status_429:>5}")
    by_kind: dict[str, list[float]] = defaultdict(list)
    unseen: dict[str, int] = defaultdict(int)
    for change in figures["changes"]:
        if change.seen_at is None:
            unseen[change.kind] += 1
        else:
            by_kind[change.kind].append(change.seen_at - change.made_at)
    print("\ndelay from a change to the mirror (simulated minutes):")
    for kind in sorted(set(by_kind) | set(unseen)):
        delays = sorted(by_kind[kind])
        shown = (f"median {statistics.median(delays) / MINUTE:7.1f}, max "
                 f"{delays[-1] / MINUTE:7.1f}" if delays else "none seen")
        print(f"  {kind:8} {len(delays):4} seen, {unseen[kind]:3} not yet: {shown}")
    print(f"\npeak RSS of a pull: {figures['peak_rss'] / MB:.1f} MB")
    ledger = figures["ledger"]
    if ledger is not None:  # its periods should have followed the sandbox's days
        print(f"credit ledger: day {ledger.period} of the client id, {ledger.spent} credits "
              f"booked and {ledger.remaining} left of {ledger.limit} by its count")
    print(f"removals recorded: {figures['removed']}; direct GETs of an image or album: "
          f"{figures['confirming']}\n")
    worst = max(d.requests - d.cold for d in figures["days"])
    late_new = [c for c in figures["changes"] if c.kind in NEW_KINDS
                and (c.seen_at is None or c.seen_at - c.made_at > every)]
    late = [c for c in figures["changes"] if c.seen_at is None
            or c.seen_at - c.made_at > args.reconcile_every * MINUTE]
    targets = [
        (f"requests a day (the cold pull aside) <= {TARGET_SHARE:.0%} of {limit}",
         f"{worst / limit:.1%}", worst <= TARGET_SHARE * limit),
        ("429s", str(sum(d.status_429 for d in figures["days"])),
         all(d.status_429 == 0 for d in figures["days"])),
        ("new items later than one pull interval", str(len(late_new)), not late_new),
        (f"changes later than {args.reconcile_every} min", str(len(late)), not late),
        ("removals <= direct GETs", f"{figures['removed']} / {figures['confirming']}",
         figures["removed"] <= figures["confirming"]),
    ]
    return print_targets(targets)


def main() -> None:
    """Run the simulation and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--pull-every", type=int, default=15, help="minutes")
    parser.add_argument("--full-every", type=int, default=0,
                        help="minutes; 0 (the default): none, as `run` schedules none since "
                             "the rolling reconcile")
    parser.add_argument("--reconcile-every", type=int, default=7 * 24 * 60, help="minutes")
    parser.add_argument("--changes", type=int, default=20, help="about this many a day")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when a target is missed (default: always exit 0)")
    args = parser.parse_args()
    if DAY % (args.pull_every * MINUTE) or args.full_every % args.pull_every:
        parser.error("--pull-every must divide a day, and --full-every be a multiple of it")
    run_bench(args, "imgur-sync-week-", simulate, report)


if __name__ == "__main__":
    main()
