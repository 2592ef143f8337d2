"""batches.py and the store's change marks: the tree planned a batch of images at a time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from imgur_sync.mirror.batches import Planner
from imgur_sync.mirror.plan import Action
from imgur_sync.store import Store

MEMBERS = "favorite_album_members:"
SECTIONS = frozenset({"images", "albums", "favorites", "gallery_favorites", "messages"})


def image(image_id: str, title: str = "Cat") -> dict[str, Any]:
    return {"id": image_id, "title": title, "type": "image/png", "size": 94,
            "link": f"https://i.imgur.com/{image_id}.png", "datetime": 1406927327}


def album(album_id: str, title: str = "Trip") -> dict[str, Any]:
    return {"id": album_id, "title": title, "images_count": 0}


@pytest.fixture
def store() -> Store:
    with Store(None, clock=lambda: 1000.0) as store:
        yield store


def planner(store: Store, tmp_path: Path, trash: bool = False) -> Planner:
    return Planner(store, SECTIONS, root=tmp_path, links="hardlink", trash=trash,
                   members_cursor=MEMBERS)


def plan(store: Store, tmp_path: Path, *, size: int, changed_only: bool = False,
         trash: bool = False, apply: bool = True) -> list[tuple[str, str, str | None]]:
    """Plan in batches of ``size`` and, as the pull does, apply each (recording its files)
    and clear its marks before the next; return every action as (kind, path, source)."""
    done: list[tuple[str, str, str | None]] = []
    for batch in planner(store, tmp_path, trash).batches(changed_only=changed_only, size=size):
        done += [(a.kind, a.path, a.source) for a in batch.actions]
        if apply:
            for action in batch.actions:
                record(store, action)
            store.clear_changed(batch.ids, batch.generation)
    return done


def record(store: Store, action: Action) -> None:
    """What the applier leaves in the store for an action (no disk: the plan is tested)."""
    if action.source is not None:
        store.forget_file(action.source)
    if action.want is not None and action.kind != "trash":
        want = action.want
        store.record_file(action.path, image_id=want.image_id, role=want.role,
                          album_id=want.container, size=94, sha256="0" * 64, mtime=1.0)


def test_an_album_whose_members_span_batches_is_planned_as_a_whole(
        store: Store, tmp_path: Path) -> None:
    ids = ["aaa1111", "bbb2222", "ccc3333"]
    store.save_images([image(i, f"Pic {n}") for n, i in enumerate(ids)], owned=True)
    store.save_album(album("trip123"))
    store.set_album_images("trip123", ["ccc3333", "aaa1111", "bbb2222"])
    whole = plan(store, tmp_path, size=1000, apply=False)
    batched = plan(store, tmp_path, size=1, apply=False)
    assert sorted(batched) == sorted(whole)
    # Positions count the whole album, whichever batch holds its other members.
    assert ("link", "albums/Trip [trip123]/001 Pic 2 [ccc3333].png", None) in batched
    assert ("link", "albums/Trip [trip123]/003 Pic 1 [bbb2222].png", None) in batched
    # Each image's link comes after its own download, in the same batch.
    assert [k for k, p, _ in batched if "aaa1111" in p] == ["download", "link"]


def test_a_batch_boundary_between_an_image_and_its_album_link_keeps_one_download(
        store: Store, tmp_path: Path) -> None:
    store.save_images([image("aaa1111")], owned=False)  # a member only: its album holds it
    store.save_images([image("zzz9999", "Dog")], owned=True)
    store.save_album(album("trip123"))
    store.set_album_images("trip123", ["zzz9999", "aaa1111"])
    actions = plan(store, tmp_path, size=1)
    assert sorted(actions) == [
        ("download", "albums/Trip [trip123]/002 Cat [aaa1111].png", None),
        ("download", "images/Dog [zzz9999].png", None),
        ("link", "albums/Trip [trip123]/001 Dog [zzz9999].png", None)]
    assert plan(store, tmp_path, size=1) == []  # applied: nothing left to do


def test_a_retitled_album_renames_members_in_two_batches_and_only_them(
        store: Store, tmp_path: Path) -> None:
    store.save_images([image(i) for i in ("aaa1111", "bbb2222", "other99")], owned=True)
    store.save_album(album("trip123"))
    store.set_album_images("trip123", ["aaa1111", "bbb2222"])
    plan(store, tmp_path, size=1, changed_only=True)  # the first pull: everything is marked
    assert store.count_changed() == 0
    store.save_album(album("trip123", "Holiday"))
    assert store.count_changed() == 2  # its two members, not the image outside it
    assert sorted(plan(store, tmp_path, size=1, changed_only=True)) == [
        ("rename", "albums/Holiday [trip123]/001 Cat [aaa1111].png",
         "albums/Trip [trip123]/001 Cat [aaa1111].png"),
        ("rename", "albums/Holiday [trip123]/002 Cat [bbb2222].png",
         "albums/Trip [trip123]/002 Cat [bbb2222].png")]
    assert store.count_changed() == 0


def test_a_removed_image_goes_to_the_trash_from_its_own_batch(
        store: Store, tmp_path: Path) -> None:
    store.save_images([image("aaa1111"), image("bbb2222", "Dog")], owned=True)
    plan(store, tmp_path, size=1, trash=True)
    store.mark_removed("images", "bbb2222")
    assert plan(store, tmp_path, size=1, changed_only=True, trash=True) == [
        ("trash", ".trash/images/Dog [bbb2222].png", "images/Dog [bbb2222].png")]
    store.mark_removed("images", "aaa1111")
    assert plan(store, tmp_path, size=1, changed_only=True) == []  # kept, without trash


def test_unchanged_rows_saved_again_mark_nothing_and_a_late_mark_survives(
        store: Store, tmp_path: Path) -> None:
    store.save_images([image("aaa1111"), image("bbb2222")], owned=True)
    store.save_album(album("trip123"))
    store.set_cursor(MEMBERS + "fav1234", '["bbb2222"]')
    store.save_favorites([("fav1234", "album", {"title": "Theirs"})], False)
    plan(store, tmp_path, size=1, changed_only=True)
    generation = store.generation()
    store.save_images([image("aaa1111"), image("bbb2222")], owned=True)
    store.save_album(album("trip123"))
    store.set_cursor(MEMBERS + "fav1234", '["bbb2222"]')
    store.save_favorites([("fav1234", "album", {"title": "Theirs"})], False)
    assert (store.count_changed(), store.generation()) == (0, generation)

    [batch] = [b for b in planner(store, tmp_path).batches(changed_only=False, size=1)
               if b.ids == ["aaa1111"]]
    store.save_images([image("aaa1111", "Retitled meanwhile")], owned=True)
    store.clear_changed(batch.ids, batch.generation)  # the batch planned the old title
    assert store.count_changed() == 1 and store.generation() > generation
    store.set_cursor(MEMBERS + "fav1234", '["aaa1111", "bbb2222"]')  # a member moved
    assert sorted(store.image_batches(10, changed_only=True)) == [["aaa1111", "bbb2222"]]


def test_files_of_no_image_are_planned_in_a_last_batch_of_their_own(
        store: Store, tmp_path: Path) -> None:
    store.save_images([image("aaa1111")], owned=True)
    transcripts = {"42": ("alice", "hello\n")}
    made = Planner(store, SECTIONS, root=tmp_path, links="hardlink", trash=False,
                   members_cursor=MEMBERS, transcripts=lambda: transcripts)
    batches = list(made.batches(changed_only=True, size=1))
    assert [b.ids for b in batches] == [["aaa1111"], []]
    assert [(a.kind, a.path) for a in batches[-1].actions] == [
        ("write", "messages/alice [42].md")]
