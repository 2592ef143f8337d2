"""The pull: fetch listings, save them, plan the tree, apply the plan, record the run.

A **quick** pull costs a few requests on an unchanged account, whatever its size: account
images come newest first, so it reads pages until it meets a known id; albums come newest
created first, so it stops after a page of known albums whose list entry (count, cover,
title, datetime: its signature) is unchanged, and fetches an album's images only when it
changed; favorites likewise; one request lists the conversations. It then walks the next
slice of the rolling reconcile (``reconcile.py``, docs/ARCHITECTURE.md §Reconcile), which
finds what lies below the first pages. A **full** pull walks everything and confirms each
disappearance with a direct GET before marking the item removed — and a section whose
listing failed never leads to removals. A call the credit ledger holds back defers the rest
of the fetch to the next pull; it is not a failure.

Engine code fetches explicitly through the transport (raw JSON, one request per call it
makes); it never relies on lazy objects, so the request count is what this module says.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from .. import sections as registry
from ..account.checks import check_account, require_user
from ..api import (
    AuthenticationError,
    CreditLedger,
    HeldBack,
    ImgurError,
    MalformedResponse,
    NotFound,
    Transport,
    TransportError,
    Unavailable,
)
from ..api.listings import Page, listings_for
from ..errors import ImgurSyncError
from ..settings.config import Config
from ..store import (
    RATE_LIMITS_SETTING,
    SIGN_IN_FAILURE,
    UNAVAILABLE_SETTING,
    Store,
    rate_limits_setting,
)
from . import validate
from .apply import Applier, ApplyResult, Interrupted, prepare_root
from .batches import Batch, Planner
from .files import Placer, clone_into, sweep_partials
from .gallery import GalleryResult, build_gallery
from .layout import is_id, render_transcript
from .plan import Action, Want
from .reconcile import (
    ALBUM_IMAGES,
    FAVORITES,
    Cycle,
    estimate,
    next_step,
    run_slice,
    slice_budget,
)
from .sidecars import write_metadata

__all__ = ["STEPS", "Mirror", "PullResult", "SectionSteps"]

log = logging.getLogger(__name__)

MEMBERS_CURSOR = "favorite_album_members:"
LISTING_CURSOR = "listing:"  # "complete" once a walk of that listing reached its end
SEPARATED_SETTING = "uploads_separated"  # "yes" once no upload shares its dropped file's inode
METADATA_SETTING = "metadata_written_for"  # what the metadata files were last written from
GALLERY_SETTING = "gallery_built_from"  # what the offline gallery was last built from
MOVES = ("rename", "unlink", "trash")  # what an emptied root does not get (§Safety)
QUICK_COST = 6  # requests of a quick pull of an unchanged account, kept for each one to come


@dataclass
class PullResult:
    """What a pull did; ``outcome`` is ok, partial (some items failed) or failed."""

    run_id: int | None
    kind: str
    outcome: str = "ok"
    requests: int = 0
    actions: list[Action] = field(default_factory=list)  # a dry run's plan (a real one's is
    planned: dict[str, int] = field(default_factory=dict)  # applied a batch at a time: counted)
    images_planned: int = 0  # how many images the plan looked at (a quick pull: the changed)
    gallery: GalleryResult | None = None  # None: off, failed, or nothing it shows changed
    applied: ApplyResult = field(default_factory=ApplyResult)
    problems: list[str] = field(default_factory=list)
    removed: int = 0
    messages_available: bool | None = None
    failed_kinds: set[str] = field(default_factory=set)  # kinds of failure this run recorded
    unavailable: dict[str, str] = field(default_factory=dict)  # section -> why it was not read
    listed: set[str] = field(default_factory=set)  # sections whose listing this run read whole
    deferred: str | None = None  # why the ledger held calls back until its reset, if it did


class _DryRun(Exception):
    """Raised inside the dry run's transaction so everything it saved rolls back."""


def _no_answer(exc: TransportError, api: Transport) -> TransportError:
    """The error that ends a pull when Imgur does not answer at all."""
    return TransportError(f"{exc}; the pull stopped after {api.retry.attempts} tries. Check "
                          "the network connection and [imgur] api_url; the next pull carries "
                          "on from here.")


