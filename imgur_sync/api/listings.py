"""The account's content as pages of ``/3/`` shapes, read through the API its sign-in opens.

An OAuth token reads everything through API v3 (``/3/``). The browser's cookie reads the
account's own posts, hidden ones included, through Imgur's web API (``/post/v1``), and the
rest through ``/3/``: with the cookie as a Bearer token where Imgur takes it, else with the
Client-ID where the data is public. :func:`listings_for` chooses; the mirror reads the same
pages from either and never asks which API is behind them.

Pages are lists of raw items in ``/3/`` shapes (the caller validates them). A listing takes
``stop(page)``, asked before each page is handed over: true means the caller has what lies
beyond it already, so the walk ends after this page where the listing's order makes that
safe, and walks on where it does not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .errors import CookieRefused, MalformedResponse, NotFound, Unavailable
from .transport import Transport
from .web import POST_KINDS, WebApi
from .webshapes import Skipped, convert_posts, post_image

__all__ = ["Listings", "Page", "V3Listings", "WebListings", "listings_for"]

Stop = Callable[[list[Any]], bool]

HIDDEN_FAVORITES = ("Hidden favorites are not mirrored: Imgur's API v3 does not take the "
                    "browser's sign-in cookie for them; they need an OAuth token (`imgur-sync "
                    "auth --refresh-token`, if you hold one)")
MESSAGES = ("Messages are not mirrored: Imgur's API v3 does not take the browser's sign-in "
            "cookie for them; they need an OAuth token (`imgur-sync auth --refresh-token`, if "
            "you hold one)")
NO_NAME = ("Gallery favorites are not mirrored: Imgur named no account for the browser's "
           "cookie, and without a name they cannot be listed")


@dataclass(frozen=True)
class _PostPage:
    """A page of posts as ``/3/`` shapes: albums, all images, images in no album, skipped."""

    albums: list[dict[str, Any]]
    images: list[dict[str, Any]]
    lone: list[dict[str, Any]]
    skipped: list[Skipped]


class Page(list):  # type: ignore[type-arg]
    """One page of a listing; ``skipped`` holds what Imgur sent that could not be read."""

    def __init__(self, items: list[Any], skipped: list[Skipped] | None = None) -> None:
        super().__init__(items)
        self.skipped = skipped or []


def _listing(data: Any, what: str) -> list[Any]:
    if not isinstance(data, list):
        raise MalformedResponse(f"Imgur's answer for {what} is not a list")
    return data


class V3Listings:
    """Everything through API v3, signed in with an OAuth token."""

    #: How calls about "me" authenticate: the OAuth token, when there is one.
    own = "auto"
    #: Whether a walk may start at any page (``first``): the rolling reconcile needs it.
    resumable = True

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    @property
    def requests_sent(self) -> int:
        return self.transport.requests_sent

    def begin(self) -> None:
        """Start a new pull (nothing is kept between pulls here)."""

    def pages(self, path: str, stop: Stop | None = None, first: int = 0,
              auth: str = "auto") -> Iterator[Page]:
        """The pages of any 0-based ``/3/`` listing (``{page}`` in ``path``), to the empty one."""
        page = first
        while True:
            where = path.format(page=page)
            items = _listing(self.transport.request("GET", where, auth=auth), where)
            if not items:
                return
            done = stop is not None and stop(items)  # asked before the caller saves it
            yield Page(items)
            if done:
                return
            page += 1

    def images(self, stop: Stop, first: int = 0) -> Iterator[Page]:
        """The account's images, newest upload first, from page ``first``."""
        return self.pages("3/account/me/images/{page}", stop, first)

    def albums(self, stop: Stop, first: int = 0) -> Iterator[Page]:
        """The account's albums, newest created first: the walk may stop at a page of known,
        unchanged albums. A change to an older album (a retitle, an image added) shows only
        in its entry further down, which the rolling reconcile reads (docs/ARCHITECTURE.md
        §Reconcile)."""
        return self.pages("3/account/me/albums/{page}", stop, first)

    def album_images(self, album_id: str) -> Any:
        """The images of one album, in its order (raw)."""
        return self.transport.request("GET", f"3/album/{album_id}/images")

    def favorites(self, gallery: bool, stop: Stop) -> Iterator[Page]:
        """The account's favorites (or gallery favorites), newest first."""
        kind = "gallery_favorites" if gallery else "favorites"
        return self.pages(f"3/account/me/{kind}/{{page}}/newest", stop, auth=self.own)

    def conversations(self) -> Any:
        """The conversation list (raw); ``NotFound`` when messaging is switched off."""
        return self.transport.request("GET", "3/conversations", auth=self.own)

    def conversation_page(self, conversation_id: int, page: int) -> Any:
        """One page of a conversation's messages (raw); pages start at 1."""
        return self.transport.request("GET", f"3/conversations/{conversation_id}/{page}/0",
                                      auth=self.own)

    def gone(self, kind: str, item_id: str) -> bool:
        """True when a direct GET says the image or album is gone (404)."""
        try:
            self.transport.request("GET", f"3/{kind}/{item_id}")
        except NotFound:
            return True
        return False


