"""The sandbox's gallery, comment, credits and legacy (messages, notifications) routes over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import imgurpython.client
import pyimgur
import pytest
import requests
from imgurpython import ImgurClient

from imgur_sync.sandbox import Sandbox, SandboxOptions
from imgur_sync.sandbox.state import Album, Comment, Image

T0 = 1_800_000_000
DAY = 86400


class Clock:
    """A clock tests move by hand, so gallery times and comment times are exact."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sb(start_sandbox: Callable[..., Sandbox], clock: Clock) -> Sandbox:
    # Small pages so listings span several of them.
    sandbox = start_sandbox("empty", clock=clock,
                            options=SandboxOptions(gallery_page_size=3, comments_page_size=2))
    for name in ("alice", "bob"):
        sandbox.world.add_account(name)
    return sandbox


def auth(sb: Sandbox, user: str | None = None) -> dict[str, str]:
    """A Bearer header for ``user`` (default: the sandbox's main account)."""
    token = sb.world.issue_token(user or sb.username, sb.client_id).access_token
    return {"Authorization": f"Bearer {token}"}


def anon(sb: Sandbox) -> dict[str, str]:
    return {"Authorization": f"Client-ID {sb.client_id}"}


def ok(r: requests.Response) -> Any:
    """Return ``data`` of a successful answer."""
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["success"] is True and body["status"] == 200
    return body["data"]


def error(r: requests.Response, status: int) -> str:
    """Return ``data.error`` of a failed answer, checking the standard envelope."""
    assert r.status_code == status, r.text
    body = r.json()
    assert body["success"] is False and body["status"] == status
    assert body["data"]["request"] == r.request.path_url.split("?")[0]
    return body["data"]["error"]


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [i["id"] for i in items]


@dataclass
class Posts:
    cat: Image
    dog: Image
    meme: Image
    album: Album
    fresh: Image

    def newest_first(self) -> list[str]:
        return [self.fresh.id, self.album.id, self.meme.id, self.dog.id, self.cat.id]


def _share(sb: Sandbox, clock: Clock, item: Image | Album, *, at: int, ups: int, title: str,
           tags: list[str], topic: str | None = None, sub: str | None = None) -> None:
    clock.now = at
    sb.world.share(item.id, title, topic=topic, tags=tags, subreddit=sub)
    item.ups = ups


@pytest.fixture
def posts(sb: Sandbox, clock: Clock) -> Posts:
    """Five gallery posts; newest first: fresh, album, meme, dog, cat; by points: dog,
    album, cat, meme, fresh."""
    w = sb.world
    cat = w.add_image("alice", description="On a warm LAPTOP")
    dog = w.add_image("bob")
    meme = w.add_image("bob", mime="image/gif", ext="gif", animated=True, width=600, height=400)
    album = w.add_album(sb.username, None, [w.add_image(sb.username, "inside").id])
    fresh = w.add_image(sb.username, mime="image/jpeg", ext="jpg", width=3000, height=2000)
    _share(sb, clock, cat, at=T0 - 10 * DAY, ups=50, title="Sleepy CAT", tags=["cats"],
           sub="aww")
    _share(sb, clock, dog, at=T0 - 3 * DAY, ups=500, title="Dog park", tags=["dogs"], sub="aww")
    _share(sb, clock, meme, at=T0 - 2 * DAY, ups=10, title="Classic meme",
           tags=["memes", "cats"], topic="Memes")
    _share(sb, clock, album, at=T0 - DAY, ups=200, title="Road trip", tags=["travel"])
    _share(sb, clock, fresh, at=T0, ups=0, title="Brand new", tags=["misc"])
    return Posts(cat, dog, meme, album, fresh)


# -- gallery listings ------------------------------------------------------------------------------


def test_gallery_pages_are_fixed_zero_based_and_end_empty(sb: Sandbox, posts: Posts) -> None:
    get = lambda path: ok(requests.get(sb.url + path, headers=anon(sb)))  # noqa: E731
    newest = posts.newest_first()
    assert ids(get("/3/gallery/hot/time/0?perPage=100")) == newest[:3]  # perPage is ignored
    assert ids(get("/3/gallery/hot/time/1")) == newest[3:]
    assert get("/3/gallery/hot/time/2") == []
    assert ids(get("/3/gallery/user/time/day/1")) == newest[3:]  # window only narrows "top"
    viral = [posts.dog.id, posts.album.id, posts.cat.id]
    assert ids(get("/3/gallery")) == ids(get("/3/gallery/hot")) == viral
    assert ids(get("/3/gallery/hot/viral/1?showViral=false&album_previews=true")) == [
        posts.meme.id, posts.fresh.id]
    first = get("/3/gallery/hot/top/0")[0]
    assert first["is_album"] is False and first["points"] == 500 and first["in_gallery"] is True


def test_top_section_window_counts_back_from_the_newest_post(sb: Sandbox, posts: Posts) -> None:
    get = lambda path: ids(ok(requests.get(sb.url + path, headers=anon(sb))))  # noqa: E731
    assert get("/3/gallery/top/time/day/0") == [posts.fresh.id]
    assert get("/3/gallery/top/top/week/0") == [posts.dog.id, posts.album.id, posts.meme.id]
    assert get("/3/gallery/top/top/week/1") == [posts.fresh.id]
    assert len(get("/3/gallery/top/time/all/0") + get("/3/gallery/top/time/all/1")) == 5


