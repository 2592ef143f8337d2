"""People: ``User`` and the legacy ``Message`` and ``Notification``.

Imgur switched messaging off on 2016-12-01 and dropped the notification routes from its
docs by 2017 (docs/IMGUR-API.md §Endpoints): ``Message``, ``Notification`` and the user methods that
return them work where those routes still answer (the sandbox serves them behind a flag)
and raise ``NotFound`` where they do not.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from .gallery import Comment, Gallery_album, Gallery_image, comment_from, gallery_item
from .models import Album, Basic_object, Image, form_value, id_of, quoted
from .pagination import iter_pages

if TYPE_CHECKING:
    from .client import Imgur

__all__ = ["Message", "Notification", "User", "send_message"]

GalleryThing = Gallery_image | Gallery_album


class User(Basic_object):
    """A User on Imgur.

    Variables as PyImgur documents them: bio, created, id, name (the username),
    reputation. The ``get_*`` methods return lists; the ``iter_*`` methods walk the same
    listings lazily, one page at a time.
    """

    _family = "user"
    _renames: ClassVar[Mapping[str, str]] = {"url": "name"}
    _repr_fields: ClassVar[tuple[str, ...]] = ("name",)

    def _info_path(self) -> str:
        return self._base()

    def _base(self) -> str:
        return f"3/account/{quoted(self.__dict__['name'])}"

    def _key(self) -> tuple[str, str] | None:
        name = self.__dict__.get("name")
        return None if name is None else (self._family, str(name).lower())

    # -- lazy listings ---------------------------------------------------------------------

    def _pages(self, route: str, make: Any, limit: int | None, **kwargs: Any) -> Iterator[Any]:
        def fetch(page: int) -> list[Any]:
            answer = self._call("GET", route.format(base=self._base(), page=page), **kwargs)
            return [make(self._imgur, item) for item in answer or []]

        return iter_pages(fetch, limit=limit)

    def iter_images(self, *, limit: int | None = None) -> Iterator[Image]:
        """Walk the user's images, newest first, one page at a time."""
        return self._pages("{base}/images/{page}", _image, limit)

    def iter_albums(self, *, limit: int | None = None) -> Iterator[Album]:
        """Walk the user's albums (hidden and secret ones only for their owner)."""
        return self._pages("{base}/albums/{page}", _album, limit)

    def iter_favorites(self, sort: str = "newest", *,
                       limit: int | None = None) -> Iterator[GalleryThing]:
        """Walk the user's favorites (own account only); ``sort`` is newest or oldest."""
        return self._pages(f"{{base}}/favorites/{{page}}/{quoted(sort)}", gallery_item, limit,
                           auth="user")

    def iter_gallery_favorites(self, sort: str = "newest", *,
                               limit: int | None = None) -> Iterator[GalleryThing]:
        """Walk the user's favorites that are in the public gallery."""
        return self._pages(f"{{base}}/gallery_favorites/{{page}}/{quoted(sort)}",
                           gallery_item, limit)

    def iter_submissions(self, sort: str = "newest", *,
                         limit: int | None = None) -> Iterator[GalleryThing]:
        """Walk what the user shared to the gallery; ``sort`` newest|oldest|best|worst."""
        return self._pages(f"{{base}}/submissions/{{page}}/{quoted(sort)}", gallery_item,
                           limit)

    def iter_comments(self, sort: str = "newest", *,
                      limit: int | None = None) -> Iterator[Comment]:
        """Walk the user's comments; ``sort`` newest|oldest|best|worst."""
        return self._pages(f"{{base}}/comments/{quoted(sort)}/{{page}}", comment_from, limit)

    # -- PyImgur's methods -----------------------------------------------------------------

    def change_settings(self, bio: str | None = None, public_images: bool | None = None,
                        messaging_enabled: bool | None = None,
                        album_privacy: str | None = None,
                        accepted_gallery_terms: bool | None = None) -> Any:
        """Update the settings for the user; arguments left at None keep their values.

        ``public_images`` sets whether new images are public, ``album_privacy`` the default
        privacy of new albums (public, hidden or secret), ``accepted_gallery_terms`` the
        agreement needed before submitting to the gallery.
        """
        fields = {k: form_value(v) for k, v in (
            ("bio", bio), ("public_images", public_images),
            ("messaging_enabled", messaging_enabled), ("album_privacy", album_privacy),
            ("accepted_gallery_terms", accepted_gallery_terms)) if v is not None}
        answer = self._call("POST", f"{self._base()}/settings", data=fields, auth="user")
        if bio is not None:
            self.bio = bio
        return answer

    def delete(self) -> Any:
        """Delete this user. Require being authenticated as the user."""
        return self._call("DELETE", self._base(), auth="user")

    def get_albums(self, limit: int | None = None) -> list[Album]:
        """Return a list of the user's albums (all of them, or the first ``limit``).

        Secret and hidden albums are only returned if this is the logged-in user.
        """
        return list(self.iter_albums(limit=limit))

    def get_comments(self) -> list[Comment]:
        """Return the comments made by the user."""
        return list(self.iter_comments())

    def get_favorites(self) -> list[GalleryThing]:
        """Return the users favorited images (and albums)."""
        return list(self.iter_favorites())

    def get_gallery_favorites(self) -> list[GalleryThing]:
        """Get a list of the images in the gallery this user has favorited."""
        return list(self.iter_gallery_favorites())

    def get_gallery_profile(self) -> dict[str, Any]:
        """Return the users gallery profile."""
        return self._call("GET", f"{self._base()}/gallery_profile")

    def get_images(self, limit: int | None = None) -> list[Image]:
        """Return all of the images associated with the user (or the first ``limit``)."""
        return list(self.iter_images(limit=limit))

    def get_messages(self, new: bool = True) -> list[Notification]:
        """Return all messages sent to this user, formatted as a notification.

        ``new``: False for all notifications, True for only non-viewed notifications.
        """
        answer = self._call("GET", f"{self._base()}/notifications/messages",
                            params={"new": form_value(new)}, auth="user")
        return [Notification(n, self._imgur) for n in answer or []]

    def get_notifications(self, new: bool = True) -> dict[str, list[Notification]]:
        """Return all the notifications for this user: ``{"messages": [...], "replies": [...]}``."""
        answer = self._call("GET", f"{self._base()}/notifications",
                            params={"new": form_value(new)}, auth="user")
        return {kind: [Notification(n, self._imgur) for n in answer.get(kind) or []]
                for kind in ("messages", "replies")}

    def get_replies(self, new: bool = True) -> list[Notification]:
        """Return all reply notifications for this user.

        ``new``: False for all notifications, True for only non-viewed notifications.
        """
        answer = self._call("GET", f"{self._base()}/notifications/replies",
                            params={"new": form_value(new)}, auth="user")
        if isinstance(answer, Mapping):  # 2024: {"replies": [...], "total": n}; 2015: a list
            answer = answer.get("replies")
        return [Notification(n, self._imgur) for n in answer or [] if isinstance(n, Mapping)]

    def get_settings(self) -> dict[str, Any]:
        """Returns current settings. Only accessible if authenticated as the user."""
        return self._call("GET", f"{self._base()}/settings", auth="user")

    def get_statistics(self) -> dict[str, Any]:
        """Return statistics about this user."""
        return self._call("GET", f"{self._base()}/stats", auth="user")

    def get_submissions(self, limit: int | None = None) -> list[GalleryThing]:
        """Return a list of the images a user has submitted to the gallery."""
        return list(self.iter_submissions(limit=limit))

    def has_verified_email(self) -> bool:
        """Has the user verified that the email he has given is legit?

        Verified e-mail is required to the gallery.
        """
        return bool(self._call("GET", f"{self._base()}/verifyemail", auth="user"))

    def send_message(self, body: str, subject: str | None = None,
                     reply_to: Message | int | str | None = None) -> Any:
        """Send a message to this user from the logged in user.

        ``subject`` is ignored for replies (the thread keeps its first subject);
        ``reply_to`` is a ``Message`` or message id to reply to, None for a new thread.
        """
        return send_message(self._imgur, self.__dict__["name"], body, subject, reply_to)

    def send_verification_email(self) -> Any:
        """Send verification email to this users email address."""
        return self._call("POST", f"{self._base()}/verifyemail", auth="user")


