"""imgur_sync.api's objects against the sandbox: the lazy contract, renames, identity, surface."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable

import pytest
import requests

import imgur_sync.api as api
from imgur_sync.api import (
    Album,
    Basic_object,
    Comment,
    Gallery_album,
    Gallery_image,
    Gallery_item,
    Image,
    Imgur,
    Message,
    Notification,
    User,
)
from imgur_sync.sandbox import Sandbox


@pytest.fixture
def sb(start_sandbox: Callable[..., Sandbox]) -> Sandbox:
    return start_sandbox("demo")


@pytest.fixture
def im(sb: Sandbox) -> Imgur:
    return Imgur(sb.client_id, sb.client_secret, refresh_token=sb.refresh_token, api_url=sb.url)


def by_title(sb: Sandbox, title: str) -> str:
    return next(i.id for i in sb.world.images.values() if i.title == title)


def test_factories_do_no_io_and_a_missing_public_name_fetches_once(sb: Sandbox,
                                                                   im: Imgur) -> None:
    expected = sb.world.image(by_title(sb, "Harbour at dawn"))
    before = sb.counters.requests
    image = Image({"id": expected.id}, im, has_fetched=False)
    user = User({"url": sb.username}, im, has_fetched=False)
    assert (image.id, user.name, image.deletehash) == (expected.id, sb.username, None)
    assert repr(image) == f"<Image id={expected.id!r}>" and repr(user) == (
        f"<User name={sb.username!r}>")
    twin = Image({"id": expected.id}, im)
    assert image == twin and hash(image) == hash(twin)
    assert sb.counters.requests == before and image._has_fetched is False

    assert image.title == "Harbour at dawn"  # not in the lazy object: one fetch
    assert sb.counters.requests == before + 1 and image._has_fetched is True
    assert (image.width, image.size, image.description) == (320, expected.size,
                                                           expected.description)
    with pytest.raises(AttributeError, match="no_such_thing"):
        image.no_such_thing  # noqa: B018 - the read is the test
    assert sb.counters.requests == before + 1  # fetched already: no second try


def test_private_and_special_names_never_fetch(sb: Sandbox, im: Imgur) -> None:
    lazy = Image({"id": by_title(sb, "Old tram")}, im, has_fetched=False)
    before = sb.counters.requests
    for name in ("_secret", "_info", "__len__", "__iter__"):
        assert not hasattr(lazy, name)
    clone = copy.copy(lazy)
    assert copy.deepcopy(lazy)._imgur is im  # a copy of the data, the same client
    assert repr(lazy) == str(lazy) and lazy == clone and lazy in {clone}
    assert sb.counters.requests == before and lazy._has_fetched is False
    assert lazy.title == "Old tram" and sb.counters.requests == before + 1


def test_the_documented_lazy_author_example(sb: Sandbox, im: Imgur) -> None:
    post = by_title(sb, "Tabby appreciation post")
    gallery_image = im.get_gallery_image(post)
    author = gallery_image.author
    assert isinstance(author, User) and author._has_fetched is False
    before = sb.counters.requests
    assert author.reputation == sb.world.account("catlover").reputation
    assert author._has_fetched is True and sb.counters.requests == before + 1
    assert author.name == "catlover" and author.id == sb.world.account("catlover").id


def test_refresh_refetches_and_marks_fetched(sb: Sandbox, im: Imgur) -> None:
    album = im.get_user(sb.username).get_albums()[0]
    assert album._has_fetched is False and "images" not in vars(album)
    before = sb.counters.requests
    assert album.refresh() is album and album._has_fetched is True
    assert sb.counters.requests == before + 1
    sb.world.retitle_album(album.id, "Renamed behind our back")
    assert album.title != "Renamed behind our back"  # no hidden fetch once fetched
    album.refresh()
    assert album.title == "Renamed behind our back" and sb.counters.requests == before + 2


def test_an_album_from_a_listing_fetches_its_images_on_first_read(sb: Sandbox,
                                                                   im: Imgur) -> None:
    albums = im.get_user(sb.username).get_albums()
    expected = {a.id: a for a in sb.world.albums_of(sb.username)}
    album = albums[-1]
    before = sb.counters.requests
    assert album.title == expected[album.id].title and sb.counters.requests == before
    assert [i.id for i in album.images] == expected[album.id].image_ids
    assert sb.counters.requests == before + 1 and all(isinstance(i, Image) for i in album.images)
    assert album.cover is album.images[0]  # the cover is one of the album's images


def test_image_and_album_variables_follow_pyimgur(sb: Sandbox, im: Imgur) -> None:
    gif = im.get_image(by_title(sb, "Desk setup"))
    assert gif.is_animated is True and gif.is_nsfw is False and gif.is_favorited is False
    assert callable(gif.favorite) and "favorite" in gif.raw  # JSON never hides a method
    base, ext = gif.link.rsplit(".", 1)
    assert gif.link_small_square == f"{base}s.{ext}"
    assert (gif.link_big_square, gif.link_small_thumbnail, gif.link_medium_thumbnail,
            gif.link_large_thumbnail, gif.link_huge_thumbnail) == tuple(
        f"{base}{letter}.{ext}" for letter in "btmlh")
    assert gif.link_large_square == gif.link_big_square
    assert requests.get(gif.link_medium_thumbnail, timeout=10).status_code == 200
    assert isinstance(gif.author, User) and gif.author.name == sb.username
    for name in ("bandwidth", "datetime", "deletehash", "description", "height", "id",
                 "link", "section", "size", "title", "views", "width"):
        assert hasattr(gif, name), name

    world_album = sb.world.albums_of(sb.username)[0]
    album = im.get_album(world_album.id)
    assert album.author == User({"url": sb.username}, im, has_fetched=False)
    assert isinstance(album.cover, Image) and album.cover.id == world_album.cover
    assert album.public == world_album.privacy == album.privacy
    for name in ("datetime", "deletehash", "description", "id", "images", "is_favorited",
                 "is_nsfw", "layout", "link", "section", "title", "views"):
        assert hasattr(album, name), name
    empty = sb.world.add_album(sb.username, "Empty", [])
    assert im.get_album(empty.id).cover is None


def test_raw_keeps_a_copy_of_the_json(sb: Sandbox, im: Imgur) -> None:
    data = {"id": "abcdefg", "favorite": True, "nsfw": None, "nested": {"a": [1]}}
    image = Image(data, im)
    assert image.raw == data and image.raw is not data
    data["nested"]["a"].append(2)
    image.raw["nested"]["a"].append(3)
    assert image.nested == {"a": [1]} and "favorite" not in vars(image)
    assert (image.is_favorited, image.is_nsfw) == (True, None)
    fetched = Image({"id": by_title(sb, "Old tram")}, im, has_fetched=False).refresh()
    served = requests.get(f"{sb.url}/3/image/{fetched.id}", timeout=10,
                          headers={"Authorization": f"Bearer {im.access_token}"}).json()
    assert fetched.raw == served["data"] and fetched.raw["deletehash"] == fetched.deletehash


def test_comment_variables(sb: Sandbox, im: Imgur) -> None:
    post = by_title(sb, "When the laser pointer runs out of battery")
    mine = next(c for c in sb.world.comments.values() if c.author == sb.username)
    comment = im.get_comment(mine.id)
    assert comment.text == "What is her name?" and comment.is_deleted is False
    assert comment.author == User({"url": sb.username}, im)
    assert comment.parent == Comment({"id": mine.parent_id}, im) and not comment.parent._has_fetched
    assert isinstance(comment.image, Image) and comment.image.id == post
    assert comment.permalink == f"https://imgur.com/gallery/{post}/comment/{mine.id}"
    assert [r.text for r in comment.replies] == ["Mochi!"]
    assert comment.replies[0].parent == comment and comment.points == comment.ups - comment.downs
    assert comment.on_album is False and comment.album_cover is None and comment.vote is None
    assert comment.deletehash is None and comment.datetime == mine.datetime
    top = comment.parent
    assert top.text == "This is my cat, AMA" and top.parent is None  # fetched lazily
    lazy = Comment({"id": mine.id}, im, has_fetched=False)
    assert [r.text for r in lazy.replies] == ["Mochi!"]  # no children yet: one fetch


def test_equality_and_hash_go_by_kind_and_id(im: Imgur) -> None:
    image, gallery = Image({"id": "abc1234"}, im), Gallery_image({"id": "abc1234"}, im)
    assert image == gallery and hash(image) == hash(gallery) and len({image, gallery}) == 1
    assert image != Album({"id": "abc1234"}, im) and Album({"id": "x"}, im) == (
        Gallery_album({"id": "x", "is_album": True}, im))
    assert image != Image({"id": "abc1235"}, im) and image != "abc1234"
    assert User({"url": "Bob"}, im) == User({"url": "bob", "id": 5}, im)
    assert Comment({"id": 5}, im) == Comment({"id": "5"}, im) != Message({"id": 5}, im)
    assert Notification({"id": 5}, im) != Message({"id": 5}, im)
    anonymous = Notification({}, im)
    assert anonymous == anonymous and anonymous != Notification({}, im)


def test_iterators_are_lazy(sb: Sandbox, im: Imgur) -> None:
    user = im.get_user(sb.username)
    before = sb.counters.requests
    iterators = [user.iter_images(), user.iter_albums(), user.iter_favorites(),
                 user.iter_gallery_favorites(), user.iter_submissions(), user.iter_comments(),
                 im.iter_gallery(), im.iter_memes_gallery(), im.iter_subreddit_gallery("aww"),
                 im.iter_tag_gallery("cats"), im.iter_search_gallery("cat")]
    assert sb.counters.requests == before
    assert isinstance(next(iterators[0]), Image) and sb.counters.requests == before + 1


def test_iter_pages_stops_at_an_empty_page_or_the_limit() -> None:
    asked: list[int] = []

    def fetch(page: int) -> list[int]:
        asked.append(page)
        return [page * 10 + i for i in range(3 if page < 2 else 1 if page == 2 else 0)]

    assert list(api.iter_pages(fetch)) == [0, 1, 2, 10, 11, 12, 20] and asked == [0, 1, 2, 3]
    asked.clear()
    assert list(api.iter_pages(fetch, start=1, limit=3)) == [10, 11, 12] and asked == [1]
    assert list(api.iter_pages(fetch, limit=0)) == [] and asked == [1]


def test_aliases_and_exports() -> None:
    assert api.BasicObject is Basic_object and api.GalleryItem is Gallery_item
    assert api.GalleryImage is Gallery_image and api.GalleryAlbum is Gallery_album
    assert Gallery_image.__mro__[1:3] == (Image, Basic_object) and issubclass(
        Gallery_image, Gallery_item) and issubclass(Gallery_album, Album)
    assert Gallery_item.__bases__ == (object,)
    for name in api.__all__:
        assert getattr(api, name) is not None, name
    assert {"Imgur", "iter_pages", "parse_imgur_url", "Transport", "MediaRemoved",
            "keep_reserve", "parse_redirect", "RateLimits"} <= set(api.__all__)


# Every method the PyImgur 0.5.3 documentation lists, with its documented arguments.
DOCUMENTED = {
    Basic_object: {"__init__": "(json_dict, imgur, has_fetched=True)", "refresh": "()"},
    Album: {"add_images": "(images)", "delete": "()", "favorite": "()",
            "remove_images": "(images)", "set_images": "(images)",
            "submit_to_gallery": "(title, bypass_terms=False)",
            "update": "(title=None, description=None, images=None, cover=None, layout=None, "
                      "privacy=None)"},
    Comment: {"delete": "()", "downvote": "()", "get_replies": "()", "reply": "(text)",
              "upvote": "()"},
    Gallery_item: {"comment": "(text)", "downvote": "()", "get_comments": "()",
                   "remove_from_gallery": "()", "upvote": "()"},
    Image: {"delete": "()", "download": "(path='', name=None, overwrite=False, size=None)",
            "favorite": "()", "submit_to_gallery": "(title, bypass_terms=False)",
            "update": "(title=None, description=None)"},
    Imgur: {"__init__": "(client_id, client_secret=None, access_token=None, "
                        "refresh_token=None, verify=True, mashape_key=None)",
            "authorization_url": "(response, state='')",
            "change_authentication": "(client_id=None, client_secret=None, "
                                     "access_token=None, refresh_token=None)",
            "create_album": "(title=None, description=None, images=None, cover=None)",
            "exchange_code": "(code)", "exchange_pin": "(pin)", "get_album": "(id)",
            "get_at_url": "(url)", "get_comment": "(id)",
            "get_gallery": "(section='hot', sort='viral', window='day', show_viral=True, "
                           "limit=None)",
            "get_gallery_album": "(id)", "get_gallery_image": "(id)", "get_image": "(id)",
            "get_memes_gallery": "(sort='viral', window='week', limit=None)",
            "get_message": "(id)", "get_notification": "(id)",
            "get_subreddit_gallery": "(subreddit, sort='time', window='top', limit=None)",
            "get_subreddit_image": "(subreddit, id)", "get_user": "(username)",
            "is_imgur_url": "(url)", "refresh_access_token": "()", "search_gallery": "(q)",
            "upload_image": "(path=None, url=None, title=None, description=None, album=None)"},
    Message: {"delete": "()", "get_thread": "()", "reply": "(body)"},
    Notification: {"mark_as_viewed": "()"},
    User: {"change_settings": "(bio=None, public_images=None, messaging_enabled=None, "
                              "album_privacy=None, accepted_gallery_terms=None)",
           "delete": "()", "get_albums": "(limit=None)", "get_comments": "()",
           "get_favorites": "()", "get_gallery_favorites": "()",
           "get_gallery_profile": "()", "get_images": "(limit=None)",
           "get_messages": "(new=True)", "get_notifications": "(new=True)",
           "get_replies": "(new=True)", "get_settings": "()", "get_statistics": "()",
           "get_submissions": "(limit=None)", "has_verified_email": "()",
           "send_message": "(body, subject=None, reply_to=None)",
           "send_verification_email": "()"},
}


def _documented_part(function: Callable[..., object]) -> str:
    """The positional parameters (keyword-only additions are ours) as the docs print them."""
    shown = [p.name if p.default is p.empty else f"{p.name}={p.default!r}"
             for p in inspect.signature(function).parameters.values()
             if p.name != "self" and p.kind is p.POSITIONAL_OR_KEYWORD]
    return f"({', '.join(shown)})"


@pytest.mark.parametrize("cls", list(DOCUMENTED), ids=lambda c: c.__name__)
def test_every_documented_method_has_its_documented_signature(cls: type) -> None:
    for name, signature in DOCUMENTED[cls].items():
        assert _documented_part(getattr(cls, name)) == signature, f"{cls.__name__}.{name}"
        assert getattr(cls, name).__doc__, f"{cls.__name__}.{name} has no docstring"
    for model in (Album, Comment, Gallery_album, Gallery_image, Image, Message, Notification,
                  User):
        assert _documented_part(model) == "(json_dict, imgur, has_fetched=True)"