def test_mature_posts_only_with_mature_true(sb: Sandbox, posts: Posts) -> None:
    posts.dog.nsfw = True
    sb.world.version += 1
    listed = ids(ok(requests.get(f"{sb.url}/3/gallery/hot/viral/0", headers=anon(sb))))
    assert posts.dog.id not in listed
    mature = ids(ok(requests.get(f"{sb.url}/3/gallery/hot/viral/0?mature=true",
                                 headers=anon(sb))))
    assert mature[0] == posts.dog.id


def test_unknown_section_is_400(sb: Sandbox, posts: Posts) -> None:
    r = requests.get(f"{sb.url}/3/gallery/random/random/0", headers=anon(sb))
    assert "Invalid gallery section" in error(r, 400)


def test_subreddit_gallery_and_image(sb: Sandbox, posts: Posts) -> None:
    get = lambda path: requests.get(sb.url + path, headers=anon(sb))  # noqa: E731
    listed = ok(get("/3/gallery/r/aww"))
    assert ids(listed) == [posts.dog.id, posts.cat.id]
    assert {i["section"] for i in listed} == {"aww"}
    assert ids(ok(get("/3/gallery/r/AWW/top/all/0"))) == [posts.dog.id, posts.cat.id]
    assert ids(ok(get("/3/gallery/r/aww/time/0"))) == [posts.dog.id, posts.cat.id]
    assert ok(get("/3/gallery/r/aww/time/1")) == []
    # A sort name instead of an id: top over the default window (a week) leaves the cat out.
    assert ids(ok(get("/3/gallery/r/aww/top"))) == [posts.dog.id]
    assert ok(get(f"/3/gallery/r/aww/{posts.cat.id}"))["title"] == "Sleepy CAT"
    r = get(f"/3/gallery/r/pics/{posts.cat.id}")
    assert error(r, 404) == f"Unable to find an image with the id, {posts.cat.id}"
    error(get(f"/3/gallery/r/aww/{posts.album.id}"), 404)  # subreddit posts are images


def test_tag_gallery_is_a_tag_with_items(sb: Sandbox, posts: Posts) -> None:
    get = lambda path: requests.get(sb.url + path, headers=anon(sb))  # noqa: E731
    tag = ok(get("/3/gallery/t/CATS"))
    assert tag["name"] == "cats" and tag["total_items"] == 2 and "followers" in tag
    assert ids(tag["items"]) == [posts.cat.id, posts.meme.id]  # viral: by points
    assert ids(ok(get("/3/gallery/t/cats/time/0"))["items"]) == [posts.meme.id, posts.cat.id]
    assert ids(ok(get("/3/gallery/t/cats/top/week/0"))["items"]) == [posts.meme.id]
    assert ok(get("/3/gallery/t/cats/time/1"))["items"] == []
    assert ok(get(f"/3/gallery/t/cats/{posts.meme.id}"))["id"] == posts.meme.id
    error(get(f"/3/gallery/t/cats/{posts.dog.id}"), 404)


def test_memes_gallery_both_route_forms(sb: Sandbox, posts: Posts) -> None:
    get = lambda path: requests.get(sb.url + path, headers=anon(sb))  # noqa: E731
    for path in ("/3/gallery/g/memes/viral/week/0", "/3/gallery/g/memes", "/3/g/memes/time/0",
                 "/3/gallery/g/memes/top/0", "/3/g/memes/top/all/0"):
        assert ids(ok(get(path))) == [posts.meme.id], path
    assert ok(get("/3/g/memes/time/1")) == []
    assert ok(get(f"/3/gallery/g/memes/{posts.meme.id}"))["topic"] == "Memes"
    error(get(f"/3/g/memes/{posts.dog.id}"), 404)


@pytest.mark.parametrize(("query", "expected"), [
    ("q=cat", ["meme", "cat"]),
    ("q=SLEEPY", ["cat"]),
    ("q=cat laptop", ["cat"]),
    ("q=dog OR laptop", ["dog", "cat"]),
    ("q=cat -memes", ["cat"]),
    ("q=cat NOT memes", ["cat"]),
    ("q_all=classic meme", ["meme"]),
    ("q_any=dog trip", ["album", "dog"]),
    ("q_exactly=dog park", ["dog"]),
    ("q_exactly=park dog", []),
    ("q_not=cat", ["fresh", "album", "dog"]),
    ("q_type=album", ["album"]),
    ("q_type=anigif", ["meme"]),
    ("q_type=jpg", ["fresh"]),
    ("q_type=png", ["dog", "cat"]),
    ("q_size_px=big", ["fresh"]),
    ("q_size_px=med", ["meme"]),
    ("q=zzz&q_type=album", ["album"]),  # q is ignored once advanced fields are set
])
def test_search_filters(sb: Sandbox, posts: Posts, query: str, expected: list[str]) -> None:
    r = requests.get(f"{sb.url}/3/gallery/search/time/all/0?{query}", headers=anon(sb))
    assert ids(ok(r)) == [getattr(posts, name).id for name in expected]


