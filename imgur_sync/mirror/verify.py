"""Checking the folder tree against the database, and repairing what went missing or bad.

``verify`` re-hashes every file the store records (``local_files``: path, size, sha256) and
reports the missing and the corrupt ones, album and favorite links included. With
``repair=True`` it restores them through the same :class:`~imgur_sync.mirror.apply.Applier` a pull
uses, so every file is again written atomically and recorded:

- an image's canonical file (the real one the links point to) is re-linked from a good copy
  still on disk when there is one (a hardlink in an album folder survives the loss of
  ``images/…``), else downloaded again from the image's ``link``;
- links are made again from the restored canonical file;
- message transcripts are rendered again from the stored messages.

A bad file is moved aside, not deleted, while its replacement downloads, and put back when the
download fails: when Imgur now serves ``removed.png`` the file on disk is kept as it is.
A file whose folder in the tree is a symbolic link is reported and left alone: reading or
writing through it would reach outside the tree.
Every verify is recorded as a run of kind "verify"; what stays broken is an open failure
(kind "verify") that ``status`` lists, and the next verify re-examines it.
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..api import Transport
from ..store import RATE_LIMITS_SETTING, Store, rate_limits_setting
from .apply import Applier, file_sha256, prepare_root
from .files import TEMP_PREFIX, TEMP_SUFFIX, LinkedFolder, linked_folder
from .layout import render_transcript
from .plan import Action, Want, place_order

__all__ = ["Problem", "VerifyReport", "verify"]

log = logging.getLogger(__name__)

_Row = Mapping[str, Any]


@dataclass(frozen=True)
class Problem:
    """A recorded file that is not as recorded: ``kind`` is "missing" or "corrupt"."""

    path: str
    kind: str
    reason: str


@dataclass
class VerifyReport:
    """What a verify found and, with repair, what it fixed."""

    repair: bool
    run_id: int | None = None
    checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    unrepaired: dict[str, str] = field(default_factory=dict)  # path -> why it is still bad
    media_removed: list[str] = field(default_factory=list)  # image ids Imgur removed
    downloaded_bytes: int = 0

    @property
    def missing(self) -> list[Problem]:
        return [p for p in self.problems if p.kind == "missing"]

    @property
    def corrupt(self) -> list[Problem]:
        return [p for p in self.problems if p.kind == "corrupt"]

    @property
    def remaining(self) -> list[Problem]:
        """The problems still there after the run (all of them without repair)."""
        fixed = set(self.repaired)
        return [p for p in self.problems if p.path not in fixed]

    @property
    def ok(self) -> bool:
        return not self.remaining

    def reason(self, problem: Problem) -> str:
        """Return what is wrong with a file, and why repair did not fix it if it was tried."""
        why = self.unrepaired.get(problem.path)
        return problem.reason + (f"; not repaired: {why}" if why else "")

    def describe(self, problem: Problem) -> str:
        """Return one line for a remaining problem: its path and ``reason``."""
        return f"{problem.path}: {self.reason(problem)}"

    def summary(self) -> str:
        """Return "checked N files: M missing, K corrupt; repaired X"."""
        line = (f"checked {self.checked} files: {len(self.missing)} missing, "
                f"{len(self.corrupt)} corrupt")
        return line + (f"; repaired {len(self.repaired)}" if self.repair else "")


def verify(root: Path, store: Store, *, repair: bool, transport: Transport | None = None,
           clock: Callable[[], float] = time.time, links: str = "hardlink",
           concurrency: int = 4) -> VerifyReport:
    """Re-hash every recorded file under ``root``; with ``repair`` restore the bad ones.

    ``transport`` is needed only to download again; ``links`` and ``concurrency`` are the
    ``[mirror]`` settings of the same names.
    """
    report = VerifyReport(repair=repair)
    if repair:  # not onto the disk under a mount point that lost its disk
        prepare_root(root, store)
    report.run_id = store.start_run("verify", now=clock())
    sent_before = transport.requests_sent if transport else 0
    try:
        bad: dict[str, tuple[_Row, Problem]] = {}
        hashes: dict[tuple[int, ...], str] = {}
        real: set[Path] = set()  # folders found to be no symbolic link
        for row in store.iter_files():
            report.checked += 1
            linked = linked_folder(root, root / row["path"], real)
            if linked is not None:  # not repaired: that would write through the link
                report.problems.append(Problem(row["path"], "missing",
                                               str(LinkedFolder(linked))))
                continue
            problem = check_file(root, row, hashes)
            if problem is not None:
                bad[row["path"]] = (row, problem)
                report.problems.append(problem)
        if repair and bad:
            _Repair(root, store, transport, links, concurrency, report).run(bad)
    except BaseException as exc:
        store.finish_run(report.run_id, "failed" if isinstance(exc, Exception) else
                         "interrupted", now=clock(), error=str(exc)[:500])
        raise
    remaining = report.remaining
    with store.transaction():
        store.resolve_failures(kind="verify")
        for problem in remaining:
            store.add_failure("verify", problem.path, report.reason(problem), now=clock())
        if transport is not None:
            limits = rate_limits_setting(transport.limits, clock())
            if limits is not None:
                store.set_setting(RATE_LIMITS_SETTING, limits)
        store.finish_run(
            report.run_id, "partial" if remaining else "ok", now=clock(),
            requests=(transport.requests_sent - sent_before) if transport else 0,
            downloaded_bytes=report.downloaded_bytes,
            counts={"checked": report.checked, "missing": len(report.missing),
                    "corrupt": len(report.corrupt), "repaired": len(report.repaired)},
            error="; ".join(report.describe(p) for p in remaining)[:2000] or None)
    log.debug("verify: %s", report.summary())
    return report


def check_file(root: Path, row: _Row, hashes: dict[tuple[int, ...], str] | None = None,
               ) -> Problem | None:
    """Return what is wrong with a recorded file, or None when size and sha256 match.

    ``hashes`` caches digests of hardlinked files, so an image in three albums is read once.
    """
    path = root / row["path"]
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        what = "its link points to nothing" if path.is_symlink() else "not on disk"
        return Problem(row["path"], "missing", what)
    except OSError as exc:
        return Problem(row["path"], "corrupt", f"unreadable ({exc.strerror})")
    if not stat.S_ISREG(info.st_mode):
        return Problem(row["path"], "corrupt", "not a regular file")
    if row.get("size") is not None and info.st_size != row["size"]:
        return Problem(row["path"], "corrupt",
                       f"{info.st_size} bytes on disk, {row['size']} recorded")
    if not row.get("sha256"):
        return None
    key = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
    digest = hashes.get(key) if hashes is not None else None
    if digest is None:
        try:
            digest = file_sha256(path)
        except OSError as exc:
            return Problem(row["path"], "corrupt", f"unreadable ({exc.strerror})")
        if hashes is not None and info.st_nlink > 1:
            hashes[key] = digest
    if digest != row["sha256"]:
        return Problem(row["path"], "corrupt", "content differs from the recorded sha256")
    return None


class _Repair:
    """Restore bad files: canonical files first, then the links to them, then transcripts."""

    def __init__(self, root: Path, store: Store, transport: Transport | None, links: str,
                 concurrency: int, report: VerifyReport) -> None:
        self.root, self.store, self.transport, self.report = root, store, transport, report
        self.copier = Applier(root, store, transport, links="hardlink",  # type: ignore[arg-type]
                              concurrency=1)
        self.applier = Applier(root, store, transport, links=links,  # type: ignore[arg-type]
                               concurrency=concurrency)

    def run(self, bad: Mapping[str, tuple[_Row, Problem]]) -> None:
        from_copies: list[Action] = []
        downloads: list[Action] = []
        relinks: list[tuple[Action, str]] = []  # (link, the canonical file it needs)
        writes: list[Action] = []
        by_image: dict[str, list[_Row]] = {}
        for path, (row, _problem) in bad.items():
            if row["role"] == "message":
                self._transcript(row, writes)
            elif row.get("image_id"):
                by_image.setdefault(row["image_id"], []).append(row)
            else:
                self._give_up(path, "nothing records which image it holds")
        for image_id, bad_rows in by_image.items():
            rows = list(self.store.iter_files(image_id=image_id))
            canonical = min(rows, key=self._rank)
            if canonical["path"] in bad:
                good = [r for r in rows if r["path"] not in bad
                        and not (self.root / r["path"]).is_symlink()]
                if good:
                    from_copies.append(_action("link", canonical, canonical=good[0]["path"]))
                else:
                    self._plan_download(canonical, downloads)
            relinks += [(_action("link", row, canonical=canonical["path"]), canonical["path"])
                        for row in bad_rows if row["path"] != canonical["path"]]
        self._apply(self.copier, from_copies)
        self._download(downloads)
        self._apply(self.applier, [link for link, source in relinks if self._good(source)])
        for link, source in relinks:
            if not self._good(source):
                self._give_up(link.path, f"its original {source} could not be restored")
        self._apply(self.applier, writes)
        for path, (_row, problem) in bad.items():
            if self._good(path):
                self.report.repaired.append(path)
                self.report.unrepaired.pop(path, None)
            else:
                self.report.unrepaired.setdefault(path, f"still {problem.kind} after repair")

    def _rank(self, row: _Row) -> tuple[bool, int, str]:
        # Which of an image's files is its canonical one, as plan.desired_tree places them.
        roles = place_order()
        order = roles.index(row["role"]) if row["role"] in roles else len(roles)
        return (self.root / row["path"]).is_symlink(), order, row["path"]

    def _plan_download(self, row: _Row, downloads: list[Action]) -> None:
        image = self.store.get_image(row["image_id"])
        if self.transport is None:
            self._give_up(row["path"], "no good copy on disk, and downloading needs a "
                                       "connection to Imgur")
        elif image is None or not image.get("link"):
            self._give_up(row["path"], "no good copy on disk, and no link to download it from")
        else:
            downloads.append(_action("download", row, url=image["link"], size=image.get("size"),
                                     mtime=image.get("datetime")))

    def _transcript(self, row: _Row, writes: list[Action]) -> None:
        conversation = next((c for c in self.store.iter_conversations()
                             if str(c["id"]) == str(row.get("album_id"))), None)
        if conversation is None:
            self._give_up(row["path"], "its conversation is not in the database")
            return
        who = conversation["with_account"] or "unknown"
        text = render_transcript(who, self.store.iter_messages(conversation["id"]))
        writes.append(_action("write", row, text=text))

    def _download(self, downloads: list[Action]) -> None:
        """Download canonical files, the bad ones moved aside and put back if it fails."""
        aside: dict[str, Path] = {}
        for action in downloads:
            target = self.root / action.path
            if target.exists() or target.is_symlink():
                fd, name = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX,
                                            suffix=TEMP_SUFFIX)
                os.close(fd)
                os.replace(target, name)
                aside[action.path] = Path(name)
        try:
            result = self._apply(self.applier, downloads)
        finally:
            for path, moved in aside.items():
                if self._good(path):
                    moved.unlink(missing_ok=True)
                else:  # keep what was there rather than nothing
                    os.replace(moved, self.root / path)
        self.report.downloaded_bytes += result.downloaded_bytes
        for action in downloads:
            assert action.want is not None
            if action.want.image_id in result.media_removed:
                self.report.media_removed.append(action.want.image_id)
                kept = "the file on disk was kept as it is" if action.path in aside else (
                    "no copy is left")
                self._give_up(action.path, f"Imgur has removed this media; {kept}")

    def _apply(self, applier: Applier, actions: list[Action]) -> Any:
        result = applier.apply(actions)
        for path, reason in result.failures:
            self._give_up(path, reason)
        return result

    def _good(self, path: str) -> bool:
        row = self.store.file_for(path)
        return row is not None and check_file(self.root, row) is None

    def _give_up(self, path: str, reason: str) -> None:
        self.report.unrepaired[path] = reason


def _action(kind: str, row: _Row, **want: Any) -> Action:
    return Action(kind, row["path"], Want(row["path"], row["role"], row.get("image_id"),
                                          row.get("album_id"), **want))
