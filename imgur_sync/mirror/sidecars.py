"""Metadata beside the files, so the mirror alone is a whole backup (docs/ARCHITECTURE.md
§Metadata files).

Written after every change to the tree (a pull, uploads taken in, an import, ``verify
--repair``) from the database and the recorded files, never planned or recorded themselves:
they are derived data, made again whenever they are missing or out of date, and written
only when their bytes change (:func:`~imgur_sync.mirror.files.write_if_changed`), so a pull
that changed nothing touches none of them.

- **Sidecars** (``[mirror] sidecars``): beside each image's *real* file (the one its links
  point to: ``images/…`` for the account's own images, else its first favorite place) a
  ``<file>.xmp`` (Adobe XMP: ``dc:title``, ``dc:description``, ``dc:subject`` for tags,
  ``xmp:CreateDate``; what digiKam, darktable and immich read) or ``<file>.json`` (Imgur's
  record of the image, less the ``deletehash``). Links in album folders get none: the album's
  ``album.json`` names them, and a photo manager would see them as copies anyway.
- **album.json** in every album folder (the account's albums, the empty ones included, and
  favorited albums): title, description, link, date, privacy, the ids in album order and
  each one's file name.
- **account.json** at the root: the account, what is mirrored and how much. No secret.

A retitle renames the real file; its old sidecar is then one of ours that no longer fits,
and is removed (or follows its file into ``.trash``). Ours means: named ``<media
name>.xmp``/``.json`` with an Imgur id in the name, and holding that id in our own shape;
anything else in the tree, the user's files among them, is never touched. Nothing here
reaches ``.trash`` (but for a trashed file's sidecar), ``messages/``, or what sits at the root
besides ``account.json``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any
from xml.sax.saxutils import escape

from ..settings.config import MirrorConfig
from ..store import Store
from ..store.schema import iso
from . import layout
from .files import LinkedFolder, linked_folder, write_if_changed
from .plan import place_order

__all__ = ["ACCOUNT_FILE", "ALBUM_FILE", "SIDECAR_SUFFIXES", "is_metadata_name",
           "render_json", "render_xmp", "write_metadata"]

log = logging.getLogger(__name__)

_BATCH = 2000  # images (or sidecars found) handled at a time

ALBUM_FILE = "album.json"
ACCOUNT_FILE = "account.json"
SIDECAR_SUFFIXES = {"xmp": ".xmp", "json": ".json"}
_SUFFIXES = tuple(SIDECAR_SUFFIXES.values())
XMP_TOOLKIT = "imgur-sync"  # x:xmptk, the field XMP keeps for the writer's name
SECRET_KEYS = frozenset({"deletehash"})  # anyone holding it can delete the image
_MAX_OURS = 1 << 20  # a sidecar of ours is far smaller: a bigger file is not read
# What XML 1.0 cannot hold at all (C0 controls but tab and newlines, surrogates, U+FFFE/F).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def is_metadata_name(name: str) -> bool:
    """Say whether a file name is one this module writes (a sidecar, album or account file)."""
    return name in (ALBUM_FILE, ACCOUNT_FILE) or _sidecar_id(name) is not None


def _sidecar_id(name: str) -> str | None:
    """Return the image id of a sidecar's name (``<media name>.xmp``/``.json``), else None."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            found = layout.id_in_name(name[:-len(suffix)])
            return None if found is None else found[0]
    return None


# -- what the files hold ----------------------------------------------------------------------


def _xml_text(value: str) -> str:
    """Return ``value`` as XML character data: forbidden characters dropped, CR kept."""
    return escape(_NOT_XML.sub("", value)).replace("\r", "&#13;")


def _alt(tag: str, value: str) -> str:
    return (f"   <{tag}>\n    <rdf:Alt>\n     <rdf:li xml:lang=\"x-default\">"
            f"{_xml_text(value)}</rdf:li>\n    </rdf:Alt>\n   </{tag}>\n")