def test_search_sorts_pages_and_needs_a_query(sb: Sandbox, posts: Posts) -> None:
    get = lambda path: requests.get(sb.url + path, headers=anon(sb))  # noqa: E731
    assert ids(ok(get("/3/gallery/search?q_not=zzz"))) == posts.newest_first()[:3]
    assert ids(ok(get("/3/gallery/search/time/1?q_not=zzz&perPage=50"))) == (
        posts.newest_first()[3:])
    assert ok(get("/3/gallery/search/time/2?q_not=zzz")) == []
    assert ids(ok(get("/3/gallery/search/top/all/0?q=a"))) == [
        posts.dog.id, posts.album.id, posts.cat.id]
    assert "required" in error(get("/3/gallery/search"), 400)


# -- gallery items -------------------------------------------------------------------------------


def test_gallery_image_album_and_item(sb: Sandbox, posts: Posts) -> None:
    get = lambda path: requests.get(sb.url + path, headers=anon(sb))  # noqa: E731
    image = ok(get(f"/3/gallery/image/{posts.meme.id}"))
    assert image["is_album"] is False and image["ups"] == 10 and image["topic"] == "Memes"
    assert [t["name"] for t in image["tags"]] == ["memes", "cats"]
    album = ok(get(f"/3/gallery/album/{posts.album.id}"))
    assert album["is_album"] is True and len(album["images"]) == 1
    assert ok(get(f"/3/gallery/{posts.album.id}"))["is_album"] is True
    assert ok(get(f"/3/gallery/{posts.cat.id}"))["is_album"] is False
    wrong = posts.album.id
    assert error(get(f"/3/gallery/image/{wrong}"), 404) == (
        f"Unable to find an image with the id, {wrong}")
    assert error(get(f"/3/gallery/album/{posts.cat.id}"), 404) == (
        f"Unable to find an album with the id, {posts.cat.id}")
    private = sb.world.add_image(sb.username, "not shared")
    r = get(f"/3/gallery/{private.id}")
    assert r.json() == {"data": {"error": f"Unable to find an image with the id, {private.id}",
                                 "request": f"/3/gallery/{private.id}", "method": "GET"},
                        "success": False, "status": 404}


def test_share_and_remove(sb: Sandbox, posts: Posts) -> None:
    image = sb.world.add_image(sb.username, "mine")
    url = f"{sb.url}/3/gallery/image/{image.id}"
    me = auth(sb)
    assert error(requests.post(url, headers=anon(sb), data={"title": "x"}), 403) == (
        "This method requires authentication")
    assert "title" in error(requests.post(url, headers=me), 400)
    assert "permission" in error(requests.post(url, headers=auth(sb, "bob"),
                                               data={"title": "x"}), 403)
    error(requests.post(f"{sb.url}/3/gallery/album/{image.id}", headers=me,
                        data={"title": "x"}), 404)
    assert ok(requests.post(url, headers=me, data={
        "title": "Shared!", "topic": "Funny", "tags": "a,b", "terms": "1", "mature": "1"})) is True
    shared = ok(requests.get(url, headers=anon(sb)))
    assert shared["title"] == "Shared!" and shared["topic"] == "Funny" and shared["nsfw"] is True
    assert [t["name"] for t in shared["tags"]] == ["a", "b"]
    assert ok(requests.post(f"{sb.url}/3/gallery/{posts.fresh.id}", headers=me,
                            data={"title": "Retitled"})) is True
    assert sb.world.images[posts.fresh.id].title == "Retitled"
    album = sb.world.add_album(sb.username, "an album")
    assert ok(requests.post(f"{sb.url}/3/gallery/album/{album.id}", headers=me,
                            data={"title": "Album!"})) is True
    assert sb.world.albums[album.id].in_gallery and sb.world.albums[album.id].title == "Album!"

    gone = f"{sb.url}/3/gallery/{image.id}"
    assert "permission" in error(requests.delete(gone, headers=auth(sb, "bob")), 403)
    assert ok(requests.delete(gone, headers=me)) is True
    error(requests.get(url, headers=anon(sb)), 404)
    assert ok(requests.get(f"{sb.url}/3/image/{image.id}", headers=anon(sb)))["id"] == image.id


def test_share_needs_accepted_terms(sb: Sandbox) -> None:
    image = sb.world.add_image(sb.username, "mine")
    sb.world.account(sb.username).accepted_gallery_terms = False
    url = f"{sb.url}/3/gallery/{image.id}"
    assert "terms" in error(requests.post(url, headers=auth(sb), data={"title": "t"}), 403)
    assert ok(requests.post(url, headers=auth(sb), data={"title": "t", "terms": "1"})) is True
    assert sb.world.account(sb.username).accepted_gallery_terms is True


def test_votes(sb: Sandbox, posts: Posts) -> None:
    me, dog = auth(sb), posts.dog.id
    votes = lambda: ok(requests.get(f"{sb.url}/3/gallery/{dog}/votes", headers=anon(sb)))  # noqa: E731
    vote = lambda v: requests.post(f"{sb.url}/3/gallery/{dog}/vote/{v}", headers=me)  # noqa: E731
    assert votes() == {"ups": 500, "downs": 0}
    assert ok(vote("up")) is True
    assert votes() == {"ups": 501, "downs": 0}
    assert ok(requests.get(f"{sb.url}/3/gallery/image/{dog}", headers=me))["vote"] == "up"
    ok(vote("down"))
    assert votes() == {"ups": 500, "downs": 1}
    ok(vote("down"))  # the same vote again takes it back
    assert votes() == {"ups": 500, "downs": 0}
    ok(vote("up"))
    ok(vote("veto"))
    assert votes() == {"ups": 500, "downs": 0}
    assert "Invalid vote" in error(vote("sideways"), 400)
    error(requests.post(f"{sb.url}/3/gallery/{dog}/vote/up", headers=anon(sb)), 403)


