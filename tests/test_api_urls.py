"""Imgur URL recognition and thumbnail links (docs/IMGUR-API.md §Media): pure, table-driven."""

from __future__ import annotations

import dataclasses
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imgur_sync.api.urls import (
    IMGUR_HOST_RE,
    THUMBNAIL_SIZES,
    ImgurUrl,
    is_imgur_url,
    parse_imgur_url,
    thumbnail_link,
)

HOSTS = [f"{sub}imgur.{tld}" for sub in ("", "www.", "m.", "i.") for tld in ("com", "io")]

PARSE_CASES: list[tuple[str, ImgurUrl | None]] = [
    # Single image pages, every host variant, slugs, extensions, query and fragment ignored.
    ("https://imgur.com/abcdefg", ImgurUrl("image", "abcdefg")),
    ("http://www.imgur.com/abcdefg/", ImgurUrl("image", "abcdefg")),
    ("imgur.com/abcde", ImgurUrl("image", "abcde")),
    ("m.imgur.com/abcdefg?ref=share#top", ImgurUrl("image", "abcdefg")),
    ("https://imgur.io/abcdefg", ImgurUrl("image", "abcdefg")),
    ("HTTPS://IMGUR.COM/AbCd3Fg", ImgurUrl("image", "AbCd3Fg")),
    ("https://imgur.com/test-21yMxCS", ImgurUrl("image", "21yMxCS")),
    ("https://imgur.com/a-title-with-dashes-AbC1234", ImgurUrl("image", "AbC1234")),
    ("https://imgur.com/abcdefg.png", ImgurUrl("image", "abcdefg", ext="png")),
    # A 7-character page id ending in a thumbnail letter is not a thumbnail.
    ("https://imgur.com/abcdefh", ImgurUrl("image", "abcdefh")),
    # Direct media and thumbnail suffixes.
    ("https://i.imgur.com/abcdefg.jpg", ImgurUrl("image", "abcdefg", ext="jpg")),
    ("https://i.imgur.com/abcdefgs.jpg", ImgurUrl("image", "abcdefg", thumbnail="s", ext="jpg")),
    ("i.imgur.com/abcdefs.png", ImgurUrl("image", "abcdefs", ext="png")),
    ("http://i.imgur.com/q6TxQKyh.gif", ImgurUrl("image", "q6TxQKy", thumbnail="h", ext="gif")),
    ("https://i.imgur.io/abcdefgm.png", ImgurUrl("image", "abcdefg", thumbnail="m", ext="png")),
    ("//i.imgur.com/abcdefgb.jpg", ImgurUrl("image", "abcdefg", thumbnail="b", ext="jpg")),
    ("https://i.imgur.com/JtgXBt.jpg", ImgurUrl("image", "JtgXB", thumbnail="t", ext="jpg")),
    ("https://i.imgur.com/abcdefgx.jpg", ImgurUrl("image", "abcdefgx", ext="jpg")),
    ("https://i.imgur.com/abcdefg.JPEG", ImgurUrl("image", "abcdefg", ext="jpg")),
    ("https://i.imgur.com/abcdefg.gifv", ImgurUrl("image", "abcdefg", ext="gifv")),
    ("https://i.imgur.com/abcdefgl.mp4", ImgurUrl("image", "abcdefg", thumbnail="l", ext="mp4")),
    ("https://i.imgur.com/abcdefg.m3u8", ImgurUrl("image", "abcdefg", ext="m3u8")),
    ("https://i.imgur.com/abcdefg_d.webp?maxwidth=520", ImgurUrl("image", "abcdefg", ext="webp")),
    ("https://i.imgur.com/removed.png", None),  # where deleted media redirects
    # Albums.
    ("https://imgur.com/a/abcde12", ImgurUrl("album", "abcde12")),
    ("https://www.imgur.com/a/my-trip-to-paris-abcde12", ImgurUrl("album", "abcde12")),
    ("imgur.com/a/abcde12/all", ImgurUrl("album", "abcde12")),
    ("https://imgur.com/album/abcde12", ImgurUrl("album", "abcde12")),
    ("https://m.imgur.com/a/abcde12#0", ImgurUrl("album", "abcde12")),
    ("https://imgur.io/a/abcde12/", ImgurUrl("album", "abcde12")),
    ("https://imgur.com/a/abcde12/embed", None),
    # Gallery posts and comments.
    ("https://imgur.com/gallery/abcde12", ImgurUrl("gallery", "abcde12")),
    ("https://imgur.com/gallery/funny-cat-abcde12", ImgurUrl("gallery", "abcde12")),
    ("https://www.imgur.io/gallery/abcde12", ImgurUrl("gallery", "abcde12")),
    ("https://imgur.com/gallery/abcde12/comment/1234567890", ImgurUrl("comment", "1234567890")),
    ("https://m.imgur.com/gallery/cat-abcde12/comment/42/replies", ImgurUrl("comment", "42")),
    ("https://imgur.com/gallery/abcde12/comment/latest", None),
    # Subreddits.
    ("https://m.imgur.com/r/Celebs/iHJ7tsM", ImgurUrl("subreddit_image", "iHJ7tsM", "Celebs")),
    ("https://i.imgur.io/r/aww/abcdefg", ImgurUrl("subreddit_image", "abcdefg", "aww")),
    ("https://imgur.com/r/pics", ImgurUrl("subreddit", None, subreddit="pics")),
    ("imgur.com/r/pics/top/week", ImgurUrl("subreddit", None, subreddit="pics")),
    ("https://imgur.com/r/pics/rising", ImgurUrl("subreddit", None, subreddit="pics")),
    # Tags.
    ("https://imgur.com/t/funny", ImgurUrl("tag", None, tag="funny")),
    ("https://www.imgur.com/t/cats/viral", ImgurUrl("tag", None, tag="cats")),
    ("https://imgur.com/t/funny/abcdefg", ImgurUrl("tag_item", "abcdefg", tag="funny")),
    ("https://imgur.io/t/star%20wars/abcdefg", ImgurUrl("tag_item", "abcdefg", tag="star wars")),
    # Users.
    ("https://imgur.com/user/sarah", ImgurUrl("user", None, user="sarah")),
    ("https://imgur.com/user/sarah/posts/", ImgurUrl("user", None, user="sarah")),
    ("https://imgur.com/user/sarah/submitted", ImgurUrl("user_submissions", None, user="sarah")),
    ("https://m.imgur.com/user/sarah/favorites", ImgurUrl("user_favorites", None, user="sarah")),
    (
        "https://imgur.com/user/sarah/favorites/folder/123/cute-cats",
        ImgurUrl("user_favorites", None, user="sarah"),
    ),
    ("https://sarah.imgur.com", ImgurUrl("user", None, user="sarah")),
    ("http://Sarah.imgur.com/all/", ImgurUrl("user", None, user="sarah")),
    ("https://sarah.imgur.com/some-album", None),
    ("https://api.imgur.com/3/image/abcdefg", None),
    ("https://a.b.imgur.com/", None),
    # Search: the query string matters here only.
    ("https://imgur.com/search?q=cats", ImgurUrl("search", None, query="cats")),
    ("https://imgur.com/search/score?q=funny+cats", ImgurUrl("search", None, query="funny cats")),
    ("imgur.com/search/score/all?q=cute%20dogs&qs=1", ImgurUrl("search", None, query="cute dogs")),
    ("https://imgur.com/search", None),
    ("https://imgur.com/search?q=", None),
    # Imgur pages that are not media, and other hosts.
    ("https://imgur.com/upload", None),
    ("https://imgur.com/robots.txt", None),
    ("https://imgur.com/favicon.ico", None),
    ("https://imgur.com/", None),
    ("imgur.com", None),
    ("https://imgur.com/a/b/c/d", None),
    ("https://example.org/abcdefg", None),
    ("https://imgur.com.example.org/abcdefg", None),
    ("https://fakeimgur.com/abcdefg", None),
    ("https://imgur.org/abcdefg", None),
    ("https://imgur.com@evil.org/abcdefg", None),
    ("https://evil.org/?next=https://imgur.com/abcdefg", None),
    # Decision: only http, https or no scheme; an ftp:// link is not an Imgur URL at all.
    ("ftp://imgur.com/abcdefg", None),
    ("", None),
]


