"""The pull against a hostile or broken world: malformed items, planted symlinks, lost roots.

The sandbox plays the broken Imgur: ``World.raw_answer`` makes it answer one path with data
as malformed as a test likes (``POST /__sandbox__/mutate/raw_answer`` over HTTP). Each case
checks that the pull finishes, mirrors the good, records the bad, and that the next pull
does not stop on the same thing.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from pull_support import snapshot_tree, write_config
from test_pull import Rig, _cli, make_rig

from imgur_sync.errors import ImgurSyncError
from imgur_sync.mirror.verify import verify
from imgur_sync.sandbox import Sandbox
from imgur_sync.sandbox.media import render_tiny_png


def plant(made: Rig, path: str, change: Callable[[Any], Any]) -> None:
    """Make the sandbox answer ``GET path`` with ``change(the real answer)``."""
    made.sb.world.raw_answer("/" + path, change(made.transport.request("GET", path)))


def failures(made: Rig, kind: str) -> dict[str, dict[str, Any]]:
    """Return the open failures of one kind by item."""
    return {f["item"]: f for f in made.store.open_failures() if f["kind"] == kind}


@pytest.fixture
def rig(start_sandbox: Callable[..., Sandbox], tmp_path: Path) -> Iterator[Callable[..., Rig]]:
    """Return ``rig(**mirror options)`` on the demo account; its store closes after."""
    made: list[Rig] = []

    def make(**mirror: str | int) -> Rig:
        made.append(make_rig(start_sandbox("demo"), tmp_path, **mirror))
        return made[-1]

    yield make
    for each in made:
        each.store.close()


def _first_album(made: Rig) -> str:
    return made.sb.world.albums_of(made.sb.username)[0].id


def _first_image(made: Rig) -> str:
    return made.sb.world.images_of(made.sb.username)[0].id


# -- finding 6: one malformed item must not stop every pull -------------------------------------

LONG_ID = "x" * 5000
# (listing path, what the bad item looks like, a fragment of the failure's item name)
BAD_ITEMS = {
    "image id ../x": ("3/account/me/images/0", {"id": "../x"}, "'../x'"),
    "image id A\\0B": ("3/account/me/images/0", {"id": "A\0B"}, "'A\\x00B'"),
    "image id of 5000 chars": ("3/account/me/images/0", {"id": LONG_ID}, "'xxxx"),
    "image without id": ("3/account/me/images/0", {"id": None}, "without an id"),
    "image with link null": ("3/account/me/images/0", {"id": "NoLink1", "link": None},
                             "'NoLink1'"),
    "image not an object": ("3/account/me/images/0", "oops", "image"),
    "album id ../x": ("3/account/me/albums/0", {"id": "../x"}, "'../x'"),
    "favorite id ../x": ("3/account/me/favorites/0/newest", {"id": "../x"}, "'../x'"),
    "favorite with link null": ("3/account/me/favorites/0/newest",
                                {"id": "NoLink2", "is_album": False, "link": None}, "'NoLink2'"),
    "conversation id ../x": ("3/conversations", {"id": "../x"}, "'../x'"),
}


def _with_bad_item(bad: Any) -> Callable[[list[Any]], list[Any]]:
    """Return a page change that adds a copy of the page's first item, spoilt by ``bad``."""
    def change(page: list[Any]) -> list[Any]:
        if not isinstance(bad, dict):
            return [bad, *page]
        item = {**page[0], **bad}
        if item["id"] is None:
            del item["id"]
        return [item, *page]
    return change


@pytest.mark.parametrize("case", BAD_ITEMS)
def test_a_malformed_item_is_skipped_and_recorded_and_the_rest_is_mirrored(
        rig: Callable[..., Rig], case: str) -> None:
    made = rig()
    path, bad, named = BAD_ITEMS[case]
    plant(made, path, _with_bad_item(bad))
    before = dict(made.sb.counters.snapshot()["by_status"])
    result = made.pull()
    assert result.outcome == "partial"
    assert made.check() == []  # every good item is mirrored
    [(item, failure)] = failures(made, "item").items()
    assert named in item and failure["occurrences"] == 1
    assert len(item) < 200  # a 5000-character id is not copied into status
    # Nothing of it was saved, and its id never went into a request's path.
    assert made.sb.counters.snapshot()["by_status"].get("404", 0) == before.get("404", 0)
    if isinstance(bad, dict) and bad["id"] is not None:
        assert made.store.get_image(bad["id"]) is None
        assert made.store.get_album(bad["id"]) is None
    again = made.pull()  # the next quick pull meets it again and goes on again
    assert again.outcome == "partial"
    assert failures(made, "item")[item]["occurrences"] == 2
    assert made.check() == []


