"""The tables of the state database and the migrations that build them.

The schema only ever changes through a new numbered function registered on ``MIGRATIONS``
(sqlite-utils' ``Migrations``, which records each applied name in ``_sqlite_migrations``).
Never edit a migration that has shipped: add the next one.

Conventions, so a person can read the database with ``sqlite3`` or Datasette:

- plain table names, foreign keys between them, the raw Imgur JSON kept 1:1 in ``raw``;
- Imgur's own times are epoch ints (``datetime``) with an ISO-8601 UTC copy beside them
  (``datetime_iso``); our bookkeeping times (``first_seen``, ``started``…) are epoch floats;
- booleans are 0/1 integers; ``removed_at`` is NULL unless the item is gone upstream.

Full-text search over ``title`` and ``description`` lives in ``albums_fts`` and ``images_fts``,
over message bodies and senders in ``messages_fts`` (FTS5, external content, kept current by
triggers). They index by rowid, so after a manual ``VACUUM`` run
``sqlite-utils rebuild-fts <db> albums images messages``.

Views for reading (``imgur-sync datasette``, with ``datasette-metadata.json`` beside this
module): ``favorite_items``, ``album_contents``, ``conversation_list`` and a ``<table>_iso``
view for each table whose bookkeeping times are epoch floats.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from sqlite_utils import Database, Migrations

__all__ = [
    "MIGRATIONS",
    "MIGRATION_NAMES",
    "album_row",
    "conversation_row",
    "image_row",
    "iso",
    "message_row",
    "raw_json",
    "unknown_migrations",
]

MIGRATIONS = Migrations("imgur_sync")


@MIGRATIONS()
def m001_tables(db: Database) -> None:
    """Create the mirror, the local file index, the journals and the bookkeeping tables."""
    remote = {"first_seen": float, "last_seen": float, "removed_at": float, "raw": str}
    db["albums"].create(
        {
            "id": str, "title": str, "description": str, "privacy": str, "cover": str,
            "images_count": int, "datetime": int, "datetime_iso": str, "link": str,
            "list_signature": str, **remote,
        },
        pk="id",
        not_null=["id"],
    )
    db["images"].create(
        {
            "id": str, "title": str, "description": str, "type": str, "animated": bool,
            "width": int, "height": int, "size": int, "datetime": int, "datetime_iso": str,
            "link": str, "mp4": str, "deletehash": str, "owned": bool, "media_removed": bool,
            **remote,
        },
        pk="id",
        not_null=["id", "owned", "media_removed"],
        defaults={"owned": 0, "media_removed": 0},
    )
    db["album_images"].create(
        {"album_id": str, "image_id": str, "position": int},
        pk=("album_id", "image_id"),
        foreign_keys=[("album_id", "albums", "id"), ("image_id", "images", "id")],
        not_null=["album_id", "image_id", "position"],
    )
    db["album_images"].create_index(["image_id"])
    db["favorites"].create(
        {
            "item_id": str, "gallery": bool, "kind": str, "position": int,
            "first_seen": float, "removed_at": float, "raw": str,
        },
        pk=("item_id", "gallery"),
        not_null=["item_id", "gallery", "kind"],
    )
    db["conversations"].create(
        {
            "id": int, "with_account": str, "last_message_preview": str, "datetime": int,
            "datetime_iso": str, "message_count": int, "raw": str,
        },
        pk="id",
    )
    db["messages"].create(
        {
            "id": int, "conversation_id": int, "sender": str, "body": str, "datetime": int,
            "datetime_iso": str, "raw": str,
        },
        pk="id",
        foreign_keys=[("conversation_id", "conversations", "id")],
        not_null=["conversation_id"],
    )
    db["messages"].create_index(["conversation_id", "datetime"])
    # album_id has no foreign key on purpose: favorited albums of other accounts are not
    # rows of `albums`, yet their files are recorded here.
    db["local_files"].create(
        {
            "path": str, "image_id": str, "role": str, "album_id": str, "size": int,
            "sha256": str, "mtime": float, "written_at": float,
        },
        pk="path",
        foreign_keys=[("image_id", "images", "id")],
        not_null=["path", "role"],
    )
    db["local_files"].create_index(["image_id"])
    db["runs"].create(
        {
            "id": int, "kind": str, "started": float, "started_iso": str, "finished": float,
            "finished_iso": str, "outcome": str, "requests": int, "downloaded_bytes": int,
            "counts": str, "error": str,
        },
        pk="id",
        not_null=["kind", "started"],
    )
    db["cursors"].create(
        {"name": str, "value": str, "updated": float, "updated_iso": str},
        pk="name",
        not_null=["name"],
    )
    # album_id and image_id carry no foreign keys: the journal is written before the album or
    # the image exists in the mirror (that is its point).
    db["uploads"].create(
        {
            "id": int, "path": str, "sha256": str, "size": int, "album_id": str,
            "state": str, "marker": str, "image_id": str, "attempts": int,
            "next_attempt_at": float, "error": str, "created": float, "updated": float,
        },
        pk="id",
        not_null=["path", "sha256", "state", "marker", "attempts"],
        defaults={"state": "pending", "attempts": 0},
    )
    db["uploads"].create_index(["sha256"])
    db["uploads"].create_index(["marker"], unique=True)
    db["uploads"].create_index(["state"])
    db["failures"].create(
        {
            "id": int, "kind": str, "item": str, "reason": str, "at": float, "at_iso": str,
            "occurrences": int, "resolved": bool,
        },
        pk="id",
        not_null=["kind", "reason", "occurrences", "resolved"],
        defaults={"occurrences": 1, "resolved": 0},
    )
    db["failures"].create_index(["resolved", "kind", "item"])
    db["settings"].create({"key": str, "value": str}, pk="key", not_null=["key"])


@MIGRATIONS()
def m002_search(db: Database) -> None:
    """Index titles and descriptions of albums and images, kept current by triggers."""
    for table in ("albums", "images"):
        db[table].enable_fts(["title", "description"], create_triggers=True)


@MIGRATIONS()
def m003_uploads_by_path(db: Database) -> None:
    """Index the upload journal by local path: the drop folders look files up by it."""
    db["uploads"].create_index(["path"], if_not_exists=True)


@MIGRATIONS()
def m004_message_search(db: Database) -> None:
    """Index message bodies the way m002 indexes titles (Datasette's search box uses it)."""
    db["messages"].enable_fts(["body", "sender"], create_triggers=True)


# Bookkeeping times kept as epoch floats, by table: m005's ``<table>_iso`` views show each
# beside an ISO-8601 copy (``favorite_items`` does it for ``favorites``).
_EPOCH_COLUMNS = {
    "albums": ("first_seen", "last_seen", "removed_at"),
    "images": ("first_seen", "last_seen", "removed_at"),
    "local_files": ("mtime", "written_at"),
    "uploads": ("next_attempt_at", "created", "updated"),
}
# Columns a reader has no use for in a view: the whole API record, and the secret that deletes.
_NOT_IN_VIEWS = {"raw", "deletehash", "list_signature"}


def _iso_sql(column: str) -> str:
    """SQL for an epoch column as ISO-8601 UTC, the format of ``iso()`` (NULL stays NULL)."""
    return f"strftime('%Y-%m-%dT%H:%M:%SZ', {column}, 'unixepoch')"


def _with_iso(db: Database, table: str, epochs: tuple[str, ...]) -> str:
    """SELECT every readable column of ``table``, each epoch one followed by its ISO copy."""
    columns = []
    for column in db[table].columns_dict:
        if column not in _NOT_IN_VIEWS:
            columns.append(f"[{column}]")
        if column in epochs:
            columns.append(f"{_iso_sql(f'[{column}]')} AS [{column}_iso]")
    return f"SELECT {', '.join(columns)} FROM [{table}]"


_FAVORITE_ITEMS = f"""
SELECT f.item_id, f.gallery, f.kind, f.position,
  coalesce(i.title, a.title, json_extract(f.raw, '$.title')) AS title,
  coalesce(i.description, a.description, json_extract(f.raw, '$.description')) AS description,
  coalesce(i.link, a.link, json_extract(f.raw, '$.link')) AS link,
  json_extract(f.raw, '$.account_url') AS account,
  coalesce(i.datetime_iso, a.datetime_iso,
           {_iso_sql("json_extract(f.raw, '$.datetime')")}) AS datetime_iso,
  (SELECT min(lf.path) FROM local_files lf WHERE lf.image_id = f.item_id
     AND lf.role = CASE f.gallery WHEN 1 THEN 'gallery_favorite' ELSE 'favorite' END) AS path,
  f.first_seen, {_iso_sql("f.first_seen")} AS first_seen_iso,
  f.removed_at, {_iso_sql("f.removed_at")} AS removed_at_iso
FROM favorites f
LEFT JOIN images i ON f.kind = 'image' AND i.id = f.item_id
LEFT JOIN albums a ON f.kind = 'album' AND a.id = f.item_id
ORDER BY f.gallery, f.position
"""

_ALBUM_CONTENTS = """
SELECT ai.album_id, a.title AS album_title, ai.position, ai.image_id,
  i.title AS image_title, i.description, i.link, i.type, i.datetime_iso,
  (SELECT min(lf.path) FROM local_files lf WHERE lf.image_id = ai.image_id
     AND lf.album_id = ai.album_id AND lf.role = 'album') AS path
FROM album_images ai
JOIN albums a ON a.id = ai.album_id
JOIN images i ON i.id = ai.image_id
ORDER BY a.title, ai.album_id, ai.position
"""

_CONVERSATION_LIST = f"""
SELECT c.id, c.with_account, c.message_count,
  (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS messages_saved,
  c.last_message_preview, c.datetime, c.datetime_iso,
  (SELECT {_iso_sql("min(m.datetime)")} FROM messages m
     WHERE m.conversation_id = c.id) AS first_message_iso,
  (SELECT {_iso_sql("max(m.datetime)")} FROM messages m
     WHERE m.conversation_id = c.id) AS last_message_iso
FROM conversations c
ORDER BY c.datetime DESC
"""


@MIGRATIONS()
def m005_views(db: Database) -> None:
    """Add views a person reads (in Datasette): joined favorites, album contents, ISO times."""
    db.create_view("favorite_items", _FAVORITE_ITEMS)
    db.create_view("album_contents", _ALBUM_CONTENTS)
    db.create_view("conversation_list", _CONVERSATION_LIST)
    for table, epochs in _EPOCH_COLUMNS.items():
        db.create_view(f"{table}_iso", _with_iso(db, table, epochs))


# The image columns a file's name, place or bytes come from (and its sidecar's text): a
# change to one of them is a change the next pull must plan (docs/ARCHITECTURE.md §Pull).
# Not ``raw``: listings differ in what they tell of an image, so an image two listings
# show would be marked at every pull; what only ``raw`` holds (tags) waits for a full pull.
_PLANNED_IMAGE_COLUMNS = ("title", "description", "type", "link", "size", "datetime", "owned",
                          "removed_at", "media_removed")


def _mark(ids: str) -> str:
    """SQL marking the image ids query ``ids`` yields (a column ``image_id``) as changed,
    giving an existing mark a new, higher seq, so a mark made while a pull plans survives
    that pull's clearing.

    Delete and insert, not ``INSERT OR REPLACE``: an upsert firing the trigger overrides
    the conflict clauses of the trigger's statements with its own (abort).
    """
    return (f"DELETE FROM dirty WHERE image_id IN ({ids}); "
            f"INSERT INTO dirty (image_id) SELECT DISTINCT * FROM ({ids});")


def _keep_mark(ids: str) -> str:
    """SQL marking the ids as ``_mark`` does, but leaving an existing mark as it is."""
    return (f"INSERT INTO dirty (image_id) SELECT DISTINCT * FROM ({ids}) AS ids "
            "WHERE NOT EXISTS (SELECT 1 FROM dirty d WHERE d.image_id = ids.image_id);")
# The ids of a favorited album's members, from its cursor (the favorite's ``item_id``).
_FAVORITE_MEMBERS = ("SELECT value FROM json_each((SELECT CASE WHEN json_valid(value) THEN "
                     "value ELSE '[]' END FROM cursors WHERE name = "
                     "'favorite_album_members:' || {row}.item_id))")


def _changed(row_a: str, row_b: str, columns: tuple[str, ...]) -> str:
    return " OR ".join(f"{row_a}.[{c}] IS NOT {row_b}.[{c}]" for c in columns)


def _favorite_marks(row: str) -> str:
    return _mark(f"SELECT {row}.item_id WHERE {row}.kind = 'image' UNION "
                        + _FAVORITE_MEMBERS.format(row=row) + f" WHERE {row}.kind = 'album'")


_CHANGE_TRIGGERS = {
    "images_planned_insert": ("AFTER INSERT ON images", "",
                              _mark("SELECT NEW.id")),
    "images_planned_update": ("AFTER UPDATE ON images",
                              _changed("OLD", "NEW", _PLANNED_IMAGE_COLUMNS),
                              _mark("SELECT NEW.id")),
    "album_images_planned_insert": (
        "AFTER INSERT ON album_images", "",
        _mark("SELECT NEW.image_id")
        # At 1000, 10000… members every member's number gets a digit (layout.position_prefix).
        + _mark("SELECT image_id FROM album_images WHERE album_id = NEW.album_id "
                       "AND (SELECT count(*) FROM album_images WHERE album_id = NEW.album_id) "
                       "IN (1000, 10000, 100000, 1000000)")),
    "album_images_planned_delete": (
        "AFTER DELETE ON album_images", "",
        _mark("SELECT OLD.image_id")
        + _mark("SELECT image_id FROM album_images WHERE album_id = OLD.album_id "
                       "AND (SELECT count(*) FROM album_images WHERE album_id = OLD.album_id) "
                       "IN (999, 9999, 99999, 999999)")),
    "album_images_planned_update": ("AFTER UPDATE ON album_images", "",
                                    _mark("SELECT OLD.image_id UNION SELECT NEW.image_id")),
    "albums_planned_update": (
        "AFTER UPDATE ON albums", _changed("OLD", "NEW", ("title", "removed_at")),
        _mark("SELECT image_id FROM album_images WHERE album_id = NEW.id")),
    "favorites_planned_insert": ("AFTER INSERT ON favorites", "", _favorite_marks("NEW")),
    "favorites_planned_delete": ("AFTER DELETE ON favorites", "", _favorite_marks("OLD")),
    "favorites_planned_update": (
        "AFTER UPDATE ON favorites",
        _changed("OLD", "NEW", ("kind", "position", "removed_at"))
        + " OR json_extract(OLD.raw, '$.title') IS NOT json_extract(NEW.raw, '$.title')",
        _favorite_marks("OLD") + _favorite_marks("NEW")),
    "cursors_planned_members": (
        "AFTER UPDATE ON cursors",
        "NEW.name LIKE 'favorite\\_album\\_members:%' ESCAPE '\\' "
        "AND OLD.value IS NOT NEW.value",
        _mark("SELECT value FROM json_each(CASE WHEN json_valid(OLD.value) THEN "
                     "OLD.value ELSE '[]' END) UNION SELECT value FROM json_each(CASE WHEN "
                     "json_valid(NEW.value) THEN NEW.value ELSE '[]' END)")),
    "cursors_planned_members_insert": (
        "AFTER INSERT ON cursors",
        "NEW.name LIKE 'favorite\\_album\\_members:%' ESCAPE '\\'",
        _mark("SELECT value FROM json_each(CASE WHEN json_valid(NEW.value) THEN "
                     "NEW.value ELSE '[]' END)")),
    # A file record the pull did not make (verify, a hand edit): its image is planned again.
    # An existing mark is kept as it is: the pull's own records keep the seq of the mark it
    # planned from, so applying a batch does not mark it again.
    "local_files_planned_insert": ("AFTER INSERT ON local_files", "NEW.image_id IS NOT NULL",
                                   _keep_mark("SELECT NEW.image_id")),
    "local_files_planned_delete": ("AFTER DELETE ON local_files", "OLD.image_id IS NOT NULL",
                                   _keep_mark("SELECT OLD.image_id")),
    "local_files_planned_update": (
        "AFTER UPDATE ON local_files",
        _changed("OLD", "NEW", ("image_id", "role", "album_id")),
        _keep_mark("SELECT OLD.image_id WHERE OLD.image_id IS NOT NULL UNION "
                   "SELECT NEW.image_id WHERE NEW.image_id IS NOT NULL")),
}


@MIGRATIONS()
def m006_changes(db: Database) -> None:
    """Mark the images whose files a pull must plan again, so a quick pull plans only those.

    ``dirty`` holds one row per image id changed since a pull last applied its plan; the
    triggers below fill it whenever a row the plan reads changes (re-saving an unchanged row
    marks nothing). Its AUTOINCREMENT ``seq`` only grows: the last one is the store's
    *generation*. Every image already known is marked, so the first pull plans everything.
    """
    db.execute("CREATE TABLE dirty (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
               "image_id TEXT NOT NULL UNIQUE)")
    for name, (event, when, body) in _CHANGE_TRIGGERS.items():
        condition = f" WHEN {when}" if when else ""
        db.execute(f"CREATE TRIGGER {name} {event} FOR EACH ROW{condition} BEGIN {body} END")
    # album.json lists an album's files: read an album at a time, not the whole table.
    db["local_files"].create_index(["album_id"], if_not_exists=True)
    db.execute("INSERT OR IGNORE INTO dirty (image_id) SELECT id FROM images UNION "
               "SELECT image_id FROM local_files WHERE image_id IS NOT NULL")


@MIGRATIONS()
def m007_reconcile_seen(db: Database) -> None:
    """Remember what the running reconcile cycle has seen (docs/ARCHITECTURE.md §Reconcile):
    on disk, not in memory, so a crash or a restart resumes the cycle where it stopped."""
    db.execute("CREATE TABLE reconcile_seen (listing TEXT NOT NULL, item_id TEXT NOT NULL,"
               " PRIMARY KEY (listing, item_id)) WITHOUT ROWID")


# Every migration this code knows, in order.
MIGRATION_NAMES: tuple[str, ...] = (m001_tables.__name__, m002_search.__name__,
                                    m003_uploads_by_path.__name__,
                                    m004_message_search.__name__, m005_views.__name__,
                                    m006_changes.__name__, m007_reconcile_seen.__name__)


def unknown_migrations(db: Database) -> list[str]:
    """Return the applied migrations this code does not know (a newer imgur-sync wrote them)."""
    return [m.name for m in MIGRATIONS.applied(db) if m.name not in MIGRATION_NAMES]


# ---- Imgur JSON → rows (which field lands in which column) ---------------------------------


def iso(ts: float | None) -> str | None:
    """Return an epoch time as ISO-8601 UTC (``2014-08-01T21:08:47Z``)."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def raw_json(obj: Mapping[str, Any]) -> str:
    """Return the JSON text kept 1:1 in a ``raw`` column."""
    text = json.dumps(obj, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: only JSON's escapes can keep them
        return json.dumps(obj)
    return text


def _int(value: Any) -> int | None:
    # Imgur sometimes sends numbers as strings ("mp4_size", notification ids): accept both.
    try:
        return None if value in (None, "") else int(value)
    except (TypeError, ValueError):
        return None


def _stamped(obj: Mapping[str, Any]) -> dict[str, Any]:
    stamp = _int(obj.get("datetime"))
    return {"datetime": stamp, "datetime_iso": iso(stamp)}


def album_row(album: Mapping[str, Any]) -> dict[str, Any]:
    """Map an Album (docs/IMGUR-API.md §Models) onto the columns of ``albums``."""
    return {
        "id": album["id"], "title": album.get("title"), "description": album.get("description"),
        "privacy": album.get("privacy"), "cover": album.get("cover") or None,
        "images_count": _int(album.get("images_count")), **_stamped(album),
        "link": album.get("link"), "raw": raw_json(album),
    }


def image_row(image: Mapping[str, Any]) -> dict[str, Any]:
    """Map an Image (§6.1) onto ``images``; an empty deletehash is left out, not blanked."""
    animated = image.get("animated")
    row = {
        "id": image["id"], "title": image.get("title"), "description": image.get("description"),
        "type": image.get("type"), "animated": None if animated is None else int(bool(animated)),
        "width": _int(image.get("width")), "height": _int(image.get("height")),
        "size": _int(image.get("size")), **_stamped(image), "link": image.get("link"),
        "mp4": image.get("mp4") or None, "raw": raw_json(image),
    }
    # Imgur sends "" when the caller may not see the deletehash: keep the one we have.
    if image.get("deletehash"):
        row["deletehash"] = image["deletehash"]
    return row


def conversation_row(conversation: Mapping[str, Any]) -> dict[str, Any]:
    """Map a Conversation (§6.7) onto ``conversations``."""
    return {
        "id": conversation["id"], "with_account": conversation.get("with_account"),
        "last_message_preview": conversation.get("last_message_preview"),
        **_stamped(conversation), "message_count": _int(conversation.get("message_count")),
        "raw": raw_json(conversation),
    }


def message_row(conversation_id: int, message: Mapping[str, Any]) -> dict[str, Any]:
    """Map a Message (§6.7) onto ``messages``."""
    return {
        "id": message["id"], "conversation_id": conversation_id, "sender": message.get("from"),
        "body": message.get("body"), **_stamped(message), "raw": raw_json(message),
    }
