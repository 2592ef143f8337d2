"""The store's journal: runs, the failures ``status`` lists, and the upload journal.

A mixin of :class:`~imgur_sync.store.Store`, over the same connection and lock; kept apart
because it records what imgur-sync did, where the rest of the store records what exists.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from ..errors import UsageError
from .base import RUN_KINDS, RUN_OUTCOMES, UPLOAD_STATES, check, locked, printable
from .schema import iso

__all__ = ["RECOVERY_MARGIN", "Journal"]

RECOVERY_MARGIN = 600.0  # seconds of clock skew allowed when looking for a lost upload

WAITING = ("pending", "uploading", "failed")  # upload states that still need a request


class Journal:
    """Runs, failures and uploads; the :class:`Store` provides the connection."""

    db: Database
    _lock: threading.RLock

    def _now(self, now: float | None) -> float:
        raise NotImplementedError  # the Store's clock

    # ---- runs and failures ---------------------------------------------------------------

    @locked
    def start_run(self, kind: str, *, now: float | None = None) -> int:
        """Record the start of a run and return its id."""
        now = self._now(now)
        table = self.db["runs"].insert(
            {"kind": check(kind, RUN_KINDS, "run kind"), "started": now, "started_iso": iso(now)}
        )
        return int(table.last_pk)

    @locked
    def finish_run(self, run_id: int, outcome: str, *, now: float | None = None,
                   requests: int = 0, downloaded_bytes: int = 0,
                   counts: Mapping[str, int] | None = None, error: str | None = None) -> None:
        """Record how a run ended and what it did."""
        now = self._now(now)
        cursor = self.db.execute(
            "UPDATE runs SET finished = ?, finished_iso = ?, outcome = ?, requests = ?,"
            " downloaded_bytes = ?, counts = ?, error = ? WHERE id = ?",
            [now, iso(now), check(outcome, RUN_OUTCOMES, "run outcome"), requests,
             downloaded_bytes, json.dumps(dict(counts or {})), error, run_id],
        )
        if cursor.rowcount != 1:
            raise UsageError(f"no run with id {run_id}")

    @locked
    def mark_interrupted_runs(self, *, now: float | None = None) -> int:
        """Close runs a crash left open as 'interrupted'; call it holding the account lock."""
        now = self._now(now)
        cursor = self.db.execute(
            "UPDATE runs SET outcome = 'interrupted', finished = ?, finished_iso = ?"
            " WHERE outcome IS NULL",
            [now, iso(now)],
        )
        return cursor.rowcount

    @locked
    def last_runs(self, n: int = 10) -> list[dict[str, Any]]:
        """Return the latest runs, newest first, ``counts`` decoded (outcome None = running)."""
        rows = list(self.db.query("SELECT * FROM runs ORDER BY id DESC LIMIT ?", [n]))
        for row in rows:
            row["counts"] = json.loads(row["counts"]) if row["counts"] else {}
        return rows

    @locked
    def add_failure(self, kind: str, item: str | None, reason: str, *,
                    now: float | None = None) -> int:
        """Record a failure to show in ``status``; a repeat updates the open one."""
        now = self._now(now)
        reason = printable(reason)
        with self.db.atomic():
            row = self.db.execute(
                "SELECT id FROM failures WHERE resolved = 0 AND kind = ? AND item IS ?",
                [kind, None if item is None else printable(item)],
            ).fetchone()
            if row is not None:
                self.db.execute(
                    "UPDATE failures SET reason = ?, at = ?, at_iso = ?,"
                    " occurrences = occurrences + 1 WHERE id = ?",
                    [reason, now, iso(now), row[0]],
                )
                return int(row[0])
            table = self.db["failures"].insert(
                {"kind": kind, "item": None if item is None else printable(item),
                 "reason": reason, "at": now, "at_iso": iso(now)}
            )
            return int(table.last_pk)

    @locked
    def resolve_failures(self, kind: str | None = None, item: str | None = None) -> int:
        """Mark open failures resolved (all, or of one kind, or of one item); return how many."""
        sql, args = "UPDATE failures SET resolved = 1 WHERE resolved = 0", []
        if kind is not None:
            sql += " AND kind = ?"
            args.append(kind)
        if item is not None:
            sql += " AND item = ?"
            args.append(printable(item))
        return self.db.execute(sql, args).rowcount

    @locked
    def open_failures(self) -> list[dict[str, Any]]:
        """Return unresolved failures, latest first."""
        return list(self.db.query("SELECT * FROM failures WHERE resolved = 0 ORDER BY at DESC"))

    # ---- upload journal ------------------------------------------------------------------

    @locked
    def add_upload(self, path: str | Path, *, sha256: str, size: int, album_id: str | None,
                   marker: str, now: float | None = None) -> int:
        """Journal a file to upload (state 'pending') before any request; return its id."""
        now = self._now(now)
        table = self.db["uploads"].insert({
            "path": _path_key(path), "sha256": sha256, "size": size, "album_id": album_id,
            "marker": marker, "created": now, "updated": now,
        })
        return int(table.last_pk)

    @locked
    def mark_upload(self, upload_id: int, state: str, *, now: float | None = None,
                    **changes: Any) -> None:
        """Move an upload to ``state``; entering 'uploading' counts an attempt.

        ``changes`` may set ``image_id``, ``album_id``, ``error`` or ``next_attempt_at``.
        """
        unknown = set(changes) - {"image_id", "album_id", "error", "next_attempt_at"}
        if unknown:
            raise UsageError(f"mark_upload cannot change {', '.join(sorted(unknown))}")
        sets = {"state": check(state, UPLOAD_STATES, "upload state"),
                "updated": self._now(now),
                **{k: printable(v) if isinstance(v, str) else v for k, v in changes.items()}}
        assignments = ", ".join(f"{column} = ?" for column in sets)
        attempt = ", attempts = attempts + 1" if state == "uploading" else ""
        cursor = self.db.execute(
            f"UPDATE uploads SET {assignments}{attempt} WHERE id = ?", [*sets.values(), upload_id]
        )
        if cursor.rowcount != 1:
            raise UsageError(f"no upload with id {upload_id}")

    @locked
    def get_upload(self, upload_id: int) -> dict[str, Any] | None:
        """Return an upload's journal entry, or None."""
        row = next(self.db.query("SELECT * FROM uploads WHERE id = ?", [upload_id]), None)
        return None if row is None else _upload(row)

    @locked
    def latest_upload(self, path: str | Path) -> dict[str, Any] | None:
        """Return the newest journal entry for a local path, or None."""
        row = next(self.db.query(
            "SELECT * FROM uploads WHERE path = ? ORDER BY id DESC LIMIT 1", [_path_key(path)]),
            None)
        return None if row is None else _upload(row)

    @locked
    def iter_uploads(self, *, state: str | None = None, sha256: str | None = None,
                     marker: str | None = None) -> list[dict[str, Any]]:
        """Return journal entries matching every given filter, oldest first."""
        clauses, args = ["1"], []
        for column, value in (("state", state), ("sha256", sha256), ("marker", marker)):
            if value is not None:
                clauses.append(f"{column} = ?")
                args.append(value)
        return [_upload(row) for row in self.db.query(
            f"SELECT * FROM uploads WHERE {' AND '.join(clauses)} ORDER BY id", args
        )]

    @locked
    def confirm_upload(self, upload_id: int, *, now: float | None = None) -> None:
        """Note that the file was read again and still holds the entry's bytes."""
        self.db.execute("UPDATE uploads SET updated = ? WHERE id = ?",
                        [self._now(now), upload_id])

    @locked
    def uploaded_files(self, margin: float = RECOVERY_MARGIN) -> dict[str, tuple[str, str]]:
        """Map each image uploaded from a drop folder to its local file and that file's sha256.

        An entry still 'uploading' counts once its image is stored (found by the marker in
        its name, on an image first seen at most ``margin`` seconds before the entry): a
        crash lost the answer, not the upload, and the file is as good as for a done one.
        """
        done = self.db.query("SELECT image_id, path, sha256 FROM uploads WHERE state = 'done'"
                             " AND image_id IS NOT NULL ORDER BY id")
        found = {row["image_id"]: (row["path"], row["sha256"]) for row in map(_upload, done)}
        for row in list(map(_upload, self.db.query(
                "SELECT path, sha256, marker, created FROM uploads"
                " WHERE state = 'uploading' AND image_id IS NULL"))):
            hit = self.db.execute(
                "SELECT id FROM images WHERE owned = 1 AND first_seen >= ?"
                " AND instr(raw, ?) > 0 LIMIT 1",
                [(row["created"] or 0) - margin, f"[{row['marker']}]"]).fetchone()
            if hit is not None:
                found.setdefault(hit[0], (row["path"], row["sha256"]))
        return found

    @locked
    def waiting_uploads(self) -> list[dict[str, Any]]:
        """Return the entries still waiting for a request (pending, uploading, failed)."""
        return [_upload(row) for row in self.db.query(
            "SELECT * FROM uploads WHERE state IN (?, ?, ?) ORDER BY id", WAITING)]

    @locked
    def next_upload_at(self) -> float | None:
        """Return when the earliest waiting entry is due (0: now), or None when none waits."""
        row = self.db.execute(
            "SELECT min(coalesce(next_attempt_at, 0)), count(*) FROM uploads"
            " WHERE state IN (?, ?, ?)", WAITING).fetchone()
        return float(row[0]) if row[1] else None


def _path_key(path: str | Path) -> str | bytes:
    """The ``path`` column's value: the text, or its bytes when the name is not UTF-8."""
    text = os.fspath(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # surrogate-escaped bytes: SQLite text must be UTF-8
        return os.fsencode(text)
    return text


def _upload(row: dict[str, Any]) -> dict[str, Any]:
    """A journal row with ``path`` back as a str (surrogate-escaped when stored as bytes)."""
    if isinstance(row["path"], bytes):
        row["path"] = os.fsdecode(row["path"])
    return row