def test_harmless_and_unusable_fields_are_coerced_and_the_item_kept(
        rig: Callable[..., Rig]) -> None:
    made = rig()
    image_id, album_id = _first_image(made), _first_album(made)

    def spoil(page: list[Any], item_id: str, fields: dict[str, Any]) -> list[Any]:
        return [{**item, **fields} if item["id"] == item_id else item for item in page]

    plant(made, "3/account/me/images/0", lambda page: spoil(page, image_id, {
        "title": ["a"], "datetime": 1e20, "size": "big", "description": {"x": 1},
        "width": float("inf"), "deletehash": "", "mp4": "", "nsfw": None, "edited": 0,
        "name": "\ud800lone surrogate", "section": "\udfff"}))
    plant(made, "3/account/me/albums/0", lambda page: spoil(page, album_id, {
        "title": 2024, "privacy": "0", "cover": "", "datetime": -5, "images_count": "many"}))
    made.sb.world.favorite(made.sb.username, album_id)
    plant(made, "3/account/me/favorites/0/newest", lambda page: [  # the real 2024 shapes
        {**item, "images": None, "tags": None, "vote": "", "topic": "", "topic_id": "",
         "privacy": "0"} if item["is_album"] else
        {**item, "deletehash": "", "name": "", "mp4": "", "hls": "", "nsfw": None,
         "edited": 0} for item in page])
    result = made.pull()
    assert result.outcome == "ok", result.problems
    assert made.check() == []
    image = made.store.get_image(image_id)
    assert image is not None and image["title"] is None and image["datetime"] is None
    album = made.store.get_album(album_id)
    assert album is not None and album["title"] == "2024" and album["datetime"] is None
    assert made.pull().outcome == "ok"


def test_a_listing_page_that_is_not_a_list_fails_that_listing_only(
        rig: Callable[..., Rig]) -> None:
    made = rig()
    assert made.pull().outcome == "ok"
    files = {row["path"] for row in made.store.iter_files()}
    made.sb.world.raw_answer("/3/account/me/images/0", "oops")
    added = made.sb.world.add_image(made.sb.username, "Favorited later", media_kind="stored",
                                    data=render_tiny_png(99))
    made.sb.world.favorite(made.sb.username, added.id)
    result = made.pull(full=True)
    assert result.outcome == "partial"
    assert list(failures(made, "listing")) == ["images"]
    # No removals from the listing that failed; the other sections went on.
    assert made.store.counts()["images_removed"] == 0
    assert files <= {row["path"] for row in made.store.iter_files()}
    assert list(made.root.glob(f"favorites/*{added.id}*"))
    made.sb.world.raw_answer("/3/account/me/images/0", remove=True)
    assert made.pull(full=True).outcome == "ok"
    assert failures(made, "listing") == {}
    assert made.check() == []


def test_an_album_image_list_that_is_not_a_list_keeps_the_album_as_it_was(
        rig: Callable[..., Rig]) -> None:
    made = rig()
    assert made.pull().outcome == "ok"
    album_id = _first_album(made)
    members = sorted(row["path"] for row in made.store.iter_files("album")
                     if row["album_id"] == album_id)
    made.sb.world.retitle_album(album_id, "Retitled, so fetched again")
    made.sb.world.raw_answer(f"/3/album/{album_id}/images", {"0": {"id": "abc"}})
    result = made.pull()
    assert result.outcome == "partial"
    [item] = failures(made, "item")
    assert album_id in item
    assert sorted(row["path"] for row in made.store.iter_files("album")
                  if row["album_id"] == album_id) == members
    assert made.pull().outcome == "partial"  # fetched again, refused again, no traceback
    assert failures(made, "item")[item]["occurrences"] == 2


def test_a_conversation_page_that_is_not_one_is_kept_as_it_was(
        rig: Callable[..., Rig]) -> None:
    made = rig()
    [first, second, *_] = made.transport.request("GET", "3/conversations")
    made.sb.world.raw_answer(f"/3/conversations/{first['id']}/1/0", "oops")
    plant(made, f"3/conversations/{second['id']}/1/0", lambda data: {
        **data, "messages": [{"id": "../x", "body": "spoilt"}, *data["messages"]]})
    result = made.pull()
    assert result.outcome == "partial"
    assert made.store.iter_messages(first["id"]) == []  # kept as it was: not there yet
    assert len(made.store.iter_messages(second["id"])) == second["message_count"]
    assert {item.split(":")[1].strip() for item in failures(made, "item")} == {
        f"conversation {first['id']}", f"conversation {second['id']}"}
    assert made.pull().outcome == "partial"


def test_rows_an_older_version_saved_unchecked_do_not_stop_the_pull(
        rig: Callable[..., Rig]) -> None:
    made = rig()
    made.store.save_images([{"id": "../x", "link": "https://i.imgur.com/x.png"},
                            {"id": "NoLink3", "link": None}], owned=True)
    assert made.pull().outcome == "ok"
    assert made.check() == []


def test_cli_pull_with_a_malformed_item_exits_3_and_status_lists_it(
        demo: Sandbox, tmp_path: Path) -> None:
    write_config(tmp_path, demo)
    planted = requests.post(f"{demo.url}/__sandbox__/mutate/raw_answer", timeout=10, json={
        "path": "/3/conversations", "data": [{"id": "../x", "with_account": "x"}]})
    assert planted.status_code == 200, planted.text
    for _ in range(2):
        done = _cli(tmp_path, "pull")
        assert done.returncode == 3, done.stderr
        assert "Traceback" not in done.stderr
        assert "failed: messages: conversation '../x'" in done.stderr
    status = _cli(tmp_path, "status")
    assert "conversation '../x'" in status.stdout


