"""What the offline gallery shows, read from the store as streams of rows, never whole.

docs/ARCHITECTURE.md §Gallery. An account of 100,000 images must not be held in memory to
write its gallery: every list here is one SQL query read through a cursor on one snapshot
(``Store.reading``), in the order the pages show it, and SQLite does the sorting (in its
own bounded memory, spilling to a temporary file). An image page's neighbours in each list
it is shown in come from window functions (``lag``/``lead``), not from lists of ids.

What is shown: the account's albums (not removed) newest first; its images (removed ones
only while a file of them is mirrored) newest first; the favorited albums that are not the
account's own, by id, with the members the pull keeps under ``members_cursor``; favorites
and gallery favorites in listing order. Ids that could not name a file (``layout.is_id``)
are never shown.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby, islice
from typing import Any, TypeVar

from .layout import is_id

__all__ = ["AlbumInfo", "GalleryQueries", "ImageInfo", "Step", "batched"]

_T = TypeVar("_T")
_CHUNK = 500  # images read at once by id
_CACHE_KIB = 256

# The lists an image is shown in, in the order its page names them (kind numbers).
IMAGES, OWN_ALBUM, FAVORITE_ALBUM, FAVORITES, GALLERY_FAVORITES = range(5)


def _raw_text(field: str, column: str = "raw") -> str:
    """SQL for ``raw``'s JSON text field ``field``, NULL when it is no string (or no JSON)."""
    return (f"CASE WHEN json_valid({column}) AND json_type({column}, '$.{field}') = 'text' "
            f"THEN json_extract({column}, '$.{field}') END")


_VALID = "EXISTS (SELECT 1 FROM images v WHERE v.id = {id} AND is_id(v.id))"
_ARRAY = ("json_each(CASE WHEN json_valid(c.value) AND json_type(c.value) = 'array' "
          "THEN c.value ELSE '[]' END)")
# One album's members (image_id, ord), images known only; a favorited album's come from the
# ids the pull keeps in a cursor, where an id listed twice keeps its first place.
_OWN_MEMBERS = ("SELECT m.image_id, m.position AS ord FROM album_images m "
                "WHERE m.album_id = {album} AND " + _VALID.format(id="m.image_id"))
_FAVORITE_MEMBERS = ("SELECT j.value AS image_id, j.key AS ord FROM cursors c, " + _ARRAY
                     + " j WHERE c.name = :members || {album} AND j.type = 'text' AND "
                     + _VALID.format(id="j.value"))

# Common table expressions every query starts from. `img` is every image that may be shown;
# `album_list` the albums shown (own ones, then favorited ones not the account's own);
# `members` each image's place in each list, `ord` its position there.
_WITH = f"""
WITH
img AS (SELECT id, owned, removed_at, coalesce(datetime, 0) AS dt FROM images
        WHERE is_id(id)),
owned_list AS (
    SELECT id, row_number() OVER (ORDER BY dt DESC, id) AS ord FROM img i
    WHERE owned AND (removed_at IS NULL
                     OR EXISTS (SELECT 1 FROM local_files f WHERE f.image_id = i.id))),
own_albums AS (
    SELECT id, title, description, datetime_iso AS date, cover, -coalesce(datetime, 0) AS k
    FROM albums WHERE removed_at IS NULL AND is_id(id)),
favorited AS (
    SELECT item_id AS id, raw, gallery FROM favorites
    WHERE kind = 'album' AND removed_at IS NULL AND is_id(item_id)
      AND item_id NOT IN (SELECT id FROM own_albums)),
favorite_albums AS (
    -- SQLite takes the bare columns from the row min() chose: the favorites' entry first
    SELECT id, {_raw_text("title")} AS title, {_raw_text("description")} AS description,
           NULL AS date, {_raw_text("cover")} AS cover, 0 AS k, min(gallery)
    FROM favorited GROUP BY id),
album_list AS (
    SELECT id, title, {OWN_ALBUM} AS kind FROM own_albums
    UNION ALL
    SELECT id, title, {FAVORITE_ALBUM} FROM favorite_albums),
favorite_members AS (
    SELECT a.id AS album_id, j.value AS image_id, min(j.key) AS ord
    FROM favorite_albums a JOIN cursors c ON c.name = :members || a.id, {_ARRAY} j
    WHERE j.type = 'text' AND {_VALID.format(id='j.value')}
    GROUP BY a.id, j.value),
members AS (
    SELECT id AS image_id, {IMAGES} AS kind, 0 AS k, 'images' AS context, NULL AS album_id,
           ord FROM owned_list
    UNION ALL
    SELECT m.image_id, {OWN_ALBUM}, a.k, 'album-' || a.id, a.id, m.position
    FROM album_images m JOIN own_albums a ON a.id = m.album_id
    WHERE {_VALID.format(id='m.image_id')}
    UNION ALL
    SELECT m.image_id, {FAVORITE_ALBUM}, 0, 'album-' || a.id, a.id, m.ord
    FROM favorite_members m JOIN favorite_albums a ON a.id = m.album_id
    UNION ALL
    SELECT item_id, {FAVORITES} + gallery, 0,
           CASE gallery WHEN 0 THEN 'favorites' ELSE 'gallery-favorites' END, NULL, position
    FROM favorites
    WHERE kind = 'image' AND removed_at IS NULL AND {_VALID.format(id='item_id')})
"""

