"""A hostile API host: redirects to other hosts, ids that climb out of the URL, odd tokens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from scripted_http import Answer, Seen, ok, scripted_server
from support import FakeClock

from imgur_sync.api import Imgur
from imgur_sync.api.errors import ApiError, ImgurError
from imgur_sync.api.transport import Transport

SECRET, REFRESH, KEY = "s3cret" * 5, "r" * 40, "rapid-key-" * 3
TOKEN_ANSWER = {"access_token": "a" * 40, "refresh_token": REFRESH, "expires_in": 3600,
                "account_username": "me", "account_id": 7}


@pytest.fixture
def elsewhere() -> Iterator[tuple[str, list[Seen]]]:
    """Another host (another port on 127.0.0.1) that would gladly take anything sent to it."""
    def answer(seen: Seen) -> Answer:
        return (200, {}, TOKEN_ANSWER) if seen.path.startswith("/oauth2") else ok({"id": "x"})

    with scripted_server(answer) as server:
        yield server


def _redirecting(status: int, target: str) -> scripted_server:
    return scripted_server(lambda seen: (status, {"Location": target + seen.path}, b""))


def test_a_token_post_redirected_elsewhere_sends_no_secret(
        elsewhere: tuple[str, list[Seen]]) -> None:
    other, received = elsewhere
    with _redirecting(307, other) as (url, seen):
        t = Transport("client", SECRET, refresh_token=REFRESH, api_url=url)
        with pytest.raises(ApiError, match="redirect to another host") as refused:
            t.refresh()
    assert received == [] and len(seen) == 1 and SECRET.encode() in seen[0].body
    assert refused.value.status == 307 and not refused.value.retryable
    assert SECRET not in str(refused.value) and REFRESH not in str(refused.value)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_an_api_call_redirected_elsewhere_sends_no_key(
        elsewhere: tuple[str, list[Seen]], status: int) -> None:
    other, received = elsewhere
    with _redirecting(status, other) as (url, seen):
        t = Transport("client", rapidapi_key=KEY, access_token="a" * 40, api_url=url)
        with pytest.raises(ApiError, match=f"Imgur answered {status}: a redirect to another "
                                           r"host, 127\.0\.0\.1:\d+"):
            t.request("GET", "3/account/me")
    assert received == [] and seen[0].headers["X-Mashape-Key"] == KEY


def test_a_redirect_on_the_same_host_is_not_followed_either() -> None:
    same_host = scripted_server(lambda seen: (302, {"Location": "/3/elsewhere"}, b""))
    with same_host as (url, seen), pytest.raises(
            ApiError, match=r"redirect to 127\.0\.0\.1:\d+, which") as refused:
        Transport("client", api_url=url).request("GET", "3/account/me")
    assert [s.path for s in seen] == ["/3/account/me"] and refused.value.status == 302


BAD_IDS = ["../x", "..", ".", "A\0B", "x" * 5000, "a/../../b", "%2e%2e", "%2E%2e%2Fx", "a?b=1",
           "a#b", "a\\..\\b", "", "tab\there", "del\x7f"]


@pytest.mark.parametrize("bad", BAD_IDS, ids=lambda bad: repr(bad[:12]))
def test_ids_that_could_leave_their_place_in_the_url_are_never_sent(bad: str) -> None:
    with scripted_server() as (url, seen):
        t = Transport("client", access_token="a" * 40, api_url=url)
        with pytest.raises(ImgurError, match="no valid Imgur id") as refused:
            t.request("GET", f"3/album/{bad}/images")  # as engine code formats server ids
        assert not refused.value.retryable and "a" * 40 not in str(refused.value)
        message = str(refused.value)  # a 5,000-character id is not echoed whole, nor a NUL
        assert len(message) < 400 and message.isprintable()
        if "%" not in bad:  # the client quotes a "%", so "%2e%2e" would be sent as a name
            with pytest.raises(ImgurError, match="no valid Imgur id"):
                Imgur("client", transport=t).get_album(bad)  # quoting leaves ".." as it is
    assert seen == []


@pytest.mark.parametrize("path", [
    "3/account/me", "3/account/Some_User-1/images/0", "3/comment/1234567890",
    "3/album/aBc12Z9/images", "3/gallery/t/funny%20cats/viral/week/0", "3/image/abc.json",
    "oauth2/token", "3/account/me/favorites/0/newest"])
def test_ordinary_paths_are_sent_as_they_are(path: str) -> None:
    with scripted_server() as (url, seen):
        assert Transport("client", api_url=url).request("GET", path) is True
    assert [s.path for s in seen] == ["/" + path]


@pytest.mark.parametrize("expires_in", ["soon", None, "", "nan", "inf", 1e300, -5, 0, True,
                                        [3600], {"s": 1}])
def test_an_unreadable_token_lifetime_counts_as_unknown(expires_in: object) -> None:
    clock = FakeClock()
    with scripted_server(lambda seen: (200, {}, {**TOKEN_ANSWER, "expires_in": expires_in})
                         ) as (url, _):
        t = Transport("client", SECRET, refresh_token=REFRESH, api_url=url, clock=clock)
        assert t.refresh() == "a" * 40
    # Unknown: the token is used until Imgur refuses it, then refreshed.
    assert t.tokens.expires_at is None and t.tokens.account_username == "me"


def test_a_readable_token_lifetime_is_kept() -> None:
    clock = FakeClock()
    with scripted_server(lambda seen: (200, {}, {**TOKEN_ANSWER, "expires_in": "315360000"})
                         ) as (url, _):
        t = Transport("client", SECRET, refresh_token=REFRESH, api_url=url, clock=clock)
        t.refresh()
    assert t.tokens.expires_at == clock.now + 315360000 and t.tokens.account_id == 7
