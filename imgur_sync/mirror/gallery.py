"""The offline gallery: HTML pages inside the mirror that show it from ``file://``.

``index.html`` at the root shows the albums; every other page, the stylesheet, the script,
the search index and the thumbnails live in ``.gallery/`` (docs/ARCHITECTURE.md §Gallery).
Pages are made from the store alone, link only relatively (the mirror may be moved), load
nothing from the network (a Content-Security-Policy forbids it, and inline scripts), and
escape every title, description and message: they come from other people. Output is
deterministic and written only when its bytes change, so a pull that changed nothing
rewrites no page.

Thumbnails are Imgur's own ``{id}m.jpg``, downloaded once through the media host (media,
not API credits); where none can be had the tile shows the mirrored file itself (an image)
or a plain label (a video).
"""

from __future__ import annotations

import html
import json
import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from ..api import ImgurError, Transport, TransportError
from ..errors import ImgurSyncError
from ..settings.sizes import format_size
from ..store import Store
from .files import write_if_changed
from .layout import is_id

__all__ = ["GALLERY_DIR", "INDEX", "GalleryError", "GalleryResult", "build_gallery",
           "js_data"]

log = logging.getLogger(__name__)

GALLERY_DIR = ".gallery"
THUMBS_DIR = f"{GALLERY_DIR}/thumbs"
INDEX = "index.html"
PER_PAGE = 200  # images (or albums) on one page: lazy-loaded thumbnails, quick to open
MAX_THUMBNAIL = 2_000_000  # bytes: Imgur's m thumbnails are a few kB
FAILED_SETTING = "gallery_thumbnails_failed"  # ids whose thumbnail could not be had
GENERATOR = '<meta name="generator" content="imgur-sync gallery">'
# 'self' covers the mirror's own files under file:// in Chromium; nothing else may load,
# and no inline script (a title that smuggles one in) may run.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "media-src 'self'; connect-src 'none'; object-src 'none'; frame-src 'none'; "
       "base-uri 'none'; form-action 'none'")
_THUMB_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif",
                "image/webp": "webp"}
_ASSETS = ("gallery.css", "gallery.js")
_JS_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}
_IMAGE_COLUMNS = ("id", "title", "description", "type", "animated", "width", "height", "size",
                  "datetime", "datetime_iso", "link", "mp4", "owned", "removed_at",
                  "media_removed")


class GalleryError(ImgurSyncError):
    """The gallery could not be written (a file in its way)."""


@dataclass
class GalleryResult:
    """What a build did: pages written and left alone, stale pages removed, thumbnails."""

    written: int = 0
    unchanged: int = 0
    removed: int = 0
    thumbnails: int = 0
    thumbnail_failures: list[str] = field(default_factory=list)

    @property
    def files(self) -> int:
        """How many files the gallery's pages and assets are."""
        return self.written + self.unchanged


def js_data(name: str, value: Any) -> str:
    """Return a script that sets ``window[name]`` to ``value``, safe to load as a script.

    ASCII-only JSON with ``<``, ``>`` and ``&`` escaped: no title can end the script or
    start markup, and U+2028/2029 (line ends to older JavaScript) never appear raw.
    """
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":")).translate(_JS_ESCAPES)
    return f"window.{name} = {text};\n"


def _e(text: object) -> str:
    """Escape text for HTML content and quoted attributes."""
    return html.escape(str(text), quote=True)


@lru_cache(maxsize=1 << 16)  # the same pages are linked from many: quoting was a third
def _href(rel: str) -> str:
    """Return a path under the root as a relative URL (spaces, #, ? and % quoted)."""
    return quote(rel, safe="/")


# ---- what the gallery shows ------------------------------------------------------------------


@dataclass
class _Album:
    id: str
    title: str | None
    description: str | None
    members: list[str]
    cover: str | None
    date: str | None
    owned: bool


