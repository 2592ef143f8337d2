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
import re
import threading
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from importlib import resources
from itertools import chain
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from ..api import ImgurError, Transport, TransportError
from ..errors import ImgurSyncError
from ..settings.sizes import format_size
from ..store import Store
from .files import write_if_changed
from .gallery_data import AlbumInfo, GalleryQueries, ImageInfo, Step, batched

__all__ = ["GALLERY_DIR", "INDEX", "GalleryError", "GalleryResult", "build_gallery",
           "js_data"]

log = logging.getLogger(__name__)

GALLERY_DIR = ".gallery"
THUMBS_DIR = f"{GALLERY_DIR}/thumbs"
INDEX = "index.html"
PER_PAGE = 200  # images (or albums) on one page: lazy-loaded thumbnails, quick to open
SHARD_SIZE = 5000  # entries in one script of the search index: each a few hundred kB at most
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
_PLAIN = re.compile(r"[A-Za-z0-9._/-]*")  # what quote() leaves as it is
_UNSAFE = re.compile(rb"[^A-Za-z0-9_.~/-]")  # what it quotes
_JS_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}
_T = TypeVar("_T")
_Page = tuple[str, str]  # a page's path under the root, and its text
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
    return f"window.{name} = {_js_json(value)};\n"


def _js_json(value: Any) -> str:
    """``value`` as JSON that is safe inside a script (see ``js_data``)."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).translate(_JS_ESCAPES)


def _e(text: object) -> str:
    """Escape text for HTML content and quoted attributes."""
    return html.escape(str(text), quote=True)


def _href(rel: str) -> str:
    """Return a path under the root as a relative URL (spaces, #, ? and % quoted)."""
    # Most links are to pages, whose names need no quoting, and the rest have a few bytes
    # to quote: urllib's quote(rel, safe="/") goes byte by byte in Python, and was a third
    # of a build (a cache of its answers grew with the account). The same bytes come out.
    if _PLAIN.fullmatch(rel):
        return rel
    return _UNSAFE.sub(_percent, rel.encode("utf-8")).decode("ascii")


def _percent(found: re.Match[bytes]) -> bytes:
    return b"%%%02X" % found[0][0]



def _json(text: str | None, default: Any = None) -> Any:
    """Decode stored JSON; ``default`` (an empty object) when it is not JSON of that kind."""
    default = {} if default is None else default
    try:
        value = json.loads(text or "null")
    except ValueError:
        return default
    return value if isinstance(value, type(default)) else default


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


class _Thumbs:
    """The thumbnails in ``.gallery/thumbs``, listed once, as hashes of their names.

    A set of 100,000 names would be memory the gallery does not keep, and a ``stat`` per
    tile was most of a rebuild's time; 8 bytes a thumbnail is neither. Two names with one
    hash (about 1 in 10^9 at 100,000) would show a missing thumbnail, nothing worse.
    """

    def __init__(self, root: Path) -> None:
        self._found = _Names()
        try:
            with os.scandir(root / THUMBS_DIR) as entries:
                for entry in entries:
                    _, dot, ext = entry.name.rpartition(".")
                    if dot and ext in _THUMB_TYPES.values() and entry.is_file():
                        self._found.add(entry.name)
        except (FileNotFoundError, NotADirectoryError):
            pass

    def __call__(self, image_id: str) -> str | None:
        """The thumbnail of ``image_id``, a path under the root, or None."""
        for ext in _THUMB_TYPES.values():
            if f"{image_id}.{ext}" in self._found:
                return f"{THUMBS_DIR}/{image_id}.{ext}"
        return None


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

    def fetch(self, candidates: Iterable[Mapping[str, Any]], result: GalleryResult) -> None:
        """Fetch the thumbnails ``candidates`` (mirrored images' rows) lack, streamed: only
        a few downloads' worth of rows is held at once."""
        found = _Thumbs(self.root)
        todo = (row for row in candidates
                if row["id"] not in self.failed and _wants_thumbnail(row)
                and found(row["id"]) is None)
        with ThreadPoolExecutor(max_workers=self.concurrency,
                                thread_name_prefix="imgur-sync-thumbnail") as pool:
            running: deque[Future[str | None]] = deque()
            for row in todo:
                running.append(pool.submit(self._one, row))
                if len(running) >= 2 * self.concurrency:
                    result.thumbnails += running.popleft().result() is not None
            while running:
                result.thumbnails += running.popleft().result() is not None
        self.store_failed(result)

    def store_failed(self, result: GalleryResult) -> None:
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


# ---- pages -----------------------------------------------------------------------------------


def _page_path(name: str) -> str:
    """The path under the root of a page of ``.gallery/`` (or of the index)."""
    return INDEX if name == INDEX else f"{GALLERY_DIR}/{name}"


def _to(up: str, name: str) -> str:
    """The relative URL of page ``name`` from a page ``up`` below the root."""
    return f"{up}{_href(_page_path(name))}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


_Tile = Callable[[str], str]  # the HTML of one tile, given the way up to the root


class _Renderer:
    """Make the pages of one build, one at a time, from the store's rows as they stream."""

    def __init__(self, root: Path, store: Store, queries: GalleryQueries) -> None:
        self.store, self.q = store, queries
        self.thumb = _Thumbs(root)

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

    def _picture(self, image: ImageInfo | None) -> str | None:
        """The path under the root a tile shows: the thumbnail, else the file (no video)."""
        if image is None:
            return None
        source = self.thumb(image.id)
        if source is None and not (image.type or "").startswith("video/"):
            source = image.file
        return source

    def _thumb(self, up: str, image: ImageInfo | None) -> str:
        """The picture in a tile: the thumbnail, else the file itself, else a label."""
        if image is None:
            return '<span class="frame">no picture</span>'
        source = self._picture(image)
        if source is None:
            label = "video" if (image.type or "").startswith("video/") else "not mirrored"
            return f'<span class="frame">{label}</span>'
        return (f'<span class="frame"><img src="{up}{_href(source)}" loading="lazy" '
                f'decoding="async" alt=""></span>')

    def _image_tile(self, up: str, image: ImageInfo, context: str) -> str:
        page = _page_path(f"image-{image.id}.html")
        title = image.title or image.id
        return (f'<li class="tile"><a href="{up}{_href(page)}#{context}" '
                f'title="{_e(title)}">{self._thumb(up, image)}'
                f'<span class="caption">{_e(title)}</span></a></li>')

    def _album_tile(self, up: str, album: AlbumInfo, cover: ImageInfo | None) -> str:
        page = _page_path(f"album-{album.id}.html")
        title = album.title or album.id
        return (f'<li class="tile album"><a href="{up}{_href(page)}" title="{_e(title)}">'
                f'{self._thumb(up, cover)}<span class="caption">{_e(title)}</span>'
                f'<span class="count">{_plural(album.count, "image")}</span>'
                "</a></li>")

    def _image_tiles(self, ids: Iterable[str], context: str) -> Iterator[list[_Tile]]:
        """The tiles of the images ``ids``, a page's worth at a time."""
        for chunk in batched(ids, PER_PAGE):
            images = self.q.images(chunk)
            yield [partial(self._image_tile, image=images[i], context=context)
                   for i in chunk if i in images]

    def _album_tiles(self, albums: Iterable[AlbumInfo]) -> Iterator[list[_Tile]]:
        """The tiles of ``albums``, a page's worth at a time."""
        for chunk in batched(albums, PER_PAGE):
            covers = self.q.images([a.cover for a in chunk if a.cover])
            yield [partial(self._album_tile, album=a, cover=covers.get(a.cover or ""))
                   for a in chunk]

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

    def _paged(self, first: str, stem: str, title: str, intro: str, count: int,
               chunks: Iterator[list[_Tile]], current: str, empty: str) -> Iterator[_Page]:
        """Pages of at most ``PER_PAGE`` of the ``count`` tiles that ``chunks`` yields, a
        page's worth each: ``first``, then ``{stem}-2.html``, …"""
        pages = max(1, -(-count // PER_PAGE))
        names = [first] + [_page_path(f"{stem}-{n}.html") for n in range(2, pages + 1)]
        for n, path in enumerate(names):
            up = self._up(path)
            chunk = next(chunks, [])
            grid = (f'<ul class="grid">{"".join(tile(up) for tile in chunk)}</ul>' if chunk
                    else f'<p class="muted">{empty}</p>')
            pager = self._pager(up, names, n)
            heading = title + (f" (page {n + 1} of {pages})" if pages > 1 else "")
            yield path, self._layout(path, title, f"<h1>{_e(heading)}</h1>\n{intro}"
                                     f"{pager}\n{grid}\n{pager}", current)

    # -- the pages --------------------------------------------------------------------------

    def pages(self) -> Iterator[_Page]:
        """Every page, each ``(path under the root, HTML)``."""
        q = self.q
        albums, images = q.count_albums(), q.count_owned()
        yield from self._paged(INDEX, "albums", "Albums",
                               f'<p class="muted">{_plural(albums, "album")}, '
                               f"{_plural(images, 'image')}.</p>", albums,
                               self._album_tiles(q.albums(owned=True)), "albums", "No albums.")
        yield from self._paged(_page_path("images.html"), "images", "Images", "", images,
                               self._image_tiles(q.owned(), "images"), "images", "No images.")
        for album in chain(q.albums(owned=True), q.albums(owned=False)):
            yield from self._album(album)
        for name, gallery in (("favorites", False), ("gallery-favorites", True)):
            yield from self._favorites(name, gallery)
        yield from self._conversations()
        for row, file, steps in q.image_pages(_IMAGE_COLUMNS):
            yield self._image(row, file, steps)

    def _album(self, album: AlbumInfo) -> Iterator[_Page]:
        context = f"album-{album.id}"
        title = album.title or album.id
        intro = "".join([
            f'<p class="description">{_e(album.description)}</p>' if album.description else "",
            f'<p class="muted">{_plural(album.count, "image")}'
            f"{' · ' + _e(album.date[:10]) if album.date else ''}"
            f"{'' if album.owned else ' · a favorite'} · "
            f'<a href="https://imgur.com/a/{album.id}" rel="noreferrer">on Imgur</a></p>'])
        yield from self._paged(_page_path(f"{context}.html"), context, title, intro,
                               album.count,
                               self._image_tiles(self.q.album_members(album), context),
                               "albums" if album.owned else "favorites", "This album is empty.")

    def _favorites(self, name: str, gallery: bool) -> Iterator[_Page]:
        def tiles() -> Iterator[list[_Tile]]:
            for chunk in batched(self.q.favorites(gallery), PER_PAGE):
                albums = {i: self.q.album(i) for kind, i in chunk if kind == "album"}
                images = self.q.images([i for kind, i in chunk if kind == "image"])
                covers = self.q.images([a.cover for a in albums.values() if a and a.cover])
                made: list[_Tile] = []
                for kind, item_id in chunk:
                    album = albums.get(item_id) if kind == "album" else None
                    if album is not None:
                        made.append(partial(self._album_tile, album=album,
                                            cover=covers.get(album.cover or "")))
                    elif kind == "image" and item_id in images:
                        made.append(partial(self._image_tile, image=images[item_id],
                                            context=name))
                yield made

        title = "Gallery favorites" if gallery else "Favorites"
        count = sum(1 for _ in self.q.favorites(gallery))
        yield from self._paged(_page_path(f"{name}.html"), name, title, "", count, tiles(),
                               name, f"No {title.lower()}.")

    def _conversations(self) -> Iterator[_Page]:
        path = _page_path("messages.html")
        up = self._up(path)
        items = []
        for conversation in self.store.iter_conversations():
            if not isinstance(conversation["id"], int):
                continue
            page = _page_path(f"conversation-{conversation['id']}.html")
            who = conversation["with_account"] or "unknown"
            messages = self.store.iter_messages(conversation["id"])  # one thread at a time
            when = conversation["datetime_iso"]
            items.append(f'<li><a href="{up}{_href(page)}">{_e(who)}</a> '
                         f'<span class="muted">{_plural(len(messages), "message")}'
                         f"{' · ' + _e(when[:10]) if when else ''}</span></li>")
            yield self._conversation(page, who, messages)
        body = (f'<ul class="list">{"".join(items)}</ul>' if items
                else '<p class="muted">No conversations.</p>')
        yield path, self._layout(path, "Messages", f"<h1>Messages</h1>\n{body}", "messages")

    def _conversation(self, path: str, who: str, messages: list[dict[str, Any]]) -> _Page:
        items = "".join(
            f'<li><span class="who">{_e(m["sender"] or "unknown")}</span> '
            f'<span class="muted">{_e((m["datetime_iso"] or "").replace("T", " ")[:16])}'
            f'</span><div class="body">{_e(m["body"] or "")}</div></li>' for m in messages)
        body = (f"<h1>Conversation with {_e(who)}</h1>\n"
                f'<p class="muted">{_plural(len(messages), "message")}'
                f'</p>\n<ol class="messages">{items}</ol>')
        return path, self._layout(path, f"Conversation with {who}", body, "messages")

    def _media(self, up: str, row: Mapping[str, Any], source: str | None) -> str:
        if source is None:
            return '<p class="muted">This image is not in the mirror (yet).</p>'
        src = f"{up}{_href(source)}"
        if source.lower().endswith((".mp4", ".webm", ".mov", ".m4v")):
            return (f'<video src="{src}" controls autoplay loop muted playsinline '
                    'preload="metadata"></video>')
        return f'<img src="{src}" alt="{_e(row["title"] or row["id"])}">'

    def _image(self, row: Mapping[str, Any], source: str | None, steps: list[Step]) -> _Page:
        image_id = row["id"]
        path = _page_path(f"image-{image_id}.html")
        up = self._up(path)
        prev_id, next_id = steps[0].prev, steps[0].next

        def step(rel: str, other: str | None, label: str) -> str:
            if other is None:
                return f'<a rel="{rel}">{label}</a>'
            return f'<a rel="{rel}" href="{_to(up, f"image-{other}.html")}">{label}</a>'

        known = "".join(
            f'<a data-context="{_e(s.context)}"'
            + "".join(f' data-{rel}="{_to(up, f"image-{other}.html")}"'
                      for rel, other in (("prev", s.prev), ("next", s.next)) if other)
            + "></a>" for s in steps)
        title = row["title"] or image_id
        facts = [("Date", _e((row["datetime_iso"] or "unknown").replace("T", " ")
                             .replace("Z", " UTC")))]
        size = " × ".join(str(v) for v in (row["width"], row["height"]) if v)
        facts.append(("Size", ", ".join(filter(None, [
            f"{size} pixels" if size else "",
            format_size(row["size"]) if row["size"] else ""])) or "unknown"))
        facts.append(("Type", _e(row["type"] or "unknown")
                      + (" (animated)" if row["animated"] else "")))
        albums = {s.album_id: s.album_title for s in steps if s.album_id is not None}
        facts.append(("Albums", ", ".join(
            f'<a href="{_to(up, f"album-{album_id}.html")}">{_e(title or album_id)}</a>'
            for album_id, title in albums.items()) or "none"))
        facts.append(("On Imgur", f'<a href="https://imgur.com/{image_id}" '
                      f'rel="noreferrer">imgur.com/{image_id}</a>'
                      + (" (removed there)" if row["removed_at"] else "")))
        if source:
            facts.append(("File", f'<a href="{up}{_href(source)}">{_e(source)}</a>'))
        details = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in facts)
        description = (f'<p class="description">{_e(row["description"])}</p>'
                       if row["description"] else "")
        body = (f'<nav class="steps">{step("prev", prev_id, "‹ Previous")}'
                f'{step("next", next_id, "Next ›")}</nav>\n'
                f'<div id="contexts" hidden>{known}</div>\n'
                f'<div class="viewer"><div class="media">{self._media(up, row, source)}</div>'
                f'<div class="facts"><h1>{_e(title)}</h1>{description}<dl>{details}</dl>'
                "</div></div>")
        return path, self._layout(path, title, body, "images")

    # -- the search index -----------------------------------------------------------------

    def search_index(self) -> Iterator[_Page]:
        """The search data in shards of ``SHARD_SIZE`` entries (albums, then images, as
        ``[kind, title, description, page, thumbnail]`` with paths under the root), then
        ``search-index.js``, which says how many shards there are."""
        shards = 0
        # Each entry is made JSON as it comes (what js_data would write for the shard, byte
        # for byte): a shard's entries as lists were most of a build's memory.
        items = (_js_json(item) for item in self._search_items())
        for shards, texts in enumerate(batched(items, SHARD_SIZE), start=1):
            yield (f"{GALLERY_DIR}/search-index-{shards}.js",
                   f'window.GALLERY_INDEX_{shards} = {{"items":[{",".join(texts)}]}};\n')
        yield f"{GALLERY_DIR}/search-index.js", js_data("GALLERY_INDEX", {"shards": shards})

    def _search_items(self) -> Iterator[list[Any]]:
        for chunk in batched(chain(self.q.albums(owned=True), self.q.albums(owned=False)),
                              PER_PAGE):
            covers = self.q.images([a.cover for a in chunk if a.cover])
            for album in chunk:
                picture = self._picture(covers.get(album.cover or ""))
                yield ["album", album.title or "", album.description or "",
                       _href(_page_path(f"album-{album.id}.html")),
                       None if picture is None else _href(picture)]
        for image in self.q.search_images():
            picture = self._picture(image)
            yield ["image", image.title or "", image.description or "",
                   _href(_page_path(f"image-{image.id}.html")),
                   None if picture is None else _href(picture)]


# ---- the build -------------------------------------------------------------------------------


def build_gallery(root: Path, store: Store, *, members_cursor: str,
                  transport: Transport | None = None, concurrency: int = 4,
                  retry_thumbnails: bool = False,
                  should_stop: Callable[[], bool] = lambda: False) -> GalleryResult:
    """Write the gallery under ``root`` from ``store``; return what changed.

    ``members_cursor`` is the cursor prefix under which the pull keeps a favorited album's
    image ids. With a ``transport``, missing thumbnails are downloaded (those that failed
    before only when ``retry_thumbnails``; none once ``should_stop`` says so); without
    one, nothing is fetched. Pages are made and written one at a time from rows read as
    they are needed, so memory does not grow with the account.
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
    result = GalleryResult()
    written = _Names()
    with store.reading() as conn:
        queries = GalleryQueries(conn, members_cursor)
        if transport is not None:
            _Thumbnails(root, store, transport, concurrency, retry_thumbnails,
                        should_stop).fetch(queries.thumbnail_candidates(), result)
        renderer = _Renderer(root, store, queries)
        static = resources.files(__package__).joinpath("gallery_static")
        assets = ((f"{GALLERY_DIR}/{name}", static.joinpath(name).read_bytes())
                  for name in _ASSETS)
        pages = ((rel, page.encode("utf-8", "replace")) for rel, page in renderer.pages())
        search = ((rel, text.encode("ascii")) for rel, text in renderer.search_index())
        for rel, content in chain(pages, search, assets):
            if write_if_changed(root / rel, content):
                result.written += 1
            else:
                result.unchanged += 1
            written.add(rel)
    result.removed = _remove_stale(root, written)
    return result


class _Names:
    """A set of names (the pages a build wrote, the thumbnails on disk) kept as 64-bit
    hashes, 8 bytes each, in buckets small enough to scan (sorting them would take a list
    of Python ints, five times that).

    Two names with one hash (about 1 in 10^9 at 100,000 pages) would leave one stale page
    in place or show one missing thumbnail; never remove a page that is made.
    """

    _BUCKETS = 4096

    def __init__(self) -> None:
        self._buckets = [array("q") for _ in range(self._BUCKETS)]

    def add(self, name: str) -> None:
        key = hash(name)
        self._buckets[key % self._BUCKETS].append(key)

    def __contains__(self, name: str) -> bool:
        key = hash(name)
        return key in self._buckets[key % self._BUCKETS]


def _is_page(name: str) -> bool:
    """Whether a file of ``.gallery/`` is one the build makes from the store."""
    return name.endswith(".html") or (name.startswith("search-index-") and name.endswith(".js"))


def _remove_stale(root: Path, written: _Names) -> int:
    """Remove the pages of ``.gallery/`` this build did not make (an album gone, a page less,
    a search shard less)."""
    try:
        with os.scandir(root / GALLERY_DIR) as entries:
            stale = [e.name for e in entries if _is_page(e.name) and e.is_file()
                     and f"{GALLERY_DIR}/{e.name}" not in written]
    except (FileNotFoundError, NotADirectoryError):
        return 0
    for name in sorted(stale):
        (root / GALLERY_DIR / name).unlink(missing_ok=True)
    return len(stale)