# The first mirrored file of an image (its own place first), as the tiles and pages show it.
_FILE = ("(SELECT path FROM local_files f WHERE f.image_id = {id} "
         "ORDER BY role != 'image', path LIMIT 1)")


@dataclass(frozen=True)
class ImageInfo:
    """What a tile or a page shows of one image."""

    id: str
    title: str | None
    description: str | None
    type: str | None
    file: str | None  # the mirrored file that shows it, a path under the root


@dataclass(frozen=True)
class AlbumInfo:
    """An album as its tile, its page and the search show it."""

    id: str
    title: str | None
    description: str | None
    date: str | None
    cover: str | None  # the image its tile shows: its cover, else its first image
    count: int
    owned: bool


@dataclass(frozen=True)
class Step:
    """One list an image is shown in, and its neighbours there."""

    context: str
    prev: str | None
    next: str | None
    album_id: str | None
    album_title: str | None


class GalleryQueries:
    """The gallery's reads on one connection from ``Store.reading``."""

    def __init__(self, conn: sqlite3.Connection, members_cursor: str) -> None:
        self.conn = conn
        conn.create_function("is_id", 1, is_id, deterministic=True)
        # Each of SQLite's temporary tables (a sort, a window's list, an IN list) keeps up
        # to this many KiB in memory before it spills to a file: 2 MiB by default, several
        # at once were tens of MB at 100,000 images.
        conn.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
        self.members = members_cursor

    def _rows(self, sql: str, args: dict[str, Any] | None = None) -> Iterator[sqlite3.Row]:
        cursor = self.conn.execute(_WITH + sql, {"members": self.members, **(args or {})})
        cursor.row_factory = sqlite3.Row
        return iter(cursor)

    # -- counts and lists ---------------------------------------------------------------------

    def count_owned(self) -> int:
        return int(next(self._rows("SELECT count(*) FROM owned_list"))[0])

    def count_albums(self) -> int:
        return int(next(self._rows("SELECT count(*) FROM own_albums"))[0])

    def owned(self) -> Iterator[str]:
        """The account's image ids, newest first."""
        return (row[0] for row in self._rows("SELECT id FROM owned_list ORDER BY ord"))

    def albums(self, owned: bool) -> Iterator[AlbumInfo]:
        """The account's albums newest first, or the other favorited albums by id."""
        return self._albums(OWN_ALBUM if owned else FAVORITE_ALBUM)

    def album(self, album_id: str) -> AlbumInfo | None:
        """The account's album of that id, else the favorited one, else None."""
        return next((album for kind in (OWN_ALBUM, FAVORITE_ALBUM)
                     for album in self._albums(kind, album_id)), None)

    def _albums(self, kind: int, album_id: str | None = None) -> Iterator[AlbumInfo]:
        # Counts and first images by correlated lookups on one album's rows (album_images'
        # key starts with album_id): a subquery over `members` would be the whole account.
        member = _OWN_MEMBERS if kind == OWN_ALBUM else _FAVORITE_MEMBERS
        table = "own_albums" if kind == OWN_ALBUM else "favorite_albums"
        where = "" if album_id is None else "WHERE a.id = :id"  # a key lookup, no sort
        sql = f"""
            SELECT a.id, a.title, a.description, a.date,
                   (SELECT count(DISTINCT image_id) FROM ({member.format(album="a.id")}))
                       AS count,
                   coalesce((SELECT id FROM images WHERE id = a.cover AND is_id(id)),
                            (SELECT image_id FROM ({member.format(album="a.id")})
                             ORDER BY ord LIMIT 1)) AS cover
            FROM {table} a {where} ORDER BY a.k, a.id"""
        for row in self._rows(sql, {"id": album_id}):
            yield AlbumInfo(row["id"], _text(row["title"]), _text(row["description"]),
                            row["date"], row["cover"], row["count"], kind == OWN_ALBUM)

    def album_members(self, album: AlbumInfo) -> Iterator[str]:
        """An album's image ids in album order."""
        if album.owned:
            sql = f"SELECT image_id FROM ({_OWN_MEMBERS.format(album=':id')}) ORDER BY ord"
        else:
            sql = (f"SELECT image_id, min(ord) AS ord FROM "
                   f"({_FAVORITE_MEMBERS.format(album=':id')}) GROUP BY image_id ORDER BY ord")
        return (row[0] for row in self._rows(sql, {"id": album.id}))

    def favorites(self, gallery: bool) -> Iterator[tuple[str, str]]:
        """The favorites shown, ``(kind, id)`` in listing order."""
        sql = """SELECT kind, item_id FROM favorites
                 WHERE gallery = :gallery AND removed_at IS NULL AND is_id(item_id)
                   AND (kind = 'album' OR """ + _VALID.format(id="item_id") + """)
                 ORDER BY position, item_id"""
        return ((row[0], row[1]) for row in self._rows(sql, {"gallery": int(gallery)}))

    def images(self, ids: list[str]) -> dict[str, ImageInfo]:
        """What the tiles of ``ids`` show (a page's worth)."""
        sql = (f"SELECT id, title, description, type, {_FILE.format(id='i.id')} AS file "
               "FROM images i WHERE id IN (SELECT value FROM json_each(:ids))")
        cursor = self.conn.execute(_WITH + sql, {"members": self.members, "ids": json.dumps(ids)})
        return {row[0]: ImageInfo(*row) for row in cursor}  # tuples: quicker than Rows

    def search_images(self) -> Iterator[ImageInfo]:
        """Every image shown anywhere, newest first: the search index's images."""
        # Sorted narrow (ids), then read a page's worth at a time: SQLite's sorter holds
        # what it sorts, and titles and descriptions would be most of it.
        ids = (row[0] for row in self._rows(
            "SELECT id FROM img WHERE id IN (SELECT image_id FROM members) ORDER BY dt DESC, id"))
        for chunk in batched(ids, _CHUNK):
            found = self.images(chunk)
            yield from (found[i] for i in chunk if i in found)

    # -- image pages ----------------------------------------------------------------------------

    def image_pages(self, columns: tuple[str, ...]) -> Iterator[tuple[dict[str, Any],
                                                                       str | None, list[Step]]]:
        """Each image shown anywhere, by id: its row (``columns``), file and lists."""
        # The steps (narrow rows) are sorted by image id, and merged here with the images
        # read in the order of their key: sorting whole rows cost SQLite tens of MB.
        steps = self._rows("""
            , steps AS (
                SELECT image_id, kind, k, context, album_id,
                       lag(image_id) OVER w AS prev, lead(image_id) OVER w AS next
                FROM members WINDOW w AS (PARTITION BY context ORDER BY ord))
            SELECT s.image_id, s.context, s.prev, s.next, s.album_id, a.title
            FROM steps s LEFT JOIN album_list a ON a.kind = s.kind AND a.id = s.album_id
            ORDER BY s.image_id, s.kind, s.k, s.album_id""")  # its comma continues the WITH
        wanted = ", ".join(f"i.{c}" for c in columns)
        images = self._rows(f"SELECT {wanted}, {_FILE.format(id='i.id')} AS _file "
                            "FROM images i WHERE is_id(id) ORDER BY id")
        row = next(images, None)
        # Ids are ASCII letters and digits (is_id): Python orders them as SQLite does.
        for image_id, group in groupby(steps, key=lambda step: step[0]):
            while row is not None and row["id"] < image_id:
                row = next(images, None)
            if row is None or row["id"] != image_id:
                continue  # not possible: every step's image is one of `img`
            yield ({c: row[c] for c in columns}, row["_file"],
                   [Step(context, prev, nxt, album, _text(title))
                    for _, context, prev, nxt, album, title in group])

    def thumbnail_candidates(self) -> Iterator[dict[str, Any]]:
        """The mirrored images, by id: those a thumbnail may be fetched for."""
        sql = """SELECT id, link, type, media_removed FROM images i
                 WHERE is_id(id) AND EXISTS (SELECT 1 FROM local_files f
                                             WHERE f.image_id = i.id)
                 ORDER BY id"""
        return (dict(row) for row in self._rows(sql))


def batched(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    """``items`` in lists of ``size`` (the last one shorter), read as they are needed."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
