"""The rolling reconcile: each quick pull walks the next slice of a cycle that reads every page
of the account's images and albums, fetching every album's images, and at its end the
favorites as a full pull reads them, paced by the clock and the credit ledger
(docs/ARCHITECTURE.md §Reconcile).

A cycle's state is a cursor in the store (its start, the next page of each listing, the
requests it spent) and the ``reconcile_seen`` table (what it saw), both written after every
page, so a 429, a crash or a restart resumes it where it stopped. A slice is sized to keep the
cycle on time: the part of ``reconcile_every`` passed since the cycle started, times the
cycle's estimated cost, less what it spent so far (nothing while the cycle is ahead of
time; else at least ``MIN_SLICE`` requests), never
more than the ledger lets this account read. A resumed walk starts one page before its
position: pages shift as items come and go at the top, and the overlap keeps a deletion
above the position from hiding an item from the cycle.

Deletions are exactly as safe as a full pull's: an item is marked removed only when a direct
GET answers 404. What gets the GET: an item a page skips although dated between the page's
oldest and newest (so a deletion is found as its page is read, within one cycle), and once a
cycle walked a whole listing (a failed page is read again, never skipped), every item of it
the cycle did not see. The favorites come last, read whole in one slice (their listings
are short: Imgur shows at most 51 pages), because only a whole listing says which favorite
was taken back; a slice waits until its budget covers them.
"""

from __future__ import annotations

import json
import logging
import math
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from ..api.listings import Page, V3Listings
from ..store import RECONCILE_CURSOR, RECONCILE_WALKED, Store
from .layout import is_id

__all__ = ["ALBUM_IMAGES", "CYCLE_CURSOR", "FAVORITES", "MIN_SLICE", "WALKED", "Cycle",
           "Puller", "estimate", "favorites_cost", "next_step", "run_slice", "slice_budget"]

log = logging.getLogger(__name__)

CYCLE_CURSOR = RECONCILE_CURSOR
MIN_SLICE = 5  # requests: a slice that is due reads at least a page or a few albums
PAGE = 50  # items a listing page holds until a walk shows otherwise (docs/IMGUR-API.md
# §Endpoints: 50 documented, "assume no size"); for the estimate only
CATCH_UP = 10  # a cycle past its time (its estimate was short) ends within this many pulls
PACE = 0.9  # aim to end a cycle by this part of reconcile_every: overlaps and GETs add up
WALKED = RECONCILE_WALKED  # a listing's position once the cycle read it to its end
# Items a page skips although dated within it: checked at once, up to this many a page (a
# listing in another order than by date would otherwise cost a GET for each of its items).
GAPS = 5


@dataclass
class Cycle:
    """One reconcile cycle: when it began, the next page of each listing, what it spent."""

    start: float
    done: int = 0  # requests spent
    images: int = 0  # the first page not yet read whole, or WALKED
    albums: int = 0
    favorites: bool = False  # read whole, with every favorited album's images
    last_cost: int | None = None  # what the previous rolling cycle spent, for the estimate
    # Begun with no whole walk behind it (a first pull the budget cut short, an upgrade):
    # the mirror may lack much, so it reads all the budget allows until it ends, unpaced.
    catch_up: bool = False
    page: int = PAGE  # the most items a page of a walk held

    @classmethod
    def load(cls, store: Store) -> Cycle | None:
        text = store.get_cursor(CYCLE_CURSOR)
        if not text:
            return None
        try:
            return cls(**json.loads(text))
        except (TypeError, ValueError):  # written by another version: start a new one
            return None

    @classmethod
    def begin(cls, store: Store, now: float, last_cost: int | None = None, *,
              catch_up: bool = False) -> Cycle:
        """Start a cycle at ``now``, nothing seen yet."""
        before = cls.load(store)
        with store.transaction():
            store.forget_seen()
            cycle = cls(now, last_cost=last_cost, page=before.page if before else PAGE,
                        catch_up=catch_up)
            cycle.save(store)
        return cycle

    def save(self, store: Store) -> None:
        store.set_cursor(CYCLE_CURSOR, json.dumps(asdict(self)))


