"""The Imgur client against the sandbox over real HTTP: listings, writes, media, legacy routes."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from imgur_sync.api import (
    Album,
    Comment,
    Gallery_album,
    Gallery_image,
    Image,
    Imgur,
    MediaRemoved,
    Message,
    NotFound,
    Notification,
    UsageError,
    User,
)
from imgur_sync.api.transport import RAPIDAPI_URL
from imgur_sync.sandbox import Sandbox, SandboxOptions
from imgur_sync.sandbox.media import render_tiny_png

SMALL_PAGES = SandboxOptions(page_size=5, favorites_page_size=3, comments_page_size=2,
                             gallery_page_size=3)


@pytest.fixture
def sb(start_sandbox: Callable[..., Sandbox]) -> Sandbox:
    return start_sandbox("demo", options=SMALL_PAGES)


@pytest.fixture
def im(sb: Sandbox) -> Imgur:
    return Imgur(sb.client_id, sb.client_secret, refresh_token=sb.refresh_token, api_url=sb.url)


def by_title(sb: Sandbox, title: str) -> str:
    return next(i.id for i in sb.world.images.values() if i.title == title)


def ids(items: Any) -> list[str]:
    return [str(i.id) for i in items]


def pages_of(sb: Sandbox, route: str) -> int:
    return sb.counters.snapshot()["by_route"].get(route, 0)


def test_every_user_listing_walks_all_its_pages(sb: Sandbox, im: Imgur) -> None:
    me, world = sb.username, sb.world
    for image in world.images_of(me)[:6]:  # enough submissions for two pages
        world.share(image.id, f"Shared {image.id}")
    post = by_title(sb, "Tabby appreciation post")
    for n in range(4):
        world.add_comment(me, post, f"comment {n}")
    user = im.get_user(me)
    assert ids(user.get_images()) == ids(world.images_of(me))  # 12 images, pages of 5
    assert pages_of(sb, "GET /3/account/<u>/images/<int:page>") == 4  # 3 full-ish + empty
    assert ids(user.get_albums()) == ids(world.albums_of(me))
    favorites = user.get_favorites()
    assert ids(favorites) == ids(world.favorites_of(me)) and len(favorites) == 5
    assert {type(f) for f in favorites} == {Gallery_image, Gallery_album}
    assert ids(user.get_gallery_favorites()) == ids(world.favorites_of(me, gallery_only=True))
    assert ids(user.get_submissions()) == ids(i for i in world.gallery_items()
                                              if i.owner == me)
    assert len(user.get_submissions()) == 7
    comments = user.get_comments()
    assert [c.id for c in comments] == [c.id for c in world.comments_by(me)]
    assert len(comments) == 5 and all(isinstance(c, Comment) for c in comments)
    assert pages_of(sb, "GET /3/account/<u>/comments/<sort>/<int:page>") == 4
    oldest = list(user.iter_favorites(sort="oldest"))
    assert ids(oldest) == ids(favorites)[::-1]


def test_limit_is_honoured_without_fetching_more_pages(sb: Sandbox, im: Imgur) -> None:
    user = im.get_user(sb.username)
    route = "GET /3/account/<u>/images/<int:page>"
    assert ids(user.get_images(limit=7)) == ids(sb.world.images_of(sb.username)[:7])
    assert pages_of(sb, route) == 2
    assert ids(user.get_images(limit=5)) == ids(sb.world.images_of(sb.username)[:5])
    assert pages_of(sb, route) == 3  # a full page that meets the limit: no look past it
    assert len(user.get_albums(limit=1)) == 1 and user.get_submissions(limit=0) == []
    assert len(list(user.iter_images(limit=3))) == 3


def test_gallery_listings_walk_all_pages(sb: Sandbox, im: Imgur) -> None:
    gallery = sb.world.gallery_items()  # newest first, 8 items; pages of 3
    assert ids(im.get_gallery(sort="time")) == ids(gallery)
    assert pages_of(sb, "GET /3/gallery/<section>/<sort>/<window>/<int:page>") == 4
    hot = im.get_gallery()
    assert sorted(ids(hot)) == sorted(ids(gallery)) and isinstance(hot[0], Gallery_image)
    memes = im.get_memes_gallery(sort="time")
    assert ids(memes) == ids(i for i in gallery if "memes" in i.tags or i.topic == "Memes")
    aww = im.get_subreddit_gallery("aww")
    assert ids(aww) == ids(i for i in gallery if getattr(i, "subreddit", None) == "aww")
    # "top" is no window, so it is left out; a short page is not taken for the last one.
    assert pages_of(sb, "GET /3/gallery/r/<sub>/<sort>/<int:page>") == 2
    cats = list(im.iter_tag_gallery("cats", sort="time"))
    assert ids(cats) == ids(i for i in gallery if "cats" in i.tags) and len(cats) == 4
    found = im.search_gallery("cat")
    assert len(found) >= 4 and all("cat" in (f.title + " ".join(t["name"] for t in f.tags))
                                   .lower() for f in found)
    im.DEFAULT_LIMIT = 2  # the cap on public listings when limit is None
    assert len(im.get_gallery()) == 2 and len(im.get_gallery(limit=5)) == 5


def test_album_images_by_id_object_or_both(sb: Sandbox, im: Imgur) -> None:
    mine = ids(sb.world.images_of(sb.username))
    theirs = by_title(sb, "Tabby appreciation post")
    album = im.create_album("Made here", "by the client", images=[mine[0], Image(
        {"id": mine[1]}, im)], cover=Image({"id": mine[1]}, im))
    stored = sb.world.albums[album.id]
    assert (stored.title, stored.description, stored.image_ids, stored.cover) == (
        "Made here", "by the client", mine[:2], mine[1])
    assert album._has_fetched is False and ids(album.images) == mine[:2]
    assert album.add_images([Image({"id": mine[2]}, im), mine[3], theirs]) is True
    assert stored.image_ids == mine[:4]  # the other user's image failed silently
    assert album.remove_images([mine[0], Image({"id": mine[2]}, im)]) is True
    assert stored.image_ids == [mine[1], mine[3]]
    album.set_images([mine[5], Image({"id": mine[4]}, im), theirs])
    assert stored.image_ids == [mine[5], mine[4]] and ids(album.images) == [mine[5], mine[4]]
    assert album.update(title="Renamed", privacy="hidden", cover=mine[4], layout="grid")
    assert (stored.title, stored.privacy, stored.cover, stored.layout) == (
        "Renamed", "hidden", mine[4], "grid")
    assert album.public == "hidden" and album.cover.id == mine[4]
    album.update(images=[mine[6]])
    assert stored.image_ids == [mine[6]] and ids(album.images) == [mine[6]]
    assert album.favorite() is True and album.id in ids(sb.world.favorites_of(sb.username))
    assert album.favorite() is False and album.is_favorited is False
    assert album.delete() is True and sb.world.albums[album.id].deleted
    with pytest.raises(NotFound):
        im.get_album(album.id)


def test_upload_by_path_and_by_url(sb: Sandbox, im: Imgur, tmp_path: Path) -> None:
    album = im.get_album(sb.world.albums_of(sb.username)[0].id)
    picture = tmp_path / "tiny.png"
    picture.write_bytes(render_tiny_png(7))
    uploaded = im.upload_image(str(picture), title="Tiny", description="eight by eight",
                               album=album, name="marker-42")
    stored = sb.world.images[uploaded.id]
    assert (stored.owner, stored.title, stored.description, stored.name, stored.data) == (
        sb.username, "Tiny", "eight by eight", "marker-42", render_tiny_png(7))
    assert uploaded.id in sb.world.albums[album.id].image_ids
    assert isinstance(uploaded, Image) and uploaded.deletehash == stored.deletehash
    source = f"{sb.url}/{by_title(sb, 'Old tram')}.png"
    by_url = im.upload_image(url=source, album=album.id, retry=False)
    assert sb.world.images[by_url.id].data == requests.get(source, timeout=10).content
    assert sb.counters.uploads == 2 and by_url.id in sb.world.albums[album.id].image_ids
    for wrong in ({}, {"path": str(picture), "url": source}):
        with pytest.raises(UsageError):
            im.upload_image(**wrong)

    anonymous = Imgur(sb.client_id, api_url=sb.url)
    mine = anonymous.upload_image(picture, title="Anonymous")
    assert sb.world.images[mine.id].owner is None and mine.deletehash
    assert mine.update(description="edited by deletehash") is True
    assert sb.world.images[mine.id].description == "edited by deletehash"
    mine.delete()
    assert sb.world.images[mine.id].deleted
    with pytest.raises(UsageError):  # favorites need a signed-in user
        anonymous.get_image(by_url.id).favorite()


def test_download_names_sizes_and_overwrite(sb: Sandbox, im: Imgur, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    image = im.get_image(by_title(sb, "Harbour at dawn"))
    original = requests.get(image.link, timeout=10).content
    first = image.download(tmp_path)
    assert first == str(tmp_path / "Harbour at dawn.png")
    assert Path(first).read_bytes() == original
    with pytest.raises(FileExistsError):
        image.download(str(tmp_path))
    assert image.download(tmp_path, overwrite=True) == first
    thumb = image.download(tmp_path, size="Small Square")
    assert thumb == str(tmp_path / "Harbour at dawns.png")
    assert Path(thumb).read_bytes() == requests.get(image.link_small_square, timeout=10).content
    assert image.download(tmp_path, name="harbour", size="huge_thumbnail").endswith("harbourh.png")
    for bad in ("a/b", "x" * 300, "nul\0byte"):
        assert image.download(tmp_path, name=bad, overwrite=True) == str(
            tmp_path / f"{image.id}.png")
    untitled = im.get_image(next(i.id for i in sb.world.images_of(sb.username)
                                 if i.title is None))
    assert untitled.download(tmp_path) == str(tmp_path / f"{untitled.id}.png")
    with pytest.raises(UsageError):
        image.download(tmp_path, size="enormous")
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    assert image.download() == "Harbour at dawn.png" and Path("Harbour at dawn.png").exists()
    sb.world.remove_media(image.id)
    with pytest.raises(MediaRemoved):
        image.download(tmp_path / "cwd", name="gone")
    assert not Path("gone.png").exists()
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".part")]


def test_get_at_url_for_every_kind(sb: Sandbox, im: Imgur) -> None:
    world = sb.world
    image = by_title(sb, "Old tram")
    album = world.albums_of(sb.username)[0].id
    post = by_title(sb, "Tabby appreciation post")
    pair = next(a.id for a in world.albums.values() if a.in_gallery)
    comment = next(c for c in world.comments.values() if c.author == sb.username)
    cases = {
        f"https://imgur.com/{image}": (Image, image),
        f"https://i.imgur.com/{image}m.png": (Image, image),
        f"https://imgur.com/a/{album}": (Album, album),
        f"https://imgur.com/gallery/tabby-appreciation-{post}": (Gallery_image, post),
        f"https://imgur.com/gallery/{pair}": (Gallery_album, pair),
        f"https://imgur.com/r/aww/{post}": (Gallery_image, post),
        f"https://imgur.com/t/cats/{post}": (Gallery_image, post),
        f"https://imgur.com/gallery/{post}/comment/{comment.id}": (Comment, str(comment.id)),
        "https://imgur.com/user/catlover": (User, None),
        "https://catlover.imgur.com/": (User, None),
    }
    for url, (cls, ident) in cases.items():
        found = im.get_at_url(url)
        assert type(found) is cls, url
        assert ident is None or str(found.id) == ident, url
    for url in ("https://imgur.com/nosuchid", "https://imgur.com/gallery/nosuchid",
                "https://imgur.com/a/nosuchid", "https://imgur.com/user/nobody1",
                "https://imgur.com/r/aww", "https://example.com/abc1234",
                f"https://imgur.com/r/pics/{post}"):
        assert im.get_at_url(url) is None, url
    assert im.is_imgur_url("https://m.imgur.com/abc1234") and not im.is_imgur_url("imgur.org")


def test_favorites_comments_votes_and_the_gallery(sb: Sandbox, im: Imgur) -> None:
    world, me = sb.world, sb.username
    image = im.get_image(by_title(sb, "Old tram"))
    assert image.favorite() is True and image.is_favorited is True
    assert image.id in ids(world.favorites_of(me))
    assert image.favorite() is False and image.id not in ids(world.favorites_of(me))

    post = im.get_gallery_image(by_title(sb, "Tabby appreciation post"))
    ups = world.images[post.id].ups
    assert post.upvote() is True and world.images[post.id].ups == ups + 1
    assert post.downvote() is True and world.images[post.id].votes[me.lower()] == "down"
    comment = post.comment("Lovely tabby")
    assert isinstance(comment, Comment) and comment._has_fetched is False
    stored = world.comments[comment.id]
    assert (stored.author, stored.image_id, stored.parent_id) == (me, post.id, 0)
    assert [c.text for c in post.get_comments()] == ["Lovely tabby"]
    reply = comment.reply("Thanks!")
    assert world.comments[reply.id].parent_id == comment.id
    assert [r.id for r in comment.get_replies()] == [reply.id] and comment.text == "Lovely tabby"
    assert comment.upvote() and world.comments[comment.id].votes[me.lower()] == "up"
    assert comment.downvote() and world.comments[comment.id].votes[me.lower()] == "down"
    reply.delete()
    assert world.comments[reply.id].deleted and comment.get_replies() == []

    mine = im.get_image(world.images_of(me)[0].id)
    assert mine.submit_to_gallery("Now public", bypass_terms=True) is mine
    assert type(mine) is Gallery_image and world.images[mine.id].in_gallery
    assert mine.title == "Now public" and mine.ups == 0
    assert mine.remove_from_gallery() is mine and type(mine) is Image
    assert not world.images[mine.id].in_gallery
    shared = im.get_album(world.albums_of(me)[0].id)
    assert type(shared.submit_to_gallery("An album")) is Gallery_album
    assert world.albums[shared.id].in_gallery and shared.images


def test_messages_and_notifications_on_the_legacy_routes(sb: Sandbox, im: Imgur) -> None:
    world, me = sb.world, im.get_user(sb.username)
    messages = me.get_messages()
    assert len(messages) == 3 and all(isinstance(m, Notification) for m in messages)
    assert messages[0].content["last_message"] == "Which camera did you use in Lisbon?"
    replies = me.get_notifications()["replies"]
    assert [type(r.content) for r in replies] == [Comment]
    assert replies[0].content.text == "Mochi!" and replies[0].is_viewed is False
    assert [r.id for r in me.get_replies()] == [r.id for r in replies]
    note = im.get_notification(replies[0].id)
    assert note.mark_as_viewed() is True and note.is_viewed and world.notifications[note.id].viewed
    assert me.get_replies() == [] and len(me.get_replies(new=False)) == 1

    received = next(m for m in world.messages.values() if m.sender == "shutterbug")
    message = im.get_message(received.id)
    assert message.body == received.body and message.author == User({"url": "shutterbug"}, im)
    assert ids(message.get_thread()) == [str(received.id)]
    assert message.reply("A Fuji, mostly.")
    thread = world.conversation_between(sb.username, "shutterbug").messages
    assert [(m.sender, m.body) for m in thread][-1] == (sb.username, "A Fuji, mostly.")
    assert User({"url": "nightowl"}, im).send_message("Hello owl", subject="Hi")
    assert world.conversation_between(sb.username, "nightowl").messages[0].body == "Hello owl"
    own = im.get_message(thread[-1].id)  # replying to our own message goes to the other side
    own.reply("Also a phone.")
    assert world.conversation_between(sb.username, "shutterbug").messages[-1].body == (
        "Also a phone.")
    conversation = next(c for c in im.get_conversations() if c["with_account"] == "catlover")
    walked = list(im.iter_conversation(conversation["id"]))
    assert [m.body for m in walked] == [m.body for m in world.conversation_between(
        sb.username, "catlover").messages] and all(isinstance(m, Message) for m in walked)
    message.delete()
    assert received.id not in world.messages
    for n in range(27):  # 28 messages with "Hello owl": two legacy pages of 25, from 1
        world.add_message("nightowl", sb.username, f"owl {n}")
    owl = world.conversation_between(sb.username, "nightowl")
    walked = list(im.iter_conversation(owl.id))
    assert [m.body for m in walked] == [m.body for m in owl.messages[3:] + owl.messages[:3]]
    route = "GET /3/conversations/<int:conversation_id>/<int:page>/<int:offset>"
    assert pages_of(sb, route) == 2 + 1  # catlover's page 1, then owl pages 1 and 2 (done)


def test_legacy_routes_switched_off_raise_not_found(start_sandbox: Callable[..., Sandbox],
                                                    ) -> None:
    sb = start_sandbox("demo", options=SandboxOptions(legacy_routes=False))
    im = Imgur(sb.client_id, sb.client_secret, refresh_token=sb.refresh_token, api_url=sb.url)
    me = im.get_user(sb.username)
    message_id = next(iter(sb.world.messages))
    for call in (me.get_messages, me.get_notifications, lambda: im.get_message(message_id),
                 lambda: me.send_message("hi"), im.get_conversations):
        with pytest.raises(NotFound):
            call()
    assert len(me.get_replies()) == 1  # replies are still documented, not legacy


def test_user_settings_profile_and_statistics(sb: Sandbox, im: Imgur) -> None:
    me = im.get_user("me")
    assert me.name == sb.username and me.bio == sb.world.account(sb.username).bio
    assert me.change_settings(bio="New bio", public_images=False, album_privacy="secret",
                              messaging_enabled=False) is True
    account = sb.world.account(sb.username)
    assert (account.bio, account.public_images, account.album_privacy) == (
        "New bio", False, "secret") and account.messaging_enabled is False and me.bio == "New bio"
    assert me.get_settings()["album_privacy"] == "secret"
    assert me.get_statistics()["total_images"] == 12
    assert me.get_gallery_profile()["total_gallery_submissions"] == 1
    assert me.has_verified_email() is True and me.send_verification_email() is True
    assert me.delete() is True


def test_sign_in_flows_and_token_properties(sb: Sandbox) -> None:
    seen: list[Any] = []
    im = Imgur(sb.client_id, sb.client_secret, api_url=sb.url, on_token=seen.append)
    assert im.authorization_url("pin", state="x").startswith(f"{sb.url}/oauth2/authorize?")
    page = requests.get(im.authorization_url("pin"), timeout=10).text
    pin = re.search(r'<code id="pin">(\w+)</code>', page).group(1)
    access, refresh = im.exchange_pin(pin)
    assert (im.access_token, im.refresh_token) == (access, refresh) and len(seen) == 1
    redirect = requests.get(im.authorization_url("code"), allow_redirects=False, timeout=10)
    code = parse_qs(urlsplit(redirect.headers["Location"]).query)["code"][0]
    assert im.exchange_code(code)[0] == im.access_token != access
    new = im.refresh_access_token()
    assert new == im.access_token and sb.world.token_for(new) is not None and len(seen) == 3
    assert im.get_user("me").name == sb.username
    other = Imgur(sb.client_id, api_url=sb.url)
    other.change_authentication(client_secret=sb.client_secret, refresh_token=refresh)
    assert other.client_secret == sb.client_secret and other.get_user("me").name == sb.username
    other.access_token = sb.access_token()
    assert other.get_credits()["ClientLimit"] == 12500
    assert other.rate_limits.client_limit == 12500 and other.rate_limits.user_remaining
    assert "secret" not in repr(other) and sb.client_secret not in repr(other)
    shared = Imgur(sb.client_id, transport=other.transport)
    assert shared.transport is other.transport and shared.get_user("me").name == sb.username
    with pytest.raises(UsageError):
        Imgur(sb.client_id, transport=other.transport, timeout=3)


class _HeaderRecorder:
    """WSGI middleware around the sandbox app: records what each request carried."""

    def __init__(self, app: Any) -> None:
        self.app, self.seen = app, []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.seen.append((environ["PATH_INFO"], environ.get("HTTP_X_MASHAPE_KEY")))
        return self.app(environ, start_response)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)


@pytest.mark.parametrize("option", ["mashape_key", "rapidapi_key"])
def test_the_commercial_key_reaches_the_server(option: str) -> None:
    sandbox = Sandbox("demo")
    recorder = sandbox.app = _HeaderRecorder(sandbox.app)  # the sandbox records no headers
    with sandbox as sb:
        im = Imgur(sb.client_id, api_url=sb.url, **{option: "commercial-key"})
        assert im.get_image(by_title(sb, "Old tram")).title == "Old tram"
        assert im.rapidapi_key == im.mashape_key == "commercial-key"
    assert recorder.seen and all(key == "commercial-key" for _, key in recorder.seen)
    assert Imgur("id", mashape_key="k")._transport.api_url == RAPIDAPI_URL
    with pytest.raises(UsageError):
        Imgur("id", mashape_key="a", rapidapi_key="b")