@pytest.mark.parametrize(("url", "expected"), PARSE_CASES)
def test_parse_imgur_url(url: str, expected: ImgurUrl | None) -> None:
    assert parse_imgur_url(url) == expected


IMGUR_HOST_CASES: list[tuple[object, bool]] = [
    *((f"https://{host}/abcdefg", True) for host in HOSTS),
    ("imgur.com", True),
    ("https://imgur.com/upload", True),
    ("https://api.imgur.com/3/image/abcdefg", True),
    ("https://sarah.imgur.com/anything", True),
    ("https://i.imgur.com/removed.png", True),
    ("https://imgur.com.example.org/abcdefg", False),
    ("https://imgur.com@evil.org/", False),
    ("notimgur.com", False),
    ("fakeimgur.com/abcdefg", False),
    ("ftp://imgur.com/abcdefg", False),
    ("https://example.org/imgur.com", False),
    ("", False),
    ("   ", False),
    (None, False),
    (42, False),
    (b"https://imgur.com/abcdefg", False),
]


@pytest.mark.parametrize(("url", "expected"), IMGUR_HOST_CASES)
def test_is_imgur_url(url: str, expected: bool) -> None:
    assert is_imgur_url(url) is expected


@pytest.mark.parametrize("host", HOSTS)
def test_host_pattern_matches_every_variant_only(host: str) -> None:
    assert IMGUR_HOST_RE.match(f"https://{host}/abcdefg")
    assert IMGUR_HOST_RE.match(host)
    assert not IMGUR_HOST_RE.match(f"https://{host}.example.org/")
    assert not IMGUR_HOST_RE.match(f"https://fake{host}/")


