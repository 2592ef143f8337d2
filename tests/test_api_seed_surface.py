"""``imgur_sync.api`` against its contract, the PyImgur 0.5.3 documentation (the seed).

The seed is /work/shared/seeds/000_42707d7737f0eb76.txt. Three tables:

- **Table A** (``SIGNATURES``): every documented class and method with its documented
  parameters, compared with ``inspect.signature``. Documented positional order and defaults
  must match exactly; only extra keyword-only parameters (``api_url=`` and friends) may follow.
  ``BASES`` and ``ALIASES`` check the documented class tree and the PEP 8 names.
- **Table B** (``BEHAVIOURS``): one row per Table A entry (plus a few documented edge rows),
  each exercising the method against a ``demo`` sandbox, signed in with its refresh token, and
  asserting an effect visible in ``sb.world`` or in the returned value.
- **Table C** (``ATTRIBUTES``): the documented instance variables of Album, Image, Comment and
  User, with the values the world holds.

Doc ambiguities resolved here (each also noted at its row):

- ``Imgur``'s signature line says ``marshal_key=None`` but its Mashape section calls
  ``Imgur(CLIENT_ID, mashape_key=MASHAPE_KEY)``: ``mashape_key`` is the contract (typo).
- ``get_subreddit_gallery``'s signature says ``sort='time', window='top'`` while its text says
  "defaults to top" / "defaults to day": the signature line is the contract.
- ``Image`` lists ``link_large_square`` (Imgur has no such size) and omits
  ``link_small_thumbnail`` although ``download(size='small_thumbnail')`` exists: both must be
  present; ``link_large_square`` only has to be a working thumbnail link of the image.
- "Returns an access_token and request_token": ``request_token`` means ``refresh_token``.
- Return shapes the doc leaves open (``get_settings``, ``get_statistics``,
  ``get_gallery_profile``, ``get_replies``, ``get_notifications``) are read as either
  mappings or objects.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

import imgur_sync.api as api
from imgur_sync.sandbox import Sandbox

# -- Table A: documented signatures ------------------------------------------------------------

MODEL = "json_dict, imgur, has_fetched=True"

SIGNATURES: list[tuple[str, str, str]] = [
    # class, method, documented parameters (without self), exactly as in the seed
    ("Album", "__init__", MODEL),
    ("Album", "add_images", "images"),
    ("Album", "delete", ""),
    ("Album", "favorite", ""),
    ("Album", "remove_images", "images"),
    ("Album", "set_images", "images"),
    ("Album", "submit_to_gallery", "title, bypass_terms=False"),
    ("Album", "update",
     "title=None, description=None, images=None, cover=None, layout=None, privacy=None"),
    ("Basic_object", "__init__", MODEL),
    ("Basic_object", "refresh", ""),
    ("Comment", "__init__", MODEL),
    ("Comment", "delete", ""),
    ("Comment", "downvote", ""),
    ("Comment", "get_replies", ""),
    ("Comment", "reply", "text"),
    ("Comment", "upvote", ""),
    ("Gallery_album", "__init__", MODEL),
    ("Gallery_image", "__init__", MODEL),
    ("Gallery_item", "comment", "text"),
    ("Gallery_item", "downvote", ""),
    ("Gallery_item", "get_comments", ""),
    ("Gallery_item", "remove_from_gallery", ""),
    ("Gallery_item", "upvote", ""),
    ("Image", "__init__", MODEL),
    ("Image", "delete", ""),
    ("Image", "download", "path='', name=None, overwrite=False, size=None"),
    ("Image", "favorite", ""),
    ("Image", "submit_to_gallery", "title, bypass_terms=False"),
    ("Image", "update", "title=None, description=None"),
    # The seed's signature line says marshal_key=None, its Mashape section mashape_key=: a typo;
    # mashape_key is the contract.
    ("Imgur", "__init__", "client_id, client_secret=None, access_token=None, "
                          "refresh_token=None, verify=True, mashape_key=None"),
    ("Imgur", "authorization_url", "response, state=''"),
    ("Imgur", "change_authentication",
     "client_id=None, client_secret=None, access_token=None, refresh_token=None"),
    ("Imgur", "create_album", "title=None, description=None, images=None, cover=None"),
    ("Imgur", "exchange_code", "code"),
    ("Imgur", "exchange_pin", "pin"),
    ("Imgur", "get_album", "id"),
    ("Imgur", "get_at_url", "url"),
    ("Imgur", "get_comment", "id"),
    ("Imgur", "get_gallery",
     "section='hot', sort='viral', window='day', show_viral=True, limit=None"),
    ("Imgur", "get_gallery_album", "id"),
    ("Imgur", "get_gallery_image", "id"),
    ("Imgur", "get_image", "id"),
    ("Imgur", "get_memes_gallery", "sort='viral', window='week', limit=None"),
    ("Imgur", "get_message", "id"),
    ("Imgur", "get_notification", "id"),
    # The text says window "defaults to day"; the signature line (window='top') is the contract.
    ("Imgur", "get_subreddit_gallery", "subreddit, sort='time', window='top', limit=None"),
    ("Imgur", "get_subreddit_image", "subreddit, id"),
    ("Imgur", "get_user", "username"),
    ("Imgur", "is_imgur_url", "url"),
    ("Imgur", "refresh_access_token", ""),
    ("Imgur", "search_gallery", "q"),
    ("Imgur", "upload_image", "path=None, url=None, title=None, description=None, album=None"),
    ("Message", "__init__", MODEL),
    ("Message", "delete", ""),
    ("Message", "get_thread", ""),
    ("Message", "reply", "body"),
    ("Notification", "__init__", MODEL),
    ("Notification", "mark_as_viewed", ""),
    ("User", "__init__", MODEL),
    ("User", "change_settings", "bio=None, public_images=None, messaging_enabled=None, "
                                "album_privacy=None, accepted_gallery_terms=None"),
    ("User", "delete", ""),
    ("User", "get_albums", "limit=None"),
    ("User", "get_comments", ""),
    ("User", "get_favorites", ""),
    ("User", "get_gallery_favorites", ""),
    ("User", "get_gallery_profile", ""),
    ("User", "get_images", "limit=None"),
    ("User", "get_messages", "new=True"),
    ("User", "get_notifications", "new=True"),
    ("User", "get_replies", "new=True"),
    ("User", "get_settings", ""),
    ("User", "get_statistics", ""),
    ("User", "get_submissions", "limit=None"),
    ("User", "has_verified_email", ""),
    ("User", "send_message", "body, subject=None, reply_to=None"),
    ("User", "send_verification_email", ""),
]

# Documented "Bases:", in the documented order (Gallery_image: Image before Gallery_item).
BASES: list[tuple[str, tuple[str, ...]]] = [
    ("Album", ("Basic_object",)),
    ("Basic_object", ()),
    ("Comment", ("Basic_object",)),
    ("Gallery_album", ("Album", "Gallery_item")),
    ("Gallery_image", ("Image", "Gallery_item")),
    ("Gallery_item", ()),
    ("Image", ("Basic_object",)),
    ("Imgur", ()),
    ("Message", ("Basic_object",)),
    ("Notification", ("Basic_object",)),
    ("User", ("Basic_object",)),
]

ALIASES = [("BasicObject", "Basic_object"), ("GalleryItem", "Gallery_item"),
           ("GalleryImage", "Gallery_image"), ("GalleryAlbum", "Gallery_album")]

_EMPTY = inspect.Parameter.empty


def documented(params: str) -> list[tuple[str, str]]:
    """Return ``[(name, repr(default))]`` for a documented parameter list."""
    node = ast.parse(f"def f({params}): pass").body[0]
    assert isinstance(node, ast.FunctionDef)
    names = [a.arg for a in node.args.args]
    defaults = [repr(ast.literal_eval(d)) for d in node.args.defaults]
    return list(zip(names, [repr(_EMPTY)] * (len(names) - len(defaults)) + defaults,
                    strict=True))


def kls(name: str) -> type:
    """Return the class ``imgur_sync.api`` exports as ``name``."""
    found = getattr(api, name, None)
    assert inspect.isclass(found), f"imgur_sync.api does not export the class {name}"
    return found


@pytest.mark.parametrize(("cls_name", "method", "params"), SIGNATURES,
                         ids=[f"{c}.{m}" for c, m, _ in SIGNATURES])
def test_documented_signature(cls_name: str, method: str, params: str) -> None:
    func = getattr(kls(cls_name), method, None)
    assert callable(func), f"{cls_name} has no method {method}"
    actual = list(inspect.signature(func).parameters.values())
    assert actual and actual[0].name == "self", f"{cls_name}.{method} is not a plain method"
    actual = actual[1:]
    want = documented(params)
    head = actual[:len(want)]
    assert [(p.name, repr(p.default)) for p in head] == want
    assert all(p.kind is p.POSITIONAL_OR_KEYWORD for p in head), head
    extra = actual[len(want):]
    # Additions (api_url=, rapidapi_key=, **options) may only come after and only by keyword,
    # so every documented call still means what the doc says.
    assert all((p.kind is p.KEYWORD_ONLY and p.default is not _EMPTY)
               or p.kind is p.VAR_KEYWORD for p in extra), extra


@pytest.mark.parametrize(("cls_name", "bases"), BASES, ids=[c for c, _ in BASES])
def test_documented_bases(cls_name: str, bases: tuple[str, ...]) -> None:
    cls = kls(cls_name)
    mro = cls.__mro__
    for base in bases:
        assert issubclass(cls, kls(base)), f"{cls_name} does not subclass {base}"
    positions = [mro.index(kls(base)) for base in bases]
    assert positions == sorted(positions), f"{cls_name}'s MRO is not in the documented order"


@pytest.mark.parametrize(("alias", "name"), ALIASES, ids=[a for a, _ in ALIASES])
def test_pep8_aliases_are_the_documented_classes(alias: str, name: str) -> None:
    assert getattr(api, alias, None) is kls(name)


@pytest.mark.parametrize("name", ["NotFound", "UsageError"])
def test_errors_are_exported(name: str) -> None:
    assert issubclass(kls(name), Exception)


# -- shared fixtures and helpers -----------------------------------------------------------------


@dataclass
class Env:
    """What a behaviour row gets: the sandbox, a signed-in client and a scratch folder."""

    sb: Sandbox
    im: Any
    tmp: Path

    @property
    def world(self) -> Any:
        return self.sb.world

    @property
    def me(self) -> str:
        return self.sb.username

    def mine(self) -> list[str]:
        """The signed-in user's image ids, newest first."""
        return [i.id for i in self.world.images_of(self.me)]

    def item(self, title: str) -> Any:
        """The live world image or album titled ``title``."""
        found = [x for x in (*self.world.images.values(), *self.world.albums.values())
                 if x.title == title and not x.deleted]
        assert len(found) == 1, title
        return found[0]

    def comment(self, text: str) -> Any:
        """The world comment whose text is ``text``."""
        (found,) = [c for c in self.world.comments.values() if c.comment == text]
        return found

    def message_from(self, sender: str) -> Any:
        """The first seeded message ``sender`` sent."""
        return next(m for m in self.world.messages.values() if m.sender == sender)

    def route_count(self, route: str) -> int:
        return self.sb.counters.snapshot()["by_route"].get(route, 0)


