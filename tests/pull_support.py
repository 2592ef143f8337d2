"""Shared helpers for the pull tests: a config for a sandbox, and the folder tree's invariants.

The checks are plain functions that return a list of problems (empty when the tree is
right), so a failing test shows every problem at once. They compare the tree on disk with
the sandbox's world, the one source of truth, and with the store's records.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import subprocess
import sys
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from support import sandbox_config, web_post_ids

from imgur_sync.mirror.files import TEMP_PREFIX, TEMP_SUFFIX
from imgur_sync.mirror.gallery import GALLERY_DIR, INDEX
from imgur_sync.mirror.layout import (
    ALBUMS_DIR,
    FAVORITES_DIR,
    GALLERY_FAVORITES_DIR,
    IMAGES_DIR,
    MESSAGES_DIR,
    TRASH_DIR,
)
from imgur_sync.mirror.sidecars import is_metadata_name
from imgur_sync.sandbox import Sandbox, World
from imgur_sync.sandbox.media import image_bytes
from imgur_sync.sandbox.routes_legacy import LEGACY_PAGE
from imgur_sync.store import Store

ROOT = Path(__file__).resolve().parents[1]
# "<anything> [<id>].<ext>" or "<anything> [<id>]" (folders), else "<id>.<ext>" / "<id>".
_BRACKETED = re.compile(r"\[([A-Za-z0-9]+)\](?:\.[a-z0-9]+)?$")
_BARE = re.compile(r"(?:\d{3,} )?([A-Za-z0-9]+)(?:\.[a-z0-9]+)?$")
_POSITION = re.compile(r"(\d{3,}) ")


def write_config(folder: Path, sb: Sandbox, **mirror: str | int | bool) -> Path:
    """Write a config for ``sb`` with the mirror under ``folder``; return its path."""
    return sandbox_config(folder / "config.toml", sb, folder / "mirror", **mirror)


def cli_env(folder: Path, config: Path) -> dict[str, str]:
    """Return an environment for running ``python -m imgur_sync`` with ``config``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMGUR_", "XDG_"))}
    env.pop("STATE_DIRECTORY", None)
    env.update(XDG_STATE_HOME=str(folder / "state"), IMGUR_SYNC_CONFIG=str(config),
               PYTHONPATH=str(ROOT))
    return env


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``imgur-sync args`` in ``env``; return what it did."""
    return subprocess.run([sys.executable, "-m", "imgur_sync", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=90)


def id_of(name: str) -> str | None:
    """Return the Imgur id a file or folder name carries (``[id]``, else the bare id)."""
    if is_partial(name):
        return None
    found = _BRACKETED.search(name) or _BARE.fullmatch(name)
    return found.group(1) if found else None


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def is_partial(name: str) -> bool:
    """Say whether ``name`` is a temporary file of an unfinished write."""
    return name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)


def snapshot_tree(root: Path) -> dict[str, str]:
    """Return every entry under ``root``: relative path -> sha256, link target or 'dir'."""
    out: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            rel = path.relative_to(root).as_posix()
            out[rel] = ("-> " + os.readlink(path) if path.is_symlink() else
                        "dir" if path.is_dir() else sha256(path))
    return out


def dump_database(path: Path) -> list[str]:
    """Return every table's content as SQL text, through a separate connection."""
    with sqlite3.connect(path) as conn:
        dump = list(conn.iterdump())
    conn.close()
    return dump


def _entries(folder: Path, problems: list[str]) -> dict[str, Path]:
    """Return the entries of ``folder`` by the id their names carry; report an id twice."""
    found: dict[str, Path] = {}
    for entry in sorted(folder.iterdir()) if folder.is_dir() else []:
        item_id = id_of(entry.name)  # a name without an id: check_records reports it
        if item_id is not None and found.setdefault(item_id, entry) != entry:
            problems.append(f"{item_id} is there twice: {found[item_id]}, {entry}")
    return found


def _content_problem(path: Path, world: World, image_id: str) -> str | None:
    if image_id not in world.images:
        return f"{path} names {image_id}, which is no image of the account's world"
    want = hashlib.sha256(image_bytes(world.images[image_id])).hexdigest()
    if not path.exists():
        return f"{path} is missing or dangling"
    return None if sha256(path) == want else f"{path} does not hold image {image_id}'s bytes"


