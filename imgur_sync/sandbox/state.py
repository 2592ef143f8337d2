"""The sandbox's world: accounts, images, albums, favorites, comments, messages, tokens.

Everything the fake Imgur knows lives in one :class:`World`, guarded by one lock, so
HTTP handlers, test code and seeds all see a consistent account. The mutation methods
(``add_image``, ``delete_image``, ``retitle_image``, ``move_image``, ...) are the Python
control API that tests use to change the account behind a client's back.
"""

from __future__ import annotations

import hashlib
import random
import string
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict
from typing import Any

from .models import (
    THUMB_SUFFIXES,
    Account,
    Album,
    Comment,
    Conversation,
    Image,
    Message,
    NotFound,
    Notification,
    Token,
)
from .social import SocialMixin

# Re-exported: handlers import the model names from here.
__all__ = [
    "THUMB_SUFFIXES", "Account", "Album", "Comment", "Conversation", "Image", "Message",
    "NotFound", "Notification", "Token", "World", "WorldClock", "stable_seed",
]

_ALNUM = string.ascii_letters + string.digits


class WorldClock:
    """The world's time: a base clock plus an offset that only moves forward.

    Everything in the world reads this one clock (token expiry, item dates, the credit
    buckets in ``app.RateLimits``), so moving it forward ages the whole world at once: a
    simulated day passes in a call, and daily and hourly credits renew with it.
    """

    def __init__(self, base: Callable[[], float] = time.time) -> None:
        self.base = base
        self.offset = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.base() + self.offset

    def advance(self, seconds: float) -> float:
        """Move the clock ``seconds`` forward; return the new time."""
        if not seconds >= 0:  # NaN too: the world's time never runs backwards
            raise ValueError(f"the clock only moves forward; {seconds!r} seconds is not >= 0")
        with self._lock:
            self.offset += seconds
        return self()

    def set(self, when: float) -> float:
        """Move the clock forward to the epoch ``when``; return the new time."""
        return self.advance(when - self())


