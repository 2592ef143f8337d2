"""Planning the tree a batch of images at a time, so memory stays flat in the account's size.

Every place a file can have belongs to one image (its name holds the id, and a plan's key
is role, container and image), so the plan of one image never depends on another's: the
ids are planned in id order, ``BATCH`` at a time, each batch from a
:class:`~imgur_sync.mirror.plan.Snapshot` of its own rows (its images, the albums and
favorites that hold them with their whole member counts, its recorded files), through the
same ``desired_tree`` and ``plan_changes`` (docs/ARCHITECTURE.md §Pull). The files of no
image (transcripts, a section's text files) come last, as one batch of their own.

A quick pull plans only the ids the store marked changed (``store/changes.py``); a full
pull, and the first pull after the config changed what the tree holds, plans them all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..store import Store
from .layout import is_id
from .plan import Action, Snapshot, Want, desired_tree, plan_changes

__all__ = ["BATCH", "PLAN_COLUMNS", "Batch", "Planner"]

BATCH = 2000  # image ids per batch: a few MB of rows and actions, and few queries
# Only what naming and downloading need: the raw JSON would multiply the memory.
PLAN_COLUMNS = ("id", "title", "type", "link", "size", "datetime", "owned", "media_removed")
PLANNED_SETTING = "planned_for"  # what the tree was last planned for in full (see Planner)


@dataclass
class Batch:
    """One batch's plan: its image ids ([] for the files of no image), the store's
    generation read before planning them, and the actions."""

    ids: list[str]
    generation: int
    actions: list[Action]


class Planner:
    """Plan the tree for ``sections`` in batches, from the rows in ``store``.

    ``transcripts`` renders the conversations (id -> (with whom, text)); ``files`` gives the
    sections' own files of no image; ``members_cursor`` prefixes the cursor holding a
    favorited album's member ids.
    """

    def __init__(self, store: Store, sections: frozenset[str], *, root: Path, links: str,
                 trash: bool, members_cursor: str,
                 transcripts: Callable[[], Mapping[str, tuple[str, str]]] = dict,
                 files: Callable[[], Iterable[Want]] = lambda: ()) -> None:
        self.store, self.sections, self.root = store, sections, root
        self.links, self.trash, self.members_cursor = links, trash, members_cursor
        self.transcripts, self.files = transcripts, files

    @property
    def key(self) -> str:
        """What the tree is planned for: when it changes, every image must be planned."""
        return json.dumps([sorted(self.sections), self.links, self.trash])

    def needs_all(self) -> bool:
        """True when the last whole plan was for another config (or there was none)."""
        return self.store.get_setting(PLANNED_SETTING) != self.key

    def planned_all(self) -> None:
        """Note that the tree was planned and applied whole for this config."""
        self.store.set_setting(PLANNED_SETTING, self.key)

    def batches(self, *, changed_only: bool, size: int = BATCH) -> Iterator[Batch]:
        """Yield the plan batch by batch; apply each before asking for the next."""
        favorites = [_slim(r) for r in self.store.iter_favorites(False) if is_id(r["item_id"])]
        gallery = [_slim(r) for r in self.store.iter_favorites(True) if is_id(r["item_id"])]
        members: dict[str, list[str]] = {}
        for row in favorites + gallery:
            if row["kind"] == "album":
                members[row["item_id"]] = json.loads(
                    self.store.get_cursor(self.members_cursor + row["item_id"]) or "[]")
        context = Snapshot(images={}, favorites=favorites, gallery_favorites=gallery,
                           favorite_members=members, sections=self.sections)
        for ids in self.store.image_batches(size, changed_only=changed_only):
            generation = self.store.generation()
            yield Batch(ids, generation, self._plan(ids, context))
        generation = self.store.generation()
        wants = desired_tree(Snapshot(
            images={}, sections=self.sections,
            transcripts=self.transcripts() if "messages" in self.sections else {}))
        for want in self.files():
            wants.setdefault(want.path, want)
        recorded = self.store.iter_unplaced_files(("path", "role", "album_id", "image_id",
                                                   "sha256"))
        yield Batch([], generation, plan_changes(wants, recorded, trash=self.trash))

    def _plan(self, ids: list[str], context: Snapshot) -> list[Action]:
        """Return the actions for one batch of image ids."""
        rows = self.store.plan_rows(ids, PLAN_COLUMNS)
        # Rows an older version saved unchecked (a bad id, no link) cannot be placed.
        images = {row["id"]: row for row in rows.images
                  if row["removed_at"] is None and is_id(row["id"]) and row["link"]}
        albums: list[Mapping[str, Any]] = []
        album_members: dict[str, list[str]] = {}
        for place in rows.places:
            if not is_id(place["album_id"]):
                continue
            ids_there = album_members.get(place["album_id"])
            if ids_there is None:  # "" stands for a member of another batch: not placed here
                albums.append({"id": place["album_id"], "title": place["title"]})
                ids_there = album_members[place["album_id"]] = [""] * place["count"]
            ids_there[place["position"] - 1] = place["image_id"]
        snapshot = Snapshot(images=images, albums=albums, members=album_members,
                            favorites=context.favorites,
                            gallery_favorites=context.gallery_favorites,
                            favorite_members=context.favorite_members,
                            sections=self.sections, originals=self._originals(rows.files))
        return plan_changes(
            desired_tree(snapshot), rows.files,
            removed_images=frozenset(r["id"] for r in rows.images if r["removed_at"] is not None),
            removed_albums=rows.removed_albums, trash=self.trash)

    def _originals(self, recorded: list[dict[str, Any]]) -> dict[str, frozenset[str]]:
        """Map each image to the recorded files that hold its bytes (not symlinks)."""
        found: dict[str, set[str]] = {}
        for row in recorded:
            # Symlinks only exist in symlink mode, and only for non-originals: look only then.
            if (self.links == "symlink" and row["role"] != "image"
                    and (self.root / row["path"]).is_symlink()):
                continue
            found.setdefault(row["image_id"], set()).add(row["path"])
        return {image_id: frozenset(paths) for image_id, paths in found.items()}


def _slim(row: dict[str, Any]) -> dict[str, Any]:
    """A favorite as the plan reads it: its id, kind and title, not Imgur's whole record."""
    raw = row.get("raw")
    try:
        record = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        record = None
    title = record.get("title") if isinstance(record, dict) else None
    return {"item_id": row["item_id"], "kind": row["kind"], "raw": {"title": title}}