def render_xmp(image: Mapping[str, Any]) -> bytes:
    """Return an image's XMP sidecar: title, description, tags, date, id and page."""
    parts = []
    if image.get("title"):
        parts.append(_alt("dc:title", image["title"]))
    if image.get("description"):
        parts.append(_alt("dc:description", image["description"]))
    tags = _tags(image.get("raw"))
    if tags:
        items = "".join(f"     <rdf:li>{_xml_text(tag)}</rdf:li>\n" for tag in tags)
        parts.append(f"   <dc:subject>\n    <rdf:Bag>\n{items}    </rdf:Bag>\n   </dc:subject>\n")
    ident = _xml_text(image["id"])
    parts.append(f"   <dc:identifier>{ident}</dc:identifier>\n")
    parts.append(f"   <dc:source>https://imgur.com/{ident}</dc:source>\n")
    when = iso(image.get("datetime"))
    if when:
        parts.append(f"   <xmp:CreateDate>{when}</xmp:CreateDate>\n")
    return ("<?xpacket begin=\"\ufeff\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
            f"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\" x:xmptk=\"{XMP_TOOLKIT}\">\n"
            " <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
            "  <rdf:Description rdf:about=\"\"\n"
            "    xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n"
            "    xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\">\n"
            f"{''.join(parts)}"
            "  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n"
            "<?xpacket end=\"w\"?>\n").encode()


def _tags(raw: Any) -> list[str]:
    """Return the tag names of an image's raw record (Tag objects or plain strings)."""
    tags = _record(raw).get("tags")
    names: list[str] = []
    for tag in tags if isinstance(tags, list) else ():
        name = tag.get("name") if isinstance(tag, dict) else tag
        if isinstance(name, str) and name.strip() and name not in names:
            names.append(name)
    return names


def _record(raw: Any) -> dict[str, Any]:
    """Return a raw column as an object ({} when it is not one)."""
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _json_bytes(value: Any) -> bytes:
    """Return ``value`` as pretty, key-sorted JSON: the same value always gives the same bytes."""
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from the server: escape everything
        return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode("ascii")


def render_json(image: Mapping[str, Any]) -> bytes:
    """Return an image's JSON sidecar: Imgur's record of it, less its secrets."""
    record = _record(image.get("raw")) or {"id": image["id"]}
    return _json_bytes({k: v for k, v in record.items() if k not in SECRET_KEYS})


def _album_bytes(album: Mapping[str, Any], order: list[str], files: Mapping[str, str],
                 section: str) -> bytes:
    info: dict[str, Any] = {
        "id": album["id"], "title": album.get("title"), "description": album.get("description"),
        "link": album.get("link"), "datetime": iso(album.get("datetime")),
        "privacy": album.get("privacy"), "section": section, "order": order,
        "files": {image_id: files[image_id] for image_id in order if image_id in files},
    }
    if album.get("removed_at") is not None:
        info["removed"] = iso(album["removed_at"])
    return _json_bytes(info)


# -- writing ----------------------------------------------------------------------------------


def write_metadata(store: Store, mirror: MirrorConfig,
                   username: str | None = None) -> list[tuple[str, str]]:
    """Bring the sidecars, album.json and account.json up to date; return what failed.

    Never raises for a file it cannot write (a full disk, a folder that is a symbolic
    link): each is returned as ``(path, reason)``, and the next run tries again.
    """
    if not mirror.root.is_dir():
        return []  # the run that found it missing says so
    writer = _Writer(mirror.root, mirror.on_remote_delete == "trash")
    for step in (_sidecars, _albums, _account):
        try:
            step(writer, store, mirror, username)
        except (OSError, ValueError) as exc:  # one step's trouble leaves the others to run
            log.warning("metadata files: %s", exc)
            writer.failures.append((str(mirror.root), f"could not write metadata files: {exc}"))
    log.debug("metadata files: %d written, %d removed", writer.written, writer.removed)
    return writer.failures