# -- comments ------------------------------------------------------------------------------------


@dataclass
class Thread:
    c1: Comment
    c2: Comment
    c3: Comment
    r1: Comment
    r2: Comment


@pytest.fixture
def thread(sb: Sandbox, clock: Clock, posts: Posts) -> Thread:
    """On the cat: c2 (5 points, oldest), c1 (1 point) > r1 > r2, c3 (newest, 1 point)."""
    w, cat = sb.world, posts.cat.id
    clock.now = T0 + 1
    c2 = w.add_comment("bob", cat, "second but best")
    c2.ups = 5
    clock.now = T0 + 2
    c1 = w.add_comment("alice", cat, "first")
    clock.now = T0 + 3
    r1 = w.add_comment(sb.username, cat, "a reply", parent_id=c1.id)
    clock.now = T0 + 4
    r2 = w.add_comment("alice", cat, "a reply to the reply", parent_id=r1.id)
    clock.now = T0 + 5
    c3 = w.add_comment("bob", cat, "latest")
    return Thread(c1, c2, c3, r1, r2)


def _cids(comments: list[dict[str, Any]]) -> list[int]:
    return [c["id"] for c in comments]


def test_comment_tree_and_sorts(sb: Sandbox, posts: Posts, thread: Thread) -> None:
    get = lambda path: ok(requests.get(sb.url + path, headers=anon(sb)))  # noqa: E731
    cat = posts.cat.id
    best = get(f"/3/gallery/{cat}/comments")
    assert _cids(best) == [thread.c2.id, thread.c1.id, thread.c3.id]
    assert _cids(get(f"/3/gallery/{cat}/comments/top")) == _cids(best)
    first = best[1]
    assert first["parent_id"] == 0 and first["author"] == "alice"
    assert _cids(first["children"]) == [thread.r1.id]
    assert _cids(first["children"][0]["children"]) == [thread.r2.id]
    assert first["children"][0]["children"][0]["children"] == []
    new = get(f"/3/gallery/{cat}/comments/new")
    assert _cids(new) == [thread.c3.id, thread.c1.id, thread.c2.id]
    # Paged like PyImgur asks: comments_page_size (2) top-level comments a page.
    assert _cids(get(f"/3/gallery/{cat}/comments/best/0")) == [thread.c2.id, thread.c1.id]
    assert _cids(get(f"/3/gallery/{cat}/comments/best/1")) == [thread.c3.id]
    assert get(f"/3/gallery/{cat}/comments/best/2") == []
    everything = [thread.c2.id, thread.c1.id, thread.r1.id, thread.r2.id, thread.c3.id]
    assert get(f"/3/gallery/{cat}/comments/ids") == everything
    assert get(f"/3/gallery/{cat}/comments/count") == 5
    assert get(f"/3/gallery/{posts.dog.id}/comments") == []


def test_single_comment_routes(sb: Sandbox, posts: Posts, thread: Thread) -> None:
    get = lambda path: requests.get(sb.url + path, headers=anon(sb))  # noqa: E731
    one = ok(get(f"/3/gallery/{posts.cat.id}/comment/{thread.r1.id}"))
    assert one["parent_id"] == thread.c1.id and _cids(one["children"]) == [thread.r2.id]
    error(get(f"/3/gallery/{posts.dog.id}/comment/{thread.r1.id}"), 404)
    for path in (f"/3/comment/{thread.c1.id}", f"/3/comment/{thread.c1.id}/replies"):
        data = ok(get(path))
        assert data["id"] == thread.c1.id and _cids(data["children"]) == [thread.r1.id]
    assert error(get("/3/comment/999999"), 404) == "Unable to find a comment with the id, 999999"