@dataclass
class _Data:
    """The store's rows as the pages need them, in a stable order."""

    images: dict[str, dict[str, Any]]
    files: dict[str, str]  # image id -> the mirrored file that shows it
    albums: list[_Album]  # the account's albums, newest first
    owned: list[str]  # the account's images, newest first
    favorites: list[tuple[str, str]]  # (kind, id) in listing order
    gallery_favorites: list[tuple[str, str]]
    favorite_albums: dict[str, _Album]
    conversations: list[dict[str, Any]]
    messages: dict[int, list[dict[str, Any]]]
    thumbs: dict[str, str] = field(default_factory=dict)  # image id -> path under the root

    def __post_init__(self) -> None:
        self.by_id = {a.id: a for a in self.albums}

    def album(self, album_id: str) -> _Album | None:
        """The account's album of that id, else the favorited one."""
        return self.by_id.get(album_id) or self.favorite_albums.get(album_id)


def _newest_first(row: Mapping[str, Any]) -> tuple[int, str]:
    return (-(row.get("datetime") or 0), str(row["id"]))


def _load(store: Store, members_cursor: str) -> _Data:
    images = {row["id"]: row for row in store.iter_images(include_removed=True,
                                                          columns=_IMAGE_COLUMNS)
              if is_id(row["id"])}
    files: dict[str, str] = {}
    for row in sorted(store.iter_files(columns=("path", "role", "image_id")),
                      key=lambda r: (r["role"] != "image", r["path"])):
        if row["image_id"] in images:
            files.setdefault(row["image_id"], row["path"])
    owned = [row["id"] for row in sorted(images.values(), key=_newest_first)
             if row["owned"] and (row["removed_at"] is None or row["id"] in files)]
    albums = []
    for row in sorted(store.iter_albums(), key=_newest_first):
        if not is_id(row["id"]):
            continue
        members = [i for i in store.get_album_images(row["id"]) if i in images]
        albums.append(_Album(row["id"], row["title"], row["description"], members,
                             row["cover"], row["datetime_iso"], True))
    favorite_albums: dict[str, _Album] = {}

    def favorites(gallery: bool) -> list[tuple[str, str]]:
        listed = []
        for row in store.iter_favorites(gallery):
            item_id, kind = row["item_id"], row["kind"]
            if not is_id(item_id) or (kind == "image" and item_id not in images):
                continue
            if kind == "album" and item_id not in favorite_albums:
                raw = _json(row["raw"])
                ids = _json(store.get_cursor(members_cursor + item_id), [])
                members = [i for i in ids if isinstance(i, str) and i in images]
                favorite_albums[item_id] = _Album(
                    item_id, _text(raw.get("title")), _text(raw.get("description")), members,
                    _text(raw.get("cover")), None, False)
            listed.append((kind, item_id))
        return listed

    favorites_list, gallery_list = favorites(False), favorites(True)
    conversations = [c for c in store.iter_conversations() if isinstance(c["id"], int)]
    messages = {c["id"]: store.iter_messages(c["id"]) for c in conversations}
    return _Data(images, files, albums, owned, favorites_list, gallery_list, favorite_albums,
                 conversations, messages)


def _json(text: str | None, default: Any = None) -> Any:
    """Decode stored JSON; ``default`` (an empty object) when it is not JSON of that kind."""
    default = {} if default is None else default
    try:
        value = json.loads(text or "null")
    except ValueError:
        return default
    return value if isinstance(value, type(default)) else default


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


# ---- thumbnails ------------------------------------------------------------------------------


def _thumbnail_url(row: Mapping[str, Any]) -> str | None:
    """Imgur's ``m`` (medium square) thumbnail of an image, on the host its link names."""
    link = row.get("link") or ""
    parts = urlsplit(link)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}/{row['id']}m.jpg"


def _wants_thumbnail(row: Mapping[str, Any]) -> bool:
    # A video's thumbnail is a poster Imgur makes; where a host sends the video instead it
    # would cost the whole file, so videos show a label unless a thumbnail is already there.
    return not (row.get("type") or "").startswith("video/") and not row.get("media_removed")