class _Writer:
    """Write and retire metadata files under ``root``, collecting failures."""

    def __init__(self, root: Path, trash: bool) -> None:
        self.root, self.trash = root, trash
        self.failures: list[tuple[str, str]] = []
        self.written = self.removed = 0
        self._real: set[Path] = set()
        self._refused: set[str] = set()  # folders that are symbolic links, reported once

    def put(self, rel: PurePosixPath, data: bytes, image_id: str | None = None) -> None:
        """Write ``data`` to ``rel`` unless it holds it already.

        A sidecar (``image_id`` given) that someone else rewrote, such as a photo manager
        writing its own ``<file>.xmp``, is theirs from then on: it is left as it is.
        """
        path = self.root / rel
        linked = linked_folder(self.root, path, self._real)
        if linked is not None:  # as the applier reports it: one failure for the folder
            if linked not in self._refused:
                self._refused.add(linked)
                self.failures.append((linked, str(LinkedFolder(linked))))
            return
        try:
            if image_id is not None:
                try:
                    there = _read_small(path)
                except FileNotFoundError:
                    there = b""  # not there yet (an empty file is no one's either)
                if there == data:
                    return
                if there != b"" and (there is None or not _ours(path, image_id, there)):
                    log.debug("%s: written by something else, so left as it is", rel)
                    return
            self.written += write_if_changed(path, data)
        except OSError as exc:
            log.warning("%s: %s", rel, exc)
            self.failures.append((str(rel), f"could not write its metadata file: {exc}"))

    def retire(self, rel: PurePosixPath, *, to_trash: bool = False) -> None:
        """Remove a metadata file of ours that no longer fits, then its folder if empty.

        With ``to_trash`` it moves into ``.trash`` instead, where its item's files went:
        what a removed item was stays with it.
        """
        path = self.root / rel
        try:
            if to_trash:
                target = self.root / layout.trash_path(rel)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
            else:
                path.unlink(missing_ok=True)
            self.removed += 1
            folder = path.parent
            while folder.parent != self.root and folder != self.root:
                folder.rmdir()  # only when empty: OSError ends the walk up
                folder = folder.parent
        except OSError as exc:  # a folder not empty ends the clean-up; anything else is said
            if not path.exists():
                return
            log.warning("%s: could not retire it: %s", rel, exc)


def _read_small(path: Path) -> bytes | None:
    """Return a file's bytes; None when it is a link or too big to be ours (OSError if
    it cannot be read: a folder in the way, say)."""
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode) or info.st_size > _MAX_OURS:
        return None
    return path.read_bytes()


def _ours(path: Path, image_id: str, data: bytes | None = None) -> bool:
    """Say whether ``path`` (holding ``data``) is a sidecar this module wrote for ``image_id``."""
    try:
        data = _read_small(path) if data is None else data
    except OSError:
        return False
    if data is None:
        return False
    if path.suffix == SIDECAR_SUFFIXES["xmp"]:
        return (f'x:xmptk="{XMP_TOOLKIT}"'.encode() in data
                and f"<dc:identifier>{image_id}</dc:identifier>".encode() in data)
    return _record(data.decode("utf-8", "replace")).get("id") == image_id


def _real_files(store: Store, links: str, root: Path, ids: list[str]) -> dict[str, str]:
    """Map each image of ``ids`` to the recorded file that holds its bytes (its links point
    to it)."""
    order = {role: n for n, role in enumerate(place_order())}
    places: dict[str, list[tuple[int, str]]] = {}
    for row in store.files_of_images(ids, ("path", "role", "image_id")):
        if row["role"] in order:
            places.setdefault(row["image_id"], []).append((order[row["role"]], row["path"]))
    real = {}
    for image_id, found in places.items():
        ranked = [path for _, path in sorted(found)]
        # Only in symlink mode can a place be a link rather than the same file's other name.
        if links == "symlink":
            ranked = [path for path in ranked if not (root / path).is_symlink()] or ranked
        real[image_id] = ranked[0]
    return real