def _image(imgur: Imgur, data: Mapping[str, Any]) -> Image:
    return Image(data, imgur)


def _album(imgur: Imgur, data: Mapping[str, Any]) -> Album:
    # Album listings leave out the images: reading them fetches the album (PyImgur 0.5.1).
    return Album(data, imgur, has_fetched=data.get("images") is not None)


def send_message(imgur: Imgur, recipient: str | None, body: str, subject: str | None = None,
                 reply_to: Message | int | str | None = None) -> Any:
    """Post a private message (the legacy ``/3/message`` route)."""
    form = {"body": body}
    if recipient:
        form["recipient"] = recipient
    if subject is not None:
        form["subject"] = subject
    if reply_to is not None:
        form["parent_id"] = id_of(reply_to)
    return imgur._transport.request("POST", "3/message", data=form, auth="user")


class Message(Basic_object):
    """This corresponds to the messages users can send each other.

    Variables: id, author (the sender as a lazy ``User``), body, conversation_id,
    datetime, sender_id, account_id (the receiver's id), first_message (a lazy
    ``Message`` starting the thread, when Imgur names it).
    """

    _family = "message"

    def _info_path(self) -> str:
        return f"3/message/{quoted(self._ident())}"

    def _convert(self, data: dict[str, Any]) -> None:
        if "from" in data:
            self.author = self._user_or_none(data["from"])
        if "parent_id" in data:
            parent = data["parent_id"]
            self.first_message = self._lazy("Message", {"id": parent}) if parent else None

    def delete(self) -> Any:
        """Delete the message."""
        return self._call("DELETE", self._info_path(), auth="user")

    def get_thread(self) -> list[Message]:
        """Return the message thread this Message is in, oldest first."""
        return [Message(m, self._imgur)
                for m in self._call("GET", f"{self._info_path()}/thread", auth="user")]

    def reply(self, body: str) -> Any:
        """Reply to this message (``User.send_message`` with recipient and reply_to set)."""
        author = self.author
        me = self._imgur._transport.tokens.account_username
        if author is not None and not (me and author.name.lower() == me.lower()):
            return author.send_message(body=body, reply_to=self)
        # Our own message: Imgur sends the reply to the other side of the thread.
        return send_message(self._imgur, None, body, reply_to=self)