class _Thumbnails:
    """Download the missing thumbnails into ``.gallery/thumbs``, each once."""

    def __init__(self, root: Path, store: Store, transport: Transport, concurrency: int,
                 retry_failed: bool, should_stop: Callable[[], bool]) -> None:
        self.root, self.store, self.transport = root, store, transport
        self.should_stop = should_stop
        self.concurrency = max(1, concurrency)
        failed = [] if retry_failed else _json(store.get_setting(FAILED_SETTING), [])
        self.failed: set[str] = {i for i in failed if isinstance(i, str)}
        self._lock = threading.Lock()
        self._unanswered = 0
        self._down = False

    def fetch(self, data: _Data, result: GalleryResult) -> None:
        todo = [row for image_id, row in sorted(data.images.items())
                if image_id in data.files and image_id not in data.thumbs
                and image_id not in self.failed and _wants_thumbnail(row)]
        if todo:
            with ThreadPoolExecutor(max_workers=min(self.concurrency, len(todo)),
                                    thread_name_prefix="imgur-sync-thumbnail") as pool:
                for image_id, saved in zip((r["id"] for r in todo), pool.map(self._one, todo),
                                           strict=True):
                    if saved is not None:
                        data.thumbs[image_id] = saved
                        result.thumbnails += 1
        result.thumbnail_failures = sorted(self.failed)
        if json.dumps(sorted(self.failed)) != (self.store.get_setting(FAILED_SETTING) or "[]"):
            self.store.set_setting(FAILED_SETTING, json.dumps(sorted(self.failed)))

    def _one(self, row: Mapping[str, Any]) -> str | None:
        """Download one thumbnail; return its path under the root, or None."""
        url = _thumbnail_url(row)
        if url is None or self._down or self.should_stop():
            return None
        try:
            with self.transport.open_media(url) as response:
                kind = response.headers.get("Content-Type", "").partition(";")[0].strip()
                ext = _THUMB_TYPES.get(kind.lower())
                if ext is None:
                    raise ValueError(f"the media host sent {kind or 'no type'} as a thumbnail")
                body = bytearray()
                for chunk in response.iter_content(64 * 1024, size=None):
                    body += chunk
                    if len(body) > MAX_THUMBNAIL:
                        raise ValueError("the thumbnail is larger than a thumbnail can be")
            rel = f"{THUMBS_DIR}/{row['id']}.{ext}"
            write_if_changed(self.root / rel, bytes(body))
        except TransportError as exc:  # no answer: after a few in a row, wait for next time
            with self._lock:
                self._unanswered += 1
                if self._unanswered >= max(3, self.concurrency) and not self._down:
                    self._down = True
                    log.warning("thumbnails: the media host does not answer (%s); the rest "
                                "wait for the next pull", exc)
            return None
        except (ImgurError, OSError, ValueError) as exc:
            log.info("no thumbnail for %s: %s; the gallery shows the file itself", row["id"], exc)
            with self._lock:
                self.failed.add(row["id"])
            return None
        with self._lock:
            self._unanswered = 0
        return rel


def _found_thumbnails(root: Path) -> dict[str, str]:
    """The thumbnails already in ``.gallery/thumbs``, by image id."""
    found: dict[str, str] = {}
    try:
        with os.scandir(root / THUMBS_DIR) as entries:
            for entry in entries:
                stem, dot, ext = entry.name.rpartition(".")
                if dot and is_id(stem) and ext in _THUMB_TYPES.values() and entry.is_file():
                    found[stem] = f"{THUMBS_DIR}/{entry.name}"
    except (FileNotFoundError, NotADirectoryError):
        pass
    return found


# ---- pages -----------------------------------------------------------------------------------


def _page_path(name: str) -> str:
    """The path under the root of a page of ``.gallery/`` (or of the index)."""
    return INDEX if name == INDEX else f"{GALLERY_DIR}/{name}"


def _to(up: str, name: str) -> str:
    """The relative URL of page ``name`` from a page ``up`` below the root."""
    return f"{up}{_href(_page_path(name))}"