def test_posting_replying_and_deleting_comments(sb: Sandbox, posts: Posts,
                                                thread: Thread) -> None:
    me, cat = auth(sb), posts.cat.id
    new_id = ok(requests.post(f"{sb.url}/3/comment", headers=me,
                              data={"image_id": cat, "comment": "hello"}))["id"]
    assert isinstance(new_id, int)
    posted = ok(requests.get(f"{sb.url}/3/comment/{new_id}", headers=anon(sb)))
    assert posted["author"] == sb.username and posted["parent_id"] == 0
    assert posted["comment"] == "hello" and posted["image_id"] == cat
    reply = ok(requests.post(f"{sb.url}/3/comment", headers=me, data={
        "image_id": cat, "comment": "re", "parent_id": str(thread.c2.id)}))["id"]
    direct = ok(requests.post(f"{sb.url}/3/comment/{thread.c2.id}", headers=me,
                              data={"comment": "re again"}))["id"]
    children = ok(requests.get(f"{sb.url}/3/comment/{thread.c2.id}/replies",
                               headers=anon(sb)))["children"]
    assert _cids(children) == [reply, direct]
    assert sb.world.notifications_of("bob", "reply")[0].ref == direct  # bob hears of it
    gallery_id = ok(requests.post(f"{sb.url}/3/gallery/{cat}/comment", headers=me,
                                  data={"comment": "via gallery"}))["id"]
    assert sb.world.comment(gallery_id).image_id == cat

    assert "another item" in error(requests.post(
        f"{sb.url}/3/comment/{thread.c2.id}", headers=me,
        data={"image_id": posts.dog.id, "comment": "x"}), 400)
    error(requests.post(f"{sb.url}/3/comment", headers=me, data={"image_id": cat}), 400)
    error(requests.post(f"{sb.url}/3/comment", headers=me, data={"comment": "x"}), 400)
    private = sb.world.add_image(sb.username, "not shared")
    error(requests.post(f"{sb.url}/3/comment", headers=me,
                        data={"image_id": private.id, "comment": "x"}), 404)
    error(requests.post(f"{sb.url}/3/comment", headers=anon(sb),
                        data={"image_id": cat, "comment": "x"}), 403)

    url = f"{sb.url}/3/comment/{thread.c3.id}"
    assert "permission" in error(requests.delete(url, headers=me), 403)
    assert ok(requests.delete(url, headers=auth(sb, "bob"))) is True
    error(requests.get(url, headers=anon(sb)), 404)
    count = ok(requests.get(f"{sb.url}/3/gallery/{cat}/comments/count", headers=anon(sb)))
    assert count == 5 - 1 + 4


def test_comment_votes_and_reports(sb: Sandbox, posts: Posts, thread: Thread) -> None:
    me, c2 = auth(sb), thread.c2.id
    assert ok(requests.post(f"{sb.url}/3/comment/{c2}/vote/up", headers=me)) is True
    data = ok(requests.get(f"{sb.url}/3/comment/{c2}", headers=me))
    assert data["ups"] == 6 and data["points"] == 6 and data["vote"] == "up"
    ok(requests.post(f"{sb.url}/3/comment/{c2}/vote/veto", headers=me))
    assert sb.world.comment(c2).ups == 5
    assert ok(requests.post(f"{sb.url}/3/comment/{c2}/report", headers=me,
                            data={"reason": "2"})) is True
    error(requests.post(f"{sb.url}/3/comment/{c2}/report", headers=me, data={"reason": "9"}), 400)
    error(requests.post(f"{sb.url}/3/comment/424242/vote/up", headers=me), 404)
    assert ok(requests.post(f"{sb.url}/3/gallery/{posts.cat.id}/report", headers=me)) is True


def test_item_tags(sb: Sandbox, posts: Posts) -> None:
    data = ok(requests.get(f"{sb.url}/3/gallery/{posts.meme.id}/tags", headers=anon(sb)))
    assert [(t["name"], t["author"]) for t in data["tags"]] == [("memes", "bob"), ("cats", "bob")]
    assert {"ups", "downs", "total_items"} <= set(data["tags"][0])


# -- credits and topics ----------------------------------------------------------------------


def test_credits_body_matches_the_headers_and_charges_once(sb: Sandbox) -> None:
    first = requests.get(f"{sb.url}/3/credits", headers=anon(sb))
    body = ok(first)
    assert set(body) == {"UserLimit", "UserRemaining", "UserReset", "ClientLimit",
                         "ClientRemaining"}
    assert body["UserLimit"] == 500 and body["ClientLimit"] == 12500
    for key, value in body.items():
        assert first.headers[f"X-RateLimit-{key}"] == str(value)
    again = ok(requests.get(f"{sb.url}/3/credits", headers=anon(sb)))
    assert again["UserRemaining"] == body["UserRemaining"] - 1
    assert again["ClientRemaining"] == body["ClientRemaining"] - 1
    assert ok(requests.get(f"{sb.url}/3/credits", headers=auth(sb)))["UserLimit"] == 2000


def test_credits_without_authorization_is_401(sb: Sandbox) -> None:
    r = requests.get(f"{sb.url}/3/credits")
    assert r.status_code == 401
    assert r.json() == {"data": {"error": "Authentication required", "request": "/3/credits",
                                 "method": "GET"}, "success": False, "status": 401}


def test_default_topics_is_an_empty_list(sb: Sandbox) -> None:
    assert ok(requests.get(f"{sb.url}/3/topics/defaults", headers=anon(sb))) == []


# -- legacy: conversations -----------------------------------------------------------------------


@pytest.fixture
def long_thread(sb: Sandbox) -> int:
    """Sixty messages m0..m59 between the main account and alice; returns the conversation id."""
    for i in range(60):
        sender, recipient = (sb.username, "alice") if i % 2 else ("alice", sb.username)
        sb.world.add_message(sender, recipient, f"m{i}", datetime=T0 + i)
    return sb.world.conversation_between(sb.username, "alice").id


def _bodies(conversation: dict[str, Any]) -> list[str]:
    return [m["body"] for m in conversation["messages"]]


def test_conversation_list(sb: Sandbox, long_thread: int) -> None:
    sb.world.add_message("bob", sb.username, "older", datetime=T0 - 100)
    listed = ok(requests.get(f"{sb.url}/3/conversations", headers=auth(sb)))
    assert [c["with_account"] for c in listed] == ["alice", "bob"]
    first = listed[0]
    assert first["id"] == long_thread and first["message_count"] == 60
    assert first["last_message_preview"] == "m59" and first["datetime"] == T0 + 59
    assert first["with_account_id"] == sb.world.account("alice").id and "messages" not in first
    assert ok(requests.get(f"{sb.url}/3/conversations", headers=auth(sb, "bob")))[0][
        "with_account"] == sb.username


