"""plan.py on its own: which files the tree should hold, and the steps that get it there."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from imgur_sync.mirror.plan import Action, Snapshot, Want, desired_tree, plan_changes, text_digest

CAT, DOG = "cat1234", "dog5678"
TRIP = "trip123"
CAT_IMAGE = "images/Cat [cat1234].png"
CAT_IN_TRIP = "albums/Trip [trip123]/001 Cat [cat1234].png"


def image(image_id: str, title: str | None = "Cat", *, owned: bool = True,
          media_removed: bool = False) -> dict[str, Any]:
    """An image row with the columns the pull plans from (mirror.PLAN_COLUMNS)."""
    return {"id": image_id, "title": title, "type": "image/png", "owned": owned,
            "link": f"https://i.imgur.com/{image_id}.png", "size": 94, "datetime": 1406927327,
            "media_removed": media_removed}


def album(album_id: str = TRIP, title: str = "Trip") -> dict[str, Any]:
    return {"id": album_id, "title": title}


def row(path: str, role: str, image_id: str | None, album_id: str | None = None,
        sha256: str | None = None) -> dict[str, Any]:
    """A recorded file, as the store's ``files`` table lists it."""
    return {"path": path, "role": role, "image_id": image_id, "album_id": album_id,
            "sha256": sha256}


def recorded_for(wants: Mapping[str, Want]) -> list[dict[str, Any]]:
    """The rows a finished pull leaves for ``wants``: the tree as planned, all on disk."""
    return [row(w.path, w.role, w.image_id, w.container,
                text_digest(w.text) if w.text is not None else None) for w in wants.values()]


def plan(snap: Snapshot, recorded: list[dict[str, Any]], **kwargs: Any) -> list[tuple]:
    """Plan and return each action as (kind, path, source)."""
    return [(a.kind, a.path, a.source) for a in
            plan_changes(desired_tree(snap), recorded, **kwargs)]


def test_an_image_in_images_and_an_album_is_stored_once_and_linked() -> None:
    snap = Snapshot(images={CAT: image(CAT)}, albums=[album()], members={TRIP: [CAT]})
    wants = desired_tree(snap)
    assert set(wants) == {CAT_IMAGE, CAT_IN_TRIP}
    canonical, link = wants[CAT_IMAGE], wants[CAT_IN_TRIP]
    assert canonical.is_download and canonical.url == "https://i.imgur.com/cat1234.png"
    assert (canonical.size, canonical.mtime) == (94, 1406927327)
    assert not link.is_download and link.canonical == CAT_IMAGE and link.container == TRIP
    # The download comes before the link that points at it.
    assert [a.kind for a in plan_changes(wants, [])] == ["download", "link"]


def test_a_copy_already_held_stays_the_original() -> None:
    """An album file that holds the bytes is kept as the original; images/ links to it."""
    snap = Snapshot(images={CAT: image(CAT)}, albums=[album()], members={TRIP: [CAT]},
                    originals={CAT: frozenset({CAT_IN_TRIP})})
    wants = desired_tree(snap)
    assert wants[CAT_IN_TRIP].is_download
    assert wants[CAT_IMAGE].canonical == CAT_IN_TRIP


def test_a_second_favorite_of_an_image_not_owned_links_to_the_first() -> None:
    snap = Snapshot(images={DOG: image(DOG, "Dog", owned=False)},
                    favorites=[{"item_id": DOG, "kind": "image"}],
                    gallery_favorites=[{"item_id": DOG, "kind": "image"}])
    wants = desired_tree(snap)
    first, second = "favorites/Dog [dog5678].png", "gallery-favorites/Dog [dog5678].png"
    assert wants[first].is_download and wants[second].canonical == first


def test_a_tree_that_matches_needs_nothing() -> None:
    snap = Snapshot(images={CAT: image(CAT)}, albums=[album()], members={TRIP: [CAT]},
                    transcripts={"42": ("bob", "# bob\n")})
    wants = desired_tree(snap)
    assert plan_changes(wants, recorded_for(wants)) == []


def test_a_retitled_image_is_renamed_not_downloaded_again() -> None:
    old = desired_tree(Snapshot(images={CAT: image(CAT)}))
    new = Snapshot(images={CAT: image(CAT, "Tabby")})
    assert plan(new, recorded_for(old)) == [
        ("rename", "images/Tabby [cat1234].png", CAT_IMAGE)]


def test_a_retitled_album_renames_its_members() -> None:
    before = Snapshot(images={CAT: image(CAT)}, albums=[album()], members={TRIP: [CAT]})
    after = Snapshot(images={CAT: image(CAT)}, albums=[album(title="Rome")],
                     members={TRIP: [CAT]})
    assert plan(after, recorded_for(desired_tree(before))) == [
        ("rename", "albums/Rome [trip123]/001 Cat [cat1234].png", CAT_IN_TRIP)]


