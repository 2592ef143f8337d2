"""Deciding what the folder tree should hold, and what to do to get there (pure: no I/O).

``desired_tree`` turns the mirrored state (rows from the store) into the files the tree
should hold; ``plan_changes`` compares them with the files already recorded and returns the
actions that close the gap. Every image has exactly one *canonical* file, the one that is
downloaded: ``images/…`` for the account's own images, else its first place among the
favorites. Every other place (album folders, favorites, gallery favorites) links to it.

A recorded file that is no longer wanted is renamed when the same item now lives elsewhere
(a retitle, a new position), unlinked when it was only a link for a membership that ended,
and otherwise kept (or moved to ``.trash`` when ``on_remote_delete = "trash"``): nothing the
mirror downloaded is ever deleted outright.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from .. import sections
from . import layout

__all__ = ["Action", "Snapshot", "Want", "desired_tree", "place_order", "plan_changes"]

# The roles of the places _collect_places fills, in the order it fills them.
_PLACED = ("image", "album", "favorite", "gallery_favorite")


@dataclass(frozen=True)
class Want:
    """A file the tree should hold."""

    path: str
    role: str  # image | album | favorite | gallery_favorite | message
    image_id: str | None = None
    container: str | None = None  # the album (or conversation) the file belongs to
    canonical: str | None = None  # for links: the path of the file they link to
    url: str | None = None  # for downloads
    size: int | None = None
    mtime: float | None = None
    text: str | None = None  # for message transcripts

    @property
    def key(self) -> tuple[str, str | None, str | None]:
        """What the file is, whatever its name: role, container and item."""
        return (self.role, self.container, self.image_id)

    @property
    def is_download(self) -> bool:
        return self.url is not None


@dataclass(frozen=True)
class Action:
    """One step: download, link, write (a transcript), rename, unlink or trash."""

    kind: str
    path: str
    want: Want | None = None
    source: str | None = None  # rename/trash: the file's present path

    def describe(self) -> str:
        """Return one line for ``--dry-run``."""
        if self.kind in ("rename", "trash"):
            return f"{self.kind:8} {self.source} -> {self.path}"
        return f"{self.kind:8} {self.path}"


@dataclass
class Snapshot:
    """The mirrored state the tree is built from (plain rows, as the store returns them)."""

    images: Mapping[str, Mapping[str, Any]]  # id -> image row (owned or not, not removed)
    albums: list[Mapping[str, Any]] = field(default_factory=list)  # own albums, not removed
    members: Mapping[str, list[str]] = field(default_factory=dict)  # album id -> image ids
    favorites: list[Mapping[str, Any]] = field(default_factory=list)  # rows, listing order
    gallery_favorites: list[Mapping[str, Any]] = field(default_factory=list)
    favorite_members: Mapping[str, list[str]] = field(default_factory=dict)  # fav. albums
    transcripts: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # conv -> (who, md)
    sections: frozenset[str] = field(default_factory=lambda: frozenset(sections.names()))
    # image id -> paths of real (not symlinked) files already holding its bytes: when one of
    # them is still a wanted place, it stays the original, so nothing is downloaded twice.
    originals: Mapping[str, frozenset[str]] = field(default_factory=dict)


def _ext(image: Mapping[str, Any]) -> str:
    return layout.extension(image.get("type"), image.get("link"))


def desired_tree(snap: Snapshot) -> dict[str, Want]:
    """Return every file the tree should hold, by relative path."""
    places: list[tuple[str, str, str, str | None]] = []  # (path, role, image id, container)

    def place(path: PurePosixPath, role: str, image_id: str, container: str | None) -> None:
        image = snap.images.get(image_id)
        if image is None:
            return  # not mirrored (yet): nothing to put there
        if image.get("media_removed") and image_id not in snap.originals:
            return  # Imgur serves removed.png for it and we never had it: nothing to save
        places.append((str(path), role, image_id, container))

    _collect_places(snap, place)
    canonical: dict[str, str] = {}
    for path, _role, image_id, _container in places:  # a copy we have wins, else the first
        if path in snap.originals.get(image_id, ()):
            canonical.setdefault(image_id, path)
    for path, _role, image_id, _container in places:
        canonical.setdefault(image_id, path)
    wants: dict[str, Want] = {}
    for path, role, image_id, container in places:
        if path in wants:
            continue
        if canonical[image_id] == path:
            image = snap.images[image_id]
            wants[path] = Want(path, role, image_id, container, url=image.get("link"),
                               size=image.get("size"), mtime=image.get("datetime"))
        else:
            wants[path] = Want(path, role, image_id, container, canonical=canonical[image_id])
    if "messages" in snap.sections:
        for conversation_id, (who, text) in snap.transcripts.items():
            rel = str(layout.message_path(who, conversation_id))
            wants[rel] = Want(rel, "message", None, str(conversation_id), text=text)
    return wants


def _collect_places(snap: Snapshot,
                    place: Callable[[PurePosixPath, str, str, str | None], None]) -> None:
    """Call ``place`` for every spot an image should appear in, in priority order."""
    if "images" in snap.sections:
        for image in sorted(snap.images.values(), key=lambda i: i["id"]):
            if image.get("owned"):
                place(layout.image_path(image.get("title"), image["id"], _ext(image)),
                      "image", image["id"], None)
    if "albums" in snap.sections:
        for album in snap.albums:
            ids = snap.members.get(album["id"], [])
            for position, image_id in enumerate(ids, start=1):
                image = snap.images.get(image_id)
                if image is not None:
                    place(layout.album_member_path(
                        album.get("title"), album["id"], position, len(ids),
                        image.get("title"), image_id, _ext(image)), "album", image_id,
                        album["id"])
    for section, rows, gallery in (("favorites", snap.favorites, False),
                                   ("gallery_favorites", snap.gallery_favorites, True)):
        if section not in snap.sections:
            continue
        role = "gallery_favorite" if gallery else "favorite"
        for row in rows:
            item_id = row["item_id"]
            if row["kind"] == "image":
                image = snap.images.get(item_id)
                if image is not None:
                    place(layout.favorite_path("image", image.get("title"), item_id,
                                               _ext(image), gallery), role, item_id, None)
                continue
            ids = snap.favorite_members.get(item_id, [])
            for position, image_id in enumerate(ids, start=1):
                image = snap.images.get(image_id)
                if image is not None:
                    place(layout.favorite_album_member_path(
                        _title_of(row), item_id, position, len(ids), image.get("title"),
                        image_id, _ext(image), gallery), role, image_id, item_id)


def place_order() -> tuple[str, ...]:
    """Return every file role, in the order an image's places compete for its real file."""
    return _PLACED + tuple(role for role in sections.file_roles() if role not in _PLACED)