# -- finding 12: symlinked folders inside the mirror are not written through ---------------------


def _swap_for_link(folder: Path, elsewhere: Path) -> None:
    """Move ``folder`` to ``elsewhere`` and leave a symlink to it in its place."""
    shutil.move(folder, elsewhere)
    folder.symlink_to(elsewhere, target_is_directory=True)


def test_a_symlinked_images_folder_is_not_written_through(rig: Callable[..., Rig],
                                                          tmp_path: Path) -> None:
    made = rig()
    assert made.pull().outcome == "ok"
    elsewhere = tmp_path / "elsewhere"
    _swap_for_link(made.root / "images", elsewhere)
    there = snapshot_tree(elsewhere)
    added = made.sb.world.add_image(made.sb.username, "New", media_kind="stored",
                                    data=render_tiny_png(5))
    result = made.pull()
    assert snapshot_tree(elsewhere) == there  # nothing written outside the root
    assert not list(made.root.rglob(f"*{added.id}*"))
    assert result.outcome == "partial"
    assert "images" in failures(made, "download")
    assert "symbolic link" in failures(made, "download")["images"]["reason"]
    report = verify(made.root, made.store, repair=True, transport=made.transport)
    assert not report.ok
    assert all("images is a symbolic link" in report.reason(p) for p in report.remaining)
    assert {p.path.split("/")[0] for p in report.remaining} == {"images"}
    assert snapshot_tree(elsewhere) == there
    assert {f["item"].split("/")[0] for f in made.store.open_failures()
            if f["kind"] == "verify"} == {"images"}


def test_a_symlinked_album_folder_is_not_written_through(rig: Callable[..., Rig],
                                                         tmp_path: Path) -> None:
    made = rig()
    assert made.pull().outcome == "ok"
    album = made.sb.world.albums_of(made.sb.username)[0]
    [folder] = (made.root / "albums").glob(f"*[[]{album.id}[]]")
    elsewhere = tmp_path / "elsewhere"
    _swap_for_link(folder, elsewhere)
    there = snapshot_tree(elsewhere)
    assert there  # the album's files: one leaves the album, which would unlink it there
    others = [i.id for i in made.sb.world.images_of(made.sb.username)
              if i.id not in album.image_ids]
    made.sb.world.remove_album_images(album.id, album.image_ids[:1])
    made.sb.world.add_album_images(album.id, others[:2])
    result = made.pull(full=True)
    assert snapshot_tree(elsewhere) == there
    assert result.outcome == "partial"
    rel = folder.relative_to(made.root).as_posix()
    assert list(failures(made, "download")) == [rel]


# -- finding 1: a mirror root that vanished or emptied ----------------------------------------


def test_a_missing_root_with_files_recorded_is_not_made_again(rig: Callable[..., Rig],
                                                              tmp_path: Path) -> None:
    made = rig()
    assert made.pull().outcome == "ok"
    made.root.rename(tmp_path / "unmounted")
    downloads = made.sb.counters.snapshot()["media_requests"]
    with pytest.raises(ImgurSyncError, match=r"is missing although \d+ files were mirrored "
                                             r"there: is its disk mounted\?"):
        made.pull()
    with pytest.raises(ImgurSyncError, match="is missing although"):
        verify(made.root, made.store, repair=True, transport=made.transport)
    assert not made.root.exists()
    assert made.sb.counters.snapshot()["media_requests"] == downloads
    made.root.mkdir()  # the way out the message gives: the user makes it, and is warned
    assert made.pull().outcome == "partial"
    assert str(made.root) in failures(made, "root")
    assert verify(made.root, made.store, repair=True, transport=made.transport).ok
    assert made.pull().outcome == "ok"
    assert failures(made, "root") == {}
    assert made.check() == []


def test_an_emptied_root_moves_and_removes_nothing(rig: Callable[..., Rig],
                                                   tmp_path: Path) -> None:
    made = rig(on_remote_delete="trash")
    assert made.pull().outcome == "ok"
    recorded = {row["path"] for row in made.store.iter_files()}
    away = tmp_path / "away"
    away.mkdir()
    for entry in made.root.iterdir():
        shutil.move(entry, away)
    world, me = made.sb.world, made.sb.username
    images = world.images_of(me)
    world.delete_image(images[0].id)
    world.retitle_image(images[1].id, "Renamed while unmounted")
    result = made.pull(full=True)
    assert not (made.root / ".trash").exists()
    assert recorded <= {row["path"] for row in made.store.iter_files()}  # no record dropped
    assert result.outcome == "partial"
    assert "it is empty although" in failures(made, "root")[str(made.root)]["reason"]
    # Back in place: the next pull renames and trashes as it should, and the warning goes.
    shutil.rmtree(made.root)
    shutil.move(away, made.root)
    assert made.pull(full=True).outcome == "ok"
    assert failures(made, "root") == {}
    assert list(made.root.glob(f"images/Renamed while unmounted [[]{images[1].id}[]].*"))
    assert list((made.root / ".trash").rglob(f"*{images[0].id}*"))