def test_conversation_pages_start_at_one_from_the_newest(sb: Sandbox, long_thread: int) -> None:
    get = lambda tail: ok(requests.get(  # noqa: E731
        f"{sb.url}/3/conversations/{long_thread}{tail}", headers=auth(sb)))
    page1 = get("")
    assert _bodies(page1) == [f"m{i}" for i in range(35, 60)]
    assert page1["done"] is False and page1["page"] == 2
    assert get("/1") == page1 == get("/1/0")
    page2 = get("/2")
    assert _bodies(page2) == [f"m{i}" for i in range(10, 35)] and page2["done"] is False
    page3 = get("/3")
    assert _bodies(page3) == [f"m{i}" for i in range(10)]
    assert page3["done"] is True and page3["page"] == 4
    page4 = get("/4")
    assert page4["messages"] == [] and page4["done"] is True
    assert _bodies(get("/1/5")) == [f"m{i}" for i in range(30, 55)]
    message = page1["messages"][-1]  # m59: sent by the main account to alice
    me, alice = sb.world.account(sb.username), sb.world.account("alice")
    assert message["from"] == sb.username and message["sender_id"] == me.id
    assert message["account_id"] == alice.id and message["conversation_id"] == long_thread
    assert "start at 1" in error(requests.get(f"{sb.url}/3/conversations/{long_thread}/0",
                                              headers=auth(sb)), 400)


def test_conversations_are_private(sb: Sandbox, long_thread: int) -> None:
    url = f"{sb.url}/3/conversations/{long_thread}"
    assert "permission" in error(requests.get(url, headers=auth(sb, "bob")), 403)
    assert "permission" in error(requests.delete(url, headers=auth(sb, "bob")), 403)
    error(requests.get(f"{sb.url}/3/conversations/424242", headers=auth(sb)), 404)
    assert error(requests.get(f"{sb.url}/3/conversations", headers=anon(sb)), 403) == (
        "This method requires authentication")
    assert ok(requests.delete(url, headers=auth(sb, "alice"))) is True
    error(requests.get(url, headers=auth(sb)), 404)
    assert ok(requests.get(f"{sb.url}/3/conversations", headers=auth(sb))) == []


def test_sending_messages(sb: Sandbox) -> None:
    me = auth(sb)
    assert ok(requests.post(f"{sb.url}/3/conversations/bob", headers=me,
                            data={"body": "hi"})) is True
    assert ok(requests.post(f"{sb.url}/3/conversations/", headers=me,  # R's imguR form
                            data={"recipient": "bob", "body": "again"})) is True
    conversation = sb.world.conversation_between(sb.username, "bob")
    assert [m.body for m in conversation.messages] == ["hi", "again"]
    error(requests.post(f"{sb.url}/3/conversations/bob", headers=me, data={"body": " "}), 400)
    error(requests.post(f"{sb.url}/3/conversations/nobody", headers=me, data={"body": "x"}), 404)
    error(requests.post(f"{sb.url}/3/conversations/me", headers=me, data={"body": "x"}), 400)
    error(requests.post(f"{sb.url}/3/conversations", headers=me, data={"body": "x"}), 400)
    sb.world.account("alice").messaging_enabled = False
    error(requests.post(f"{sb.url}/3/conversations/alice", headers=me, data={"body": "x"}), 403)


def test_report_and_block_sender(sb: Sandbox) -> None:
    for action in ("report", "block"):
        url = f"{sb.url}/3/conversations/{action}/"
        assert ok(requests.post(url + "bob", headers=auth(sb))) is True
        error(requests.post(url + "nobody", headers=auth(sb)), 404)


# -- legacy: notifications --------------------------------------------------------------------


@pytest.fixture
def notes(sb: Sandbox, posts: Posts) -> dict[str, int]:
    """One message and one reply notification for the main account (plus one for bob)."""
    w = sb.world
    mine = w.add_comment(sb.username, posts.cat.id, "my comment")
    w.add_comment("alice", posts.cat.id, "replying to you", parent_id=mine.id)
    w.add_message("alice", sb.username, "psst")
    w.add_message(sb.username, "bob", "hello bob")
    reply = w.notifications_of(sb.username, "reply")[0].id
    message = w.notifications_of(sb.username, "message")[0].id
    return {"reply": reply, "message": message,
            "bob": w.notifications_of("bob", "message")[0].id}


def test_notification_lists(sb: Sandbox, notes: dict[str, int]) -> None:
    data = ok(requests.get(f"{sb.url}/3/notification", headers=auth(sb)))
    assert [n["id"] for n in data["replies"]] == [notes["reply"]]
    assert [n["id"] for n in data["messages"]] == [notes["message"]]
    reply = data["replies"][0]
    assert reply["viewed"] is False and reply["account_id"] == sb.world.account(sb.username).id
    assert reply["content"]["comment"] == "replying to you" and reply["content"]["children"] == []
    content = data["messages"][0]["content"]
    conversation = sb.world.conversation_between(sb.username, "alice")
    assert content["id"] == str(conversation.id) and content["from"] == "alice"
    assert content["last_message"] == "psst" and content["message_num"] == "1"
    account = ok(requests.get(f"{sb.url}/3/account/me/notifications", headers=auth(sb)))
    assert account == data
    messages = ok(requests.get(f"{sb.url}/3/account/{sb.username}/notifications/messages",
                               headers=auth(sb)))
    assert messages == data["messages"]
    error(requests.get(f"{sb.url}/3/account/bob/notifications", headers=auth(sb)), 403)
    error(requests.get(f"{sb.url}/3/account/bob/notifications/messages", headers=auth(sb)), 403)


