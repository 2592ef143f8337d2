"""Gallery endpoints: listings, gallery items, sharing, votes, comments and credits.

Covers the gallery routes of docs/IMGUR-API.md §Endpoints and their comment and vote writes.
Listings
(sections, ``/r/{sub}``, ``/t/{tag}``, the memes gallery, search) are paged from 0 with a
fixed size (``options.gallery_page_size``; Imgur ignores ``perPage`` here) and end with
``[]``. Ordering is kept simple and deterministic: ``time``/``rising`` newest first,
``viral``/``top`` by points (ties newest first). ``window`` only narrows ``top`` listings
(section ``top``, or sort ``top`` elsewhere) and is measured back from the newest gallery
item, so seeded worlds with fixed dates do not empty out as the wall clock moves on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .lookups import is_owner, missing_album, missing_image
from .render import comment_json, gallery_json, tag_json
from .routing import ApiError, Ctx, route
from .state import Album, Comment, Image, NotFound, World

Item = Image | Album

G = "/3/gallery"
SECTIONS = ("hot", "top", "user")
SORTS = ("viral", "top", "time", "rising")
WINDOWS = {"day": 86400, "week": 7 * 86400, "month": 31 * 86400, "year": 366 * 86400, "all": 0}
VOTES = ("up", "down", "veto")
# Size classes of q_size_px by the longer side in pixels (docs/IMGUR-API.md §Endpoints).
SIZE_CLASSES = {"small": (0, 500), "med": (500, 2000), "big": (2000, 5000),
                "lrg": (5000, 10000), "huge": (10000, float("inf"))}
ADVANCED = ("q_all", "q_any", "q_exactly", "q_not", "q_type", "q_size_px")


# -- helpers ------------------------------------------------------------------------------------


def _changed(world: World) -> None:
    """Bump the world's version after a direct field change (listing caches key on it)."""
    world.version += 1


def _find(world: World, item_id: str, kind: str | None = None) -> Item:
    """Return a live image/album (in the gallery or not), or Imgur's 404."""
    lookup = {"album": world.album, "image": world.image}.get(kind or "", world.item)
    try:
        return lookup(item_id)
    except NotFound:
        raise (missing_album if kind == "album" else missing_image)(item_id) from None


def gallery_item(world: World, item_id: str, kind: str | None = None) -> Item:
    """Return an item that is in the gallery, or Imgur's 404."""
    item = _find(world, item_id, kind)
    if not item.in_gallery:
        raise (missing_album if kind == "album" else missing_image)(item_id)
    return item


def _json(ctx: Ctx, item: Item) -> dict[str, Any]:
    data = gallery_json(ctx.world, item, ctx.media, ctx.viewer, old=ctx.old_shapes)
    # Subreddit posts name their subreddit in ``section``; PyImgur's get_at_url relies on it.
    if isinstance(item, Image) and item.subreddit and not data.get("section"):
        data["section"] = item.subreddit
    return data


def _listing(ctx: Ctx, items: list[Item], sort: str, window: str, page: int, *,
             windowed: bool) -> list[dict[str, Any]]:
    """Filter, order and page gallery items the same way for every listing."""
    world = ctx.world
    span = WINDOWS.get(window, 0)
    if windowed and span and world.gallery_items():
        newest = world.gallery_items()[0].gallery_datetime
        items = [i for i in items if i.gallery_datetime > newest - span]
    if not ctx.flag("mature"):
        items = [i for i in items if not i.nsfw]
    if sort in ("viral", "top"):
        # sorted() is stable, so equal points keep the newest-first gallery order.
        items = sorted(items, key=lambda i: i.ups - i.downs, reverse=True)
    chosen = ctx.page(items, page, ctx.app.options.gallery_page_size, fixed=True)
    return [_json(ctx, i) for i in chosen]


# -- listings -----------------------------------------------------------------------------------


def _one(ctx: Ctx, key: str, belongs: Callable[[Item], bool], kind: str | None = None,
         ) -> dict[str, Any]:
    """One item of a sub-gallery, or Imgur's 404 when it is not in it."""
    item = gallery_item(ctx.world, key, kind)
    if not belongs(item):
        raise missing_image(key)
    return _json(ctx, item)