def test_an_ended_album_membership_unlinks_the_link_and_keeps_the_image() -> None:
    before = Snapshot(images={CAT: image(CAT)}, albums=[album()], members={TRIP: [CAT]})
    after = Snapshot(images={CAT: image(CAT)}, albums=[album()], members={TRIP: []})
    actions = plan_changes(desired_tree(after), recorded_for(desired_tree(before)))
    assert actions == [Action("unlink", CAT_IN_TRIP, source=CAT_IN_TRIP)]


def test_the_only_copy_is_not_unlinked_when_its_membership_ends() -> None:
    """An image not owned and in no other place: its album file is its only copy."""
    before = Snapshot(images={DOG: image(DOG, "Dog", owned=False)}, albums=[album()],
                      members={TRIP: [DOG]})
    after = Snapshot(images={DOG: image(DOG, "Dog", owned=False)}, albums=[album()],
                     members={TRIP: []})
    recorded = recorded_for(desired_tree(before))
    assert plan(after, recorded) == []
    assert plan(after, recorded, trash=True) == []  # not removed upstream: kept in place


def test_an_image_removed_upstream_goes_to_the_trash_when_asked() -> None:
    recorded = recorded_for(desired_tree(Snapshot(images={CAT: image(CAT)})))
    gone = Snapshot(images={})  # the store lists only what is not removed
    assert plan(gone, recorded, removed_images=frozenset({CAT}), trash=True) == [
        ("trash", ".trash/images/Cat [cat1234].png", CAT_IMAGE)]


def test_an_image_removed_upstream_is_kept_without_trash() -> None:
    recorded = recorded_for(desired_tree(Snapshot(images={CAT: image(CAT)})))
    assert plan(Snapshot(images={}), recorded, removed_images=frozenset({CAT})) == []


def test_a_removed_album_goes_to_the_trash_with_its_files() -> None:
    dog = image(DOG, "Dog", owned=False)
    before = Snapshot(images={CAT: image(CAT), DOG: dog}, albums=[album()],
                      members={TRIP: [CAT, DOG]})
    recorded = recorded_for(desired_tree(before))
    after = Snapshot(images={CAT: image(CAT), DOG: dog})  # the album is gone
    actions = plan(after, recorded, removed_albums=frozenset({TRIP}), trash=True)
    assert sorted(actions) == [
        ("trash", ".trash/albums/Trip [trip123]/001 Cat [cat1234].png", CAT_IN_TRIP),
        ("trash", ".trash/albums/Trip [trip123]/002 Dog [dog5678].png",
         "albums/Trip [trip123]/002 Dog [dog5678].png")]
    assert plan(after, recorded, removed_albums=frozenset({TRIP})) == []


def test_removed_media_never_had_is_skipped() -> None:
    """Imgur serves removed.png for it: nothing worth saving, so no place is planned."""
    snap = Snapshot(images={CAT: image(CAT, media_removed=True)}, albums=[album()],
                    members={TRIP: [CAT]})
    assert desired_tree(snap) == {}


def test_removed_media_already_held_is_kept() -> None:
    snap = Snapshot(images={CAT: image(CAT, media_removed=True)},
                    originals={CAT: frozenset({CAT_IMAGE})})
    wants = desired_tree(snap)
    assert list(wants) == [CAT_IMAGE] and wants[CAT_IMAGE].is_download
    assert plan_changes(wants, recorded_for(wants)) == []


def test_sections_left_out_place_nothing() -> None:
    snap = Snapshot(images={CAT: image(CAT)}, albums=[album()], members={TRIP: [CAT]},
                    sections=frozenset({"albums"}))
    wants = desired_tree(snap)
    assert list(wants) == [CAT_IN_TRIP] and wants[CAT_IN_TRIP].is_download


def test_a_changed_transcript_is_written_again() -> None:
    old = desired_tree(Snapshot(images={}, transcripts={"42": ("bob", "# bob\nhi\n")}))
    new = Snapshot(images={}, transcripts={"42": ("bob", "# bob\nhi\nbye\n")})
    actions = plan_changes(desired_tree(new), recorded_for(old))
    assert [(a.kind, a.path) for a in actions] == [("write", "messages/bob [42].md")]
    assert actions[0].want is not None and actions[0].want.text == "# bob\nhi\nbye\n"


def test_actions_come_in_a_safe_order() -> None:
    """Renames free names first; downloads precede links; retiring comes last."""
    before = Snapshot(images={CAT: image(CAT)}, albums=[album()], members={TRIP: [CAT]})
    after = Snapshot(images={CAT: image(CAT, "Tabby"), DOG: image(DOG, "Dog")},
                     albums=[album()], members={TRIP: [DOG]})
    kinds = [kind for kind, _, _ in plan(after, recorded_for(desired_tree(before)))]
    assert kinds == ["rename", "download", "link", "unlink"]


def test_describe_gives_one_line_per_action() -> None:
    assert Action("rename", "b", source="a").describe() == "rename   a -> b"
    assert Action("download", "a").describe() == "download a"