def test_single_notification_and_marking_viewed(sb: Sandbox, notes: dict[str, int]) -> None:
    me = auth(sb)
    url = f"{sb.url}/3/notification/{notes['message']}"
    assert ok(requests.get(url, headers=me))["content"]["last_message"] == "psst"
    assert "permission" in error(requests.get(f"{sb.url}/3/notification/{notes['bob']}",
                                              headers=me), 403)
    error(requests.get(f"{sb.url}/3/notification/424242", headers=me), 404)
    assert ok(requests.post(url, headers=me)) is True
    unseen = ok(requests.get(f"{sb.url}/3/notification?new=true", headers=me))
    assert unseen["messages"] == [] and len(unseen["replies"]) == 1
    everything = ok(requests.get(f"{sb.url}/3/notification?new=false", headers=me))
    assert [n["viewed"] for n in everything["messages"]] == [True]
    assert ok(requests.post(f"{sb.url}/3/notification", headers=me,
                            data={"ids": str(notes["reply"])})) is True
    assert ok(requests.get(f"{sb.url}/3/notification", headers=me)) == {
        "replies": [], "messages": []}


def test_marking_many_is_all_or_nothing(sb: Sandbox, notes: dict[str, int]) -> None:
    me = auth(sb)
    mixed = f"{notes['reply']},{notes['bob']}"
    error(requests.post(f"{sb.url}/3/notification", headers=me, data={"ids": mixed}), 403)
    assert sb.world.notifications[notes["reply"]].viewed is False
    error(requests.post(f"{sb.url}/3/notification", headers=me, data={"ids": "x"}), 400)
    error(requests.post(f"{sb.url}/3/notification", headers=me), 400)
    assert ok(requests.post(f"{sb.url}/3/notification", headers=me,
                            data={"ids[]": [notes["reply"], notes["message"]]})) is True
    assert sb.world.notifications_of(sb.username) == []


def test_marking_many_accepts_imgurpythons_bare_body(sb: Sandbox, notes: dict[str, int]) -> None:
    body = f"{notes['reply']},{notes['message']}"  # imgurpython posts this without a form
    assert ok(requests.post(f"{sb.url}/3/notification", headers=auth(sb), data=body)) is True
    assert sb.world.notifications_of(sb.username) == []


# -- legacy: PyImgur's message routes -------------------------------------------------------------


def test_message_routes(sb: Sandbox) -> None:
    w, me = sb.world, auth(sb)
    first = w.add_message("alice", sb.username, "one", datetime=T0)
    second = w.add_message(sb.username, "alice", "two", datetime=T0 + 1)
    data = ok(requests.get(f"{sb.url}/3/message/{second.id}", headers=me))
    assert data["body"] == "two" and data["from"] == sb.username
    assert data["parent_id"] == first.id
    thread = ok(requests.get(f"{sb.url}/3/message/{first.id}/thread", headers=me))
    assert [m["body"] for m in thread] == ["one", "two"]
    assert "permission" in error(requests.get(f"{sb.url}/3/message/{first.id}",
                                              headers=auth(sb, "bob")), 403)
    error(requests.get(f"{sb.url}/3/message/424242", headers=me), 404)

    assert ok(requests.post(f"{sb.url}/3/message", headers=me, data={
        "recipient": "alice", "body": "three", "subject": "ignored"})) is True
    assert ok(requests.post(f"{sb.url}/3/message", headers=me, data={
        "parent_id": str(first.id), "body": "four"})) is True  # the recipient comes from it
    conversation = w.conversation_between(sb.username, "alice")
    assert [m.body for m in conversation.messages] == ["one", "two", "three", "four"]
    error(requests.post(f"{sb.url}/3/message", headers=me, data={"body": "no one"}), 400)

    assert ok(requests.delete(f"{sb.url}/3/message/{second.id}", headers=me)) is True
    error(requests.get(f"{sb.url}/3/message/{second.id}", headers=me), 404)
    assert [m.body for m in conversation.messages] == ["one", "three", "four"]
    lonely = w.add_message("bob", sb.username, "only one")
    assert ok(requests.delete(f"{sb.url}/3/message/{lonely.id}", headers=me)) is True
    assert w.conversation_between(sb.username, "bob") is None  # emptied, so gone


# -- legacy routes switched off -----------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/3/conversations"),
    ("GET", "/3/conversations/1001/1/0"),
    ("POST", "/3/conversations/alice"),
    ("DELETE", "/3/conversations/1001"),
    ("POST", "/3/conversations/block/alice"),
    ("GET", "/3/notification"),
    ("POST", "/3/notification/1001"),
    ("GET", "/3/account/me/notifications"),
    ("GET", "/3/account/me/notifications/messages"),
    ("GET", "/3/message/1001"),
    ("POST", "/3/message"),
])
def test_legacy_routes_answer_404_when_switched_off(start_sandbox: Callable[..., Sandbox],
                                                     method: str, path: str) -> None:
    off = start_sandbox("empty", options=SandboxOptions(legacy_routes=False))
    r = requests.request(method, off.url + path, headers=auth(off), data={"body": "x"})
    assert r.status_code == 404
    assert r.json() == {"data": {"error": f"Unable to find the route {path}", "request": path,
                                 "method": method}, "success": False, "status": 404}
    assert ok(requests.get(f"{off.url}/3/gallery", headers=anon(off))) == []  # not legacy