def estimate(store: Store, cycle: Cycle, *, everything: bool = False) -> int:
    """The requests a cycle costs: the last one's, else from the store's counts; with
    ``everything``, what a full pull costs: conversations too."""
    if cycle.last_cost and not everything:
        return cycle.last_cost
    counts = store.counts()
    cost = (_walk(counts["images"], cycle) + _walk(counts["albums"], cycle) + counts["albums"]
            + favorites_cost(store, cycle, FAVORITES))
    if everything:
        cost += 1 + counts["conversations"]
    return cost


FAVORITES = ("favorites", "gallery_favorites")  # the sections a cycle ends with


def favorites_cost(store: Store, cycle: Cycle, sections: Iterable[str]) -> int:
    """The requests reading these favorites listings whole costs: their pages, and each
    favorited album's images (once, though favorited in both)."""
    counts = store.counts()
    albums = {row["item_id"] for name in FAVORITES if name in sections
              for row in store.iter_favorites(name == "gallery_favorites")
              if row["kind"] == "album"}
    return sum(_walk(counts[name], cycle) for name in FAVORITES if name in sections) + len(albums)


def next_step(store: Store, cycle: Cycle, sections: Iterable[str]) -> int:
    """The requests the cycle's next step costs: the favorites, read whole, once the account's
    images and albums are walked; else a page, an album or a GET."""
    if cycle.images == WALKED and cycle.albums == WALKED and not cycle.favorites:
        return favorites_cost(store, cycle, sections)
    return 1


def _walk(items: int, cycle: Cycle) -> int:
    """The requests a walk of ``items`` costs: its pages, and the empty one that ends it."""
    return math.ceil(items / max(cycle.page, 1)) + 1


def slice_budget(cycle: Cycle, now: float, every: float, cost: int, least: int = 1) -> int:
    """The requests this slice should spend to keep the cycle on time (0: it is ahead), and
    at least ``least``, the cost of the cycle's next step (``next_step``); a cycle catching
    up may spend all it is allowed."""
    if cycle.catch_up:
        return sys.maxsize
    part = max(now - cycle.start, 0.0) / (every * PACE)
    want = math.ceil(min(part, 1.0) * cost) - cycle.done
    if want <= 0 and part < 1:  # ahead of time (a small account): nothing to do yet
        return 0
    want = max(want, MIN_SLICE, least)  # a page, an album or two, or the favorites
    if part >= 1:  # due, and not done: the estimate fell short
        want = max(want, math.ceil(cost / CATCH_UP))
    return want


class Puller(Protocol):
    """What a slice needs of the pull (``pull.Mirror``): the same steps a quick pull uses."""

    store: Store
    listings: V3Listings

    def walk(self, pages: Iterator[Page], where: str, result: Any) -> Iterator[Page]: ...

    def save_image_page(self, page: Page, result: Any) -> list[str]: ...

    def save_album_page(self, page: Page, result: Any) -> list[dict[str, Any]]: ...

    def fetch_album_images(self, albums: list[dict[str, Any]], result: Any) -> None: ...

    def fetch_favorites(self, sections: Iterable[str], result: Any) -> None:
        """Read the favorites listings among ``sections`` whole."""


def _never(page: list[Any]) -> bool:
    return False


