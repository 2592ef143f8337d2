"""Posts of Imgur's web API (``/post/v1``) turned into the Image and Album dicts of ``/3/``.

The web API calls every album a post holding its images as ``media``, and an image in no
album a post of its own. The mirror stores what ``/3/`` answers, so each post is converted
here, at the edge: an id that cannot go into a path, a post whose ``media`` is no list or a
media item that is no object is skipped and reported with the reason, never raised.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .errors import UnsafePath
from .transport import _checked_path

__all__ = ["Converted", "Skipped", "convert_posts", "epoch", "post_album", "post_image"]

MEDIA_HOST = "https://i.imgur.com"


@dataclass(frozen=True)
class Skipped:
    """An item left out of a conversion: its id (as far as known) and why."""

    id: str
    reason: str


@dataclass
class Converted:
    """Posts as ``/3/`` shapes: albums, every image (album members too, once), what was left."""

    albums: list[dict[str, Any]] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


class _Bad(Exception):
    """Internal: the item cannot be converted, for the reason given."""


def epoch(value: object) -> int | None:
    """Return the epoch seconds of an ISO 8601 time, or None when it does not parse."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:  # Imgur's times are UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp())


def _id(value: object) -> str:
    """Return an id that can go into a request path, or raise ``_Bad``."""
    if not isinstance(value, str) or not value or "/" in value:
        raise _Bad(f"its id {str(value)[:40]!r} is not an Imgur id")
    try:
        _checked_path("GET", value)
    except UnsafePath:
        raise _Bad(f"its id {value[:40]!r} is not an Imgur id") from None
    return value


def _text(value: object) -> str | None:
    """A title or description: ``/3/`` says null where the web API says ""."""
    return value if isinstance(value, str) and value else None


def _int(value: object) -> int | None:
    return value if type(value) is int else None


def _ext(media: Mapping[str, Any]) -> str:
    ext = media.get("ext")
    if isinstance(ext, str) and ext.isalnum():
        return ext.lower()
    mime = media.get("mime_type")
    sub = mime.partition("/")[2] if isinstance(mime, str) else ""
    return {"jpeg": "jpg"}.get(sub, sub) if sub.isalnum() else "jpg"


def post_image(media: object, post: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the ``/3/`` Image of one media item; ``post`` lends a lone image its texts.

    Raises ``ValueError`` (with the reason) for an item that cannot be an image.
    """
    try:
        return _image(media, post)
    except _Bad as exc:
        raise ValueError(str(exc)) from None


def _image(media: object, post: Mapping[str, Any] | None) -> dict[str, Any]:
    if not isinstance(media, Mapping):
        raise _Bad("its media item is not an object")
    image_id = _id(media.get("id"))
    meta = media.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    title, description = _text(meta.get("title")), _text(meta.get("description"))
    if post is not None:  # a lone image's texts may live on its post
        title = title or _text(post.get("title"))
        description = description or _text(post.get("description"))
    mime = media.get("mime_type") if isinstance(media.get("mime_type"), str) else None
    video = bool(mime and mime.startswith("video/")) or media.get("type") == "video"
    animated = meta.get("is_animated") is True or video
    ext = _ext(media)
    url = media.get("url")
    link = url if isinstance(url, str) and url.startswith(("https://", "http://")) \
        else f"{MEDIA_HOST}/{image_id}.{ext}"
    base = link.rsplit(".", 1)[0] if link.rsplit("/", 1)[-1].count(".") else link
    created = epoch(media.get("created_at"))
    if created is None and post is not None:
        created = epoch(post.get("created_at"))
    image: dict[str, Any] = {
        "id": image_id,
        "title": title,
        "description": description,
        "datetime": created,
        "type": mime,
        "animated": animated,
        "width": _int(media.get("width")),
        "height": _int(media.get("height")),
        "size": _int(media.get("size")),
        "name": media.get("name") if isinstance(media.get("name"), str) else None,
        "link": link,
        "mp4": f"{base}.mp4" if animated else "",
    }
    if post is not None:
        image["views"] = _int(post.get("view_count"))
        image["nsfw"] = post.get("is_mature") if isinstance(post.get("is_mature"), bool) else None
    return image


def post_album(post: object) -> tuple[dict[str, Any], list[Skipped]]:
    """Return the ``/3/`` Album of an album post and the media items left out of it.

    Raises ``ValueError`` (with the reason) for a post that cannot be an album.
    """
    try:
        return _album(post)
    except _Bad as exc:
        raise ValueError(str(exc)) from None


def _album(post: object) -> tuple[dict[str, Any], list[Skipped]]:
    if not isinstance(post, Mapping):
        raise _Bad("the post is not an object")
    album_id = _id(post.get("id"))
    media = post.get("media")
    if not isinstance(media, list):
        raise _Bad("its media is not a list")
    images, skipped = [], []
    for item in media:
        try:
            images.append(_image(item, None))
        except _Bad as exc:
            shown = item.get("id") if isinstance(item, Mapping) else None
            skipped.append(Skipped(str(shown or "?")[:40], f"in album {album_id}: {exc}"))
    cover = post.get("cover_id")
    privacy = post.get("privacy")
    album = {
        "id": album_id,
        "title": _text(post.get("title")),
        "description": _text(post.get("description")),
        "datetime": epoch(post.get("created_at")),
        "cover": cover if isinstance(cover, str) and cover else
        (images[0]["id"] if images else None),
        "images_count": len(images),
        "privacy": privacy if isinstance(privacy, str) else None,
        "views": _int(post.get("view_count")),
        "nsfw": post.get("is_mature") if isinstance(post.get("is_mature"), bool) else None,
        "link": f"https://imgur.com/a/{album_id}",
        "is_album": True,
        "images": images,
    }
    return album, skipped


def convert_posts(posts: Iterable[object]) -> Converted:
    """Convert posts of a listing; a post that is not an album is its single image."""
    out = Converted()
    seen: set[str] = set()
    for post in posts:
        shown = str(post.get("id") if isinstance(post, Mapping) else "?")[:40]
        try:
            if not isinstance(post, Mapping):
                raise _Bad("the post is not an object")
            if post.get("is_album") is True:
                album, skipped = _album(post)
                out.albums.append(album)
                out.skipped.extend(skipped)
                members = album["images"]
            else:
                _id(post.get("id"))  # the post of a lone image bears the image's id
                media = post.get("media")
                if not isinstance(media, list) or not media:
                    raise _Bad("its media is not a list holding the image")
                members = [_image(media[0], post)]
        except _Bad as exc:
            out.skipped.append(Skipped(shown, str(exc)))
            continue
        for image in members:
            if image["id"] not in seen:
                seen.add(image["id"])
                out.images.append(image)
    return out