@route(G)
@route(G + "/<key>")
@route(G + "/<section>/<sort>/<int:page>")
@route(G + "/<section>/<sort>/<window>/<int:page>")
def gallery(ctx: Ctx, section: str = "hot", sort: str = "viral", window: str = "day",
            page: int = 0, key: str | None = None) -> Any:
    """The main gallery; ``/3/gallery/{id}`` (not a section name) is imgurpython's gallery_item."""
    if key is not None:
        if key not in SECTIONS:
            return _one(ctx, key, lambda _item: True)
        section = key
    if section not in SECTIONS:
        raise ApiError(400, f"Invalid gallery section {section!r}; use hot, top or user")
    # showViral and album_previews are accepted; nothing here is flagged viral.
    return _listing(ctx, ctx.world.gallery_items(), sort, window, page,
                    windowed=section == "top")


@route(G + "/r/<sub>")
@route(G + "/r/<sub>/<key>")
@route(G + "/r/<sub>/<sort>/<int:page>")
@route(G + "/r/<sub>/<sort>/<window>/<int:page>")
def subreddit(ctx: Ctx, sub: str, sort: str = "time", window: str = "week", page: int = 0,
              key: str | None = None) -> Any:
    """Gallery images posted to a subreddit, or one of them (a sort name is a first page)."""

    def belongs(item: Item) -> bool:
        return isinstance(item, Image) and (item.subreddit or "").lower() == sub.lower()

    if key is not None and key not in SORTS:
        return _one(ctx, key, belongs, "image")
    items = [i for i in ctx.world.gallery_items() if belongs(i)]
    sort = key or sort
    return _listing(ctx, items, sort, window, page, windowed=sort == "top")


def _has_tag(item: Item, tag: str) -> bool:
    return any(t.lower() == tag.lower() for t in item.tags)


@route(G + "/t/<tag>")
@route(G + "/t/<tag>/<key>")
@route(G + "/t/<tag>/<sort>/<int:page>")
@route(G + "/t/<tag>/<sort>/<window>/<int:page>")
def tag_gallery(ctx: Ctx, tag: str, sort: str = "viral", window: str = "week", page: int = 0,
                key: str | None = None) -> dict[str, Any]:
    """A Tag whose ``items`` hold one page of its gallery items, or one item seen via the tag."""
    if key is not None and key not in SORTS:
        return _one(ctx, key, lambda item: _has_tag(item, tag))
    items = [i for i in ctx.world.gallery_items() if _has_tag(i, tag)]
    # Report the tag as it is spelled on the items, whatever case the URL used.
    data = tag_json(ctx.world, next((t for i in items for t in i.tags
                                     if t.lower() == tag.lower()), tag))
    sort = key or sort
    data["items"] = _listing(ctx, items, sort, window, page, windowed=sort == "top")
    return data


def _is_meme(item: Item) -> bool:
    return (item.topic or "").lower() == "memes" or _has_tag(item, "memes")


def memes(ctx: Ctx, sort: str = "viral", window: str = "week", page: int = 0,
          key: str | None = None) -> Any:
    """The memes gallery: items whose topic or a tag is "memes"; or one of them."""
    if key is not None and key not in SORTS:
        return _one(ctx, key, _is_meme)
    items = [i for i in ctx.world.gallery_items() if _is_meme(i)]
    sort = key or sort
    return _listing(ctx, items, sort, window, page, windowed=sort == "top")


# PyImgur uses /3/gallery/g/memes/..., imgurpython the custom-gallery form /3/g/memes/...
for _prefix in (G + "/g/memes", "/3/g/memes"):
    for _rule in ("", "/<key>", "/<sort>/<int:page>", "/<sort>/<window>/<int:page>"):
        route(_prefix + _rule)(memes)


def _parse_q(q: str) -> tuple[list[str], list[str], list[str]]:
    """Split ``q`` into (all of, any of, none of): AND is implied, OR, NOT and -word work."""
    positive: list[str] = []
    negative: list[str] = []
    use_or = negate = False
    for token in q.split():
        upper = token.upper()
        if upper in ("AND", "OR", "NOT"):
            use_or = use_or or upper == "OR"
            negate = upper == "NOT"
            continue
        if token.startswith("-") and len(token) > 1:
            negative.append(token[1:].lower())
        else:
            (negative if negate else positive).append(token.lower())
        negate = False
    return ([], positive, negative) if use_or else (positive, [], negative)


