"""Imgur's web API, ``/post/v1``: the routes imgur.com's own pages call.

The account's own posts are read with the browser's ``accesstoken`` cookie and the
website's client id as a query parameter; one post by id with a ``Client-ID``. Every
album is a post holding its images as ``media``; an image in no album is a post of its
own. Pages start at 1 and run out on an empty page; some list routes answer a bare
list and others ``{"data": [...]}`` (``web_flip_bodies`` swaps them).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from werkzeug.wrappers import Response

from .lookups import live_album, live_image
from .render import media_link
from .routing import ApiError, Ctx, json_response, route
from .state import Album, Image

PREFIX = "/post/v1"
PRIVATE = ("hidden", "secret")


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _media(ctx: Ctx, image: Image) -> dict[str, Any]:
    video = image.mime.startswith("video/")
    return {
        "id": image.id,
        "account_id": ctx.world.account(image.owner).id if image.owner else 0,
        "mime_type": image.mime,
        "type": "video" if video else "image",
        "name": image.name,
        "url": media_link(ctx.media, image),
        "ext": image.ext,
        "width": image.width,
        "height": image.height,
        "size": image.size,
        "created_at": _iso(image.datetime),
        "updated_at": _iso(image.datetime),
        "metadata": {
            "title": image.title or "",
            "description": image.description or "",
            "is_animated": image.animated or video,
            "is_looping": image.animated or video,
            "duration": 0,
            "has_sound": False,
        },
    }


def _post(ctx: Ctx, item: Album | Image, include: set[str]) -> dict[str, Any]:
    """Render an album or a lone image as a web-API post."""
    world = ctx.world
    if isinstance(item, Album):
        images = [world.images[i] for i in item.image_ids
                  if i in world.images and not world.images[i].deleted]
        cover = item.cover or (images[0].id if images else None)
    else:
        images, cover = [item], item.id
    owner = world.account(item.owner) if item.owner else None
    post: dict[str, Any] = {
        "id": item.id,
        "account_id": owner.id if owner else 0,
        "title": item.title or "",
        "description": item.description or "",
        "cover_id": cover,
        "created_at": _iso(item.datetime),
        "updated_at": None,
        "image_count": len(images),
        "is_album": isinstance(item, Album),
        "is_mature": bool(item.nsfw),
        "privacy": item.privacy if isinstance(item, Album) else "public",
        "view_count": item.views,
        "upvote_count": item.ups,
        "downvote_count": item.downs,
        "favorite": ctx.viewer is not None and ctx.viewer in item.favorited_by,
    }
    if "media" in include:
        post["media"] = [_media(ctx, image) for image in images]
    if "tags" in include:
        post["tags"] = [{"tag": tag, "display": tag} for tag in item.tags]
    if "account" in include and owner is not None:
        post["account"] = {"id": owner.id, "username": owner.url,
                           "avatar_url": f"{ctx.media}/user/{owner.url}/avatar"}
    return post


def _include(ctx: Ctx) -> set[str]:
    return {part.strip() for part in (ctx.param("include") or "").split(",") if part.strip()}


def own_posts(ctx: Ctx, username: str) -> list[Album | Image]:
    """The account's posts, newest first: its albums, then its images in none of them."""
    world = ctx.world
    albums = world.albums_of(username)
    in_albums = {i for album in albums for i in album.image_ids}
    loose = [image for image in world.images_of(username) if image.id not in in_albums]
    posts: list[Album | Image] = [*albums, *loose]
    return sorted(posts, key=lambda p: (p.datetime, p.seq), reverse=True)


def _listing(ctx: Ctx, posts: list[Album | Image], wrapped: bool) -> Response:
    raw = ctx.param("page") or "1"
    if not raw.isdigit() or int(raw) < 1:
        raise ApiError(400, "page must be a number from 1")
    sort = ctx.param("sort") or "-created_at"
    if sort not in ("-created_at", "created_at"):
        raise ApiError(400, "sort must be -created_at or created_at")
    if sort == "created_at":
        posts = posts[::-1]
    size = ctx.app.options.web_page_size
    start = (int(raw) - 1) * size
    include = _include(ctx)
    page = [_post(ctx, post, include) for post in posts[start:start + size]]
    cap = ctx.app.options.web_listing_media
    for post in page:
        if cap and isinstance(post.get("media"), list):
            post["media"] = post["media"][:cap]
    return json_response({"data": page} if wrapped else page)


@route(PREFIX + "/accounts/me/all_posts", auth="cookie", kind="web")
def all_posts(ctx: Ctx) -> Response:
    """Every post of the signed-in account, hidden ones included (a bare list)."""
    posts = own_posts(ctx, ctx.require_user())
    return _listing(ctx, posts, wrapped=ctx.app.options.web_flip_bodies)


@route(PREFIX + "/accounts/me/hidden_albums", auth="cookie", kind="web")
def hidden_albums(ctx: Ctx) -> Response:
    """The signed-in account's hidden and secret albums (``{"data": [...]}``)."""
    albums = [a for a in ctx.world.albums_of(ctx.require_user()) if a.privacy in PRIVATE]
    return _listing(ctx, list(albums), wrapped=not ctx.app.options.web_flip_bodies)


@route(PREFIX + "/albums/<album_id>", auth="client", kind="web")
def album_post(ctx: Ctx, album_id: str) -> Response:
    """One album as a post; hidden albums too, as anyone holding the link may."""
    return json_response(_post(ctx, live_album(ctx.world, album_id), _include(ctx)))


@route(PREFIX + "/media/<image_id>", auth="client", kind="web")
def media_post(ctx: Ctx, image_id: str) -> Response:
    """One image as a post whose ``media[0]`` is the image."""
    return json_response(_post(ctx, live_image(ctx.world, image_id), _include(ctx) | {"media"}))