# -- real third-party clients ------------------------------------------------------------------


@pytest.fixture
def im(sb: Sandbox) -> pyimgur.Imgur:
    client = pyimgur.Imgur(sb.client_id, sb.client_secret, refresh_token=sb.refresh_token)
    client.base_url = sb.url
    return client


@pytest.fixture
def ip(sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[ImgurClient]:
    monkeypatch.setattr(imgurpython.client, "API_URL", sb.url + "/")
    yield ImgurClient(sb.client_id, sb.client_secret, refresh_token=sb.refresh_token)


def test_pyimgur_gallery_comments_and_messages(sb: Sandbox, posts: Posts, thread: Thread,
                                               im: pyimgur.Imgur) -> None:
    # PyImgur pages until an empty page or its limit: this ends only if pages end with [].
    assert [g.id for g in im.get_gallery(sort="time", limit=100)] == posts.newest_first()
    assert [g.id for g in im.get_subreddit_gallery("aww", limit=100)] == [
        posts.dog.id, posts.cat.id]
    assert [g.id for g in im.get_memes_gallery(limit=100)] == [posts.meme.id]
    assert {g.id for g in im.search_gallery(q="cat", limit=100)} == {posts.cat.id, posts.meme.id}
    cat = im.get_gallery_image(posts.cat.id)
    comments = cat.get_comments(limit=100)  # /comments/new/{page}
    assert [c.id for c in comments] == [thread.c3.id, thread.c1.id, thread.c2.id]
    assert [r.id for r in comments[1].replies] == [thread.r1.id]
    assert [r.id for r in im.get_comment(thread.r1.id).get_replies()] == [thread.r2.id]
    assert im.get_gallery_album(posts.album.id).is_album is True
    reply = im.get_comment(thread.c2.id).reply("via PyImgur")  # POST /3/comment/{id}
    assert sb.world.comment(reply.id).parent_id == thread.c2.id
    assert sb.world.comment(cat.comment("top level").id).image_id == posts.cat.id
    cat.upvote()
    assert posts.cat.ups == 51
    mine = im.get_image(sb.world.add_image(sb.username, "to share").id)
    mine.submit_to_gallery("Shared by PyImgur")  # POST /3/gallery/{id}, then a gallery GET
    assert mine.title == "Shared by PyImgur" and sb.world.images[mine.id].in_gallery
    mine.remove_from_gallery()
    assert not sb.world.images[mine.id].in_gallery
    sb.world.add_message("alice", sb.username, "hey")
    message = sb.world.add_message(sb.username, "alice", "ho")
    thread_ = im.get_message(message.id).get_thread()
    assert [m.body for m in thread_] == ["hey", "ho"]
    assert len(im.get_user("me").get_messages(new=True)) == 1


def test_imgurpython_gallery_comments_conversations_notifications(
        sb: Sandbox, posts: Posts, thread: Thread, ip: ImgurClient) -> None:
    assert [g.id for g in ip.gallery(section="hot", sort="time", page=1)] == (
        posts.newest_first()[3:])
    tag = ip.gallery_tag("cats")
    assert tag.total_items == 2 and [i.id for i in tag.items] == [posts.cat.id, posts.meme.id]
    tree = ip.gallery_item_comments(posts.cat.id, sort="best")
    assert [c.id for c in tree] == [thread.c2.id, thread.c1.id, thread.c3.id]
    assert [c.id for c in tree[1].children[0].children] == [thread.r2.id]
    assert ip.gallery_item(posts.album.id).is_album is True
    assert [g.id for g in ip.gallery_search("", {"q_type": "album"})] == [posts.album.id]
    new = ip.gallery_comment(posts.cat.id, "from imgurpython")["id"]
    ip.post_comment_reply(new, posts.cat.id, "and a reply")
    assert [c.id for c in ip.get_comment_replies(new).children] != []
    assert ip.comment_vote(new, "down") is True and sb.world.comment(new).downs == 1
    image = sb.world.add_image(sb.username, "to share")
    assert ip.share_on_imgur(image.id, "Shared by imgurpython", terms=1) is True
    assert ip.gallery_item_vote(image.id, "up") is True and image.ups == 1
    for i in range(30):
        sb.world.add_message("alice", sb.username, f"m{i}", datetime=T0 + i)
    conversation_id = ip.conversation_list()[0].id
    older = ip.get_conversation(conversation_id, page=2)
    assert [m.body for m in older.messages] == [f"m{i}" for i in range(5)] and older.done
    notes = ip.get_notifications(new=True)  # builds comment trees from reply contents
    assert len(notes["replies"]) == 1 and len(notes["messages"]) == 30
    ip.mark_notifications_as_read([str(n.id) for n in notes["messages"]])
    assert ip.get_notifications(new=True)["messages"] == []