class _Renderer:
    """Make the pages of one build; ``pages`` maps each path under the root to its HTML."""

    def __init__(self, data: _Data) -> None:
        self.data = data
        self.pages: dict[str, str] = {}
        # Each list an image is shown in: (context, ids); an image page steps through them.
        self.contexts: dict[str, list[tuple[str, str | None, str | None]]] = {}
        self.albums_of: dict[str, dict[str, _Album]] = {}  # image id -> its albums by id
        for album in (*data.albums, *data.favorite_albums.values()):
            for image_id in album.members:
                self.albums_of.setdefault(image_id, {}).setdefault(album.id, album)

    # -- pieces ---------------------------------------------------------------------------

    def _up(self, path: str) -> str:
        return "../" * path.count("/")

    def _layout(self, path: str, title: str, body: str, current: str) -> str:
        up = self._up(path)
        nav = [("albums", INDEX, "Albums"), ("images", _page_path("images.html"), "Images"),
               ("favorites", _page_path("favorites.html"), "Favorites"),
               ("gallery-favorites", _page_path("gallery-favorites.html"), "Gallery favorites"),
               ("messages", _page_path("messages.html"), "Messages")]
        here = ' aria-current="page"'
        links = "".join(f'<a href="{up}{_href(target)}"{here if key == current else ""}>'
                        f"{label}</a>" for key, target, label in nav)
        return (
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            '<meta name="referrer" content="no-referrer">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"{GENERATOR}\n<title>{_e(title)} · imgur-sync</title>\n"
            f'<link rel="stylesheet" href="{up}{GALLERY_DIR}/gallery.css">\n'
            f'<script src="{up}{GALLERY_DIR}/gallery.js" defer></script>\n</head>\n'
            f'<body data-up="{up}">\n<header><a class="brand" href="{up}{INDEX}">imgur-sync'
            f"</a><nav>{links}</nav>"
            '<input id="search" type="search" placeholder="Search titles and descriptions"'
            ' aria-label="Search titles and descriptions" autocomplete="off"></header>\n'
            f"<main>\n{body}\n</main>\n"
            '<section id="results" aria-live="polite" hidden></section>\n</body>\n</html>\n')

    def _thumb(self, up: str, image_id: str | None) -> str:
        """The picture in a tile: the thumbnail, else the file itself, else a label."""
        row = self.data.images.get(image_id or "")
        if row is None:
            return '<span class="frame">no picture</span>'
        source = self.data.thumbs.get(row["id"])
        if source is None and not (row["type"] or "").startswith("video/"):
            source = self.data.files.get(row["id"])
        if source is None:
            label = "video" if (row["type"] or "").startswith("video/") else "not mirrored"
            return f'<span class="frame">{label}</span>'
        return (f'<span class="frame"><img src="{up}{_href(source)}" loading="lazy" '
                f'decoding="async" alt=""></span>')

    def _image_tile(self, up: str, image_id: str, context: str) -> str:
        row = self.data.images[image_id]
        page = _page_path(f"image-{image_id}.html")
        title = row["title"] or image_id
        return (f'<li class="tile"><a href="{up}{_href(page)}#{context}" '
                f'title="{_e(title)}">{self._thumb(up, image_id)}'
                f'<span class="caption">{_e(title)}</span></a></li>')

    def _album_tile(self, up: str, album: _Album) -> str:
        page = _page_path(f"album-{album.id}.html")
        cover = album.cover if album.cover in self.data.images else (
            album.members[0] if album.members else None)
        count = len(album.members)
        title = album.title or album.id
        return (f'<li class="tile album"><a href="{up}{_href(page)}" title="{_e(title)}">'
                f'{self._thumb(up, cover)}<span class="caption">{_e(title)}</span>'
                f'<span class="count">{count} image{"s" if count != 1 else ""}</span>'
                "</a></li>")

    def _pager(self, up: str, names: list[str], current: int) -> str:
        if len(names) < 2:
            return ""
        parts = []
        if current > 0:
            parts.append(f'<a rel="prev" href="{up}{_href(names[current - 1])}">‹ Previous</a>')
        for n, name in enumerate(names):
            parts.append(f'<span aria-current="page">{n + 1}</span>' if n == current
                         else f'<a href="{up}{_href(name)}">{n + 1}</a>')
        if current + 1 < len(names):
            parts.append(f'<a rel="next" href="{up}{_href(names[current + 1])}">Next ›</a>')
        return f'<nav class="pages" aria-label="Pages">{"".join(parts)}</nav>'

    def _paged(self, first: str, stem: str, title: str, intro: str, tiles: Sequence[Callable[
            [str], str]], current: str, empty: str) -> None:
        """Pages of at most ``PER_PAGE`` tiles: ``first``, then ``{stem}-2.html``, …"""
        count = max(1, -(-len(tiles) // PER_PAGE))
        names = [first] + [_page_path(f"{stem}-{n}.html") for n in range(2, count + 1)]
        for n, path in enumerate(names):
            up = self._up(path)
            chunk = tiles[n * PER_PAGE:(n + 1) * PER_PAGE]
            grid = (f'<ul class="grid">{"".join(tile(up) for tile in chunk)}</ul>' if chunk
                    else f'<p class="muted">{empty}</p>')
            pager = self._pager(up, names, n)
            heading = title + (f" (page {n + 1} of {count})" if count > 1 else "")
            self.pages[path] = self._layout(path, title, f"<h1>{_e(heading)}</h1>\n{intro}"
                                            f"{pager}\n{grid}\n{pager}", current)

    def _sequence(self, context: str, ids: Iterable[str]) -> list[str]:
        """Note that the images ``ids`` are shown in order under ``context``."""
        ids = [i for i in dict.fromkeys(ids) if i in self.data.images]
        for n, image_id in enumerate(ids):
            self.contexts.setdefault(image_id, []).append(
                (context, ids[n - 1] if n else None, ids[n + 1] if n + 1 < len(ids) else None))
        return ids

    # -- the pages --------------------------------------------------------------------------

    def render(self) -> dict[str, str]:
        data = self.data
        albums = data.albums
        self._paged(INDEX, "albums", "Albums",
                    f'<p class="muted">{len(albums)} album{"s" if len(albums) != 1 else ""}, '
                    f"{len(data.owned)} image{'s' if len(data.owned) != 1 else ''}.</p>",
                    [lambda up, a=a: self._album_tile(up, a) for a in albums], "albums",
                    "No albums.")
        owned = self._sequence("images", data.owned)
        self._paged(_page_path("images.html"), "images", "Images", "",
                    [lambda up, i=i: self._image_tile(up, i, "images") for i in owned],
                    "images", "No images.")
        for album in [*albums, *(a for i, a in sorted(data.favorite_albums.items())
                                 if data.album(i) is a)]:
            self._album(album)
        for name, gallery in (("favorites", False), ("gallery-favorites", True)):
            self._favorites(name, gallery)
        self._conversations()
        for image_id in sorted(self.contexts):
            self._image(image_id)
        return self.pages

    def _album(self, album: _Album) -> None:
        context = f"album-{album.id}"
        ids = self._sequence(context, album.members)
        title = album.title or album.id
        intro = "".join([
            f'<p class="description">{_e(album.description)}</p>' if album.description else "",
            f'<p class="muted">{len(ids)} image{"s" if len(ids) != 1 else ""}'
            f"{' · ' + _e(album.date[:10]) if album.date else ''}"
            f"{'' if album.owned else ' · a favorite'} · "
            f'<a href="https://imgur.com/a/{album.id}" rel="noreferrer">on Imgur</a></p>'])
        self._paged(_page_path(f"{context}.html"), context, title, intro,
                    [lambda up, i=i: self._image_tile(up, i, context) for i in ids],
                    "albums" if album.owned else "favorites", "This album is empty.")

    def _favorites(self, name: str, gallery: bool) -> None:
        entries = self.data.gallery_favorites if gallery else self.data.favorites
        ids = self._sequence(name, [item_id for kind, item_id in entries if kind == "image"])
        tiles: list[Callable[[str], str]] = []
        for kind, item_id in entries:
            album = self.data.album(item_id) if kind == "album" else None
            if album is not None:
                tiles.append(lambda up, a=album: self._album_tile(up, a))
            elif kind == "image" and item_id in ids:
                tiles.append(lambda up, i=item_id: self._image_tile(up, i, name))
        title = "Gallery favorites" if gallery else "Favorites"
        self._paged(_page_path(f"{name}.html"), name, title, "", tiles, name,
                    f"No {title.lower()}.")

    def _conversations(self) -> None:
        path = _page_path("messages.html")
        up = self._up(path)
        items = []
        for conversation in self.data.conversations:
            page = _page_path(f"conversation-{conversation['id']}.html")
            who = conversation["with_account"] or "unknown"
            count = len(self.data.messages[conversation["id"]])
            when = conversation["datetime_iso"]
            items.append(f'<li><a href="{up}{_href(page)}">{_e(who)}</a> '
                         f'<span class="muted">{count} message{"s" if count != 1 else ""}'
                         f"{' · ' + _e(when[:10]) if when else ''}</span></li>")
            self._conversation(page, who, self.data.messages[conversation["id"]])
        body = (f'<ul class="list">{"".join(items)}</ul>' if items
                else '<p class="muted">No conversations.</p>')
        self.pages[path] = self._layout(path, "Messages", f"<h1>Messages</h1>\n{body}",
                                        "messages")

    def _conversation(self, path: str, who: str, messages: list[dict[str, Any]]) -> None:
        items = "".join(
            f'<li><span class="who">{_e(m["sender"] or "unknown")}</span> '
            f'<span class="muted">{_e((m["datetime_iso"] or "").replace("T", " ")[:16])}'
            f'</span><div class="body">{_e(m["body"] or "")}</div></li>' for m in messages)
        body = (f"<h1>Conversation with {_e(who)}</h1>\n"
                f'<p class="muted">{len(messages)} message{"s" if len(messages) != 1 else ""}'
                f'</p>\n<ol class="messages">{items}</ol>')
        self.pages[path] = self._layout(path, f"Conversation with {who}", body, "messages")

    def _media(self, up: str, row: Mapping[str, Any]) -> str:
        source = self.data.files.get(row["id"])
        if source is None:
            return '<p class="muted">This image is not in the mirror (yet).</p>'
        src = f"{up}{_href(source)}"
        if source.lower().endswith((".mp4", ".webm", ".mov", ".m4v")):
            return (f'<video src="{src}" controls autoplay loop muted playsinline '
                    'preload="metadata"></video>')
        return f'<img src="{src}" alt="{_e(row["title"] or row["id"])}">'

    def _image(self, image_id: str) -> None:
        row = self.data.images[image_id]
        path = _page_path(f"image-{image_id}.html")
        up = self._up(path)
        contexts = self.contexts[image_id]
        _, prev_id, next_id = contexts[0]

        def step(rel: str, other: str | None, label: str) -> str:
            if other is None:
                return f'<a rel="{rel}">{label}</a>'
            return f'<a rel="{rel}" href="{_to(up, f"image-{other}.html")}">{label}</a>'

        known = "".join(
            f'<a data-context="{_e(context)}"'
            + "".join(f' data-{rel}="{_to(up, f"image-{other}.html")}"'
                      for rel, other in (("prev", prev), ("next", nxt)) if other)
            + "></a>" for context, prev, nxt in contexts)
        title = row["title"] or image_id
        facts = [("Date", _e((row["datetime_iso"] or "unknown").replace("T", " ")
                             .replace("Z", " UTC")))]
        size = " × ".join(str(v) for v in (row["width"], row["height"]) if v)
        facts.append(("Size", ", ".join(filter(None, [
            f"{size} pixels" if size else "",
            format_size(row["size"]) if row["size"] else ""])) or "unknown"))
        facts.append(("Type", _e(row["type"] or "unknown")
                      + (" (animated)" if row["animated"] else "")))
        facts.append(("Albums", ", ".join(
            f'<a href="{_to(up, f"album-{a.id}.html")}">{_e(a.title or a.id)}</a>'
            for a in self.albums_of.get(image_id, {}).values()) or "none"))
        facts.append(("On Imgur", f'<a href="https://imgur.com/{image_id}" '
                      f'rel="noreferrer">imgur.com/{image_id}</a>'
                      + (" (removed there)" if row["removed_at"] else "")))
        if source := self.data.files.get(image_id):
            facts.append(("File", f'<a href="{up}{_href(source)}">{_e(source)}</a>'))
        details = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in facts)
        description = (f'<p class="description">{_e(row["description"])}</p>'
                       if row["description"] else "")
        body = (f'<nav class="steps">{step("prev", prev_id, "‹ Previous")}'
                f'{step("next", next_id, "Next ›")}</nav>\n'
                f'<div id="contexts" hidden>{known}</div>\n'
                f'<div class="viewer"><div class="media">{self._media(up, row)}</div>'
                f'<div class="facts"><h1>{_e(title)}</h1>{description}<dl>{details}</dl>'
                "</div></div>")
        self.pages[path] = self._layout(path, title, body, "images")

    def search_index(self) -> str:
        """The search data: albums, then images, as ``[kind, title, description, page,
        thumbnail]`` with paths under the root."""
        items: list[list[Any]] = []
        shown_albums = [*self.data.albums, *(a for i, a in sorted(self.data.favorite_albums.items())
                                             if self.data.album(i) is a)]
        for album in shown_albums:
            cover = album.cover if album.cover in self.data.images else (
                album.members[0] if album.members else None)
            items.append(["album", album.title or "", album.description or "",
                          _href(_page_path(f"album-{album.id}.html")), self._thumb_path(cover)])
        for image_id in sorted(self.contexts, key=lambda i: _newest_first(self.data.images[i])):
            row = self.data.images[image_id]
            items.append(["image", row["title"] or "", row["description"] or "",
                          _href(_page_path(f"image-{image_id}.html")),
                          self._thumb_path(image_id)])
        return js_data("GALLERY_INDEX", {"items": items})

    def _thumb_path(self, image_id: str | None) -> str | None:
        row = self.data.images.get(image_id or "")
        if row is None:
            return None
        source = self.data.thumbs.get(row["id"])
        if source is None and not (row["type"] or "").startswith("video/"):
            source = self.data.files.get(row["id"])
        return None if source is None else _href(source)


# ---- the build -------------------------------------------------------------------------------


def build_gallery(root: Path, store: Store, *, members_cursor: str,
                  transport: Transport | None = None, concurrency: int = 4,
                  retry_thumbnails: bool = False,
                  should_stop: Callable[[], bool] = lambda: False) -> GalleryResult:
    """Write the gallery under ``root`` from ``store``; return what changed.

    ``members_cursor`` is the cursor prefix under which the pull keeps a favorited album's
    image ids. With a ``transport``, missing thumbnails are downloaded (those that failed
    before only when ``retry_thumbnails``; none once ``should_stop`` says so); without
    one, nothing is fetched.
    """
    if not root.is_dir():
        raise GalleryError(f"the mirror root {root} is not there, so the gallery was not "
                           "written; it is written by the next pull that finds it")
    index = root / INDEX
    try:
        if GENERATOR.encode() not in index.read_bytes():
            raise GalleryError(f"{index} was not written by imgur-sync, so the gallery left "
                               "it alone: move it away to get the gallery's index there")
    except (FileNotFoundError, IsADirectoryError):
        pass
    data = _load(store, members_cursor)
    data.thumbs = _found_thumbnails(root)
    result = GalleryResult()
    if transport is not None:
        _Thumbnails(root, store, transport, concurrency, retry_thumbnails,
                    should_stop).fetch(data, result)
    renderer = _Renderer(data)
    outputs = {path: page.encode("utf-8", "replace") for path, page in renderer.render().items()}
    outputs[f"{GALLERY_DIR}/search-index.js"] = renderer.search_index().encode("ascii")
    static = resources.files(__package__).joinpath("gallery_static")
    for name in _ASSETS:
        outputs[f"{GALLERY_DIR}/{name}"] = static.joinpath(name).read_bytes()
    for rel, content in sorted(outputs.items()):
        if write_if_changed(root / rel, content):
            result.written += 1
        else:
            result.unchanged += 1
    result.removed = _remove_stale(root, outputs)
    return result


def _remove_stale(root: Path, outputs: Mapping[str, bytes]) -> int:
    """Remove the pages of ``.gallery/`` this build did not make (an album gone, a page less)."""
    removed = 0
    try:
        with os.scandir(root / GALLERY_DIR) as entries:
            stale = [e.name for e in entries if e.name.endswith(".html") and e.is_file()
                     and f"{GALLERY_DIR}/{e.name}" not in outputs]
    except (FileNotFoundError, NotADirectoryError):
        return 0
    for name in sorted(stale):
        (root / GALLERY_DIR / name).unlink(missing_ok=True)
        removed += 1
    return removed