def run_slice(puller: Puller, cycle: Cycle, budget: int, sections: frozenset[str],
              result: Any) -> bool:
    """Walk the cycle on for up to ``budget`` requests; return True when it is complete.

    The cycle is saved after every page; an error (a ``HeldBack`` too) leaves it where the
    last page left it and goes up to the caller.
    """
    listings, store = puller.listings, puller.store
    sent, done = listings.requests_sent, cycle.done
    overlaps = 0  # pages read again for the overlap: not progress, and not in the estimate

    def spent() -> int:
        """The requests that moved the cycle on."""
        return listings.requests_sent - sent - overlaps

    def save() -> None:
        cycle.done = done + spent()
        cycle.save(store)

    try:
        if cycle.images != WALKED and "images" in sections:
            first = max(cycle.images - 1, 0)  # one page of overlap
            pages = puller.walk(listings.images(_never, first), "images", result)
            gaps = _Gaps(puller, "images", spent, result)
            for number, page in enumerate(pages, first):
                overlaps += number < cycle.images
                gaps.check(puller.save_image_page(page, result))
                cycle.images, cycle.page = number + 1, max(cycle.page if number else 0,
                                                           len(page))
                save()
                if spent() >= budget:
                    return False
        cycle.images = WALKED
        if cycle.albums != WALKED and "albums" in sections:
            first = max(cycle.albums - 1, 0)
            gaps = _Gaps(puller, "albums", spent, result)
            pages = puller.walk(listings.albums(_never, first), "albums", result)
            for number, page in enumerate(pages, first):
                overlaps += number < cycle.albums
                listed = puller.save_album_page(page, result)
                gaps.check([a["id"] for a in listed])
                albums = [a for a in listed if not store.was_seen(ALBUM_IMAGES, a["id"])]
                while albums:
                    room = budget - spent()
                    if room <= 0:
                        return False
                    puller.fetch_album_images(albums[:room], result)
                    albums = albums[room:]
                    save()
                cycle.albums = number + 1
                save()
                if spent() >= budget:
                    return False
        cycle.albums = WALKED
        save()
        if not _confirm(puller, sections, budget, spent, result):
            return False
        if not cycle.favorites and not sections.isdisjoint(FAVORITES):
            if budget - spent() < favorites_cost(store, cycle, sections):
                return False  # read whole or not at all: a later slice, with more time
            puller.fetch_favorites(sections, result)
            cycle.favorites = True
        return True
    finally:
        save()


ALBUM_IMAGES = "album_images"  # the reconcile_seen listing of albums whose images were read

# The sections whose walked listing's unseen items are checked: each is its table's listing.
_CANDIDATES = ("images", "albums")


def _confirm(puller: Puller, sections: frozenset[str], budget: int, spent: Callable[[], int],
             result: Any) -> bool:
    """GET each item the walked listings did not show; mark removed what answers 404."""
    store = puller.store
    for table in _CANDIDATES:
        if table not in sections:
            continue
        while ids := store.unseen(table, table):
            if not _check(puller, table, ids, budget, spent, result):
                return False
    return True


class _Gaps:
    """Check, as each page of a walk is read, the items it skips although dated between the
    page's oldest and the previous page's oldest (its own newest on the first page of a
    slice): a deletion there is found within the cycle, not at its end. Up to ``GAPS`` a
    page; a listing that is not by date costs no more, and what is left waits for the end."""

    def __init__(self, puller: Puller, table: str, spent: Callable[[], int],
                 result: Any) -> None:
        self.puller, self.table, self.spent, self.result = puller, table, spent, result
        self.newest: float | None = None  # the previous page's oldest date

    def check(self, ids: list[str]) -> None:
        store = self.puller.store
        span = store.dated_span(self.table, ids)
        if span is None:
            return
        low, high = span
        _check(self.puller, self.table, store.missing_between(
            self.table, ids, low, high if self.newest is None else self.newest, limit=GAPS),
            None, self.spent, self.result)  # beyond the slice's budget: a few, and rare
        self.newest = low


def _check(puller: Puller, table: str, ids: list[str], budget: int | None,
           spent: Callable[[], int], result: Any) -> bool:
    """GET each of ``ids``: mark removed what answers 404, seen what answers. Return False
    when the ``budget`` (None: none) ran out first (the rest stay unseen: the cycle's end
    checks them)."""
    store = puller.store
    kind, listing = {"images": ("image", "images"), "albums": ("album", "albums")}[table]
    for item_id in ids:
        if budget is not None and spent() >= budget:
            return False
        if not is_id(item_id):  # a row an older version saved unchecked: no URL to ask
            store.mark_seen(listing, [item_id])
            continue
        if puller.listings.gone(kind, item_id):
            result.removed += store.mark_removed(table, item_id)
        else:  # there after all (added, or moved down a page, meanwhile)
            store.mark_seen(listing, [item_id])
    return True