POST = "When the laser pointer runs out of battery"  # catlover's gallery image, r/aww
OTHER_POST = "Tabby appreciation post"  # catlover's, r/aww
PAIR = "Road trip, in order"  # shutterbug's gallery album
SHARED = "My cat judges your code"  # the demo user's own gallery image
FIRST_COMMENT = "This is my cat, AMA"  # catlover's, top level on POST
MY_REPLY = "What is her name?"  # the demo user's reply to FIRST_COMMENT


@pytest.fixture
def env(demo: Sandbox, tmp_path: Path) -> Env:
    im = api.Imgur(demo.client_id, demo.client_secret, refresh_token=demo.refresh_token,
                   api_url=demo.url)
    im.refresh_access_token()  # Authorization, step three: now signed in as the demo user
    return Env(demo, im, tmp_path)


def ids(objects: Iterable[Any], cls: str | None = None) -> list[Any]:
    """Return the ids of ``objects`` (objects or dicts), checking their class when given."""
    out = []
    for obj in objects:
        if cls is not None:
            assert isinstance(obj, kls(cls)), f"{obj!r} is not a {cls}"
        out.append(obj["id"] if isinstance(obj, Mapping) else obj.id)
    return out


def field(obj: Any, name: str) -> Any:
    """Read ``name`` from a mapping or an object (the doc leaves the shape open)."""
    return obj[name] if isinstance(obj, Mapping) else getattr(obj, name)


def flatten(result: Any) -> list[Any]:
    """A list, or a mapping of lists (PyImgur's {"messages": [...], "replies": [...]})."""
    if isinstance(result, Mapping):
        return [x for value in result.values() for x in value]
    return list(result)


def saved_file(returned: Any, folder: Path) -> Path:
    """``download`` returns "Name of the new file": a path, or a name inside ``folder``."""
    path = Path(returned)
    return path if path.is_absolute() else folder / path.name


def new_keys(before: Iterable[Any], after: Mapping[Any, Any]) -> list[Any]:
    return [after[k] for k in after if k not in set(before)]


def viral(items: Iterable[Any]) -> list[Any]:
    """The sandbox's viral order: points, ties newest first (gallery_items is newest first)."""
    return sorted(items, key=lambda i: i.ups - i.downs, reverse=True)


def authorize(url: str) -> requests.Response:
    """Visit the sandbox's authorize page, which approves at once, without a browser."""
    return requests.get(url, allow_redirects=False, timeout=10)


def pin_from(url: str) -> str:
    match = re.search(r'<code id="pin">([^<]+)</code>', authorize(url).text)
    assert match, "the authorize page shows no PIN"
    return match.group(1)


def code_from(url: str) -> str:
    answer = authorize(url)
    assert answer.status_code in (301, 302, 303, 307), answer.status_code
    return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]


# -- Table B: behaviours ---------------------------------------------------------------------

BEHAVIOURS: dict[str, Callable[[Env], None]] = {}