def _check_place(entry: Path, image_id: str, world: World, canonical: dict[str, Path],
                 links: str) -> list[str]:
    """Check one place of an image: its bytes, and how it refers to the image's one real file.

    The first place an image takes is its real file (``canonical``); others link to it.
    """
    problem = _content_problem(entry, world, image_id)
    if problem is not None:
        return [problem]
    first = canonical.setdefault(image_id, entry)
    if first == entry:
        return [] if entry.is_file() and not entry.is_symlink() else [f"{entry} is a link"]
    if links == "hardlink":
        same = not entry.is_symlink() and entry.stat().st_ino == first.stat().st_ino
    elif links == "symlink":
        same = entry.is_symlink() and entry.resolve() == first.resolve()
    else:
        same = not entry.is_symlink() and entry.stat().st_ino != first.stat().st_ino
    return [] if same else [f"{entry} is not a {links} of {first}"]


def _check_folder(folder: Path | None, ids: list[str], world: World, canonical: dict[str, Path],
                  links: str, skip: frozenset[str]) -> list[str]:
    """Check an album folder: members ``NNN …[id]`` in album order, linked to the originals."""
    expect = [(position, image_id) for position, image_id in enumerate(ids, start=1)
              if image_id not in skip]
    if folder is None:
        return [f"album folder for {ids} is missing"] if expect else []
    found: list[tuple[int, str]] = []
    problems: list[str] = []
    for entry in sorted(folder.iterdir()):
        if is_partial(entry.name) or is_metadata_name(entry.name):
            continue  # check_safety reports a partial; metadata files are checked apart
        position, image_id = _POSITION.match(entry.name), id_of(entry.name)
        if position is None or image_id is None:
            problems.append(f"{entry} is not named '<NNN> <title> [<id>].<ext>'")
            continue
        found.append((int(position.group(1)), image_id))
        problems += _check_place(entry, image_id, world, canonical, links)
    if found != expect:
        problems.append(f"{folder} holds {found}, the album is {expect}")
    return problems


def _removed(store: Store, table: str, item_id: str) -> bool:
    row = (store.get_album if table == "albums" else store.get_image)(item_id)
    return row is not None and row["removed_at"] is not None


def check_tree(root: Path, store: Store, world: World, username: str, *,
               links: str = "hardlink", skip: Iterable[str] = (),
               unmirrored: Iterable[str] = ()) -> list[str]:
    """Return what is wrong with the mirror of ``username`` under ``root``.

    The tree it should be is docs/ARCHITECTURE.md §Folder tree.

    ``skip`` names images that may not have a file (media Imgur removed); ``unmirrored``
    names sections the sign-in cannot read, which must then have no files at all. Leftovers
    of items the store marks removed upstream are allowed: the mirror keeps them.
    """
    skip = frozenset(skip)
    problems = check_safety(root) + check_records(root, store)
    # images/: exactly one real file per owned image, recorded with role "image".
    owned = {image.id for image in world.images_of(username)} - skip
    canonical: dict[str, Path] = {}
    for image_id, entry in _entries(root / IMAGES_DIR, problems).items():
        record = store.file_for(entry.relative_to(root).as_posix())
        if entry.is_symlink() or not entry.is_file():
            problems.append(f"{entry} is not a regular file")
        elif record is None or record["role"] != "image":
            problems.append(f"{entry} is not recorded as an image file: {record}")
        elif image_id in owned:
            canonical[image_id] = entry
            problems += filter(None, [_content_problem(entry, world, image_id)])
        elif not _removed(store, "images", image_id):
            problems.append(f"{entry} is not an image of the account")
    if set(canonical) != owned:
        problems.append(f"images/ lacks {sorted(owned - set(canonical))}")
    # albums/: one folder per album, its members in album order.
    folders = _entries(root / ALBUMS_DIR, problems)
    for album in world.albums_of(username):
        problems += _check_folder(folders.pop(album.id, None), album.image_ids, world,
                                  canonical, links, skip)
    problems += [f"{path} is not an album of the account" for album_id, path in folders.items()
                 if not _removed(store, "albums", album_id)]
    # favorites/ and gallery-favorites/: image favorites as files, album favorites as folders.
    unmirrored = frozenset(unmirrored)
    for section, gallery in ((FAVORITES_DIR, False), (GALLERY_FAVORITES_DIR, True)):
        entries = _entries(root / section, problems)
        if ("gallery_favorites" if gallery else "favorites") in unmirrored:
            problems += [f"{path} is in a section not mirrored" for path in entries.values()]
            continue
        for item in world.favorites_of(username, gallery_only=gallery):
            entry = entries.pop(item.id, None)
            if hasattr(item, "image_ids"):
                problems += _check_folder(entry, item.image_ids, world, canonical, links, skip)
            elif item.id in skip:
                continue
            elif entry is None:
                problems.append(f"{section}/ lacks the favorite {item.id}")
            else:
                problems += _check_place(entry, item.id, world, canonical, links)
        gone = {row["item_id"] for row in store.iter_favorites(gallery, include_removed=True)
                if row["removed_at"] is not None}
        problems += [f"{path} is not a favorite" for item_id, path in entries.items()
                     if item_id not in gone and not _removed(store, "images", item_id)]
    if "messages" in unmirrored:
        problems += [f"{path} is in a section not mirrored"
                     for path in _entries(root / MESSAGES_DIR, problems).values()]
    else:
        problems += check_transcripts(root, world, username)
    return problems