def test_imgur_url_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        ImgurUrl("image", "abcdefg").id = "other"  # type: ignore[misc]


THUMBNAIL_CASES = [
    *((name, f"https://i.imgur.com/abcdefg{code}.png") for name, code in THUMBNAIL_SIZES.items()),
    *((code, f"https://i.imgur.com/abcdefg{code}.png") for code in "sbtmlh"),
]


@pytest.mark.parametrize(("size", "expected"), THUMBNAIL_CASES)
def test_thumbnail_link(size: str, expected: str) -> None:
    assert thumbnail_link("https://i.imgur.com/abcdefg.png", size) == expected


@pytest.mark.parametrize(
    ("link", "size", "expected"),
    [
        # An already-suffixed link (big GIFs come "h"-suffixed) gets its suffix replaced.
        ("http://i.imgur.com/q6TxQKyh.gif", "s", "http://i.imgur.com/q6TxQKys.gif"),
        ("https://i.imgur.com/abcdefs.jpg", "t", "https://i.imgur.com/abcdefst.jpg"),
        ("https://i.imgur.com/abcdefg.jpg?1", "m", "https://i.imgur.com/abcdefgm.jpg?1"),
    ],
)
def test_thumbnail_link_edges(link: str, size: str, expected: str) -> None:
    assert thumbnail_link(link, size) == expected


@pytest.mark.parametrize("size", ["x", "tiny", "S", ""])
def test_thumbnail_link_rejects_unknown_sizes(size: str) -> None:
    with pytest.raises(ValueError, match="small_square") as caught:
        thumbnail_link("https://i.imgur.com/abcdefg.png", size)
    assert repr(size) in str(caught.value)


def test_thumbnail_link_needs_an_extension() -> None:
    with pytest.raises(ValueError, match="extension"):
        thumbnail_link("https://imgur.com/abcdefg", "s")


# All-lowercase words may be site pages ("gallery", "removed"); real ids are mixed.
IDS = st.text(alphabet=string.ascii_letters + string.digits, min_size=7, max_size=7).filter(
    lambda s: not (s.isalpha() and s.islower())
)


@settings(database=None)
@given(ident=IDS, host=st.sampled_from(HOSTS))
def test_any_seven_char_id_on_any_host_is_an_image(ident: str, host: str) -> None:
    assert parse_imgur_url(f"https://{host}/{ident}") == ImgurUrl("image", ident)


@settings(database=None)
@given(ident=IDS, letter=st.sampled_from(sorted(THUMBNAIL_SIZES.values())))
def test_direct_media_id_round_trips(ident: str, letter: str) -> None:
    plain = parse_imgur_url(f"https://i.imgur.com/{ident}.jpg")
    suffixed = parse_imgur_url(f"https://i.imgur.com/{ident}{letter}.jpg")
    assert plain == ImgurUrl("image", ident, ext="jpg")
    assert suffixed == ImgurUrl("image", ident, thumbnail=letter, ext="jpg")
    assert thumbnail_link(f"https://i.imgur.com/{ident}.jpg", letter).endswith(
        f"/{ident}{letter}.jpg"
    )