def behaviour(name: str) -> Callable[[Callable[[Env], None]], Callable[[Env], None]]:
    def register(func: Callable[[Env], None]) -> Callable[[Env], None]:
        assert name not in BEHAVIOURS, name
        BEHAVIOURS[name] = func
        return func

    return register


# Album ------------------------------------------------------------------------------------------


@behaviour("Album.__init__")
def _album_init(e: Env) -> None:
    target = e.world.albums_of(e.me)[-1]
    lazy = api.Album({"id": target.id}, e.im, has_fetched=False)
    assert lazy._has_fetched is False
    assert lazy.title == target.title  # a missing attribute fetches once
    assert lazy._has_fetched is True
    assert ids(lazy.images, "Image") == target.image_ids
    given = api.Album({"id": target.id, "title": "As given"}, e.im)
    assert given._has_fetched is True and given.title == "As given"


@behaviour("Album.add_images")
def _album_add_images(e: Env) -> None:
    mine = e.mine()
    album = e.world.add_album(e.me, "Adding", [mine[0]])
    e.im.get_album(album.id).add_images([e.im.get_image(mine[1]), mine[2]])
    assert e.world.album(album.id).image_ids == [mine[0], mine[1], mine[2]]


@behaviour("Album.add_images (unaddable images fail silently)")
def _album_add_images_silently(e: Env) -> None:
    # "Images that you cannot add (non-existing or not owned by you) will not cause
    # exceptions, but fail silently."
    mine = e.mine()
    album = e.world.add_album(e.me, "Silently", [mine[0]])
    e.im.get_album(album.id).add_images([mine[1], e.item(OTHER_POST).id, "NoSuchId"])
    assert e.world.album(album.id).image_ids == [mine[0], mine[1]]


@behaviour("Album.delete")
def _album_delete(e: Env) -> None:
    album = e.world.add_album(e.me, "Doomed", e.mine()[:1])
    e.im.get_album(album.id).delete()
    assert e.world.albums[album.id].deleted


@behaviour("Album.favorite")
def _album_favorite(e: Env) -> None:
    target = e.world.albums_of(e.me)[1]
    album = e.im.get_album(target.id)
    assert album.is_favorited is False
    album.favorite()
    assert target.id in ids(e.world.favorites_of(e.me))
    assert e.im.get_album(target.id).is_favorited is True
    album.favorite()  # "Favoriting an already favorited album will unfavor it."
    assert target.id not in ids(e.world.favorites_of(e.me))


@behaviour("Album.remove_images")
def _album_remove_images(e: Env) -> None:
    mine = e.mine()
    album = e.world.add_album(e.me, "Trim", mine[:4])
    e.im.get_album(album.id).remove_images([e.im.get_image(mine[0]), mine[2]])
    assert e.world.album(album.id).image_ids == [mine[1], mine[3]]


@behaviour("Album.set_images")
def _album_set_images(e: Env) -> None:
    mine = e.mine()
    album = e.world.add_album(e.me, "Replace", mine[:2])
    # An image not owned by the user "will not cause exceptions, but fail silently".
    e.im.get_album(album.id).set_images([mine[5], e.item(OTHER_POST).id,
                                         e.im.get_image(mine[4])])
    assert e.world.album(album.id).image_ids == [mine[5], mine[4]]


@behaviour("Album.submit_to_gallery")
def _album_submit_to_gallery(e: Env) -> None:
    target = e.world.albums_of(e.me)[2]
    assert not target.in_gallery
    e.world.account(e.me).accepted_gallery_terms = False
    e.im.get_album(target.id).submit_to_gallery("Shared album", bypass_terms=True)
    assert target.in_gallery and target.title == "Shared album"
    assert e.im.get_gallery_album(target.id).title == "Shared album"


@behaviour("Album.update")
def _album_update(e: Env) -> None:
    mine = e.mine()
    album = e.world.add_album(e.me, "Before", mine[:2], description="Old words")
    remote = e.im.get_album(album.id)
    # The cover may be an Image object as well as an id (changelog 0.5.1).
    remote.update(title="After", images=[mine[3], e.im.get_image(mine[4])],
                  cover=e.im.get_image(mine[4]), layout="grid", privacy="hidden")
    found = e.world.album(album.id)
    assert (found.title, found.description, found.image_ids, found.cover, found.layout,
            found.privacy) == ("After", "Old words", [mine[3], mine[4]], mine[4], "grid",
                               "hidden")
    remote.update(description="New words")  # None keeps the old value
    assert (found.title, found.description, found.image_ids) == ("After", "New words",
                                                                 [mine[3], mine[4]])


# Basic_object -----------------------------------------------------------------------------------


@behaviour("Basic_object.__init__")
def _basic_init(e: Env) -> None:
    obj = api.Basic_object({"id": "abc1234", "title": "Plain"}, e.im)
    assert obj._has_fetched is True and obj.title == "Plain"
    # Changelog: a missing attribute raises AttributeError (not IndexError).
    with pytest.raises(AttributeError):
        _ = obj.no_such_attribute


@behaviour("Basic_object.refresh")
def _basic_refresh(e: Env) -> None:
    target = e.world.images_of(e.me)[0]
    image = e.im.get_image(target.id)
    old = image.title
    e.world.retitle_image(target.id, "Retitled behind its back")
    assert image.title == old
    image.refresh()
    assert image.title == "Retitled behind its back"
    # A lazily loaded object, as in the doc's "Lazy objects" example.
    author = e.im.get_gallery_image(e.item(POST).id).author
    assert author._has_fetched is False
    fetches = e.route_count("GET /3/account/<u>")
    author.refresh()  # changelog 0.5: a manual refresh() updates _has_fetched
    assert author._has_fetched is True
    assert e.route_count("GET /3/account/<u>") == fetches + 1
    assert author.reputation == e.world.account("catlover").reputation
    assert e.route_count("GET /3/account/<u>") == fetches + 1  # refresh() loaded it all


# Comment ----------------------------------------------------------------------------------------


@behaviour("Comment.__init__")
def _comment_init(e: Env) -> None:
    target = e.comment(FIRST_COMMENT)
    lazy = api.Comment({"id": target.id}, e.im, has_fetched=False)
    assert lazy._has_fetched is False
    assert lazy.text == FIRST_COMMENT
    assert lazy._has_fetched is True


@behaviour("Comment.delete")
def _comment_delete(e: Env) -> None:
    mine = e.world.add_comment(e.me, e.item(OTHER_POST).id, "Oops, wrong post")
    e.im.get_comment(mine.id).delete()
    assert e.world.comments[mine.id].deleted


@behaviour("Comment.downvote")
def _comment_downvote(e: Env) -> None:
    target = e.comment(FIRST_COMMENT)
    e.im.get_comment(target.id).downvote()
    assert target.votes.get(e.me.lower()) == "down" and target.downs == 1


@behaviour("Comment.get_replies")
def _comment_get_replies(e: Env) -> None:
    target = e.comment(FIRST_COMMENT)
    replies = e.im.get_comment(target.id).get_replies()
    assert ids(replies, "Comment") == [e.comment(MY_REPLY).id]
    assert replies[0].text == MY_REPLY