def _title_of(row: Mapping[str, Any]) -> str | None:
    raw = row.get("raw")
    return raw.get("title") if isinstance(raw, Mapping) else None


def text_digest(text: str) -> str:
    """Return the sha256 a transcript's file will have."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def plan_changes(wants: Mapping[str, Want], recorded: Iterable[Mapping[str, Any]], *,
                 removed_images: frozenset[str] = frozenset(),
                 removed_albums: frozenset[str] = frozenset(), trash: bool = False,
                 ) -> list[Action]:
    """Return the actions that turn the recorded files into the wanted tree, in safe order.

    Order matters: renames first (they free and fill names), then downloads (canonical
    files), then links to them, then transcripts, then unlinks and trashing.
    """
    by_key: dict[tuple[str, str | None, str | None], Mapping[str, Any]] = {}
    present: dict[str, Mapping[str, Any]] = {}
    for row in recorded:
        present[row["path"]] = row
        by_key.setdefault(_key(row), row)
    renames, downloads, links, writes, retire = [], [], [], [], []
    taken = set(present)
    moved_from: set[str] = set()
    for path, want in wants.items():
        row = present.get(path)
        if row is not None and _key(row) == want.key:
            if want.text is not None and row.get("sha256") != text_digest(want.text):
                writes.append(Action("write", path, want))
            continue
        old = by_key.get(want.key)
        if (old is not None and old["path"] not in wants and old["path"] not in moved_from
                and path not in taken):
            renames.append(Action("rename", path, want, source=old["path"]))
            moved_from.add(old["path"])
            taken.add(path)
            continue
        kind = "write" if want.text is not None else "download" if want.is_download else "link"
        {"write": writes, "download": downloads, "link": links}[kind].append(
            Action(kind, path, want))
    # An image is anchored when a copy of it stays in the tree whatever happens to this row.
    anchored = {w.image_id for w in wants.values() if w.image_id}
    anchored |= {r["image_id"] for r in present.values() if r["role"] == "image"}
    for path, row in present.items():
        if path in wants or path in moved_from:
            continue
        container_gone = row.get("album_id") in removed_albums
        if (row["role"] in ("album", "favorite", "gallery_favorite") and not container_gone
                and row.get("image_id") in anchored):
            retire.append(Action("unlink", path, source=path))  # a link whose place ended
            continue
        gone = container_gone or row.get("image_id") in removed_images
        if trash and gone:
            retire.append(Action("trash", str(layout.trash_path(PurePosixPath(path))),
                                 source=path))
        # Otherwise kept where it is: a backup never deletes what it saved.
    return renames + downloads + links + writes + retire


def _key(row: Mapping[str, Any]) -> tuple[str, str | None, str | None]:
    return (row["role"], row.get("album_id"), row.get("image_id"))