def _type_ok(item: Item, kind: str) -> bool:
    if not kind:
        return True
    if isinstance(item, Album):
        return kind == "album"
    if kind == "anigif":
        return item.mime == "image/gif" and item.animated
    return item.mime == {"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif"}.get(kind)


def _size_ok(world: World, item: Item, size: str) -> bool:
    if not size:
        return True
    if size not in SIZE_CLASSES:
        return False
    image = world.images.get(item.cover or "") if isinstance(item, Album) else item
    low, high = SIZE_CLASSES[size]
    return image is not None and low < max(image.width, image.height) <= high


def _matcher(ctx: Ctx) -> Callable[[Item], bool]:
    """Build the search predicate from ``q`` or the advanced ``q_*`` fields."""
    advanced = {name: (ctx.param(name) or "").strip() for name in ADVANCED}
    q = (ctx.param("q") or "").strip()
    if not q and not any(advanced.values()):
        raise ApiError(400, "A search query (q) is required")
    if any(advanced.values()):  # as documented, q is ignored once advanced fields are set
        every, anyof, none = (advanced[k].lower().split() for k in ("q_all", "q_any", "q_not"))
    else:
        every, anyof, none = _parse_q(q)
    phrase = advanced["q_exactly"].lower()
    kind, size = advanced["q_type"].lower(), advanced["q_size_px"].lower()
    world = ctx.world

    def match(item: Item) -> bool:
        text = "\n".join([item.title or "", item.description or "", *item.tags]).lower()
        return (all(w in text for w in every) and (not anyof or any(w in text for w in anyof))
                and not any(w in text for w in none) and phrase in text
                and _type_ok(item, kind) and _size_ok(world, item, size))

    return match


@route(G + "/search")
@route(G + "/search/<sort>/<int:page>")
@route(G + "/search/<sort>/<window>/<int:page>")
def search(ctx: Ctx, sort: str = "time", window: str = "all",
           page: int = 0) -> list[dict[str, Any]]:
    """Search titles, descriptions and tags, case-insensitively."""
    match = _matcher(ctx)
    items = [i for i in ctx.world.gallery_items() if match(i)]
    return _listing(ctx, items, sort, window, page, windowed=sort == "top")


# -- gallery items: read, share, remove, vote ---------------------------------------------------


@route(G + "/<any(image,album):kind>/<item_id>")
def gallery_image_or_album(ctx: Ctx, kind: str, item_id: str) -> dict[str, Any]:
    """A Gallery Image or Gallery Album (the path says which)."""
    return _json(ctx, gallery_item(ctx.world, item_id, kind))


@route(G + "/<item_id>", "POST", auth="user")
@route(G + "/<any(image,album):kind>/<item_id>", "POST", auth="user")
def share(ctx: Ctx, item_id: str, kind: str | None = None) -> bool:
    """Share one of the caller's images or albums: ``title`` required, ``topic``, ``tags``."""
    user = ctx.require_user()
    world = ctx.world
    item = _find(world, item_id, kind)
    if not is_owner(item.owner, user):
        raise ApiError(403, "You do not have permission to share this item")
    title = (ctx.param("title") or "").strip()
    if not title:
        raise ApiError(400, "A title is required to share to the gallery")
    account = world.account(user)
    if ctx.flag("terms"):  # terms=1 accepts the gallery terms on the way (PM)
        account.accepted_gallery_terms = True
    elif not account.accepted_gallery_terms:
        raise ApiError(403, "You must accept the gallery terms before sharing (terms=1)")
    if not account.verified_email:
        raise ApiError(403, "You must verify your email address before sharing")
    if ctx.param("mature") is not None:
        item.nsfw = ctx.flag("mature")
    world.share(item.id, title, topic=ctx.param("topic"), tags=ctx.id_list("tags") or ())
    return True