@behaviour("Comment.reply")
def _comment_reply(e: Env) -> None:
    target = e.comment(FIRST_COMMENT)
    before = list(e.world.comments)
    e.im.get_comment(target.id).reply("She looks like mine")
    (new,) = new_keys(before, e.world.comments)
    assert (new.parent_id, new.author, new.comment, new.image_id) == (
        target.id, e.me, "She looks like mine", target.image_id)


@behaviour("Comment.upvote")
def _comment_upvote(e: Env) -> None:
    target = e.comment(FIRST_COMMENT)
    e.im.get_comment(target.id).upvote()
    assert target.votes.get(e.me.lower()) == "up" and target.ups == 2


# Gallery_album, Gallery_image, Gallery_item ------------------------------------------------------


@behaviour("Gallery_album.__init__")
def _gallery_album_init(e: Env) -> None:
    pair = e.item(PAIR)
    lazy = api.Gallery_album({"id": pair.id}, e.im, has_fetched=False)
    assert isinstance(lazy, api.Album) and isinstance(lazy, api.Gallery_item)
    assert lazy._has_fetched is False
    assert lazy.title == PAIR
    assert ids(lazy.images, "Image") == pair.image_ids


@behaviour("Gallery_image.__init__")
def _gallery_image_init(e: Env) -> None:
    post = e.item(POST)
    lazy = api.Gallery_image({"id": post.id}, e.im, has_fetched=False)
    assert isinstance(lazy, api.Image) and isinstance(lazy, api.Gallery_item)
    assert lazy._has_fetched is False
    assert lazy.title == POST
    assert lazy.author.name == "catlover"


@behaviour("Gallery_item.comment")
def _gallery_comment(e: Env) -> None:
    post = e.item(POST)
    before = list(e.world.comments)
    e.im.get_gallery_image(post.id).comment("Lovely")
    (new,) = new_keys(before, e.world.comments)
    assert (new.image_id, new.author, new.comment, new.parent_id) == (post.id, e.me, "Lovely", 0)


@behaviour("Gallery_item.downvote")
def _gallery_downvote(e: Env) -> None:
    post = e.item(OTHER_POST)
    downs = post.downs
    item = e.im.get_gallery_image(post.id)
    item.downvote()
    assert post.votes.get(e.me.lower()) == "down" and post.downs == downs + 1
    item.downvote()  # "Downvoting something ... already downvoted will set the vote to neutral."
    assert e.me.lower() not in post.votes and post.downs == downs


@behaviour("Gallery_item.get_comments")
def _gallery_get_comments(e: Env) -> None:
    comments = e.im.get_gallery_image(e.item(POST).id).get_comments()
    assert ids(comments, "Comment") == [e.comment(FIRST_COMMENT).id]
    assert comments[0].text == FIRST_COMMENT and comments[0].author.name == "catlover"


@behaviour("Gallery_item.remove_from_gallery")
def _gallery_remove(e: Env) -> None:
    shared = e.item(SHARED)
    assert shared.in_gallery
    e.im.get_gallery_image(shared.id).remove_from_gallery()
    assert not shared.in_gallery


@behaviour("Gallery_item.upvote")
def _gallery_upvote(e: Env) -> None:
    pair = e.item(PAIR)
    ups = pair.ups
    album = e.im.get_gallery_album(pair.id)
    album.upvote()
    assert pair.votes.get(e.me.lower()) == "up" and pair.ups == ups + 1
    album.upvote()  # upvoting again sets the vote to neutral
    assert e.me.lower() not in pair.votes and pair.ups == ups


# Image ------------------------------------------------------------------------------------------


@behaviour("Image.__init__")
def _image_init(e: Env) -> None:
    target = e.world.images_of(e.me)[0]
    lazy = api.Image({"id": target.id}, e.im, has_fetched=False)
    assert lazy._has_fetched is False
    assert lazy.title == target.title
    assert lazy._has_fetched is True


@behaviour("Image.delete")
def _image_delete(e: Env) -> None:
    doomed = e.world.add_image(e.me, "Delete me")
    e.im.get_image(doomed.id).delete()
    assert e.world.images[doomed.id].deleted


@behaviour("Image.download")
def _image_download(e: Env) -> None:
    target = e.world.images_of(e.me)[0]  # "Bike ride": a title that is a valid file name
    image = e.im.get_image(target.id)
    full = requests.get(image.link, timeout=10).content
    saved = saved_file(image.download(path=str(e.tmp)), e.tmp)
    # "If name is None, then the title of the image will be used."
    assert saved == e.tmp / f"{target.title}.{target.ext}"
    assert saved.read_bytes() == full
    saved.write_bytes(b"stale")
    again = saved_file(image.download(path=str(e.tmp), overwrite=True), e.tmp)
    assert again == saved and saved.read_bytes() == full
    thumb = saved_file(image.download(str(e.tmp), name="thumb", size="small_square"), e.tmp)
    assert thumb.parent == e.tmp and thumb.name.startswith("thumb")
    assert thumb.read_bytes() == requests.get(image.link_small_square, timeout=10).content
    assert thumb.read_bytes() != full


@behaviour("Image.favorite")
def _image_favorite(e: Env) -> None:
    target = e.mine()[1]
    image = e.im.get_image(target)
    image.favorite()
    assert target in ids(e.world.favorites_of(e.me))
    assert e.im.get_image(target).is_favorited is True
    image.favorite()  # "Favoriting an already favorited image will unfavorite it."
    assert target not in ids(e.world.favorites_of(e.me))


@behaviour("Image.submit_to_gallery")
def _image_submit_to_gallery(e: Env) -> None:
    target = e.world.images_of(e.me)[0]
    assert not target.in_gallery
    e.im.get_image(target.id).submit_to_gallery("Bike ride, shared")
    assert target.in_gallery and target.title == "Bike ride, shared"
    assert e.im.get_gallery_image(target.id).title == "Bike ride, shared"


@behaviour("Image.update")
def _image_update(e: Env) -> None:
    target = e.world.images_of(e.me)[2]
    image = e.im.get_image(target.id)
    image.update(title="New title", description="New description")
    assert (target.title, target.description) == ("New title", "New description")
    image.update(title="Only the title")  # None keeps the old description
    assert (target.title, target.description) == ("Only the title", "New description")


# Imgur ------------------------------------------------------------------------------------------


@behaviour("Imgur.__init__")
def _imgur_init(e: Env) -> None:
    target = e.world.images_of(e.me)[0]
    anonymous = api.Imgur(e.sb.client_id, api_url=e.sb.url)
    assert anonymous.access_token is None and anonymous.refresh_token is None
    assert anonymous.get_image(target.id).title == target.title
    token = e.sb.access_token()
    signed_in = api.Imgur(e.sb.client_id, e.sb.client_secret, token, e.sb.refresh_token, True,
                          api_url=e.sb.url)
    assert signed_in.access_token == token and signed_in.refresh_token == e.sb.refresh_token
    assert signed_in.get_user("me").name == e.me


@behaviour("Imgur.authorization_url")
def _imgur_authorization_url(e: Env) -> None:
    url = e.im.authorization_url("pin")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{e.sb.url}/oauth2/authorize"
    query = parse_qs(parts.query)
    assert query["client_id"] == [e.sb.client_id] and query["response_type"] == ["pin"]
    with_state = e.im.authorization_url("code", state="round-trip")
    assert parse_qs(urlsplit(with_state).query)["response_type"] == ["code"]
    location = authorize(with_state).headers["Location"]
    assert parse_qs(urlsplit(location).query)["state"] == ["round-trip"]