class WebListings(V3Listings):
    """Own posts through the web API with the browser's cookie; the rest through ``/3/``.

    Each post page serves the image walk and the album walk: it is fetched once per pull
    and kept until the next :meth:`begin`. Album posts carry their images, so an album
    costs no request of its own unless its post holds fewer media than it counts.
    """

    own = "user"  # never a Client-ID call for "me": the cookie as Bearer, or a refusal
    resumable = False  # post pages of two kinds, read once a pull: walked from the top

    def __init__(self, transport: Transport, web: WebApi) -> None:
        super().__init__(transport)
        self.web = web
        self.username = transport.tokens.account_username
        self.begin()

    @property
    def requests_sent(self) -> int:
        return self.transport.requests_sent + self.web.requests_sent

    def begin(self) -> None:
        self._pages_read: dict[str, list[_PostPage]] = {
            kind: [] for kind in POST_KINDS}
        self._members: dict[str, list[Any]] = {}
        self._ended: set[str] = set()

    def _post_pages(self, kind: str) -> Iterator[_PostPage]:
        """Yield the pages of ``kind`` converted, each fetched once a pull."""
        read = self._pages_read[kind]
        yield from read
        if kind in self._ended:
            return
        for posts in self.web.iter_pages(kind, start=len(read) + 1):
            converted = convert_posts(posts)
            if self.username is None:  # the account's name, for the routes that need it
                self.username = _account_name(posts)
            members = set()
            for album in converted.albums:
                images = album.pop("images")
                members.update(i["id"] for i in images)
                if not _cut_short(posts, album["id"]):  # else fetched whole when needed
                    self._members[album["id"]] = images
            lone = [i for i in converted.images if i["id"] not in members]
            entry = _PostPage(converted.albums, converted.images, lone, converted.skipped)
            read.append(entry)
            yield entry
        self._ended.add(kind)

    def images(self, stop: Stop, first: int = 0) -> Iterator[Page]:
        _from_the_top(first)
        for kind in POST_KINDS:
            for page in self._post_pages(kind):
                done = stop(page.images)
                yield Page(page.images, page.skipped)
                if done:
                    break

    def albums(self, stop: Stop, first: int = 0) -> Iterator[Page]:
        """Album posts, newest first: the walk may stop at a page of known posts.

        ``stop`` is shown the page's posts: its albums and its images in no album.
        """
        _from_the_top(first)
        for kind in POST_KINDS:
            for page in self._post_pages(kind):
                done = stop([*page.albums, *page.lone])
                yield Page(page.albums, page.skipped)
                if done:
                    break

    def album_images(self, album_id: str) -> Any:
        members = self._members.get(album_id)
        return super().album_images(album_id) if members is None else members

    def favorites(self, gallery: bool, stop: Stop) -> Iterator[Page]:
        pages = super().favorites(gallery, stop)
        try:
            first = next(pages, None)
        except CookieRefused:
            if not gallery:
                raise Unavailable(HIDDEN_FAVORITES) from None
            if not self.username:
                raise Unavailable(NO_NAME) from None
            # Gallery favorites are public: anyone may list them by the account's name.
            yield from self.pages(f"3/account/{self.username}/gallery_favorites/{{page}}/newest",
                                   stop, auth="client")
            return
        if first is not None:
            yield first
            yield from pages

    def conversations(self) -> Any:
        try:
            return super().conversations()
        except CookieRefused:
            raise Unavailable(MESSAGES) from None

    def gone(self, kind: str, item_id: str) -> bool:
        try:
            if kind == "album":
                self.web.get_album(item_id)
            else:
                post_image(self.web.get_media(item_id))
        except NotFound:
            return True
        except ValueError:  # an answer that is no image: not proof that it is gone
            return False
        return False


#: What the mirror reads through; both kinds answer the same calls.
Listings = V3Listings


def _from_the_top(first: int) -> None:
    if first:
        raise ValueError("the web API's post pages are walked from the top, not from a page")


def _cut_short(posts: list[Any], album_id: str) -> bool:
    """True when the album's post holds fewer media than it counts (a listing may cut them)."""
    for post in posts:
        if isinstance(post, dict) and post.get("id") == album_id:
            count, media = post.get("image_count"), post.get("media")
            return type(count) is int and isinstance(media, list) and count > len(media)
    return False


def _account_name(posts: list[Any]) -> str | None:
    """The name on the first post's account that has one."""
    for post in posts:
        account = post.get("account") if isinstance(post, dict) else None
        name = account.get("username") if isinstance(account, dict) else None
        if isinstance(name, str) and name:
            return name
    return None


def listings_for(transport: Transport, web_client_id: str) -> V3Listings:
    """Return the listings the transport's sign-in can read: web API for the browser's cookie."""
    tokens = transport.tokens
    if tokens.kind == "cookie" and tokens.access_token:
        return WebListings(transport, WebApi(tokens.access_token, web_client_id,
                                             api_url=transport.api_url,
                                             session=transport.session,
                                             timeout=transport.timeout,
                                             retry=transport.retry, clock=transport.clock,
                                             sleep=transport.sleep))
    return V3Listings(transport)
