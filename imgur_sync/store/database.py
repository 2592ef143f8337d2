"""The state database of one account: what exists remotely and locally, cursors, settings.

One database per account, opened through sqlite-utils in WAL mode so the daemon writes while
``status`` reads. The tables are described in ``schema.py``; this module is the only code that
writes them (with ``journal.py``). No HTTP here: callers fetch, then ``save_*`` what they fetched.

Verbs by role: ``save_*`` upserts what Imgur returned, ``get_*``/``iter_*`` read (rows come back
as plain dicts), ``mark_*`` change state. Every method is atomic on its own; ``transaction()``
groups several (a page of results and the cursor that covers it commit together). Times are
epoch floats passed as ``now=``; when omitted they come from the injected ``clock``.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from .. import sections
from ..errors import UsageError
from .base import (
    FAVORITE_KINDS,
    UPLOAD_STATES,
    StoreError,
    check,
    database_error,
    locked,
    relpath,
    translated,
)
from .changes import Changes
from .journal import Journal
from .schema import (
    MIGRATIONS,
    album_row,
    conversation_row,
    image_row,
    iso,
    message_row,
    raw_json,
    unknown_migrations,
)

__all__ = ["Store"]

log = logging.getLogger(__name__)

_PRIVATE = 0o600  # the database holds deletehashes, which delete images without signing in
_REMOVABLE = ("albums", "images")  # the tables mark_removed() accepts
_PAGE = 500  # rows per query when iterating large tables


class Store(Journal, Changes):
    """The state database of one account; ``path=None`` keeps it in memory (tests)."""

    def __init__(
        self,
        path: Path | str | None = None,
        *,
        clock: Callable[[], float] = time.time,
        timeout: float = 10.0,
        readonly: bool = False,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.readonly = readonly
        self._clock = clock
        self._lock = threading.RLock()
        conn = self._connect(timeout)
        try:
            self.db = Database(conn)
            self.db.execute("PRAGMA foreign_keys = ON")
            if self.path is not None and not readonly:
                self.db.enable_wal()
            if not readonly:
                self._migrate()
            else:
                self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            conn.close()
            error = database_error(exc, self.path, readonly=readonly)
            raise error or StoreError(f"cannot use the state database {self.path}: {exc}") from exc
        except BaseException:
            conn.close()
            raise

    @classmethod
    def open_readonly(cls, path: Path | str, *, timeout: float = 10.0) -> Store:
        """Open an existing database for reading only (``status`` beside a running daemon)."""
        return cls(path, timeout=timeout, readonly=True)

    def _connect(self, timeout: float) -> sqlite3.Connection:
        # check_same_thread=False: one Store is shared by the daemon's threads; _lock
        # serializes them. timeout= is SQLite's busy timeout (another process writing).
        if self.path is None:
            if self.readonly:
                raise UsageError("a read-only store needs a database path")
            return sqlite3.connect(":memory:", check_same_thread=False)
        if self.readonly:
            if not Store.exists(self.path):
                raise StoreError(
                    f"no state database at {self.path}: run `imgur-sync pull` to create it"
                )
            uri = self.path.resolve().as_uri() + "?mode=ro"
            return sqlite3.connect(uri, uri=True, timeout=timeout, check_same_thread=False)
        if not self.path.parent.is_dir():
            raise StoreError(f"cannot create the state database: {self.path.parent} is missing")
        _make_private(self.path)
        return sqlite3.connect(str(self.path), timeout=timeout, check_same_thread=False)

    @staticmethod
    def exists(path: Path | str) -> bool:
        """Return whether ``path`` holds a database; an empty file is a new one, not yet written."""
        try:
            return Path(path).stat().st_size > 0
        except OSError:
            return False

    def _migrate(self) -> None:
        newer = unknown_migrations(self.db)
        if newer:
            raise StoreError(
                f"the state database {self.path} was upgraded by a newer imgur-sync "
                f"(migrations {', '.join(newer)}); upgrade imgur-sync to use it"
            )
        MIGRATIONS.apply(self.db)

    def _now(self, now: float | None) -> float:
        return self._clock() if now is None else now

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Group calls into one atomic unit: all of them commit, or none (nests as savepoints)."""
        with self._lock, translated(self.path, self.readonly), self.db.atomic():
            yield self

    # ---- remote objects ------------------------------------------------------------------

    def _seen(self, table: str, record: dict[str, Any], now: float, extra: str = "",
              args: Sequence[Any] = ()) -> None:
        """Upsert ``record`` by id, keeping ``first_seen`` from the first time."""
        with self.db.atomic():
            self.db[table].upsert(record, pk="id")
            self.db.execute(
                f"UPDATE {table} SET first_seen = coalesce(first_seen, ?){extra} WHERE id = ?",
                [now, *args, record["id"]],
            )

    @locked
    def save_album(self, album: Mapping[str, Any], *, list_signature: str | None = None,
                   now: float | None = None) -> None:
        """Upsert an album as Imgur returned it; a ``None`` signature keeps the stored one."""
        now = self._now(now)
        record = {**album_row(album), "last_seen": now, "removed_at": None}
        if list_signature is not None:
            record["list_signature"] = list_signature
        self._seen("albums", record, now)

    def save_image(self, image: Mapping[str, Any], *, owned: bool,
                   now: float | None = None) -> None:
        """Upsert an image; ``owned`` sticks once true, and a known deletehash is never erased."""
        self.save_images([image], owned=owned, now=now)

    @locked
    def save_images(self, images: Iterable[Mapping[str, Any]], *, owned: bool,
                    now: float | None = None) -> None:
        """Upsert many images in one transaction (a listing page at a time)."""
        now = self._now(now)
        images = list(images)
        known = self._raw_records("images", [image["id"] for image in images])
        records = [{**image_row(_merged(known.get(image["id"]), image)), "last_seen": now,
                    "removed_at": None, "owned": int(owned), "first_seen": now}
                   for image in images]
        # first_seen is kept from the first time; owned never goes back from 1 to 0.
        self._upsert_many("images", "id", records, keep=("first_seen",),
                          merge={"owned": "max(images.owned, excluded.owned)"})

    def _raw_records(self, table: str, ids: list[str]) -> dict[str, dict[str, Any]]:
        """The stored Imgur records of ``ids`` (those that are stored and decode)."""
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), 500):  # SQLite's limit on bound parameters
            chunk = ids[start:start + 500]
            marks = ", ".join("?" for _ in chunk)
            for row in self.db.execute(f"SELECT id, raw FROM {table} WHERE id IN ({marks})",
                                       chunk):
                try:
                    record = json.loads(row[1]) if row[1] else None
                except ValueError:
                    continue
                if isinstance(record, dict):
                    found[row[0]] = record
        return found

    def _upsert_many(self, table: str, pk: str, records: list[dict[str, Any]], *,
                     keep: Sequence[str] = (), merge: Mapping[str, str] | None = None) -> None:
        """Insert or update rows with one prepared statement per column set (fast, atomic).

        Columns in ``keep`` keep their stored value; ``merge`` gives SQL for the others that
        combine the stored and the new value; every other column takes the new value.
        """
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for record in records:
            groups.setdefault(tuple(record), []).append(record)
        with self.db.atomic():
            for columns, rows in groups.items():
                updates = [f"{c} = {(merge or {}).get(c, f'excluded.{c}')}"
                           for c in columns if c != pk and c not in keep]
                self.db.conn.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) "
                    f"VALUES ({', '.join('?' for _ in columns)}) "
                    f"ON CONFLICT({pk}) DO UPDATE SET {', '.join(updates)}",
                    [tuple(row[c] for c in columns) for row in rows])

    @locked
    def get_album(self, album_id: str) -> dict[str, Any] | None:
        """Return the album row, or None."""
        return next(self.db.query("SELECT * FROM albums WHERE id = ?", [album_id]), None)

    @locked
    def get_image(self, image_id: str) -> dict[str, Any] | None:
        """Return the image row, or None."""
        return next(self.db.query("SELECT * FROM images WHERE id = ?", [image_id]), None)

    def iter_albums(self, *, include_removed: bool = False) -> Iterator[dict[str, Any]]:
        """Yield album rows in the order they were first saved."""
        where = "" if include_removed else "removed_at IS NULL"
        return self._paged("albums", where, [])

    def iter_images(self, *, owned: bool | None = None, include_removed: bool = False,
                    columns: Sequence[str] | None = None) -> Iterator[dict[str, Any]]:
        """Yield image rows, optionally only owned (or only not owned) ones, or some columns."""
        clauses, args = [], []
        if owned is not None:
            clauses.append("owned = ?")
            args.append(int(owned))
        if not include_removed:
            clauses.append("removed_at IS NULL")
        return self._paged("images", " AND ".join(clauses), args, columns)

    @locked
    def set_album_images(self, album_id: str, image_ids: Iterable[str]) -> None:
        """Replace the album's membership with ``image_ids`` in order (positions 0, 1, …)."""
        ordered = list(dict.fromkeys(image_ids))  # an id listed twice keeps its first place
        with self.db.atomic():
            # The same membership read again (a reconcile, a full pull) changes no row, so
            # the change marks (m006) see nothing to plan.
            if ordered == [row[0] for row in self.db.execute(
                    "SELECT image_id FROM album_images WHERE album_id = ? ORDER BY position",
                    [album_id])]:
                return
            self.db.execute("DELETE FROM album_images WHERE album_id = ?", [album_id])
            self.db["album_images"].insert_all(
                ({"album_id": album_id, "image_id": image_id, "position": position}
                 for position, image_id in enumerate(ordered)),
                pk=("album_id", "image_id"),
            )

    @locked
    def add_album_image(self, album_id: str, image_id: str) -> None:
        """Put ``image_id`` last in the album, unless it is in it already."""
        # One row, not a rewrite of the membership: uploads into a large album add one by one.
        self.db.execute(
            "INSERT OR IGNORE INTO album_images (album_id, image_id, position)"
            " SELECT ?, ?, coalesce(max(position) + 1, 0) FROM album_images WHERE album_id = ?",
            [album_id, image_id, album_id])

    @locked
    def get_album_images(self, album_id: str) -> list[str]:
        """Return the ids of the album's images in album order."""
        rows = self.db.execute(
            "SELECT image_id FROM album_images WHERE album_id = ? ORDER BY position", [album_id]
        )
        return [image_id for (image_id,) in rows]

    @locked
    def save_favorites(self, items: Sequence[tuple[str, str, Mapping[str, Any]]],
                       gallery: bool, *, now: float | None = None, start: int = 0) -> None:
        """Upsert favorites ``(id, kind, raw)`` at positions ``start``, ``start + 1``, …"""
        now = self._now(now)
        records = [
            {"item_id": item_id, "gallery": int(gallery),
             "kind": check(kind, FAVORITE_KINDS, "favorite kind"), "position": start + offset,
             "raw": raw_json(raw), "removed_at": None}
            for offset, (item_id, kind, raw) in enumerate(items)
        ]
        with self.db.atomic():
            self.db["favorites"].upsert_all(records, pk=("item_id", "gallery"))
            self.db.execute(
                "UPDATE favorites SET first_seen = ? WHERE gallery = ? AND first_seen IS NULL",
                [now, int(gallery)],
            )

    @locked
    def mark_favorites_removed(self, except_ids: Iterable[str], gallery: bool, *,
                               now: float | None = None) -> int:
        """Mark every favorite of this kind not in ``except_ids`` as removed; return how many."""
        cursor = self.db.execute(
            "UPDATE favorites SET removed_at = ? WHERE gallery = ? AND removed_at IS NULL"
            " AND item_id NOT IN (SELECT value FROM json_each(?))",
            [self._now(now), int(gallery), json.dumps(list(except_ids))],
        )
        return cursor.rowcount

    @locked
    def iter_favorites(self, gallery: bool, *,
                       include_removed: bool = False) -> list[dict[str, Any]]:
        """Return the favorites (or gallery favorites) in listing order."""
        removed = "" if include_removed else " AND removed_at IS NULL"
        return list(self.db.query(
            f"SELECT * FROM favorites WHERE gallery = ?{removed} ORDER BY position, item_id",
            [int(gallery)],
        ))

    @locked
    def save_conversation(self, conversation: Mapping[str, Any]) -> None:
        """Upsert a conversation (legacy messaging API)."""
        self.db["conversations"].upsert(conversation_row(conversation), pk="id")

    @locked
    def save_messages(self, conversation_id: int, messages: Iterable[Mapping[str, Any]]) -> None:
        """Upsert messages of a saved conversation."""
        self.db["messages"].upsert_all(
            (message_row(conversation_id, message) for message in messages), pk="id"
        )

    @locked
    def iter_conversations(self) -> list[dict[str, Any]]:
        """Return the conversations, most recent first."""
        return list(self.db.query("SELECT * FROM conversations ORDER BY datetime DESC, id"))

    @locked
    def iter_messages(self, conversation_id: int) -> list[dict[str, Any]]:
        """Return a conversation's messages, oldest first."""
        return list(self.db.query(
            "SELECT * FROM messages WHERE conversation_id = ? ORDER BY datetime, id",
            [conversation_id],
        ))

    @locked
    def mark_removed(self, table: str, item_id: str, *, now: float | None = None) -> bool:
        """Record that an album or image is gone upstream; False if unknown or already so."""
        check(table, _REMOVABLE, "table")
        cursor = self.db.execute(
            f"UPDATE {table} SET removed_at = ? WHERE id = ? AND removed_at IS NULL",
            [self._now(now), item_id],
        )
        return cursor.rowcount == 1

    @locked
    def mark_media_removed(self, image_id: str) -> bool:
        """Record that Imgur replaced the image's media with removed.png; False if unknown."""
        cursor = self.db.execute("UPDATE images SET media_removed = 1 WHERE id = ?", [image_id])
        return cursor.rowcount == 1

    # ---- local files ---------------------------------------------------------------------

    def record_file(self, path: str | Path, *, image_id: str | None, role: str,
                    album_id: str | None = None, size: int, sha256: str | None, mtime: float,
                    now: float | None = None) -> None:
        """Record a file written under the mirror root (``path`` relative to it)."""
        self.record_files([{"path": path, "image_id": image_id, "role": role,
                            "album_id": album_id, "size": size, "sha256": sha256,
                            "mtime": mtime}], now=now)

    @locked
    def record_files(self, files: Iterable[Mapping[str, Any]], *,
                     now: float | None = None) -> None:
        """Record many files in one transaction (keys as ``record_file``'s arguments)."""
        written_at, roles = self._now(now), sections.file_roles()
        self._upsert_many("local_files", "path", [
            {"path": relpath(f["path"]), "image_id": f["image_id"],
             "role": check(f["role"], roles, "file role"), "album_id": f.get("album_id"),
             "size": f["size"], "sha256": f["sha256"], "mtime": f["mtime"],
             "written_at": written_at} for f in files])

    @locked
    def count_files(self) -> int:
        """Return how many files are recorded under the mirror root."""
        return int(self.db.execute("SELECT count(*) FROM local_files").fetchone()[0])

    @locked
    def forget_file(self, path: str | Path) -> bool:
        """Drop a file's record; False if it was not recorded."""
        cursor = self.db.execute("DELETE FROM local_files WHERE path = ?", [relpath(path)])
        return cursor.rowcount == 1

    @locked
    def file_for(self, path: str | Path) -> dict[str, Any] | None:
        """Return the record of a file, or None."""
        return next(
            self.db.query("SELECT * FROM local_files WHERE path = ?", [relpath(path)]), None
        )

    def iter_files(self, role: str | None = None, *, image_id: str | None = None,
                   album_id: str | None = None,
                   columns: Sequence[str] | None = None) -> Iterator[dict[str, Any]]:
        """Yield file records, optionally of one role, image or album, or some columns."""
        clauses, args = [], []
        if role is not None:
            clauses.append("role = ?")
            args.append(check(role, sections.file_roles(), "file role"))
        if image_id is not None:
            clauses.append("image_id = ?")
            args.append(image_id)
        if album_id is not None:
            clauses.append("album_id = ?")
            args.append(album_id)
        return self._paged("local_files", " AND ".join(clauses), args, columns)

    def _paged(self, table: str, where: str, args: list[Any],
               columns: Sequence[str] | None = None) -> Iterator[dict[str, Any]]:
        # Pages by rowid, taking the lock per page: memory stays flat on large accounts and
        # other threads may write between pages.
        condition = f" AND ({where})" if where else ""
        wanted = ", ".join(columns) if columns else "*"
        last = 0
        while True:
            with self._lock, translated(self.path, self.readonly):
                rows = list(self.db.query(
                    f"SELECT rowid AS _rowid, {wanted} FROM {table} WHERE rowid > ?{condition}"
                    " ORDER BY rowid LIMIT ?",
                    [last, *args, _PAGE],
                ))
            for row in rows:
                last = row.pop("_rowid")
                yield row
            if len(rows) < _PAGE:
                return

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A connection for one long read of many rows (the gallery's), streamed by cursors.

        On a file it is a read-only connection of its own, in one transaction: one snapshot
        for the whole read, and other threads go on writing through this store meanwhile
        (WAL). In memory (tests) it is the store's own connection, held under its lock.
        """
        if self.path is None:
            with self._lock, translated(None):
                yield self.db.conn
            return
        uri = self.path.resolve().as_uri() + "?mode=ro"
        with translated(self.path, readonly=True):
            conn = sqlite3.connect(uri, uri=True, isolation_level=None,
                                   check_same_thread=False)
            try:
                conn.execute("BEGIN")
                yield conn
            finally:
                conn.close()

    # ---- what the reconcile cycle has seen -----------------------------------------------

    @locked
    def mark_seen(self, listing: str, item_ids: Iterable[str]) -> None:
        """Note that the running reconcile cycle saw ``item_ids`` in ``listing``."""
        with self.db.atomic():  # which commits: the connection's own executemany would not
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO reconcile_seen (listing, item_id) VALUES (?, ?)",
                [(listing, item_id) for item_id in item_ids])

    @locked
    def was_seen(self, listing: str, item_id: str) -> bool:
        """True when the running reconcile cycle saw ``item_id`` in ``listing``."""
        return self.db.execute("SELECT 1 FROM reconcile_seen WHERE listing = ? AND item_id = ?",
                               [listing, item_id]).fetchone() is not None

    @locked
    def forget_seen(self) -> None:
        """Start a new reconcile cycle: nothing seen yet."""
        self.db.execute("DELETE FROM reconcile_seen")

    @locked
    def unseen(self, table: str, listing: str, *, limit: int = _PAGE) -> list[str]:
        """Up to ``limit`` ids of ``table`` (albums, or owned images) not removed and not seen
        in ``listing`` by the running cycle: the candidates for a confirming GET."""
        check(table, _REMOVABLE, "table")
        owned = " AND owned" if table == "images" else ""
        return [row[0] for row in self.db.execute(
            f"SELECT id FROM {table} WHERE removed_at IS NULL{owned} AND id NOT IN"
            " (SELECT item_id FROM reconcile_seen WHERE listing = ?) ORDER BY id LIMIT ?",
            [listing, limit])]

    @locked
    def dated_span(self, table: str, ids: Sequence[str]) -> tuple[float, float] | None:
        """The oldest and newest ``datetime`` of ``ids`` in ``table``; None if none has one."""
        check(table, _REMOVABLE, "table")
        if not ids:
            return None
        low, high = self.db.execute(
            f"SELECT min(datetime), max(datetime) FROM {table} WHERE id IN "
            f"({', '.join('?' * len(ids))})", list(ids)).fetchone()
        return None if low is None else (low, high)

    @locked
    def missing_between(self, table: str, ids: Sequence[str], low: float, high: float, *,
                        limit: int) -> list[str]:
        """Up to ``limit`` ids of ``table`` (albums, or owned images) not removed and not in
        ``ids``, dated strictly between ``low`` and ``high``: where a listing by date that
        showed ``ids`` there would have shown them too. Candidates for a confirming GET."""
        check(table, _REMOVABLE, "table")
        owned = " AND owned" if table == "images" else ""
        return [row[0] for row in self.db.execute(
            f"SELECT id FROM {table} WHERE removed_at IS NULL{owned} AND datetime > ? AND "
            f"datetime < ? AND id NOT IN ({', '.join('?' * len(ids))}) ORDER BY datetime DESC "
            "LIMIT ?", [low, high, *ids, limit])]

    # ---- cursors, settings ---------------------------------------------------------------

    @locked
    def get_cursor(self, name: str) -> str | None:
        """Return a listing's high-water mark, or None."""
        row = self.db.execute("SELECT value FROM cursors WHERE name = ?", [name]).fetchone()
        return None if row is None else row[0]

    @locked
    def set_cursor(self, name: str, value: str, *, now: float | None = None) -> None:
        """Set a listing's high-water mark."""
        now = self._now(now)
        self.db["cursors"].upsert(
            {"name": name, "value": value, "updated": now, "updated_iso": iso(now)}, pk="name"
        )

    @locked
    def get_setting(self, key: str, default: str | None = None) -> str | None:
        """Return a stored setting (account username, messaging availability…)."""
        row = self.db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return default if row is None else row[0]

    @locked
    def set_setting(self, key: str, value: str) -> None:
        """Store a setting."""
        self.db["settings"].upsert({"key": key, "value": value}, pk="key")

    # ---- status, search, health ----------------------------------------------------------

    @locked
    def counts(self) -> dict[str, int]:
        """Return the figures ``status`` shows."""
        row = next(self.db.query("""
            SELECT
              (SELECT count(*) FROM albums WHERE removed_at IS NULL) AS albums,
              (SELECT count(*) FROM albums WHERE removed_at IS NOT NULL) AS albums_removed,
              (SELECT count(*) FROM images WHERE owned AND removed_at IS NULL) AS images,
              (SELECT count(*) FROM images WHERE owned AND removed_at IS NOT NULL)
                AS images_removed,
              (SELECT count(*) FROM images WHERE NOT owned) AS images_not_owned,
              (SELECT count(*) FROM images WHERE media_removed) AS media_removed,
              (SELECT count(*) FROM favorites WHERE NOT gallery AND removed_at IS NULL)
                AS favorites,
              (SELECT count(*) FROM favorites WHERE gallery AND removed_at IS NULL)
                AS gallery_favorites,
              (SELECT count(*) FROM conversations) AS conversations,
              (SELECT count(*) FROM messages) AS messages,
              (SELECT count(*) FROM local_files) AS files,
              (SELECT coalesce(sum(size), 0) FROM local_files) AS file_bytes,
              (SELECT count(*) FROM failures WHERE NOT resolved) AS open_failures
        """))
        by_state = dict(self.db.execute("SELECT state, count(*) FROM uploads GROUP BY state"))
        row.update({f"uploads_{state}": by_state.get(state, 0) for state in UPLOAD_STATES})
        return row

    @locked
    def files_by_role(self) -> dict[str, int]:
        """Return how many files are recorded with each role (roles without files left out)."""
        return dict(self.db.execute("SELECT role, count(*) FROM local_files GROUP BY role"))

    @locked
    def search(self, text: str, *, limit: int = 50) -> list[dict[str, Any]]:
        """Find albums and images whose title or description match ``text``, best first."""
        if not text.strip():
            return []
        found = []
        for table, kind in (("albums", "album"), ("images", "image")):
            for row in self.db[table].search(
                text, quote=True, include_rank=True, limit=limit,
                columns=["id", "title", "description", "datetime_iso", "link", "removed_at"],
            ):
                found.append({"kind": kind, **row})
        found.sort(key=lambda row: row["rank"])
        return found[:limit]

    @locked
    def integrity_check(self) -> str:
        """Return "ok", or what SQLite found wrong (integrity, then foreign keys)."""
        problems = [r[0] for r in self.db.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            return "\n".join(problems)
        broken = self.db.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            return "\n".join(f"{t} row {rowid}: missing {parent}" for t, rowid, parent, _ in broken)
        return "ok"


def _make_private(path: Path) -> None:
    """Create the database file owner-only, so SQLite gives its -wal and -shm the same mode."""
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, _PRIVATE))
        return
    except FileExistsError:
        pass
    except OSError:
        return  # SQLite's own open says what is wrong, in the terms of the database
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            mode = file.stat().st_mode
            if stat.S_ISREG(mode) and mode & 0o077:
                file.chmod(_PRIVATE)
                log.warning("%s was readable by others; made it private (mode 0600)", file)
        except OSError:  # absent, or not ours to change: SQLite says more if it matters
            continue


# Texts the owner edits: null there means "cleared", never "not told".
_EDITABLE = frozenset({"title", "description"})


def _merged(known: dict[str, Any] | None, new: Mapping[str, Any]) -> dict[str, Any]:
    """The record to store for an image read again: ``new``, but where it says nothing
    (null, or no field) of what an earlier answer said, that is kept.

    Listings differ in what they tell of an image: an album's members come with null
    ``account_id``, ``account_url`` and ``nsfw``, which the account's own listing fills.
    Kept, the record (and the sidecars made of it) does not flip with whichever listing
    read the image last.
    """
    if not known:
        return dict(new)
    kept = {key: value for key, value in known.items() if value is not None
            and key not in _EDITABLE and new.get(key) is None}
    return {**new, **kept}