# Fields of a 2024 reply that belong to the notification, not to the comment it carries.
_REPLY_ONLY = frozenset({"id", "comment_id", "content", "account_id", "viewed"})


class Notification(Basic_object):
    """This corresponds to the notifications a user may receive.

    A notification can come for several reasons, for instance someone replying to one of
    your comments. Variables: id, account_id, is_viewed, content (a ``Comment`` for a
    reply; for a message, Imgur's dict naming the conversation and its last message).
    """

    _family = "notification"
    _renames: ClassVar[Mapping[str, str]] = {"viewed": "is_viewed"}

    def _info_path(self) -> str:
        return f"3/notification/{quoted(self._ident())}"

    def _convert(self, data: dict[str, Any]) -> None:
        content = data.get("content")
        if isinstance(content, dict) and "comment" in content and "image_id" in content:
            self.content = comment_from(self._imgur, content)
        elif isinstance(content, str) and "comment_id" in data:
            # 2024 replies are the comment itself, its text in "content": the same Comment.
            comment = {k: v for k, v in data.items() if k not in _REPLY_ONLY}
            self.content = comment_from(self._imgur, {**comment, "id": data["comment_id"],
                                                      "comment": content})

    def mark_as_viewed(self) -> Any:
        """Mark the notification as viewed. Notifications cannot be marked as unviewed."""
        answer = self._call("POST", self._info_path(), auth="user")
        self.is_viewed = True
        return answer
