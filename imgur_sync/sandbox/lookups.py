"""Lookups the route modules share: items by id or deletehash, ownership, Imgur's 404s.

Route modules import these from here, never from each other, so each stays a leaf.
"""

from __future__ import annotations

from .routing import ApiError, Ctx
from .state import Album, Image, NotFound, World

__all__ = ["PRIVACIES", "editable_album", "editable_image", "find_album", "find_image",
           "is_owner", "live_album", "live_image", "missing_album", "missing_image"]

PRIVACIES = frozenset({"public", "hidden", "secret"})


def missing_image(image_id: str) -> ApiError:
    """Imgur's 404 for an image id (text from a real answer, docs/IMGUR-API.md §Errors)."""
    return ApiError(404, f"Unable to find an image with the id, {image_id}")


def missing_album(album_id: str) -> ApiError:
    """The 404 for an album, in the same style as the image one (⚠ text unconfirmed)."""
    return ApiError(404, f"Unable to find an album with the id, {album_id}")


def is_owner(owner: str | None, viewer: str | None) -> bool:
    """Return True if ``viewer`` is signed in and owns an item owned by ``owner``."""
    return bool(owner and viewer and owner.lower() == viewer.lower())


def _lookup(world: World, kind: str, key: str) -> tuple[Album | Image, bool]:
    """Return ``(item, found_by_deletehash)`` for an image or album id or deletehash."""
    get = world.album if kind == "album" else world.image
    missing = missing_album if kind == "album" else missing_image
    try:
        return get(key), False
    except NotFound:
        pass
    try:
        return get(key, allow_deletehash=True), True
    except NotFound:
        raise missing(key) from None


def live_album(world: World, album_id: str) -> Album:
    """Return an album by id only (reads never take a deletehash)."""
    try:
        return world.album(album_id)
    except NotFound:
        raise missing_album(album_id) from None


def find_album(world: World, key: str) -> tuple[Album, bool]:
    """Return ``(album, found_by_deletehash)`` for an album id or deletehash."""
    return _lookup(world, "album", key)  # type: ignore[return-value]


def find_image(world: World, key: str) -> tuple[Image, bool]:
    """Return ``(image, found_by_deletehash)`` for an image id or deletehash."""
    return _lookup(world, "image", key)  # type: ignore[return-value]


def _editable(ctx: Ctx, kind: str, key: str, action: str) -> Album | Image:
    """Return the item if the caller may change it: its owner, or anyone with the deletehash."""
    item, by_hash = _lookup(ctx.world, kind, key)
    if by_hash or is_owner(item.owner, ctx.viewer):
        return item
    raise ApiError(403, f"You do not have permission to {action} this {kind}")


def editable_album(ctx: Ctx, key: str, action: str = "edit") -> Album:
    """The album ``key`` names, if the caller may change it."""
    return _editable(ctx, "album", key, action)  # type: ignore[return-value]


def editable_image(ctx: Ctx, key: str, action: str = "edit") -> Image:
    """The image ``key`` names, if the caller may change it."""
    return _editable(ctx, "image", key, action)  # type: ignore[return-value]


def live_image(world: World, image_id: str) -> Image:
    """Return an image by id only (reads never take a deletehash)."""
    try:
        return world.image(image_id)
    except NotFound:
        raise missing_image(image_id) from None