@route(G + "/<item_id>", "DELETE", auth="user")
def remove_from_gallery(ctx: Ctx, item_id: str) -> bool:
    """Take one of the caller's items out of the gallery."""
    item = _find(ctx.world, item_id)
    if not is_owner(item.owner, ctx.require_user()):
        raise ApiError(403, "You do not have permission to remove this item")
    ctx.world.unshare(item.id)
    return True


@route(G + "/<item_id>/votes")
def gallery_votes(ctx: Ctx, item_id: str) -> dict[str, int]:
    """The Vote model: ``{ups, downs}``."""
    item = gallery_item(ctx.world, item_id)
    return {"ups": item.ups, "downs": item.downs}


@route(G + "/<item_id>/vote/<vote>", "POST", auth="user")
@route("/3/comment/<int:comment_id>/vote/<vote>", "POST", auth="user")
def vote(ctx: Ctx, vote: str, item_id: str | None = None, comment_id: int | None = None) -> bool:
    """Vote up/down/veto on a gallery item or comment; the same vote twice takes it back."""
    world = ctx.world
    target = gallery_item(world, item_id) if item_id else _comment(world, comment_id or 0)
    if vote not in VOTES:
        raise ApiError(400, f"Invalid vote {vote!r}; use up, down or veto")
    key = ctx.require_user().lower()
    old = target.votes.pop(key, None)
    if old == "up":
        target.ups = max(0, target.ups - 1)
    elif old == "down":
        target.downs = max(0, target.downs - 1)
    if vote != "veto" and vote != old:  # PyImgur's docs: voting again resets to neutral
        target.votes[key] = vote
        if vote == "up":
            target.ups += 1
        else:
            target.downs += 1
    _changed(world)
    return True


@route(G + "/<item_id>/report", "POST", auth="user")
@route("/3/comment/<int:comment_id>/report", "POST", auth="user")
def report(ctx: Ctx, item_id: str | None = None, comment_id: int | None = None) -> bool:
    """Report a gallery item or comment (``reason`` 1–5); nothing is stored."""
    if item_id:
        gallery_item(ctx.world, item_id)
    else:
        _comment(ctx.world, comment_id or 0)
    reason = ctx.param("reason")
    if reason is not None and reason.strip() not in {"1", "2", "3", "4", "5"}:
        raise ApiError(400, "reason must be a number from 1 to 5")
    return True


@route(G + "/<item_id>/tags")
def item_tags(ctx: Ctx, item_id: str) -> dict[str, Any]:
    """``{tags: [...]}``: Tag fields plus the tag-vote fields imgurpython reads."""
    item = gallery_item(ctx.world, item_id)
    return {"tags": [{**tag_json(ctx.world, name), "ups": 1, "downs": 0, "author": item.owner}
                     for name in item.tags]}


# -- comments -------------------------------------------------------------------------------------


def _missing_comment(comment_id: int) -> ApiError:
    return ApiError(404, f"Unable to find a comment with the id, {comment_id}")


def _comment(world: World, comment_id: int) -> Comment:
    try:
        return world.comment(comment_id)
    except NotFound:
        raise _missing_comment(comment_id) from None


def _ordered(comments: Iterable[Comment], sort: str) -> list[Comment]:
    """best/top by points (ties oldest first), new newest first, anything else oldest first."""
    if sort in ("best", "top"):
        return sorted(comments, key=lambda c: (-(c.ups - c.downs), c.id))
    if sort == "new":
        return sorted(comments, key=lambda c: (c.datetime, c.id), reverse=True)
    return sorted(comments, key=lambda c: c.id)


def _tree(ctx: Ctx, comment: Comment, sort: str = "oldest") -> dict[str, Any]:
    """A comment with its live replies nested under ``children``, each level sorted."""
    kids: dict[int, list[Comment]] = {}
    for c in ctx.world.comments_on(comment.image_id):
        kids.setdefault(c.parent_id, []).append(c)

    def build(node: Comment) -> dict[str, Any]:
        data = comment_json(ctx.world, node, ctx.viewer, children=False)
        data["children"] = [build(c) for c in _ordered(kids.get(node.id, []), sort)]
        return data

    return build(comment)


