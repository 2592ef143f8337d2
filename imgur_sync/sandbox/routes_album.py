"""Album endpoints: read, create, update/set images, add, remove_images, delete, favorite.

Owned albums are managed by id with a Bearer token, anonymous ones by deletehash
(docs/IMGUR-API.md §Writes). Image lists arrive as ``ids[]``, comma-joined ``ids``, repeated
``ids`` parts or a JSON list; ``Ctx.id_list`` folds them all into one list.
"""

from __future__ import annotations

from typing import Any

from .lookups import (
    PRIVACIES,
    editable_album,
    is_owner,
    live_album,
    missing_image,
)
from .render import album_json, image_json
from .routing import ApiError, Ctx, route
from .state import Album, Image, NotFound

LAYOUTS = frozenset({"blog", "grid", "horizontal", "vertical"})


def requested_images(ctx: Ctx) -> tuple[list[str], list[str], bool]:
    """Split ``ids``/``deletehashes`` into (usable image ids, refused keys, any given).

    An id is usable when the caller owns the image; a deletehash is usable because
    holding it is what proves ownership of an anonymous image.
    """
    world = ctx.world
    ids = ctx.id_list("ids")
    hashes = ctx.id_list("deletehashes")
    good: list[str] = []
    bad: list[str] = []
    for image_id in ids or []:
        image = world.images.get(image_id)
        if image is not None and not image.deleted and is_owner(image.owner, ctx.viewer):
            good.append(image.id)
        else:
            bad.append(image_id)
    for deletehash in hashes or []:
        try:
            image = world.image(deletehash, allow_deletehash=True)
        except NotFound:
            image = None
        # world.image also answers to a plain id; only a real deletehash counts here.
        if image is not None and image.deletehash == deletehash:
            good.append(image.id)
        else:
            bad.append(deletehash)
    unique = list(dict.fromkeys(good))
    return unique, bad, ids is not None or hashes is not None


def _fields(ctx: Ctx) -> dict[str, str]:
    """Return the album fields the request sets: title, description, privacy, layout."""
    fields = {name: value for name in ("title", "description")
              if (value := ctx.param(name)) is not None}
    privacy = (ctx.param("privacy") or "").lower()
    if privacy in PRIVACIES:
        fields["privacy"] = privacy
    layout = (ctx.param("layout") or "").lower()
    if layout in LAYOUTS:
        fields["layout"] = layout
    return fields


def _apply_cover(ctx: Ctx, album: Album) -> None:
    """Use ``cover`` if it names an image in the album; Imgur ignores anything else."""
    cover = ctx.param("cover")
    if cover and cover in album.image_ids and cover != album.cover:
        album.cover = cover
        ctx.world._touch()


def _images(ctx: Ctx, album: Album) -> list[Image]:
    return [ctx.world.images[i] for i in album.image_ids if i in ctx.world.images]


# -- reads ------------------------------------------------------------------------------


@route("/3/album/<album_id>")
def get_album(ctx: Ctx, album_id: str) -> dict[str, Any]:
    """An album with all its images (hidden/secret albums are readable by link)."""
    album = live_album(ctx.world, album_id)
    return album_json(ctx.world, album, ctx.media, ctx.viewer, with_images=True,
                      old=ctx.old_shapes)


@route("/3/album/<album_id>/images")
def get_album_images(ctx: Ctx, album_id: str) -> list[dict[str, Any]]:
    """Every image of an album; not paged (docs/IMGUR-API.md §Endpoints)."""
    album = live_album(ctx.world, album_id)
    return [image_json(ctx.world, i, ctx.media, ctx.viewer, in_album=True, old=ctx.old_shapes)
            for i in _images(ctx, album)]


@route("/3/album/<album_id>/image/<image_id>")
def get_album_image(ctx: Ctx, album_id: str, image_id: str) -> dict[str, Any]:
    """One image of an album."""
    album = live_album(ctx.world, album_id)
    if image_id not in album.image_ids:
        raise missing_image(image_id)
    return image_json(ctx.world, ctx.world.images[image_id], ctx.media, ctx.viewer,
                      in_album=True, old=ctx.old_shapes)


# -- writes ---------------------------------------------------------------------------------


@route("/3/album", "POST")
def create_album(ctx: Ctx) -> dict[str, str]:
    """Create an album: owned with Bearer, anonymous with Client-ID; refused ids are skipped."""
    world = ctx.world
    good, _refused, _given = requested_images(ctx)
    owner = ctx.viewer
    fields: dict[str, Any] = {
        "privacy": world.account(owner).album_privacy if owner else "public",
        **_fields(ctx),
    }
    album = world.add_album(owner, fields.pop("title", None), good, **fields)
    _apply_cover(ctx, album)
    return {"id": album.id, "deletehash": album.deletehash}


@route("/3/album/<key>", "PUT", "POST")
def update_album(ctx: Ctx, key: str) -> bool | dict[str, str]:
    """Update fields; ``ids``/``deletehashes`` replace the image set (also "set images").

    A PUT answers ``{id, deletehash}`` as in 2024 (``true`` with the old shapes); a POST
    answers ``true``.
    """
    album = editable_album(ctx, key)
    good, _refused, given = requested_images(ctx)
    for name, value in _fields(ctx).items():
        setattr(album, name, value)
    if given:
        # Non-owned or unknown ids are skipped silently, as PyImgur documents.
        ctx.world.set_album_images(album.id, good)
    _apply_cover(ctx, album)
    ctx.world._touch()  # fields were set directly; listing caches key on the version
    if ctx.request.method == "PUT" and not ctx.old_shapes:
        return {"id": album.id, "deletehash": album.deletehash}
    return True


@route("/3/album/<key>", "DELETE")
def delete_album(ctx: Ctx, key: str) -> bool:
    """Delete an album by id (owner) or deletehash; its images stay."""
    album = editable_album(ctx, key, "delete")
    ctx.world.delete_album(album.id)
    return True


@route("/3/album/<key>/add", "POST", "PUT")
def add_album_images(ctx: Ctx, key: str) -> bool:
    """Append images; any image the caller does not own refuses the whole call."""
    album = editable_album(ctx, key)
    good, refused, _given = requested_images(ctx)
    if refused:
        raise ApiError(403, f"You must own all the image ids to add them to album {album.id}")
    ctx.world.add_album_images(album.id, good)
    return True


@route("/3/album/<key>/remove_images", "POST", "DELETE")
def remove_album_images(ctx: Ctx, key: str) -> bool:
    """Remove images named by id or deletehash (form, query string or JSON)."""
    album = editable_album(ctx, key)
    drop = set(ctx.id_list("ids") or [])
    for deletehash in ctx.id_list("deletehashes") or []:
        try:
            drop.add(ctx.world.image(deletehash, allow_deletehash=True).id)
        except NotFound:
            continue
    ctx.world.remove_album_images(album.id, drop)
    return True


@route("/3/album/<album_id>/favorite", "POST", auth="user")
def favorite_album(ctx: Ctx, album_id: str) -> str:
    """Toggle the signed-in user's favorite on an album."""
    album = live_album(ctx.world, album_id)
    state = ctx.world.toggle_favorite(ctx.require_user(), album.id)
    return "favorited" if state else "unfavorited"
