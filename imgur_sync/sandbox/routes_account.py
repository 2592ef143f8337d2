"""Account endpoints under ``/3/account/{u}``: content listings, favorites, comments, settings.

``{u}`` is a username or ``me`` (Bearer only, via ``Ctx.account``). Lists are newest
first and paged from 0; a page past the end is ``[]`` (docs/IMGUR-API.md §Endpoints).
"""

from __future__ import annotations

import re
from typing import Any

from .lookups import (
    PRIVACIES,
    editable_album,
    editable_image,
    is_owner,
    live_album,
    live_image,
    missing_image,
)
from .render import (
    account_json,
    album_json,
    comment_json,
    favorite_json,
    gallery_json,
    image_json,
    notification_json,
    reply_json,
    settings_json,
)
from .routing import ApiError, Ctx, route
from .state import Account, Album, Comment, Image, NotFound, World

U = "/3/account/<u>"
_USERNAME = re.compile(r"[A-Za-z0-9]{4,63}")
_SETTING_FLAGS = ("public_images", "messaging_enabled", "accepted_gallery_terms", "show_mature")


def _albums(ctx: Ctx, account: Account) -> list[Album]:
    """The account's albums; hidden and secret ones only for the owner."""
    albums = ctx.world.albums_of(account.url)
    if is_owner(account.url, ctx.viewer):
        return albums
    return [a for a in albums if a.privacy == "public"]


def _paged(ctx: Ctx, items: list[Any], page: int) -> list[Any]:
    return ctx.page(items, page, ctx.app.options.page_size)


def _submissions(world: World, account: Account) -> list[Image | Album]:
    return [i for i in world.gallery_items() if is_owner(i.owner, account.url)]


def _sorted(items: list[Any], sort: str, points: Any = None) -> list[Any]:
    """Re-sort a newest-first list; unknown sorts fall back to newest, as Imgur's default."""
    if sort == "oldest":
        return items[::-1]
    if sort in ("best", "worst") and points is not None:
        return sorted(items, key=points, reverse=sort == "best")
    return items


def _gallery_page(ctx: Ctx, items: list[Image | Album], page: int, size: int, *,
                  render: Any = gallery_json) -> list[dict[str, Any]]:
    return [render(ctx.world, i, ctx.media, ctx.viewer, old=ctx.old_shapes)
            for i in ctx.page(items, page, size)]


# -- the account itself ---------------------------------------------------------------------


@route(U)
def get_account(ctx: Ctx, u: str) -> dict[str, Any]:
    """The Account model; ``?account_id=`` looks an account up by its number instead."""
    wanted = ctx.param("account_id")
    if wanted:
        for account in ctx.world.accounts.values():
            if str(account.id) == wanted.strip():
                return account_json(account)
        raise ApiError(404, f"Unable to find account {wanted}")
    return account_json(ctx.account(u))


@route(U, "DELETE", auth="user")
def delete_account(ctx: Ctx, u: str) -> bool:
    """PyImgur's User.delete: the owner may ask; the sandbox keeps the account."""
    ctx.own_account(u)
    return True


# -- images ------------------------------------------------------------------------------------


@route(U + "/images")
@route(U + "/images/<int:page>")
def account_images(ctx: Ctx, u: str, page: int = 0) -> list[dict[str, Any]]:
    """The account's images, newest first (Client-ID may read them ⚠)."""
    items = _paged(ctx, ctx.world.images_of(ctx.account(u).url), page)
    return [image_json(ctx.world, i, ctx.media, ctx.viewer, old=ctx.old_shapes) for i in items]


@route(U + "/images/ids")
@route(U + "/images/ids/<int:page>")
def account_image_ids(ctx: Ctx, u: str, page: int = 0) -> list[str]:
    """Ids of the account's images, paged like the images."""
    return [i.id for i in _paged(ctx, ctx.world.images_of(ctx.account(u).url), page)]


@route(U + "/images/count")
def account_image_count(ctx: Ctx, u: str) -> int:
    """How many images the account has."""
    return len(ctx.world.images_of(ctx.account(u).url))


@route(U + "/image/<image_id>")
def account_image(ctx: Ctx, u: str, image_id: str) -> dict[str, Any]:
    """One of the account's images."""
    account = ctx.account(u)
    image = live_image(ctx.world, image_id)
    if not is_owner(image.owner, account.url):
        raise missing_image(image_id)
    return image_json(ctx.world, image, ctx.media, ctx.viewer, old=ctx.old_shapes)