@route(G + "/<item_id>/comments")
@route(G + "/<item_id>/comments/<sort>")
@route(G + "/<item_id>/comments/<sort>/<int:page>")
def gallery_comments(ctx: Ctx, item_id: str, sort: str = "best",
                     page: int | None = None) -> list[dict[str, Any]]:
    """Top-level comments with their reply trees; paged only when a page is given (PyImgur)."""
    item = gallery_item(ctx.world, item_id)
    top = _ordered([c for c in ctx.world.comments_on(item.id) if not c.parent_id], sort)
    if page is not None:
        top = ctx.page(top, page, ctx.app.options.comments_page_size)
    return [_tree(ctx, c, sort) for c in top]


@route(G + "/<item_id>/comments/ids")
def gallery_comment_ids(ctx: Ctx, item_id: str) -> list[int]:
    """Ids of every live comment on the item, oldest first."""
    return [c.id for c in ctx.world.comments_on(gallery_item(ctx.world, item_id).id)]


@route(G + "/<item_id>/comments/count")
def gallery_comment_count(ctx: Ctx, item_id: str) -> int:
    """How many live comments (replies included) the item has."""
    return len(ctx.world.comments_on(gallery_item(ctx.world, item_id).id))


@route(G + "/<item_id>/comment/<int:comment_id>")
def gallery_comment(ctx: Ctx, item_id: str, comment_id: int) -> dict[str, Any]:
    """One comment of the item, with its replies."""
    item = gallery_item(ctx.world, item_id)
    comment = _comment(ctx.world, comment_id)
    if comment.image_id != item.id:
        raise _missing_comment(comment_id)
    return _tree(ctx, comment)


@route("/3/comment/<int:comment_id>")
@route("/3/comment/<int:comment_id>/replies")
def get_comment(ctx: Ctx, comment_id: int) -> dict[str, Any]:
    """A comment with ``children`` (the replies route answers the same shape)."""
    return _tree(ctx, _comment(ctx.world, comment_id))


@route("/3/comment", "POST", auth="user")
@route("/3/comment/<int:comment_id>", "POST", auth="user")
@route(G + "/<item_id>/comment", "POST", auth="user")
def post_comment(ctx: Ctx, item_id: str | None = None,
                 comment_id: int | None = None) -> dict[str, int]:
    """Comment (``comment``) on ``image_id`` or reply to ``parent_id``: ``{"id": <int>}``."""
    world = ctx.world
    parent_id = str(comment_id) if comment_id else (ctx.param("parent_id") or "0").strip()
    if not parent_id.isdigit():
        raise ApiError(400, "parent_id must be a comment id")
    parent = _comment(world, int(parent_id)) if int(parent_id) else None
    # A reply's image_id defaults to its parent's item (PM sends it anyway).
    item_id = item_id or (ctx.param("image_id") or "").strip() or (parent and parent.image_id)
    if not item_id:
        raise ApiError(400, "image_id is required")
    text = ctx.param("comment") or ""
    if not text.strip():
        raise ApiError(400, "A comment is required")
    item = gallery_item(world, item_id)
    if parent and parent.image_id != item.id:
        raise ApiError(400, "The parent comment is on another item")
    comment = world.add_comment(ctx.require_user(), item.id, text, parent_id=int(parent_id))
    return {"id": comment.id}


@route("/3/comment/<int:comment_id>", "DELETE", auth="user")
def delete_comment(ctx: Ctx, comment_id: int) -> bool:
    """Delete one's own comment."""
    comment = _comment(ctx.world, comment_id)
    if not is_owner(comment.author, ctx.require_user()):
        raise ApiError(403, "You do not have permission to delete this comment")
    comment.deleted = True
    _changed(ctx.world)
    return True


# -- misc -----------------------------------------------------------------------------------------


@route("/3/credits")
def get_credits(ctx: Ctx) -> dict[str, int]:
    """The caller's credits, read (not charged) from the buckets app.py just charged."""
    # The same bucket keys as SandboxApp._api, so the body agrees with the X-RateLimit headers.
    user = ctx.viewer.lower() if ctx.viewer else (ctx.request.remote_addr or "?")
    return ctx.app.limits.credits(ctx.client_id or "?", user, ctx.token is not None)


@route("/3/topics/defaults")
def default_topics(ctx: Ctx) -> list[Any]:
    """Topics left the API in 2017; an empty list keeps old clients quiet."""
    return []
