"""Carrying out a plan on disk: atomic downloads, album links, renames, unlinks and trash.

Every file appears under its final name whole (:mod:`imgur_sync.mirror.files`: an unnamed file
linked into place, or a temporary file renamed over the old one), so a crash leaves either
the old state or the new one, never a partial file under a final name; temporary files a
crash leaves are swept at the next start.
A file that reached disk but not the database (a crash between the two) is adopted when its
size matches, not downloaded again. Removed media (Imgur's ``removed.png``) is never saved.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from ..api import BrokenDownload, ImgurError, MediaRemoved, Transport, TransportError
from ..errors import ImgurSyncError
from ..store import Store
from .files import LinkedFolder, Placer, clone_into, make_link, write_all
from .layout import id_in_name
from .plan import Action, Want, text_digest

__all__ = ["Applier", "ApplyResult", "Interrupted", "MediaHostDown", "file_sha256",
           "prepare_root"]

log = logging.getLogger(__name__)

CHUNK = 256 * 1024
FLUSH_EVERY = 2000  # records per transaction (and per sync): per-file commits would dominate
DOWNLOAD_TRIES = 4
MEDIA_TYPES = ("image/", "video/")


class Interrupted(ImgurSyncError):
    """The work was asked to stop (SIGTERM); what was done so far is recorded."""


class MediaHostDown(TransportError):
    """Download after download got no answer at all: the rest would only wait in turn."""


@dataclass
class ApplyResult:
    """What applying a plan did."""

    done: dict[str, int] = field(default_factory=dict)
    downloaded_bytes: int = 0
    media_removed: list[str] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    refused: set[str] = field(default_factory=set)  # folders that are symbolic links
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, kind: str) -> None:
        """Count one finished action (steps run on several threads)."""
        with self._lock:
            self.done[kind] = self.done.get(kind, 0) + 1

    def add_bytes(self, n: int) -> None:
        """Count downloaded bytes."""
        with self._lock:
            self.downloaded_bytes += n

    def merge(self, more: ApplyResult) -> None:
        """Add what another apply (the next batch) did to this result."""
        for kind, n in more.done.items():
            self.done[kind] = self.done.get(kind, 0) + n
        self.downloaded_bytes += more.downloaded_bytes
        self.media_removed += more.media_removed
        self.failures += more.failures
        self.refused |= more.refused


def file_sha256(path: Path) -> str:
    """Return the sha256 of a file, read in chunks."""
    with path.open("rb") as handle:
        return _sha256_of(handle)


def _sha256_of(handle: BinaryIO) -> str:
    """Return the sha256 of what is left to read in an open file."""
    digest = hashlib.sha256()
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


class Applier:
    """Apply actions under ``root``, recording every file in the store."""

    def __init__(self, root: Path, store: Store, transport: Transport, *, links: str,
                 concurrency: int, progress: Callable[[str, int], None] | None = None,
                 local_sources: Mapping[str, tuple[Path, str]] | None = None,
                 should_stop: Callable[[], bool] = lambda: False) -> None:
        self.root, self.store, self.transport = root, store, transport
        self.links, self.concurrency = links, concurrency
        # Files we uploaded ourselves (image id -> file, its sha256): copied in while they
        # still hold the uploaded bytes, never downloaded back.
        self.local_sources = local_sources or {}
        self.should_stop = should_stop
        self._buffer: list[dict[str, Any]] = []
        self._written: dict[str, dict[str, Any]] = {}  # this run's records: no lookups for links
        self._buffer_lock = threading.Lock()
        self.progress = progress or (lambda kind, n: None)
        self.files = Placer(root)
        # Each unanswered download has spent a whole retry budget (about 90 s); once every
        # worker's last one did, the host is down and the rest would each wait as long.
        self.give_up_after = max(3, concurrency)
        self._unanswered = 0
        self._unanswered_lock = threading.Lock()
        # Per-file system calls are most of a small download's cost: what each folder held
        # before this run is read once, not asked of every file.
        self._before: dict[Path, tuple[frozenset[str], dict[tuple[str, str], list[str]]]] = {}
        self._folder_lock = threading.Lock()

    def apply(self, actions: Iterable[Action]) -> ApplyResult:
        """Run the actions: renames, downloads in parallel, then links and the rest in order."""
        result = ApplyResult()
        actions = list(actions)
        try:
            for action in actions:
                if action.kind == "rename":
                    self._guard(result, action, self._rename)
            # Downloads wait on the network, so they run in parallel; links are quick local
            # work that only contends for the interpreter in threads, so they run in order.
            downloads = [a for a in actions if a.kind == "download"]
            self._in_parallel(result, downloads, self._download)
            self.flush()
            for action in actions:
                if action.kind == "link":
                    self._guard(result, action, self._link)
            steps = {"write": self._write, "unlink": self._unlink, "trash": self._trash}
            for action in actions:
                if action.kind in steps:
                    self._guard(result, action, steps[action.kind])
        finally:
            self.flush()
            # Links find their original among this apply's files: a plan batch holds both.
            self._written.clear()
        return result

    def _in_parallel(self, result: ApplyResult, actions: list[Action],
                     step: Callable[[Action, ApplyResult], bool]) -> None:
        """Run ``step`` on every action with ``concurrency`` threads taking the next in turn.

        Plain threads sharing one iterator, not an executor: a future, a queue slot and a
        callback per action cost more locking than a small download itself.
        """
        if not actions:
            return
        todo: Iterator[Action] = iter(actions)
        take = threading.Lock()
        errors: list[BaseException] = []

        def work() -> None:
            while not errors:
                with take:
                    action = next(todo, None)
                if action is None:
                    return
                try:
                    self._guard(result, action, step)
                except BaseException as exc:  # Interrupted, or a bug: stop every worker
                    errors.append(exc)
                    return
                self.progress(action.kind, 1)

        workers = [threading.Thread(target=work, name=f"imgur-sync-{actions[0].kind}-{n}",
                                    daemon=True)
                   for n in range(min(self.concurrency, len(actions)))]
        for worker in workers:
            worker.start()
        try:
            for worker in workers:
                worker.join()
        except BaseException as exc:  # Ctrl-C: let the files in flight finish, start no more
            errors.append(exc)
            for worker in workers:
                worker.join()
            raise
        if errors:
            raise errors[0]

    def flush(self) -> None:
        """Write the buffered file records (one transaction for many files).

        The files' data reaches the disk first (one sync for the batch rather than one
        fsync per file), so the database never vouches for a file a power cut could lose.
        """
        with self._buffer_lock:
            pending, self._buffer = self._buffer, []
        if pending:
            os.sync()
            self.store.record_files(pending)

    def _check_stop(self) -> None:
        if self.should_stop():
            raise Interrupted("stopped on request; the next run carries on from here")

    def _guard(self, result: ApplyResult, action: Action,
               step: Callable[[Action, ApplyResult], bool]) -> None:
        self._check_stop()
        try:
            for path in (action.path, action.source, action.want and action.want.canonical):
                if path is not None:
                    self.files.check(self.root / path)
            if step(action, result):
                result.count(action.kind)
            self._unanswered = 0
        except LinkedFolder as exc:  # one failure for the folder, not one for each file
            with result._lock:
                first = exc.folder not in result.refused
                result.refused.add(exc.folder)
            if first:
                log.warning("%s", exc)
                result.failures.append((exc.folder, str(exc)))
        except MediaRemoved:
            assert action.want is not None and action.want.image_id is not None
            self.store.mark_media_removed(action.want.image_id)
            result.media_removed.append(action.want.image_id)
        except (ImgurError, OSError, ValueError) as exc:
            reason = f"{action.kind} failed: {exc}"
            log.warning("%s: %s", action.path, reason)
            result.failures.append((action.path, reason))
            if isinstance(exc, TransportError) and not isinstance(exc, BrokenDownload):
                with self._unanswered_lock:
                    self._unanswered += 1
                    down = self._unanswered >= self.give_up_after
                if down:
                    raise MediaHostDown(
                        f"{self._unanswered} downloads in a row got no answer ({exc}), so the "
                        "downloads stopped; the files not downloaded yet wait for the next "
                        "run. Check the network connection.") from exc

    # -- steps ------------------------------------------------------------------------------

    def _record(self, want: Want, path: str, size: int, sha256: str | None,
                mtime: float) -> None:
        """Buffer a file's record; a crash before the flush is healed by adoption."""
        record = {"path": path, "image_id": want.image_id, "role": want.role,
                  "album_id": want.container, "size": size, "sha256": sha256, "mtime": mtime}
        with self._buffer_lock:
            self._buffer.append(record)
            if want.is_download:  # only originals are looked up (by their links)
                self._written[path] = record
            full = len(self._buffer) >= FLUSH_EVERY
        if full:
            self.flush()

    def _listing(self, folder: Path) -> tuple[frozenset[str], dict[tuple[str, str], list[str]]]:
        """Return the files ``folder`` held before this run wrote there, and by id.

        One listing per folder instead of a ``stat`` per file: a cold pull asks this of every
        file it downloads, and only files from an earlier run can be found.
        """
        with self._folder_lock:
            listing = self._before.get(folder)
            if listing is None:
                try:
                    with os.scandir(folder) as entries:
                        names = frozenset(e.name for e in entries
                                          if e.is_file(follow_symlinks=False))
                except (FileNotFoundError, NotADirectoryError):
                    names = frozenset()
                by_id: dict[tuple[str, str], list[str]] = {}
                for name in sorted(names):
                    key = id_in_name(name)
                    if key is not None:
                        by_id.setdefault(key, []).append(name)
                listing = self._before[folder] = (names, by_id)
        return listing

    def _found_as(self, target: Path) -> Path | None:
        """Return where ``target``'s file was before this run, if anywhere: under its own
        name, else under the one other unrecorded name in its folder with its id and
        extension (a retitle while the database was lost)."""
        names, by_id = self._listing(target.parent)
        if target.name in names:
            return target
        key = id_in_name(target.name)
        others = by_id.get(key, []) if key is not None else []
        if len(others) != 1:
            return None
        found = target.parent / others[0]
        if self.store.file_for(found.relative_to(self.root).as_posix()) is not None:
            return None  # another place's recorded file
        return found

    def _adopt(self, want: Want, target: Path) -> bool:
        """Record a file found on disk unrecorded, if it is whole; True if adopted.

        A crash between the file and its record leaves one; a lost database leaves them
        all. Each is found by the id in its name (:meth:`_found_as`), renamed if it was
        retitled meanwhile, and taken when its size is Imgur's. Where Imgur gives no size
        (null or 0) any non-empty file is taken: a file only ever gets its final name once
        it is whole.
        """
        found = self._found_as(target)
        if found is None or not found.is_file() or found.is_symlink():
            return False
        size = found.stat().st_size
        if size == 0 or (want.size and size != want.size):
            return False
        if found != target:
            if target.exists() or target.is_symlink():
                return False
            os.rename(found, target)
            log.info("%s: found as %s, renamed", want.path, found.name)
        self._record(want, want.path, size, file_sha256(target), target.stat().st_mtime)
        return True

    def _download(self, action: Action, result: ApplyResult) -> bool:
        want = action.want
        assert want is not None and want.url is not None
        target = self.root / want.path
        if self._adopt(want, target):
            return True
        local = self.local_sources.get(want.image_id or "")
        if local is not None and local[0].is_file():
            try:
                if self._copy_in(*local, want):
                    return True
            except (FileNotFoundError, PermissionError) as exc:  # gone or locked meanwhile
                log.debug("%s: downloading instead of copying %s: %s", want.path, local[0], exc)
        last: Exception | None = None
        for _ in range(DOWNLOAD_TRIES):
            self._check_stop()
            try:
                size, digest = self._fetch_to(target, want)
            except (BrokenDownload, _ShortBody) as exc:
                last = exc  # a cut-off body: the transport retried the connection, we retry
                continue
            self._record(want, want.path, size, digest, want.mtime or target.stat().st_mtime)
            result.add_bytes(size)
            self.progress("bytes", size)
            return True
        raise ValueError(f"the download kept failing ({last})")

    def _copy_in(self, local: Path, sha256: str, want: Want) -> bool:
        """Copy a file we uploaded into the tree; False if it no longer holds those bytes.

        Always a copy of its own (a reflink where the file system can), never a link: the
        user may edit the dropped file in place, and the backup must keep what was uploaded.
        """
        target = self.root / want.path
        with local.open("rb") as source, self.files.new_file(target) as new:
            clone_into(source.fileno(), new.fd)
            source.seek(0)  # the bytes copied are checked after the copy, on the same file
            if _sha256_of(source) != sha256:
                return False  # edited since it was uploaded: Imgur has the uploaded bytes
            size = os.fstat(new.fd).st_size
            new.publish(want.mtime)
        self._record(want, want.path, size, sha256, want.mtime or target.stat().st_mtime)
        return True

    def _fetch_to(self, target: Path, want: Want) -> tuple[int, str]:
        """Stream ``want``'s media into ``target``; return its size and sha256."""
        with self.files.new_file(target) as new, \
                self.transport.open_media(want.url or "") as response:
            kind = response.headers.get("Content-Type", "")
            if not kind.startswith(MEDIA_TYPES):
                raise ValueError(f"the media host answered {kind or 'no type'}, "
                                 "not an image or video")
            digest, size = hashlib.sha256(), 0
            # Bounded by the declared size (else max_download_size) and a minimum rate.
            for chunk in response.iter_content(CHUNK, size=want.size):
                self._check_stop()  # mid-download too: a slow body must not hold up a stop
                write_all(new.fd, chunk)
                digest.update(chunk)
                size += len(chunk)
            if want.size and size != want.size:
                raise _ShortBody(f"got {size} bytes of {want.size}")
            new.publish(want.mtime)
        return size, digest.hexdigest()

    def _link(self, action: Action, result: ApplyResult) -> bool:
        want = action.want
        assert want is not None and want.canonical is not None
        source, target = self.root / want.canonical, self.root / want.path
        record = self._written.get(want.canonical)  # written by this run: known on disk
        if record is None:
            record = self.store.file_for(want.canonical)
            if record is None or not source.exists():
                raise ValueError(f"its original {want.canonical} is not on disk yet")
        found = self._found_as(target)
        if found not in (None, target) and not (target.exists() or target.is_symlink()):
            os.rename(found, target)  # the same place, renamed by a retitle: linked again below
        self.files.link(source, target, self.links)
        self._record(want, want.path, record["size"], record["sha256"], record["mtime"])
        return True

    def _write(self, action: Action, result: ApplyResult) -> bool:
        want = action.want
        assert want is not None and want.text is not None
        target = self.root / want.path
        data = want.text.encode("utf-8")
        with self.files.new_file(target) as new:
            write_all(new.fd, data)
            new.publish()
        self._record(want, want.path, len(data), text_digest(want.text), target.stat().st_mtime)
        return True

    def _rename(self, action: Action, result: ApplyResult) -> bool:
        want = action.want
        assert want is not None and action.source is not None
        source, target = self.root / action.source, self.root / action.path
        record = self.store.file_for(action.source) or {}
        if source.exists() or source.is_symlink():
            if target.exists():
                raise ValueError(f"{action.path} is already taken by a file imgur-sync "
                                 "did not write; move it away")
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
            if want.canonical is not None and self.links == "symlink":
                target.unlink()  # a relative symlink must be made again from its new place
                make_link(self.root / want.canonical, target, "symlink")
        elif not target.exists():
            self.store.forget_file(action.source)
            raise ValueError("the file vanished before it could be renamed; it will be "
                             "fetched again")
        with self.store.transaction():  # the move and its record change together
            self.store.forget_file(action.source)
            self._record(want, action.path, record.get("size", target.stat().st_size),
                         record.get("sha256"), record.get("mtime", target.stat().st_mtime))
        self._prune(source.parent)
        return True

    def _prune(self, folder: Path) -> None:
        """Remove folders the step left empty; they are no longer known to exist."""
        _prune_empty(folder, self.root)
        self.files.forget_folders()

    def _unlink(self, action: Action, result: ApplyResult) -> bool:
        assert action.source is not None
        path = self.root / action.source
        path.unlink(missing_ok=True)
        self.store.forget_file(action.source)
        self._prune(path.parent)
        return True

    def _trash(self, action: Action, result: ApplyResult) -> bool:
        assert action.source is not None
        source, target = self.root / action.source, self.root / action.path
        if source.exists() or source.is_symlink():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
        self.store.forget_file(action.source)  # trash is outside the mirror's bookkeeping
        self._prune(source.parent)
        return True


class _ShortBody(Exception):
    """The media body was shorter than Imgur said the image is."""


def _prune_empty(folder: Path, root: Path) -> None:
    """Remove folders left empty, up to (not including) the section folder under root."""
    while folder != root and folder.parent != root and folder.is_dir():
        try:
            folder.rmdir()
        except OSError:
            return  # not empty
        folder = folder.parent


def prepare_root(root: Path, store: Store) -> bool:
    """Make the mirror root if need be; return True if it is empty yet files are recorded.

    A root that vanished while the database records files in it is most likely a disk
    that is not mounted: making it again would fill the disk underneath instead.
    """
    recorded = store.count_files()
    if root.is_dir():
        with os.scandir(root) as entries:
            return recorded > 0 and next(entries, None) is None
    if root.exists():
        raise ImgurSyncError(f"the mirror root {root} is a file, not a folder: move it away "
                             "or point [mirror] root elsewhere")
    if recorded:
        raise ImgurSyncError(
            f"the mirror root {root} is missing although {recorded} files were mirrored "
            "there: is its disk mounted? Mount it, or create the folder yourself (or point "
            "[mirror] root elsewhere) to go on")
    root.mkdir(parents=True, exist_ok=True)
    return False