class Mirror:
    """Mirror one account into ``config.mirror.root``, tracked in ``store``."""

    def __init__(self, config: Config, store: Store, transport: Transport, *,
                 clock: Callable[[], float] = time.time,
                 progress: Callable[[str, int], None] | None = None,
                 should_stop: Callable[[], bool] = lambda: False) -> None:
        self.config, self.store, self.api = config, store, transport
        # Which API lists the account follows from its sign-in; the mirror reads either.
        self.listings = listings_for(transport, config.imgur.web_client_id)
        self.should_stop = should_stop
        self.root = config.mirror.root
        self.clock = clock
        self.progress = progress

    # -- the run ----------------------------------------------------------------------------

    def pull(self, *, full: bool = False, dry_run: bool = False,
             only: frozenset[str] | None = None) -> PullResult:
        """Run one pull; with ``dry_run`` nothing on disk or in the database changes."""
        sections = frozenset(only or self.config.mirror.include) & frozenset(registry.names())
        kind = "full" if full else "quick"
        result = PullResult(run_id=None, kind=kind)
        sent_before = self.listings.requests_sent
        self._sign_in_checked(None if dry_run else kind)
        if dry_run:
            with suppress(_DryRun), self.store.transaction():
                self._fetch_all(sections, full, result)
                for batch in self._batches(sections, full or only is not None):
                    result.actions += batch.actions
                    _count(result.planned, batch.actions)
                raise _DryRun
            result.requests = self.listings.requests_sent - sent_before
            return result
        self.store.mark_interrupted_runs()
        result.run_id = self.store.start_run(kind)
        try:
            emptied = prepare_root(self.root, self.store)
            sweep_partials(self.root)
            cold = Cycle.load(self.store) is None and not self.store.counts()["images"]
            self._fetch_all(sections, full, result, reconcile=full or cold)
            self._apply_plan(sections, result, full=full, partial=only is not None,
                             emptied=emptied)
            result.applied.failures += self._write_metadata(always=full)
        except BaseException as exc:
            self._end_run(result.run_id, exc, self.listings.requests_sent - sent_before)
            raise
        for path, reason in result.applied.failures:
            self._fail(result, "download", path, reason)
        result.gallery = self.refresh_gallery(result, thumbnails=True, retry=full, always=full)
        result.requests = self.listings.requests_sent - sent_before
        result.outcome = "partial" if result.problems else "ok"
        # What this run tried again and did not fail at is fixed; verify's failures are not.
        # An item skipped once may not be listed by a quick pull: only a full one clears them.
        for failure in ("download", "listing", "root", SIGN_IN_FAILURE) + (
                ("item",) if full and not only else ()):
            if failure not in result.failed_kinds:
                self.store.resolve_failures(failure)
        self._remember_account()
        self.store.finish_run(result.run_id, result.outcome, requests=result.requests,
                              downloaded_bytes=result.applied.downloaded_bytes,
                              counts=result.applied.done,
                              error="; ".join(result.problems)[:2000] or None)
        return result

    def full_pull_cost(self) -> int:
        """About how many API requests a full pull of the account as stored costs."""
        cycle = Cycle.load(self.store) or Cycle(self.clock())
        return estimate(self.store, cycle, everything=True)

    def take_in_uploads(self, image_ids: Iterable[str], *, gallery: bool = True) -> ApplyResult:
        """Bring uploaded images into the tree from their local files.

        Used after uploads and album adds: the given images get their album links, and
        every uploaded image whose file is still there is copied in (also those a crash
        left out), so the next pull finds them recorded. Only a file edited since its
        upload makes a download: Imgur has the uploaded bytes. ``gallery=False`` leaves
        the gallery for the last batch of a large drop to bring up to date.
        """
        sections = frozenset(self.config.mirror.include) & frozenset(registry.names())
        try:
            prepare_root(self.root, self.store)
        except ImgurSyncError as exc:  # the uploads are done; the next pull brings them in
            return ApplyResult(failures=[(str(self.root), str(exc))])
        sources = self._upload_sources()
        applier = Applier(self.root, self.store, self.api, links=self.config.mirror.album_links,
                          concurrency=self.config.mirror.concurrency, local_sources=sources)
        applied, given = ApplyResult(), set(image_ids)
        # An upload, or an image added to an album, is marked changed: the marked ids
        # hold them (the marks stay for the next pull, which plans them whole).
        for batch in self._batches(sections, False):
            copies = [a for a in batch.actions if a.kind == "download" and a.want is not None
                      and a.want.image_id in sources and sources[a.want.image_id][0].is_file()]
            linked = given | {a.want.image_id for a in copies if a.want is not None}
            applied.merge(applier.apply([*copies, *(
                a for a in batch.actions if a.kind == "link" and a.want is not None
                and a.want.image_id in linked)]))
        applied.failures += self._write_metadata()
        if gallery:  # no downloads here: the next pull brings their thumbnails
            self.refresh_gallery()
        return applied

    def refresh_gallery(self, result: PullResult | None = None, *, thumbnails: bool = False,
                        retry: bool = False, always: bool = True) -> GalleryResult | None:
        """Bring the offline gallery up to date (``[mirror] gallery``); None when off, failed
        or, unless ``always``, skipped because nothing it shows changed since it was last
        built whole with every thumbnail (checking 100,000 pages takes seconds).

        A failure is logged and recorded, never raised: the files and records it would
        show are already saved, and the next run writes the gallery again.
        """
        if not self.config.mirror.gallery:
            return None
        key = self._made_from("gallery", thumbnails)
        if not always and self.store.get_setting(GALLERY_SETTING) == key:
            return None
        try:
            built = build_gallery(self.root, self.store, members_cursor=MEMBERS_CURSOR,
                                  transport=self.api if thumbnails else None,
                                  concurrency=self.config.mirror.concurrency,
                                  retry_thumbnails=retry, should_stop=self.should_stop)
        except Exception as exc:  # a full disk, a file in the way, a bug: the pull stands
            log.warning("the gallery could not be written: %s", exc, exc_info=log.isEnabledFor(
                logging.DEBUG))
            if result is not None:
                self._fail(result, "gallery", str(self.root / "index.html"), str(exc))
            else:
                self.store.add_failure("gallery", str(self.root / "index.html"), str(exc))
            return None
        self.store.resolve_failures("gallery")
        self.store.set_setting(GALLERY_SETTING, "" if built.thumbnail_failures else key)
        return built

    def list_account(self) -> PullResult:
        """Fetch and save the listings as a quick pull does; place and download nothing."""
        sections = frozenset(self.config.mirror.include) & frozenset(registry.names())
        result = PullResult(run_id=None, kind="quick")
        sent_before = self.listings.requests_sent
        self._sign_in_checked()
        self._fetch_all(sections, False, result)
        self._remember_account()
        result.requests = self.listings.requests_sent - sent_before
        return result

    def planned_copies(self, sizes: Mapping[str, int]) -> tuple[list[Action], set[str]]:
        """Return the downloads (with their links) the plan wants for the images in ``sizes``
        whose size agrees with Imgur's, and the ids whose size does not."""
        sections = frozenset(self.config.mirror.include) & frozenset(registry.names())
        copies: list[Action] = []
        links: list[Action] = []
        wrong: set[str] = set()
        for batch in self._batches(sections, True):
            downloads = {a.want.image_id: a for a in batch.actions if a.kind == "download"
                         and a.want is not None and a.want.image_id in sizes}
            wrong |= {image_id for image_id, a in downloads.items()
                      if a.want is not None and a.want.size is not None
                      and a.want.size != sizes[image_id]}
            copies += (a for image_id, a in downloads.items() if image_id not in wrong)
            links += (a for a in batch.actions if a.kind == "link" and a.want is not None
                      and a.want.image_id in downloads and a.want.image_id not in wrong)
        return [*copies, *links], wrong

    def take_in_files(self, actions: list[Action],
                      sources: Mapping[str, tuple[Path, str]]) -> ApplyResult:
        """Apply ``actions`` copying each image from ``sources`` (id -> file, its sha256)."""
        applier = Applier(self.root, self.store, self.api, links=self.config.mirror.album_links,
                          concurrency=self.config.mirror.concurrency, local_sources=sources,
                          progress=self.progress, should_stop=self.should_stop)
        return applier.apply(actions)

    def separate_uploads(self) -> int:
        """Give uploads still hard-linked to their dropped files a copy of their own, once.

        Earlier versions linked an upload into the tree, so editing the dropped file
        rewrote the backup. Return how many files were separated.
        """
        if self.store.get_setting(SEPARATED_SETTING) == "yes" or not self.root.is_dir():
            return 0
        placer, separated, missed = Placer(self.root), 0, 0
        for image_id, (dropped, _sha256) in self._upload_sources().items():
            try:
                shared = os.stat(dropped)
            except OSError:
                continue
            copy: Path | None = None  # the first separated name; its other names link to it
            for row in self.store.iter_files(image_id=image_id, columns=("path",)):
                target = self.root / row["path"]
                try:
                    info = target.lstat()
                except OSError:
                    continue
                if (info.st_ino, info.st_dev) != (shared.st_ino, shared.st_dev):
                    continue
                try:
                    if copy is None:
                        with dropped.open("rb") as source, placer.new_file(target) as new:
                            clone_into(source.fileno(), new.fd)
                            new.publish(info.st_mtime)
                        copy = target
                    else:
                        placer.link(copy, target, self.config.mirror.album_links)
                except OSError as exc:  # a symlinked folder, a full disk: keep the link
                    log.warning("could not give %s a copy of its own: %s", target, exc)
                    missed += 1
                    continue
                separated += 1
        if not missed:  # else the next start tries again
            self.store.set_setting(SEPARATED_SETTING, "yes")
        return separated

    def _write_metadata(self, *, always: bool = True) -> list[tuple[str, str]]:
        """Bring the sidecars, album.json and account.json up to date; return what failed.

        Unless ``always``, skipped when none of the rows they are made of changed since they
        were last written whole (a quick pull of an unchanged account): then they are
        already right, and checking 100,000 sidecars would be most of the pull.
        """
        mirror = self.config.mirror
        key = self._made_from(mirror.sidecars, mirror.album_links, mirror.on_remote_delete)
        if not always and self.store.get_setting(METADATA_SETTING) == key:
            return []
        failures = write_metadata(self.store, mirror, self.api.tokens.account_username)
        self.store.set_setting(METADATA_SETTING, "" if failures else key)
        return failures

    def _made_from(self, *options: Any) -> str:
        """What files made from the store's rows were made from: the change marks' generation,
        the counts of what it holds, the account, the sections and ``options``. While it
        stays the same, files made whole from it are still right (docs/ARCHITECTURE.md §Pull).
        """
        counts = self.store.counts()
        return json.dumps([__version__, self.store.generation(),
                           self.api.tokens.account_username, sorted(self.config.mirror.include),
                           [counts[k] for k in ("albums", "images", "favorites",
                                                "gallery_favorites", "conversations",
                                                "messages")], *options])

    def _upload_sources(self) -> dict[str, tuple[Path, str]]:
        """The drop-folder files our uploads came from: copied in, never downloaded back."""
        return {image_id: (Path(path), sha256)
                for image_id, (path, sha256) in self.store.uploaded_files().items()}

    def _moved_nothing(self, result: PullResult) -> None:
        """Say that an emptied root got none of the renames, unlinks and trashing planned."""
        recorded = self.store.count_files()
        log.warning("the mirror root %s is empty although %d files were mirrored there",
                    self.root, recorded)
        self._fail(result, "root", str(self.root),
                   f"it is empty although {recorded} files were mirrored there, so this run "
                   "moved and removed nothing: mount its disk, or run `imgur-sync verify "
                   "--repair` to restore the files")

    def _fail(self, result: PullResult, kind: str, item: str, reason: str) -> None:
        """Record a failure for `status` and the run's outcome, once a run: the reconcile's
        slice may read a page the quick part just read."""
        problem = f"{item}: {reason}"
        if problem in result.problems:
            return
        self.store.add_failure(kind, item, reason)
        result.problems.append(problem)
        result.failed_kinds.add(kind)

    def _sorted_out(self, items: list[Any], clean: Callable[[Any], Any], where: str,
                    result: PullResult, skipped: list[str] | None = None) -> list[Any]:
        """Return the items of a listing that can be mirrored; record why the rest cannot.

        ``skipped`` receives the ids of skipped items whose id itself is sound.
        """
        good, bad = validate.sort_out(items, clean)
        for problem in bad:
            log.warning("skipped %s in %s: %s", problem.item, where, problem.reason)
            self._fail(result, "item", f"{where}: {problem.item}", problem.reason)
            if skipped is not None and problem.ident is not None:
                skipped.append(problem.ident)
        return good

    def _end_run(self, run_id: int, exc: BaseException, requests: int = 0) -> None:
        """Record that run ``run_id`` ended on ``exc``: interrupted, or failed."""
        interrupted = isinstance(exc, Interrupted | KeyboardInterrupt)
        if isinstance(exc, AuthenticationError):  # `status --check` says so until one works
            self.store.add_failure(SIGN_IN_FAILURE, None, str(exc))
        self.store.finish_run(run_id, "interrupted" if interrupted else "failed",
                              error=str(exc)[:500], requests=requests)

    def _sign_in_checked(self, kind: str | None = None) -> None:
        """Stop before anything is fetched without a sign-in, or with one for another account.

        With ``kind``, a refused sign-in or no answer is recorded as a failed pull of that
        kind (it is one: `status --check` must see it); another account's is not.
        """
        require_user(self.api)
        try:
            try:
                self._check_account()
            except TransportError as exc:
                raise _no_answer(exc, self.api) from exc
        except (AuthenticationError, TransportError) as exc:
            if kind is not None:
                self._end_run(self.store.start_run(kind), exc)
            raise

    def _check_account(self) -> None:
        """Stop before saving anything if the sign-in is for another account than the mirror."""
        mirrored = self.store.get_setting("account_username")
        if mirrored is None or not self.api.has_user:
            return
        if self.api.tokens.account_username is None and self.api.tokens.kind == "oauth":
            self.api.refresh()  # the token answer names the account (an OAuth call: free)
        check_account(mirrored, self.api.tokens.account_username, self.store.path.parent
                      if self.store.path else self.root)

    def _remember_account(self) -> None:
        """Keep what `status` shows without a request: the account and the last credits."""
        if self.api.tokens.account_username:
            self.store.set_setting("account_username", self.api.tokens.account_username)
        recorded = rate_limits_setting(self.api.limits, self.clock())
        if recorded is not None:
            self.store.set_setting(RATE_LIMITS_SETTING, recorded)

    def _fetch_all(self, sections: frozenset[str], full: bool, result: PullResult,
                   reconcile: bool | None = None) -> None:
        """Fetch the sections; with ``reconcile`` (whether this pull walks everything), the
        reconcile moves on right after the account's images and albums, before favorites:
        the order a full pull reads them in, so records read from several listings end
        the same way (an image's ``edited`` is a string in one, a number in another)."""
        self._fetched_albums: set[str] = set()
        self.listings.begin()
        for name, steps in [*STEPS.items(), ("", None)]:  # in STEPS' order, not the list's
            if reconcile is not None and name not in ("images", "albums"):
                self._reconcile(sections, reconcile, result)
                reconcile = None
            if steps is None or name not in sections:
                continue
            try:
                steps.fetch(self, full, result)
                result.listed.add(name)
                self.store.set_setting(UNAVAILABLE_SETTING + name, "")
            except Unavailable as exc:  # this sign-in cannot read it: said, kept, not a failure
                log.debug("%s", exc)
                self.store.set_setting(UNAVAILABLE_SETTING + name, str(exc))
                result.unavailable[name] = str(exc)
            except HeldBack as exc:  # the share is spent: a deferral, not a failure
                self._defer(result, exc)
                return
            except AuthenticationError:
                raise  # not a section's problem: nothing can be listed until the user signs in
            except TransportError as exc:  # after a whole retry budget: the others would wait too
                raise _no_answer(exc, self.api) from exc
            except ImgurError as exc:  # the section stays as it was; no removals from it
                log.warning("could not list %s: %s", name, exc)
                self.store.add_failure("listing", name, str(exc))
                result.problems.append(f"listing {name}: {exc}")
                result.failed_kinds.add("listing")

    def _defer(self, result: PullResult, exc: HeldBack) -> None:
        """Stop fetching for now: the ledger keeps this account within its share until the
        reset it names. Said at INFO; no failure is recorded, and the next pull carries on."""
        log.info("Imgur calls held back: %s; the pull carries on from here then", exc)
        result.deferred = str(exc)

    def _reconcile(self, sections: frozenset[str], walked_all: bool,
                   result: PullResult) -> None:
        """Move the rolling reconcile on (docs/ARCHITECTURE.md §Reconcile).

        A pull that walked every listing and read every album (a full or the first pull)
        completes a cycle: the next begins now. A quick pull walks the next slice.
        """
        now = self.clock()
        if walked_all:
            walked = {"images", "albums"} & sections
            if walked and walked <= result.listed:  # not a `--only favorites`, say
                Cycle.begin(self.store, now)
            return
        # No cycle yet: the first pull did not get through everything (the budget stopped
        # it), or an older version's state. This one reads all it may until it ends.
        cycle = Cycle.load(self.store) or Cycle.begin(self.store, now, catch_up=True)
        every = self.config.schedule.reconcile_every
        if result.deferred is not None or not {"images", "albums"} & sections:
            return
        try:
            if not self.listings.resumable:
                # Web API pages cannot be read from the middle: the whole walk, when due.
                if now - cycle.start >= every:
                    for name in ("images", "albums"):
                        if name in sections:
                            STEPS[name].fetch(self, True, result)
                    self.fetch_favorites(sections, result)
                    Cycle.begin(self.store, now)
                return
            due = slice_budget(cycle, now, every, estimate(self.store, cycle),
                               next_step(self.store, cycle, sections))
            if due <= 0:
                return  # the cycle is ahead of its time
            allowed = self._reads_allowed(now)
            budget = due if allowed is None else min(due, allowed)
            if budget <= 0:
                log.info("The reconcile waits: this account's share of today's credits is "
                         "kept for quick pulls; it carries on after the reset")
                return
            if run_slice(self, cycle, budget, sections, result):
                log.info("Reconcile cycle complete: %d requests since %s", cycle.done,
                         time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(cycle.start)))
                Cycle.begin(self.store, now, last_cost=cycle.done)
        except HeldBack as exc:
            self._defer(result, exc)
        except AuthenticationError:
            raise
        except ImgurError as exc:  # the cycle keeps its place: that page is read again
            log.warning("the reconcile stopped: %s", exc)
            self._fail(result, "listing", "reconcile", str(exc))

    def _reads_allowed(self, now: float) -> int | None:
        """The reads the ledger allows this account until its reset, less what the quick
        pulls until then need (as many as this one's); None without a ledger."""
        ledger = self.api.budget
        if not isinstance(ledger, CreditLedger):
            return None
        left, reset = ledger.reads_left(now)
        if left is None:
            return None
        every = self.config.schedule.pull_every
        pulls = math.ceil(max((reset or now + 86400) - now, 0) / every)
        return left - pulls * QUICK_COST

    # -- fetching ---------------------------------------------------------------------------

    def _pages(self, path: str) -> Iterator[Page]:
        """The pages of a 0-based ``/3/`` listing, for a section's own fetch step."""
        return self.walk(self.listings.pages(path), path, None)

    def walk(self, pages: Iterator[Page], where: str,
             result: PullResult | None) -> Iterator[Page]:
        """Hand over a listing's pages, recording what Imgur sent that could not be read, and
        stopping before the next request when asked to."""
        while True:
            if self.should_stop():
                raise Interrupted("stopped on request; the next run carries on from here")
            page = next(pages, None)
            if page is None:
                return
            for skipped in page.skipped:
                log.warning("skipped %s in %s: %s", skipped.id, where, skipped.reason)
                if result is not None:
                    self._fail(result, "item", f"{where}: {skipped.id}", skipped.reason)
            if self.progress:
                self.progress("listed", len(page))
            yield page

    def _listing_started(self, name: str, full: bool) -> bool:
        """Note that a listing starts; return True if it may stop at the first known item.

        A walk cut short (a crash, SIGTERM, a failed page, the budget) left older pages
        unread. Where the rolling reconcile reads them (the account's images and albums
        through ``/3/``, whose pages it can resume), the quick walk still stops at known
        items, or it would start again from the top each time and never get past the
        budget; elsewhere it stops only once a walk reached the listing's end.
        """
        complete = self.store.get_cursor(LISTING_CURSOR + name) == "complete"
        self.store.set_cursor(LISTING_CURSOR + name, "incomplete")
        reconciled = name in ("images", "albums") and self.listings.resumable
        return (complete or reconciled) and not full

    def _listing_done(self, name: str) -> None:
        self.store.set_cursor(LISTING_CURSOR + name, "complete")

    def _fetch_images(self, full: bool, result: PullResult) -> None:
        seen: set[str] = set()
        may_stop = self._listing_started("images", full)

        def known(page: list[Any]) -> bool:  # newest first: everything older is known already
            return may_stop and any(self._is_known_image(i.get("id")) for i in page
                                    if isinstance(i, dict))

        for page in self.walk(self.listings.images(known), "images", result):
            seen.update(self.save_image_page(page, result))
        self._listing_done("images")
        if full:
            result.removed += self._confirm_gone(
                (row["id"] for row in self.store.iter_images(owned=True) if row["id"] not in seen),
                "images", "image")

    def save_image_page(self, page: Page, result: PullResult) -> list[str]:
        """Save a page of the account's images; return their ids (seen by the cycle)."""
        items = self._sorted_out(page, validate.image, "images", result)
        ids = [i["id"] for i in items]
        with self.store.transaction():
            self.store.save_images(items, owned=True)
            self.store.mark_seen("images", ids)
        return ids

    def _is_known_image(self, image_id: Any) -> bool:
        if not is_id(image_id):
            return False
        row = self.store.get_image(image_id)
        return row is not None and bool(row["owned"]) and row["removed_at"] is None

    def _fetch_albums(self, full: bool, result: PullResult) -> None:
        seen: set[str] = set()
        may_stop = self._listing_started("albums", full)

        def changed(album: dict[str, Any]) -> bool:
            stored = self.store.get_album(album["id"])
            return (full or stored is None or stored["removed_at"] is not None
                    or stored["list_signature"] != _signature(album))

        def known(page: list[Any]) -> bool:  # a page of known posts, where newest first
            return may_stop and all(
                not changed(post) if post.get("is_album") else self._is_known_image(post["id"])
                for post in page if isinstance(post, dict) and is_id(post.get("id")))

        for page in self.walk(self.listings.albums(known), "albums", result):
            fresh = []
            for album in self.save_album_page(page, result):
                if album["id"] not in seen and changed(album):
                    fresh.append(album)
                seen.add(album["id"])
            self.fetch_album_images(fresh, result)
        self._listing_done("albums")
        if full:
            result.removed += self._confirm_gone(
                (row["id"] for row in self.store.iter_albums() if row["id"] not in seen),
                "albums", "album")

    def save_album_page(self, page: Page, result: PullResult) -> list[dict[str, Any]]:
        """Return the albums of a listing page that can be mirrored, noted as seen by the
        cycle; they are saved with their images, by :meth:`fetch_album_images`."""
        albums: list[dict[str, Any]] = self._sorted_out(page, validate.album, "albums", result)
        self.store.mark_seen("albums", [a["id"] for a in albums])
        return albums

    def fetch_album_images(self, albums: list[dict[str, Any]], result: PullResult) -> None:
        """Fetch and save the images of ``albums`` (a few at a time), each with its list entry.

        The albums fetched before an error are saved; the error then goes up.
        """
        if not albums:
            return
        error: BaseException | None = None
        answers: list[tuple[dict[str, Any], Any]] = []
        with ThreadPoolExecutor(max_workers=min(4, self.config.mirror.concurrency,
                                                len(albums))) as pool:
            futures = [(a, pool.submit(self.listings.album_images, a["id"])) for a in albums]
            for album, future in futures:
                try:
                    answers.append((album, future.result()))
                except Exception as exc:  # raised below, once the others are saved
                    error = error or exc
        # The albums commit at once: each album's members and signature together, and one
        # disk sync per page instead of one per album.
        with self.store.transaction():
            for album, answer in answers:
                images = self._album_images(album["id"], answer, "albums", result)
                if images is None:
                    continue  # kept as it was; fetched again next time
                self.store.save_images(images, owned=True)
                # An album with a skipped image is fetched again by the next pull.
                complete = len(images) == len(answer)
                self.store.save_album(
                    album, list_signature=_signature(album) if complete else "")
                self.store.set_album_images(album["id"], [i["id"] for i in images])
                self.store.mark_seen(ALBUM_IMAGES, [album["id"]])
        if error is not None:
            raise error

    def fetch_favorites(self, sections: Iterable[str], result: PullResult) -> None:
        """Read the favorites listings among these sections whole, with every favorited
        album's images, as a full pull does: what is no longer listed is no longer a favorite.
        A listing this sign-in cannot read is passed over (the quick pull says so)."""
        for name in [name for name in FAVORITES if name in sections]:
            try:
                STEPS[name].fetch(self, True, result)
            except Unavailable as exc:
                log.debug("%s", exc)

    def _album_images(self, album_id: str, answer: Any, where: str,
                      result: PullResult) -> list[dict[str, Any]] | None:
        """Return the images of an album's image list that can be mirrored; None if it is
        not a list at all."""
        try:
            listed = validate.listing(answer, f"3/album/{album_id}/images")
        except MalformedResponse as exc:
            self._fail(result, "item", f"{where}: album {album_id!r}", str(exc))
            return None
        return self._sorted_out(listed, validate.image, f"{where}: album {album_id!r}", result)

    def _fetch_favorites(self, full: bool, result: PullResult, gallery: bool = False) -> None:
        known = {row["item_id"] for row in self.store.iter_favorites(gallery)}
        listing = "gallery_favorites" if gallery else "favorites"
        may_stop = self._listing_started(listing, full)
        seen: list[str] = []
        kept: list[str] = []  # favorites skipped as malformed: not removed for that

        def stop(page: list[Any]) -> bool:
            return may_stop and any(isinstance(i, dict) and i.get("id") in known for i in page)

        for page in self.walk(self.listings.favorites(gallery, stop), listing, result):
            entries = self._sorted_out(page, validate.favorite, listing, result, skipped=kept)
            for item_id, kind, _ in entries:
                if kind == "album" and (full or item_id not in known):
                    self._fetch_favorite_album(item_id, listing, result)
            with self.store.transaction():
                self.store.save_images([i for _, k, i in entries if k == "image"], owned=False)
                self.store.save_favorites(entries, gallery, start=len(seen))
            seen.extend(item_id for item_id, _, _ in entries)
        self._listing_done(listing)
        if full:
            self.store.mark_favorites_removed(seen + kept, gallery)

    def _fetch_favorite_album(self, album_id: str, where: str, result: PullResult) -> None:
        if album_id in self._fetched_albums:
            return  # favorited and gallery-favorited: one fetch per pull is enough
        self._fetched_albums.add(album_id)
        answer = self.listings.album_images(album_id)
        images = self._album_images(album_id, answer, where, result)
        if images is None:
            return
        with self.store.transaction():
            self.store.save_images(images, owned=False)
            self.store.set_cursor(MEMBERS_CURSOR + album_id,
                                  json.dumps([i["id"] for i in images]))

    def _fetch_messages(self, full: bool, result: PullResult) -> None:
        try:
            answer = self.listings.conversations()
        except NotFound:  # Imgur switched messaging off in 2016; the pull goes on without it
            self.store.set_setting("messages_available", "no")
            result.messages_available = False
            return
        conversations = self._sorted_out(validate.listing(answer, "3/conversations"),
                                         validate.conversation, "messages", result)
        self.store.set_setting("messages_available", "yes")
        result.messages_available = True
        stored = {row["id"]: row for row in self.store.iter_conversations()}
        for conversation in conversations:
            before = stored.get(conversation["id"])
            if (not full and before is not None
                    and before["message_count"] == conversation.get("message_count")
                    and before["datetime"] == conversation.get("datetime")):
                continue
            messages = self._messages(conversation["id"], result)
            if messages is None:
                continue
            with self.store.transaction():
                self.store.save_conversation(conversation)
                self.store.save_messages(conversation["id"], messages)

    def _messages(self, conversation_id: int, result: PullResult) -> list[dict[str, Any]] | None:
        """Return a conversation's messages, or None when a page of it is not one."""
        where = f"messages: conversation {conversation_id}"
        messages: list[dict[str, Any]] = []
        page = 1  # the legacy conversation pages start at 1
        while True:
            data = self.listings.conversation_page(conversation_id, page)
            if not isinstance(data, dict) or not isinstance(data.get("messages"), list | None):
                self._fail(result, "item", where, f"Imgur's answer for its page {page} is not "
                           "a conversation; it is kept as it was")
                return None
            listed = data.get("messages") or []
            messages += self._sorted_out(listed, validate.message, where, result)
            if data.get("done", True) or not listed:
                return messages
            page += 1

    def _confirm_gone(self, candidates: Iterator[str], table: str, kind: str) -> int:
        """Mark removed what a direct GET confirms is gone (404); return how many."""
        removed = 0
        for item_id in list(candidates):
            if self.listings.gone(kind, item_id):
                removed += self.store.mark_removed(table, item_id)
        return removed

    # -- planning ---------------------------------------------------------------------------

    def _planner(self, sections: frozenset[str]) -> Planner:
        def files() -> Iterator[Want]:
            for name, steps in STEPS.items():
                if name in sections and steps.files is not None:
                    yield from steps.files(self)

        return Planner(self.store, sections, root=self.root,
                       links=self.config.mirror.album_links,
                       trash=self.config.mirror.on_remote_delete == "trash",
                       members_cursor=MEMBERS_CURSOR, transcripts=self._transcripts,
                       files=files)

    def _batches(self, sections: frozenset[str], whole: bool) -> Iterator[Batch]:
        """The plan a batch at a time: of every image when ``whole`` (or when the tree was
        never planned whole for this config), else of those marked changed."""
        planner = self._planner(sections)
        return planner.batches(changed_only=not whole and not planner.needs_all())

    def _apply_plan(self, sections: frozenset[str], result: PullResult, *, full: bool,
                    partial: bool, emptied: bool) -> None:
        """Plan and apply the tree a batch at a time, with one applier for all of them.

        A batch applied without a failure has its change marks cleared (those made before
        it was planned); a failed download keeps its image marked, so the next quick pull
        plans it again. ``partial`` (``--only``) plans what it covers and clears nothing.
        """
        planner = self._planner(sections)
        whole = full or partial or planner.needs_all()
        applier = Applier(self.root, self.store, self.api,
                          links=self.config.mirror.album_links,
                          concurrency=self.config.mirror.concurrency,
                          local_sources=self._upload_sources(),
                          progress=self.progress, should_stop=self.should_stop)
        for batch in planner.batches(changed_only=not whole):
            actions = [a for a in batch.actions if not (emptied and a.kind in MOVES)]
            _count(result.planned, actions)
            result.images_planned += len(batch.ids)
            if self.progress:
                self.progress("planned", sum(a.kind == "download" for a in actions))
            applied = applier.apply(actions)
            result.applied.merge(applied)
            if batch.ids and not (applied.failures or partial or emptied):
                self.store.clear_changed(batch.ids, batch.generation)
        if emptied:
            self._moved_nothing(result)
        elif not partial:
            planner.planned_all()

    def _transcripts(self) -> dict[str, tuple[str, str]]:
        out = {}
        for conversation in self.store.iter_conversations():
            who = conversation["with_account"] or "unknown"
            messages = self.store.iter_messages(conversation["id"])
            out[str(conversation["id"])] = (who, render_transcript(who, messages))
        return out