@route(U + "/image/<key>", "DELETE")
def delete_account_image(ctx: Ctx, u: str, key: str) -> bool:
    """Delete by deletehash (as documented), or by id for the signed-in owner."""
    ctx.account(u)
    image = editable_image(ctx, key, "delete")
    ctx.world.delete_image(image.id)
    return True


# -- albums ------------------------------------------------------------------------------------


@route(U + "/albums")
@route(U + "/albums/<int:page>")
def account_albums(ctx: Ctx, u: str, page: int = 0) -> list[dict[str, Any]]:
    """The account's albums, newest first, without their images."""
    items = _paged(ctx, _albums(ctx, ctx.account(u)), page)
    return [album_json(ctx.world, a, ctx.media, ctx.viewer, old=ctx.old_shapes) for a in items]


@route(U + "/albums/ids")
@route(U + "/albums/ids/<int:page>")
def account_album_ids(ctx: Ctx, u: str, page: int = 0) -> list[str]:
    """Ids of the account's albums."""
    return [a.id for a in _paged(ctx, _albums(ctx, ctx.account(u)), page)]


@route(U + "/albums/count")
def account_album_count(ctx: Ctx, u: str) -> int:
    """How many albums the caller may see on the account."""
    return len(_albums(ctx, ctx.account(u)))


@route(U + "/album/<album_id>")
def account_album(ctx: Ctx, u: str, album_id: str) -> dict[str, Any]:
    """One of the account's albums, the same as ``/3/album/{id}``."""
    account = ctx.account(u)
    album = live_album(ctx.world, album_id)
    if not is_owner(album.owner, account.url):
        raise ApiError(404, f"Unable to find an album with the id, {album_id}")
    return album_json(ctx.world, album, ctx.media, ctx.viewer, with_images=True,
                      old=ctx.old_shapes)


@route(U + "/album/<key>", "DELETE")
def delete_account_album(ctx: Ctx, u: str, key: str) -> bool:
    """Delete an album by id (owner) or deletehash."""
    ctx.account(u)
    album = editable_album(ctx, key, "delete")
    ctx.world.delete_album(album.id)
    return True


# -- favorites and submissions -------------------------------------------------------------


@route(U + "/favorites")
@route(U + "/favorites/<int:page>")
@route(U + "/favorites/<int:page>/<sort>")
def account_favorites(ctx: Ctx, u: str, page: int = 0, sort: str = "newest",
                      ) -> list[dict[str, Any]]:
    """The owner's favorites (gallery or not), as gallery items."""
    account = ctx.own_account(u)
    items = _sorted(ctx.world.favorites_of(account.url), sort)
    return _gallery_page(ctx, items, page, ctx.app.options.favorites_page_size,
                         render=favorite_json)


@route(U + "/gallery_favorites")
@route(U + "/gallery_favorites/<int:page>")
@route(U + "/gallery_favorites/<int:page>/<sort>")
def account_gallery_favorites(ctx: Ctx, u: str, page: int = 0, sort: str = "newest",
                              ) -> list[dict[str, Any]]:
    """Favorites that are in the public gallery; anyone may read them."""
    account = ctx.account(u)
    items = _sorted(ctx.world.favorites_of(account.url, gallery_only=True), sort)
    return _gallery_page(ctx, items, page, ctx.app.options.favorites_page_size)


@route(U + "/submissions")
@route(U + "/submissions/<int:page>")
@route(U + "/submissions/<int:page>/<sort>")
def account_submissions(ctx: Ctx, u: str, page: int = 0, sort: str = "newest",
                        ) -> list[dict[str, Any]]:
    """The account's gallery posts: newest, oldest, best or worst."""
    account = ctx.account(u)
    items = _sorted(_submissions(ctx.world, account), sort, lambda i: i.ups - i.downs)
    return _gallery_page(ctx, items, page, ctx.app.options.page_size)


# -- comments ------------------------------------------------------------------------------------


def _comments(ctx: Ctx, account: Account, sort: str) -> list[Comment]:
    return _sorted(ctx.world.comments_by(account.url), sort, lambda c: c.ups - c.downs)


@route(U + "/comments")
@route(U + "/comments/<sort>")
@route(U + "/comments/<sort>/<int:page>")
def account_comments(ctx: Ctx, u: str, sort: str = "newest", page: int = 0,
                     ) -> list[dict[str, Any]]:
    """The account's comments, 50 a page (``comments_page_size``)."""
    account = ctx.account(u)
    items = ctx.page(_comments(ctx, account, sort), page, ctx.app.options.comments_page_size)
    return [comment_json(ctx.world, c, ctx.viewer) for c in items]


