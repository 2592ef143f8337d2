"""The ``Imgur`` class: credentials, and the common way to get objects from Imgur.

Its methods follow PyImgur 0.5.3's documentation (names, arguments, defaults). Additions:
``api_url`` (the sandbox or another host), ``rapidapi_key`` (``mashape_key`` is its old
name), ``on_token`` (called with refreshed tokens so they can be stored), ``rate_limits``,
``get_credits()``, and lazy ``iter_*`` listings beside the list-returning ``get_*`` ones.
Factories do no I/O beyond the one call that returns the object.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from . import auth, urls
from .errors import NotFound, UsageError
from .gallery import Comment, Gallery_album, Gallery_image, gallery_item
from .models import Album, Image, form_value, id_of, image_form, quoted
from .pagination import iter_pages
from .ratelimits import RateLimits
from .social import Message, Notification, User
from .transport import DEFAULT_API_URL, RAPIDAPI_URL, Tokens, Transport

__all__ = ["Imgur"]

WINDOWS = frozenset({"day", "week", "month", "year", "all"})
GalleryThing = Gallery_image | Gallery_album


class Imgur:
    """The base class containing general functionality for Imgur.

    Create one at the start and use its methods to get every other object. Pass
    ``client_secret`` and ``refresh_token`` (or ``access_token``) to act as a user;
    ``verify`` checks the server's TLS certificate. ``transport`` replaces the HTTP layer
    (``transport_options`` go to the default one: ``timeout``, ``retry``, ``pacer`` …).
    """

    DEFAULT_LIMIT = 100  # PyImgur's cap for public gallery listings when limit is None

    def __init__(
        self,
        client_id: str,
        client_secret: str | None = None,
        access_token: str | None = None,
        refresh_token: str | None = None,
        verify: bool = True,
        mashape_key: str | None = None,
        *,
        rapidapi_key: str | None = None,
        api_url: str | None = None,
        expires_at: float | None = None,
        on_token: Callable[[Tokens], None] | None = None,
        transport: Transport | None = None,
        **transport_options: Any,
    ) -> None:
        """Initialize the Imgur object.

        ``access_token`` acts as a user (it expires; ``refresh_token`` gets new ones and
        does not). ``mashape_key``/``rapidapi_key`` switch to the commercial host.
        """
        if mashape_key and rapidapi_key and mashape_key != rapidapi_key:
            raise UsageError("mashape_key is the old name of rapidapi_key: give one key")
        if transport is None:
            transport = Transport(
                client_id, client_secret, access_token=access_token,
                refresh_token=refresh_token, expires_at=expires_at, api_url=api_url,
                rapidapi_key=rapidapi_key or mashape_key, verify=verify, on_token=on_token,
                **transport_options)
        elif transport_options:
            raise UsageError("transport options ("
                             f"{', '.join(sorted(transport_options))}) only apply to the "
                             "default transport, not to one passed in")
        self._transport = transport

    def __repr__(self) -> str:  # never the secrets
        user = self._transport.tokens.account_username
        return (f"<Imgur client_id={self.client_id!r} api_url={self._transport.api_url!r}"
                f"{f' user={user!r}' if user else ''}>")

    @property
    def transport(self) -> Transport:
        """The HTTP layer every call goes through (tokens, limits, retries)."""
        return self._transport

    # -- credentials -----------------------------------------------------------------------

    @property
    def client_id(self) -> str:
        """Your application's client_id."""
        return self._transport.client_id

    @client_id.setter
    def client_id(self, value: str) -> None:
        self._transport.client_id = value

    @property
    def client_secret(self) -> str | None:
        """Your application's client_secret (needed to sign in and refresh)."""
        return self._transport.client_secret

    @client_secret.setter
    def client_secret(self, value: str | None) -> None:
        self._transport.client_secret = value

    @property
    def access_token(self) -> str | None:
        """The user's current access token."""
        return self._transport.tokens.access_token

    @access_token.setter
    def access_token(self, value: str | None) -> None:
        self._set_tokens(access_token=value)

    @property
    def refresh_token(self) -> str | None:
        """The user's refresh token (it does not expire)."""
        return self._transport.tokens.refresh_token

    @refresh_token.setter
    def refresh_token(self, value: str | None) -> None:
        self._set_tokens(refresh_token=value)

    @property
    def rapidapi_key(self) -> str | None:
        """The commercial (RapidAPI, formerly Mashape) key, sent as ``X-Mashape-Key``."""
        return self._transport.rapidapi_key

    mashape_key = rapidapi_key

    @property
    def rate_limits(self) -> RateLimits:
        """The credit counters Imgur reported with the latest answers."""
        return self._transport.limits

    def _set_tokens(self, **changes: Any) -> None:
        tokens = self._transport.tokens
        if "access_token" in changes and changes["access_token"] != tokens.access_token:
            # Another token: its lifetime and owner are unknown until Imgur says.
            changes.update(expires_at=None, account_username=None, account_id=None)
        self._transport.set_tokens(dataclasses.replace(tokens, **changes), notify=False)

    def authorization_url(self, response: str, state: str = "") -> str:
        """Return the authorization url that's needed to authorize as a user.

        ``response`` is "pin" (Imgur shows the user a PIN for ``exchange_pin``), "code"
        (a redirect carrying a code for ``exchange_code``) or "token". ``state`` comes back
        unchanged with the answer.
        """
        api_url = self._transport.api_url
        if api_url == RAPIDAPI_URL:  # the authorize page is Imgur's own, not the gateway's
            api_url = DEFAULT_API_URL
        return auth.authorization_url(api_url, self.client_id, response, state)

    def change_authentication(self, client_id: str | None = None,
                              client_secret: str | None = None,
                              access_token: str | None = None,
                              refresh_token: str | None = None) -> None:
        """Change the current authentication; arguments left at None keep their values."""
        if client_id is not None:
            self.client_id = client_id
        if client_secret is not None:
            self.client_secret = client_secret
        changes = {k: v for k, v in (("access_token", access_token),
                                     ("refresh_token", refresh_token)) if v is not None}
        if changes:
            self._set_tokens(**changes)

    def exchange_code(self, code: str) -> tuple[str, str]:
        """Exchange one-use code for an access_token and refresh_token (and use them)."""
        self._transport.exchange("authorization_code", code=code)
        return self.access_token or "", self.refresh_token or ""

    def exchange_pin(self, pin: str) -> tuple[str, str]:
        """Exchange one-use pin for an access_token and refresh_token (and use them)."""
        self._transport.exchange("pin", pin=pin)
        return self.access_token or "", self.refresh_token or ""

    def refresh_access_token(self) -> str:
        """Refresh the access_token, update ``access_token`` and return the new one."""
        return self._transport.refresh()

    # -- single objects --------------------------------------------------------------------

    def _get(self, path: str, **kwargs: Any) -> Any:
        return self._transport.request("GET", path, **kwargs)

    def get_album(self, id: str) -> Album:
        """Return information about this album (with its images)."""
        return Album(self._get(f"3/album/{quoted(id)}"), self)

    def get_comment(self, id: int | str) -> Comment:
        """Return information about this comment (with its replies)."""
        return Comment(self._get(f"3/comment/{quoted(id)}"), self)

    def get_gallery_album(self, id: str) -> Gallery_album:
        """Return the gallery album matching the id."""
        return Gallery_album(self._get(f"3/gallery/album/{quoted(id)}"), self)

    def get_gallery_image(self, id: str) -> Gallery_image:
        """Return the gallery image matching the id."""
        return Gallery_image(self._get(f"3/gallery/image/{quoted(id)}"), self)

    def get_image(self, id: str) -> Image:
        """Return a Image object representing the image with the given id."""
        return Image(self._get(f"3/image/{quoted(id)}"), self)

    def get_message(self, id: int | str) -> Message:
        """Return a Message object for given id (a legacy route)."""
        return Message(self._get(f"3/message/{quoted(id)}", auth="user"), self)

    def get_notification(self, id: int | str) -> Notification:
        """Return a Notification object (a legacy route)."""
        return Notification(self._get(f"3/notification/{quoted(id)}", auth="user"), self)

    def get_subreddit_image(self, subreddit: str, id: str) -> Gallery_image:
        """Return the Gallery_image with the id submitted to subreddit gallery."""
        return Gallery_image(self._get(f"3/gallery/r/{quoted(subreddit)}/{quoted(id)}"), self)

    def get_user(self, username: str) -> User:
        """Return a User object for this username ("me" is the signed-in user)."""
        return User(self._get(f"3/account/{quoted(username)}"), self)

    def get_credits(self) -> dict[str, Any]:
        """Return the credits left: UserLimit, UserRemaining, UserReset, ClientLimit…."""
        return self._get("3/credits")

    def is_imgur_url(self, url: str) -> bool:
        """Is the given url a valid Imgur url?"""
        return urls.is_imgur_url(url)

    def get_at_url(self, url: str) -> Any:
        """Return a object representing the content at url, or None if nothing matches.

        Works for Album, Comment, Gallery_album, Gallery_image, Image and User. An
        ``imgur.com/gallery/{id}`` link is tried as a gallery image, then as a gallery
        album. Experimental, as PyImgur warns: one URL form can name several kinds.
        """
        found = urls.parse_imgur_url(url)
        if found is None:
            return None
        kind, ident = found.kind, found.id
        try:
            if kind == "image" and ident:
                return self.get_image(ident)
            if kind == "album" and ident:
                return self.get_album(ident)
            if kind in ("gallery", "tag_item") and ident:
                try:
                    return self.get_gallery_image(ident)
                except NotFound:
                    return self.get_gallery_album(ident)
            if kind == "subreddit_image" and ident and found.subreddit:
                return self.get_subreddit_image(found.subreddit, ident)
            if kind == "comment" and ident:
                return self.get_comment(ident)
            if kind == "user" and found.user:
                return self.get_user(found.user)
        except NotFound:
            return None
        return None

    # -- listings ----------------------------------------------------------------------------

    def _gallery_pages(self, path: str, params: Mapping[str, str] | None = None,
                       limit: int | None = None, key: str | None = None,
                       ) -> Iterator[GalleryThing]:
        def fetch(page: int) -> list[GalleryThing]:
            answer = self._get(path.format(page=page), params=params)
            items = answer.get(key) if key and isinstance(answer, dict) else answer
            return [gallery_item(self, item) for item in items or []]

        return iter_pages(fetch, limit=limit)

    def _capped(self, limit: int | None) -> int:
        return self.DEFAULT_LIMIT if limit is None else limit

    def iter_gallery(self, section: str = "hot", sort: str = "viral", window: str = "day",
                     show_viral: bool = True, *,
                     limit: int | None = None) -> Iterator[GalleryThing]:
        """Walk the gallery (section hot|top|user, sort viral|top|time|rising) lazily."""
        return self._gallery_pages(
            f"3/gallery/{quoted(section)}/{quoted(sort)}/{_window(window)}{{page}}",
            {"showViral": form_value(bool(show_viral))}, limit)

    def get_gallery(self, section: str = "hot", sort: str = "viral", window: str = "day",
                    show_viral: bool = True, limit: int | None = None) -> list[GalleryThing]:
        """Return a list of gallery albums and gallery images.

        ``section`` hot|top|user, ``sort`` viral|time, ``window`` (for "top")
        day|week|month|year|all, ``show_viral`` shows viral items in "user". ``limit``
        items at most (``DEFAULT_LIMIT`` when None; ``iter_gallery`` has no cap).
        """
        return list(self.iter_gallery(section, sort, window, show_viral,
                                      limit=self._capped(limit)))

    def iter_memes_gallery(self, sort: str = "viral", window: str = "week", *,
                           limit: int | None = None) -> Iterator[GalleryThing]:
        """Walk the memes gallery lazily."""
        return self._gallery_pages(f"3/g/memes/{quoted(sort)}/{_window(window)}{{page}}",
                                   limit=limit)

    def get_memes_gallery(self, sort: str = "viral", window: str = "week",
                          limit: int | None = None) -> list[GalleryThing]:
        """Return a list of gallery albums/images submitted to the memes gallery.

        ``sort`` viral|time|top, ``window`` (for "top") day|week|month|year|all.
        """
        return list(self.iter_memes_gallery(sort, window, limit=self._capped(limit)))

    def iter_subreddit_gallery(self, subreddit: str, sort: str = "time", window: str = "top",
                               *, limit: int | None = None) -> Iterator[GalleryThing]:
        """Walk a subreddit's gallery lazily (a window that is no window is left out)."""
        return self._gallery_pages(
            f"3/gallery/r/{quoted(subreddit)}/{quoted(sort)}/{_window(window)}{{page}}",
            limit=limit)

    def get_subreddit_gallery(self, subreddit: str, sort: str = "time", window: str = "top",
                              limit: int | None = None) -> list[GalleryThing]:
        """Return a list of gallery albums/images submitted to a subreddit.

        ``sort`` time|top, ``window`` (for "top") day|week|month|year|all.
        """
        return list(self.iter_subreddit_gallery(subreddit, sort, window,
                                                limit=self._capped(limit)))

    def iter_tag_gallery(self, tag: str, sort: str = "viral", window: str = "week", *,
                         limit: int | None = None) -> Iterator[GalleryThing]:
        """Walk the gallery items carrying ``tag`` lazily."""
        return self._gallery_pages(
            f"3/gallery/t/{quoted(tag)}/{quoted(sort)}/{_window(window)}{{page}}",
            limit=limit, key="items")

    def iter_search_gallery(self, q: str, sort: str = "time", window: str = "all", *,
                            limit: int | None = None) -> Iterator[GalleryThing]:
        """Walk the results of a gallery search lazily."""
        return self._gallery_pages(f"3/gallery/search/{quoted(sort)}/{_window(window)}{{page}}",
                                   {"q": q}, limit)

    def search_gallery(self, q: str) -> list[GalleryThing]:
        """Search the gallery with the given query string (the first ``DEFAULT_LIMIT`` hits)."""
        return list(self.iter_search_gallery(q, limit=self.DEFAULT_LIMIT))

    def get_conversations(self) -> list[dict[str, Any]]:
        """Return the signed-in user's conversations (legacy: gone from Imgur since 2016)."""
        return self._get("3/conversations", auth="user")

    def iter_conversation(self, conversation_id: int | str) -> Iterator[Message]:
        """Walk a conversation's messages from the newest page back (legacy, 1-based pages).

        Each page holds up to 25 messages, oldest first; page 1 is the most recent.
        """
        done = False

        def fetch(page: int) -> list[Message]:
            nonlocal done
            if done:
                return []
            answer = self._get(f"3/conversations/{quoted(conversation_id)}/{page}/0",
                               auth="user")
            done = bool(answer.get("done"))
            return [Message(m, self) for m in answer.get("messages") or []]

        return iter_pages(fetch, start=1)

    # -- making things -----------------------------------------------------------------------

    def _album_key(self, album: Album | str) -> str:
        if isinstance(album, Album):
            return album._edit_key()
        return str(album)

    def create_album(self, title: str | None = None, description: str | None = None,
                     images: Any = None, cover: Image | str | None = None) -> Album:
        """Create a new Album and return it (unfetched).

        ``images`` are added after it is created (Image objects, ids or both; ones you
        cannot add fail silently); ``cover`` is the cover image or its id.
        """
        form = [(k, v) for k, v in (("title", title), ("description", description))
                if v is not None]
        if cover is not None:
            form.append(("cover", id_of(cover)))
        if images:
            form += image_form(self, images)
        answer = self._transport.request("POST", "3/album", data=form)
        return Album(answer, self, has_fetched=False)

    def upload_image(self, path: str | os.PathLike[str] | None = None, url: str | None = None,
                     title: str | None = None, description: str | None = None,
                     album: Album | str | None = None, *, name: str | None = None,
                     type: str | None = None, retry: bool = True,
                     ) -> Image:
        """Upload the image at either path or url; returns the new Image.

        ``album`` (an Album or its id; its deletehash when anonymous) receives the image.
        ``name`` is sent as the upload's file name (the uploader uses it as a marker),
        ``type`` overrides the upload type (file|url|base64). ``retry=False`` makes one
        attempt only, so a lost answer never turns into a second upload.
        """
        if bool(path) == bool(url):
            raise UsageError("Either path or url must be given (and not both)")
        form: dict[str, str] = {}
        files = None
        if path:
            with open(path, "rb") as source:
                payload = source.read()
            # A name may hold bytes that are not UTF-8; the form's file name must be text.
            filename = os.fsencode(os.path.basename(os.fspath(path))).decode("utf-8", "replace")
            files = {"image": (filename, payload)}
            form["type"] = type or "file"
        else:
            form.update(image=str(url), type=type or "url")
        for key, value in (("title", title), ("description", description), ("name", name)):
            if value is not None:
                form[key] = value
        if album is not None:
            form["album"] = self._album_key(album)
        answer = dict(self._transport.request("POST", "3/image", data=form, files=files,
                                              retry=retry))
        # Imgur has answered uploads with title and description null (PyImgur 0.5).
        for key, value in (("title", title), ("description", description)):
            if value is not None and answer.get(key) is None:
                answer[key] = value
        return Image(answer, self)


def _window(window: str) -> str:
    """The window path segment with its slash, or nothing for a window Imgur has not."""
    return f"{window}/" if window in WINDOWS else ""