@behaviour("Imgur.change_authentication")
def _imgur_change_authentication(e: Env) -> None:
    client = api.Imgur(e.sb.client_id, api_url=e.sb.url)
    token = e.world.issue_token(e.me, e.sb.client_id)
    client.change_authentication(client_secret=e.sb.client_secret,
                                 access_token=token.access_token,
                                 refresh_token=token.refresh_token)
    assert (client.access_token, client.refresh_token) == (token.access_token,
                                                            token.refresh_token)
    assert client.get_user("me").name == e.me
    # client_id=None kept the client id; the new secret and refresh token work together.
    assert client.refresh_access_token() != token.access_token


@behaviour("Imgur.create_album")
def _imgur_create_album(e: Env) -> None:
    mine = e.mine()
    album = e.im.create_album("Created", "By the API", images=[mine[0], e.im.get_image(mine[1])],
                              cover=mine[1])
    assert isinstance(album, api.Album)
    found = e.world.album(album.id)
    assert (found.owner, found.title, found.description, found.image_ids, found.cover) == (
        e.me, "Created", "By the API", [mine[0], mine[1]], mine[1])


@behaviour("Imgur.exchange_code")
def _imgur_exchange_code(e: Env) -> None:
    client = api.Imgur(e.sb.client_id, e.sb.client_secret, api_url=e.sb.url)
    code = code_from(client.authorization_url("code"))
    returned = client.exchange_code(code)
    # "returns an access_token and request_token" (meaning refresh_token) and stores them.
    assert tuple(returned) == (client.access_token, client.refresh_token)
    assert e.world.token_for(client.access_token).username == e.me
    assert client.get_user("me").name == e.me


@behaviour("Imgur.exchange_pin")
def _imgur_exchange_pin(e: Env) -> None:
    client = api.Imgur(e.sb.client_id, e.sb.client_secret, api_url=e.sb.url)
    pin = pin_from(client.authorization_url("pin"))
    returned = client.exchange_pin(pin)
    assert tuple(returned) == (client.access_token, client.refresh_token)
    assert e.world.token_for(client.access_token).username == e.me
    assert client.get_user("me").name == e.me


@behaviour("Imgur.get_album")
def _imgur_get_album(e: Env) -> None:
    target = e.world.albums_of(e.me)[-1]
    album = e.im.get_album(target.id)
    assert isinstance(album, api.Album)
    assert (album.id, album.title) == (target.id, target.title)
    # Only get_album sets images at once (changelog 0.5.1).
    assert ids(vars(album)["images"], "Image") == target.image_ids
    assert album.cover.id == target.cover


@behaviour("Imgur.get_at_url")
def _imgur_get_at_url(e: Env) -> None:
    image, album = e.mine()[0], e.world.albums_of(e.me)[-1].id
    post, pair, comment = e.item(POST).id, e.item(PAIR).id, e.comment(FIRST_COMMENT).id
    expected = [
        (f"https://imgur.com/{image}", "Image", image),
        (f"https://i.imgur.com/{image}.png", "Image", image),
        (f"https://imgur.com/a/{album}", "Album", album),
        (f"https://imgur.com/gallery/{post}", "Gallery_image", post),
        (f"https://imgur.com/gallery/{pair}", "Gallery_album", pair),
        (f"https://imgur.com/r/aww/{post}", "Gallery_image", post),
        (f"https://imgur.com/gallery/{post}/comment/{comment}", "Comment", comment),
    ]
    for url, cls, ident in expected:
        found = e.im.get_at_url(url)
        assert isinstance(found, kls(cls)) and found.id == ident, url
    user = e.im.get_at_url("https://imgur.com/user/catlover")
    assert isinstance(user, api.User) and user.name == "catlover"


@behaviour("Imgur.get_at_url (nothing matched: None)")
def _imgur_get_at_url_none(e: Env) -> None:
    # "Returns None if no object could be matched with the id."
    assert e.im.get_at_url("https://imgur.com/a/NoSuchA") is None
    assert e.im.get_at_url("https://example.com/not-imgur") is None


@behaviour("Imgur.get_comment")
def _imgur_get_comment(e: Env) -> None:
    first, reply = e.comment(FIRST_COMMENT), e.comment(MY_REPLY)
    comment = e.im.get_comment(reply.id)
    assert isinstance(comment, api.Comment)
    assert (comment.id, comment.text, comment.author.name) == (reply.id, MY_REPLY, e.me)
    assert comment.parent.id == first.id and e.im.get_comment(first.id).parent is None


@behaviour("Imgur.get_gallery")
def _imgur_get_gallery(e: Env) -> None:
    items = e.world.gallery_items()
    gallery = e.im.get_gallery()
    assert ids(gallery) == ids(viral(items))
    for got, want in zip(gallery, viral(items), strict=True):
        cls = "Gallery_album" if want.id in e.world.albums else "Gallery_image"
        assert isinstance(got, kls(cls)), got
    newest = e.im.get_gallery(section="top", sort="time", window="all", show_viral=False,
                              limit=2)
    assert ids(newest) == ids(items[:2])


@behaviour("Imgur.get_gallery_album")
def _imgur_get_gallery_album(e: Env) -> None:
    pair = e.item(PAIR)
    album = e.im.get_gallery_album(pair.id)
    assert isinstance(album, api.Gallery_album)
    assert (album.title, album.author.name) == (PAIR, "shutterbug")
    assert ids(album.images, "Image") == pair.image_ids


@behaviour("Imgur.get_gallery_image")
def _imgur_get_gallery_image(e: Env) -> None:
    post = e.item(POST)
    image = e.im.get_gallery_image(post.id)
    assert isinstance(image, api.Gallery_image)
    assert (image.title, image.author.name) == (POST, "catlover")
    assert image.link == f"{e.sb.url}/{post.id}.{post.ext}"


@behaviour("Imgur.get_image")
def _imgur_get_image(e: Env) -> None:
    target = e.world.images_of(e.me)[0]
    image = e.im.get_image(target.id)
    assert isinstance(image, api.Image)
    assert (image.id, image.title, image.description) == (target.id, target.title,
                                                          target.description)
    assert image.link == f"{e.sb.url}/{target.id}.{target.ext}"


@behaviour("Imgur.get_memes_gallery")
def _imgur_get_memes_gallery(e: Env) -> None:
    memes = [i for i in e.world.gallery_items()
             if (i.topic or "").lower() == "memes" or "memes" in i.tags]
    assert len(memes) >= 2
    assert set(ids(e.im.get_memes_gallery())) == set(ids(memes))
    assert len(e.im.get_memes_gallery(limit=1)) == 1


@behaviour("Imgur.get_message")
def _imgur_get_message(e: Env) -> None:
    sent = e.message_from("catlover")
    message = e.im.get_message(sent.id)
    assert isinstance(message, api.Message)
    assert (message.id, message.body) == (sent.id, sent.body)


