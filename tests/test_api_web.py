"""The web API client (/post/v1) against the sandbox over HTTP: own posts, hidden ones
included, both body shapes, conversion to /3/ shapes, a refused cookie, throttling and
redirects."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import requests
from scripted_http import Seen, ok, scripted_server
from support import web_post_ids

from imgur_sync.api.errors import ApiError, AuthenticationError, OverCapacity
from imgur_sync.api.web import WebApi
from imgur_sync.api.webshapes import convert_posts
from imgur_sync.sandbox import FaultPlan, Sandbox, SandboxOptions


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


def _api(sb: Sandbox, session: requests.Session, sleeps: list[float] | None = None,
         **kwargs: object) -> WebApi:
    return WebApi(sb.cookie_token, sb.web_client_id, api_url=sb.url, session=session,
                  sleep=(sleeps.append if sleeps is not None else _no_sleep),
                  random=lambda: 0.0, **kwargs)  # type: ignore[arg-type]


def _no_sleep(seconds: float) -> None:
    raise AssertionError(f"nothing should wait here ({seconds} s)")


@pytest.mark.parametrize("flip", [False, True])
def test_all_posts_reads_every_page_to_the_empty_one(
        start_sandbox: Callable[..., Sandbox], session: requests.Session, flip: bool) -> None:
    sb = start_sandbox("demo", options=SandboxOptions(web_page_size=2, web_flip_bodies=flip))
    api = _api(sb, session)
    ids = [post["id"] for post in api.iter_posts()]
    assert ids == web_post_ids(sb) and len(ids) > 4
    assert api.requests_sent == -(-len(ids) // 2) + 1  # every page, then the empty one
    hidden = [a.id for a in sb.world.albums_of(sb.username) if a.privacy in ("hidden", "secret")]
    assert hidden and set(hidden) <= set(ids)
    assert [post["id"] for post in api.iter_posts("hidden_albums")] == [
        i for i in ids if i in hidden]


def test_posts_convert_to_what_v3_says(demo: Sandbox, session: requests.Session) -> None:
    converted = convert_posts(_api(demo, session).iter_posts())
    world = demo.world
    assert converted.skipped == []
    albums = {a.id: a for a in world.albums_of(demo.username)}
    assert {a["id"] for a in converted.albums} == set(albums)
    for album in converted.albums:
        truth = albums[album["id"]]
        assert (album["title"], album["description"], album["privacy"]) == (
            truth.title or None, truth.description or None, truth.privacy)
        assert [i["id"] for i in album["images"]] == truth.image_ids
        assert album["datetime"] == truth.datetime
    assert {i["id"] for i in converted.images} == {i.id for i in world.images_of(demo.username)}
    for image in converted.images:
        truth = world.images[image["id"]]
        assert (image["title"], image["description"], image["size"], image["type"],
                image["width"], image["datetime"]) == (
            truth.title or None, truth.description or None, truth.size, truth.mime,
            truth.width, truth.datetime)


def test_one_album_and_one_media_by_id(demo: Sandbox, session: requests.Session) -> None:
    api = _api(demo, session)
    album = next(a for a in demo.world.albums_of(demo.username) if a.privacy == "hidden")
    post = api.get_album(album.id)
    assert post["id"] == album.id and [m["id"] for m in post["media"]] == album.image_ids
    media = api.get_media(album.image_ids[0])
    assert media["id"] == album.image_ids[0]
    assert media["size"] == demo.world.images[album.image_ids[0]].size


def test_an_expired_cookie_says_export_fresh_cookies(demo: Sandbox, session: requests.Session,
                                                     http: requests.Session) -> None:
    api = _api(demo, session)
    old = demo.cookie_token
    http.post(f"{demo.url}/__sandbox__/mutate/expire_cookies", json={}).raise_for_status()
    with pytest.raises(AuthenticationError) as refused:
        next(api.iter_posts())
    assert "export fresh cookies" in str(refused.value) and old not in str(refused.value)
    assert refused.value.status == 401 and not refused.value.retryable


@pytest.mark.parametrize("kind", ["rate_limit", "over_capacity"])
def test_throttling_is_waited_out_in_long_steps(demo: Sandbox, session: requests.Session,
                                                http: requests.Session, kind: str) -> None:
    http.post(f"{demo.url}/__sandbox__/faults", json={"rates": {kind: 1.0}}).raise_for_status()
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 2:  # the throttle lifts
            http.post(f"{demo.url}/__sandbox__/faults", json={}).raise_for_status()

    api = WebApi(demo.cookie_token, demo.web_client_id, api_url=demo.url, session=session,
                 sleep=sleep, capacity_wait=123.0)
    assert [p["id"] for p in api.iter_posts()] == web_post_ids(demo)
    assert sleeps == [123.0, 123.0]


def test_throttling_that_never_lifts_ends_in_an_over_capacity_error(
        start_sandbox: Callable[..., Sandbox], session: requests.Session) -> None:
    sb = start_sandbox("demo", faults=FaultPlan({"over_capacity": 1.0}))
    sleeps: list[float] = []
    with pytest.raises(OverCapacity):
        next(_api(sb, session, sleeps, capacity_attempts=3).iter_posts())
    assert sleeps == [600.0, 600.0]


def test_a_quick_pull_stops_after_the_first_page(start_sandbox: Callable[..., Sandbox],
                                                 session: requests.Session) -> None:
    sb = start_sandbox("demo", options=SandboxOptions(web_page_size=2))
    api = _api(sb, session)
    posts = list(api.iter_posts(stop=lambda page: True))
    assert len(posts) == 2 and api.requests_sent == 1
    for _post in api.iter_posts():
        break
    assert api.requests_sent == 2


def test_the_cookie_goes_with_origin_and_no_authorization() -> None:
    with scripted_server(lambda seen: ok([])) as (url, seen):
        assert list(WebApi("c" * 40, "webid", api_url=url).iter_posts()) == []
    (request,) = seen
    assert request.headers["Cookie"] == "accesstoken=" + "c" * 40
    assert request.headers["Origin"] == "https://imgur.com"
    assert "Authorization" not in request.headers
    assert "client_id=webid" in request.path and "page=1" in request.path


def test_a_redirect_is_not_followed_and_the_cookie_goes_nowhere_else() -> None:
    received: list[Seen] = []

    def other(seen: Seen) -> tuple[int, dict[str, str], bytes]:
        received.append(seen)
        return 200, {}, b"[]"

    with scripted_server(other) as (elsewhere, _):
        redirecting = scripted_server(lambda seen: (302, {"Location": elsewhere + "/x"}, b""))
        with redirecting as (url, seen), pytest.raises(
                ApiError, match="redirect to another host") as refused:
            next(WebApi("c" * 40, "webid", api_url=url).iter_posts())
    assert received == [] and len(seen) == 1 and "c" * 40 not in str(refused.value)


def test_a_plain_429_waits_as_retry_after_says() -> None:
    answers = iter([(429, {"Retry-After": "7"}, {"errors": [{"detail": "Too Many Requests"}]}),
                    (200, {}, [])])
    sleeps: list[float] = []
    with scripted_server(lambda seen: next(answers)) as (url, seen):
        assert list(WebApi("c" * 40, "webid", api_url=url, sleep=sleeps.append).iter_posts()) == []
    assert sleeps == [7.0] and len(seen) == 2
