"""Checking what Imgur's listings return before the mirror saves any of it.

Nothing the server sends is trusted: a page must be a list, an item an object with an id that
can name a file and go into a URL, and an image needs an http(s) media link. Each item function
returns a clean copy of one item, or raises :class:`BadItem` saying why it cannot be mirrored;
the pull records that and goes on with the rest.

Clean means that the fields the database and the folder tree use have types they can take.
The variants the real API sends (``""`` or null for an absent value, numbers as strings,
``"0"`` for a privacy, ``images: null`` on a favorited album) pass as they are, since the row
mappers read them. A value no column can hold (a list as a title, a time past the year 9999,
text with lone surrogates) becomes null: one odd field costs that field, not the item.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

from ..api import MalformedResponse
from .layout import is_id

__all__ = ["BadItem", "album", "conversation", "favorite", "image", "listing", "message",
           "sort_out"]

_T = TypeVar("_T")
_LAST_TIME = 253402300799  # 9999-12-31T23:59:59Z: the last time an ISO date can show
_LARGEST = 2**53  # sizes and counts beyond this are no real file's
_ROW_ID = 2**63 - 1  # SQLite's largest integer (conversation and message ids)
_IMAGE_TEXT = ("title", "description", "type", "mp4", "deletehash", "name")
_IMAGE_NUMBERS = {"datetime": _LAST_TIME, "size": _LARGEST, "width": _LARGEST,
                  "height": _LARGEST}
_ALBUM_TEXT = ("title", "description", "privacy", "cover", "link")
_ALBUM_NUMBERS = {"datetime": _LAST_TIME, "images_count": _LARGEST}


class BadItem(ValueError):
    """An item that cannot be mirrored: ``item`` names it, ``ident`` is its id if sound."""

    def __init__(self, item: str, reason: str, ident: str | None = None) -> None:
        super().__init__(f"{item}: {reason}")
        self.item, self.reason, self.ident = item, reason, ident


def listing(data: Any, what: str) -> list[Any]:
    """Return a listing's page, or raise ``MalformedResponse`` when it is not a list."""
    if not isinstance(data, list):
        raise MalformedResponse(f"Imgur's answer for {what} is {_kind(data)}, not a list")
    return data


def sort_out(items: Iterable[Any], clean: Callable[[Any], _T],
             ) -> tuple[list[_T], list[BadItem]]:
    """Return the clean items and the reasons the others cannot be mirrored."""
    good, bad = [], []
    for item in items:
        try:
            good.append(clean(item))
        except BadItem as exc:
            bad.append(exc)
    return good, bad


def image(item: Any) -> dict[str, Any]:
    """Return a clean Image, or raise ``BadItem``: it needs an id and an http(s) link."""
    clean = _object(item, "image")
    ident, link = clean["id"], clean.get("link")
    if not isinstance(link, str) or not link:
        raise BadItem(f"image {ident!r}", "Imgur sent no media link for it", ident)
    parts = urlsplit(link)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadItem(f"image {ident!r}", f"its media link {_shown(link)} is not an http(s) "
                      "URL", ident)
    return _typed(clean, _IMAGE_TEXT, _IMAGE_NUMBERS)


def album(item: Any) -> dict[str, Any]:
    """Return a clean Album (an account album, or a favorited one), or raise ``BadItem``."""
    return _typed(_object(item, "album"), _ALBUM_TEXT, _ALBUM_NUMBERS)


def favorite(item: Any) -> tuple[str, str, dict[str, Any]]:
    """Return a favorite as ``(id, kind, clean item)``: an album's, or an image's."""
    if isinstance(item, Mapping) and item.get("is_album"):
        clean = album(item)
        return clean["id"], "album", clean
    clean = image(item)
    return clean["id"], "image", clean


def conversation(item: Any) -> dict[str, Any]:
    """Return a clean Conversation (legacy messaging), its id an int, or raise ``BadItem``."""
    clean = _numbered(item, "conversation")
    return _typed(clean, ("with_account", "last_message_preview"),
                  {"datetime": _LAST_TIME, "message_count": _LARGEST})


def message(item: Any) -> dict[str, Any]:
    """Return a clean Message, its id an int, or raise ``BadItem``."""
    return _typed(_numbered(item, "message"), ("from", "body"), {"datetime": _LAST_TIME})


def _object(item: Any, what: str) -> dict[str, Any]:
    """Return a copy of ``item`` once it is an object with a valid Imgur id."""
    ident = _mapping(item, what).get("id")
    if not is_id(ident):
        raise BadItem(f"{what} {_shown(ident)}" if ident is not None else f"{what} without an id",
                      "its id cannot name a file or go into a URL")
    return dict(item)


def _numbered(item: Any, what: str) -> dict[str, Any]:
    """Return a copy of an item whose id is a whole number (ids of the messaging API)."""
    ident = _mapping(item, what).get("id")
    number = _whole(ident, _ROW_ID)
    if number is None:
        raise BadItem(f"{what} {_shown(ident)}", "its id is not a whole number")
    return {**item, "id": number}


def _mapping(item: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(item, Mapping):
        raise BadItem(what, f"Imgur sent {_kind(item)} where an object belongs")
    return item


def _typed(clean: dict[str, Any], text: Iterable[str], numbers: Mapping[str, int],
           ) -> dict[str, Any]:
    """Null the fields of ``clean`` (in place) that hold what their column cannot."""
    for key in text:
        value = clean.get(key)
        if isinstance(value, str):
            if not value.isascii():  # lone surrogates cannot be stored as UTF-8 text
                clean[key] = value.encode("utf-8", "replace").decode("utf-8")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            clean[key] = str(value)
        elif value is not None:
            clean[key] = None
    for key, largest in numbers.items():
        value = clean.get(key)
        if value not in (None, "") and _whole(value, largest) is None:
            clean[key] = None
    return clean


def _whole(value: Any, largest: int) -> int | None:
    """Return ``value`` as a whole number from 0 to ``largest``, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        value = int(value)
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        value = int(value)
    return value if isinstance(value, int) and 0 <= value <= largest else None


def _kind(value: Any) -> str:
    return "nothing" if value is None else f"a {type(value).__name__} ({_shown(value)})"


def _shown(value: Any, limit: int = 40) -> str:
    """Return ``value`` for a message: quoted, escaped, and cut short."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"