@route(U + "/comments/ids")
@route(U + "/comments/ids/<sort>")
@route(U + "/comments/ids/<sort>/<int:page>")
def account_comment_ids(ctx: Ctx, u: str, sort: str = "newest", page: int = 0) -> list[int]:
    """Ids of the account's comments."""
    account = ctx.account(u)
    items = ctx.page(_comments(ctx, account, sort), page, ctx.app.options.comments_page_size)
    return [c.id for c in items]


@route(U + "/comments/count")
def account_comment_count(ctx: Ctx, u: str) -> int:
    """How many comments the account has written."""
    return len(ctx.world.comments_by(ctx.account(u).url))


def _authored(ctx: Ctx, account: Account, comment_id: int) -> Comment:
    try:
        comment = ctx.world.comment(comment_id)
    except NotFound:
        comment = None
    if comment is None or not is_owner(comment.author, account.url):
        raise ApiError(404, f"Unable to find a comment with the id, {comment_id}")
    return comment


@route(U + "/comment/<int:comment_id>")
def account_comment(ctx: Ctx, u: str, comment_id: int) -> dict[str, Any]:
    """One comment the account wrote, with its replies."""
    return comment_json(ctx.world, _authored(ctx, ctx.account(u), comment_id), ctx.viewer)


@route(U + "/comment/<int:comment_id>", "DELETE", auth="user")
def delete_account_comment(ctx: Ctx, u: str, comment_id: int) -> bool:
    """Delete one of the signed-in user's comments."""
    comment = _authored(ctx, ctx.own_account(u), comment_id)
    comment.deleted = True
    ctx.world._touch()  # no World method deletes comments; bump the version ourselves
    return True


# -- settings and profile ------------------------------------------------------------------


@route(U + "/settings")
def get_settings(ctx: Ctx, u: str) -> dict[str, Any]:
    """Account Settings, owner only."""
    return settings_json(ctx.own_account(u))


@route(U + "/settings", "POST", "PUT")
def change_settings(ctx: Ctx, u: str) -> bool:
    """Change bio, flags, album privacy and the username; everything is checked first."""
    account = ctx.own_account(u)
    privacy = ctx.param("album_privacy")
    if privacy is not None and privacy.lower() not in PRIVACIES:
        raise ApiError(400, "album_privacy must be public, hidden or secret")
    username = ctx.param("username")
    if username is not None and username != account.url:
        if not _USERNAME.fullmatch(username):
            raise ApiError(400, "Username must be 4 to 63 letters or digits")
        taken = ctx.world.accounts.get(username.lower())
        if taken is not None and taken is not account:
            raise ApiError(400, "Username is already taken")
    bio = ctx.param("bio")
    if bio is not None:
        account.bio = bio
    for name in _SETTING_FLAGS:
        if ctx.param(name) is not None:
            setattr(account, name, ctx.flag(name))
    if privacy is not None:
        account.album_privacy = privacy.lower()
    if username is not None and username != account.url:
        _rename(ctx.world, account, username)
    ctx.world._touch()  # fields were set directly
    return True


def _rename(world: World, account: Account, new: str) -> None:
    """Change a username everywhere the world stores it (by name or by lowercase key)."""
    old = account.url.lower()

    def swap(name: str) -> str:
        return new if name.lower() == old else name

    world.accounts.pop(old, None)
    account.url = new
    world.accounts[new.lower()] = account
    for thing in (*world.images.values(), *world.albums.values()):
        if thing.owner:
            thing.owner = swap(thing.owner)
        if old in thing.favorited_by:
            thing.favorited_by = (thing.favorited_by - {old}) | {new.lower()}
        if old in thing.votes:
            thing.votes[new.lower()] = thing.votes.pop(old)
    for comment in world.comments.values():
        comment.author = swap(comment.author)
        if old in comment.votes:
            comment.votes[new.lower()] = comment.votes.pop(old)
    for token in (*world.tokens.values(), *world.refresh_tokens.values()):
        token.username = swap(token.username)
    world.grants = {k: (swap(user), client) for k, (user, client) in world.grants.items()}
    for note in world.notifications.values():
        note.account = swap(note.account)
    for message in world.messages.values():
        message.sender, message.recipient = swap(message.sender), swap(message.recipient)
    for conversation in world.conversations.values():
        conversation.members = (swap(conversation.members[0]), swap(conversation.members[1]))
    world.main_user = swap(world.main_user)


