"""What changed since the last pull, and the rows the pull plans from, a batch of images at a time.

A mixin of :class:`~imgur_sync.store.Store`. Every place a file can have belongs to one
image (its name holds the id), so the tree is planned a batch of image ids at a time, never
from the whole account at once (docs/ARCHITECTURE.md §Pull, plan). The ``dirty`` table
(m006) holds the ids whose rows changed since a pull last applied their plan: a quick pull
plans only those, a full pull every id.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from .base import locked

__all__ = ["Changes", "PlanRows"]

_IN = "(SELECT value FROM json_each(?))"  # the ids of a batch, passed as one JSON list


class PlanRows:
    """The rows one batch of image ids is planned from (plain dicts, as the store's)."""

    def __init__(self, images: list[dict[str, Any]], places: list[dict[str, Any]],
                 files: list[dict[str, Any]], removed_albums: frozenset[str]) -> None:
        self.images = images  # the batch's image rows, removed ones too
        # One row per album place of a batch image: album_id, title (of the album), image_id,
        # its 1-based position and the album's member count; albums in the order saved.
        self.places = places
        self.files = files  # the batch's recorded files
        self.removed_albums = removed_albums  # removed albums among the files' albums


class Changes:
    """The change marks and the batched reads of the plan; the Store has the connection."""

    db: Database
    _lock: threading.RLock
    path: Path | None
    readonly: bool

    @locked
    def generation(self) -> int:
        """Return a number that grows whenever a row a pull plans from changes (m006)."""
        row = self.db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'dirty'").fetchone()
        return 0 if row is None else int(row[0])

    @locked
    def count_changed(self) -> int:
        """Return how many images are marked changed since a pull last planned them."""
        return int(self.db.execute("SELECT count(*) FROM dirty").fetchone()[0])

    def image_batches(self, size: int, *, changed_only: bool) -> Iterator[list[str]]:
        """Yield the image ids to plan, in id order, ``size`` at a time.

        Every id of ``images`` and of the recorded files, or (``changed_only``) the ones
        marked changed. Paged by key, so no list of all ids is ever held.
        """
        last = ""
        while True:
            with self._lock:
                if changed_only:
                    rows = self.db.execute(
                        "SELECT image_id FROM dirty WHERE image_id > ? ORDER BY image_id "
                        "LIMIT ?", [last, size]).fetchall()
                else:
                    rows = self.db.execute(
                        "SELECT id FROM (SELECT id FROM images WHERE id > ? UNION "
                        "SELECT image_id FROM local_files WHERE image_id > ?) "
                        "ORDER BY id LIMIT ?", [last, last, size]).fetchall()
            ids = [image_id for (image_id,) in rows]
            if ids:
                yield ids
            if len(ids) < size:
                return
            last = ids[-1]

    @locked
    def clear_changed(self, image_ids: Sequence[str], generation: int) -> None:
        """Drop the marks of ``image_ids`` made up to ``generation`` (read before planning
        them): a mark made since then stays for the next pull."""
        self.db.execute(f"DELETE FROM dirty WHERE seq <= ? AND image_id IN {_IN}",
                        [generation, json.dumps(list(image_ids))])

    @locked
    def plan_rows(self, image_ids: Sequence[str], columns: Sequence[str]) -> PlanRows:
        """Return the rows a batch of images is planned from (``columns`` of ``images``)."""
        ids = json.dumps(list(image_ids))
        images = self.images_of(image_ids, [*columns, "removed_at"])
        # Positions and counts over each album's whole membership, so numbers stay right
        # when its other members are in other batches.
        places = list(self.db.query(
            "SELECT a.id AS album_id, a.title, m.image_id, m.position, m.count FROM ("
            "  SELECT album_id, image_id,"
            "    row_number() OVER (PARTITION BY album_id ORDER BY position) AS position,"
            "    count(*) OVER (PARTITION BY album_id) AS count"
            f"  FROM album_images WHERE album_id IN (SELECT album_id FROM album_images"
            f"    WHERE image_id IN {_IN})) AS m"
            " JOIN albums a ON a.id = m.album_id"
            f" WHERE a.removed_at IS NULL AND m.image_id IN {_IN}"
            " ORDER BY a.rowid, m.position", [ids, ids]))
        files = self.files_of_images(image_ids, ("path", "role", "album_id", "image_id",
                                                 "sha256"))
        albums = json.dumps(sorted({f["album_id"] for f in files if f["album_id"]}))
        removed = frozenset(album_id for (album_id,) in self.db.execute(
            f"SELECT id FROM albums WHERE removed_at IS NOT NULL AND id IN {_IN}", [albums]))
        return PlanRows(images, places, files, removed)

    @locked
    def files_of_images(self, image_ids: Sequence[str],
                        columns: Sequence[str]) -> list[dict[str, Any]]:
        """Return the recorded files of ``image_ids`` (a batch)."""
        return list(self.db.query(f"SELECT {', '.join(columns)} FROM local_files"
                                  f" WHERE image_id IN {_IN}", [json.dumps(list(image_ids))]))

    @locked
    def images_of(self, image_ids: Sequence[str],
                  columns: Sequence[str]) -> list[dict[str, Any]]:
        """Return the image rows of ``image_ids`` (a batch), removed ones too."""
        return list(self.db.query(f"SELECT {', '.join(columns)} FROM images"
                                  f" WHERE id IN {_IN}", [json.dumps(list(image_ids))]))

    def iter_unplaced_files(self, columns: Sequence[str]) -> Iterator[dict[str, Any]]:
        """Yield the recorded files of no image (transcripts, a section's text files)."""
        return self._paged("local_files", "image_id IS NULL", [], columns)

    def _paged(self, table: str, where: str, args: list[Any],
               columns: Sequence[str] | None = None) -> Iterator[dict[str, Any]]:
        raise NotImplementedError  # the Store's
