"""Drop folders: upload new files into their mapped albums exactly once, and keep membership.

Identity is the content hash. A file whose bytes were uploaded before is never uploaded
again: in the same album nothing happens, in another mapped folder the existing image is
added to that album. Moving a file between mapped folders moves the image between albums;
deleting it applies the folder's ``on_local_delete``. A file that changes after its upload
is uploaded again only when its folder's ``on_local_change`` is ``"upload"``; a version
that changes before its upload is replaced by the newer one.

**Exactly once.** Every upload is journaled (state ``pending``) before any request, marked
``uploading`` just before the request, and carries a marker in its ``name`` field. The POST
is made once (no transport retry); if its answer is lost — a crash, a timeout, a garbled
body — the next attempt first looks for an image carrying the marker among the account's
newest images and adopts it, so a lost answer never becomes a second upload.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import stat
import time
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..account.checks import require_user
from ..api import (
    Album,
    ApiError,
    Forbidden,
    Imgur,
    ImgurError,
    NotFound,
    RateLimited,
    iter_pages,
)
from ..settings.config import Config, UploadConfig
from ..store import Store, printable
from ..store.journal import RECOVERY_MARGIN

__all__ = ["MAX_IMAGE_BYTES", "MAX_VIDEO_BYTES", "Batch", "Progress", "Uploader", "ignored",
           "sniff_type"]

log = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 20 * 1024 * 1024  # Imgur's documented limits vary (docs/IMGUR-API.md §Uploads):
MAX_VIDEO_BYTES = 200 * 1024 * 1024  # the server's own 400 is the final word
_IGNORED_SUFFIXES = (".part", ".tmp", ".crdownload", ".download", ".partial", ".swp", "~")
_MAGIC = [  # (offset, bytes, type): enough to refuse what Imgur would refuse
    (0, b"\xff\xd8\xff", "image/jpeg"), (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"GIF87a", "image/gif"), (0, b"GIF89a", "image/gif"),
    (0, b"II*\x00", "image/tiff"), (0, b"MM\x00*", "image/tiff"), (0, b"BM", "image/bmp"),
    (8, b"WEBP", "image/webp"), (4, b"ftyp", "video/mp4"), (0, b"\x1aE\xdf\xa3", "video/webm"),
]
RETRY_BASE, RETRY_CAP = 5.0, 3600.0
MARKER_TAG = "imgur-sync:"
PROGRESS_EVERY = 10.0  # seconds between progress lines of a long round
PROGRESS_FROM = 100  # items in a round that make it announce itself
CHANGE_KEPT = ('changed after the upload; the new version was not uploaded '
               '(on_local_change = "keep")')


def ignored(name: str) -> bool:
    """True for names that are never uploaded: hidden, temporary and partial files."""
    return (name.startswith((".", "~$", "#")) or name.endswith(_IGNORED_SUFFIXES)
            or name.endswith("#"))


def sniff_type(head: bytes) -> str | None:
    """Return the media type the first bytes show, or None when Imgur would refuse them."""
    for offset, magic, kind in _MAGIC:
        if head[offset:offset + len(magic)] == magic:
            return kind
    return None


@dataclass
class Batch:
    """What one round of processing did."""

    uploaded: dict[str, Path] = field(default_factory=dict)  # image id -> local file
    linked: int = 0
    joined: dict[str, Path] = field(default_factory=dict)  # image id -> local file, for the tree
    bad: list[tuple[str, str]] = field(default_factory=list)
    deferred: int = 0
    remaining: int = 0  # entries due now that a ``limit`` left for the next round


class Progress:
    """Log how far a long round got every ``PROGRESS_EVERY`` seconds, so it is never silent."""

    def __init__(self, starting: str, finished: str, total: int, what: str,
                 clock: Callable[[], float]) -> None:
        self.finished, self.total, self.what, self.clock = finished, total, what, clock
        self.count, self.last = 0, clock()
        if total >= PROGRESS_FROM:
            log.info("%s %d %s", starting, total, what)

    def step(self) -> None:
        """Count one item done."""
        self.count += 1
        now = self.clock()
        if now - self.last >= PROGRESS_EVERY and self.count < self.total:
            self.last = now
            log.info("%s %d of %d %s", self.finished, self.count, self.total, self.what)


class Uploader:
    """Turn files in the mapped folders into images in their albums."""

    def __init__(self, config: Config, store: Store, imgur: Imgur, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.config, self.store, self.imgur, self.clock = config, store, imgur, clock
        self.folders = {u.path: u for u in config.uploads}
        self.albums: dict[Path, str] = {}
        # Set by `push --confirm-deletions`: apply on_local_delete even to a folder that is
        # missing or lost all its files at once (otherwise held back as an unmounted source).
        self.confirm_deletions = False
        self.rejected: list[tuple[str, str]] = []  # bad files found since the last process()

    # -- albums -----------------------------------------------------------------------------

    def resolve_albums(self) -> None:
        """Find each mapped album by id or title, creating the ones that do not exist."""
        require_user(self.imgur.transport)
        listed = self._list_albums()
        for folder, upload in self.folders.items():
            found = next((a for a in listed if a["id"] == upload.album), None) or next(
                (a for a in listed if (a.get("title") or "") == upload.album), None)
            if found is None:
                log.info("creating album %r for %s", upload.album, folder)
                found = self._create_album(upload.album)
                listed.append(found)
            self.store.save_album(found)
            self.albums[folder] = found["id"]

    def _list_albums(self) -> list[dict[str, Any]]:
        transport = self.imgur.transport
        return list(iter_pages(lambda page: transport.request(
            "GET", f"3/account/me/albums/{page}")))

    def _create_album(self, title: str) -> dict[str, Any]:
        """Create an album once: after a failed attempt, look for it before trying again."""
        transport = self.imgur.transport
        attempt = 0
        while True:
            try:  # one POST per attempt: a lost answer must not become a second album
                created = transport.request("POST", "3/album", data={"title": title},
                                            retry=False)
                return dict(transport.request("GET", f"3/album/{created['id']}"))
            except ImgurError as exc:
                found = next((a for a in self._list_albums()
                              if (a.get("title") or "") == title), None)
                attempt += 1
                if found is not None:
                    return found
                if not exc.retryable or attempt >= transport.retry.attempts:
                    raise
                transport.sleep(transport.retry.backoff(attempt - 1, transport.random()))

    # -- files ------------------------------------------------------------------------------

    def folder_of(self, path: Path) -> UploadConfig | None:
        """Return the mapping a file belongs to (files directly inside a mapped folder)."""
        return self.folders.get(path.parent)

    def scan(self) -> list[Path]:
        """Return every candidate file now in the mapped folders (for the start-up scan)."""
        found = []
        for folder in self.folders:
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except FileNotFoundError:
                continue  # unmounted, or moved away: DropFolders.scan says so
            found += [Path(e.path) for e in entries
                      if not ignored(e.name) and (e.is_file() or e.is_symlink())]
        return found

    def consider(self, path: Path) -> None:
        """Journal a stable file: a new upload, an album add for known bytes, or nothing."""
        upload = self.folder_of(path)
        if upload is None or ignored(path.name):
            return
        latest = self.latest(path)
        try:
            digest, size = self._check(path, upload)
        except _BadFile as bad:
            if latest is None or latest["state"] != "bad" or latest["error"] != str(bad):
                entry = self.store.add_upload(path, sha256="", size=0, album_id=None,
                                              marker=self._new_marker())
                self.store.mark_upload(entry, "bad", error=str(bad))
                self.store.add_failure("upload", str(path), str(bad))
                self.rejected.append((str(path), str(bad)))
            return
        except FileNotFoundError:
            return  # gone before we looked: the deletion event follows
        if latest is not None and latest["sha256"] == digest and latest["state"] != "removed":
            if latest["state"] == "done":  # its ctime moved (chmod, cp -p of the same bytes)
                self.store.confirm_upload(latest["id"])
            return  # seen already (a rescan, or a second event for the same write)
        if latest is not None and latest["state"] in ("pending", "failed"):
            self.store.mark_upload(latest["id"], "removed",
                                   error="replaced by a newer version before its upload")
        elif latest is not None and latest["state"] in ("done", "uploading") and (
                upload.on_local_change == "keep"):
            if latest["state"] == "done" and latest["error"] != CHANGE_KEPT:
                log.info("%s %s", printable(path), CHANGE_KEPT)
                self.store.mark_upload(latest["id"], "done", error=CHANGE_KEPT)
            return
        album_id = self.albums.get(upload.path)
        entry = self.store.add_upload(path, sha256=digest, size=size, album_id=album_id,
                                      marker=self._new_marker())
        known = self._image_with(digest)
        if known is not None:  # same bytes as an uploaded image: no second upload
            self.store.mark_upload(entry, "pending", image_id=known)

    def _check(self, path: Path, upload: UploadConfig) -> tuple[str, int]:
        if path.is_symlink():
            target = path.resolve()
            if not target.is_relative_to(upload.path.resolve()):
                raise _BadFile("it is a symlink leading outside its folder")
        try:
            if not stat.S_ISREG(path.stat().st_mode):  # opening a FIFO would block forever
                raise _BadFile("it is not a regular file")
            with path.open("rb") as handle:
                head = handle.read(32)
                kind = sniff_type(head)
                if kind is None:
                    raise _BadFile("it is not an image or video Imgur accepts "
                                   "(JPEG, PNG, GIF, TIFF, BMP, WebP, MP4, WebM)")
                size = os.fstat(handle.fileno()).st_size
                limit = MAX_VIDEO_BYTES if kind.startswith("video/") else MAX_IMAGE_BYTES
                if size > limit:
                    raise _BadFile(f"it is {size / 1e6:.1f} MB, over Imgur's "
                                   f"{limit // (1024 * 1024)} MB limit for this type")
                digest = hashlib.sha256(head)
                while chunk := handle.read(1024 * 1024):
                    digest.update(chunk)
        except PermissionError:
            raise _BadFile("it cannot be read (permission denied)") from None
        return digest.hexdigest(), size

    def latest(self, path: Path) -> dict[str, Any] | None:
        """Return the newest journal entry for a path, or None."""
        return self.store.latest_upload(path)

    def _image_with(self, digest: str) -> str | None:
        for row in reversed(self.store.iter_uploads(sha256=digest)):
            if row["image_id"] and row["state"] in ("done", "removed"):
                image = self.store.get_image(row["image_id"])
                if image is None or image["removed_at"] is None:
                    return str(row["image_id"])
        return None

    def _new_marker(self) -> str:
        return MARKER_TAG + secrets.token_hex(8)

    # -- deletions and moves ----------------------------------------------------------------

    def deleted(self, path: Path) -> None:
        """Apply the folder's ``on_local_delete`` to a file that disappeared."""
        upload = self.folder_of(path)
        latest = self.latest(path)
        if upload is None or latest is None or latest["state"] in ("removed", "bad"):
            return
        if not upload.path.is_dir() and not self.confirm_deletions:
            return  # an absent folder is an unmounted source: DropFolders.scan warns
        self.store.mark_upload(latest["id"], "removed", error="deleted locally")
        image_id, album_id = latest["image_id"], latest["album_id"]
        if latest["state"] != "done" or not image_id:
            return  # never uploaded: nothing to undo upstream
        # Watchdog reports a move between two mapped folders as a deletion here and a
        # creation there. While the same bytes are on disk in a mapped folder the image is
        # never deleted: in this folder, the album keeps it; in another, it moved on.
        holders = self._folders_holding(latest["sha256"], latest["size"])
        if upload.path in holders:
            return
        mode = upload.on_local_delete
        if holders or (mode == "delete_image" and self._still_used(image_id)):
            mode = "remove_from_album"
        try:
            if mode == "remove_from_album" and album_id:
                Album({"id": album_id}, self.imgur, has_fetched=False).remove_images([image_id])
                self._drop_member(album_id, image_id)
            elif mode == "delete_image":
                with suppress(NotFound):  # deleted on Imgur already: as good
                    self.imgur.transport.request("DELETE", f"3/image/{image_id}")
                # Gone: the same bytes dropped again must be uploaded anew, not linked.
                self.store.mark_removed("images", image_id)
        except ImgurError as exc:
            self.store.add_failure("upload", str(path), f"could not apply on_local_delete: {exc}")

    def moved(self, source: Path, target: Path) -> None:
        """Follow a file moved between (or into, or out of) mapped folders."""
        latest = self.latest(source)
        old, new = self.folder_of(source), self.folder_of(target)
        if new is None or latest is None or latest["state"] != "done" or old is None:
            self.deleted(source)
            self.consider(target)
            return
        image_id, old_album = latest["image_id"], latest["album_id"]
        new_album = self.albums.get(new.path)
        self.store.mark_upload(latest["id"], "removed", error=f"moved to {target}")
        entry = self.store.add_upload(target, sha256=latest["sha256"], size=latest["size"],
                                      album_id=new_album, marker=self._new_marker())
        if new_album == old_album:
            self.store.mark_upload(entry, "done", image_id=image_id)
            return
        self.store.mark_upload(entry, "pending", image_id=image_id)  # the add happens in process
        if old_album:
            try:
                Album({"id": old_album}, self.imgur, has_fetched=False).remove_images([image_id])
                self._drop_member(old_album, image_id)
            except ImgurError as exc:
                self.store.add_failure("upload", str(source), f"could not move: {exc}")

    def _folders_holding(self, digest: str, size: int) -> set[Path]:
        """Return the mapped folders that hold a file with these bytes now."""
        found = set()
        for folder, upload in self.folders.items():
            try:
                names = [e.name for e in os.scandir(folder) if not ignored(e.name)]
            except OSError:
                continue
            for name in names:
                try:
                    if (folder / name).stat().st_size == size and self._check(
                            folder / name, upload)[0] == digest:
                        found.add(folder)
                        break
                except (OSError, _BadFile):
                    continue
        return found

    def _still_used(self, image_id: str) -> bool:
        return any(r["image_id"] == image_id for r in self.store.iter_uploads(state="done"))

    def _drop_member(self, album_id: str, image_id: str) -> None:
        members = [i for i in self.store.get_album_images(album_id) if i != image_id]
        self.store.set_album_images(album_id, members)

    # -- uploading --------------------------------------------------------------------------

    def process(self, *, limit: int | None = None) -> Batch:
        """Upload (or add to albums) every due entry of the journal; return what happened."""
        batch = Batch(bad=self.rejected)
        self.rejected = []
        now = self.clock()
        due = [r for r in self.store.waiting_uploads() if (r["next_attempt_at"] or 0) <= now]
        todo = due[:limit]
        batch.remaining = len(due) - len(todo)
        progress = Progress("uploading", "uploaded", len(todo), "file(s)", self.clock)
        for row in todo:
            try:
                self._process_one(row, batch)
            except RateLimited as exc:  # the budget is spent: everything waits, nothing lost
                wait = exc.retry_after or RETRY_CAP
                self._defer_all(due, now + wait, str(exc))
                batch.deferred += len(due)
                batch.remaining = 0
                break
            progress.step()
        return batch

    def retry_now(self) -> None:
        """Make failed entries due at once (the daemon's periodic retry round)."""
        for row in self.store.iter_uploads(state="failed"):
            self.store.mark_upload(row["id"], "failed", next_attempt_at=0)

    def _process_one(self, row: dict[str, Any], batch: Batch) -> None:
        path = Path(row["path"])
        image_id = row["image_id"]
        recovered = False
        try:
            if image_id is None and row["state"] == "uploading":
                image_id = self._recover(row)  # the last attempt may have landed
                recovered = image_id is not None
            elif image_id is None:  # an earlier entry of this round may have the same bytes
                image_id = self._image_with(row["sha256"])
            if image_id is None:
                image_id = self._upload(row, path)
                batch.uploaded[image_id] = path
            elif recovered:  # our own upload, in its album already: the mirror takes the file
                batch.uploaded[image_id] = path
            elif row["album_id"] and not self._add_to_album(row["album_id"], image_id):
                self.store.mark_removed("images", image_id)  # deleted upstream since
                self.store.mark_upload(row["id"], row["state"], image_id=None)
                image_id = self._upload(row, path)  # so its bytes go up anew
                batch.uploaded[image_id] = path
            elif row["album_id"]:
                self._join_album(row["album_id"], image_id)
                batch.linked += 1
                batch.joined[image_id] = path
        except RateLimited:
            raise
        except (ImgurError, OSError) as exc:
            self._failed(row, exc, batch)
            return
        self.store.mark_upload(row["id"], "done", image_id=image_id, error=None)
        self.store.resolve_failures("upload", str(path))

    def _add_to_album(self, album_id: str, image_id: str) -> bool:
        """Add an existing image to an album; False when the image no longer exists.

        Not ``Album.add_images``, which hides a refusal: a failed add must fail the entry.
        """
        transport = self.imgur.transport
        try:
            transport.request("POST", f"3/album/{album_id}/add", data=[("ids[]", image_id)])
        except (Forbidden, NotFound):
            try:  # Imgur refuses the add when an id is not the caller's, or gone
                transport.request("GET", f"3/image/{image_id}")
            except NotFound:
                return False
            raise
        return True

    def _upload(self, row: dict[str, Any], path: Path) -> str:
        if not path.exists():
            raise FileNotFoundError(f"{path} is gone")
        self.store.mark_upload(row["id"], "uploading")
        image = self.imgur.upload_image(str(path), title=printable(path.stem),
                                        album=row["album_id"], retry=False,
                                        name=f"{printable(path.name)} [{row['marker']}]")
        raw = dict(image.raw)
        self._adopt(raw, row["album_id"])
        return str(raw["id"])

    def _recover(self, row: dict[str, Any]) -> str | None:
        """Find the image a lost answer created, by its marker; None if there is none."""
        tag = f"[{row['marker']}]"
        oldest = (row["created"] or 0) - RECOVERY_MARGIN
        page = 0
        while images := self.imgur.transport.request("GET", f"3/account/me/images/{page}"):
            for image in images:
                if tag in (image.get("name") or ""):
                    log.info("found %s uploaded before a lost answer; not uploading again",
                             image["id"])
                    self._adopt(image, row["album_id"])
                    if row["album_id"]:
                        self._add_to_album(row["album_id"], image["id"])
                    return str(image["id"])
            if min((i.get("datetime") or 0) for i in images) < oldest:
                return None  # newest first: older pages predate this upload
            page += 1
        return None

    def _adopt(self, image: dict[str, Any], album_id: str | None) -> None:
        self.store.save_image(image, owned=True)
        if album_id:
            self._join_album(album_id, image["id"])

    def _join_album(self, album_id: str, image_id: str) -> None:
        if self.store.get_album(album_id) is not None:
            self.store.add_album_image(album_id, image_id)

    def _failed(self, row: dict[str, Any], exc: Exception, batch: Batch) -> None:
        if isinstance(exc, FileNotFoundError) or (
                isinstance(exc, ApiError) and not exc.retryable and exc.status == 400):
            reason = f"Imgur refused it: {exc}" if isinstance(exc, ApiError) else str(exc)
            self.store.mark_upload(row["id"], "bad", error=reason)
            self.store.add_failure("upload", row["path"], reason)
            batch.bad.append((row["path"], reason))
            return
        attempts = (row["attempts"] or 0) + 1
        wait = min(RETRY_CAP, RETRY_BASE * 2 ** attempts)
        state = "uploading" if row["state"] == "uploading" or self._was_sent(row) else "failed"
        self.store.mark_upload(row["id"], state, error=str(exc),
                               next_attempt_at=self.clock() + wait)
        log.warning("%s: upload failed (%s); retrying in %.0f s", row["path"], exc, wait)

    def _was_sent(self, row: dict[str, Any]) -> bool:
        current = self.store.get_upload(row["id"])
        return current is not None and current["state"] == "uploading"

    def _defer_all(self, rows: Iterable[dict[str, Any]], when: float, reason: str) -> None:
        for row in rows:
            current = self.store.get_upload(row["id"])
            if current and current["state"] in ("pending", "uploading", "failed"):
                self.store.mark_upload(row["id"], current["state"], next_attempt_at=when,
                                       error=reason)


class _BadFile(Exception):
    """A file that must not be uploaded; the message says why, for `status`."""