class World(SocialMixin):
    """All sandbox state behind one lock; deterministic from ``seed``."""

    def __init__(self, seed: int = 0, clock: Callable[[], float] = time.time) -> None:
        self.seed = seed
        # One clock object, shared by reference, so advancing it reaches every reader.
        self.clock = clock if isinstance(clock, WorldClock) else WorldClock(clock)
        self.lock = threading.RLock()
        self._rng = random.Random(seed)
        self._seq = 0
        self.version = 0  # bumped on every mutation; listing caches key on it
        self.accounts: dict[str, Account] = {}
        self.images: dict[str, Image] = {}
        self.albums: dict[str, Album] = {}
        self.comments: dict[int, Comment] = {}
        self.conversations: dict[int, Conversation] = {}
        self.messages: dict[int, Message] = {}
        self.notifications: dict[int, Notification] = {}
        self.tokens: dict[str, Token] = {}  # by access token
        self.refresh_tokens: dict[str, Token] = {}  # by refresh token
        self.cookies: dict[str, Token] = {}  # browser-session ``accesstoken`` cookies, by value
        self.grants: dict[str, tuple[str, str]] = {}  # pin/code -> (username, client_id)
        self.clients: dict[str, str] = {}  # client_id -> client_secret
        self.token_lifetime = 3600
        self.main_user = ""  # the account the authorize page signs in as
        self._by_deletehash: dict[str, tuple[str, str]] = {}
        self._next_int = 1000
        self._cache: dict[Any, tuple[int, Any]] = {}
        # API paths answered with planted data instead of the world's (see raw_answer).
        self.raw_answers: dict[str, Any] = {}

    # -- ids -------------------------------------------------------------------

    def new_id(self, length: int = 7) -> str:
        """Return a fresh Imgur-style alphanumeric id."""
        while True:
            candidate = "".join(self._rng.choice(_ALNUM) for _ in range(length))
            if candidate not in self.images and candidate not in self.albums:
                return candidate

    def new_hex(self, length: int = 40) -> str:
        """Return ``length`` deterministic hex characters (tokens, secrets)."""
        return "".join(self._rng.choice("0123456789abcdef") for _ in range(length))

    def new_int(self) -> int:
        """Return a fresh integer id (comments, messages, notifications)."""
        self._next_int += 1
        return self._next_int

    def now(self) -> int:
        """Return the world's current epoch second."""
        return int(self.clock())

    def _touch(self) -> None:
        self.version += 1

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def cached(self, key: Any, build: Callable[[], Any]) -> Any:
        """Return ``build()`` memoised until the next mutation."""
        hit = self._cache.get(key)
        if hit is not None and hit[0] == self.version:
            return hit[1]
        value = build()
        self._cache[key] = (self.version, value)
        return value

    # -- accounts, clients, tokens ----------------------------------------------

    def add_account(self, username: str, **fields: Any) -> Account:
        """Create an account named ``username``."""
        with self.lock:
            account = Account(id=self.new_int() * 7 + 100000, url=username, **fields)
            if not account.created:
                account.created = self.now() - 86400 * 900
            account.email = account.email or f"{username.lower()}@example.invalid"
            self.accounts[username.lower()] = account
            self._touch()
            return account

    def account(self, username: str) -> Account:
        """Return the account named ``username`` (case-insensitive)."""
        try:
            return self.accounts[username.lower()]
        except KeyError:
            raise NotFound(username) from None

    def add_client(self, client_id: str | None = None, secret: str | None = None) -> str:
        """Register an OAuth application; returns its client id."""
        with self.lock:
            client_id = client_id or self.new_hex(15)
            self.clients[client_id] = secret or self.new_hex(40)
            return client_id

    def issue_token(self, username: str, client_id: str, refresh_token: str | None = None) -> Token:
        """Issue a new access token (and a refresh token unless one is given)."""
        with self.lock:
            token = Token(
                access_token=self.new_hex(40),
                refresh_token=refresh_token or self.new_hex(40),
                username=self.account(username).url,
                client_id=client_id,
                expires_at=self.clock() + self.token_lifetime,
            )
            self.tokens[token.access_token] = token
            self.refresh_tokens[token.refresh_token] = token
            return token

    def refresh(self, refresh_token: str, client_id: str) -> Token:
        """Exchange a refresh token for a new access token (the refresh token stays)."""
        with self.lock:
            old = self.refresh_tokens.get(refresh_token)
            if old is None or old.client_id != client_id:
                raise NotFound("refresh token")
            return self.issue_token(old.username, client_id, refresh_token=refresh_token)

    def token_for(self, access_token: str) -> Token | None:
        """Return the live token for ``access_token``, or None if unknown or expired."""
        token = self.tokens.get(access_token)
        if token is None or token.revoked or token.expires_at <= self.clock():
            return None
        return token

    def cookie_token(self, username: str) -> str:
        """Return the account's live ``accesstoken`` cookie value, made on first use."""
        with self.lock:
            name = self.account(username).url
            for value, session in self.cookies.items():
                if session.username == name and not session.revoked:
                    return value
            # Its own generator: asking for a cookie must not shift the world's later ids.
            rng = random.Random(f"cookie:{self.seed}:{name}:{len(self.cookies)}")
            value = f"{rng.getrandbits(160):040x}"
            self.cookies[value] = Token(value, "", name, "", float("inf"))
            return value

    def cookie_for(self, value: str) -> Token | None:
        """Return the live browser session of cookie ``value``, or None."""
        session = self.cookies.get(value)
        return None if session is None or session.revoked else session

    def expire_cookies(self, username: str | None = None) -> int:
        """Sign every browser session out (of ``username`` if given); returns how many."""
        with self.lock:
            count = 0
            for session in self.cookies.values():
                if not session.revoked and (
                        username is None or session.username.lower() == username.lower()):
                    session.revoked = True
                    count += 1
            return count

    def expire_tokens(self, username: str | None = None) -> int:
        """Expire every access token (of ``username`` if given); returns how many."""
        with self.lock:
            count = 0
            for token in self.tokens.values():
                if username is None or token.username.lower() == username.lower():
                    token.expires_at = min(token.expires_at, self.clock() - 1)
                    count += 1
            return count

    def new_grant(self, username: str, client_id: str, length: int = 40) -> str:
        """Create a one-use pin or code for the authorize page."""
        with self.lock:
            grant = self.new_hex(length)
            self.grants[grant] = (self.account(username).url, client_id)
            return grant

    def use_grant(self, grant: str, client_id: str) -> Token:
        """Exchange a pin or code for tokens; each grant works once."""
        with self.lock:
            found = self.grants.pop(grant, None)
            if found is None or found[1] != client_id:
                raise NotFound("grant")
            return self.issue_token(found[0], client_id)

    # -- images --------------------------------------------------------------------

    def add_image(
        self,
        owner: str | None,
        title: str | None = None,
        *,
        album: str | None = None,
        datetime: int | None = None,
        **fields: Any,
    ) -> Image:
        """Create an image owned by ``owner`` (None: anonymous), optionally in ``album``."""
        with self.lock:
            image = Image(
                id=fields.pop("id", None) or self.new_id(),
                owner=self.account(owner).url if owner else None,
                datetime=self.now() if datetime is None else datetime,
                title=title,
                deletehash=self.new_id(15),
                seq=self._next_seq(),
                **fields,
            )
            if not image.media_seed:
                image.media_seed = self._rng.randrange(1, 2**31)
            if image.data is not None:
                image.size = len(image.data)
            self.images[image.id] = image
            self._by_deletehash[image.deletehash] = ("image", image.id)
            if album:
                self.album(album).image_ids.append(image.id)
            self._touch()
            return image

    def image(self, key: str, *, allow_deletehash: bool = False) -> Image:
        """Return a live image by id (or by deletehash when allowed)."""
        found = self.images.get(key)
        if found is None and allow_deletehash:
            kind, ident = self._by_deletehash.get(key, ("", ""))
            found = self.images.get(ident) if kind == "image" else None
        if found is None or found.deleted:
            raise NotFound(key)
        return found

    def delete_image(self, image_id: str) -> None:
        """Delete an image everywhere: albums, favorites, gallery."""
        with self.lock:
            image = self.image(image_id, allow_deletehash=True)
            image.deleted = True
            image.in_gallery = False
            for album in self.albums.values():
                if image.id in album.image_ids:
                    album.image_ids = [i for i in album.image_ids if i != image.id]
                    if album.cover == image.id:
                        album.cover = album.image_ids[0] if album.image_ids else None
            for account in self.accounts.values():
                account.favorites = [f for f in account.favorites if f[1] != image.id]
            self._touch()

    def retitle_image(self, image_id: str, title: str | None,
                      description: str | None = None) -> None:
        """Change an image's title (and description when given)."""
        with self.lock:
            image = self.image(image_id, allow_deletehash=True)
            image.title = title
            if description is not None:
                image.description = description
            self._touch()

    def set_image_link(self, image_id: str, link: str) -> None:
        """Make an image's ``link`` say ``link`` (a hostile server's); "" restores it."""
        with self.lock:
            self.image(image_id).link = link
            self._touch()

    def remove_media(self, image_id: str) -> None:
        """Mark an image's media removed by Imgur: links redirect to /removed.png."""
        with self.lock:
            self.image(image_id).removed = True
            self._touch()

    def images_of(self, username: str) -> list[Image]:
        """Return an account's live images, newest first."""
        key = ("images_of", username.lower())

        def build() -> list[Image]:
            mine = [
                i
                for i in self.images.values()
                if not i.deleted and i.owner and i.owner.lower() == username.lower()
            ]
            return sorted(mine, key=lambda i: (i.datetime, i.seq), reverse=True)

        return self.cached(key, build)

    # -- albums --------------------------------------------------------------------

    def add_album(
        self,
        owner: str | None,
        title: str | None = None,
        image_ids: Iterable[str] = (),
        *,
        datetime: int | None = None,
        **fields: Any,
    ) -> Album:
        """Create an album owned by ``owner`` holding ``image_ids`` in order."""
        with self.lock:
            ids = [self.image(i).id for i in image_ids]
            album = Album(
                id=fields.pop("id", None) or self.new_id(),
                owner=self.account(owner).url if owner else None,
                datetime=self.now() if datetime is None else datetime,
                title=title,
                deletehash=self.new_id(15),
                image_ids=ids,
                seq=self._next_seq(),
                **fields,
            )
            if album.cover is None and ids:
                album.cover = ids[0]
            self.albums[album.id] = album
            self._by_deletehash[album.deletehash] = ("album", album.id)
            self._touch()
            return album

    def album(self, key: str, *, allow_deletehash: bool = False) -> Album:
        """Return a live album by id (or by deletehash when allowed)."""
        found = self.albums.get(key)
        if found is None and allow_deletehash:
            kind, ident = self._by_deletehash.get(key, ("", ""))
            found = self.albums.get(ident) if kind == "album" else None
        if found is None or found.deleted:
            raise NotFound(key)
        return found

    def delete_album(self, album_id: str) -> None:
        """Delete an album (its images stay on the account)."""
        with self.lock:
            album = self.album(album_id, allow_deletehash=True)
            album.deleted = True
            album.in_gallery = False
            for account in self.accounts.values():
                account.favorites = [f for f in account.favorites if f[1] != album.id]
            self._touch()

    def retitle_album(self, album_id: str, title: str | None) -> None:
        """Change an album's title."""
        with self.lock:
            self.album(album_id).title = title
            self._touch()

    def set_album_images(self, album_id: str, image_ids: Iterable[str]) -> None:
        """Replace an album's images (unknown ids are skipped, as Imgur does)."""
        with self.lock:
            album = self.album(album_id, allow_deletehash=True)
            album.image_ids = self._live_ids(image_ids)
            if album.cover not in album.image_ids:
                album.cover = album.image_ids[0] if album.image_ids else None
            self._touch()

    def add_album_images(self, album_id: str, image_ids: Iterable[str]) -> None:
        """Append images to an album, skipping ones already in it."""
        with self.lock:
            album = self.album(album_id, allow_deletehash=True)
            for image_id in self._live_ids(image_ids):
                if image_id not in album.image_ids:
                    album.image_ids.append(image_id)
            if album.cover is None and album.image_ids:
                album.cover = album.image_ids[0]
            self._touch()

    def remove_album_images(self, album_id: str, image_ids: Iterable[str]) -> None:
        """Remove images from an album."""
        with self.lock:
            album = self.album(album_id, allow_deletehash=True)
            drop = set(image_ids)
            album.image_ids = [i for i in album.image_ids if i not in drop]
            if album.cover in drop:
                album.cover = album.image_ids[0] if album.image_ids else None
            self._touch()

    def move_image(self, image_id: str, from_album: str, to_album: str) -> None:
        """Move an image from one album to another."""
        with self.lock:
            self.remove_album_images(from_album, [image_id])
            self.add_album_images(to_album, [image_id])

    def _live_ids(self, image_ids: Iterable[str]) -> list[str]:
        seen: list[str] = []
        for image_id in image_ids:
            image = self.images.get(image_id)
            if image is not None and not image.deleted and image_id not in seen:
                seen.append(image_id)
        return seen

    def albums_of(self, username: str) -> list[Album]:
        """Return an account's live albums, newest first."""
        key = ("albums_of", username.lower())

        def build() -> list[Album]:
            mine = [
                a
                for a in self.albums.values()
                if not a.deleted and a.owner and a.owner.lower() == username.lower()
            ]
            return sorted(mine, key=lambda a: (a.datetime, a.seq), reverse=True)

        return self.cached(key, build)

    def item(self, item_id: str) -> Image | Album:
        """Return a live image or album by id."""
        if item_id in self.albums and not self.albums[item_id].deleted:
            return self.albums[item_id]
        return self.image(item_id)

    # -- favorites -------------------------------------------------------------------

    def toggle_favorite(self, username: str, item_id: str) -> bool:
        """Favorite ``item_id`` for ``username``, or unfavorite it; returns the new state."""
        with self.lock:
            account = self.account(username)
            item = self.item(item_id)
            kind = "album" if isinstance(item, Album) else "image"
            if any(f[1] == item.id for f in account.favorites):
                account.favorites = [f for f in account.favorites if f[1] != item.id]
                item.favorited_by.discard(account.url.lower())
                state = False
            else:
                account.favorites.insert(0, (kind, item.id, self.now()))
                item.favorited_by.add(account.url.lower())
                state = True
            self._touch()
            return state

    def favorite(self, username: str, item_id: str) -> None:
        """Make sure ``item_id`` is among ``username``'s favorites."""
        with self.lock:
            if not any(f[1] == item_id for f in self.account(username).favorites):
                self.toggle_favorite(username, item_id)

    def favorites_of(self, username: str, *, gallery_only: bool = False) -> list[Image | Album]:
        """Return ``username``'s favorites, newest first."""
        items: list[Image | Album] = []
        for _kind, item_id, _when in self.account(username).favorites:
            try:
                item = self.item(item_id)
            except NotFound:
                continue
            if not gallery_only or item.in_gallery:
                items.append(item)
        return items

    # -- gallery ---------------------------------------------------------------------

    def share(self, item_id: str, title: str | None = None, topic: str | None = None,
              tags: Iterable[str] = (), subreddit: str | None = None) -> None:
        """Put an image or album into the public gallery."""
        with self.lock:
            item = self.item(item_id)
            item.in_gallery = True
            item.gallery_datetime = item.gallery_datetime or self.now()
            if title:
                item.title = title
            item.topic = topic or item.topic
            item.tags = list(tags) or item.tags
            if isinstance(item, Image) and subreddit:
                item.subreddit = subreddit
            self._touch()

    def unshare(self, item_id: str) -> None:
        """Remove an item from the public gallery."""
        with self.lock:
            self.item(item_id).in_gallery = False
            self._touch()

    def gallery_items(self) -> list[Image | Album]:
        """Return every gallery item, newest first."""

        def build() -> list[Image | Album]:
            items: list[Image | Album] = [i for i in self.images.values() if i.in_gallery]
            items += [a for a in self.albums.values() if a.in_gallery]
            return sorted(items, key=lambda x: (x.gallery_datetime, x.seq), reverse=True)

        return self.cached("gallery", build)

    def raw_answer(self, path: str, data: Any = None, remove: bool = False) -> None:
        """Answer ``GET path`` (``/3/account/me/images/0``) with ``data``, however malformed.

        Tests play a hostile or broken Imgur with it; ``remove`` restores the real answer.
        """
        if remove:
            self.raw_answers.pop(path, None)
        else:
            self.raw_answers[path] = data

    # -- inspection -------------------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        """Return the whole world as plain JSON-able data (no media bytes)."""
        with self.lock:
            def plain(obj: Any) -> dict[str, Any]:
                out = asdict(obj)
                out.pop("data", None)
                for key, value in out.items():
                    if isinstance(value, set):
                        out[key] = sorted(value)
                return out

            return {
                "accounts": [plain(a) for a in self.accounts.values()],
                "images": [plain(i) for i in self.images.values()],
                "albums": [plain(a) for a in self.albums.values()],
                "comments": [plain(c) for c in self.comments.values()],
                "conversations": [
                    {"id": c.id, "members": list(c.members),
                     "messages": [asdict(m) for m in c.messages]}
                    for c in self.conversations.values()
                ],
                "notifications": [asdict(n) for n in self.notifications.values()],
            }


def stable_seed(*parts: Any) -> int:
    """Return a 31-bit integer derived from ``parts`` (independent of PYTHONHASHSEED)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") & 0x7FFFFFFF