@dataclass(frozen=True)
class SectionSteps:
    """What the pull runs for a section of ``imgur_sync.sections``.

    ``fetch(mirror, full, result)`` lists the section on Imgur and saves what it finds in
    the store (an ``ImgurError`` it raises leaves the section as it was); ``files(mirror)``,
    when set, returns the files the saved rows make, for a section whose files
    ``plan.desired_tree`` does not place itself.
    """

    fetch: Callable[[Mirror, bool, PullResult], None]
    files: Callable[[Mirror], Iterable[Want]] | None = None


#: Each section's steps, by its name in ``imgur_sync.sections``, in the order they run (the
#: account's own images first, as the pull always has).
STEPS: dict[str, SectionSteps] = {
    "images": SectionSteps(Mirror._fetch_images),
    "albums": SectionSteps(Mirror._fetch_albums),
    "favorites": SectionSteps(Mirror._fetch_favorites),
    "gallery_favorites": SectionSteps(
        lambda mirror, full, result: mirror._fetch_favorites(full, result, gallery=True)),
    "messages": SectionSteps(Mirror._fetch_messages),
}


def _signature(album: dict[str, Any]) -> str:
    """The album list fields whose change means its images must be fetched again."""
    return json.dumps([album.get("images_count"), album.get("cover"), album.get("title"),
                       album.get("datetime")])


def _count(counts: dict[str, int], actions: Iterable[Action]) -> None:
    """Add the actions to ``counts``, by kind."""
    for action in actions:
        counts[action.kind] = counts.get(action.kind, 0) + 1