@behaviour("Imgur.get_notification")
def _imgur_get_notification(e: Env) -> None:
    note = e.world.notifications_of(e.me, "message")[0]
    notification = e.im.get_notification(note.id)
    assert isinstance(notification, api.Notification) and notification.id == note.id


@behaviour("Imgur.get_subreddit_gallery")
def _imgur_get_subreddit_gallery(e: Env) -> None:
    aww = [i for i in e.world.gallery_items() if getattr(i, "subreddit", None) == "aww"]
    assert len(aww) == 2
    assert set(ids(e.im.get_subreddit_gallery("aww"), "Gallery_image")) == set(ids(aww))
    assert len(e.im.get_subreddit_gallery("aww", sort="top", window="all", limit=1)) == 1


@behaviour("Imgur.get_subreddit_image")
def _imgur_get_subreddit_image(e: Env) -> None:
    post = e.item(POST)
    image = e.im.get_subreddit_image("aww", post.id)
    assert isinstance(image, api.Gallery_image) and (image.id, image.title) == (post.id, POST)


@behaviour("Imgur.get_user")
def _imgur_get_user(e: Env) -> None:
    account = e.world.account("catlover")
    user = e.im.get_user("catlover")
    assert isinstance(user, api.User)
    assert (user.name, user.id, user.reputation, user.bio, user.created) == (
        account.url, account.id, account.reputation, account.bio, account.created)


@behaviour("Imgur.is_imgur_url")
def _imgur_is_imgur_url(e: Env) -> None:
    assert e.im.is_imgur_url("https://imgur.com/S1jmapR")
    assert e.im.is_imgur_url("http://i.imgur.com/S1jmapR.jpg")
    assert not e.im.is_imgur_url("https://example.com/S1jmapR")
    assert not e.im.is_imgur_url("https://imgur.com.evil.example/S1jmapR")


@behaviour("Imgur.refresh_access_token")
def _imgur_refresh_access_token(e: Env) -> None:
    old = e.im.access_token
    new = e.im.refresh_access_token()
    assert new == e.im.access_token and new != old
    assert e.world.token_for(new).username == e.me


@behaviour("Imgur.search_gallery")
def _imgur_search_gallery(e: Env) -> None:
    def text(item: Any) -> str:
        return " ".join([item.title or "", item.description or "", *item.tags]).lower()

    expected = [i for i in e.world.gallery_items() if "cat" in text(i)]
    assert 0 < len(expected) < len(e.world.gallery_items())
    assert set(ids(e.im.search_gallery("cat"))) == set(ids(expected))


@behaviour("Imgur.upload_image")
def _imgur_upload_image(e: Env) -> None:
    source = e.world.images[e.mine()[0]]
    picture = e.tmp / "upload.png"
    picture.write_bytes(requests.get(f"{e.sb.url}/{source.id}.{source.ext}", timeout=10).content)
    album = e.world.add_album(e.me, "Uploads")
    uploaded = e.im.upload_image(str(picture), title="Uploaded", description="From disk",
                                 album=e.im.get_album(album.id))
    assert isinstance(uploaded, api.Image)
    found = e.world.images[uploaded.id]
    assert (found.owner, found.title, found.description, found.size) == (
        e.me, "Uploaded", "From disk", picture.stat().st_size)
    assert e.world.album(album.id).image_ids == [uploaded.id]


@behaviour("Imgur.upload_image (from a url)")
def _imgur_upload_image_url(e: Env) -> None:
    source = e.world.images[e.mine()[0]]
    album = e.world.add_album(e.me, "From URLs")
    link = f"{e.sb.url}/{source.id}.{source.ext}"
    uploaded = e.im.upload_image(url=link, title="From a URL", album=album.id)
    found = e.world.images[uploaded.id]
    assert (found.owner, found.title, found.size) == (e.me, "From a URL", source.size)
    assert e.world.album(album.id).image_ids == [uploaded.id]


# Message ----------------------------------------------------------------------------------------


@behaviour("Message.__init__")
def _message_init(e: Env) -> None:
    sent = e.message_from("catlover")
    lazy = api.Message({"id": sent.id}, e.im, has_fetched=False)
    assert lazy._has_fetched is False
    assert lazy.body == sent.body
    assert lazy._has_fetched is True


@behaviour("Message.delete")
def _message_delete(e: Env) -> None:
    sent = e.message_from("shutterbug")
    e.im.get_message(sent.id).delete()
    assert sent.id not in e.world.messages


@behaviour("Message.get_thread")
def _message_get_thread(e: Env) -> None:
    sent = e.message_from("catlover")
    thread = e.im.get_message(sent.id).get_thread()
    assert ids(thread, "Message") == ids(e.world.conversations[sent.conversation_id].messages)


@behaviour("Message.reply")
def _message_reply(e: Env) -> None:
    sent = e.message_from("shutterbug")
    before = list(e.world.messages)
    e.im.get_message(sent.id).reply("A Fuji, thanks for asking")
    (new,) = new_keys(before, e.world.messages)
    assert (new.sender, new.recipient, new.body, new.conversation_id) == (
        e.me, "shutterbug", "A Fuji, thanks for asking", sent.conversation_id)


# Notification -----------------------------------------------------------------------------------


@behaviour("Notification.__init__")
def _notification_init(e: Env) -> None:
    note = e.world.notifications_of(e.me)[0]
    given = api.Notification({"id": note.id, "content": {}}, e.im)
    assert given._has_fetched is True and given.id == note.id
    lazy = api.Notification({"id": note.id}, e.im, has_fetched=False)
    assert lazy._has_fetched is False
    lazy.refresh()
    assert lazy._has_fetched is True and lazy.id == note.id


@behaviour("Notification.mark_as_viewed")
def _notification_mark_as_viewed(e: Env) -> None:
    note = e.world.notifications_of(e.me)[0]
    e.im.get_notification(note.id).mark_as_viewed()
    assert e.world.notifications[note.id].viewed


# User -------------------------------------------------------------------------------------------


@behaviour("User.__init__")
def _user_init(e: Env) -> None:
    lazy = api.User({"url": "catlover"}, e.im, has_fetched=False)  # Imgur's Account JSON
    assert lazy._has_fetched is False
    assert lazy.reputation == e.world.account("catlover").reputation
    assert lazy._has_fetched is True and lazy.name == "catlover"


@behaviour("User.change_settings")
def _user_change_settings(e: Env) -> None:
    e.im.get_user(e.me).change_settings(bio="Changed bio", public_images=False,
                                        messaging_enabled=False, album_privacy="secret",
                                        accepted_gallery_terms=False)
    account = e.world.account(e.me)
    assert (account.bio, account.public_images, account.messaging_enabled,
            account.album_privacy, account.accepted_gallery_terms) == (
        "Changed bio", False, False, "secret", False)
    e.im.get_user(e.me).change_settings(messaging_enabled=True)  # None keeps the rest
    assert (account.bio, account.messaging_enabled, account.album_privacy) == (
        "Changed bio", True, "secret")


@behaviour("User.delete")
def _user_delete(e: Env) -> None:
    # The sandbox acknowledges and keeps the account; the request itself is the effect.
    e.im.get_user(e.me).delete()
    assert e.route_count("DELETE /3/account/<u>") == 1


