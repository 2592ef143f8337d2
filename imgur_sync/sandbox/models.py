"""The sandbox's data model: plain dataclasses for what Imgur stores."""

from __future__ import annotations

from dataclasses import dataclass, field

# Imgur's thumbnail letters (docs/IMGUR-API.md §Media).
THUMB_SUFFIXES = "sbtmlh"


@dataclass
class Account:
    """An Imgur user."""

    id: int
    url: str  # the username
    bio: str | None = None
    created: int = 0
    reputation: int = 0
    email: str = ""
    public_images: bool = True
    album_privacy: str = "public"
    messaging_enabled: bool = True
    accepted_gallery_terms: bool = True
    show_mature: bool = False
    verified_email: bool = True
    # Favorites, newest first: ("image"|"album", id, when).
    favorites: list[tuple[str, str, int]] = field(default_factory=list)


@dataclass
class Image:
    """An image or video; ``owner`` is None for anonymous uploads."""

    id: str
    owner: str | None
    datetime: int
    mime: str = "image/png"
    ext: str = "png"
    width: int = 16
    height: int = 16
    animated: bool = False
    title: str | None = None
    description: str | None = None
    name: str = ""
    deletehash: str = ""
    views: int = 0
    nsfw: bool | None = False
    section: str | None = None
    # How the media bytes are made: "tiny", "picture" (a labelled PNG), "gif", or
    # "stored" (uploaded bytes kept in ``data``).
    media_kind: str = "tiny"
    media_seed: int = 0
    label: str = ""
    data: bytes | None = None
    size: int = 0
    removed: bool = False  # Imgur removed the media: links redirect to removed.png
    link: str = ""  # a test's own ``link`` (another host, file:, .exe); "" = the usual one
    deleted: bool = False
    # Gallery presence (images shared to the public gallery).
    in_gallery: bool = False
    gallery_datetime: int = 0
    topic: str | None = None
    tags: list[str] = field(default_factory=list)
    ups: int = 0
    downs: int = 0
    subreddit: str | None = None
    favorited_by: set[str] = field(default_factory=set)
    votes: dict[str, str] = field(default_factory=dict)
    seq: int = 0


@dataclass
class Album:
    """An album: an ordered list of image ids."""

    id: str
    owner: str | None
    datetime: int
    title: str | None = None
    description: str | None = None
    cover: str | None = None
    privacy: str = "public"
    layout: str = "blog"
    views: int = 0
    deletehash: str = ""
    image_ids: list[str] = field(default_factory=list)
    nsfw: bool | None = False
    section: str | None = None
    deleted: bool = False
    in_gallery: bool = False
    gallery_datetime: int = 0
    topic: str | None = None
    tags: list[str] = field(default_factory=list)
    ups: int = 0
    downs: int = 0
    favorited_by: set[str] = field(default_factory=set)
    votes: dict[str, str] = field(default_factory=dict)
    seq: int = 0


@dataclass
class Comment:
    """A comment on a gallery item; ``parent_id`` 0 for top level."""

    id: int
    image_id: str
    author: str
    comment: str
    datetime: int
    parent_id: int = 0
    ups: int = 1
    downs: int = 0
    deleted: bool = False
    platform: str = "desktop"
    votes: dict[str, str] = field(default_factory=dict)


@dataclass
class Message:
    """A private message (legacy messaging API)."""

    id: int
    conversation_id: int
    sender: str
    recipient: str
    body: str
    datetime: int


@dataclass
class Conversation:
    """A private thread between two accounts; messages oldest first."""

    id: int
    members: tuple[str, str]
    messages: list[Message] = field(default_factory=list)


@dataclass
class Notification:
    """A reply or message notification for ``account``."""

    id: int
    account: str
    kind: str  # "reply" | "message"
    ref: int  # comment id or message id
    viewed: bool = False


@dataclass
class Token:
    """An OAuth access/refresh token pair for one account."""

    access_token: str
    refresh_token: str
    username: str
    client_id: str
    expires_at: float
    revoked: bool = False


class NotFound(LookupError):
    """Raised by World lookups; the HTTP layer turns it into Imgur's 404."""