def check_transcripts(root: Path, world: World, username: str) -> list[str]:
    """Check one readable .md per conversation, holding every message's body."""
    problems: list[str] = []
    files = _entries(root / MESSAGES_DIR, problems)
    for conversation in world.conversations_of(username):
        path = files.pop(str(conversation.id), None)
        if path is None:
            problems.append(f"no transcript of conversation {conversation.id}")
            continue
        text = path.read_text(encoding="utf-8")
        problems += [f"{path.name} lacks message {m.body!r}" for m in conversation.messages
                     if m.body not in text]
    return problems + [f"{path} is not a conversation" for path in files.values()]


def check_safety(root: Path) -> list[str]:
    """Return entries that are named unsafely, leave ``root``, or are unfinished writes."""
    problems = []
    top = root.resolve()
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in dirs + files:
            path = Path(folder, name)
            if name in (".", "..") or any(unicodedata.category(ch) == "Cc" for ch in name):
                problems.append(f"unsafe name {name!r} in {folder}")
            if is_partial(name):
                problems.append(f"partial file left: {path}")
            if not path.resolve().is_relative_to(top):
                problems.append(f"{path} leads outside the root to {path.resolve()}")
            if path.is_symlink() and not path.exists():
                problems.append(f"{path} is a dangling link to {os.readlink(path)}")
    return problems


def check_records(root: Path, store: Store) -> list[str]:
    """Return disagreements between the files on disk (outside .trash) and the store."""
    on_disk = set()
    for folder, dirs, files in os.walk(root):
        # The gallery (index.html, .gallery/) and metadata files (sidecars, album.json,
        # account.json) are derived, never recorded.
        dirs[:] = [d for d in dirs if Path(folder, d) not in (root / TRASH_DIR,
                                                               root / GALLERY_DIR)]
        on_disk.update(Path(folder, name).relative_to(root).as_posix() for name in files
                       if not is_metadata_name(name) and Path(folder, name) != root / INDEX)
    recorded = {row["path"] for row in store.iter_files()}
    return ([f"{path} is on disk but not recorded" for path in sorted(on_disk - recorded)]
            + [f"{path} is recorded but not on disk" for path in sorted(recorded - on_disk)])


def minimum_requests(sb: Sandbox, *, full: bool = True) -> int:
    """Return the fewest API calls a full pull can make: every listing page + one per album."""
    world, options, me = sb.world, sb.options, sb.username

    def pages(count: int, size: int) -> int:  # pages with items, plus the empty last one
        return -(-count // size) + 1

    favorites = world.favorites_of(me)
    gallery = world.favorites_of(me, gallery_only=True)
    favorite_albums = {item.id for item in favorites + gallery if hasattr(item, "image_ids")}
    conversations = world.conversations_of(me)
    return (pages(len(world.images_of(me)), options.page_size)
            + pages(len(world.albums_of(me)), options.page_size) + len(world.albums_of(me))
            + pages(len(favorites), options.favorites_page_size)
            + pages(len(gallery), options.favorites_page_size) + len(favorite_albums)
            + 1 + sum(-(-len(c.messages) // LEGACY_PAGE) for c in conversations))


def minimum_web_requests(sb: Sandbox) -> int:
    """The fewest calls a full pull signed in by cookie can make, where Imgur refuses the
    cookie as a Bearer token: every page of posts and hidden albums (albums carry their
    images), then the public gallery favorites and their albums. A process tries the cookie
    as Bearer once, so its first pull makes one call more."""
    world, options, me = sb.world, sb.options, sb.username

    def pages(count: int, size: int) -> int:  # pages with items, plus the empty last one
        return -(-count // size) + 1

    gallery = world.favorites_of(me, gallery_only=True)
    hidden = [album for album in world.albums_of(me) if album.privacy in ("hidden", "secret")]
    return (pages(len(web_post_ids(sb)), options.web_page_size)
            + pages(len(hidden), options.web_page_size)
            + pages(len(gallery), options.favorites_page_size)
            + sum(hasattr(item, "image_ids") for item in gallery))
