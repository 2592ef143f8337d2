"""The drop-folder loop: scan, watch, wait for quiet, upload, and bring the uploads into the mirror.

``push`` runs it once; ``watch`` and the daemon run it until told to stop. Start-up scans
every mapped folder (files added while nothing ran are uploaded now, files deleted
meanwhile get their ``on_local_delete``), then watchdog events drive it, and a periodic
rescan covers events that never came.

The loop is event-driven: it blocks on the watcher's queue until a change arrives, a file
may be ready, an upload's retry is due or a rescan is, and looks at the journal only then.
An idle loop costs a wake-up every ``WAKE_EVERY`` seconds (to see a stop) and no query.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ..api import Imgur, ImgurError, TransportError
from ..mirror.pull import Mirror
from ..settings.config import Config
from ..store import Store, printable
from .uploader import Batch, Progress, Uploader
from .watcher import PATIENCE, Change, FolderWatcher, StabilityTracker

__all__ = ["DropFolders"]

log = logging.getLogger(__name__)

RESCAN_EVERY = 300.0
WAKE_EVERY = 0.5  # longest idle wait: how soon a stop is seen
STEP_UPLOADS = 50  # uploads per loop step: a large drop reports as it goes and stops promptly


class DropFolders:
    """Keep the mapped folders and their albums in step."""

    def __init__(self, config: Config, store: Store, imgur: Imgur, *, quiet: float = 1.0,
                 patience: float = PATIENCE, clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic,
                 tree_lock: threading.Lock | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 confirm_deletions: bool = False) -> None:
        self.config, self.store = config, store
        self.uploader = Uploader(config, store, imgur, clock=clock)
        self.uploader.confirm_deletions = confirm_deletions
        self.mirror = Mirror(config, store, imgur.transport, clock=clock)
        self.tracker = StabilityTracker(quiet, clock=monotonic, patience=patience)
        self.quiet, self.clock, self.monotonic, self.sleep = quiet, clock, monotonic, sleep
        self.watcher: FolderWatcher | None = None
        self.last_scan = float("-inf")
        self.healthy = True
        self._started = False
        # Pulls and uploads take turns on the tree (the daemon shares this lock).
        self.tree_lock = tree_lock or threading.Lock()
        self._rescan_requested = threading.Event()
        self._retry_requested = threading.Event()
        self._dirty = True  # the journal may hold work due now: process at the next step
        self._next_upload = float("-inf")  # on ``clock``: when a waiting upload is due

    def request_rescan(self) -> None:
        """Ask the loop (from another thread) to rescan the folders at its next step."""
        self._rescan_requested.set()
        self._wake()

    def request_retry(self) -> None:
        """Ask the loop to retry failed uploads now rather than at their backoff time."""
        self._retry_requested.set()
        self._wake()

    def _wake(self) -> None:
        watcher = self.watcher
        if watcher is not None:
            watcher.wake()

    def start(self) -> None:
        """Find the albums, then take stock of the folders as they are now."""
        self.uploader.resolve_albums()
        with self.tree_lock:
            separated = self.mirror.separate_uploads()
        if separated:
            log.info("%d uploaded file(s) in the mirror were hard links to their dropped "
                     "files; each has a copy of its own now", separated)
        self.scan()
        self._started = True

    def scan(self) -> None:
        """Queue files that are new or changed; apply deletions that happened unseen."""
        self.last_scan = self.monotonic()
        self._dirty = True
        missing = self.prepare_folders()
        if self.watcher is not None:  # a folder back from an unmounted share is watched again
            self.watcher.refresh()
        present = set(self.uploader.scan())
        for path in sorted(present):
            if not self._known(path):
                # Untouched for `quiet` seconds already: no writer has it open, as after a close.
                still_for = self._quiet_for(path)
                self.tracker.touch(path, closed=still_for >= self.quiet, quiet_for=still_for)
        tracked: dict[Path, set[Path]] = {}
        gone: dict[Path, set[Path]] = {}
        for row in self.store.iter_uploads(state="done"):
            path = Path(row["path"])
            upload = self.uploader.folder_of(path)
            if upload is None:
                continue
            tracked.setdefault(upload.path, set()).add(path)
            if path not in present and not path.exists():
                gone.setdefault(upload.path, set()).add(path)
        for folder in self.uploader.folders:
            paths = gone.get(folder, set())
            if self._held_back(folder, folder in missing, len(paths), len(tracked.get(folder, ()))):
                continue
            for path in sorted(paths):
                self.uploader.deleted(path)
        if self.uploader.confirm_deletions:
            self.prepare_folders()  # the missing ones were removed on purpose: make them again

    def prepare_folders(self) -> set[Path]:
        """Make the mapped folders that are missing; return those that held uploads.

        A folder that files were uploaded from and that is gone now is an unmounted or
        moved source: making it again would hide that, so it is left missing.
        """
        missing = {folder for folder in self.uploader.folders if not folder.is_dir()}
        if not missing:
            return missing
        used = {Path(row["path"]).parent for row in self.store.iter_uploads(state="done")}
        for folder in missing - used if not self.uploader.confirm_deletions else missing:
            folder.mkdir(parents=True, exist_ok=True)
        return missing & used

    def _held_back(self, folder: Path, missing: bool, gone: int, tracked: int) -> bool:
        """True when the deletions found in ``folder`` look like an absent source, not a user.

        A missing folder, or one that lost every uploaded file at once, is what an unmounted
        share looks like: its on_local_delete waits for the user's word, with a warning.
        """
        upload = self.uploader.folders[folder]
        if not gone or self.uploader.confirm_deletions or not (missing or gone == tracked):
            self.store.resolve_failures("upload", str(folder))
            return False
        if upload.on_local_delete == "keep":  # nothing changes upstream: no need to ask
            return missing  # but a missing folder's files stay tracked until it is back
        why = ("is missing" if missing else
               f"lost all {tracked} uploaded file(s) at once")
        reason = (f"The drop folder {folder} {why} (an unmounted share looks like this), so "
                  f"on_local_delete = \"{upload.on_local_delete}\" was not applied and its "
                  "images stay on Imgur and in the album; put the files back, or if you "
                  "deleted them on purpose, run `imgur-sync push --confirm-deletions`.")
        log.warning("%s", reason)
        self.store.add_failure("upload", str(folder), reason)
        return True

    def _known(self, path: Path) -> bool:
        """True when the journal already covers this file as it is (saves re-hashing)."""
        latest = self.uploader.latest(path)
        if latest is None or latest["state"] == "removed":
            return False
        try:
            info = path.stat()
        except OSError:
            return True
        if latest["state"] == "bad":  # fixed since (new bytes, or readable now): look again
            return (latest["created"] or 0) >= max(info.st_mtime, info.st_ctime)
        # A file replaced by one of the same size with an old mtime (`cp -p`, `rsync -t`)
        # still has a new ctime, which nobody can set: then it is hashed again.
        return (latest["size"] == info.st_size and (latest["created"] or 0) >= info.st_mtime
                and (latest["updated"] or 0) >= info.st_ctime)

    def _quiet_for(self, path: Path) -> float:
        """Seconds since the file last changed, by its mtime (0 when it cannot be read)."""
        try:
            return max(0.0, self.clock() - path.stat().st_mtime)
        except OSError:
            return 0.0

    def push(self) -> Batch:
        """One round for `imgur-sync push`: what is quiet or closed is uploaded, then return."""
        try:
            return self._push()
        except TransportError as exc:  # after a whole retry budget: every file would wait too
            raise TransportError(f"{exc}; the push stopped, and the files not uploaded yet wait "
                                 "in their folders for the next one. Check the network "
                                 "connection and [imgur] api_url.") from exc

    def _push(self) -> Batch:
        self.start()
        # Files written moments ago get one quiet period (and a little) to finish.
        deadline = self.monotonic() + self.quiet * 3
        while True:
            self._consider_all(self.tracker.due())
            if not self.tracker.pending() or self.monotonic() >= deadline:
                break
            self.sleep(self.quiet / 4)
        if self.tracker.pending():
            log.info("%d file(s) are still being written; the next push takes them",
                     self.tracker.pending())
        return self.process()

    def process(self, limit: int | None = None) -> Batch:
        """Upload what is due (``limit`` at most) and bring the results into the mirror tree."""
        self._dirty = False
        if self._retry_requested.is_set():
            self._retry_requested.clear()
            self.uploader.retry_now()
        batch = self.uploader.process(limit=limit)
        self._dirty = batch.remaining > 0
        upcoming = self.store.next_upload_at()
        # Whatever a round left due (it should leave nothing) waits a wake-up, never a spin.
        self._next_upload = (float("inf") if upcoming is None
                             else max(upcoming, self.clock() + WAKE_EVERY))
        if batch.uploaded or batch.linked:
            with self.tree_lock:
                # The gallery is rewritten once a drop is through, not after every step.
                applied = self.mirror.take_in_uploads([*batch.joined, *batch.uploaded],
                                                      gallery=not batch.remaining)
            for path, reason in applied.failures:
                log.warning("could not add %s to the mirror: %s", path, reason)
        return batch

    def step(self, timeout: float | None = None) -> Batch:
        """Wait for changes (up to ``timeout``, by default until something is due); act."""
        assert self.watcher is not None
        for change in self.watcher.drain(self._idle_wait() if timeout is None else timeout):
            self._guarded(change.path, "follow a change to", lambda c=change: self._route(c))
        self._consider_all(self.tracker.due())
        if self._rescan_requested.is_set() or self.monotonic() - self.last_scan >= RESCAN_EVERY:
            self._rescan_requested.clear()
            self.scan()
        if self._dirty or self._retry_requested.is_set() or self.clock() >= self._next_upload:
            return self.process(limit=STEP_UPLOADS)
        return Batch()

    def _idle_wait(self) -> float:
        """Seconds the loop may block on the watcher: until the next thing is due."""
        if self._dirty or self._retry_requested.is_set() or self._rescan_requested.is_set():
            return 0.0
        waits = [WAKE_EVERY, RESCAN_EVERY - (self.monotonic() - self.last_scan),
                 self._next_upload - self.clock()]
        tracked = self.tracker.wait()
        if tracked is not None:
            waits.append(tracked)
        return max(0.0, min(waits))

    def _consider_all(self, paths: list[Path]) -> None:
        """Journal the files that are ready, each on its own: one bad file stops no other."""
        progress = Progress("looking at", "looked at", len(paths), "new file(s)", self.clock)
        for path in paths:
            self._dirty = True
            self._guarded(path, "look at", lambda p=path: self.uploader.consider(p))
            progress.step()

    def _guarded(self, path: Path, doing: str, action: Callable[[], None]) -> None:
        """Run ``action`` for one file; a surprise is logged and recorded, and the loop goes on."""
        try:
            action()
        except (ImgurError, OSError, ValueError, LookupError, TypeError) as exc:
            log.exception("could not %s %s", doing, printable(path))
            self.store.add_failure("upload", str(path), f"could not {doing} it: {exc}")

    def _route(self, change: Change) -> None:
        if change.kind == "lost":  # events were dropped: only a scan can tell what changed
            self._rescan_requested.set()
        elif change.kind == "deleted":
            self._dirty = True  # may journal work (a write waits in the tracker first)
            self.tracker.forget(change.path)
            self.uploader.deleted(change.path)
        elif change.kind == "moved" and change.target is not None:
            self._dirty = True
            self.tracker.forget(change.path)
            if os.path.isdir(change.target):
                return
            if self.uploader.latest(change.path) is None:
                self.tracker.touch(change.target, closed=True)  # e.g. "x.part" -> "x.jpg"
            else:
                self.uploader.moved(change.path, change.target)
        elif change.kind in ("changed", "closed"):  # not "wake": that only ends the wait
            self.tracker.touch(change.path, closed=change.kind == "closed")

    def watch(self, stop: threading.Event, on_batch: Callable[[Batch], None] | None = None,
              ) -> None:
        """Run until ``stop`` is set: the foreground loop of `watch` and the daemon."""
        self.prepare_folders()
        self.watcher = FolderWatcher(self.uploader.folders)
        self.watcher.start()
        try:
            delay = 5.0
            while not self._started and not stop.is_set():
                try:
                    self.start()
                except ImgurError as exc:  # Imgur unreachable: keep trying, keep files queued
                    log.warning("drop folders cannot start yet (%s); retrying in %.0f s",
                                exc, delay)
                    stop.wait(delay)
                    delay = min(delay * 2, 300.0)
            while not stop.is_set():
                batch = self.step()
                self.healthy = self.watcher.is_alive()
                if on_batch is not None:
                    on_batch(batch)
        finally:
            self.watcher.stop()
