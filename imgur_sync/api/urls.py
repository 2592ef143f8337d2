"""Recognise Imgur links: direct media, thumbnails, imgur.com pages (docs/IMGUR-API.md §Media).

Pure string work: no network, standard library only, nothing else of ``imgur_sync``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote

__all__ = [
    "IMGUR_HOST_RE",
    "THUMBNAIL_SIZES",
    "ImgurUrl",
    "is_imgur_url",
    "parse_imgur_url",
    "thumbnail_link",
]

# PyImgur's names for the thumbnail suffix letters (docs/IMGUR-API.md §Media).
THUMBNAIL_SIZES: dict[str, str] = {
    "small_square": "s",
    "big_square": "b",
    "small_thumbnail": "t",
    "medium_thumbnail": "m",
    "large_thumbnail": "l",
    "huge_thumbnail": "h",
}
_THUMBNAIL_LETTERS = frozenset(THUMBNAIL_SIZES.values())

# "//host/..." (scheme-relative, common in scraped HTML) counts as "no scheme".
_SCHEME = r"(?:(?:https?:)?//)?"
_SITE_SUBDOMAINS = ("www", "m", "i")
# Imgur's own services, never the old "{user}.imgur.com" profile form.
_SERVICE_SUBDOMAINS = frozenset({*_SITE_SUBDOMAINS, "api", "help", "blog"})

IMGUR_HOST_RE: re.Pattern[str] = re.compile(
    rf"{_SCHEME}(?:(?:{'|'.join(_SITE_SUBDOMAINS)})\.)?imgur\.(?:com|io)(?=[/?#]|$)",
    re.IGNORECASE,
)

# Any depth of subdomain is an Imgur host; matching the whole URL makes sure the host really
# ends in imgur.com/imgur.io, so "imgur.com.evil.org" and "imgur.com@evil.org" fail.
_ANY_IMGUR_URL_RE = re.compile(
    rf"{_SCHEME}(?P<sub>(?:[a-z0-9-]+\.)*)imgur\.(?:com|io)"
    r"(?P<path>/[^?#]*)?(?:\?(?P<query>[^#]*))?(?:#.*)?",
    re.IGNORECASE | re.DOTALL,
)

_ID = r"(?P<id>[A-Za-z0-9]{5,10})"
# A title slug ends at the last "-": greedy [^/]* backtracks to it.
_SLUG_ID = rf"(?:[^/]*-)?{_ID}"
# Media types Imgur serves, so site files ("robots.txt", "favicon.ico") are not images.
_EXTENSIONS = r"jpe?g|a?png|gifv?|webp|webm|mp4|m4v|mov|m3u8|tiff?|bmp|avif|hei[cf]|mpe?g|avi|mkv"
# "_d" is the website's "downsized" variant of a media link; it names the same image.
_MEDIA_EXT = rf"(?:(?:_d)?\.(?P<ext>(?i:{_EXTENSIONS})))"
_SORT = r"(?:/(?:hot|new|top|time|rising|viral)(?:/(?:day|week|month|year|all))?)?"
_USER = r"user/(?P<user>[\w-]+)"

# Page forms on www./m./i. or the bare host, matched against the path without its outer
# slashes. The first form that yields a result wins, so listings come before the items whose
# ids look like sort words, and a reserved name ("search") falls through to its own form.
_PAGE_FORMS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.ASCII))
    for kind, pattern in (
        ("image", rf"{_SLUG_ID}{_MEDIA_EXT}?"),
        ("album", rf"(?:a|album)/{_SLUG_ID}(?:/all)?"),
        ("comment", r"gallery/[^/]+/comment/(?P<id>\d+)(?:/.*)?"),
        ("gallery", rf"gallery/{_SLUG_ID}"),
        ("subreddit", rf"r/(?P<subreddit>\w+){_SORT}"),
        ("subreddit_image", rf"r/(?P<subreddit>\w+)/{_SLUG_ID}"),
        ("tag", rf"t/(?P<tag>[^/]+){_SORT}"),
        ("tag_item", rf"t/(?P<tag>[^/]+)/{_SLUG_ID}"),
        ("user", rf"{_USER}(?:/posts)?"),
        ("user_submissions", rf"{_USER}/submitted"),
        ("user_favorites", rf"{_USER}/favorites(?:/folder(?:/.*)?)?"),
        ("search", r"search(?:/\w+){0,2}"),
    )
)

# Site pages whose names fit the 5–10 character id pattern; "removed" is where deleted
# media redirects to (docs/IMGUR-API.md §Media), so "i.imgur.com/removed.png" is not an image.
_RESERVED = frozenset(
    {
        "about", "account", "advertise", "arcade", "download", "emerald", "gallery", "inbox",
        "logout", "memegen", "messages", "privacy", "random", "register", "removed", "rising",
        "rules", "search", "settings", "signin", "signup", "upload", "viral",
    }
)


@dataclass(frozen=True)
class ImgurUrl:
    """What an Imgur URL points at: ``kind`` plus the parts that form carries."""

    kind: str
    id: str | None
    subreddit: str | None = None
    tag: str | None = None
    user: str | None = None
    query: str | None = None
    thumbnail: str | None = None
    ext: str | None = None


def is_imgur_url(url: str) -> bool:
    """Return whether ``url`` is on an Imgur host (imgur.com, imgur.io or a subdomain)."""
    return _match(url) is not None


def parse_imgur_url(url: str) -> ImgurUrl | None:
    """Return what ``url`` points at, or None for other hosts and unrecognised Imgur pages."""
    match = _match(url)
    if match is None:
        return None
    sub = match["sub"].rstrip(".").lower()
    path = (match["path"] or "").strip("/")
    if sub and sub not in _SITE_SUBDOMAINS:
        # Old profile pages: "{user}.imgur.com" and its "/all" listing.
        if "." in sub or sub in _SERVICE_SUBDOMAINS or path not in ("", "all"):
            return None
        return ImgurUrl("user", None, user=sub)
    for kind, pattern in _PAGE_FORMS:
        form = pattern.fullmatch(path)
        if form is None:
            continue
        found = _build(kind, form.groupdict(), match["query"] or "")
        if found is not None:
            return found
    return None


def thumbnail_link(link: str, size: str) -> str:
    """Return ``link`` with the thumbnail letter for ``size`` put before its extension."""
    letter = THUMBNAIL_SIZES.get(size, size)
    if letter not in _THUMBNAIL_LETTERS:
        allowed = ", ".join([*THUMBNAIL_SIZES.values(), *THUMBNAIL_SIZES])
        raise ValueError(f"unknown thumbnail size {size!r}; use one of: {allowed}")
    media = re.fullmatch(
        r"(?P<head>.*/)(?P<name>[A-Za-z0-9]+)(?P<ext>\.[A-Za-z0-9]+)(?P<tail>[?#].*)?",
        link,
        re.DOTALL,
    )
    if media is None:
        raise ValueError(f"not a media link with a file extension: {link!r}")
    # Replace a suffix the link already has (API links of big GIFs come "h"-suffixed)
    # rather than stacking a second one, which Imgur would not serve.
    name, _ = _split_thumbnail(media["name"])
    return f"{media['head']}{name}{letter}{media['ext']}{media['tail'] or ''}"


def _match(url: object) -> re.Match[str] | None:
    if not isinstance(url, str):
        return None
    return _ANY_IMGUR_URL_RE.fullmatch(url.strip())


def _split_thumbnail(name: str) -> tuple[str, str | None]:
    # Ids are 7 characters (5 for old ones) and never 8 or 6, so one extra trailing
    # s/b/t/m/l/h is a thumbnail suffix; a 7-character id ending in "s" stays whole.
    if len(name) in (6, 8) and name[-1] in _THUMBNAIL_LETTERS:
        return name[:-1], name[-1]
    return name, None


def _build(kind: str, groups: dict[str, str | None], query: str) -> ImgurUrl | None:
    ident = groups.get("id")
    if ident in _RESERVED:
        return None
    if kind == "search":
        terms = [q.strip() for q in parse_qs(query).get("q", []) if q.strip()]
        return ImgurUrl("search", None, query=terms[0]) if terms else None
    thumbnail = ext = None
    if groups.get("ext"):
        ext = groups["ext"].lower()
        ext = "jpg" if ext == "jpeg" else ext
        ident, thumbnail = _split_thumbnail(ident)
    tag = groups.get("tag")
    return ImgurUrl(
        kind,
        ident,
        subreddit=groups.get("subreddit"),
        tag=unquote(tag) if tag else None,
        user=groups.get("user"),
        thumbnail=thumbnail,
        ext=ext,
    )
