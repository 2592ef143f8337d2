"""The SQLite state (imgur_sync.store): schema, migrations, upserts, journals, concurrency."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from imgur_sync.errors import ImgurSyncError, UsageError
from imgur_sync.store import Store, StoreError
from imgur_sync.store.schema import MIGRATION_NAMES, MIGRATIONS, iso


def image(image_id: str, **fields: Any) -> dict[str, Any]:
    """An Image as docs/IMGUR-API.md §Models describes it."""
    return {
        "id": image_id, "title": None, "description": None, "datetime": 1406927327,
        "type": "image/jpeg", "animated": False, "width": 640, "height": 480, "size": 1234,
        "views": 3, "bandwidth": 9956169634944, "deletehash": "", "link":
        f"https://i.imgur.com/{image_id}.jpeg", "mp4": "", "nsfw": None, "tags": [], **fields,
    }


def album(album_id: str, **fields: Any) -> dict[str, Any]:
    """An Album as docs/IMGUR-API.md §Models describes it."""
    return {
        "id": album_id, "title": "Holiday", "description": None, "datetime": 1406927327,
        "cover": "", "privacy": "hidden", "images_count": 0,
        "link": f"https://imgur.com/a/{album_id}", **fields,
    }


def applied(db: Database) -> list[str]:
    return [m.name for m in MIGRATIONS.applied(db)]


@pytest.fixture
def store() -> Iterator[Store]:
    with Store(None, clock=lambda: 1000.0) as s:
        yield s


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "state.db"


# ---- opening and migrations ---------------------------------------------------------------


def test_migrations_run_once_and_are_recorded(db_path: Path) -> None:
    with Store(db_path) as first:
        recorded = list(first.db.query("SELECT name, applied_at FROM _sqlite_migrations"))
    with Store(db_path) as second:
        again = list(second.db.query("SELECT name, applied_at FROM _sqlite_migrations"))
        assert "images_fts" in second.db.table_names()
    assert [r["name"] for r in recorded] == list(MIGRATION_NAMES)
    assert again == recorded  # same rows, same times: nothing re-ran


def test_version_1_database_upgrades_and_indexes_old_rows(db_path: Path) -> None:
    old = Database(db_path)
    MIGRATIONS.apply(old, stop_before=MIGRATION_NAMES[1])
    assert applied(old) == [MIGRATION_NAMES[0]]
    assert "albums_fts" not in old.table_names()
    old["albums"].insert({"id": "a1", "title": "Kittens at play", "raw": "{}"})
    old.close()

    with Store(db_path) as store:
        assert applied(store.db) == list(MIGRATION_NAMES)
        assert [hit["id"] for hit in store.search("kittens")] == ["a1"]


def _fill_version_3(db: Database) -> None:
    """Rows in every table the views read, written as imgur-sync 0.1 (m001–m003) did."""
    db["albums"].insert({"id": "a1", "title": "Trips", "datetime": 1406927327,
                         "first_seen": 100.5, "last_seen": 200.25, "raw": "{}"})
    db["images"].insert_all([
        {"id": "i1", "title": "Dunes", "link": "https://i.imgur.com/i1.png", "owned": 1,
         "first_seen": 100.5, "deletehash": "secret", "raw": "{}"},
        {"id": "i2", "title": None, "owned": 0, "removed_at": 300.0, "raw": "{}"}])
    db["album_images"].insert_all([{"album_id": "a1", "image_id": "i2", "position": 1},
                                   {"album_id": "a1", "image_id": "i1", "position": 0}])
    db["favorites"].insert_all([
        {"item_id": "i1", "gallery": 0, "kind": "image", "position": 0, "first_seen": 1.0,
         "raw": "{}"},
        {"item_id": "zz", "gallery": 1, "kind": "album", "position": 0, "first_seen": 1.0,
         "raw": json.dumps({"id": "zz", "title": "Someone's album",
                            "link": "https://imgur.com/a/zz", "datetime": 0})}])
    db["conversations"].insert({"id": 7, "with_account": "jasdev", "message_count": 2,
                                "datetime": 1406927327, "raw": "{}"})
    db["messages"].insert_all([
        {"id": 1, "conversation_id": 7, "sender": "jasdev", "body": "Lovely harbour",
         "datetime": 1406927000, "raw": "{}"},
        {"id": 2, "conversation_id": 7, "sender": "me", "body": "thanks", "datetime": 1406927327,
         "raw": "{}"}])
    db["local_files"].insert({"path": "albums/Trips [a1]/001 Dunes [i1].png", "image_id": "i1",
                              "role": "album", "album_id": "a1", "mtime": 0.0,
                              "written_at": 86400.0})
    db["uploads"].insert({"path": "drop/x.png", "sha256": "00", "marker": "m1",
                          "created": 1.0, "updated": 2.0})


def test_version_3_database_upgrades_in_place_keeping_every_row(db_path: Path) -> None:
    old = Database(db_path)
    MIGRATIONS.apply(old, stop_before="m004_message_search")
    assert applied(old) == list(MIGRATION_NAMES[:3])
    _fill_version_3(old)
    tables = old.table_names()
    before = {t: list(old[t].rows) for t in tables if not t.startswith("_sqlite")}
    old.close()

    with Store(db_path) as store:
        db = store.db
        assert applied(db) == list(MIGRATION_NAMES)
        assert {t: list(db[t].rows) for t in before} == before
        # Old messages are searchable, and new ones are indexed as they are written.
        def search(word: str) -> list[int]:
            return [r["rowid"] for r in db.query(
                "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?", [word])]
        assert search("harbour") == [1]
        store.save_messages(7, [{"id": 3, "from": "jasdev", "body": "harbour again",
                                 "datetime": 1406927400}])
        assert sorted(search("harbour")) == [1, 3]
        favorites = {r["item_id"]: r for r in db["favorite_items"].rows}
        assert (favorites["i1"]["title"], favorites["i1"]["link"]) == (
            "Dunes", "https://i.imgur.com/i1.png")
        assert (favorites["zz"]["title"], favorites["zz"]["link"]) == (
            "Someone's album", "https://imgur.com/a/zz")
        assert favorites["zz"]["first_seen_iso"] == "1970-01-01T00:00:01Z"
        contents = list(db["album_contents"].rows)
        assert [(r["album_title"], r["image_id"], r["path"]) for r in contents] == [
            ("Trips", "i1", "albums/Trips [a1]/001 Dunes [i1].png"), ("Trips", "i2", None)]
        [conversation] = db["conversation_list"].rows
        assert (conversation["with_account"], conversation["messages_saved"]) == ("jasdev", 3)
        images = {r["id"]: r for r in db["images_iso"].rows}
        assert images["i1"]["first_seen_iso"] == "1970-01-01T00:01:40Z"
        assert images["i2"]["removed_at_iso"] == "1970-01-01T00:05:00Z"
        assert "deletehash" not in images["i1"] and "raw" not in images["i1"]
        [album_row] = db["albums_iso"].rows
        assert album_row["last_seen_iso"] == "1970-01-01T00:03:20Z"
        [file_row] = db["local_files_iso"].rows
        assert file_row["written_at_iso"] == "1970-01-02T00:00:00Z"
        [upload] = db["uploads_iso"].rows
        assert (upload["created_iso"], upload["updated_iso"]) == (
            "1970-01-01T00:00:01Z", "1970-01-01T00:00:02Z")


def test_iso_views_agree_with_iso(store: Store) -> None:
    store.save_album(album("a1"), now=1796408198.987)
    [row] = store.db["albums_iso"].rows
    assert row["first_seen_iso"] == iso(1796408198.987) == "2026-12-04T18:16:38Z"


def test_database_from_a_newer_version_is_refused(db_path: Path) -> None:
    Store(db_path).close()
    db = Database(db_path)
    db["_sqlite_migrations"].insert(
        {"migration_set": "imgur_sync", "name": "m999_future", "applied_at": "2030"}
    )
    db.close()
    with pytest.raises(StoreError, match="newer imgur-sync") as caught:
        Store(db_path)
    assert isinstance(caught.value, ImgurSyncError)


def test_not_a_database_is_a_store_error(db_path: Path) -> None:
    db_path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match=str(db_path)):
        Store(db_path)


def test_on_disk_store_uses_wal_foreign_keys_and_a_busy_timeout(db_path: Path) -> None:
    with Store(db_path, timeout=7.5) as store:
        assert store.db.journal_mode == "wal"
        assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] == 7500


def test_foreign_keys_are_enforced(store: Store) -> None:
    store.save_album(album("a1"), now=1.0)
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        store.set_album_images("a1", ["nope"])
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        store.save_messages(404, [{"id": 1, "from": "x", "body": "hi", "datetime": 1}])
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        store.record_file("images/x.jpg", image_id="nope", role="image", size=1, sha256="0",
                          mtime=0.0)
    assert store.get_album_images("a1") == []
    assert store.integrity_check() == "ok"


# ---- remote objects -----------------------------------------------------------------------


def test_album_upsert_keeps_one_row_and_updates_fields(store: Store) -> None:
    store.save_album(album("a1"), list_signature="0||Holiday|1406927327", now=100.0)
    store.save_album(album("a1", title="Summer", images_count=2), now=200.0)

    assert store.db["albums"].count == 1
    row = store.get_album("a1")
    assert row is not None
    assert (row["title"], row["images_count"]) == ("Summer", 2)
    assert (row["first_seen"], row["last_seen"]) == (100.0, 200.0)
    assert row["list_signature"] == "0||Holiday|1406927327"  # None keeps the stored one
    assert row["datetime"] == 1406927327
    assert row["datetime_iso"] == "2014-08-01T21:08:47Z"
    assert row["cover"] is None  # "" means no cover
    assert store.get_album("zz") is None


def test_raw_json_round_trips_exactly(store: Store) -> None:
    original = image(
        "i1", title="Ünïcödé ☃", description='quote " and \\ backslash',
        processing={"status": "completed"}, tags=[{"name": "cats", "followers": 12}],
        account_id=None, vote=None, edited="0",
    )
    store.save_image(original, owned=True, now=1.0)
    stored = store.get_image("i1")
    assert stored is not None
    assert json.loads(stored["raw"]) == original
    assert json.loads(stored["raw"])["bandwidth"] == 9956169634944
    assert stored["animated"] == 0
    assert stored["mp4"] is None


def test_image_owned_sticks_and_deletehash_is_never_blanked(store: Store) -> None:
    store.save_image(image("i1", deletehash="secret1"), owned=True, now=1.0)
    store.save_image(image("i1", title="faved", deletehash=""), owned=False, now=2.0)
    store.save_image(image("i2"), owned=False, now=2.0)

    one, two = store.get_image("i1"), store.get_image("i2")
    assert one is not None and two is not None
    assert (one["owned"], one["deletehash"], one["title"]) == (1, "secret1", "faved")
    assert (two["owned"], two["deletehash"]) == (0, None)
    assert [r["id"] for r in store.iter_images(owned=True)] == ["i1"]
    assert [r["id"] for r in store.iter_images(owned=False)] == ["i2"]


def test_mark_removed_and_reappearing(store: Store) -> None:
    store.save_image(image("i1"), owned=True, now=1.0)
    assert store.mark_removed("images", "i1", now=5.0) is True
    assert store.mark_removed("images", "i1", now=6.0) is False  # first removal time stays
    assert store.get_image("i1")["removed_at"] == 5.0  # type: ignore[index]
    assert list(store.iter_images()) == []
    assert [r["id"] for r in store.iter_images(include_removed=True)] == ["i1"]

    store.save_image(image("i1"), owned=True, now=7.0)
    assert store.get_image("i1")["removed_at"] is None  # type: ignore[index]
    with pytest.raises(UsageError):
        store.mark_removed("settings; DROP TABLE images", "i1")


def test_mark_media_removed(store: Store) -> None:
    store.save_image(image("i1"), owned=True, now=1.0)
    assert store.mark_media_removed("i1") is True
    assert store.mark_media_removed("missing") is False
    store.save_image(image("i1", title="still gone"), owned=True, now=2.0)
    assert store.get_image("i1")["media_removed"] == 1  # type: ignore[index]
    assert store.counts()["media_removed"] == 1


def test_album_membership_keeps_positions_and_replaces(store: Store) -> None:
    store.save_album(album("a1"), now=1.0)
    for image_id in ("x", "y", "z"):
        store.save_image(image(image_id), owned=True, now=1.0)

    store.set_album_images("a1", ["y", "x", "z"])
    assert store.get_album_images("a1") == ["y", "x", "z"]
    store.set_album_images("a1", ["z", "y", "z"])
    assert store.get_album_images("a1") == ["z", "y"]
    positions = dict(store.db.execute("SELECT image_id, position FROM album_images"))
    assert positions == {"z": 0, "y": 1}


def test_favorites_replace_and_mark_removed(store: Store) -> None:
    store.save_favorites([("x", "image", {"id": "x"}), ("y", "album", {"id": "y"}),
                          ("z", "image", {"id": "z"})], False, now=10.0)
    store.save_favorites([("y", "image", {"id": "y", "is_album": False})], True, now=10.0)

    assert store.mark_favorites_removed(["x", "z"], False, now=20.0) == 1
    assert [f["item_id"] for f in store.iter_favorites(False)] == ["x", "z"]
    gone = store.iter_favorites(False, include_removed=True)[1]
    assert (gone["item_id"], gone["removed_at"]) == ("y", 20.0)
    assert [f["item_id"] for f in store.iter_favorites(True)] == ["y"]  # other list untouched

    store.save_favorites([("y", "album", {"id": "y"})], False, now=30.0, start=5)
    again = next(f for f in store.iter_favorites(False) if f["item_id"] == "y")
    assert (again["removed_at"], again["first_seen"], again["position"]) == (None, 10.0, 5)
    assert store.counts()["favorites"] == 3
    assert store.counts()["gallery_favorites"] == 1
    with pytest.raises(UsageError):
        store.save_favorites([("q", "video", {})], False)


def test_conversations_and_messages(store: Store) -> None:
    conversation = {"id": 188129, "with_account": "jasdev", "with_account_id": 3698510,
                    "last_message_preview": "hi", "message_count": 2, "datetime": 1406927327}
    store.save_conversation(conversation)
    store.save_messages(188129, [
        {"id": 2, "from": "me", "body": "hi", "datetime": 1406927327},
        {"id": 1, "from": "jasdev", "body": "hello", "datetime": 1406927000},
    ])
    store.save_messages(188129, [{"id": 2, "from": "me", "body": "hi!", "datetime": 1406927327}])
    messages = store.iter_messages(188129)
    assert [(m["sender"], m["body"]) for m in messages] == [("jasdev", "hello"), ("me", "hi!")]
    assert json.loads(store.iter_conversations()[0]["raw"]) == conversation
    assert store.counts()["messages"] == 2


def test_search_finds_titles_after_updates(store: Store) -> None:
    store.save_image(image("i1", title="Sunset over the bay"), owned=True, now=1.0)
    store.save_album(album("a1", title="Trips", description="the harbour walk"), now=1.0)
    assert [h["id"] for h in store.search("sunset")] == ["i1"]
    assert [(h["kind"], h["id"]) for h in store.search("harbour")] == [("album", "a1")]

    store.save_image(image("i1", title="Harbour at dawn"), owned=True, now=2.0)
    assert store.search("sunset") == []
    assert {(h["kind"], h["id"]) for h in store.search("harbour")} == {
        ("album", "a1"), ("image", "i1")}
    assert store.search('unbalanced " OR NOT') == []  # user text is quoted, never FTS syntax
    assert store.search("   ") == []


# ---- transactions and concurrency ---------------------------------------------------------


def test_cursor_and_page_roll_back_together(db_path: Path) -> None:
    with Store(db_path) as store:
        with pytest.raises(RuntimeError), store.transaction():
            store.save_image(image("i1"), owned=True, now=1.0)
            store.set_cursor("account_images", "i1", now=1.0)
            raise RuntimeError("crash between the page and the next one")
        assert store.get_image("i1") is None
        assert store.get_cursor("account_images") is None

        with store.transaction():
            store.save_image(image("i2"), owned=True, now=2.0)
            store.set_cursor("account_images", "i2", now=2.0)
        with Store.open_readonly(db_path) as reader:
            assert reader.get_image("i2") is not None
            assert reader.get_cursor("account_images") == "i2"


def test_reader_keeps_reading_while_the_writer_commits(db_path: Path) -> None:
    with Store(db_path, timeout=0.2) as writer:
        writer.save_album(album("a1"), now=1.0)
        reader = Store.open_readonly(db_path, timeout=0.2)
        try:
            reader.db.execute("BEGIN")
            assert reader.counts()["albums"] == 1  # holds a read snapshot from here on
            # Under a rollback journal this commit would wait for the reader and time out.
            writer.save_album(album("a2"), now=2.0)
            assert reader.counts()["albums"] == 1
            reader.db.execute("COMMIT")
            assert reader.counts()["albums"] == 2
            with pytest.raises(sqlite3.OperationalError, match="readonly"):
                reader.set_setting("username", "mallory")
        finally:
            reader.close()


def test_open_readonly_needs_an_existing_database(db_path: Path) -> None:
    with pytest.raises(StoreError, match="imgur-sync pull"):
        Store.open_readonly(db_path)
    assert not db_path.exists()
    with Store(db_path) as writer:
        writer.set_setting("username", "alice")
    with Store.open_readonly(db_path) as reader:  # the writer is gone, its WAL checkpointed
        assert reader.get_setting("username") == "alice"


def test_threads_sharing_a_store_wait_for_an_open_transaction(store: Store) -> None:
    def other_thread() -> None:
        store.save_image(image("from-b"), owned=True, now=2.0)

    b = threading.Thread(target=other_thread)
    with pytest.raises(RuntimeError), store.transaction():
        store.save_image(image("from-a"), owned=True, now=1.0)
        b.start()
        b.join(timeout=0.2)
        # Without the store's lock, B's write would have joined A's transaction by now
        # and the rollback below would take it away too.
        assert b.is_alive()
        raise RuntimeError("A fails")
    b.join(timeout=10)
    assert not b.is_alive()
    assert store.get_image("from-a") is None
    assert store.get_image("from-b") is not None


# ---- local files, cursors, settings ------------------------------------------------------


def test_local_files_are_recorded_relative_to_the_root(store: Store) -> None:
    store.save_image(image("i1"), owned=True, now=1.0)
    store.record_file(Path("images") / "cat [i1].jpeg", image_id="i1", role="image", size=10,
                      sha256="ab", mtime=5.0, now=9.0)
    store.record_file("albums/Trip [a1]/001 cat [i1].jpeg", image_id="i1", role="album",
                      album_id="a1", size=10, sha256="ab", mtime=5.0)
    store.record_file("images/cat [i1].jpeg", image_id="i1", role="image", size=11,
                      sha256="cd", mtime=6.0, now=10.0)

    row = store.file_for("images/cat [i1].jpeg")
    assert row is not None
    assert (row["size"], row["sha256"], row["written_at"]) == (11, "cd", 10.0)
    assert [f["path"] for f in store.iter_files("album")] == ["albums/Trip [a1]/001 cat [i1].jpeg"]
    assert len(list(store.iter_files(image_id="i1"))) == 2
    assert store.counts()["file_bytes"] == 21
    assert store.forget_file("images/cat [i1].jpeg") is True
    assert store.forget_file("images/cat [i1].jpeg") is False
    assert store.file_for("images/cat [i1].jpeg") is None
    for bad in ("/etc/passwd", "../outside.jpg", "images/../../x"):
        with pytest.raises(UsageError):
            store.record_file(bad, image_id=None, role="image", size=1, sha256=None, mtime=0)
    with pytest.raises(UsageError):
        store.iter_files("thumbnail")


def test_iter_files_pages_through_large_tables(store: Store) -> None:
    store.db["local_files"].insert_all(
        {"path": f"images/{n:05d}.jpg", "role": "image", "size": 1} for n in range(1234)
    )
    paths = [f["path"] for f in store.iter_files()]
    assert len(paths) == 1234
    assert len(set(paths)) == 1234
    assert "_rowid" not in next(store.iter_files())


def test_cursors_and_settings_use_the_injected_clock(store: Store) -> None:
    assert store.get_cursor("favorites") is None
    store.set_cursor("favorites", "abc")
    store.set_cursor("favorites", "def")
    row = store.db["cursors"].get("favorites")
    assert (row["value"], row["updated"], row["updated_iso"]) == (
        "def", 1000.0, "1970-01-01T00:16:40Z")
    assert store.get_setting("username") is None
    assert store.get_setting("username", "?") == "?"
    store.set_setting("username", "alice")
    store.set_setting("username", "bob")
    assert store.get_setting("username") == "bob"


# ---- runs, failures, uploads -------------------------------------------------------------


def test_runs_lifecycle(store: Store) -> None:
    first = store.start_run("quick", now=10.0)
    second = store.start_run("full", now=20.0)
    assert second > first
    assert [r["outcome"] for r in store.last_runs()] == [None, None]  # both running

    store.finish_run(first, "partial", now=15.0, requests=4, downloaded_bytes=2048,
                     counts={"images": 3}, error="2 downloads failed")
    latest, earlier = store.last_runs(2)
    assert latest["id"] == second
    assert (earlier["outcome"], earlier["requests"], earlier["counts"]) == (
        "partial", 4, {"images": 3})
    assert earlier["finished_iso"] == "1970-01-01T00:00:15Z"
    assert store.mark_interrupted_runs(now=30.0) == 1
    assert store.last_runs(1)[0]["outcome"] == "interrupted"
    with pytest.raises(UsageError):
        store.start_run("sometimes")
    with pytest.raises(UsageError):
        store.finish_run(first, "great")
    with pytest.raises(UsageError):
        store.finish_run(999, "ok")


def test_failures_lifecycle(store: Store) -> None:
    one = store.add_failure("download", "i1", "HTTP 500", now=1.0)
    again = store.add_failure("download", "i1", "timed out", now=2.0)
    store.add_failure("upload", "/drop/x.bmp", "not an accepted type", now=3.0)
    assert one == again
    open_now = store.open_failures()
    assert [(f["kind"], f["reason"]) for f in open_now] == [
        ("upload", "not an accepted type"), ("download", "timed out")]
    assert open_now[1]["occurrences"] == 2

    assert store.resolve_failures("download") == 1
    assert [f["kind"] for f in store.open_failures()] == ["upload"]
    assert store.counts()["open_failures"] == 1
    assert store.add_failure("download", "i1", "HTTP 500", now=4.0) != one  # a new episode


def test_upload_journal(store: Store) -> None:
    upload = store.add_upload("/drop/cats/a.jpg", sha256="f00", size=5, album_id="a1",
                              marker="imgur-sync:1", now=1.0)
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        store.add_upload("/drop/cats/b.jpg", sha256="f00", size=5, album_id="a1",
                         marker="imgur-sync:1")
    store.mark_upload(upload, "uploading", now=2.0)
    store.mark_upload(upload, "failed", now=3.0, error="HTTP 500", next_attempt_at=60.0)
    store.mark_upload(upload, "uploading", now=61.0)
    store.mark_upload(upload, "done", now=62.0, image_id="i9", error=None)

    row = store.get_upload(upload)
    assert row is not None
    assert (row["state"], row["attempts"], row["image_id"], row["error"]) == ("done", 2, "i9", None)
    assert [u["id"] for u in store.iter_uploads(sha256="f00")] == [upload]
    assert store.iter_uploads(marker="imgur-sync:1", state="pending") == []
    assert store.counts()["uploads_done"] == 1
    with pytest.raises(UsageError):
        store.mark_upload(upload, "lost")
    with pytest.raises(UsageError):
        store.mark_upload(upload, "done", sha256="x")


def test_counts_and_integrity(store: Store) -> None:
    store.save_album(album("a1"), now=1.0)
    store.save_album(album("a2"), now=1.0)
    store.mark_removed("albums", "a2", now=2.0)
    store.save_image(image("i1"), owned=True, now=1.0)
    store.save_image(image("i2"), owned=False, now=1.0)
    counts = store.counts()
    assert (counts["albums"], counts["albums_removed"]) == (1, 1)
    assert (counts["images"], counts["images_not_owned"]) == (1, 1)
    assert counts["uploads_pending"] == 0
    assert store.integrity_check() == "ok"


def test_an_image_read_again_keeps_what_a_poorer_listing_leaves_null(store: Store) -> None:
    """An album's members come with null account fields; the record must not flip to them,
    but a title cleared on Imgur is cleared here too."""
    full = {"id": "abc1234", "title": "Cat", "description": "On a box", "link": "https://i/x",
            "account_id": 7, "account_url": "me", "nsfw": False}
    store.save_images([full], owned=True)
    store.save_images([{**full, "account_id": None, "account_url": None, "nsfw": None,
                        "views": 5}], owned=True)
    raw = json.loads(store.get_image("abc1234")["raw"])
    assert (raw["account_id"], raw["account_url"], raw["nsfw"], raw["views"]) == (7, "me",
                                                                                  False, 5)
    store.save_images([{**full, "title": None, "description": None}], owned=True)
    row = store.get_image("abc1234")
    assert row["title"] is None and row["description"] is None
    assert json.loads(row["raw"])["title"] is None