def _sidecars(writer: _Writer, store: Store, mirror: MirrorConfig, _username: str | None,
              ) -> None:
    """Write the sidecar of every image's real file; retire those of ours that no longer fit.

    A batch of images at a time, and the tree a folder's chunk at a time: what is held never
    grows with the account.
    """
    suffix = SIDECAR_SUFFIXES.get(mirror.sidecars)
    if suffix is not None:
        render = render_xmp if mirror.sidecars == "xmp" else render_json
        for ids in store.image_batches(_BATCH, changed_only=False):
            real = _real_files(store, mirror.album_links, mirror.root, ids)
            for image in store.images_of(list(real), ("id", "title", "description", "datetime",
                                                      "raw")):
                path = real[image["id"]] + suffix
                writer.put(PurePosixPath(path), render(image), image["id"])
    # Sidecars of ours that no longer fit: a retitled file's, a mode given up.
    for folder in layout.SECTION_DIRS.values():
        if folder in (layout.MESSAGES_DIR, layout.TRASH_DIR) or not (mirror.root / folder).is_dir():
            continue
        candidates: list[tuple[PurePosixPath, str]] = []
        for rel, image_id in _sidecar_names(mirror.root, folder):
            candidates.append((rel, image_id))
            if len(candidates) >= _BATCH:
                _retire_unwanted(writer, store, mirror, suffix, candidates)
                candidates = []
        _retire_unwanted(writer, store, mirror, suffix, candidates)


def _sidecar_names(root: Path, folder: str) -> Iterator[tuple[PurePosixPath, str]]:
    """Yield every file under ``root / folder`` named as a sidecar, with its image id."""
    stack = [root / folder]
    while stack:
        here = stack.pop()
        prefix = here.relative_to(root).as_posix()
        try:
            with os.scandir(here) as entries:  # one at a time: a folder may hold 100,000
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
                    elif entry.name.endswith(_SUFFIXES):
                        image_id = _sidecar_id(entry.name)
                        if image_id is not None:
                            yield PurePosixPath(prefix, entry.name), image_id
        except OSError:  # gone meanwhile, or unreadable: nothing of ours to retire there
            continue


def _retire_unwanted(writer: _Writer, store: Store, mirror: MirrorConfig, suffix: str | None,
                     candidates: list[tuple[PurePosixPath, str]]) -> None:
    """Retire the sidecars of ours among ``candidates`` that are not their image's sidecar."""
    if not candidates:
        return
    real = ({} if suffix is None else _real_files(
        store, mirror.album_links, mirror.root, sorted({i for _, i in candidates})))
    for rel, image_id in candidates:
        if image_id in real and str(rel) == real[image_id] + suffix:
            continue
        if _ours(mirror.root / rel, image_id):  # its file went to .trash, or elsewhere
            media = mirror.root / layout.trash_path(rel.with_suffix(""))
            writer.retire(rel, to_trash=writer.trash and media.exists())


def _albums(writer: _Writer, store: Store, mirror: MirrorConfig, _username: str | None) -> None:
    """Write album.json into every album folder; retire those a retitle left behind."""
    if "albums" in mirror.include:
        wanted: dict[str, PurePosixPath] = {}
        for album in store.iter_albums(include_removed=True):
            if not layout.is_id(album["id"]):
                continue
            folder = layout.album_dir(album.get("title"), album["id"])
            wanted[album["id"]] = folder
            if album["removed_at"] is not None:  # its folder follows on_remote_delete
                if writer.trash and (writer.root / folder / ALBUM_FILE).exists():
                    writer.retire(folder / ALBUM_FILE, to_trash=True)
                if writer.trash or not (writer.root / folder).is_dir():
                    continue
            order = store.get_album_images(album["id"])
            files = _member_files(store, "album", album["id"])
            writer.put(folder / ALBUM_FILE, _album_bytes(album, order, files, "albums"))
        _retire_moved(writer, layout.ALBUMS_DIR, wanted)
    for gallery, section in ((False, "favorites"), (True, "gallery_favorites")):
        if section in mirror.include:
            _favorite_albums(writer, store, gallery, section)