@behaviour("User.get_albums")
def _user_get_albums(e: Env) -> None:
    user = e.im.get_user(e.me)
    expected = ids(e.world.albums_of(e.me))  # hidden ones too: this is the logged-in user
    assert ids(user.get_albums(), "Album") == expected
    assert ids(user.get_albums(limit=2)) == expected[:2]
    public = ids(a for a in e.world.albums_of(e.me) if a.privacy == "public")
    anonymous = api.Imgur(e.sb.client_id, api_url=e.sb.url)
    assert ids(anonymous.get_user(e.me).get_albums()) == public != expected


@behaviour("User.get_comments")
def _user_get_comments(e: Env) -> None:
    comments = e.im.get_user(e.me).get_comments()
    assert ids(comments, "Comment") == ids(e.world.comments_by(e.me))
    assert [c.text for c in comments] == [MY_REPLY]


@behaviour("User.get_favorites")
def _user_get_favorites(e: Env) -> None:
    favorites = e.im.get_user(e.me).get_favorites()
    assert ids(favorites) == ids(e.world.favorites_of(e.me))


@behaviour("User.get_gallery_favorites")
def _user_get_gallery_favorites(e: Env) -> None:
    favorites = e.im.get_user(e.me).get_gallery_favorites()
    expected = ids(e.world.favorites_of(e.me, gallery_only=True))
    assert ids(favorites) == expected and len(expected) < len(e.world.favorites_of(e.me))


@behaviour("User.get_gallery_profile")
def _user_get_gallery_profile(e: Env) -> None:
    profile = e.im.get_user(e.me).get_gallery_profile()
    assert field(profile, "total_gallery_comments") == len(e.world.comments_by(e.me))
    assert field(profile, "total_gallery_favorites") == len(
        e.world.favorites_of(e.me, gallery_only=True))


@behaviour("User.get_images")
def _user_get_images(e: Env) -> None:
    user = e.im.get_user(e.me)
    assert ids(user.get_images(), "Image") == e.mine()
    assert ids(user.get_images(limit=3)) == e.mine()[:3]


@behaviour("User.get_messages")
def _user_get_messages(e: Env) -> None:
    user = e.im.get_user(e.me)
    expected = ids(e.world.notifications_of(e.me, "message"))
    assert len(expected) == 3
    assert ids(user.get_messages(), "Notification") == expected
    e.world.notifications[expected[0]].viewed = True
    assert ids(user.get_messages()) == expected[1:]
    assert ids(user.get_messages(new=False)) == expected


@behaviour("User.get_notifications")
def _user_get_notifications(e: Env) -> None:
    user = e.im.get_user(e.me)
    expected = set(ids(e.world.notifications_of(e.me)))
    assert len(expected) == 4  # three messages and one reply
    assert set(ids(flatten(user.get_notifications()))) == expected
    seen = min(expected)
    e.world.notifications[seen].viewed = True
    assert set(ids(flatten(user.get_notifications()))) == expected - {seen}
    assert set(ids(flatten(user.get_notifications(new=False)))) == expected


@behaviour("User.get_replies")
def _user_get_replies(e: Env) -> None:
    user = e.im.get_user(e.me)
    expected = ids(e.world.notifications_of(e.me, "reply"))
    assert len(expected) == 1
    assert ids(user.get_replies()) == expected
    e.world.notifications[expected[0]].viewed = True
    assert ids(user.get_replies()) == []
    assert ids(user.get_replies(new=False)) == expected


@behaviour("User.get_settings")
def _user_get_settings(e: Env) -> None:
    account = e.world.account(e.me)
    settings = e.im.get_user(e.me).get_settings()
    assert (field(settings, "email"), field(settings, "album_privacy")) == (
        account.email, account.album_privacy)


@behaviour("User.get_statistics")
def _user_get_statistics(e: Env) -> None:
    statistics = e.im.get_user(e.me).get_statistics()
    assert field(statistics, "total_images") == len(e.mine())
    assert field(statistics, "total_albums") == len(e.world.albums_of(e.me))


@behaviour("User.get_submissions")
def _user_get_submissions(e: Env) -> None:
    submissions = e.im.get_user(e.me).get_submissions()
    assert ids(submissions, "Gallery_image") == [e.item(SHARED).id]
    assert ids(e.im.get_user("shutterbug").get_submissions(limit=1)) == [e.item(PAIR).id]


@behaviour("User.has_verified_email")
def _user_has_verified_email(e: Env) -> None:
    user = e.im.get_user(e.me)
    assert user.has_verified_email() is True
    e.world.account(e.me).verified_email = False
    assert user.has_verified_email() is False


@behaviour("User.send_message")
def _user_send_message(e: Env) -> None:
    recipient = e.im.get_user("nightowl")
    before = list(e.world.messages)
    recipient.send_message("Up late again?", subject="Hello")
    (first,) = new_keys(before, e.world.messages)
    assert (first.sender, first.recipient, first.body) == (e.me, "nightowl", "Up late again?")
    original = e.message_from("shutterbug")
    for reply_to in (e.im.get_message(original.id), original.id):  # a Message or its id
        before = list(e.world.messages)
        e.im.get_user("shutterbug").send_message("About the camera", reply_to=reply_to)
        (reply,) = new_keys(before, e.world.messages)
        assert (reply.sender, reply.recipient, reply.conversation_id) == (
            e.me, "shutterbug", original.conversation_id)


@behaviour("User.send_verification_email")
def _user_send_verification_email(e: Env) -> None:
    e.im.get_user(e.me).send_verification_email()
    assert e.route_count("POST /3/account/<u>/verifyemail") == 1


def test_every_documented_method_has_a_behaviour_row() -> None:
    missing = [f"{c}.{m}" for c, m, _ in SIGNATURES if f"{c}.{m}" not in BEHAVIOURS]
    assert not missing, missing


@pytest.mark.parametrize("row", list(BEHAVIOURS))
def test_behaviour(row: str, env: Env) -> None:
    BEHAVIOURS[row](env)


# -- Table C: documented attributes -----------------------------------------------------------

Fetch = Callable[[Env], tuple[Any, Any]]  # -> (the api object, the world object it shows)


def _album(e: Env) -> tuple[Any, Any]:
    """The user's "Cats" album, favorited by them, fetched with get_album."""
    target = e.world.albums_of(e.me)[-1]
    e.world.favorite(e.me, target.id)
    return e.im.get_album(target.id), target


def _image(e: Env) -> tuple[Any, Any]:
    """The user's animated "Desk setup" GIF, favorited by them."""
    target = e.item("Desk setup")
    e.world.favorite(e.me, target.id)
    return e.im.get_image(target.id), target


def _reply(e: Env) -> tuple[Any, Any]:
    """The user's reply on catlover's post, which the user has upvoted."""
    target = e.comment(MY_REPLY)
    target.votes[e.me.lower()] = "up"
    return e.im.get_comment(target.id), target


def _on_album(e: Env) -> tuple[Any, Any]:
    """A comment on shutterbug's gallery album, and that album."""
    pair = e.item(PAIR)
    target = e.world.add_comment("nightowl", pair.id, "Great trip")
    return e.im.get_comment(target.id), pair