@route(U + "/gallery_profile")
def gallery_profile(ctx: Ctx, u: str) -> dict[str, Any]:
    """Gallery Profile: totals and (no) trophies."""
    account = ctx.account(u)
    world = ctx.world
    return {
        "total_gallery_comments": len(world.comments_by(account.url)),
        "total_gallery_favorites": len(world.favorites_of(account.url, gallery_only=True)),
        "total_gallery_submissions": len(_submissions(world, account)),
        "trophies": [],
    }


@route(U + "/stats", auth="user")
def account_stats(ctx: Ctx, u: str) -> dict[str, Any]:
    """PyImgur's get_statistics; undocumented upstream, so a small plausible summary."""
    account = ctx.account(u)
    world = ctx.world
    return {
        "account_url": account.url,
        "total_images": len(world.images_of(account.url)),
        "total_albums": len(world.albums_of(account.url)),
        "total_favorites": len(world.favorites_of(account.url)),
        "total_gallery_submissions": len(_submissions(world, account)),
        "total_gallery_comments": len(world.comments_by(account.url)),
        "reputation": account.reputation,
        "created": account.created,
    }


@route(U + "/verifyemail")
def verify_email_status(ctx: Ctx, u: str) -> bool:
    """Whether the owner's e-mail address is verified."""
    return ctx.own_account(u).verified_email


@route(U + "/verifyemail", "POST")
def send_verification_email(ctx: Ctx, u: str) -> bool:
    """Pretend to send the verification e-mail."""
    ctx.own_account(u)
    return True


@route(U + "/avatar")
def get_avatar(ctx: Ctx, u: str) -> dict[str, Any]:
    """The owner's avatar (the same fields the Account model carries)."""
    data = account_json(ctx.own_account(u))
    return {"avatar": data["avatar"], "avatar_name": data["avatar_name"]}


@route(U + "/available_avatars")
def available_avatars(ctx: Ctx, u: str) -> dict[str, Any]:
    """The avatars the owner may pick: a few default letter ones."""
    location = account_json(ctx.own_account(u))["avatar"]
    avatars = [{"name": f"default/{c}", "location": location} for c in "ABC"]
    return {"available_avatars": avatars, "count": len(avatars)}


@route(U + "/notifications/replies")
def reply_notifications(ctx: Ctx, u: str) -> dict[str, Any] | list[dict[str, Any]]:
    """Reply notifications, newest first; ``new`` (default true) keeps only unseen ones.

    ``{"replies": [...], "total": n}`` as in 2024; the old shapes give the 2015 list.
    """
    account = ctx.own_account(u)
    world = ctx.world
    notes = [n for n in world.notifications_of(account.url, "reply", new=ctx.flag("new", True))
             if n.ref in world.comments]
    if ctx.old_shapes:
        return [notification_json(world, n, account.url) for n in notes]
    return {"replies": [reply_json(world, n, account.url) for n in notes], "total": len(notes)}


# -- tags -----------------------------------------------------------------------------------------


def _followed(ctx: Ctx, account: Account) -> set[str]:
    """The tags ``account`` follows; kept on the app, since the World has no such field."""
    table: dict[int, set[str]] | None = getattr(ctx.app, "followed_tags", None)
    if table is None:
        table = {}
        ctx.app.followed_tags = table  # type: ignore[attr-defined]
    return table.setdefault(account.id, set())


def _tag_exists(world: World, tag: str) -> bool:
    return any(tag.lower() in (t.lower() for t in item.tags) for item in world.gallery_items())


@route(U + "/follow/tag/<tag>", "POST", auth="user")
def follow_tag(ctx: Ctx, u: str, tag: str) -> bool:
    """Follow a tag that some gallery item carries."""
    account = ctx.own_account(u)
    if not _tag_exists(ctx.world, tag):
        raise ApiError(404, "Tag does not exist")
    _followed(ctx, account).add(tag.lower())
    return True


@route(U + "/follow/tag/<tag>", "DELETE", auth="user")
def unfollow_tag(ctx: Ctx, u: str, tag: str) -> bool:
    """Stop following a tag."""
    account = ctx.own_account(u)
    followed = _followed(ctx, account)
    if tag.lower() in followed:
        followed.discard(tag.lower())
        return True
    if not _tag_exists(ctx.world, tag):
        raise ApiError(404, "Tag does not exist")
    raise ApiError(409, "Not following tag")