def _favorite_albums(writer: _Writer, store: Store, gallery: bool, section: str) -> None:
    """Write album.json into each favorited album's folder (order: as its files are named)."""
    role = "gallery_favorite" if gallery else "favorite"
    wanted: dict[str, PurePosixPath] = {}
    for row in store.iter_favorites(gallery):
        if row["kind"] != "album" or not layout.is_id(row["item_id"]):
            continue
        raw = _record(row.get("raw"))
        album = {**{k: raw.get(k) for k in ("title", "description", "link", "datetime",
                                            "privacy")}, "id": row["item_id"]}
        folder = layout.favorite_path("album", album["title"], row["item_id"], gallery=gallery)
        wanted[row["item_id"]] = folder
        members = _member_files(store, role, row["item_id"])
        order = sorted(members, key=members.__getitem__)  # "NNN …": names sort in album order
        writer.put(folder / ALBUM_FILE, _album_bytes(album, order, members, section))
    _retire_moved(writer, layout.SECTION_DIRS[section], wanted)


def _member_files(store: Store, role: str, album_id: str) -> dict[str, str]:
    """Map image id -> the name of its file of ``role`` in the album's folder."""
    return {row["image_id"]: PurePosixPath(row["path"]).name
            for row in store.iter_files(role, album_id=album_id, columns=("path", "image_id"))
            if row["image_id"] is not None}


def _retire_moved(writer: _Writer, section_dir: str, wanted: Mapping[str, PurePosixPath]) -> None:
    """Retire the album.json of ours in a folder its album no longer has (a retitle)."""
    top = writer.root / section_dir
    if not top.is_dir():
        return
    for entry in os.scandir(top):
        found = re.search(r"\[([A-Za-z0-9]{1,64})\]$", entry.name) or re.fullmatch(
            r"([A-Za-z0-9]{1,64})", entry.name)
        if not found or not entry.is_dir(follow_symlinks=False):
            continue
        folder = PurePosixPath(section_dir, entry.name)
        album_id = found[1]
        if wanted.get(album_id, folder) == folder:
            continue  # its folder, or an album the database does not know: not ours to judge
        path = writer.root / folder / ALBUM_FILE
        try:
            ours = not path.is_symlink() and path.stat().st_size <= _MAX_OURS and _record(
                path.read_text("utf-8", "replace")).get("id") == album_id
        except OSError:
            ours = False
        if ours:
            writer.retire(folder / ALBUM_FILE)


def _account(writer: _Writer, store: Store, mirror: MirrorConfig, username: str | None) -> None:
    """Write account.json: who this is, what is mirrored and how much. Never a secret."""
    username = username or store.get_setting("account_username")
    account_id = next((raw["account_id"] for raw in map(_record, (
        a.get("raw") for a in store.iter_albums())) if isinstance(raw.get("account_id"), int)),
        None)
    counts = store.counts()
    info: dict[str, Any] = {
        "username": username,
        "url": f"https://imgur.com/user/{username}" if username else None,
        "mirrored": {"sections": sorted(mirror.include), "sidecars": mirror.sidecars},
        "counts": {key: counts[key] for key in ("albums", "images", "favorites",
                                                "gallery_favorites", "conversations",
                                                "messages")},
        "written_by": "imgur-sync",
    }
    if account_id is not None:
        info["account_id"] = account_id
    writer.put(PurePosixPath(ACCOUNT_FILE), _json_bytes(info))