def _listed(e: Env) -> tuple[Any, Any]:
    """A top-level comment as Gallery_item.get_comments returns it (the one with replies)."""
    post = e.item(POST)
    return e.im.get_gallery_image(post.id).get_comments()[0], e.comment(FIRST_COMMENT)


def _gallery_image(e: Env) -> tuple[Any, Any]:
    post = e.item(POST)
    return e.im.get_gallery_image(post.id), post


def _user(e: Env) -> tuple[Any, Any]:
    return e.im.get_user("catlover"), e.world.account("catlover")


def plain(value: Any) -> Any:
    """Model objects as (documented class, id or username); lists element-wise."""
    if isinstance(value, list):
        return [plain(v) for v in value]
    for name in ("User", "Comment", "Album", "Image"):
        if isinstance(value, kls(name)):
            return name, value.name if name == "User" else value.id
    return value


def thumb(letter: str) -> Callable[[Any, Env], str]:
    return lambda w, e: f"{e.sb.url}/{w.id}{letter}.{w.ext}"


ATTRIBUTES: list[tuple[str, str, Fetch, Callable[[Any, Env], Any]]] = [
    # class, documented variable, what to fetch, the value the world says it has
    ("Album", "author", _album, lambda w, e: ("User", w.owner)),
    ("Album", "cover", _album, lambda w, e: ("Image", w.cover)),
    ("Album", "datetime", _album, lambda w, e: w.datetime),
    ("Album", "deletehash", _album, lambda w, e: w.deletehash),
    ("Album", "description", _album, lambda w, e: w.description),
    ("Album", "id", _album, lambda w, e: w.id),
    ("Album", "images", _album, lambda w, e: [("Image", i) for i in w.image_ids]),
    ("Album", "is_favorited", _album, lambda w, e: True),
    ("Album", "is_nsfw", _album, lambda w, e: False),
    ("Album", "layout", _album, lambda w, e: w.layout),
    ("Album", "link", _album, lambda w, e: f"{e.sb.url}/a/{w.id}"),
    # "public – The privacy level of the album": the privacy level, under the documented name.
    ("Album", "public", _album, lambda w, e: w.privacy),
    ("Album", "section", _album, lambda w, e: w.section),
    ("Album", "title", _album, lambda w, e: w.title),
    ("Album", "views", _album, lambda w, e: w.views),
    ("Image", "bandwidth", _image, lambda w, e: w.views * w.size),
    ("Image", "datetime", _image, lambda w, e: w.datetime),
    ("Image", "deletehash", _image, lambda w, e: w.deletehash),
    ("Image", "description", _image, lambda w, e: w.description),
    ("Image", "height", _image, lambda w, e: w.height),
    ("Image", "id", _image, lambda w, e: w.id),
    ("Image", "is_animated", _image, lambda w, e: True),
    ("Image", "is_favorited", _image, lambda w, e: True),
    ("Image", "is_nsfw", _image, lambda w, e: False),
    ("Image", "link", _image, lambda w, e: f"{e.sb.url}/{w.id}.gif"),
    ("Image", "link_big_square", _image, thumb("b")),
    ("Image", "link_huge_thumbnail", _image, thumb("h")),
    ("Image", "link_large_thumbnail", _image, thumb("l")),
    ("Image", "link_medium_thumbnail", _image, thumb("m")),
    # Not in the variable list, but download(size='small_thumbnail') documents the size.
    ("Image", "link_small_thumbnail", _image, thumb("t")),
    ("Image", "link_small_square", _image, thumb("s")),
    ("Image", "section", _image, lambda w, e: w.section),
    ("Image", "size", _image, lambda w, e: w.size),
    ("Image", "title", _image, lambda w, e: w.title),
    # "type" is not in the variable list; the "Uploading an Image" example prints it.
    ("Image", "type", _image, lambda w, e: w.mime),
    ("Image", "views", _image, lambda w, e: w.views),
    ("Image", "width", _image, lambda w, e: w.width),
    ("Gallery_image", "author", _gallery_image, lambda w, e: ("User", w.owner)),
    ("Comment", "album_cover", _on_album, lambda w, e: ("Image", w.cover)),
    ("Comment", "author", _reply, lambda w, e: ("User", w.author)),
    ("Comment", "datetime", _reply, lambda w, e: w.datetime),
    # Imgur's comments carry no deletehash ("For anonymous uploads"): None.
    ("Comment", "deletehash", _reply, lambda w, e: None),
    ("Comment", "downs", _reply, lambda w, e: w.downs),
    ("Comment", "image", _reply, lambda w, e: ("Image", w.image_id)),
    ("Comment", "is_deleted", _reply, lambda w, e: False),
    ("Comment", "on_album", _on_album, lambda w, e: True),
    ("Comment", "on_album (not)", _reply, lambda w, e: False),
    ("Comment", "parent", _reply, lambda w, e: ("Comment", w.parent_id)),
    ("Comment", "parent (top level)", _listed, lambda w, e: None),
    ("Comment", "points", _reply, lambda w, e: w.ups - w.downs),
    # "replies ... only available if the comment was returned via get_comments()".
    ("Comment", "replies", _listed, lambda w, e: [("Comment", e.comment(MY_REPLY).id)]),
    ("Comment", "text", _reply, lambda w, e: w.comment),
    ("Comment", "ups", _reply, lambda w, e: w.ups),
    ("Comment", "vote", _reply, lambda w, e: "up"),
    ("User", "bio", _user, lambda w, e: w.bio),
    ("User", "created", _user, lambda w, e: w.created),
    ("User", "id", _user, lambda w, e: w.id),
    ("User", "name", _user, lambda w, e: w.url),
    ("User", "reputation", _user, lambda w, e: w.reputation),
]


@pytest.mark.parametrize(("attribute", "fetch", "expected"),
                         [(a.split()[0], f, x) for _, a, f, x in ATTRIBUTES],
                         ids=[f"{c}.{a}" for c, a, _, _ in ATTRIBUTES])
def test_documented_attribute(attribute: str, fetch: Fetch, expected: Callable[[Any, Env], Any],
                              env: Env) -> None:
    obj, world_obj = fetch(env)
    assert plain(getattr(obj, attribute)) == expected(world_obj, env)


def test_image_thumbnail_links_are_served(env: Env) -> None:
    image, _ = _image(env)
    for name in ("link_small_square", "link_big_square", "link_small_thumbnail",
                 "link_medium_thumbnail", "link_large_thumbnail", "link_huge_thumbnail"):
        assert requests.get(getattr(image, name), timeout=10).status_code == 200, name


def test_image_link_large_square(env: Env) -> None:
    # Imgur has no "large square" size, yet the doc lists the variable: it must exist and be a
    # working thumbnail link of this image; which size letter it uses is left open.
    image, target = _image(env)
    link = image.link_large_square
    assert link.startswith(f"{env.sb.url}/{target.id}") and link != image.link
    assert requests.get(link, timeout=10).status_code == 200


def test_comment_permalink_names_the_item_and_the_comment(env: Env) -> None:
    comment, target = _reply(env)
    assert str(target.id) in comment.permalink and target.image_id in comment.permalink
