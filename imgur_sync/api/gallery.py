"""The public gallery: ``Gallery_item``, ``Gallery_image``, ``Gallery_album`` and ``Comment``.

A gallery listing mixes images and albums; ``gallery_item`` picks the class by the
``is_album`` field (docs/IMGUR-API.md §Models).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from .models import Album, Basic_object, Image, quoted

if TYPE_CHECKING:
    from .client import Imgur

__all__ = [
    "Comment",
    "GalleryAlbum",
    "GalleryImage",
    "GalleryItem",
    "Gallery_album",
    "Gallery_image",
    "Gallery_item",
    "comment_from",
    "gallery_item",
]


class Gallery_item:  # PyImgur's documented name; GalleryItem is the PEP 8 alias
    """Functionality shared by ``Gallery_image`` and ``Gallery_album``."""

    _call: Any
    _ident: Any
    _imgur: Imgur
    _kind: ClassVar[str] = "image"

    def _gallery_path(self) -> str:
        return f"3/gallery/{quoted(self._ident())}"

    def comment(self, text: str) -> Comment:
        """Make a top-level comment to this; returns the new (unfetched) ``Comment``."""
        answer = self._call("POST", "3/comment", auth="user",
                            data={"image_id": self._ident(), "comment": text})
        return Comment({"id": answer["id"]}, self._imgur, has_fetched=False)

    def downvote(self) -> bool:
        """Dislike this.

        A downvote will replace a neutral vote or an upvote. Downvoting something the
        authenticated user has already downvoted will set the vote to neutral.
        """
        return bool(self._call("POST", f"{self._gallery_path()}/vote/down", auth="user"))

    def get_comments(self) -> list[Comment]:
        """Get a list of the top-level comments (each with its ``replies``)."""
        return [comment_from(self._imgur, c)
                for c in self._call("GET", f"{self._gallery_path()}/comments")]

    def remove_from_gallery(self) -> Any:
        """Remove this from the gallery; this object becomes a plain ``Image``/``Album``."""
        self._call("DELETE", self._gallery_path(), auth="user")
        plain = Image if self._kind == "image" else Album
        data = self._call("GET", f"3/{self._kind}/{quoted(self._ident())}")
        self.__class__ = plain  # type: ignore[assignment]
        item: Basic_object = self  # type: ignore[assignment]
        item._populate(data)
        item._has_fetched = True
        return item

    def upvote(self) -> bool:
        """Like this.

        An upvote will replace a neutral vote or a downvote. Upvoting something the
        authenticated user has already upvoted will set the vote to neutral.
        """
        return bool(self._call("POST", f"{self._gallery_path()}/vote/up", auth="user"))


GalleryItem = Gallery_item


def _gallery_info_path(item: Basic_object, kind: str) -> str:
    # A favorite need not be in the gallery (docs/IMGUR-API.md §Endpoints); Imgur says so with
    # in_gallery=false, and such an item is only found by its plain route.
    if item.raw.get("in_gallery") is False:
        return f"3/{kind}/{quoted(item._ident())}"
    return f"3/gallery/{kind}/{quoted(item._ident())}"


class Gallery_image(Image, Gallery_item):  # PyImgur's documented name
    """Gallery images are images submitted to the gallery."""

    _kind = "image"

    def _info_path(self) -> str:
        return _gallery_info_path(self, "image")


class Gallery_album(Album, Gallery_item):  # PyImgur's documented name
    """Gallery Albums are albums submitted to the gallery."""

    _kind = "album"

    def _info_path(self) -> str:
        return _gallery_info_path(self, "album")


GalleryImage = Gallery_image
GalleryAlbum = Gallery_album


def gallery_item(imgur: Imgur, data: Mapping[str, Any]) -> Gallery_image | Gallery_album:
    """Return a ``Gallery_album`` or ``Gallery_image`` for one item of a gallery listing."""
    if data.get("is_album"):
        # Listings may leave out an album's images (or send null, as favorites do); then
        # reading them fetches the album.
        return Gallery_album(data, imgur, has_fetched=data.get("images") is not None)
    return Gallery_image(data, imgur)


class Comment(Basic_object):
    """A comment a user has made, on a gallery image or album or on another comment.

    Variables as PyImgur documents them: album_cover (the album's cover ``Image`` when the
    comment is on an album), author (a lazy ``User``), datetime, deletehash, downs, image
    (what the comment is on: a lazy ``Image``, or ``Album`` when ``on_album``),
    is_deleted, on_album, parent (the ``Comment`` replied to; None at top level),
    permalink, points, replies (``Comment`` objects; reading it fetches them when the
    JSON had none), text, ups, vote.
    """

    _family = "comment"
    _renames: ClassVar[Mapping[str, str]] = {"comment": "text", "deleted": "is_deleted"}
    _defaults: ClassVar[Mapping[str, Any]] = {"deletehash": None}

    def _info_path(self) -> str:
        return f"3/comment/{quoted(self._ident())}"

    def _convert(self, data: dict[str, Any]) -> None:
        if "author" in data:
            self.author = self._user_or_none(data["author"])
        if "children" in data:
            self.replies = [comment_from(self._imgur, c) for c in data["children"] or []]
        if "image_id" in data:
            on_album = data.get("on_album", self.__dict__.get("on_album"))
            self.image = self._lazy("Album" if on_album else "Image", {"id": data["image_id"]})
            self.permalink = (f"https://imgur.com/gallery/{data['image_id']}/comment/"
                              f"{self._ident()}")
        if "album_cover" in data:
            cover = data["album_cover"]
            self.album_cover = self._lazy("Image", {"id": cover}) if cover else None
        if "parent_id" in data:
            parent = data["parent_id"]
            self.parent = self._lazy("Comment", {"id": parent}) if parent else None

    def delete(self) -> Any:
        """Delete the comment."""
        return self._call("DELETE", self._info_path(), auth="user")

    def downvote(self) -> bool:
        """Downvote this comment."""
        return bool(self._call("POST", f"{self._info_path()}/vote/down", auth="user"))

    def get_replies(self) -> list[Comment]:
        """Get the replies to this comment."""
        answer = self._call("GET", f"{self._info_path()}/replies")
        return [comment_from(self._imgur, c) for c in answer.get("children") or []]

    def reply(self, text: str) -> Comment:
        """Make a comment reply; returns the new (unfetched) ``Comment``."""
        image_id = self.raw.get("image_id") or self.image.id
        answer = self._call("POST", self._info_path(), auth="user",
                            data={"image_id": image_id, "comment": text})
        return Comment({"id": answer["id"]}, self._imgur, has_fetched=False)

    def upvote(self) -> bool:
        """Upvote this comment."""
        return bool(self._call("POST", f"{self._info_path()}/vote/up", auth="user"))


def comment_from(imgur: Imgur, data: Mapping[str, Any]) -> Comment:
    """Return a ``Comment`` for Comment JSON; without ``children`` its replies load lazily."""
    return Comment(data, imgur, has_fetched="children" in data)
