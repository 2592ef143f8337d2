"""Image endpoints: read, upload (``/3/image`` and ``/3/upload``), update, delete, favorite.

Uploads follow docs/IMGUR-API.md §Uploads: ``image`` or ``video`` as a multipart file, a base64
string or a URL. A URL that points back at this sandbox is resolved in-process: the
handler runs under the world lock, so fetching our own media over HTTP would deadlock.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import urllib.request
from typing import Any
from urllib.parse import SplitResult, urlsplit

from werkzeug.datastructures import FileStorage

from . import media
from .lookups import editable_album, editable_image, live_image
from .render import image_json
from .routing import ApiError, Ctx, route
from .state import THUMB_SUFFIXES, Album

UPLOAD_TYPES = frozenset({"file", "base64", "url", "raw"})
FETCH_TIMEOUT = 5.0
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


# -- reads and simple writes ------------------------------------------------------------------


@route("/3/image/<image_id>")
def get_image(ctx: Ctx, image_id: str) -> dict[str, Any]:
    """One image."""
    return image_json(ctx.world, live_image(ctx.world, image_id), ctx.media, ctx.viewer,
                      old=ctx.old_shapes)


@route("/3/image/<key>", "POST", "PUT")
def update_image(ctx: Ctx, key: str) -> bool:
    """Change title and/or description (owner by id, or anyone by deletehash)."""
    image = editable_image(ctx, key)
    title = ctx.param("title")
    description = ctx.param("description")
    ctx.world.retitle_image(image.id, image.title if title is None else title, description)
    return True


@route("/3/image/<key>", "DELETE")
def delete_image(ctx: Ctx, key: str) -> bool:
    """Delete an image (owner by id, or anyone by deletehash)."""
    image = editable_image(ctx, key, "delete")
    ctx.world.delete_image(image.id)
    return True


@route("/3/image/<image_id>/favorite", "POST", auth="user")
def favorite_image(ctx: Ctx, image_id: str) -> str:
    """Toggle the signed-in user's favorite on an image."""
    image = live_image(ctx.world, image_id)
    state = ctx.world.toggle_favorite(ctx.require_user(), image.id)
    return "favorited" if state else "unfavorited"


# -- upload ------------------------------------------------------------------------------


def _bad(message: str) -> ApiError:
    return ApiError(400, message)


def _decode_base64(text: str) -> bytes:
    """Decode a base64 field (tolerating data: URIs, line breaks, URL-safe letters)."""
    if text.startswith("data:") and "," in text:
        text = text.split(",", 1)[1]
    text = "".join(text.split()).replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _bad("File type invalid (1)") from None


def _is_self(ctx: Ctx, parts: SplitResult) -> bool:
    """Return True if ``parts`` addresses this sandbox (its media host)."""
    own = urlsplit(ctx.base)
    if parts.netloc.lower() in (own.netloc.lower(), urlsplit(ctx.media).netloc.lower()):
        return True
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    return (host in _LOCAL_HOSTS | {(own.hostname or "").lower()}
            and str(port) == str(ctx.request.environ.get("SERVER_PORT")))


def _own_media(ctx: Ctx, path: str) -> bytes:
    """Return what ``GET {path}`` on this sandbox's media host would serve."""
    name = path.lstrip("/")
    stem, dot, ext = name.rpartition(".")
    if not dot or "/" in name:
        raise _bad("Invalid URL")
    if name == "removed.png":
        return media.removed_png()
    world = ctx.world
    image, suffix = world.images.get(stem), ""
    if image is None and len(stem) > 1 and stem[-1] in THUMB_SUFFIXES:
        image, suffix = world.images.get(stem[:-1]), stem[-1]
    if image is None or image.deleted or image.removed:
        return media.removed_png()  # where i.imgur.com redirects gone media
    ext = ext.lower()
    if ext in ("gifv", "m3u8"):
        return b""  # an HTML page / playlist: not an image, so the type check refuses it
    if ext == "mp4" and image.animated and not image.mime.startswith("video/"):
        return media.render_mp4_stub(image.media_seed)
    if suffix and not image.mime.startswith("video/"):
        return media.thumbnail_bytes(image, suffix)
    return media.image_bytes(image)


def _fetch(ctx: Ctx, url: str, limit: int) -> bytes:
    """Download ``url`` (at most ``limit`` + 1 bytes); 400 "Invalid URL" on any failure."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _bad("Invalid URL")
    if _is_self(ctx, parts):
        return _own_media(ctx, parts.path)
    request = urllib.request.Request(url.strip(), headers={"User-Agent": "imgur-sandbox/1.0"})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:
            return response.read(limit + 1)
    except (OSError, ValueError, http.client.HTTPException):
        raise _bad("Invalid URL") from None


def _payload(ctx: Ctx) -> tuple[bytes, str, str]:
    """Return (bytes, multipart filename, field name) of the uploaded media."""
    files = ctx.request.files
    sent: dict[str, FileStorage | str] = {}
    for field in ("image", "video"):
        part = files.get(field)
        text = ctx.param(field)
        if part is not None:
            sent[field] = part
        elif text:
            sent[field] = text
    if len(sent) > 1:
        raise _bad("Bad Request")
    if not sent:
        raise _bad("No image data was sent to the upload api")
    (field, value), = sent.items()
    kind = (ctx.param("type") or "").strip().lower()
    if kind and kind not in UPLOAD_TYPES:
        raise _bad("Bad Request")
    limit = ctx.app.options.max_video_bytes
    if isinstance(value, FileStorage):
        try:
            return value.read(limit + 1), value.filename or "", field
        finally:
            value.close()
    if kind == "url" or (not kind and value.lstrip().lower().startswith(("http://", "https://"))):
        return _fetch(ctx, value, limit), "", field
    if kind == "raw":
        # Form fields arrive as text; raw bytes only survive if they were valid UTF-8.
        return value.encode("utf-8", "surrogateescape"), "", field
    return _decode_base64(value), "", field


def _target_album(ctx: Ctx) -> Album | None:
    """The album named by ``album`` (or PyImgur's ``album_id``): an owned id or a deletehash."""
    key = ctx.param("album") or ctx.param("album_id")
    return editable_album(ctx, key) if key else None


@route("/3/image", "POST", cost=10)
@route("/3/upload", "POST", cost=10)
def upload(ctx: Ctx) -> dict[str, Any]:
    """Upload an image or video: Bearer → on the account, Client-ID → anonymous."""
    data, filename, field = _payload(ctx)
    info = media.sniff(data)
    if info is None:
        raise _bad("File type invalid (1)")
    options = ctx.app.options
    limit = options.max_video_bytes if info.is_video or field == "video" else (
        options.max_image_bytes)
    if len(data) > limit:
        raise _bad("File is over the size limit")
    album = _target_album(ctx)  # checked before storing, so a refusal leaves no orphan
    world = ctx.world
    image = world.add_image(
        ctx.viewer,
        ctx.param("title"),
        description=ctx.param("description"),
        name=ctx.param("name") or filename,
        media_kind="stored",
        data=data,
        mime=info.mime,
        ext=info.ext,
        width=info.width,
        height=info.height,
        animated=info.animated,
    )
    if album is not None:
        world.add_album_images(album.id, [image.id])
    with ctx.app.counters.lock:
        ctx.app.counters.uploads += 1
    answer = image_json(world, image, ctx.media, ctx.viewer, old=ctx.old_shapes)
    # The uploader always learns the secrets, anonymous or not (docs/IMGUR-API.md §Uploads).
    answer["deletehash"] = image.deletehash
    answer["name"] = image.name
    return answer
